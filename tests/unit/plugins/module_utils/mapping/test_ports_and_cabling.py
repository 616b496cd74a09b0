"""What the switches report, mapped without NetBox: port facts, LLDP verdicts, optics, nodes, static externals."""

from __future__ import annotations

import copy
import dataclasses
import os
from datetime import datetime, timezone

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.cabling import LldpCheck
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.desired import build_desired
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ports import speed_kbps
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot, nos_port_names
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import LLDP_MISMATCH_FIELD
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import BUILTIN_PROFILES
from testbed import generator
from testbed.paths import FIXTURES

NOW = datetime(2026, 8, 20, 10, 1, tzinfo=timezone.utc)
LATER = datetime(2026, 8, 20, 12, 0, tzinfo=timezone.utc)

_LOADED = {}


def load(name="vlab"):
    if name not in _LOADED:
        _LOADED[name] = read_wiring_dir(os.path.join(FIXTURES, name), fabric="vlab")
    return copy.deepcopy(_LOADED[name])


def generated(spec):
    data = SourceData("test")
    for obj in generator.generate_fabric(spec):
        data.add(obj["kind"], [obj])
    return data


def config():
    return FabricConfig(fabric="vlab", site="VLAB", netbox_url="http://netbox.invalid", netbox_token="t")


def desired_of(data, now=NOW):
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    return snapshot, build_desired(snapshot, config(), now=now)


def raw(data, kind, name):
    return next(obj for obj in data.objects[kind] if obj["metadata"]["name"] == name)


def state_of(data, switch):
    return raw(data, "Agent", switch)["status"]["state"]


def fields(state, kind, key):
    return state.get(kind, key).fields


# -- port facts --------------------------------------------------------------------------------------------


def test_speeds_in_kbps():
    assert [speed_kbps(t) for t in ("25G", "2.5G", "100M", "800G", "1.6T", "", "fast", None)] == [
        25000000, 2500000, 100000, 800000000, 1600000000, None, None, None]


def test_ports_carry_speed_enabled_and_oper_state():
    data = load()
    state_of(data, "leaf-03")["interfaces"]["E1/2"].update(oper="down", errDisabled=True)
    raw(data, "Switch", "leaf-03")["spec"].update(portSpeeds={"E1/9": "10G"}, portGroupSpeeds={"3": "10G"},
                                                  portFECs={"E1/4": "rs"})
    _snapshot, state = desired_of(data)
    port = fields(state, "interface", ("leaf-03", "E1/4"))
    assert (port["speed"], port["enabled"]) == (25000000, True)
    assert port["custom_fields"] == {"hedgehog_fec": "rs", "hedgehog_breakout": None, "hedgehog_oper_status": "up"}
    assert fields(state, "interface", ("leaf-03", "E1/2"))["custom_fields"]["hedgehog_oper_status"] == "err-disabled"
    # portSpeeds names the port; portGroupSpeeds its group (group 3: E1/9-12); the profile the rest.
    speeds = dict((n, fields(state, "interface", ("leaf-03", n))["speed"]) for n in ("E1/9", "E1/10", "E1/13"))
    assert speeds == {"E1/9": 10000000, "E1/10": 10000000, "E1/13": 25000000}
    unused = fields(state, "interface", ("leaf-03", "E1/30"))
    assert (unused["enabled"], unused["custom_fields"]["hedgehog_oper_status"]) == (False, "down")
    assert fields(state, "interface", ("leaf-03", "M1"))["speed"] is None


def test_without_a_report_a_port_keeps_what_netbox_has():
    data = load()
    data.objects["Agent"] = [a for a in data.objects["Agent"] if a["metadata"]["name"] != "leaf-03"]
    _snapshot, state = desired_of(data)
    port = fields(state, "interface", ("leaf-03", "E1/4"))
    assert "enabled" not in port and "hedgehog_oper_status" not in port["custom_fields"]
    assert port["speed"] == 25000000


def test_a_lag_has_its_members_speed_and_its_own_state():
    _snapshot, state = desired_of(load())
    lag = fields(state, "lag", ("leaf-02", "server-04--bundled--leaf-02"))
    assert (lag["name"], lag["speed"], lag["enabled"]) == ("PortChannel3", 50000000, True)
    assert lag["custom_fields"]["hedgehog_oper_status"] == "up"
    data = load()
    state_of(data, "leaf-02")["interfaces"]["PortChannel3"]["speed"] = "40G"
    _snapshot, state = desired_of(data)
    assert fields(state, "lag", ("leaf-02", "server-04--bundled--leaf-02"))["speed"] == 40000000


