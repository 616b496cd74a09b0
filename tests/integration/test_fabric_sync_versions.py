"""Every Hedgehog release, and APIs this collection does not know, against the real NetBox.

The Kubernetes stand-in serves discovery as a real API server does (legacy and aggregated, per
group and version, 403s, kinds whose CRD is gone, groups not installed, each release's API); the
engine reads each kind at the newest version it knows. What it cannot read is never read as
empty: nothing NetBox holds of it, or derived from it, is deleted, cleared or rewritten, and the
rest of the fabric syncs.
"""

from __future__ import annotations

import pytest

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import KubernetesAPIError

WIRING, VPC = "wiring.githedgehog.com", "vpc.githedgehog.com"
GATEWAY, GWINT = "gateway.githedgehog.com", "gwint.githedgehog.com"
VPC_KINDS = "IPv4Namespace, VPC, VPCAttachment, VPCPeering, External, ExternalAttachment, ExternalPeering"
GATEWAY_KINDS = "Gateway, GatewayGroup, GatewayPeering"
VLAB_GATEWAY = h.FIXTURES / "vlab-gateway"
# Releases since Beta-1 with a fixture of their own (tests/fixtures/release-*).
RELEASES = ("24.09", "25.03", "25.05", "26.01", "26.03")


def _without_server(kube, number):
    """The fabric minus one server, its connection and its VPC attachment (readable to this collection or not)."""
    connection = next(o["metadata"]["name"] for o in h.fixture_objects("Connection")
                      if o["metadata"]["name"].startswith("server-%02d--" % number))
    for attachment in h.fixture_objects("VPCAttachment"):
        if attachment["spec"]["connection"] == connection:
            h.standin_delete(kube, "VPCAttachment", attachment["metadata"]["name"])
    h.standin_delete(kube, "Connection", connection)
    h.standin_delete(kube, "Server", "server-%02d" % number)
    return connection


def _source_problem(result):
    found = [p for p in result["problems"] if p["kind"] == "source"]
    assert len(found) == 1, result["problems"]
    return found[0]


# -- every release ------------------------------------------------------------------------------------


@pytest.mark.parametrize("release", RELEASES)
def test_every_release_since_beta_1_syncs_and_resyncs_with_zero_writes(fresh_netbox, kube_release, release):
    kube = kube_release(release)

    first, _run = h.sync(h.config_for(fresh_netbox, kube, fabric="rel"))

    assert first["result"] == "success", first["warnings"]
    assert first["source"]["incomplete"] == {}
    # A device per switch, server, gateway and control node.
    assert first["summary"]["device"]["create"] == first["source"]["objects"]["Switch"] + \
        first["source"]["objects"]["Server"] + first["source"]["objects"].get("Gateway", 0) + \
        first["source"]["objects"].get("ControlNode", 0)
    assert h.owned_counts(fresh_netbox, "rel")["cable"] == first["summary"]["cable"]["create"]
    again, _run = h.sync(h.config_for(fresh_netbox, kube, fabric="rel"))
    assert again["result"] == "success", again["warnings"]
    assert again["requests"]["netbox"]["writes"] == 0, h.write_ops(again)


def test_a_release_before_beta_1_is_refused_with_nothing_written(netbox, kube_release):
    kube = kube_release("pre-beta-1")
    config = h.config_for(netbox, kube)
    client = h.client_for(config)
    before = h.change_count(netbox)

    with pytest.raises(KubernetesAPIError) as caught:
        h.sync(config, client=client)

    assert str(caught.value) == (
        "fabric vlab: the Kubernetes API serves %s only at v1alpha2, and this collection reads v1beta1: a Hedgehog "
        "release it does not support; nothing was written" % WIRING)
    assert caught.value.details["group"] == WIRING and caught.value.details["known_versions"] == ["v1beta1"]
    assert client.request_counts()["total"] == 0
    assert h.change_count(netbox) == before


# -- groups at versions this collection does not know -----------------------------------------------------


@pytest.mark.parametrize("version, discovery", [("v1beta2", None), ("v1alpha2", None), ("v1beta2", ())],
                         ids=["v1beta2", "v1alpha2", "v1beta2-legacy-discovery"])
