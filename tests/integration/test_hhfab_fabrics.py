"""A mesh and a hardware lab as hhfab writes them, synced into the real NetBox unhydrated and then hydrated.

The hardware lab (Celestica DS3000/DS4000, Dell S5248F-ON, Supermicro SSE-C4632SB) carries breakouts of
every shape, ESLAG, bundled and unbundled links, a vpc-loopback, a gateway, a BGP External and a static
External whose static prefix is its attachment's own subnet. hhfab wiring has no SwitchProfiles.
"""

from __future__ import annotations

import shutil

import yaml

import sync_helpers as h
import wiring_checks as w
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import slugify
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import profiles as builtin
from testbed import hhfab_wiring
from testbed.paths import FIXTURES

HHFAB_MESH = FIXTURES / "hhfab-mesh"
HHFAB_HARDWARE = FIXTURES / "hhfab-hardware"
MESH_SITE = "MESH"
LAB_SITE = "LAB"
# The lab's hardware profiles: built in, and put in the source by some tests (where they win).
LAB_PROFILES = ("celestica-ds3000", "celestica-ds4000", "supermicro-sse-c4632sb")
ADDRESS_ENDPOINTS = ("ipam/ip-addresses", "ipam/prefixes", "ipam/asns", "ipam/rirs")


def _writes(result):
    found = h.write_ops(result)
    found.pop("schema", None)
    return found


def _land(config):
    result, _run = h.sync(config)
    assert result["result"] == "success", result["warnings"]
    assert result["problems"] == []
    return result


def _assert_only_addresses_added(before, after):
    diff = h.state_diff(before, after)
    assert diff["removed"] == []
    assert set(name.split(":")[0] for name in diff["added"]) <= set(ADDRESS_ENDPOINTS), diff["added"]


def _nos_names(netbox, site, device):
    return dict((port["name"], port["description"])
                for port in h.api_list(netbox, "dcim/interfaces", site=slugify(site), device=device,
                                       fields="name,description"))


# -- the mesh ---------------------------------------------------------------------------------------


def test_unhydrated_mesh_lands_and_its_hydration_later_adds_only_addresses(fresh_netbox):
    nb = fresh_netbox
    config = h.config_for(nb, HHFAB_MESH, fabric="mesh", site=MESH_SITE)
    result = _land(config)
    # The VRFs of the underlay (empty until hydrated) and of the IPv4Namespace.
    assert _writes(result) == {
        "tag": {"create": 2}, "mac_address": {"create": 3},
        "vrf": {"create": 2}, "site": {"create": 1}, "device_role": {"create": 2}, "manufacturer": {"create": 2},
        "device_type": {"create": 2}, "platform": {"create": 1}, "interface_template": {"create": 49},
        "cluster_type": {"create": 1}, "cluster": {"create": 1}, "device": {"create": 9},
        "interface": {"create": 6 + 10, "update": 3 * 49}, "lag": {"create": 10}, "vlan_group": {"create": 1},
        "prefix": {"create": 1}, "cable": {"create": 16}}
    wiring = w.Wiring(HHFAB_MESH)
    w.assert_wiring_landed(nb, wiring, "mesh", MESH_SITE)
    assert sorted(label for label, _ends in w.netbox_cables(nb, "mesh") if "--mesh--" in label) == [
        "leaf-01--mesh--leaf-02"] * 2 + ["leaf-01--mesh--leaf-03"] * 2 + ["leaf-02--mesh--leaf-03"] * 2
    w.assert_second_run_writes_nothing(nb, config)

    before = h.state_of(nb, fabric="mesh")
    hydrated = h.config_for(nb, FIXTURES / "hhfab-mesh-hydrated", fabric="mesh", site=MESH_SITE)
    result = _land(hydrated)
    # 3 x (management, protocol, VTEP) and 6 mesh links x 2 ends; one /31 per link.
    assert _writes(result) == {"rir": {"create": 1}, "asn": {"create": 3}, "device": {"update": 3},
                               "ip_address": {"create": 9 + 12}, "prefix": {"create": 6}}
    _assert_only_addresses_added(before, h.state_of(nb, fabric="mesh"))
    link = h.api_list(nb, "ipam/ip-addresses", address="172.30.128.0/31")[0]["assigned_object"]
    assert (link["device"]["name"], link["name"]) == ("leaf-01", "E1/4")
    w.assert_wiring_landed(nb, wiring, "mesh", MESH_SITE)
    w.assert_second_run_writes_nothing(nb, hydrated)


