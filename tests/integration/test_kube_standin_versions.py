"""The stand-in's served API: groups and kinds at chosen versions or not installed, kinds that
answer 403 or 404 while discovery lists them, aggregated discovery, and each release's API.

Driven by the unmodified clients (kubernetes ApiClient, CustomObjectsApi and DynamicClient, and
kubectl) and by raw HTTPS requests where a header matters. The real kube-apiserver behaviour these
tests pin is described in testbed/kube_api.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

kubernetes = pytest.importorskip("kubernetes", reason="the kubernetes client is not installed")

from kubernetes.client.exceptions import ApiException  # noqa: E402
from kubernetes.dynamic import DynamicClient  # noqa: E402
from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError, ResourceNotUniqueError  # noqa: E402
from kube_helpers import (  # noqa: E402
    AGGREGATED_ACCEPT,
    AGGREGATED_V2,
    AGGREGATED_V2BETA1,
    api_client,
    custom_objects,
    get,
    kubectl,
    names,
    needs_kubectl,
    raw,
    wait_for,
    watch_events,
)
from testbed import releases  # noqa: E402
from testbed.fixtures_kube import RELEASE_FIXTURES  # noqa: E402
from testbed.kube_standin import READER_USER, load_fixture_objects  # noqa: E402
from testbed.paths import FIXTURES, TESTS_DIR  # noqa: E402

BASIC = FIXTURES / "standin" / "basic"
WIRING, AGENT = "wiring.githedgehog.com", "agent.githedgehog.com"
GATEWAY, GWINT = "gateway.githedgehog.com", "gwint.githedgehog.com"
ALL_SWITCHES = {"default/leaf-01", "default/leaf-02", "default/spine-01", "lab/leaf-01", "lab/spine-01"}
NOT_FOUND_PAGE = "404 page not found\n"
HEDGEHOG_GROUPS = [f"{g}.githedgehog.com" for g in ("agent", "dhcp", "fabricator", "gateway", "gwint", "vpc", "wiring")]


def legacy_groups(kube) -> dict[str, list[str]]:
    """{group: [versions in the order /apis lists them]} from the legacy APIGroupList."""
    body = get(kube, "/apis", accept="application/json").body
    return {g["name"]: [v["version"] for v in g["versions"]] for g in body["groups"]}


def aggregated_groups(kube, accept=AGGREGATED_ACCEPT) -> dict[str, dict[str, list[str]]]:
    """{group: {version: [resources]}} from the aggregated document."""
    body = get(kube, "/apis", accept=accept).body
    return {item["metadata"]["name"]: {v["version"]: [r["resource"] for r in v["resources"]] for v in item["versions"]}
            for item in body["items"]}


def resources(kube, group_version: str) -> list[str]:
    return [r["name"] for r in get(kube, f"/apis/{group_version}").body["resources"]]


def list_error(call) -> ApiException:
    with pytest.raises(ApiException) as caught:
        call()
    return caught.value


def server(minor: int) -> dict:
    return {"major": "1", "minor": str(minor), "gitVersion": f"v1.{minor}.4+k3s1", "platform": "linux/amd64"}


# -- groups and versions ------------------------------------------------------------------------------


def test_a_group_lists_its_versions_newest_first_whatever_order_they_were_given(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1alpha2", "v1beta1", "v1", "v1beta2", "x-preview"]})

    group = get(kube, f"/apis/{WIRING}").body
    aggregated = get(kube, "/apis", accept=AGGREGATED_ACCEPT).body

    order = ["v1", "v1beta2", "v1beta1", "v1alpha2", "x-preview"]
    assert legacy_groups(kube)[WIRING] == order
    assert (group["kind"], group["apiVersion"], group["name"]) == ("APIGroup", "v1", WIRING)
    assert [v["version"] for v in group["versions"]] == order
    assert group["preferredVersion"] == {"groupVersion": f"{WIRING}/v1", "version": "v1"}
    wiring = next(i for i in aggregated["items"] if i["metadata"]["name"] == WIRING)
    assert [v["version"] for v in wiring["versions"]] == order


def test_objects_are_served_at_every_version_of_their_group(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1beta1", "v1beta2"]})
    api = custom_objects(kube)
    dynamic = DynamicClient(api_client(kube))

    at_beta1 = api.list_cluster_custom_object(WIRING, "v1beta1", "switches")
    at_beta2 = api.list_cluster_custom_object(WIRING, "v1beta2", "switches")
    one = api.get_namespaced_custom_object(WIRING, "v1beta2", "lab", "switches", "leaf-01")
    newest = dynamic.resources.get(api_version=f"{WIRING}/v1beta2", kind="Switch")
    older = dynamic.resources.get(api_version=f"{WIRING}/v1beta1", kind="Switch")

    assert names(at_beta1["items"]) == names(at_beta2["items"]) == ALL_SWITCHES
    assert at_beta1["apiVersion"] == f"{WIRING}/v1beta1" and at_beta2["apiVersion"] == f"{WIRING}/v1beta2"
    assert {i["apiVersion"] for i in at_beta1["items"]} == {f"{WIRING}/v1beta1"}
    assert {i["apiVersion"] for i in at_beta2["items"]} == {f"{WIRING}/v1beta2"}
    lab_leaf = next(i for i in at_beta1["items"] if names([i]) == {"lab/leaf-01"})
    assert one["apiVersion"] == f"{WIRING}/v1beta2" and one["spec"] == lab_leaf["spec"]
    assert (newest.preferred, older.preferred) == (True, False)
    assert {i.apiVersion for i in newest.get().items} == {f"{WIRING}/v1beta2"}
    # The real client cannot pick between two served versions of a kind on its own either.
    with pytest.raises(ResourceNotUniqueError):
        dynamic.resources.get(kind="Switch")


def test_a_watch_sends_objects_at_the_version_it_watches(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1beta1", "v1beta2"]})
    api = custom_objects(kube)
    listed = api.list_namespaced_custom_object(WIRING, "v1beta2", "lab", "switches")

    def add():
        kube.store.put({"apiVersion": f"{WIRING}/v1beta1", "kind": "Switch",
                        "metadata": {"name": "new", "namespace": "lab"}})

    def start_watch(watch, timeout):
        return watch.stream(api.list_namespaced_custom_object, WIRING, "v1beta2", "lab", "switches",
                            resource_version=listed["metadata"]["resourceVersion"], timeout_seconds=timeout)

    events = watch_events(kube, start_watch, add, last=lambda e: e["object"]["metadata"]["name"] == "new")

    assert [(e["type"], e["object"]["metadata"]["name"], e["object"]["apiVersion"]) for e in events] == [
        ("ADDED", "new", f"{WIRING}/v1beta2")]


def test_a_version_the_group_does_not_serve_is_404_on_every_path(kube_standin_factory):
    # The objects were loaded as v1beta1; the CRDs now serve only v1beta2.
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1beta2"]})
    api = custom_objects(kube)
    dynamic = DynamicClient(api_client(kube))

    listing = list_error(lambda: api.list_cluster_custom_object(WIRING, "v1beta1", "switches"))
    getting = list_error(lambda: api.get_namespaced_custom_object(WIRING, "v1beta1", "lab", "switches", "leaf-01"))
    discovery = get(kube, f"/apis/{WIRING}/v1beta1")

    assert (listing.status, listing.body) == (404, NOT_FOUND_PAGE)
    assert (getting.status, getting.body) == (404, NOT_FOUND_PAGE)
    assert (discovery.status, discovery.body) == (404, NOT_FOUND_PAGE.encode())
    assert legacy_groups(kube)[WIRING] == ["v1beta2"]
    assert names(api.list_cluster_custom_object(WIRING, "v1beta2", "switches")["items"]) == ALL_SWITCHES
    with pytest.raises(ResourceNotFoundError):
        dynamic.resources.get(api_version=f"{WIRING}/v1beta1", kind="Switch")


def test_a_group_that_is_not_installed_is_absent_from_discovery_and_404(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={GATEWAY: [], GWINT: []})
    api = custom_objects(kube)
    dynamic = DynamicClient(api_client(kube))

    group = get(kube, f"/apis/{GATEWAY}")
    version = get(kube, f"/apis/{GATEWAY}/v1alpha1")
    listing = list_error(lambda: api.list_namespaced_custom_object(GATEWAY, "v1alpha1", "default", "gateways"))

    assert GATEWAY not in legacy_groups(kube) and GWINT not in legacy_groups(kube)
    assert GATEWAY not in aggregated_groups(kube)
    assert (group.status, group.body) == (404, NOT_FOUND_PAGE.encode())
    assert (version.status, version.body) == (404, NOT_FOUND_PAGE.encode())
    assert (listing.status, listing.body) == (404, NOT_FOUND_PAGE)
    with pytest.raises(ResourceNotFoundError):
        dynamic.resources.get(api_version=f"{GATEWAY}/v1alpha1", kind="Gateway")


def test_one_kind_can_be_served_apart_from_its_group(kube_standin_factory):
    kube = kube_standin_factory([BASIC], kinds={"Switch": ["v1beta2", "v1beta1"], "Catalog": [],
                                                "Peering.gateway.githedgehog.com": ["v1alpha1"]})
    api = custom_objects(kube)

    servers = list_error(lambda: api.list_namespaced_custom_object(WIRING, "v1beta2", "default", "servers"))
    catalogs = list_error(lambda: api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "catalogs"))
    peerings = api.list_namespaced_custom_object(GATEWAY, "v1alpha1", "default", "peerings")

    # A group is served at the union of its CRDs' versions; each version lists only its own kinds.
    assert legacy_groups(kube)[WIRING] == ["v1beta2", "v1beta1"]
    assert resources(kube, f"{WIRING}/v1beta2") == ["switches", "switches/status"]
    assert "servers" in resources(kube, f"{WIRING}/v1beta1") and "switches" in resources(kube, f"{WIRING}/v1beta1")
    assert aggregated_groups(kube)[WIRING]["v1beta2"] == ["switches"]
    assert (servers.status, servers.body) == (404, NOT_FOUND_PAGE)
    assert "catalogs" not in resources(kube, f"{AGENT}/v1beta1") and catalogs.status == 404
    assert "peerings" in resources(kube, f"{GATEWAY}/v1alpha1")
    assert (peerings["kind"], peerings["items"]) == ("PeeringList", [])


def test_pre_beta_1_objects_are_served_at_v1alpha2_only(kube_release):
    kube = kube_release("pre-beta-1")
    api = custom_objects(kube)

    beta = list_error(lambda: api.list_namespaced_custom_object(WIRING, "v1beta1", "default", "switches"))
    alpha = api.list_namespaced_custom_object(WIRING, "v1alpha2", "default", "switches")

    assert legacy_groups(kube) == {f"{g}.githedgehog.com": ["v1alpha2"] for g in ("agent", "dhcp", "vpc", "wiring")}
    assert (beta.status, beta.body) == (404, NOT_FOUND_PAGE)
    assert len(alpha["items"]) == 7 and {i["apiVersion"] for i in alpha["items"]} == {f"{WIRING}/v1alpha2"}
    assert "location" in alpha["items"][0]["spec"] and "boot" not in alpha["items"][0]["spec"]
    assert "controlagents" in resources(kube, f"{AGENT}/v1alpha2")


# -- kinds RBAC forbids, kinds whose CRD is gone ------------------------------------------------------


def test_a_forbidden_kind_answers_403_and_stays_in_discovery(kube_standin_factory):
    kube = kube_standin_factory([BASIC], forbidden={"Agent"})
    api = custom_objects(kube)
    dynamic = DynamicClient(api_client(kube))

    listing = list_error(lambda: api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "agents"))
    cluster = list_error(lambda: api.list_cluster_custom_object(AGENT, "v1beta1", "agents"))
    getting = list_error(lambda: api.get_namespaced_custom_object(AGENT, "v1beta1", "default", "agents", "leaf-01"))
    # RBAC knows group and resource, not versions: an unserved version is refused the same way.
    other_version = list_error(lambda: api.list_namespaced_custom_object(AGENT, "v1alpha2", "default", "agents"))

    body = json.loads(listing.body)
    assert listing.status == 403 and (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
    assert body["message"] == (
        f'agents.{AGENT} is forbidden: User "{READER_USER}" cannot list resource "agents" '
        f'in API group "{AGENT}" in the namespace "default"')
    assert body["details"] == {"group": AGENT, "kind": "agents"}
    assert "at the cluster scope" in json.loads(cluster.body)["message"]
    assert 'cannot get resource "agents"' in json.loads(getting.body)["message"]
    assert getting.status == 403 and other_version.status == 403
    assert "agents" in resources(kube, f"{AGENT}/v1beta1") and "agents" in aggregated_groups(kube)[AGENT]["v1beta1"]
    assert dynamic.resources.get(api_version=f"{AGENT}/v1beta1", kind="Agent").kind == "Agent"
    assert api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "catalogs")["items"] == []


def test_a_kind_whose_crd_is_gone_is_listed_by_discovery_and_404s(kube_standin_factory):
    kube = kube_standin_factory([BASIC], broken={"switches.wiring.githedgehog.com"})
    api = custom_objects(kube)
    dynamic = DynamicClient(api_client(kube))

    listing = list_error(lambda: api.list_namespaced_custom_object(WIRING, "v1beta1", "default", "switches"))
    getting = list_error(lambda: api.get_namespaced_custom_object(WIRING, "v1beta1", "default", "switches", "leaf-01"))
    switches = dynamic.resources.get(api_version=f"{WIRING}/v1beta1", kind="Switch")

    assert "switches" in resources(kube, f"{WIRING}/v1beta1")
    assert "switches" in aggregated_groups(kube)[WIRING]["v1beta1"]
    assert (listing.status, listing.body) == (404, NOT_FOUND_PAGE)
    assert (getting.status, getting.body) == (404, NOT_FOUND_PAGE)
    with pytest.raises(NotFoundError):
        switches.get()
    assert len(api.list_cluster_custom_object("vpc.githedgehog.com", "v1beta1", "vpcs")["items"]) == 2


def test_the_served_api_changes_while_serving(kube_standin_factory):
    kube = kube_standin_factory([BASIC])
    api = custom_objects(kube)
    api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "agents")

    kube.update_api(forbidden={"Agent"})
    forbidden = list_error(lambda: api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "agents"))
    kube.update_api(forbidden=(), groups={AGENT: []})
    gone = list_error(lambda: api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "agents"))
    kube.set_api()

    assert (forbidden.status, gone.status) == (403, 404)
    assert api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "agents")["items"] == []


# -- aggregated discovery -----------------------------------------------------------------------------


def test_aggregated_discovery_v2_document(kube_standin_factory):
    kube = kube_standin_factory([BASIC])

    reply = get(kube, "/apis", accept=AGGREGATED_ACCEPT)
    core = get(kube, "/api", accept=AGGREGATED_ACCEPT)

    assert reply.status == 200 and reply.headers["Content-Type"] == AGGREGATED_V2
    assert (reply.headers["Vary"], reply.headers["Cache-Control"]) == ("Accept", "public")
    body = reply.body
    assert (body["kind"], body["apiVersion"]) == ("APIGroupDiscoveryList", "apidiscovery.k8s.io/v2")
    assert body["metadata"] == {}
    assert [i["metadata"]["name"] for i in body["items"]] == HEDGEHOG_GROUPS
    wiring = next(i for i in body["items"] if i["metadata"]["name"] == WIRING)
    assert wiring["metadata"] == {"name": WIRING, "creationTimestamp": None}
    (version,) = wiring["versions"]
    assert (version["version"], version["freshness"]) == ("v1beta1", "Current")
    assert [r["resource"] for r in version["resources"]] == sorted(r["resource"] for r in version["resources"])
    switch = next(r for r in version["resources"] if r["resource"] == "switches")
    kind = {"group": WIRING, "version": "v1beta1", "kind": "Switch"}
    assert switch == {"resource": "switches", "responseKind": kind, "scope": "Namespaced", "singularResource": "switch",
                      "verbs": ["get", "list", "watch"], "shortNames": ["sw"],
                      "subresources": [{"subresource": "status", "responseKind": kind, "verbs": ["get"]}]}
    assert core.headers["Content-Type"] == AGGREGATED_V2
    (legacy,) = core.body["items"]
    assert legacy["metadata"] == {"creationTimestamp": None}
    (v1,) = legacy["versions"]
    namespaces = next(r for r in v1["resources"] if r["resource"] == "namespaces")
    assert namespaces["scope"] == "Cluster"
    assert namespaces["responseKind"] == {"group": "", "version": "", "kind": "Namespace"}


def test_aggregated_discovery_etag_and_304(kube_standin_factory):
    kube = kube_standin_factory([BASIC])
    first = get(kube, "/apis", accept=AGGREGATED_ACCEPT)
    etag = first.headers["ETag"]

    cached = get(kube, "/apis", accept=AGGREGATED_ACCEPT, headers={"If-None-Match": etag})
    kube.update_api(groups={WIRING: ["v1beta1", "v1beta2"]})
    changed = get(kube, "/apis", accept=AGGREGATED_ACCEPT, headers={"If-None-Match": etag})

    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 130
    assert (cached.status, cached.body, cached.headers["ETag"]) == (304, b"", etag)
    assert changed.status == 200 and changed.headers["ETag"] != etag


@pytest.mark.parametrize("minor, accept, expected", [
    # 1.27-1.29 serve v2beta1 only, 1.30-1.32 both, 1.33 and later v2 only (AggregatedDiscoveryRemoveBetaType).
    (29, AGGREGATED_ACCEPT, AGGREGATED_V2BETA1),
    (31, AGGREGATED_ACCEPT, AGGREGATED_V2),
    (31, f"{AGGREGATED_V2BETA1},application/json", AGGREGATED_V2BETA1),
    (33, f"{AGGREGATED_V2BETA1},application/json", "application/json"),
    (26, AGGREGATED_ACCEPT, "application/json"),
])
def test_aggregated_discovery_versions_follow_the_kubernetes_version(kube_standin_factory, minor, accept, expected):
    kube = kube_standin_factory([BASIC], server_version=server(minor))

    reply = get(kube, "/apis", accept=accept)

    assert reply.status == 200 and reply.headers["Content-Type"] == expected
    if expected == "application/json":
        assert reply.body["kind"] == "APIGroupList" and "ETag" not in reply.headers
    else:
        assert reply.body["apiVersion"] == "apidiscovery.k8s.io/" + expected.split(";v=")[1].split(";")[0]


@pytest.mark.parametrize("accept, status, content_type", [
    ("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", 200, "application/json"),
    # Any clause that asks for a served aggregated version wins, wherever it stands.
    (f"application/json,{AGGREGATED_V2}", 200, AGGREGATED_V2),
    (f"{AGGREGATED_V2};q=0,application/json", 200, "application/json"),
    ("*/*", 200, "application/json"),
    (AGGREGATED_V2BETA1, 406, "application/json"),
    ("application/yaml", 406, "application/json"),
])
def test_discovery_content_negotiation(kube_standin_factory, accept, status, content_type):
    kube = kube_standin_factory([BASIC])  # Kubernetes 1.33: v2 only

    reply = get(kube, "/apis", accept=accept)

    assert (reply.status, reply.headers["Content-Type"]) == (status, content_type)
    if status == 406:
        assert reply.body["reason"] == "NotAcceptable"


def test_the_python_client_reads_legacy_discovery(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1beta1", "v1beta2"]})
    DynamicClient(api_client(kube)).resources.get(api_version=f"{WIRING}/v1beta2", kind="Switch")

    # The kubernetes client asks for plain JSON: the legacy documents, group version by group version.
    assert kube.requests.count(verb="get", path="/apis") == 1
    assert kube.requests.count(verb="get", path=f"/apis/{WIRING}/v1beta2") == 1


def client_get(client, path: str, accept: str | None = None):
    """A GET through the kubernetes ApiClient itself (its auth, TLS and retries), as a reader would send it."""
    headers = {"Accept": accept} if accept else None
    request = client.param_serialize(method="GET", resource_path=path, header_params=headers,
                                     auth_settings=["BearerToken"])
    response = client.call_api(*request)
    response.read()
    content_type = response.getheader("Content-Type")
    body = json.loads(response.data) if content_type.startswith("application/json") else response.data.decode()
    return response.status, content_type, body


def test_the_api_client_reads_both_discovery_forms(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1beta1", "v1beta2"], GATEWAY: []})
    client = api_client(kube)

    _status, aggregated_type, aggregated = client_get(client, "/apis", AGGREGATED_ACCEPT)
    _status, legacy_type, legacy = client_get(client, "/apis", "application/json")
    _status, _type, group = client_get(client, f"/apis/{WIRING}", "application/json")
    missing = client_get(client, f"/apis/{GATEWAY}", "application/json")

    assert (aggregated_type, aggregated["kind"]) == (AGGREGATED_V2, "APIGroupDiscoveryList")
    assert (legacy_type, legacy["kind"]) == ("application/json", "APIGroupList")
    wiring = next(i for i in aggregated["items"] if i["metadata"]["name"] == WIRING)
    assert [v["version"] for v in wiring["versions"]] == ["v1beta2", "v1beta1"]
    assert group["preferredVersion"]["version"] == "v1beta2"
    assert missing == (404, "text/plain; charset=utf-8", NOT_FOUND_PAGE)


# -- kubectl ------------------------------------------------------------------------------------------


@needs_kubectl
def test_kubectl_uses_aggregated_discovery_and_the_preferred_version(kube_standin_factory):
    kube = kube_standin_factory([BASIC], groups={WIRING: ["v1beta1", "v1beta2"]})

    preferred = kubectl(kube, "get", "switches", "-n", "lab", "-o", "yaml")
    older = kubectl(kube, "get", f"switches.v1beta1.{WIRING}", "-n", "lab", "-o", "yaml")
    versions = kubectl(kube, "api-versions")

    assert preferred.returncode == 0 and older.returncode == 0 and versions.returncode == 0, preferred.stderr
    assert {i["apiVersion"] for i in yaml.safe_load(preferred.stdout)["items"]} == {f"{WIRING}/v1beta2"}
    assert {i["apiVersion"] for i in yaml.safe_load(older.stdout)["items"]} == {f"{WIRING}/v1beta1"}
    assert {f"{WIRING}/v1beta1", f"{WIRING}/v1beta2"} <= set(versions.stdout.split())
    # The aggregated document told kubectl everything: it never asked for a group version's list.
    assert kube.requests.count(verb="get", path_prefix=f"/apis/{WIRING}/") == 0


@needs_kubectl
def test_kubectl_falls_back_to_legacy_discovery(kube_standin_factory):
    kube = kube_standin_factory([BASIC], aggregated_discovery=())

    result = kubectl(kube, "get", "switches", "-A", "-o", "name")

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 5
    assert kube.requests.count(verb="get", path=f"/apis/{WIRING}/v1beta1") == 1


@needs_kubectl
def test_kubectl_on_a_forbidden_and_a_missing_kind(kube_standin_factory):
    kube = kube_standin_factory([BASIC], forbidden={"Agent"}, groups={GATEWAY: []})

    forbidden = kubectl(kube, "get", "agents")
    missing = kubectl(kube, "get", "gateways")
    resources_listed = kubectl(kube, "api-resources", "--api-group", AGENT, "-o", "name")

    assert forbidden.returncode != 0 and "Forbidden" in forbidden.stderr
    assert f'User "{READER_USER}" cannot list resource "agents"' in forbidden.stderr
    assert missing.returncode != 0 and 'the server doesn\'t have a resource type "gateways"' in missing.stderr
    assert f"agents.{AGENT}" in resources_listed.stdout.split()


# -- each release's API -------------------------------------------------------------------------------

EXPECTED_GROUPS = {
    "pre-beta-1": {f"{g}.githedgehog.com": ["v1alpha2"] for g in ("agent", "dhcp", "vpc", "wiring")},
    "24.09": {f"{g}.githedgehog.com": ["v1beta1"] for g in ("agent", "dhcp", "fabricator", "vpc", "wiring")},
}
for _release in ("25.03", "25.05"):
    EXPECTED_GROUPS[_release] = EXPECTED_GROUPS["24.09"]
for _release in ("26.01", "26.03"):
    EXPECTED_GROUPS[_release] = {**EXPECTED_GROUPS["24.09"], GATEWAY: ["v1alpha1"], GWINT: ["v1alpha1"]}


@pytest.mark.parametrize("release", sorted(RELEASE_FIXTURES))
def test_each_release_serves_its_fixture_as_its_api_server_does(kube_release, release):
    kube = kube_release(release)
    dynamic = DynamicClient(api_client(kube))
    stored: dict[tuple[str, str], int] = {}
    for obj in load_fixture_objects([RELEASE_FIXTURES[release]]):
        stored[(obj["apiVersion"], obj["kind"])] = stored.get((obj["apiVersion"], obj["kind"]), 0) + 1

    served = {key: len(dynamic.resources.get(api_version=key[0], kind=key[1]).get().items) for key in stored}
    version = get(kube, "/version").body

    assert legacy_groups(kube) == EXPECTED_GROUPS[release]
    assert served == stored
    assert version["gitVersion"] == releases.release(release).kubernetes
    if release != "pre-beta-1":  # FabNode came with hhfab v0.36 (25.01)
        assert ("fabnodes" in resources(kube, "fabricator.githedgehog.com/v1beta1")) == (release != "24.09")
    expected_aggregated = AGGREGATED_V2 if int(version["minor"]) >= 30 else AGGREGATED_V2BETA1
    assert get(kube, "/apis", accept=AGGREGATED_ACCEPT).headers["Content-Type"] == expected_aggregated


def test_the_experimental_gateway_of_25_05_serves_other_kinds(kube_standin_factory):
    kube = kube_standin_factory([RELEASE_FIXTURES["25.05"]], release="25.05+gateway")
    api = custom_objects(kube)

    peerings = list_error(lambda: api.list_namespaced_custom_object(GATEWAY, "v1alpha1", "default", "gatewaypeerings"))

    assert legacy_groups(kube)[GATEWAY] == ["v1alpha1"] and GWINT not in legacy_groups(kube)
    assert resources(kube, f"{GATEWAY}/v1alpha1") == [
        "gateways", "gateways/status", "peerings", "peerings/status", "vpcinfos", "vpcinfos/status"]
    assert (peerings.status, peerings.body) == (404, NOT_FOUND_PAGE)


# -- the admin endpoint and the process mode ----------------------------------------------------------


def test_admin_endpoint_sets_the_served_api(kube_standin_factory):
    kube = kube_standin_factory([BASIC])

    applied = raw(kube.url, kube.ca_file, "/__standin__/api", kube.token, "POST",
                  body={"release": "24.09", "forbidden": ["Agent"], "groups": {WIRING: ["v1beta1", "v1beta2"]}})
    api = custom_objects(kube)
    listing = list_error(lambda: api.list_namespaced_custom_object(AGENT, "v1beta1", "default", "agents"))
    bad = raw(kube.url, kube.ca_file, "/__standin__/api", kube.token, "POST", body={"group": {}})
    reset = raw(kube.url, kube.ca_file, "/__standin__/api", kube.token, "POST", body={})

    assert applied.status == 200 and applied.body["serverVersion"] == "v1.31.1+k3s1"
    assert applied.body["forbidden"] == ["Agent"] and applied.body["aggregatedVersions"] == ["v2", "v2beta1"]
    assert applied.body["served"][WIRING] == {"v1beta1": applied.body["served"][WIRING]["v1beta1"],
                                              "v1beta2": applied.body["served"][WIRING]["v1beta2"]}
    assert GATEWAY not in applied.body["served"] and listing.status == 403
    assert bad.status == 400 and "unknown API fields" in bad.body["message"]
    assert reset.status == 200 and reset.body["forbidden"] == [] and GATEWAY in reset.body["served"]


def test_process_mode_takes_the_served_api_on_its_command_line(tmp_path, kube_discovery_cache):
    state = tmp_path / "state"
    api_file = tmp_path / "api.yaml"
    api_file.write_text(yaml.safe_dump({"broken": ["Catalog"]}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "testbed.kube_standin", "serve", "--fixtures", str(RELEASE_FIXTURES["25.03"]),
               "--port", "0", "--state-dir", str(state), "--release", "25.03", "--api", str(api_file),
               "--forbidden", "Agent", "--group-versions", f"{WIRING}=v1beta2,v1beta1",
               "--aggregated-discovery", "none"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(state / "ready", process)
        token = (state / "token").read_text().strip()
        url = yaml.safe_load((state / "kubeconfig").read_text())["clusters"][0]["cluster"]["server"]
        described = raw(url, state / "ca.crt", "/__standin__/api", token).body
        apis = raw(url, state / "ca.crt", "/apis", token, accept=AGGREGATED_ACCEPT)
        catalogs = raw(url, state / "ca.crt", f"/apis/{AGENT}/v1beta1/namespaces/default/catalogs", token)
        agents = raw(url, state / "ca.crt", f"/apis/{AGENT}/v1beta1/namespaces/default/agents", token)
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=15)[0].decode()

    assert process.returncode == 0, output
    assert (described["broken"], described["forbidden"]) == (["Catalog"], ["Agent"])
    assert described["serverVersion"] == "v1.32.4+k3s1"
    assert apis.headers["Content-Type"] == "application/json"
    assert [g["versions"] for g in apis.body["groups"] if g["name"] == WIRING][0][0]["version"] == "v1beta2"
    assert (catalogs.status, agents.status) == (404, 403)


def test_the_test_bed_serves_a_release_when_asked(tmp_path):
    from testbed import netbox as testbed

    settings = testbed.Settings.from_env({"HHNBS_HOME": str(tmp_path), "HHNBS_KUBE_RELEASE": "24.09"})
    argv = testbed.KubeStandin(settings).argv()
    plain = testbed.KubeStandin(testbed.Settings.from_env({"HHNBS_HOME": str(tmp_path)})).argv()

    assert settings.kube_fixtures == (RELEASE_FIXTURES["24.09"],)
    assert argv[argv.index("--release") + 1] == "24.09"
    assert argv[argv.index("--fixtures") + 1] == str(RELEASE_FIXTURES["24.09"])
    assert "--release" not in plain and plain[plain.index("--fixtures") + 1].endswith("fixtures/vlab")
