"""The estate: many fabrics built from hhfab's one default address plan, in one NetBox.

Every fabric here is the VLAB fixture itself under another name, in a site of its own: the
same switch, server and VPC names and the same addresses (management 172.30.0.0/21,
protocol 172.30.8.0/22, VTEP 172.30.12.0/22, links 172.30.128.0/17, IPv4Namespace
``default`` 10.0.0.0/16), as real estates are.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
import yaml

import sync_helpers as h
from testbed import generator

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import topology

FABRICS = ("east", "west", "north")
# Every model a fabric owns, the overlay's included.
ENDPOINTS = list(h.OWNED_ENDPOINTS.values()) + ["ipam/vrfs", "ipam/vlan-groups", "ipam/vlans", "ipam/ip-ranges"]


def _config(nb, fabric, source=h.VLAB, **options):
    return h.config_for(nb, source, fabric=fabric, site=fabric.upper(), **options)


def _owned(nb, fabric):
    return dict((endpoint, h.api_count(nb, endpoint, cf_hedgehog_fabric=fabric)) for endpoint in ENDPOINTS)


def _state(nb, fabric):
    """``{(endpoint, id): (display, last_updated)}`` of every object the fabric owns."""
    return dict(((endpoint, row["id"]), (row["display"], row["last_updated"])) for endpoint in ENDPOINTS
                for row in h.api_list(nb, endpoint, cf_hedgehog_fabric=fabric, fields="id,display,last_updated"))


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
    # Each fabric holds the same, whole set of objects: 12 devices (the control node's among them),
    # 38 underlay IPs, the overlay.
    counts = dict((fabric, _owned(nb, fabric)) for fabric in FABRICS)
    assert counts["east"] == counts["west"] == counts["north"]
    assert counts["east"]["dcim/devices"] == 12
    assert counts["east"]["ipam/vrfs"] == 8  # six VPCs, the underlay and the IPv4 namespace
    for fabric in FABRICS:
        underlay = h.api_list(nb, "ipam/vrfs", name="%s/underlay" % fabric)
        assert len(underlay) == 1
        ips = h.api_list(nb, "ipam/ip-addresses", vrf_id=underlay[0]["id"], fields="address,assigned_object")
        assert len(ips) == 38
        leaf = dict((ip["assigned_object"]["name"], ip["address"]) for ip in ips
                    if ip["assigned_object"]["device"]["name"] == "leaf-01")
        assert leaf == {"M1": "172.30.0.8/21", "Loopback1": "172.30.8.2/32", "Loopback2": "172.30.12.0/32",
                        "E1/4": "172.30.128.1/31", "E1/5": "172.30.128.3/31", "E1/6": "172.30.128.13/31",
                        "E1/7": "172.30.128.15/31"}
        device = h.api_list(nb, "dcim/devices", name="leaf-01", site=fabric.lower(), fields="primary_ip4")
        assert device[0]["primary_ip4"]["address"] == "172.30.0.8/21"
        namespace = h.api_list(nb, "ipam/vrfs", name="%s/ipv4ns/default" % fabric)[0]
        container = h.api_list(nb, "ipam/prefixes", vrf_id=namespace["id"], prefix="10.0.0.0/16")
        assert [p["status"]["value"] for p in container] == ["container"]
    # One address, three objects: one in each fabric's underlay.
    management = h.api_list(nb, "ipam/ip-addresses", address="172.30.0.8/21", fields="vrf")
    assert sorted(ip["vrf"]["name"] for ip in management) == ["east/underlay", "north/underlay", "west/underlay"]
    # Each fabric's control node too, reached at the same address in each.
    control = h.api_list(nb, "dcim/devices", name="control-1", fields="site,primary_ip4")
    assert sorted((d["site"]["slug"], d["primary_ip4"]["address"]) for d in control) == [
        ("east", "172.30.0.5/21"), ("north", "172.30.0.5/21"), ("west", "172.30.0.5/21")]


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
    others = dict((fabric, _state(nb, fabric)) for fabric in ("east", "north"))
    empty = tmp_path / "empty"
    empty.mkdir()

    gone, _run = h.sync(_config(nb, "west", source=empty, force=True))

    assert gone["result"] == "success", gone["warnings"]
    assert gone["summary"]["device"]["delete"] == 12
    assert _owned(nb, "west")["dcim/devices"] == 0
    assert _owned(nb, "west")["ipam/ip-addresses"] == 0
    for fabric, before in others.items():
        assert _state(nb, fabric) == before, fabric


def test_two_namespaces_of_one_fabric_that_reuse_a_subnet_stay_two(fresh_netbox, tmp_path):
    directory = h.copy_fixture("vlab", tmp_path / "vlab")

    def add_namespace(objects):
        # A deep copy: a dict shared with the first namespace would be dumped as a YAML alias, which is refused.
        other = dict(copy.deepcopy(objects[0]), metadata={"name": "tenant-b", "namespace": "default"},
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


# -- the upgrade from the layout in NetBox's global table --------------------------------------


def _underlay_ids(nb, fabric):
    """{address: id} of the fabric's underlay IPs and link prefixes, wherever they are."""
    ips = h.api_list(nb, "ipam/ip-addresses", cf_hedgehog_fabric=fabric, fields="id,address,vrf")
    prefixes = h.api_list(nb, "ipam/prefixes", cf_hedgehog_fabric=fabric, fields="id,prefix,vrf")
    return (dict((ip["address"], (ip["id"], (ip["vrf"] or {}).get("name"))) for ip in ips
                 if not (ip["vrf"] or {}).get("name", "").startswith("vpc-")),
            dict((p["prefix"], (p["id"], (p["vrf"] or {}).get("name"))) for p in prefixes
                 if not (p["vrf"] or {}).get("name", "").startswith("vpc-")))


