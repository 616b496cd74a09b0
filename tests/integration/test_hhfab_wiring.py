"""Wiring as hhfab writes it, synced into the real NetBox: unhydrated first, hydrated later, the live fabric last.

``hhfab vlab gen`` writes wiring without switch ASNs and addresses; the plan lands without them and they
land later, from the hydrated wiring or the live fabric, as updates and new addresses to the same objects.
Every test asserts every link as a cable between the right ports, every LAG's members and every breakout
sub-port (``wiring_checks``), and that a second run writes nothing.
"""

from __future__ import annotations

import pytest

import sync_helpers as h
import wiring_checks as w
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import slugify
from testbed.paths import FIXTURES

HHFAB_VLAB = FIXTURES / "hhfab-vlab"
HHFAB_VLAB_HYDRATED = FIXTURES / "hhfab-vlab-hydrated"
SWITCHES = ("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02")
# hhfab's plan for the VLAB (the live fixture has the same): switch -> (management, protocol, VTEP, ASN).
VLAB_ADDRESSES = {
    "spine-01": ("172.30.0.6/21", "172.30.8.0/32", None, 65100),
    "spine-02": ("172.30.0.7/21", "172.30.8.1/32", None, 65100),
    "leaf-01": ("172.30.0.8/21", "172.30.8.2/32", "172.30.12.0/32", 65101),
    "leaf-02": ("172.30.0.9/21", "172.30.8.3/32", "172.30.12.1/32", 65102),
    "leaf-03": ("172.30.0.10/21", "172.30.8.4/32", "172.30.12.2/32", 65103),
}
# Kinds whose NetBox objects hydration may add: addresses, link /31s, ASNs and their RIR.
ADDRESS_ENDPOINTS = ("ipam/ip-addresses", "ipam/prefixes", "ipam/asns", "ipam/rirs")


def _devices(netbox, site):
    return dict((d["name"], d) for d in h.api_list(netbox, "dcim/devices", site=slugify(site)))


def _switch_addresses(netbox, site):
    """switch -> (management, protocol, VTEP, ASN) as NetBox holds them."""
    on = {}
    underlay = h.api_list(netbox, "ipam/vrfs", name="vlab/underlay")[0]
    for ip in h.api_list(netbox, "ipam/ip-addresses", parent="172.30.0.0/16", vrf_id=underlay["id"]):
        if ip["assigned_object"]:
            on[(ip["assigned_object"]["device"]["name"], ip["assigned_object"]["name"])] = ip["address"]
    found = {}
    for name, device in _devices(netbox, site).items():
        if name in VLAB_ADDRESSES:
            found[name] = (on.get((name, "M1")), on.get((name, "Loopback1")), on.get((name, "Loopback2")),
                           device["custom_fields"]["hedgehog_asn"])
    return found


def _writes(result):
    """The run's writes per kind and op, the custom fields and tags of an empty NetBox left out."""
    found = h.write_ops(result)
    found.pop("schema", None)
    return found


def _land(netbox, directory, **options):
    result, _run = h.sync(h.config_for(netbox, directory, **options))
    assert result["result"] == "success", result["warnings"]
    assert result["problems"] == []
    return result


def _restore_unhydrated_vlab(testbed, netbox):
    def build():
        _land(netbox, HHFAB_VLAB)
    h.restore_synced(testbed, "hhfab_vlab", build, inputs=(HHFAB_VLAB,))


def _ids_kept(before, after):
    """Nothing removed, and only addresses (and their ASNs) added."""
    diff = h.state_diff(before, after)
    assert diff["removed"] == []
    added = sorted(set(name.split(":")[0] for name in diff["added"]))
    assert set(added) <= set(ADDRESS_ENDPOINTS), diff["added"]
    return diff


# -- the VLAB: unhydrated, then hydrated, then the live fabric ---------------------------------------