# -- the hardware lab ---------------------------------------------------------------------------------


def _with_profiles(name, tmp_path):
    """A copy of a hardware work directory that carries the lab's SwitchProfiles in an include file."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    with open(target / "include" / "switchprofiles.yaml", "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(hhfab_wiring.switch_profile_objects(LAB_PROFILES), handle)
    return target


def _lab(netbox, directory):
    return h.config_for(netbox, directory, fabric="lab", site=LAB_SITE)


def _assert_the_lab_landed(nb, wiring):
    lags = w.assert_wiring_landed(nb, wiring, "lab", LAB_SITE)
    assert len(w.netbox_cables(nb, "lab")) == 33
    assert lags[("ds3000-02", "server-01--eslag--ds3000-01--ds3000-02")][1] == ["E1/1/1"]
    # A cage in 1x100G is one port: its lane 1 is the cage.
    assert w.netbox_sub_ports(nb, LAB_SITE, [("ds4000-01", "E1/20"), ("ds3000-02", "E1/3")]) == {
        ("ds4000-01", "E1/20"): [], ("ds3000-02", "E1/3"): []}
    gateway = h.interface(nb, "gateway-1", "enp2s1")
    assert h.cable_ends(nb, gateway["cable"]["id"]) == (
        "ds4000-01--gateway--gateway-1", [("ds4000-01", "E1/20"), ("gateway-1", "enp2s1")])
    ds3000 = _nos_names(nb, LAB_SITE, "ds3000-02")
    assert ds3000["E1/3"] == "Ethernet8"  # breakout-capable, left whole
    assert (ds3000["E1/2"], ds3000["E1/2/1"], ds3000["E1/2/2"]) == ("1/2", "Ethernet4", "Ethernet6")
    ds4000 = _nos_names(nb, LAB_SITE, "ds4000-01")
    assert [ds4000["E1/1/%d" % i] for i in range(1, 5)] == ["Ethernet0", "Ethernet2", "Ethernet4", "Ethernet6"]
    assert ds4000["E1/20"] == "Ethernet152"
    s5248 = _nos_names(nb, LAB_SITE, "s5248-01")
    assert [s5248["E1/55/%d" % i] for i in range(1, 5)] == ["Ethernet72", "Ethernet73", "Ethernet74", "Ethernet75"]
    # The static External's prefix is its attachment's subnet: one prefix, the External's.
    vrf = h.api_list(nb, "ipam/vrfs", name="ext.ext-static")[0]
    static = h.api_list(nb, "ipam/prefixes", vrf_id=vrf["id"])
    assert [(p["prefix"], p["description"]) for p in static] == [
        ("100.10.210.0/24", "External ext-static static prefix")]
    _assert_the_labs_vpcs_and_externals_landed(nb)


def _assert_the_labs_vpcs_and_externals_landed(nb):
    """vpcs.yaml's two VPCs and nine attachments, externals.yaml's two Externals on sse-c4632-01's E1/1/1."""
    assert sorted(v["name"] for v in h.api_list(nb, "ipam/vrfs", cf_hedgehog_fabric="lab")) == [
        "ext.ext-bgp", "ext.ext-static", "lab/ipv4ns/default", "lab/underlay", "vpc-01", "vpc-02"]
    assert sorted((v["vid"], v["name"], v["group"]["name"]) for v in h.api_list(nb, "ipam/vlans")
                  if v["group"] and v["group"]["name"].startswith("lab/")) == [
        (100, "ext-bgp/100", "lab/ext.ext-bgp"), (210, "ext-static/210", "lab/ext.ext-static"),
        (1001, "vpc-01/default", "lab/default"), (1002, "vpc-02/default", "lab/default")]
    subnets = dict((p["prefix"], (p["vrf"]["name"], p["vlan"]["vid"]))
                   for p in h.api_list(nb, "ipam/prefixes") if p["vlan"] and p["vrf"]["name"].startswith("vpc-"))
    assert subnets == {"10.20.1.0/24": ("vpc-01", 1001), "10.20.2.0/24": ("vpc-02", 1002)}
    # Each attachment's switch side (a port, or the LAG of a bundled or ESLAG link) carries its subnet's VLAN;
    # the externals' attachments are the VLAN subinterfaces of E1/1/1.
    carried = sorted((p["device"]["name"], p["name"], p["mode"]["value"], (p["untagged_vlan"] or {}).get("vid"),
                      [v["vid"] for v in p["tagged_vlans"]])
                     for p in h.api_list(nb, "dcim/interfaces", site=slugify(LAB_SITE)) if p["mode"])
    eslag = "server-0%d--eslag--ds3000-01--ds3000-02"
    assert carried == [
        ("ds3000-01", "E1/2/1", "tagged", None, [1001]),
        ("ds3000-01", eslag % 1, "tagged", None, [1001]), ("ds3000-01", eslag % 2, "tagged", None, [1001]),
        ("ds3000-01", "server-03--bundled--ds3000-01", "tagged", None, [1001]),
        ("ds3000-02", "E1/2/2", "tagged", None, [1002]), ("ds3000-02", "E1/3", "tagged", None, [1002]),
        ("ds3000-02", eslag % 1, "tagged", None, [1001]), ("ds3000-02", eslag % 2, "tagged", None, [1001]),
        ("s5248-01", "E1/55/1", "tagged", None, [1002]),
        ("s5248-01", "server-08--bundled--s5248-01", "tagged", None, [1002]),
        ("sse-c4632-01", "E1/1/1.100", "access", 100, []), ("sse-c4632-01", "E1/1/1.210", "access", 210, []),
        ("sse-c4632-01", "E1/1/2", "tagged", None, [1002])]