def test_breakout_lanes_name_their_port_and_the_port_its_state():
    spec = generator.FabricSpec(spines=1, leaves=2, eslag_pairs=1, servers_per_leaf=1, vpcs=1,
                                spine_profile=generator.BIG_SPINE_PROFILE)
    snapshot, state = desired_of(generated(spec))
    parent = fields(state, "interface", ("spine-01", "E1/1"))
    assert (parent["speed"], parent["custom_fields"]["hedgehog_breakout"]) == (None, "8x100G (Completed)")
    lane = fields(state, "interface", ("spine-01", "E1/1/3"))
    assert lane["custom_fields"]["hedgehog_breakout_parent"] == Ref("interface", ("spine-01", "E1/1"))
    assert (lane["speed"], lane["description"], lane["enabled"]) == (100000000, "Ethernet2", True)
    names = nos_port_names(snapshot.profiles["celestica-ds4101"], snapshot.switches["spine-01"])
    assert (names["Ethernet0"], names["Ethernet7"], names["Ethernet8"], names["Ethernet256"]) == (
        "E1/1/1", "E1/1/8", "E1/2/1", "E1/33")


# -- LLDP --------------------------------------------------------------------------------------------------


def _cable(state, end_a, end_b):
    return fields(state, "cable", tuple(sorted((end_a, end_b))))


def test_the_miswired_pair_is_planned_with_what_lldp_saw():
    _snapshot, state = desired_of(load())
    cable = _cable(state, ("spine-02", "E1/1"), ("leaf-01", "E1/6"))
    assert cable["status"] == "planned"
    assert cable["custom_fields"][LLDP_MISMATCH_FIELD] == (
        "spine-02 E1/1 sees leaf-02 E1/7 (Ethernet6); leaf-01 E1/6 sees spine-02 E1/3 (Ethernet2)")
    good = _cable(state, ("spine-01", "E1/1"), ("leaf-01", "E1/4"))
    assert (good["status"], good["custom_fields"][LLDP_MISMATCH_FIELD]) == ("connected", None)
    assert state.cabling.as_dict() == {"cables": 22, "judged": 12, "disagree": 2}
    # Findings about the fabric, not problems of the sync: the run stays complete.
    assert state.problems == []
    assert [(f.kind, f.name) for f in state.findings] == [
        ("cable", "cable spine-02--fabric--leaf-01 leaf-01/E1/6-spine-02/E1/1"),
        ("cable", "cable spine-02--fabric--leaf-02 leaf-02/E1/7-spine-02/E1/3")]
    assert state.findings[0].cause == (
        "LLDP disagrees with the wiring, which joins spine-02 E1/1 and leaf-01 E1/6: "
        "spine-02 E1/1 sees leaf-02 E1/7 (Ethernet6); leaf-01 E1/6 sees spine-02 E1/3 (Ethernet2)")


def test_stale_agents_judge_nothing():
    _snapshot, state = desired_of(load(), now=LATER)
    assert state.cabling.as_dict() == {"cables": 22, "judged": 0, "disagree": 0}
    assert state.problems == state.findings == []
    assert _cable(state, ("spine-02", "E1/1"), ("leaf-01", "E1/6"))["status"] == "connected"


@pytest.mark.parametrize("change, verdict", [
    # LLDP sees nobody on a switch-to-switch link that is up: a missing neighbour.
    (lambda port: port.pop("lldpNeighbors"), "leaf-03 E1/4 sees no LLDP neighbour"),
    # A down link carries no LLDP: not judged (the far end still agrees).
    (lambda port: (port.pop("lldpNeighbors"), port.update(oper="down")), None),
    # The far switch by its fully qualified name, its port by its API name.
    (lambda port: port["lldpNeighbors"][0].update(sysName="spine-01.fab.example", portID="E1/5"), None),
    (lambda port: port["lldpNeighbors"][0].update(sysName="spine-02"), "leaf-03 E1/4 sees spine-02 E1/5 (Ethernet4)"),
    (lambda port: port["lldpNeighbors"][0].update(sysName="router-7", portID="ge-0/0/1"),
     "leaf-03 E1/4 sees router-7 port ge-0/0/1"),
])
def test_one_end_of_a_fabric_link(change, verdict):
    data = load()
    change(state_of(data, "leaf-03")["interfaces"]["E1/4"])
    _snapshot, state = desired_of(data)
    cable = _cable(state, ("spine-01", "E1/5"), ("leaf-03", "E1/4"))
    assert cable["custom_fields"][LLDP_MISMATCH_FIELD] == verdict
    assert cable["status"] == ("planned" if verdict else "connected")