def test_unhydrated_vlab_lands_every_device_port_lag_and_cable(fresh_netbox):
    nb = fresh_netbox
    result = _land(nb, HHFAB_VLAB)
    assert result["source"]["hydration"] == "none"
    # Loopback1 on every switch, Loopback2 on every leaf and the 10 server ports are new; the first run
    # writes each switch port's NOS name (5 x 49). The VRFs of the underlay and of the IPv4Namespace are the
    # fabric's from the start, empty as the underlay is until its addresses come.
    assert _writes(result) == {
        "tag": {"create": 2}, "mac_address": {"create": 5},
        "vrf": {"create": 2}, "site": {"create": 1}, "device_role": {"create": 3}, "manufacturer": {"create": 2},
        "device_type": {"create": 2}, "platform": {"create": 1}, "interface_template": {"create": 49},
        "cluster_type": {"create": 1}, "cluster": {"create": 1}, "device": {"create": 11},
        "interface": {"create": 8 + 10, "update": 245}, "lag": {"create": 10}, "vlan_group": {"create": 1},
        "prefix": {"create": 1}, "cable": {"create": 22}}
    devices = _devices(nb, h.VLAB_SITE)
    assert len(devices) == 11
    for name in SWITCHES:
        assert devices[name]["custom_fields"]["hedgehog_asn"] is None
        assert devices[name]["primary_ip4"] is None
    assert h.api_count(nb, "ipam/ip-addresses") == 0
    assert h.api_count(nb, "ipam/asns") == 0
    lags = w.assert_wiring_landed(nb, w.Wiring(HHFAB_VLAB), "vlab", h.VLAB_SITE)
    assert lags[("leaf-01", "server-01--eslag--leaf-01--leaf-02")][0] == "server-01--eslag--leaf-01--leaf-02"
    w.assert_second_run_writes_nothing(nb, h.config_for(nb, HHFAB_VLAB))


def test_hydrated_vlab_later_adds_addresses_and_asns_to_the_same_objects(fresh_netbox, netbox_testbed):
    nb = fresh_netbox
    _restore_unhydrated_vlab(netbox_testbed, nb)
    before = h.state_of(nb, fabric="vlab")
    result = _land(nb, HHFAB_VLAB_HYDRATED)
    assert result["source"]["hydration"] == "full"
    # Addresses, link /31s and ASNs are new; the switches take their ASN and primary IP: nothing else moves.
    assert _writes(result) == {"rir": {"create": 1}, "asn": {"create": 4}, "device": {"update": 5},
                               "ip_address": {"create": 37}, "prefix": {"create": 12}}
    _ids_kept(before, h.state_of(nb, fabric="vlab"))
    assert _switch_addresses(nb, h.VLAB_SITE) == VLAB_ADDRESSES
    w.assert_wiring_landed(nb, w.Wiring(HHFAB_VLAB_HYDRATED), "vlab", h.VLAB_SITE)
    w.assert_second_run_writes_nothing(nb, h.config_for(nb, HHFAB_VLAB_HYDRATED))


