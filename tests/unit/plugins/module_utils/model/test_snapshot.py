"""The fabric snapshot: every usable object, references checked, what cannot be used skipped with a reason."""

from __future__ import annotations

import copy
import os

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import BadObject
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import (
    build_snapshot,
    resolve_switch_port,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import BUILTIN_PROFILES
from testbed.paths import FIXTURES

_READ = {}


def source(name="vlab"):
    if name not in _READ:
        _READ[name] = read_wiring_dir(os.path.join(FIXTURES, name), fabric="vlab")
    return copy.deepcopy(_READ[name])


def obj(data, kind, name):
    return next(o for o in data.objects[kind] if o["metadata"]["name"] == name)


def problems(snapshot):
    return [(p.kind, p.name, p.cause) for p in snapshot.problems]


def test_the_vlab_fixture_is_whole():
    snapshot = build_snapshot("vlab", source(), BUILTIN_PROFILES)
    assert snapshot.problems == []
    assert snapshot.counts() == {"switches": 5, "servers": 6, "gateways": 0, "connections": 12}
    assert snapshot.release == "26.03.0"
    assert sorted(snapshot.profiles) == ["vs"]
    assert snapshot.interface_names[("leaf-01", "E1/1")] == "E1/1"
    assert snapshot.interface_names[("server-01", "enp2s1")] == "enp2s1"
    # The agent's own catalog first; the Catalog objects agree with it here.
    assert snapshot.port_channel_id("leaf-02", "server-04--bundled--leaf-02") == 3
    assert snapshot.port_channel_id("leaf-03", "server-06--bundled--leaf-03") == 1
    assert snapshot.port_channel_id("spine-01", "server-06--bundled--leaf-03") is None


def test_the_catalog_names_port_channels_when_agents_are_missing():
    data = source()
    data.objects["Agent"] = []
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert snapshot.agents == {}
    assert snapshot.port_channel_id("leaf-01", "server-01--eslag--leaf-01--leaf-02") == 1
    assert snapshot.port_channel_id("leaf-02", "server-04--bundled--leaf-02") == 3


def test_old_agent_keys_give_the_same_records():
    current = build_snapshot("vlab", source(), BUILTIN_PROFILES)
    data = source()
    data.objects["Agent"] = source("agent-oldkeys").objects["Agent"]
    old = build_snapshot("vlab", data, BUILTIN_PROFILES)
    # Every fact: ports (admin, oper, speed, LLDP), transceivers (moved out of the interfaces), breakouts.
    assert old.agents == current.agents
    assert sum(len(agent.transceivers) for agent in old.agents.values()) > 0
    assert any(report.neighbours for agent in old.agents.values() for report in agent.interfaces.values())


def test_a_bad_switch_takes_what_depends_on_it_along_each_with_its_reason():
    data = source()
    obj(data, "Switch", "leaf-03")["spec"]["asn"] = "65103"
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert "leaf-03" not in snapshot.switches
    found = problems(snapshot)
    assert ("Switch", "leaf-03", "spec.asn must be an integer, got '65103'") in found
    skipped = sorted(name for kind, name, cause in found
                     if kind == "Connection" and cause == "references switch leaf-03, which does not exist or was skipped")
    assert skipped == ["server-05--unbundled--leaf-03", "server-06--bundled--leaf-03", "spine-01--fabric--leaf-03",
                       "spine-02--fabric--leaf-03"]
    assert len(snapshot.connections) == 8
    assert len(snapshot.servers) == 6  # servers do not depend on a switch


def test_an_unknown_profile_skips_the_switch():
    data = source()
    obj(data, "Switch", "spine-02")["spec"]["profile"] = "no-such-profile"
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert ("Switch", "spine-02", "switch profile 'no-such-profile' does not exist") in problems(snapshot)


def test_a_builtin_profile_serves_wiring_without_profiles():
    data = source()
    data.objects["SwitchProfile"] = []
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert snapshot.problems == [] and snapshot.profiles["vs"] is BUILTIN_PROFILES["vs"]


def test_duplicated_names_and_a_server_named_like_a_switch():
    data = source()
    data.objects["Server"].append(copy.deepcopy(obj(data, "Server", "server-01")))  # the same again: one object
    twin = copy.deepcopy(obj(data, "Server", "server-05"))
    twin["spec"]["description"] = "another S-05"
    data.objects["Server"].append(twin)
    clash = copy.deepcopy(obj(data, "Server", "server-02"))
    clash["metadata"]["name"] = "leaf-01"
    data.objects["Server"].append(clash)
    data.objects["Server"].append({"kind": "Server", "metadata": {}, "spec": {}})
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    found = problems(snapshot)
    assert "server-01" in snapshot.servers and not any(p[:2] == ("Server", "server-01") for p in found)
    # Defined twice differently: neither definition wins, what NetBox holds of it stays.
    assert ("Server", "server-05", "defined 2 times with different specs: none of them is used, and what NetBox "
            "holds of it stays as it is until one definition is left") in found
    assert "server-05" not in snapshot.servers and snapshot.held[("server", "server-05")] == "Server server-05"
    assert ("Server", "(unnamed)", "metadata.name is missing") in found
    # A name of a switch and a server: NetBox tells which one holds it; until then both are held.
    assert [(c.resource, c.claimants, c.slot) for c in snapshot.contests] == [
        ("device name leaf-01", [("Switch", "leaf-01"), ("Server", "leaf-01")], ("device", "leaf-01"))]
    assert "leaf-01" not in snapshot.switches and "leaf-01" not in snapshot.servers
    assert {("switch", "leaf-01"), ("server", "leaf-01")} <= set(snapshot.held)


def test_a_port_two_connections_claim_is_decided_by_no_name_order():
    data = source()
    conn = obj(data, "Connection", "server-03--unbundled--leaf-01")
    conn["spec"]["unbundled"]["link"]["switch"]["port"] = "leaf-01/E1/1"
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    claimants = [("Connection", "server-01--eslag--leaf-01--leaf-02"), ("Connection", "server-03--unbundled--leaf-01")]
    assert [(c.resource, c.claimants, c.slot) for c in snapshot.contests] == [
        ("port leaf-01/E1/1", claimants, ("interface", ("leaf-01", "E1/1")))]
    # Both are held until NetBox (the plan) tells which holds the port; what needs them is skipped with them.
    assert not set(name for _kind, name in claimants) & set(snapshot.connections)
    assert set(("connection", name) for _kind, name in claimants) <= set(snapshot.held)
    # Their attachments are held quietly: the contest's problem (made by the plan, which knows the holder) says why.
    assert problems(snapshot) == []
    assert set(("port-vlans", name) for _kind, name in claimants) <= set(snapshot.held)


def test_an_unknown_connection_type_of_the_usual_shape_keeps_its_cables():
    data = source()
    conn = obj(data, "Connection", "server-05--unbundled--leaf-03")
    conn["spec"] = {"superlink": conn["spec"]["unbundled"]}
    odd = obj(data, "Connection", "server-03--unbundled--leaf-01")
    odd["spec"] = {"hyperlink": {"ends": ["server-03/enp2s1", "leaf-01/E1/3"]}}
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    accepted = snapshot.connections["server-05--unbundled--leaf-03"]
    assert (accepted.type, accepted.supported) == ("superlink", False)
    assert [(str(link.a), str(link.b)) for link in accepted.links] == [("server-05/enp2s1", "leaf-03/E1/1")]
    assert problems(snapshot) == [
        ("Connection", "server-03--unbundled--leaf-01", "unknown connection type 'hyperlink'"),
        ("Connection", "server-05--unbundled--leaf-03", "unknown connection type 'superlink' (a newer Hedgehog "
         "release?): only its 1 cable(s) are synced, everything else of it stays as NetBox has it"),
        ("VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01",
         "connection server-03--unbundled--leaf-01 does not exist or was skipped")]
    # Its attachment is held quietly: the connection's problem says why.
    assert snapshot.held[("port-vlans", "server-05--unbundled--leaf-03")] == (
        "VPCAttachment server-05--unbundled--leaf-03--vpc-05--subnet-01")
    assert snapshot.held[("connection", "server-05--unbundled--leaf-03")] == (
        "Connection server-05--unbundled--leaf-03")


def test_vpc_loopback_must_stay_on_one_switch():
    data = SourceData("test")
    data.add("Switch", [obj(source(), "Switch", name) for name in ("leaf-01", "leaf-02")])
    data.add("Connection", [{"metadata": {"name": "loop"}, "spec": {"vpcLoopback": {"links": [
        {"switch1": {"port": "leaf-01/E1/12"}, "switch2": {"port": "leaf-02/E1/13"}}]}}}])
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert problems(snapshot) == [("Connection", "loop", "vpcLoopback links must join two ports of one switch")]


def test_source_incomplete_kinds_reach_the_snapshot():
    data = source()
    data.mark_incomplete("Catalog", "HTTP 503")
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert snapshot.incomplete == {"Catalog": "HTTP 503"}
    assert problems(snapshot) == [("source", "Catalog", "HTTP 503")]
    assert snapshot.held == {("port-channel", None): "Catalog", ("vni", None): "Catalog"}


def test_kinds_unread_for_one_cause_are_one_problem_and_what_refers_to_them_is_held_quietly():
    data = source()
    cause = "the Kubernetes API serves vpc.githedgehog.com only at v1beta2"
    for kind in ("IPv4Namespace", "VPC", "VPCAttachment"):
        data.objects[kind] = []
        data.mark_incomplete(kind, cause, lasting=True)
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert problems(snapshot) == [("source", "IPv4Namespace, VPC, VPCAttachment", cause)]
    assert snapshot.held == {("ipv4-namespace", None): "IPv4Namespace, VPC, VPCAttachment",
                             ("vpc", None): "IPv4Namespace, VPC, VPCAttachment",
                             ("port-vlans", None): "IPv4Namespace, VPC, VPCAttachment"}


def test_an_object_at_an_unknown_version_is_skipped_and_held():
    data = source()
    vpc = obj(data, "VPC", "vpc-02")
    data.objects["VPC"].remove(vpc)
    data.mark_unsupported("VPC", "vpc-02", "VPC vpc-02 in vpcs.yaml has apiVersion vpc.githedgehog.com/v1beta2", vpc)
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert problems(snapshot)[0] == ("VPC", "vpc-02",
                                     "VPC vpc-02 in vpcs.yaml has apiVersion vpc.githedgehog.com/v1beta2")
    assert snapshot.held[("vpc", "vpc-02")] == "VPC vpc-02"
    assert "vpc-02" not in snapshot.ipam.vpcs


class _Switch:
    name = "spine-01"

    def __init__(self, breakouts=None):
        self.port_breakouts = breakouts or {}


DELL = BUILTIN_PROFILES["dell-s5248f-on"]


@pytest.mark.parametrize("breakouts, port, expected", [
    ({}, "E1/1", "E1/1"),
    ({}, "E1/55", "E1/55"),  # default 1x100G: not broken out
    ({"E1/55": "4x25G"}, "E1/55", "E1/55/1"),  # the first sub-port
    ({"E1/55": "4x25G"}, "E1/55/4", "E1/55/4"),
    ({"E1/55": "2x50G"}, "E1/55/2", "E1/55/2"),
    ({}, "E1/55/1", "E1/55"),  # sub-port 1 of an unbroken port is the port
])
def test_breakout_ports_resolve_to_their_interface(breakouts, port, expected):
    assert resolve_switch_port(DELL, _Switch(breakouts), port) == expected


@pytest.mark.parametrize("breakouts, port, cause", [
    ({"E1/55": "4x25G"}, "E1/55/5", "breakout of E1/55 has 4 sub-port(s)"),
    ({}, "E1/55/2", "breakout of E1/55 has 1 sub-port(s)"),
    ({}, "E1/1/1", "E1/1 cannot break out in profile dell-s5248f-on"),
    ({}, "E1/99", "port spine-01/E1/99 does not exist in switch profile dell-s5248f-on"),
])
def test_ports_a_profile_does_not_have_are_refused(breakouts, port, cause):
    with pytest.raises(BadObject) as caught:
        resolve_switch_port(DELL, _Switch(breakouts), port)
    assert cause in str(caught.value)


def test_documents_that_are_not_objects_are_named_not_dropped(tmp_path):
    (tmp_path / "a.yaml").write_text("- just\n- strings\n---\nkind: SwitchList\nitems: nope\n---\n"
                                     "kind: ServerList\nitems: [plain, {kind: Server, metadata: {name: s1}}]\n---\n")
    data = read_wiring_dir(str(tmp_path), fabric="vlab")
    assert [(p.kind, p.name, p.cause) for p in data.rejected] == [
        ("document", "a.yaml document 1", "the document is a list, not an object"),
        ("document", "a.yaml document 2", "SwitchList: items is a string, not a list"),
        ("document", "a.yaml document 3 item 1", "the item is a string, not an object")]
    assert data.count() == {"Server": 1}
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    assert [p.text for p in snapshot.problems][:1] == [
        "document a.yaml document 1: the document is a list, not an object"]
