"""Wiring as hhfab writes it, mapped without NetBox: unhydrated fabrics, and the defects real wiring showed.

Each test reads a fixture into a SourceData, may edit it in memory, and looks at the snapshot's problems
and the desired objects.
"""

from __future__ import annotations

import copy
import os

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.dcim import port_nos_name
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.desired import build_desired
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import ProfilePort
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import BUILTIN_PROFILES
from testbed.paths import FIXTURES

_LOADED = {}


def load(name):
    if name not in _LOADED:
        _LOADED[name] = read_wiring_dir(os.path.join(FIXTURES, name), fabric="f")
    return copy.deepcopy(_LOADED[name])


def hardware(name="hhfab-hardware"):
    """The hardware lab as hhfab writes it: no SwitchProfiles, its switches' profiles are the built-in ones."""
    data = load(name)
    assert data.items("SwitchProfile") == []
    return data


def mapped(data):
    snapshot = build_snapshot("f", data, BUILTIN_PROFILES)
    config = FabricConfig(fabric="f", site="F", netbox_url="http://netbox.invalid", netbox_token="t")
    return snapshot, build_desired(snapshot, config)


def problems(snapshot, desired):
    return [str(p) for p in list(snapshot.problems) + list(desired.problems)]


def keys(desired, kind):
    return set(desired.of(kind))


# -- unhydrated wiring -------------------------------------------------------------------------------


def test_unhydrated_vlab_maps_every_device_port_lag_and_cable_and_no_address():
    snapshot, desired = mapped(load("hhfab-vlab"))
    assert problems(snapshot, desired) == []
    assert snapshot.counts() == {"switches": 5, "servers": 6, "gateways": 0, "connections": 12}
    assert len(desired.of("cable")) == 22
    assert len(desired.of("lag")) == 10
    assert keys(desired, "ip_address") == set() and keys(desired, "asn") == set()
    # The IPv4Namespace's container (in its namespace's VRF) is the only prefix: link /31s need link IPs.
    assert list(desired.of("prefix")) == [("f/ipv4ns/default", "10.0.0.0/16")]
    leaf = desired.get("device", "leaf-01")
    assert leaf.fields["custom_fields"]["hedgehog_asn"] is None
    assert leaf.late == {}
    loopbacks = sorted(key for key in keys(desired, "interface") if key[1].startswith("Loopback"))
    assert loopbacks == sorted([(sw, "Loopback1") for sw in ("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02")]
                               + [(sw, "Loopback2") for sw in ("leaf-01", "leaf-02", "leaf-03")])


def test_hydration_adds_addresses_and_asns_to_the_same_objects():
    _snapshot, bare = mapped(load("hhfab-vlab"))
    snapshot, hydrated = mapped(load("hhfab-vlab-hydrated"))
    assert problems(snapshot, hydrated) == []
    for kind in ("device", "interface", "lag", "cable", "vlan_group", "device_type", "interface_template"):
        assert keys(bare, kind) == keys(hydrated, kind), kind
    assert len(hydrated.of("ip_address")) == 37
    assert sorted(hydrated.of("asn")) == [65100, 65101, 65102, 65103]
    leaf = hydrated.get("device", "leaf-01")
    assert leaf.fields["custom_fields"]["hedgehog_asn"] == 65101
    assert leaf.late == {"primary_ip4": Ref("ip_address", ("f/underlay", "172.30.0.8/21"))}


def test_unhydrated_mesh_maps_its_mesh_links_as_cables():
    snapshot, desired = mapped(load("hhfab-mesh"))
    assert problems(snapshot, desired) == []
    mesh = sorted(key for key, cable in desired.of("cable").items()
                  if cable.fields["custom_fields"]["hedgehog_connection_type"] == "mesh")
    assert mesh == [
        (("leaf-01", "E1/4"), ("leaf-02", "E1/5")), (("leaf-01", "E1/5"), ("leaf-02", "E1/6")),
        (("leaf-01", "E1/6"), ("leaf-03", "E1/4")), (("leaf-01", "E1/7"), ("leaf-03", "E1/5")),
        (("leaf-02", "E1/7"), ("leaf-03", "E1/6")), (("leaf-02", "E1/8"), ("leaf-03", "E1/7"))]