def test_the_live_fabric_later_brings_its_addresses_to_the_planned_objects(
        fresh_netbox, netbox_testbed, kube_standin_factory):
    nb = fresh_netbox
    _restore_unhydrated_vlab(netbox_testbed, nb)
    before = h.state_of(nb, fabric="vlab")
    kube = kube_standin_factory([h.VLAB])
    config = h.config_for(nb, kube)
    result = _land(nb, kube)
    assert result["source"]["hydration"] is None
    # The addresses, ASNs and the VPCs (which hhfab vlab setup-vpcs makes through the API) are new, and so
    # are what only the live fabric knows: its control node (a device with its role, type, two ports and
    # address) and the 34 transceivers its agents report (with their manufacturer and role). The switches
    # take their ASN, primary IP and agent facts, every switch port the state its agent reports (5 x 49),
    # the LAGs their catalog names and VLANs. Nothing is deleted or made again.
    assert _writes(result) == {
        "manufacturer": {"create": 1}, "device_role": {"create": 1}, "inventory_item_role": {"create": 1},
        "device_type": {"create": 1}, "rir": {"create": 1}, "asn": {"create": 4}, "vrf": {"create": 6},
        "vlan": {"create": 6}, "device": {"create": 1, "update": 5}, "lag": {"update": 10},
        "interface": {"create": 2, "update": 245}, "prefix": {"create": 12 + 6}, "ip_range": {"create": 6},
        "ip_address": {"create": 37 + 6 + 1}, "inventory_item": {"create": 34}}
    diff = h.state_diff(before, h.state_of(nb, fabric="vlab"))
    assert diff["removed"] == []
    assert _switch_addresses(nb, h.VLAB_SITE) == VLAB_ADDRESSES
    lags = w.assert_wiring_landed(nb, w.Wiring(h.VLAB), "vlab", h.VLAB_SITE)
    assert lags[("leaf-01", "server-01--eslag--leaf-01--leaf-02")][0] == "PortChannel1"
    assert lags[("server-04", "server-04--bundled--leaf-02")][0] == "bond3"
    w.assert_second_run_writes_nothing(nb, config)


def test_hhfabs_plan_lands_before_the_fabric_and_the_hydrated_wiring_finds_it_in_place(fresh_netbox):
    nb = fresh_netbox
    result = _land(nb, HHFAB_VLAB, wiring_hydrate=True)
    assert result["source"]["hydration"] == "planned"
    assert _switch_addresses(nb, h.VLAB_SITE) == VLAB_ADDRESSES
    w.assert_second_run_writes_nothing(nb, h.config_for(nb, HHFAB_VLAB, wiring_hydrate=True))
    # What hhfab build assigns is what the plan showed: the hydrated wiring changes nothing.
    w.assert_second_run_writes_nothing(nb, h.config_for(nb, HHFAB_VLAB_HYDRATED))


# -- partly hydrated wiring --------------------------------------------------------------------------


def test_partly_hydrated_wiring_fails_naming_what_lacks_what_and_writes_nothing(fresh_netbox, netbox_testbed):
    nb = fresh_netbox
    _restore_unhydrated_vlab(netbox_testbed, nb)
    before = h.change_count(nb)
    config = h.config_for(nb, FIXTURES / "hhfab-partial")
    client = h.client_for(config)
    with pytest.raises(SourceError) as raised:
        h.sync(config, client=client)
    message = str(raised.value)
    assert message.startswith("fabric vlab: the wiring is partly hydrated, which hhfab refuses too: ")
    for fragment in ("ControlNode control-1 lacks management.ip", "Switch leaf-02 lacks ip, protocolIP, vtepIP",
                     "Switch leaf-03 lacks ip, protocolIP, asn, vtepIP",
                     "Connection spine-01--fabric--leaf-03 lacks links[0].spine.ip",
                     "Connection spine-02--fabric--leaf-03 lacks links[0].spine.ip"):
        assert fragment in message
    assert client.request_counts()["total"] == 0
    assert h.change_count(nb) == before


def test_a_recorded_run_of_partly_hydrated_wiring_is_an_error_on_the_fabrics_record(fresh_netbox, netbox_testbed):
    nb = fresh_netbox
    _restore_unhydrated_vlab(netbox_testbed, nb)
    before = h.owned_counts(nb, "vlab")
    with pytest.raises(SourceError):
        h.recorded_sync(h.config_for(nb, FIXTURES / "hhfab-partial"))
    record = h.api_list(nb, "virtualization/clusters", name="vlab")[0]["custom_fields"]
    assert record["hedgehog_last_result"] == "failed"
    assert "Switch leaf-03 lacks ip, protocolIP, asn, vtepIP" in record["hedgehog_last_error"]
    assert h.owned_counts(nb, "vlab") == before