def test_servers_need_not_speak_lldp_but_if_they_do_they_must_name_the_port():
    data = load()
    check = LldpCheck(build_snapshot("vlab", data, BUILTIN_PROFILES), NOW, 120)
    assert not check.judge(("server-05", "enp2s1"), ("leaf-03", "E1/1")).judged
    ports = state_of(data, "leaf-03")["interfaces"]
    ports["E1/1"]["lldpNeighbors"] = [{"sysName": "server-05", "portID": "02:00:0a:37:8d:39"}]
    ports["E1/2"]["lldpNeighbors"] = [{"sysName": "server-06", "portID": "enp2s9", "portDescr": "enp2s9"}]
    ports["E1/3"]["lldpNeighbors"] = [{"sysName": "server-06", "portID": "x", "portDescr": "enp2s2"}]
    check = LldpCheck(build_snapshot("vlab", data, BUILTIN_PROFILES), NOW, 120)
    # A MAC as port ID names the device only; a port ID or description must name the wired port.
    assert not check.judge(("server-05", "enp2s1"), ("leaf-03", "E1/1")).disagrees
    wrong = check.judge(("server-06", "enp2s1"), ("leaf-03", "E1/2"))
    assert wrong.mismatch_text() == "leaf-03 E1/2 sees server-06 port enp2s9"
    assert not check.judge(("server-06", "enp2s2"), ("leaf-03", "E1/3")).disagrees


def test_the_mesh_fixture_agrees_with_lldp():
    _snapshot, state = desired_of(load("vlab-mesh"))
    assert state.cabling.as_dict() == {"cables": 16, "judged": 6, "disagree": 0}
    assert all(c.fields["custom_fields"]["hedgehog_connection_type"] in ("mesh", "eslag", "unbundled", "bundled")
               for c in state.of("cable").values())


# -- optics, nodes, MACs, groups -----------------------------------------------------------------------------


def test_transceivers_present_become_items_on_their_ports():
    data = load()
    transceivers = state_of(data, "leaf-01")["transceivers"]
    transceivers["E1/2"]["present"] = "NOT_PRESENT"
    _snapshot, state = desired_of(data)
    items = dict((key[1], obj.fields) for key, obj in state.of("inventory_item").items() if key[0] == "leaf-01")
    assert sorted(items) == sorted("%s transceiver" % p for p in transceivers if p != "E1/2")
    item = items["E1/1 transceiver"]
    assert item["component_id"] == Ref("interface", ("leaf-01", "E1/1"))
    assert (item["part_id"], item["serial"], item["discovered"]) == ("HH-25G-SR", transceivers["E1/1"]["serial"], True)
    assert item["manufacturer"] == Ref("manufacturer", "hedgehog-optics")
    assert item["description"] == "SFP28 LC 25GBASE-SR, rev A1"


def test_control_node_gateway_nodes_and_boot_macs():
    _snapshot, state = desired_of(load("vlab-gateway"))
    control = state.get("device", "control-1")
    assert control.fields["role"] == Ref("device_role", "control-node")
    # The nodes' addresses are in the underlay VRF, with the switches' management addresses.
    assert control.late == {"primary_ip4": Ref("ip_address", ("vlab/underlay", "172.30.0.5/21"))}
    assert fields(state, "interface", ("control-1", "enp2s1"))["mgmt_only"] is True
    address = fields(state, "ip_address", ("vlab/underlay", "172.30.0.5/21"))
    assert (address["assigned_object_id"], address["vrf"]) == (
        Ref("interface", ("control-1", "enp2s1")), Ref("vrf", "vlab/underlay"))
    gateway = state.get("device", "gateway-1")
    assert gateway.late == {"primary_ip4": Ref("ip_address", ("vlab/underlay", "172.30.0.6/21"))}
    assert gateway.fields["status"] == "active"
    assert gateway.fields["custom_fields"]["hedgehog_agent_version"] == "v0.129.1"
    mac = state.get("mac_address", (("leaf-01", "M1"), "0C:20:12:FF:00:00"))
    assert mac.fields["assigned_object_id"] == Ref("interface", ("leaf-01", "M1"))
    assert state.get("interface", ("leaf-01", "M1")).late == {"primary_mac_address": Ref("mac_address", mac.key)}


def test_a_stale_gateway_agent_turns_its_gateway_offline():
    _snapshot, state = desired_of(load("vlab-gateway"), now=LATER)
    gateway = state.get("device", "gateway-2")
    assert gateway.fields["status"] == "offline"
    assert gateway.fields["custom_fields"]["hedgehog_last_heartbeat"] == "2026-08-20T10:00:00Z"