def test_unhydrated_gateway_keeps_its_loopbacks_for_the_addresses_to_come():
    snapshot, desired = mapped(hardware())
    assert problems(snapshot, desired) == []
    assert desired.get("device", "gateway-1").fields["custom_fields"]["hedgehog_asn"] is None
    assert {("gateway-1", "Loopback1"), ("gateway-1", "Loopback2")} <= keys(desired, "interface")
    _snapshot, hydrated = mapped(hardware("hhfab-hardware-hydrated"))
    assert keys(desired, "interface") == keys(hydrated, "interface")


# -- a static External on its attachment's subnet --------------------------------------------------


def test_a_static_external_on_its_attachments_subnet_is_one_prefix_and_no_problem():
    snapshot, desired = mapped(hardware("hhfab-hardware-hydrated"))
    assert problems(snapshot, desired) == []
    prefix = desired.get("prefix", ("ext.ext-static", "100.10.210.0/24"))
    assert prefix.fields["description"] == "External ext-static static prefix"
    address = desired.get("ip_address", ("ext.ext-static", "100.10.210.2/24"))
    assert address.fields["assigned_object_id"] == Ref("subinterface", ("sse-c4632-01", "E1/1/1.210"))


def test_a_static_external_under_its_development_name_l2_maps_as_under_static():
    """The fabric's v0.101 - v0.103 called ``static`` ``l2``: the External and its attachment read the same."""
    data = hardware("hhfab-hardware-hydrated")
    for kind, name in (("External", "ext-static"), ("ExternalAttachment", "sse-c4632-01--ext-static")):
        obj = next(o for o in data.items(kind) if o["metadata"]["name"] == name)
        obj["spec"]["l2"] = obj["spec"].pop("static")
    snapshot, renamed = mapped(data)
    assert problems(snapshot, renamed) == []
    _snapshot, desired = mapped(hardware("hhfab-hardware-hydrated"))
    for kind, key in (("prefix", ("ext.ext-static", "100.10.210.0/24")),
                      ("ip_address", ("ext.ext-static", "100.10.210.2/24"))):
        assert renamed.get(kind, key).fields == desired.get(kind, key).fields


def test_two_attachments_on_one_segment_make_one_prefix_and_one_peer():
    data = hardware("hhfab-hardware-hydrated")
    bgp = next(o for o in data.items("ExternalAttachment") if o["metadata"]["name"] == "sse-c4632-01--ext-bgp")
    twin = copy.deepcopy(bgp)
    twin["metadata"]["name"] = "sse-c4632-01--ext-bgp-2"
    twin["spec"]["switch"].update(vlan=101, ip="100.10.100.3/24")
    data.add("ExternalAttachment", [twin])
    snapshot, desired = mapped(data)
    assert problems(snapshot, desired) == []
    assert desired.get("prefix", ("ext.ext-bgp", "100.10.100.0/24")).fields["description"] == (
        "sse-c4632-01--ext-bgp: External ext-bgp")
    peer = desired.get("ip_address", ("ext.ext-bgp", "100.10.100.6/24"))
    assert peer.fields["description"] == "sse-c4632-01--ext-bgp: External ext-bgp: neighbour AS 64102"
    assert desired.get("ip_address", ("ext.ext-bgp", "100.10.100.3/24")) is not None


# -- NOS names of breakout-capable ports -------------------------------------------------------------


def test_a_breakout_capable_port_left_whole_is_named_by_its_base_nos_name():
    assert port_nos_name(ProfilePort("E1/3", nos="1/3", base_nos="Ethernet8"), 1) == "Ethernet8"
    assert port_nos_name(ProfilePort("E1/1", nos="1/1", base_nos="Ethernet0"), 4) == "1/1"
    assert port_nos_name(ProfilePort("E1/1", nos="Ethernet0"), 1) == "Ethernet0"
    assert port_nos_name(ProfilePort("M1", nos="Management0"), 1) == "Management0"


