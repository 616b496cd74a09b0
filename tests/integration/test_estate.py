"""The estate: many fabrics built from hhfab's one default address plan, in one NetBox.

Every fabric here is the VLAB fixture itself under another name, in a site of its own: the
same switch, server and VPC names and the same addresses (management 172.30.0.0/21,
protocol 172.30.8.0/22, VTEP 172.30.12.0/22, links 172.30.128.0/17, IPv4Namespace
``default`` 10.0.0.0/16), as real estates are.
"""

from __future__ import annotations

import pytest

import sync_helpers as h

FABRICS = ("east", "west", "north")
# Every model a fabric owns, the overlay's included.
ENDPOINTS = list(h.OWNED_ENDPOINTS.values()) + ["ipam/vrfs", "ipam/vlan-groups", "ipam/vlans", "ipam/ip-ranges"]


def _config(nb, fabric, source=h.VLAB, **options):
    return h.config_for(nb, source, fabric=fabric, site=fabric.upper(), **options)


def _owned(nb, fabric):
    return dict((endpoint, h.api_count(nb, endpoint, cf_hedgehog_fabric=fabric)) for endpoint in ENDPOINTS)


@pytest.fixture
def estate(fresh_netbox):
    """Three fabrics on one address plan, synced one after the other into one NetBox."""
    results = {}
    for fabric in FABRICS:
        results[fabric], _run = h.sync(_config(fresh_netbox, fabric))
    return fresh_netbox, results


def test_three_fabrics_on_one_plan_land_whole_with_no_conflict(estate):
    nb, results = estate
    for fabric in FABRICS:
        result = results[fabric]
        assert result["result"] == "success", (fabric, result["warnings"])
        assert result["problems"] == []
        assert not any(ops.get("conflict") for ops in result["summary"].values()), fabric
    # Each fabric holds the same, whole set of objects: 11 devices, 37 underlay IPs, the overlay.
    counts = dict((fabric, _owned(nb, fabric)) for fabric in FABRICS)
    assert counts["east"] == counts["west"] == counts["north"]
    assert counts["east"]["dcim/devices"] == 11
    assert counts["east"]["ipam/vrfs"] == 8  # six VPCs, the underlay and the IPv4 namespace
    for fabric in FABRICS:
        underlay = h.api_list(nb, "ipam/vrfs", name="%s/underlay" % fabric)
        assert len(underlay) == 1
        ips = h.api_list(nb, "ipam/ip-addresses", vrf_id=underlay[0]["id"], fields="address,assigned_object")
        assert len(ips) == 37
        leaf = dict((ip["assigned_object"]["name"], ip["address"]) for ip in ips
                    if ip["assigned_object"]["device"]["name"] == "leaf-01")
        assert leaf == {"M1": "172.30.0.8/21", "Loopback1": "172.30.8.2/32", "Loopback2": "172.30.12.0/32"}
        device = h.api_list(nb, "dcim/devices", name="leaf-01", site=fabric.lower(), fields="primary_ip4")
        assert device[0]["primary_ip4"]["address"] == "172.30.0.8/21"
        container = h.api_list(nb, "ipam/prefixes", vrf="%s/ipv4ns/default" % fabric, prefix="10.0.0.0/16")
        assert [p["status"]["value"] for p in container] == ["container"]
    # One address, three objects: one in each fabric's underlay.
    management = h.api_list(nb, "ipam/ip-addresses", address="172.30.0.8/21", fields="vrf")
    assert sorted(ip["vrf"]["name"] for ip in management) == ["east/underlay", "north/underlay", "west/underlay"]


def test_each_fabric_resyncs_with_no_write(estate):
    nb, _results = estate
    for fabric in FABRICS:
        before = h.change_count(nb)
        again, _run = h.sync(_config(nb, fabric))
        assert again["changed"] is False, (fabric, h.write_ops(again))
        assert again["requests"]["netbox"]["writes"] == 0
        assert h.change_count(nb) == before


def test_removing_one_fabric_leaves_the_others_untouched(estate, tmp_path):
    nb, _results = estate
    others = dict((fabric, h.state_of(nb, fabric=fabric, endpoints=ENDPOINTS)) for fabric in ("east", "north"))
    empty = tmp_path / "empty"
    empty.mkdir()

    gone, _run = h.sync(_config(nb, "west", source=empty, force=True))

    assert gone["result"] == "success", gone["warnings"]
    assert gone["summary"]["device"]["delete"] == 11
    assert _owned(nb, "west")["dcim/devices"] == 0
    assert _owned(nb, "west")["ipam/ip-addresses"] == 0
    for fabric, before in others.items():
        assert h.state_of(nb, fabric=fabric, endpoints=ENDPOINTS) == before, fabric


def test_two_namespaces_of_one_fabric_that_reuse_a_subnet_stay_two(fresh_netbox, tmp_path):
    directory = h.copy_fixture("vlab", tmp_path / "vlab")

    def add_namespace(objects):
        other = dict(objects[0], metadata={"name": "tenant-b", "namespace": "default"},
                     spec={"subnets": ["10.0.0.0/16", "10.1.0.0/16"]})
        return objects + [other]

    h.edit_objects(directory, "IPv4Namespace", add_namespace)
    result, _run = h.sync(_config(fresh_netbox, "east", source=directory))

    assert result["result"] == "success", result["warnings"]
    containers = h.api_list(fresh_netbox, "ipam/prefixes", cf_hedgehog_fabric="east", status="container",
                            fields="prefix,vrf,custom_fields")
    assert sorted((p["vrf"]["name"], p["prefix"], p["custom_fields"]["hedgehog_ipv4_namespace"]) for p in containers) == [
        ("east/ipv4ns/default", "10.0.0.0/16", "default"),
        ("east/ipv4ns/tenant-b", "10.0.0.0/16", "tenant-b"),
        ("east/ipv4ns/tenant-b", "10.1.0.0/16", "tenant-b"),
    ]
    again, _run = h.sync(_config(fresh_netbox, "east", source=directory))
    assert again["requests"]["netbox"]["writes"] == 0