def test_the_vpc_group_at_an_unknown_version_loses_nothing_and_a_removed_server_still_goes(
        vlab_nb, kube_standin_factory, version, discovery):
    kube = kube_standin_factory([h.VLAB], groups={VPC: [version]}, aggregated_discovery=discovery)
    _without_server(kube, 3)
    before = h.fabric_rows(vlab_nb, "vlab")

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert result["result"] == "partial"
    assert result["source"]["api"][VPC] == {"served": [version], "read": None}
    problem = _source_problem(result)
    assert (problem["name"], problem["cause"]) == (VPC_KINDS, (
        "the Kubernetes API serves %s only at %s, and this collection reads v1beta1: a Hedgehog release it does "
        "not support" % (VPC, version)))
    # The server that left goes with its port and cable; every VRF, VLAN, prefix and port VLAN stays.
    assert h.write_ops(result) == {"device": {"delete": 1}, "cable": {"delete": 1}}
    after = h.fabric_rows(vlab_nb, "vlab")
    # leaf-01 E1/3 loses only the cable that went; its VLAN stays.
    assert h.rows_diff(before, after) == {
        "removed": ["dcim/cables: server-03--unbundled--leaf-01", "dcim/devices: server-03",
                    "dcim/interfaces: server-03 enp2s1"], "added": [],
        "changed": ["dcim/interfaces: leaf-01 E1/3 (cable)"]}
    # Every VLAN of every port and LAG, every VRF (the IPv4Namespace's too), VLAN and prefix: held, and said so.
    held = h.problems_of(result, "held", VPC_KINDS)
    assert len(held) == 1 and held[0].startswith("40 change(s) held as NetBox has them while it cannot be used: "
                                                 "LAG leaf-01 PortChannel1 (mode, tagged_vlans); "), held
    again, _run = h.sync(h.config_for(vlab_nb, kube))
    assert again["requests"]["netbox"]["writes"] == 0
    assert again["warnings"] == result["warnings"]


def test_the_gateway_group_at_an_unknown_version_loses_nothing(fresh_netbox, kube_standin_factory):
    kube = kube_standin_factory([VLAB_GATEWAY])
    synced, _run = h.sync(h.config_for(fresh_netbox, kube))
    assert synced["result"] == "success", synced["warnings"]
    peered = [v for v in h.api_list(fresh_netbox, "ipam/vrfs", cf_hedgehog_fabric="vlab")
              if v["custom_fields"]["hedgehog_peerings"]]
    assert sorted(v["name"] for v in peered) == ["ext.ext-bgp-01", "vpc-01", "vpc-02", "vpc-03", "vpc-04", "vpc-05"]
    before = h.fabric_rows(fresh_netbox, "vlab")
    kube.update_api(groups={GATEWAY: ["v1"], GWINT: ["v1"]})

    result, _run = h.sync(h.config_for(fresh_netbox, kube))

    assert result["result"] == "partial"
    # The gateway agents (gwint) are a group of their own: one problem per cause.
    assert sorted((p["name"], p["cause"]) for p in result["problems"] if p["kind"] == "source") == [
        (GATEWAY_KINDS, "the Kubernetes API serves %s only at v1, and this collection reads v1alpha1: a Hedgehog "
         "release it does not support" % GATEWAY),
        ("GatewayAgent", "the Kubernetes API serves %s only at v1, and this collection reads v1alpha1: a Hedgehog "
         "release it does not support" % GWINT)]
    assert h.write_ops(result) == {}
    assert h.fabric_rows(fresh_netbox, "vlab") == before
    assert result["summary"]["device"]["kept"] == 2  # gateway-1 and gateway-2
    # The gateway links are held with their gateways, quietly: no problem of their own, only what they hold.
    assert sorted((p["kind"], p["name"]) for p in result["problems"]) == [
        ("held", "Connection spine-0%d--gateway--gateway-%d" % pair) for pair in ((1, 1), (1, 2), (2, 1), (2, 2))] + [
        ("held", GATEWAY_KINDS), ("source", GATEWAY_KINDS), ("source", "GatewayAgent")], result["problems"]


# -- a 403, a kind whose CRD is gone, a group that is not installed ---------------------------------------


def test_a_forbidden_optional_kind_is_incomplete_with_a_warning_and_the_rest_syncs(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB], forbidden={"Agent"})
    server = h.standin_object(kube, "Server", "server-05")
    server["spec"]["description"] = "S-05 renamed"
    kube.store.put(server)
    agents_before = dict((d["name"], d) for d in h.api_list(vlab_nb, "dcim/devices", cf_hedgehog_fabric="vlab",
                                                            role="server-leaf", fields="name,status,custom_fields"))

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert result["result"] == "partial"
    assert result["source"]["incomplete"] == {"Agent": (
        "the Kubernetes API forbids listing (HTTP 403) at /apis/agent.githedgehog.com/v1beta1/namespaces/default/"
        "agents: the account needs get/list on Hedgehog kinds")}
    # The warning a person reads says which kind, what the API answered and which right is missing.
    warning = _source_problem(result)
    assert warning["name"] == "Agent" and warning["cause"] == result["source"]["incomplete"]["Agent"], warning
    assert h.write_ops(result) == {"device": {"update": 1}}
    assert h.api_list(vlab_nb, "dcim/devices", name="server-05")[0]["description"] == "S-05 renamed"
    agents_after = dict((d["name"], d) for d in h.api_list(vlab_nb, "dcim/devices", cf_hedgehog_fabric="vlab",
                                                           role="server-leaf", fields="name,status,custom_fields"))
    assert agents_after == agents_before
    assert agents_after["leaf-01"]["custom_fields"]["hedgehog_agent_version"]