def test_a_netbox_in_the_global_layout_moves_into_the_fabrics_vrfs_by_updates(fresh_netbox):
    """Earlier releases kept the underlay and the namespaces' containers in the global table.

    A NetBox synced that way (the options ``global`` reproduce it) moves by updates: every
    IP and prefix keeps its id, every switch keeps its primary IP throughout, check mode shows
    the move first and writes nothing, and the move is idempotent.
    """
    nb = fresh_netbox
    old, _run = h.sync(_config(nb, "east", underlay_vrf="global", ipv4_namespace_vrf="global"))
    assert old["result"] == "success", old["warnings"]
    ips_before, prefixes_before = _underlay_ids(nb, "east")
    assert len(ips_before) == 38 and set(vrf for _id, vrf in ips_before.values()) == {None}
    assert len(prefixes_before) == 13 and set(vrf for _id, vrf in prefixes_before.values()) == {None}
    primaries = dict((d["name"], d["primary_ip4"]["id"]) for d in h.api_list(
        nb, "dcim/devices", cf_hedgehog_fabric="east", role=["spine", "server-leaf"], fields="name,primary_ip4"))
    assert len(primaries) == 5

    changes = h.change_count(nb)
    planned, _run = h.sync(_config(nb, "east"), check_mode=True)
    assert h.change_count(nb) == changes
    assert planned["summary"]["vrf"]["create"] == 2
    assert (planned["summary"]["ip_address"]["update"], planned["summary"]["ip_address"]["create"],
            planned["summary"]["ip_address"]["delete"]) == (38, 0, 0)
    assert (planned["summary"]["prefix"]["update"], planned["summary"]["prefix"]["create"],
            planned["summary"]["prefix"]["delete"]) == (13, 0, 0)

    moved, _run = h.sync(_config(nb, "east"))
    assert moved["result"] == "success", moved["warnings"]
    assert moved["summary"] == planned["summary"]
    ips_after, prefixes_after = _underlay_ids(nb, "east")
    assert dict((a, i) for a, (i, _v) in ips_after.items()) == dict((a, i) for a, (i, _v) in ips_before.items())
    assert set(vrf for _id, vrf in ips_after.values()) == {"east/underlay"}
    assert dict((p, i) for p, (i, _v) in prefixes_after.items()) == dict(
        (p, i) for p, (i, _v) in prefixes_before.items())
    assert prefixes_after["10.0.0.0/16"][1] == "east/ipv4ns/default"
    assert set(vrf for p, (_i, vrf) in prefixes_after.items() if p != "10.0.0.0/16") == {"east/underlay"}
    assert dict((d["name"], d["primary_ip4"]["id"]) for d in h.api_list(
        nb, "dcim/devices", cf_hedgehog_fabric="east", role=["spine", "server-leaf"],
        fields="name,primary_ip4")) == primaries

    again, _run = h.sync(_config(nb, "east"))
    assert again["requests"]["netbox"]["writes"] == 0