def _restore_unhydrated_lab(testbed, netbox, directory):
    def build():
        result = _land(_lab(netbox, directory))
        assert result["source"]["hydration"] == "none"
    h.restore_synced(testbed, "hhfab_lab", build, inputs=(HHFAB_HARDWARE,))


def test_unhydrated_hardware_lab_lands_with_its_profiles_in_the_source(fresh_netbox, netbox_testbed, tmp_path):
    nb = fresh_netbox
    directory = _with_profiles("hhfab-hardware", tmp_path)
    _restore_unhydrated_lab(netbox_testbed, nb, directory)
    _assert_the_lab_landed(nb, w.Wiring(HHFAB_HARDWARE))
    devices = dict((d["name"], d) for d in h.api_list(nb, "dcim/devices", site="lab"))
    assert devices["ds4000-01"]["device_type"]["slug"] == "celestica-ds4000"
    assert devices["s5248-01"]["device_type"]["slug"] == "dell-s5248f-on"
    assert devices["ds3000-01"]["custom_fields"]["hedgehog_asn"] is None
    underlay = h.api_list(nb, "ipam/vrfs", name="lab/underlay")[0]
    assert h.api_count(nb, "ipam/ip-addresses", vrf_id=underlay["id"]) == 0
    w.assert_second_run_writes_nothing(nb, _lab(nb, directory))


def test_hardware_lab_hydrated_later_adds_only_addresses(fresh_netbox, netbox_testbed, tmp_path):
    nb = fresh_netbox
    _restore_unhydrated_lab(netbox_testbed, nb, _with_profiles("hhfab-hardware", tmp_path))
    before = h.state_of(nb, fabric="lab")
    hydrated = _lab(nb, _with_profiles("hhfab-hardware-hydrated", tmp_path))
    result = _land(hydrated)
    # ASNs 65100-65104 and the gateway's 65534; per switch its management, protocol and (leaves) VTEP IP,
    # the gateway's protocol and VTEP IP, and both ends and the /31 of each of the 16 fabric and 2 gateway links;
    # the gateway's two fabric ports get the MTU its hydrated spec gives them.
    assert _writes(result) == {"rir": {"create": 1}, "asn": {"create": 6}, "device": {"update": 7},
                               "prefix": {"create": 18}, "ip_address": {"create": 6 + 6 + 4 + 2 + 36},
                               "interface": {"update": 2}}
    _assert_only_addresses_added(before, h.state_of(nb, fabric="lab"))
    _assert_the_lab_landed(nb, w.Wiring(FIXTURES / "hhfab-hardware-hydrated"))
    w.assert_second_run_writes_nothing(nb, hydrated)


def test_hardware_lab_lands_from_the_built_in_profiles(fresh_netbox):
    assert set(LAB_PROFILES) <= set(builtin.BUILTIN_PROFILES)
    nb = fresh_netbox
    config = _lab(nb, HHFAB_HARDWARE)
    result = _land(config)
    assert result["source"]["hydration"] == "none"
    _assert_the_lab_landed(nb, w.Wiring(HHFAB_HARDWARE))
    w.assert_second_run_writes_nothing(nb, config)
