"""The Kubernetes API stand-in, driven by the unmodified clients: kubernetes (CustomObjectsApi,
DynamicClient), kubectl and kubernetes.core.k8s_info.

Each test starts its own stand-in (``kube_standin_factory``) on a free port with the small
fixture set in tests/fixtures/standin/basic: five Switches (three in ``default``, two in ``lab``,
labelled by tier and rack), two VPCs from a typed ``VPCList`` and the fabric ConfigMap.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

kubernetes = pytest.importorskip("kubernetes", reason="the kubernetes client is not installed")
urllib3 = pytest.importorskip("urllib3")
import kubernetes.watch  # noqa: E402

from kubernetes import client as k8s_client  # noqa: E402
from kubernetes import config as k8s_config  # noqa: E402
from kubernetes.client.exceptions import ApiException  # noqa: E402
from kubernetes.dynamic import DynamicClient  # noqa: E402
from kubernetes.dynamic.exceptions import ResourceNotFoundError  # noqa: E402
from testbed.paths import REPO_ROOT, TESTS_DIR
from kube_helpers import (  # noqa: E402
    AGGREGATED_ACCEPT,
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

BASIC = TESTS_DIR / "fixtures" / "standin" / "basic"
WIRING, V1BETA1 = "wiring.githedgehog.com", "v1beta1"
ALL_SWITCHES = {"default/leaf-01", "default/leaf-02", "default/spine-01", "lab/leaf-01", "lab/spine-01"}
TABLE_ACCEPT = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json"
)


# -- helpers ------------------------------------------------------------------


@pytest.fixture
def kube(kube_standin_factory):
    return kube_standin_factory([BASIC])


def list_all_pages(api, limit: int, **kwargs) -> list[dict]:
    pages, token = [], None
    while True:
        page = api.list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=limit, _continue=token, **kwargs)
        pages.append(page)
        token = page["metadata"].get("continue")
        if not token:
            return pages


# -- lists and paging ---------------------------------------------------------------


def test_custom_objects_api_pages_every_object_exactly_once(kube):
    pages = list_all_pages(custom_objects(kube), limit=2)

    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    seen = [f"{i['metadata']['namespace']}/{i['metadata']['name']}" for p in pages for i in p["items"]]
    assert sorted(seen) == sorted(ALL_SWITCHES) and len(seen) == len(set(seen))
    # etcd order: by key "<namespace>/<name>", every page from one snapshot.
    assert seen == sorted(seen)
    assert len({p["metadata"]["resourceVersion"] for p in pages}) == 1
    assert [p["metadata"].get("remainingItemCount") for p in pages] == [3, 1, None]
    assert all(p["kind"] == "SwitchList" and p["apiVersion"] == f"{WIRING}/{V1BETA1}" for p in pages)


def test_namespaced_list_pages_inside_its_namespace(kube):
    api = custom_objects(kube)
    first = api.list_namespaced_custom_object(WIRING, V1BETA1, "lab", "switches", limit=1)
    second = api.list_namespaced_custom_object(WIRING, V1BETA1, "lab", "switches", limit=1,
                                               _continue=first["metadata"]["continue"])

    assert names(first["items"]) | names(second["items"]) == {"lab/leaf-01", "lab/spine-01"}
    assert "continue" not in second["metadata"]


def test_objects_get_server_metadata_and_keep_fixture_values(kube):
    items = custom_objects(kube).list_cluster_custom_object(WIRING, V1BETA1, "switches")["items"]
    by_name = {f"{i['metadata']['namespace']}/{i['metadata']['name']}": i for i in items}

    for item in items:
        meta = item["metadata"]
        assert meta["uid"] and meta["creationTimestamp"].endswith("Z") and meta["generation"] == 1
        assert int(meta["resourceVersion"]) > 0
    assert by_name["lab/leaf-01"]["metadata"]["creationTimestamp"] == "2024-10-17T08:00:00Z"
    assert len({i["metadata"]["resourceVersion"] for i in items}) == len(items)


def test_typed_list_fixture_items_get_kind_and_api_version(kube):
    vpcs = custom_objects(kube).list_namespaced_custom_object("vpc.githedgehog.com", V1BETA1, "default", "vpcs")

    assert names(vpcs["items"]) == {"default/vpc-01", "default/vpc-02"}
    assert {(i["kind"], i["apiVersion"]) for i in vpcs["items"]} == {("VPC", "vpc.githedgehog.com/v1beta1")}


def test_a_continued_list_stays_on_its_snapshot(kube):
    api = custom_objects(kube)
    first = api.list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=2)
    added = kube.store.put({"apiVersion": f"{WIRING}/{V1BETA1}", "kind": "Switch",
                            "metadata": {"name": "zz-new", "namespace": "lab"}, "spec": {"role": "spine"}})
    kube.store.delete("Switch", "lab", "spine-01")

    rest = list_all_pages_from(api, first["metadata"]["continue"])
    fresh = api.list_cluster_custom_object(WIRING, V1BETA1, "switches")

    assert names(first["items"]) | names(rest) == ALL_SWITCHES
    assert names(fresh["items"]) == ALL_SWITCHES - {"lab/spine-01"} | {"lab/zz-new"}
    assert int(added["metadata"]["resourceVersion"]) > int(first["metadata"]["resourceVersion"])
    assert fresh["metadata"]["resourceVersion"] == str(kube.store.revision)


def list_all_pages_from(api, token) -> list[dict]:
    items = []
    while token:
        page = api.list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=2, _continue=token)
        items += page["items"]
        token = page["metadata"].get("continue")
    return items


def test_stale_continue_token_is_410_expired_with_an_inconsistent_token(kube):
    api = custom_objects(kube)
    first = api.list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=2)
    kube.store.bump()
    kube.store.compact()

    with pytest.raises(ApiException) as caught:
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=2, _continue=first["metadata"]["continue"])

    status = json.loads(caught.value.body)
    assert caught.value.status == 410
    assert (status["kind"], status["status"], status["reason"], status["code"]) == ("Status", "Failure", "Expired", 410)
    assert "continue parameter is too old" in status["message"]
    # The real server hands back a token that continues on the newest revision.
    rest = list_all_pages_from(api, status["metadata"]["continue"])
    assert names(first["items"]) | names(rest) == ALL_SWITCHES


def test_malformed_continue_token_is_400_like_the_real_server(kube):
    with pytest.raises(ApiException) as caught:
        custom_objects(kube).list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=2, _continue="not-a-token")

    status = json.loads(caught.value.body)
    assert caught.value.status == 400 and status["reason"] == "BadRequest"
    assert status["message"].startswith("invalid continue token: continue key is not valid")


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("tier=leaf", {"default/leaf-01", "default/leaf-02", "lab/leaf-01"}),
        ("tier==spine", {"default/spine-01", "lab/spine-01"}),
        ("tier!=leaf", {"default/spine-01", "lab/spine-01"}),
        ("rack in (r1, r3)", {"default/leaf-01", "default/leaf-02", "lab/leaf-01"}),
        ("rack notin (r1)", {"default/spine-01", "lab/leaf-01", "lab/spine-01"}),
        ("rack", ALL_SWITCHES - {"lab/spine-01"}),
        ("!rack", {"lab/spine-01"}),
        ("switchgroup.fabric.githedgehog.com/eslag-1=true,tier=leaf", {"default/leaf-01", "default/leaf-02"}),
        ("tier=leaf,rack!=r1", {"lab/leaf-01"}),
    ],
)
def test_label_selectors_filter(kube, selector, expected):
    found = custom_objects(kube).list_cluster_custom_object(WIRING, V1BETA1, "switches", label_selector=selector)

    assert names(found["items"]) == expected


@pytest.mark.parametrize(
    "selector, expected",
    [
        ("metadata.name=leaf-01", {"default/leaf-01", "lab/leaf-01"}),
        ("metadata.namespace!=default", {"lab/leaf-01", "lab/spine-01"}),
        ("metadata.name==spine-01,metadata.namespace=lab", {"lab/spine-01"}),
    ],
)
def test_field_selectors_filter(kube, selector, expected):
    found = custom_objects(kube).list_cluster_custom_object(WIRING, V1BETA1, "switches", field_selector=selector)

    assert names(found["items"]) == expected


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"label_selector": "tier in leaf"}, "unable to parse requirement"),
        ({"label_selector": "tier=a b"}, "found 'b', expected: ',' or 'end of string'"),
        ({"field_selector": "spec.role=spine"}, "field label not supported: spec.role"),
    ],
)
def test_bad_selectors_are_400(kube, kwargs, message):
    with pytest.raises(ApiException) as caught:
        custom_objects(kube).list_cluster_custom_object(WIRING, V1BETA1, "switches", **kwargs)

    assert caught.value.status == 400 and message in json.loads(caught.value.body)["message"]


def test_a_selected_page_can_be_followed_by_an_empty_last_page(kube):
    # etcd3 reports "more" when any key follows a full page, matching or not.
    pages = list_all_pages(custom_objects(kube), limit=3, label_selector="tier=leaf")

    assert [len(p["items"]) for p in pages] == [3, 0]
    assert all("remainingItemCount" not in p["metadata"] for p in pages)


# -- get, discovery and the dynamic client ----------------------------------------------


def test_dynamic_client_discovers_kinds_and_gets_objects(kube):
    dynamic = DynamicClient(api_client(kube))
    switches = dynamic.resources.get(api_version=f"{WIRING}/{V1BETA1}", kind="Switch")

    listed = switches.get()
    one = switches.get(name="leaf-02", namespace="default")
    config_map = dynamic.resources.get(api_version="v1", kind="ConfigMap").get(
        name="fabric-ctrl-config", namespace="fab")

    assert switches.namespaced and switches.short_names == ["sw"]
    assert listed.kind == "SwitchList" and {i.metadata.name for i in listed.items} == {"leaf-01", "leaf-02", "spine-01"}
    assert one.spec.asn == 65102
    assert "spineASN: 65100" in config_map.data["config.yaml"]
    assert dynamic.resources.get(short_names=["sw"]).kind == "Switch"


def test_discovery_documents(kube):
    kube.update_api(aggregated_discovery=())  # a server without aggregated discovery (before 1.27)
    reply = get(kube, "/apis", accept=AGGREGATED_ACCEPT)
    groups = reply.body
    wiring = get(kube, f"/apis/{WIRING}/{V1BETA1}").body
    core = get(kube, "/api/v1").body
    namespaces = get(kube, "/api/v1/namespaces").body

    # Without aggregated discovery the server answers plain JSON, and clients fall back.
    assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
    assert groups["kind"] == "APIGroupList"
    served = {g["name"]: g["preferredVersion"]["version"] for g in groups["groups"]}
    assert served == {
        "agent.githedgehog.com": "v1beta1", "dhcp.githedgehog.com": "v1beta1",
        "fabricator.githedgehog.com": "v1beta1", "gateway.githedgehog.com": "v1alpha1",
        "gwint.githedgehog.com": "v1alpha1", "vpc.githedgehog.com": "v1beta1", WIRING: "v1beta1",
    }
    switch = next(r for r in wiring["resources"] if r["name"] == "switches")
    assert switch == {"name": "switches", "singularName": "switch", "namespaced": True, "kind": "Switch",
                      "verbs": ["get", "list", "watch"], "shortNames": ["sw"]}
    assert {r["name"] for r in core["resources"]} >= {"namespaces", "configmaps"}
    assert names(namespaces["items"]) == {"default", "fab", "kube-system", "lab"}


def test_table_output_for_kubectl(kube):
    table = get(kube, f"/apis/{WIRING}/{V1BETA1}/namespaces/lab/switches?limit=1", accept=TABLE_ACCEPT).body

    assert (table["kind"], table["apiVersion"]) == ("Table", "meta.k8s.io/v1")
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert table["rows"][0]["cells"][0] == "leaf-01" and table["rows"][0]["cells"][1].endswith("d")
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["metadata"]["continue"]


def test_unknown_name_is_404_not_found_status(kube):
    with pytest.raises(ApiException) as caught:
        custom_objects(kube).get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "leaf-99")

    assert caught.value.status == 404
    assert json.loads(caught.value.body) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'switches.wiring.githedgehog.com "leaf-99" not found', "reason": "NotFound",
        "details": {"name": "leaf-99", "group": WIRING, "kind": "switches"}, "code": 404,
    }


def test_unknown_kind_group_or_version_is_404(kube):
    api = custom_objects(kube)
    for group, version, plural in [(WIRING, V1BETA1, "widgets"), ("nope.example.com", "v1", "things"),
                                   (WIRING, "v1alpha2", "switches")]:
        with pytest.raises(ApiException) as caught:
            api.list_namespaced_custom_object(group, version, "default", plural)
        # Paths nothing serves get Go's plain-text 404, as from the real server.
        assert caught.value.status == 404 and caught.value.body == "404 page not found\n"


def test_not_installed_kind_is_404_and_missing_from_discovery(kube_standin_factory):
    kube = kube_standin_factory([BASIC], not_installed={"GatewayAgent", "Catalog"})
    dynamic = DynamicClient(api_client(kube))

    with pytest.raises(ApiException) as caught:
        custom_objects(kube).list_namespaced_custom_object("gwint.githedgehog.com", "v1alpha1", "default",
                                                           "gatewayagents")
    groups = get(kube, "/apis").body
    agent = get(kube, "/apis/agent.githedgehog.com/v1beta1").body

    assert caught.value.status == 404
    assert "gwint.githedgehog.com" not in {g["name"] for g in groups["groups"]}
    assert {r["name"] for r in agent["resources"]} == {"agents", "agents/status"}
    with pytest.raises(ResourceNotFoundError):
        dynamic.resources.get(api_version="gwint.githedgehog.com/v1alpha1", kind="GatewayAgent")


def test_watch_streams_changes_to_the_python_client(kube):
    api = custom_objects(kube)
    listed = api.list_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", label_selector="tier=leaf")

    def change():
        kube.store.put({"apiVersion": f"{WIRING}/{V1BETA1}", "kind": "Switch",
                        "metadata": {"name": "leaf-09", "labels": {"tier": "leaf"}}})
        kube.store.put({"apiVersion": f"{WIRING}/{V1BETA1}", "kind": "Switch", "metadata": {"name": "other"}})
        kube.store.delete("Switch", "default", "leaf-02")
        # The last change: the watch ends at it, having seen all before.
        kube.store.put({"apiVersion": f"{WIRING}/{V1BETA1}", "kind": "Switch",
                        "metadata": {"name": "leaf-10", "labels": {"tier": "leaf"}}})

    def start_watch(watch, timeout):
        return watch.stream(api.list_namespaced_custom_object, WIRING, V1BETA1, "default", "switches",
                            label_selector="tier=leaf", resource_version=listed["metadata"]["resourceVersion"],
                            timeout_seconds=timeout)

    events = watch_events(kube, start_watch, change, last=lambda e: e["object"]["metadata"]["name"] == "leaf-10")

    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "leaf-09"), ("DELETED", "leaf-02"), ("ADDED", "leaf-10")]


def test_watch_from_a_compacted_revision_is_410(kube):
    api = custom_objects(kube)
    old = api.list_cluster_custom_object(WIRING, V1BETA1, "switches")["metadata"]["resourceVersion"]
    kube.store.bump()
    kube.store.compact()

    with pytest.raises(ApiException) as caught:
        list(kubernetes.watch.Watch().stream(api.list_cluster_custom_object, WIRING, V1BETA1, "switches",
                                             resource_version=old, timeout_seconds=2))

    assert caught.value.status == 410 and "too old resource version" in caught.value.reason


def test_discovery_cache_is_the_tests_own(kube, kube_discovery_cache):
    DynamicClient(api_client(kube))

    assert list(kube_discovery_cache.glob("osrcp-*.json"))


def test_vlab_fixtures_are_served_kind_by_kind(kube_vlab):
    dynamic = DynamicClient(api_client(kube_vlab))
    stored: dict[tuple[str, str], int] = {}
    for obj in kube_vlab.store.objects():
        stored[(obj["apiVersion"], obj["kind"])] = stored.get((obj["apiVersion"], obj["kind"]), 0) + 1

    served = {key: len(dynamic.resources.get(api_version=key[0], kind=key[1]).get().items) for key in stored}

    assert served == stored and served[("wiring.githedgehog.com/v1beta1", "Switch")] == 5


# -- authentication -------------------------------------------------------------------


@pytest.mark.parametrize("token", ["wrong-token", None])
def test_bad_or_missing_token_is_401(kube, token):
    reply = get(kube, f"/apis/{WIRING}/{V1BETA1}/switches", token=token)
    with pytest.raises(ApiException) as caught:
        custom_objects(kube, token="wrong-token").list_cluster_custom_object(WIRING, V1BETA1, "switches")

    assert reply.status == 401 and caught.value.status == 401
    assert reply.body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                          "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_forbidden_token_is_403_on_resources_but_may_discover(kube):
    with pytest.raises(ApiException) as caught:
        custom_objects(kube, token=kube.forbidden_token).list_namespaced_custom_object(
            WIRING, V1BETA1, "default", "switches")
    discovery = get(kube, "/apis", token=kube.forbidden_token)

    body = json.loads(caught.value.body)
    assert caught.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"].startswith("switches.wiring.githedgehog.com is forbidden: User ")
    assert 'cannot list resource "switches" in API group "wiring.githedgehog.com" in the namespace "default"' in body["message"]
    assert discovery.status == 200  # system:discovery is open to every authenticated user


# -- changing the source -----------------------------------------------------------------


def test_put_delete_and_reload_change_what_is_served(kube, tmp_path):
    api = custom_objects(kube)
    before = api.get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "spine-01")
    changed = dict(before, spec={**before["spec"], "description": "moved"})
    kube.store.put(changed)
    after = api.get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "spine-01")
    kube.store.delete("Switch", "default", "leaf-02")
    revision = kube.store.revision
    kube.reload()  # back to the fixture files
    reloaded = api.get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "spine-01")
    kube.reload()  # nothing changed: nothing written

    assert after["spec"]["description"] == "moved"
    assert int(after["metadata"]["resourceVersion"]) > int(before["metadata"]["resourceVersion"])
    assert after["metadata"]["generation"] == 2 and after["metadata"]["uid"] == before["metadata"]["uid"]
    assert reloaded["spec"]["description"] == "VS-04" and kube.store.revision == revision + 2
    assert names(api.list_cluster_custom_object(WIRING, V1BETA1, "switches")["items"]) == ALL_SWITCHES


# -- fault switches ------------------------------------------------------------------------


def test_latency_is_added_to_each_request(kube):
    api = custom_objects(kube)
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")  # connection and TLS set up
    kube.faults.set_latency(0.3)

    started = time.monotonic()
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")

    assert time.monotonic() - started >= 0.6


@pytest.mark.parametrize("code, reason", [(503, "ServiceUnavailable"), (504, "Timeout")])
def test_an_error_on_the_nth_request_reaches_the_client(kube, code, reason):
    api = custom_objects(kube)
    kube.faults.fail(code, nth=2)

    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    with pytest.raises(ApiException) as caught:
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")

    assert caught.value.status == code
    assert json.loads(caught.value.body)["reason"] == reason


def test_a_429_with_retry_after_is_retried_by_urllib3_itself(kube):
    api = custom_objects(kube)
    kube.faults.fail(429, nth=1)  # sent with Retry-After: 1, as the priority and fairness filter does

    started = time.monotonic()
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")

    assert kube.requests.count(verb="list") == 2 and time.monotonic() - started >= 1.0
    kube.faults.fail(429)
    reply = get(kube, f"/apis/{WIRING}/{V1BETA1}/switches")
    assert reply.status == 429 and reply.headers["Retry-After"] == "1" and reply.body["reason"] == "TooManyRequests"


def test_a_burst_of_500s(kube):
    api = custom_objects(kube)
    kube.faults.fail(500, nth=2, count=3, verb="list")

    outcomes = [list_status(api) for attempt in range(6)]

    assert outcomes == [200, 500, 500, 500, 200, 200]


def list_status(api) -> int:
    try:
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    except ApiException as err:
        return err.status
    return 200


def test_dropped_connection_is_retried_once_and_a_burst_raises(kube):
    api = custom_objects(kube)
    kube.faults.drop(nth=1)
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    # urllib3 retried the idempotent GET on its own: the server saw it twice.
    assert kube.requests.count(verb="list") == 2

    kube.faults.drop(nth=1, count=0)  # every request from now on
    with pytest.raises(urllib3.exceptions.MaxRetryError) as caught:
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    assert isinstance(caught.value.reason, urllib3.exceptions.ProtocolError)


def test_truncated_page_fails_in_the_client(kube):
    api = custom_objects(kube)
    kube.faults.truncate(nth=1)  # Content-Length larger than the body, then close
    with pytest.raises(urllib3.exceptions.ProtocolError, match="IncompleteRead"):
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches")

    kube.faults.truncate(nth=1, mode="cut-json")  # a clean HTTP response with half a JSON body
    with pytest.raises(ValueError):
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    assert [r["fired"] for r in kube.faults.snapshot()["rules"]] == [1, 1]


def test_truncation_counts_list_requests_only(kube):
    api = custom_objects(kube)
    kube.faults.truncate(nth=2, mode="cut-json")
    api.get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "leaf-01")
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    api.get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "leaf-01")

    with pytest.raises(ValueError):
        api.list_cluster_custom_object(WIRING, V1BETA1, "switches")


def test_request_counters(kube):
    api = custom_objects(kube)
    api.list_cluster_custom_object(WIRING, V1BETA1, "switches", limit=2)
    api.get_namespaced_custom_object(WIRING, V1BETA1, "default", "switches", "leaf-01")

    assert kube.requests.count(verb="list", path=f"/apis/{WIRING}/{V1BETA1}/switches") == 1
    assert kube.requests.count(verb="get") == 1 and kube.requests.total == 2
    kube.requests.reset()
    assert kube.requests.total == 0


def test_admin_endpoint_sets_faults_and_reads_counters(kube):
    url, ca, token = kube.url, kube.ca_file, kube.token
    rules = {"rules": [{"action": "error", "status": 503, "nth": 1, "verb": "list"}]}
    configured = raw(url, ca, "/__standin__/faults", token, "POST", body=rules)
    listed = raw(url, ca, f"/apis/{WIRING}/{V1BETA1}/switches", token)
    counters = raw(url, ca, "/__standin__/requests", token).body
    unauthorized = raw(url, ca, "/__standin__/requests", "wrong")
    raw(url, ca, "/__standin__/requests/reset", token, "POST")
    after_reset = raw(url, ca, "/__standin__/requests", token).body

    assert configured.status == 200 and configured.body["rules"][0]["action"] == "error"
    assert listed.status == 503 and unauthorized.status == 401
    assert counters["requests"] == [{"verb": "list", "path": f"/apis/{WIRING}/{V1BETA1}/switches", "count": 1}]
    assert after_reset["total"] == 0


# -- process mode -------------------------------------------------------------------------


def test_process_mode_serves_until_sigterm(tmp_path, kube_discovery_cache):
    state = tmp_path / "state"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "testbed.kube_standin", "serve", "--fixtures", str(BASIC),
               "--host", "127.0.0.1", "--port", "0", "--state-dir", str(state), "--token", "process-token"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(state / "ready", process)
        kubeconfig = yaml.safe_load((state / "kubeconfig").read_text())
        url = kubeconfig["clusters"][0]["cluster"]["server"]
        api = k8s_client.CustomObjectsApi(k8s_config.new_client_from_config(str(state / "kubeconfig")))
        listed = api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
        raw(url, state / "ca.crt", "/__standin__/faults", "process-token", "POST",
            body={"rules": [{"action": "error", "status": 503}]})
        with pytest.raises(ApiException) as caught:
            api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
        (state / "extra").mkdir()
        (state / "extra" / "one.yaml").write_text(yaml.safe_dump(
            {"apiVersion": f"{WIRING}/{V1BETA1}", "kind": "Switch", "metadata": {"name": "solo"}}))
        reloaded_state = raw(url, state / "ca.crt", "/__standin__/reload", "process-token", "POST",
                             body={"fixtures": [str(state / "extra")]})
        reloaded = api.list_cluster_custom_object(WIRING, V1BETA1, "switches")
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=15)[0].decode()

    assert process.returncode == 0, output
    assert urlsplit(url).port > 0 and (state / "token").read_text().strip() == "process-token"
    assert names(listed["items"]) == ALL_SWITCHES and caught.value.status == 503
    assert reloaded_state.status == 200 and names(reloaded["items"]) == {"default/solo"}
    assert not (state / "ready").exists()


# -- kubectl --------------------------------------------------------------------------------

@needs_kubectl
def test_kubectl_get_switches_as_a_table(kube):
    result = kubectl(kube, "get", "switches")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "AGE"]
    assert [line.split()[0] for line in lines[1:]] == ["leaf-01", "leaf-02", "spine-01"]


@needs_kubectl
def test_kubectl_get_yaml_with_a_label_selector(kube):
    result = kubectl(kube, "get", "sw", "-A", "-l", "tier=leaf,rack in (r1,r3)", "-o", "yaml")

    assert result.returncode == 0, result.stderr
    listed = yaml.safe_load(result.stdout)
    assert listed["kind"] == "List" and names(listed["items"]) == {"default/leaf-01", "default/leaf-02", "lab/leaf-01"}


@needs_kubectl
def test_kubectl_chunked_listing(kube):
    result = kubectl(kube, "get", "switches", "--all-namespaces", "--chunk-size=2", "-o", "name")

    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) == 5
    assert kube.requests.count(verb="list", path=f"/apis/{WIRING}/{V1BETA1}/switches") == 3


@needs_kubectl
def test_kubectl_with_the_forbidden_token(kube):
    result = kubectl(kube, "get", "switches", context="hedgehog-standin-forbidden")

    assert result.returncode != 0
    assert "Forbidden" in result.stderr and 'cannot list resource "switches"' in result.stderr


# -- kubernetes.core.k8s_info --------------------------------------------------------------------


def ansible_with_kubernetes_core():
    """(ansible executable, collections path, python) or a reason why they are not there."""
    home = Path(os.environ.get("HHNBS_HOME") or Path.home() / ".cache" / "hedgehog-netbox-sync")
    tools = Path(os.environ.get("HHNBS_TOOLS_VENV") or home / "venv-tools")
    candidates = [tools / "bin" / "ansible", Path(sys.executable).parent / "ansible", shutil.which("ansible")]
    ansible = next((Path(c) for c in candidates if c and Path(c).exists()), None)
    if ansible is None:
        return "ansible is not installed (scripts/setup installs it into the tools venv)"
    roots = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    roots += [str(REPO_ROOT / ".ansible" / "collections"), os.environ.get("HHNBS_COLLECTIONS") or str(home / "collections"),
              str(Path.home() / ".ansible" / "collections")]
    found = [r for r in roots if (Path(r) / "ansible_collections" / "kubernetes" / "core").is_dir()]
    if not found:
        return "kubernetes.core is not installed (scripts/setup puts it under .ansible/collections)"
    return ansible, os.pathsep.join(found), ansible.parent / "python"


def test_kubernetes_core_k8s_info(kube):
    setup = ansible_with_kubernetes_core()
    if isinstance(setup, str):
        pytest.skip(setup)
    ansible, collections, python = setup
    args = (f"kind=Switch api_version={WIRING}/{V1BETA1} namespace=default "
            f"kubeconfig={kube.kubeconfig_path} label_selectors=tier=leaf")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    command = [str(ansible), "localhost", "-m", "kubernetes.core.k8s_info", "-a", args,
               "-e", f"ansible_python_interpreter={python}"]

    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    payload = json.loads(result.stdout.split("=>", 1)[1])
    assert payload["api_found"] is True
    assert names(payload["resources"]) == {"default/leaf-01", "default/leaf-02"}