def test_switch_groups_are_tags_of_their_members():
    data = load()
    raw(data, "Switch", "leaf-03")["spec"]["groups"] = ["empty", "nonesuch"]
    snapshot, state = desired_of(data)
    assert state.get("device", "leaf-01").tags == ("hedgehog-switchgroup-eslag-1",)
    assert state.get("device", "leaf-03").tags == ("hedgehog-switchgroup-empty", "hedgehog-switchgroup-nonesuch")
    assert state.get("tag", "hedgehog-switchgroup-empty").fields["name"] == "SwitchGroup empty"
    assert snapshot.switch_groups["eslag-1"] == ["leaf-01", "leaf-02"]
    assert [(p.kind, p.name, p.cause) for p in snapshot.problems] == [
        ("Switch", "leaf-03", "names SwitchGroup nonesuch, which does not exist")]


# -- static externals ----------------------------------------------------------------------------------------


def _add_static(data, name, port, within=None, **switch):
    body = {"link": {"switch": dict({"port": port}, **switch)}}
    if within:
        body["withinVPC"] = within
    data.objects["Connection"].append({"kind": "Connection", "metadata": {"name": name},
                                       "spec": {"staticExternal": body}})


def test_a_static_external_in_a_vpc_with_a_vlan():
    data = load()
    _add_static(data, "se-1", "leaf-03/E1/10", within="vpc-01", ip="192.168.99.1/24", nextHop="192.168.99.254",
                subnets=["10.99.0.0/16"], vlan=100)
    _snapshot, state = desired_of(data)
    sub = fields(state, "subinterface", ("leaf-03", "E1/10.100"))
    assert (sub["parent"], sub["vrf"], sub["custom_fields"]) == (
        Ref("interface", ("leaf-03", "E1/10")), Ref("vrf", "vpc-01"), {"hedgehog_connection": "se-1"})
    own = fields(state, "ip_address", ("vpc-01", "192.168.99.1/24"))
    assert own["assigned_object_id"] == Ref("subinterface", ("leaf-03", "E1/10.100"))
    assert fields(state, "ip_address", ("vpc-01", "192.168.99.254/24"))["description"] == "se-1: next hop"
    assert fields(state, "prefix", ("vpc-01", "10.99.0.0/16"))["description"] == "se-1: routed via 192.168.99.254"
    assert fields(state, "prefix", ("vpc-01", "192.168.99.0/24"))["vrf"] == Ref("vrf", "vpc-01")


def test_a_static_external_without_vlan_or_vpc_is_on_its_port_in_the_underlay_vrf():
    """Outside a VPC the switch routes it in its default VRF, which is the fabric's underlay VRF in NetBox."""
    data = load()
    _add_static(data, "se-2", "leaf-03/E1/11", ip="192.168.77.1/30", nextHop="192.168.77.2", subnets=["0.0.0.0/0"])
    _snapshot, state = desired_of(data)
    own = fields(state, "ip_address", ("vlab/underlay", "192.168.77.1/30"))
    assert (own["assigned_object_id"], own["vrf"]) == (
        Ref("interface", ("leaf-03", "E1/11")), Ref("vrf", "vlab/underlay"))
    assert fields(state, "ip_address", ("vlab/underlay", "192.168.77.2/30"))["description"] == "se-2: next hop"
    assert fields(state, "prefix", ("vlab/underlay", "192.168.77.0/30"))["vrf"] == Ref("vrf", "vlab/underlay")
    assert [key for key in state.of("prefix") if key[1] == "0.0.0.0/0"] == []  # NetBox takes no /0


def test_a_static_external_in_the_global_table_when_the_underlay_is():
    data = load()
    _add_static(data, "se-2", "leaf-03/E1/11", ip="192.168.77.1/30", subnets=["10.77.0.0/16"])
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    state = build_desired(snapshot, dataclasses.replace(config(), underlay_vrf="global"), now=NOW)
    assert fields(state, "ip_address", (None, "192.168.77.1/30"))["vrf"] is None
    assert fields(state, "prefix", (None, "10.77.0.0/16"))["vrf"] is None


def test_a_static_external_with_a_missing_vpc_or_bad_fields_is_a_problem():
    data = load()
    _add_static(data, "se-3", "leaf-03/E1/12", within="vpc-99", ip="192.168.5.1/24")
    _add_static(data, "se-4", "leaf-03/E1/13", ip="192.168.6.1/24", nextHop="not-an-ip")
    snapshot, state = desired_of(data)
    assert ("Connection", "se-4", "spec.staticExternal.link.switch.nextHop is not an IP address: 'not-an-ip'") in [
        (p.kind, p.name, p.cause) for p in snapshot.problems]
    assert [(p.kind, p.name, p.cause) for p in state.problems if p.name == "se-3"] == [
        ("Connection", "se-3", "withinVPC names VPC vpc-99, which does not exist or was skipped")]
    assert [key for key in state.of("ip_address") if key[1] == "192.168.5.1/24"] == []