def test_a_vrf_left_by_a_change_of_option_goes_once_its_addresses_moved_out(fresh_netbox):
    nb = fresh_netbox
    h.sync(_config(nb, "east"))
    moved, _run = h.sync(_config(nb, "east", underlay_vrf="dc-underlay"))
    assert moved["result"] == "success", moved["warnings"]
    assert moved["summary"]["ip_address"]["update"] == 38
    assert moved["summary"]["vrf"]["kept"] == 1  # east/underlay, emptied by this run
    shared = h.api_list(nb, "ipam/vrfs", name="dc-underlay")
    assert [v["custom_fields"]["hedgehog_fabric"] for v in shared] == [None]
    gone, _run = h.sync(_config(nb, "east", underlay_vrf="dc-underlay"))
    assert gone["summary"]["vrf"]["delete"] == 1
    assert h.api_list(nb, "ipam/vrfs", name="east/underlay") == []
    assert h.sync(_config(nb, "east", underlay_vrf="dc-underlay"))[0]["requests"]["netbox"]["writes"] == 0


# -- several Hedgehog fabrics behind one control node -------------------------------------------


def _merge_fabrics(directory, *fabrics):
    """One source holding several Hedgehog fabrics: ``(name, objects)``, each object marked with its fabric.

    One control node runs them all: the first fabric's.
    """
    merged, seen = [], {}
    for index, (name, objects) in enumerate(fabrics):
        for obj in objects:
            kind, obj_name = obj["kind"], obj["metadata"]["name"]
            if kind == "ControlNode" and index:
                continue
            if kind in topology.TOPOLOGY_KINDS and name != "default":
                obj["spec"]["topology"] = dict(obj["spec"].get("topology") or {}, fabric=name)
                if kind == "Switch":
                    obj["spec"]["topology"]["domain"] = "%s-pod" % name
            if (kind, obj_name) in seen:
                first = seen[(kind, obj_name)]
                if kind == "Catalog":  # one catalog per control node: the fabrics' allocations together
                    for key, value in obj.get("spec", {}).items():
                        if isinstance(value, dict):
                            first["spec"].setdefault(key, {}).update(value)
                continue
            seen[(kind, obj_name)] = obj
            merged.append(obj)
    generator.write_fabric(merged, directory)
    fabric_objects = [{"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Fabric",
                       "metadata": {"name": name, "namespace": "default"}, "spec": {}} for name, _objects in fabrics]
    listing = {"apiVersion": "v1", "kind": "List", "items": fabric_objects}
    (directory / "fabrics.yaml").write_text(yaml.safe_dump(listing))
    return directory


