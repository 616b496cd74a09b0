"""Raw CRD objects -> typed records: good objects, each kind of bad one, and old key names."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import parse
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import BadObject
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import PortReport

SWITCH = {
    "kind": "Switch",
    "metadata": {"name": "leaf-01"},
    "spec": {"role": "server-leaf", "profile": "vs", "asn": 65101, "ip": "172.30.0.8/21",
             "protocolIP": "172.30.8.2/32", "vtepIP": "172.30.12.0/32", "groups": ["eslag-1"],
             "redundancy": {"group": "eslag-1", "type": "eslag"}, "boot": {"mac": "0c:20:12:ff:00:00"},
             "portBreakouts": {"E1/55": "4x25G"}, "someFutureField": {"ignored": True}},
}


def _switch(**spec):
    obj = copy.deepcopy(SWITCH)
    for key, value in spec.items():
        if value is None:
            obj["spec"].pop(key, None)
        else:
            obj["spec"][key] = value
    return obj


def test_a_switch_becomes_a_record_and_unknown_fields_are_ignored():
    switch = parse.parse_switch(_switch())
    assert (switch.name, switch.role, switch.profile, switch.asn) == ("leaf-01", "server-leaf", "vs", 65101)
    assert (switch.ip, switch.protocol_ip, switch.vtep_ip) == ("172.30.0.8/21", "172.30.8.2/32", "172.30.12.0/32")
    assert (switch.redundancy_group, switch.redundancy_type) == ("eslag-1", "eslag")
    assert switch.groups == ["eslag-1"]
    assert switch.boot_mac == "0c:20:12:ff:00:00"
    assert switch.port_breakouts == {"E1/55": "4x25G"}
    assert switch.vlan_namespaces == ["default"]  # the API's default when unset


@pytest.mark.parametrize("spec, cause", [
    ({"asn": None}, "missing spec.asn"),
    ({"role": None}, "missing spec.role"),
    ({"protocolIP": None}, "missing spec.protocolIP"),
    ({"asn": "65101"}, "spec.asn must be an integer, got '65101'"),
    ({"asn": True}, "spec.asn must be an integer, got True"),
    ({"asn": 0}, "spec.asn 0 is out of range"),
    ({"asn": 2 ** 32}, "out of range"),
    ({"role": "core"}, "spec.role 'core' is not one of spine, server-leaf"),
    ({"role": 7}, "spec.role must be a string, got int"),
    ({"ip": "172.30.0.8"}, "spec.ip needs a prefix length: '172.30.0.8'"),
    ({"ip": "not-an-ip/21"}, "spec.ip is not an IP address with prefix length"),
    ({"groups": "eslag-1"}, "spec.groups must be a list, got str"),
    ({"groups": [1]}, "spec.groups must hold strings, got 1"),
    ({"redundancy": ["eslag"]}, "spec.redundancy must be a mapping, got list"),
])
def test_a_bad_switch_names_the_field_and_the_cause(spec, cause):
    with pytest.raises(BadObject) as caught:
        parse.parse_switch(_switch(**spec))
    assert cause in str(caught.value)


def test_an_unhydrated_switch_has_no_asn_or_addresses_yet():
    switch = parse.parse_switch(_switch(asn=None, ip=None, protocolIP=None, vtepIP=None), hydrated=False)
    assert (switch.asn, switch.ip, switch.protocol_ip, switch.vtep_ip) == (None, "", "", "")
    assert (switch.role, switch.profile, switch.redundancy_group) == ("server-leaf", "vs", "eslag-1")


@pytest.mark.parametrize("spec, cause", [
    ({"asn": "65101"}, "spec.asn must be an integer, got '65101'"),
    ({"asn": 0}, "spec.asn 0 is out of range"),
    ({"ip": "172.30.0.8"}, "spec.ip needs a prefix length: '172.30.0.8'"),
    ({"role": None}, "missing spec.role"),
    ({"profile": None}, "missing spec.profile"),
])
def test_an_unhydrated_switch_is_still_checked(spec, cause):
    with pytest.raises(BadObject, match=cause):
        parse.parse_switch(_switch(**spec), hydrated=False)


def test_a_spec_that_is_not_a_mapping_is_refused():
    with pytest.raises(BadObject, match="spec must be a mapping, got str"):
        parse.parse_switch({"metadata": {"name": "x"}, "spec": "oops"})


def _connection(ctype, body):
    return {"metadata": {"name": "c"}, "spec": {ctype: body}}


def test_each_connection_type_reads_its_links():
    unbundled = parse.parse_connection(_connection("unbundled", {"link": {
        "server": {"port": "server-03/enp2s1"}, "switch": {"port": "leaf-01/E1/3"}}, "mtu": 9000}))
    assert unbundled.type == "unbundled" and unbundled.mtu == 9000
    assert (str(unbundled.links[0].a), str(unbundled.links[0].b)) == ("server-03/enp2s1", "leaf-01/E1/3")
    assert unbundled.server_name() == "server-03" and unbundled.switch_names() == ["leaf-01"]

    fabric = parse.parse_connection(_connection("fabric", {"links": [
        {"spine": {"port": "spine-01/E1/1", "ip": "172.30.128.0/31"},
         "leaf": {"port": "leaf-01/E1/4", "ip": "172.30.128.1/31"}}]}))
    assert fabric.links[0].a.ip == "172.30.128.0/31" and fabric.links[0].b.device == "leaf-01"

    domain = parse.parse_connection(_connection("mclagDomain", {
        "peerLinks": [{"switch1": {"port": "leaf-01/E1/3"}, "switch2": {"port": "leaf-02/E1/3"}}],
        "sessionLinks": [{"switch1": {"port": "leaf-01/E1/1"}, "switch2": {"port": "leaf-02/E1/1"}}]}))
    assert [link.role for link in domain.links] == ["peer", "session"]

    external = parse.parse_connection(_connection("external", {"link": {"switch": {"port": "leaf-03/E1/1"}}}))
    assert external.links[0].b is None and external.devices() == ["leaf-03"]


def test_a_gateway_link_with_the_pre_25_04_spine_key_is_read():
    old = parse.parse_connection(_connection("gateway", {"links": [
        {"spine": {"port": "spine-02/E1/8", "ip": "172.30.128.30/31"},
         "gateway": {"port": "gateway-2/enp2s2", "ip": "172.30.128.31/31"}}]}))
    assert str(old.links[0].a) == "spine-02/E1/8" and old.links[0].a.ip == "172.30.128.30/31"


@pytest.mark.parametrize("spec, cause", [
    ({"superlink": {"links": []}}, "unknown connection type 'superlink'"),
    ({}, "spec names no connection type"),
    ({"unbundled": {"link": {}}, "bundled": {"links": []}}, "spec names several connection types: unbundled, bundled"),
    ({"bundled": {"links": []}}, "spec.bundled.links is empty"),
    ({"unbundled": {"link": {"switch": {"port": "leaf-01/E1/3"}}}}, "missing spec.unbundled.link.server.port"),
    ({"unbundled": {"link": {"server": {"port": "server-03"}, "switch": {"port": "leaf-01/E1/3"}}}},
     "spec.unbundled.link.server.port 'server-03' is not of the form <device>/<port>"),
    ({"fabric": {"links": [{"spine": {"port": "spine-01/E1/1", "ip": "x"}, "leaf": {"port": "leaf-01/E1/4"}}]}},
     "spec.fabric.links[0].spine.ip is not an IP address"),
    ({"mclagDomain": {}}, "spec.mclagDomain has no peerLinks or sessionLinks"),
    ({"bundled": {"links": ["leaf-01/E1/1"]}}, "spec.bundled.links[0] must be a mapping, got str"),
    ({"unbundled": {"link": {"server": {"port": "s/e"}, "switch": {"port": "l/E1/1"}}, "mtu": "9000"}},
     "spec.unbundled.mtu must be an integer"),
])
def test_a_bad_connection_names_the_field_and_the_cause(spec, cause):
    with pytest.raises(BadObject) as caught:
        parse.parse_connection({"metadata": {"name": "c"}, "spec": spec})
    assert cause in str(caught.value)


def test_an_agent_yields_its_report_never_its_users():
    agent = parse.parse_agent({
        "metadata": {"name": "leaf-01", "generation": 4},
        "spec": {"users": [{"name": "admin", "password": "$5$HHFAKE"}], "version": {"password": "HHFAKE-x"},
                 "catalog": {"portChannelIDs": {"server-01--eslag": 1, "bogus": "2", "flag": True}}},
        "status": {"lastHeartbeat": "2026-08-20T10:00:00Z", "lastAppliedGen": 4, "rebootRequired": True,
                   "version": "v0.87.0",
                   "state": {"nos": {"serialNumber": "SN1", "softwareVersion": "4.4.0"},
                             "interfaces": {"E1/1": {"adminStatus": "up", "operStatus": "down", "counters": {}},
                                            "E1/2": {"admin": "up", "oper": "up"}}}},
    })
    assert (agent.serial, agent.nos_version, agent.version) == ("SN1", "4.4.0", "v0.87.0")
    assert (agent.generation, agent.applied_generation, agent.reboot_required) == (4, 4, True)
    # Only integer IDs; booleans are not numbers here.
    assert agent.port_channel_ids == {"server-01--eslag": 1}
    # Old key names (before 25.04) read as the new ones; counters dropped.
    assert agent.interfaces == {"E1/1": PortReport(admin="up", oper="down"), "E1/2": PortReport(admin="up", oper="up")}
    assert "HHFAKE" not in repr(agent)


def test_catalog_port_channels_per_switch_and_per_redundancy_group():
    groups = {"eslag-1": ["leaf-01", "leaf-02"]}
    per_switch = parse.catalog_port_channels(
        {"metadata": {"name": "switch.leaf-03"}, "spec": {"portChannelIDs": {"server-06--bundled": 1}}}, groups)
    assert per_switch == {("leaf-03", "server-06--bundled"): 1}
    per_group = parse.catalog_port_channels(
        {"metadata": {"name": "redundancy.eslag-1"}, "spec": {"portChannelIDs": {"server-01--eslag": 2}}}, groups)
    assert per_group == {("leaf-01", "server-01--eslag"): 2, ("leaf-02", "server-01--eslag"): 2}
    assert parse.catalog_port_channels({"metadata": {"name": "vpcs"}, "spec": {"vpcVNIs": {}}}, groups) == {}


def test_a_profile_needs_ports_and_knows_its_breakouts():
    with pytest.raises(BadObject, match="spec.ports is empty"):
        parse.parse_profile({"metadata": {"name": "p"}, "spec": {"ports": {}}})
    profile = parse.parse_profile({"metadata": {"name": "p"}, "spec": {
        "ports": {"M1": {"nos": "Management0", "management": True},
                  "E1/1": {"nos": "Ethernet0", "group": "1"},
                  "E1/2": {"nos": "1/2", "baseNOSName": "Ethernet4", "profile": "Q"}},
        "portGroups": {"1": {"profile": "S"}},
        "portProfiles": {"S": {"speed": {"default": "25G"}},
                         "Q": {"breakout": {"default": "1x100G",
                                            "supported": {"1x100G": {"offsets": ["0"]},
                                                          "4x25G": {"offsets": ["0", "1", "2", "3"]}}}}}}})
    assert profile.ports["M1"].management is True
    assert profile.speed_of("E1/1") == "25G"
    assert profile.speed_of("E1/2") == "100G"
    assert profile.breakout_modes("E1/1") == {}
    assert sorted(profile.breakout_modes("E1/2")) == ["1x100G", "4x25G"]
    assert profile.default_breakout("E1/2") == "1x100G"


def test_port_refs_split_at_the_first_slash():
    ref = parse.parse_port({"port": "leaf-01/E1/55/2"}, "x")
    assert (ref.device, ref.port) == ("leaf-01", "E1/55/2")


@pytest.mark.parametrize("spec, cause", [
    ({"portGroups": {"1": "SFP28-25G"}}, "spec.portGroups.1 must be a mapping, got str"),
    ({"portProfiles": {"S": ["25G"]}}, "spec.portProfiles.S must be a mapping, got list"),
    ({"portProfiles": {"S": {"speed": "25G"}}}, "spec.portProfiles.S.speed must be a mapping, got str"),
    ({"portProfiles": {"Q": {"breakout": {"supported": {"4x25G": ["0"]}}}}},
     "spec.portProfiles.Q.breakout.supported.4x25G must be a mapping, got list"),
])
def test_a_profile_whose_groups_or_port_profiles_are_not_mappings_is_refused_by_field(spec, cause):
    with pytest.raises(BadObject) as caught:
        parse.parse_profile({"metadata": {"name": "p"}, "spec": dict(spec, ports={"E1/1": {"nos": "Ethernet0"}})})
    assert str(caught.value) == cause