def test_hardware_ports_carry_their_nos_names():
    _snapshot, desired = mapped(hardware())

    def nos(device, port):
        return desired.get("interface", (device, port)).fields["description"]

    assert nos("ds3000-02", "E1/3") == "Ethernet8"  # breakout-capable, left whole
    assert [nos("ds3000-02", "E1/2/%d" % i) for i in (1, 2)] == ["Ethernet4", "Ethernet6"]  # 2x50G
    assert nos("ds3000-02", "E1/2") == "1/2"
    assert [nos("ds4000-01", "E1/1/%d" % i) for i in range(1, 5)] == [
        "Ethernet0", "Ethernet2", "Ethernet4", "Ethernet6"]
    assert nos("ds4000-01", "E1/20") == "Ethernet152"  # 1x100G: one lane, the port itself
    assert ("ds4000-01", "E1/20/1") not in keys(desired, "interface")
    assert [nos("s5248-01", "E1/55/%d" % i) for i in range(1, 5)] == [
        "Ethernet72", "Ethernet73", "Ethernet74", "Ethernet75"]
    assert nos("s5248-01", "E1/49") == "Ethernet48"
    assert nos("s5248-01", "E1/1") == "Ethernet0"
    templates = desired.of("interface_template")
    assert templates[("celestica-ds3000", "E1/1")].fields["description"] == "Ethernet0"
    assert templates[("dell-s5248f-on", "E1/55")].fields["description"] == "Ethernet72"


# -- MCLAG: one Agent missing, one shared VTEP -------------------------------------------------------


def lag_names(desired):
    return dict((key, lag.fields["name"]) for key, lag in desired.of("lag").items())


MCLAG_LAGS = {
    ("server-01", "server-01--mclag--leaf-01--leaf-02"): "bond1",
    ("leaf-01", "server-01--mclag--leaf-01--leaf-02"): "PortChannel1",
    ("leaf-02", "server-01--mclag--leaf-01--leaf-02"): "PortChannel1",
    ("server-02", "server-02--mclag--leaf-01--leaf-02"): "bond2",
    ("leaf-01", "server-02--mclag--leaf-01--leaf-02"): "PortChannel2",
    ("leaf-02", "server-02--mclag--leaf-01--leaf-02"): "PortChannel2",
    ("server-04", "server-04--bundled--leaf-02"): "bond3",
    ("leaf-02", "server-04--bundled--leaf-02"): "PortChannel3",
}


def test_an_mclag_pair_with_one_agent_names_its_lags_one_way():
    _snapshot, desired = mapped(load("mclag-agent-missing"))
    assert lag_names(desired) == MCLAG_LAGS


def test_without_catalogs_the_peers_agent_numbers_the_port_channels():
    data = load("mclag-agent-missing")
    data.objects["Catalog"] = []
    snapshot, desired = mapped(data)
    assert "leaf-02" not in snapshot.agents
    assert snapshot.port_channel_id("leaf-02", "server-04--bundled--leaf-02") == 3
    assert lag_names(desired) == MCLAG_LAGS


def test_the_shared_vtep_is_held_by_the_first_switch_and_the_second_says_so():
    _snapshot, desired = mapped(load("vlab-mclag"))
    vtep = desired.get("ip_address", ("f/underlay", "172.30.12.0/32"))
    assert vtep.fields["assigned_object_id"] == Ref("interface", ("leaf-01", "Loopback2"))
    assert desired.get("interface", ("leaf-01", "Loopback2")).fields["description"] == "VTEP IP"
    assert desired.get("interface", ("leaf-02", "Loopback2")).fields["description"] == (
        "VTEP IP 172.30.12.0/32, shared with leaf-01, whose Loopback2 holds it")