def test_a_kind_discovery_serves_that_answers_404_is_incomplete_not_empty(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB], broken={"Catalog"}, aggregated_discovery=())
    before = h.fabric_rows(vlab_nb, "vlab")

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert result["result"] == "partial"
    assert _source_problem(result)["cause"] == (
        "HTTP 404 from /apis/agent.githedgehog.com/v1beta1/namespaces/default/catalogs although discovery serves "
        "catalogs.agent.githedgehog.com at v1beta1: the kind is left incomplete, not empty")
    assert h.write_ops(result) == {}
    assert h.fabric_rows(vlab_nb, "vlab") == before


def test_a_group_that_is_not_installed_reads_as_empty(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB], groups={GATEWAY: [], GWINT: []})

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert result["result"] == "success", result["warnings"]
    assert result["source"]["api"][GATEWAY] == {"served": [], "read": None}
    assert result["source"]["objects"]["Gateway"] == 0 and result["source"]["incomplete"] == {}
    assert result["requests"]["netbox"]["writes"] == 0


# -- connection types this collection does not know -------------------------------------------------------


def test_an_unknown_connection_type_keeps_its_cables_and_a_removed_server_is_deleted(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    _without_server(kube, 3)
    known = h.standin_object(kube, "Connection", "server-05--unbundled--leaf-03")
    known["spec"] = {"superlink": known["spec"]["unbundled"]}
    kube.store.put(known)
    new = h.standin_object(kube, "Connection", "server-05--unbundled--leaf-03")
    new["metadata"] = {"name": "leaf-01--superlink--leaf-02", "namespace": "default"}
    new["spec"] = {"superlink": {"links": [{"one": {"port": "leaf-01/E1/40"}, "two": {"port": "leaf-02/E1/40"}}]}}
    kube.store.put(new)
    before = h.fabric_rows(vlab_nb, "vlab")

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert result["result"] == "partial"
    assert h.problems_of(result, "Connection") == [
        "unknown connection type 'superlink' (a newer Hedgehog release?): only its 1 cable(s) are synced, "
        "everything else of it stays as NetBox has it"] * 2
    assert h.write_ops(result) == {"device": {"delete": 1}, "cable": {"delete": 1, "create": 1},
                                   "interface": {"update": 1}}
    after = h.fabric_rows(vlab_nb, "vlab")
    assert h.rows_diff(before, after) == {
        "removed": ["dcim/cables: server-03--unbundled--leaf-01", "dcim/devices: server-03",
                    "dcim/interfaces: server-03 enp2s1"],
        "added": ["dcim/cables: leaf-01--superlink--leaf-02"],
        # server-03's switch port loses its cable and VLAN; the new cable's ends show it.
        "changed": ["dcim/interfaces: leaf-01 E1/3 (cable, mode, tagged_vlans)",
                    "dcim/interfaces: leaf-01 E1/40 (cable)", "dcim/interfaces: leaf-02 E1/40 (cable)"]}
    label, ends = h.cable_ends(vlab_nb, h.interface(vlab_nb, "leaf-01", "E1/40")["cable"]["id"])
    assert (label, ends) == ("leaf-01--superlink--leaf-02", [("leaf-01", "E1/40"), ("leaf-02", "E1/40")])
    # server-05's cable stays as it was, its type too; leaf-03's port keeps its VLAN.
    assert h.problems_of(result, "held", "Connection server-05--unbundled--leaf-03") == [
        "2 change(s) held as NetBox has them while it cannot be used: interface leaf-03 E1/1 (mode, tagged_vlans); "
        "cable server-05--unbundled--leaf-03 leaf-03/E1/1-server-05/enp2s1 (hedgehog_connection_type)"]
    again, run = h.sync(h.config_for(vlab_nb, kube))
    assert again["requests"]["netbox"]["writes"] == 0, [(a.kind, a.op, a.key, a.changes) for a in run.plan.writes()]