def test_two_fabrics_of_one_control_node_sync_as_two_netbox_fabrics(fresh_netbox, tmp_path):
    nb = fresh_netbox
    source = _merge_fabrics(tmp_path / "control-node",
                            ("default", generator.generate_fabric(generator.FabricSpec(name_prefix="a-"))),
                            ("b", generator.generate_fabric(generator.FabricSpec(name_prefix="b-"))))
    results = {}
    for fabric, selected in (("east", "default"), ("west", "b")):
        results[fabric], _run = h.sync(_config(nb, fabric, source=source, source_fabric=selected))
        assert results[fabric]["result"] == "success", (fabric, results[fabric]["warnings"])
    devices = {}
    for fabric in ("east", "west"):
        rows = h.api_list(nb, "dcim/devices", cf_hedgehog_fabric=fabric, fields="name")
        devices[fabric] = sorted(d["name"] for d in rows)
    # The control node lands with the default fabric only: one NetBox fabric owns its device.
    assert len(devices["east"]) == 12 and len(devices["west"]) == 11
    assert "a-control-1" in devices["east"]
    assert all(name.startswith("a-") for name in devices["east"])
    assert all(name.startswith("b-") for name in devices["west"])
    west_leaf = h.api_list(nb, "dcim/devices", name="b-leaf-01", fields="custom_fields")[0]
    assert west_leaf["custom_fields"]["hedgehog_domain"] == "b-pod"
    east_leaf = h.api_list(nb, "dcim/devices", name="a-leaf-01", fields="custom_fields")[0]
    assert east_leaf["custom_fields"]["hedgehog_domain"] is None
    assert sorted(v["name"] for v in h.api_list(nb, "ipam/vrfs", cf_hedgehog_fabric="west", fields="name")
                  if v["name"].startswith("b-vpc")) == ["b-vpc-0%d" % n for n in range(1, 7)]
    for fabric, selected in (("east", "default"), ("west", "b")):
        again, _run = h.sync(_config(nb, fabric, source=source, source_fabric=selected))
        assert again["requests"]["netbox"]["writes"] == 0, fabric


def test_a_fabric_the_control_node_does_not_have_is_a_clear_error(fresh_netbox, tmp_path):
    source = _merge_fabrics(tmp_path / "control-node",
                            ("default", generator.generate_fabric(generator.FabricSpec(name_prefix="a-"))))
    with pytest.raises(ConfigError) as caught:
        h.sync(_config(fresh_netbox, "east", source=source, source_fabric="c"))
    assert "fabric east: the source has no Hedgehog fabric 'c' (its fabrics: default)" == str(caught.value)
    assert h.change_count(fresh_netbox) == 0


# -- a partial run does not look like a clean one -----------------------------------------------


def test_a_partial_run_shows_as_partial_in_the_record_the_status_rows_and_status_yml(fresh_netbox, tmp_path,
                                                                                     run_playbook):
    nb = fresh_netbox
    directory = h.copy_fixture("vlab", tmp_path / "vlab")

    def mistype(switches):
        for switch in switches:
            if switch["metadata"]["name"] == "leaf-03":
                switch["spec"]["asn"] = "65103"
        return switches

    h.edit_objects(directory, "Switch", mistype)
    result = h.recorded_sync(_config(nb, "east", source=directory))
    assert result["result"] == "partial"
    assert result["status"] == "partial"
    causes = [p["cause"] for p in result["problems"]]
    assert causes[0] == "spec.asn must be an integer, got '65103'"
    record = h.api_list(nb, "virtualization/clusters", name="east")[0]["custom_fields"]
    assert (record["hedgehog_status"], record["hedgehog_problem_count"]) == ("partial", len(causes))
    assert record["hedgehog_last_error"].splitlines()[0] == "Switch leaf-03: spec.asn must be an integer, got '65103'"

    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  children:\n    hedgehog_fabrics:\n      hosts:\n        east:\n"
        "          hedgehog_wiring_dir: %s\n          hedgehog_site: EAST\n" % directory)
    env = {"NETBOX_API": nb.url, "NETBOX_TOKEN": nb.token}
    as_json = run_playbook("status.yml", inventory, extra_vars={"output": "json"}, env=env)
    # The debug task prints the rows' JSON as a JSON string.
    rows = json.loads(json.loads(re.search(r'"msg": ("\[.*\]")', as_json.stdout).group(1)))
    assert [(r["fabric"], r["status"], r["problem_count"]) for r in rows] == [("east", "partial", len(causes))]
    assert rows[0]["problems"][0] == "Switch leaf-03: spec.asn must be an integer, got '65103'"
    table = run_playbook("status.yml", inventory, env=env).stdout
    assert re.search(r"east\s+partial\s", table), table
    assert "PROBLEMS" in table
    detail = run_playbook("status.yml", inventory, extra_vars={"fabric": "east"}, env=env).stdout
    assert "Problems:      %d" % len(causes) in detail
    assert "  - Switch leaf-03: spec.asn must be an integer, got '65103'" in detail
