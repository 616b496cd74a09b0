"""The overlay (VPCs, namespaces, externals, agents) lands in the test bed's real NetBox, and only changes what changed.

The VLAB fixture is synced once into an empty NetBox and saved; every change
test restores that copy, edits a private copy of the fixture and syncs again,
then checks the run's summary and NetBox's own change log: exactly the
objects the edit concerns are written.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests
import yaml

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun
from testbed.paths import FIXTURES

FABRIC = "vlab"
SITE = "VLAB"
# The fixtures' agents last reported at 10:00Z: a minute later they are fresh.
NOW = datetime(2026, 8, 20, 10, 1, tzinfo=timezone.utc)
SAVED = "ipam-vlab"
SECRET_MARK = "HHFAKE"
WRITE_OPS = ("create", "update", "delete", "mark", "release")
FAST = {"retries": 2, "retry_delay": 0.05, "retry_max_delay": 0.1, "retry_max_time": 5.0}
OWNED = ("dcim/devices", "dcim/interfaces", "dcim/cables", "ipam/ip-addresses", "ipam/prefixes", "ipam/vlans",
         "ipam/vlan-groups", "ipam/vrfs", "ipam/ip-ranges", "virtualization/clusters")


# -- helpers ----------------------------------------------------------------------------------


def config(netbox, directory, **options):
    values = dict(FAST)
    values.update(options)
    return FabricConfig(fabric=FABRIC, site=SITE, netbox_url=netbox.url, netbox_token=netbox.token,
                        wiring_dir=str(directory), **values)


# The VLAB's agents see one miswired pair of cables (test_switch_reports): findings every run of it shows
# while the agents on both ends of the pair report.
MISWIRED_WARNINGS = (
    "cable spine-02--fabric--leaf-01 leaf-01/E1/6-spine-02/E1/1: LLDP disagrees with the wiring, which joins "
    "spine-02 E1/1 and leaf-01 E1/6: spine-02 E1/1 sees leaf-02 E1/7 (Ethernet6); leaf-01 E1/6 sees spine-02 E1/3 "
    "(Ethernet2)",
    "cable spine-02--fabric--leaf-02 leaf-02/E1/7-spine-02/E1/3: LLDP disagrees with the wiring, which joins "
    "spine-02 E1/3 and leaf-02 E1/7: spine-02 E1/3 sees leaf-01 E1/6 (Ethernet5); leaf-02 E1/7 sees spine-02 E1/1 "
    "(Ethernet0)",
)


def sync(netbox, directory, now=NOW, lldp=MISWIRED_WARNINGS, **options):
    """One run; its warnings are exactly the plain-HTTP notice and the LLDP findings ``lldp``."""
    result = SyncRun(config(netbox, directory, **options), now=now, want_diff=True).execute().as_dict()
    assert tuple(result["warnings"]) == (h.plain_http(netbox),) + tuple(lldp)
    return result


# With leaf-02's agent stale, only spine-02 speaks of the pair: the cable on leaf-02 loses leaf-02's half.
LEAF_02_SILENT_WARNINGS = (
    MISWIRED_WARNINGS[0],
    "cable spine-02--fabric--leaf-02 leaf-02/E1/7-spine-02/E1/3: LLDP disagrees with the wiring, which joins "
    "spine-02 E1/3 and leaf-02 E1/7: spine-02 E1/3 sees leaf-01 E1/6 (Ethernet5)",
)


def writes(result):
    found = {}
    for kind, ops in result["summary"].items():
        moves = dict((op, n) for op, n in ops.items() if op in WRITE_OPS and n)
        if moves and kind != "schema":
            found[kind] = moves
    return found


def get(netbox, endpoint, **params):
    params.setdefault("limit", 0)
    response = requests.get("%s/api/%s/" % (netbox.url, endpoint), params=params, timeout=120,
                            headers={"Authorization": "Token %s" % netbox.token, "Accept": "application/json"})
    response.raise_for_status()
    return response.json()


def rows(netbox, endpoint, **params):
    return get(netbox, endpoint, **params)["results"]


def owned(netbox, endpoint, **params):
    return rows(netbox, endpoint, cf_hedgehog_fabric=FABRIC, **params)


def change_count(netbox):
    return get(netbox, "core/object-changes", limit=1, brief=1)["count"]


def changes_since(netbox, before):
    found = rows(netbox, "core/object-changes", ordering="id", offset=before, limit=500,
                 fields="action,changed_object_type,object_repr")
    return sorted((r["action"]["value"], r["changed_object_type"], r["object_repr"]) for r in found)


def one(netbox, endpoint, **params):
    found = rows(netbox, endpoint, **params)
    assert len(found) == 1, "%s %s: %d objects" % (endpoint, params, len(found))
    return found[0]


def vrf_id(netbox, name):
    return one(netbox, "ipam/vrfs", name=name, cf_hedgehog_fabric=FABRIC)["id"]


def lag(netbox, device, name):
    return one(netbox, "dcim/interfaces", device=device, name=name)


def fixture_copy(tmp_path, name="vlab"):
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def edit(directory, plural, change):
    """Rewrite ``<plural>.yaml`` of a fixture copy with ``change(items) -> items``."""
    path = Path(directory) / ("%s.yaml" % plural)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["items"] = change(document["items"])
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


def without(name):
    return lambda items: [i for i in items if i["metadata"]["name"] != name]


def set_heartbeat(switch, stamp):
    def change(items):
        for item in items:
            if item["metadata"]["name"] == switch:
                item["status"]["lastHeartbeat"] = stamp
        return items
    return change


# -- the VLAB, synced once and saved -------------------------------------------------------------


@pytest.fixture(scope="module")
def landed(netbox):
    """The VLAB's first sync into an empty NetBox: its result, and the NetBox it left, saved."""
    first = sync(netbox.emptied(), FIXTURES / "vlab")
    return {"first": first, "checkpoint": netbox.checkpoint(SAVED)}


@pytest.fixture
def nb(landed):
    """The NetBox the first sync left, whatever the tests before this one wrote."""
    return landed["checkpoint"].back()


def test_first_run_makes_the_overlay(landed):
    result = landed["first"]
    assert tuple(result["warnings"]) == (h.plain_http(landed["checkpoint"].handle),) + MISWIRED_WARNINGS
    creates = dict((kind, ops.get("create", 0)) for kind, ops in writes(result).items())
    # Six VPCs, the fabric's underlay and its IPv4 namespace.
    assert (creates["vlan_group"], creates["vrf"], creates["vlan"], creates["ip_range"]) == (1, 8, 6, 6)
    # 6 VPC subnets, the IPv4 namespace's container, the 12 fabric /31s.
    assert creates["prefix"] == 19
    # The DCIM half's 37, the control node's and the 6 anycast gateways.
    assert creates["ip_address"] == 44


def test_counts_in_netbox(nb):
    assert len(owned(nb, "ipam/vrfs")) == 8
    assert len(owned(nb, "ipam/vlan-groups")) == 1
    assert len(owned(nb, "ipam/vlans")) == 6
    assert len(owned(nb, "ipam/ip-ranges")) == 6
    prefixes = owned(nb, "ipam/prefixes")
    assert len(prefixes) == 19
    # Every prefix in a VRF: the VPC subnets in their VPC's, the container in the namespace's, the /31s in
    # the underlay's.
    assert sorted(set(p["vrf"]["name"] for p in prefixes if not p["vrf"]["name"].startswith("vpc-"))) == [
        "vlab/ipv4ns/default", "vlab/underlay"]
    assert len([p for p in prefixes if p["vrf"]["name"].startswith("vpc-")]) == 6
    assert [p["prefix"] for p in prefixes if p["status"]["value"] == "container"] == ["10.0.0.0/16"]
    assigned = [i for i in rows(nb, "dcim/interfaces", site="vlab") if i["mode"]]
    assert sorted((i["device"]["name"], i["name"]) for i in assigned) == [
        ("leaf-01", "E1/3"), ("leaf-01", "PortChannel1"), ("leaf-01", "PortChannel2"),
        ("leaf-02", "PortChannel1"), ("leaf-02", "PortChannel2"), ("leaf-02", "PortChannel3"),
        ("leaf-03", "E1/1"), ("leaf-03", "PortChannel1")]
    assert all(i["mode"]["value"] == "tagged" and len(i["tagged_vlans"]) == 1 for i in assigned)


def test_vpc_01_facts(nb):
    vrf = one(nb, "ipam/vrfs", name="vpc-01")
    assert vrf["custom_fields"]["hedgehog_vpc_mode"] == "l2vni"
    assert vrf["custom_fields"]["hedgehog_vni"] == 100
    assert vrf["custom_fields"]["hedgehog_ipv4_namespace"] == "default"
    prefix = one(nb, "ipam/prefixes", prefix="10.0.1.0/24", vrf_id=vrf["id"])
    assert prefix["status"]["value"] == "active"
    assert prefix["vlan"]["vid"] == 1001
    assert prefix["custom_fields"]["hedgehog_subnet"]["vni"] == 101
    vlan = one(nb, "ipam/vlans", vid=1001, cf_hedgehog_fabric=FABRIC)
    assert vlan["name"] == "vpc-01/subnet-01"
    assert vlan["custom_fields"]["hedgehog_vni"] == 101
    group = one(nb, "ipam/vlan-groups", id=vlan["group"]["id"])
    assert group["name"] == "vlab/default"
    assert group["scope_type"] == "virtualization.cluster" and group["scope"]["name"] == FABRIC
    assert group["vid_ranges"] == [[1000, 2999]]
    gateway = one(nb, "ipam/ip-addresses", address="10.0.1.1/24", vrf_id=vrf["id"])
    assert gateway["role"]["value"] == "anycast"
    dhcp = one(nb, "ipam/ip-ranges", vrf_id=vrf["id"])
    assert (dhcp["start_address"], dhcp["end_address"]) == ("10.0.1.2/24", "10.0.1.255/24")


def test_server_01_eslag_lags_carry_vlan_1001(nb):
    for leaf in ("leaf-01", "leaf-02"):
        port_channel = lag(nb, leaf, "PortChannel1")
        assert port_channel["custom_fields"]["hedgehog_connection"] == "server-01--eslag--leaf-01--leaf-02"
        assert port_channel["mode"]["value"] == "tagged"
        assert [v["vid"] for v in port_channel["tagged_vlans"]] == [1001]
        assert port_channel["untagged_vlan"] is None


def test_agents_on_devices(nb):
    leaf = one(nb, "dcim/devices", name="leaf-03", cf_hedgehog_fabric=FABRIC)
    assert leaf["status"]["value"] == "active"
    custom = leaf["custom_fields"]
    assert custom["hedgehog_nos_version"] == "4.5.2-Enterprise_Base"
    assert custom["hedgehog_reboot_required"] is True
    assert (custom["hedgehog_applied_generation"], custom["hedgehog_agent_generation"]) == (4, 4)
    assert custom["hedgehog_last_heartbeat"] is None
    assert leaf["serial"] == "HHVSFF0200"


def test_second_run_writes_nothing(nb):
    before = change_count(nb)
    result = sync(nb, FIXTURES / "vlab")
    assert writes(result) == {}
    assert result["changed"] is False
    assert result["requests"]["netbox"].get("writes", 0) == 0
    assert change_count(nb) == before


# -- changes ---------------------------------------------------------------------------------


def test_removing_an_attachment_changes_only_its_lags(nb, tmp_path):
    fabric = fixture_copy(tmp_path)
    edit(fabric, "vpcattachments", without("server-01--eslag--leaf-01--leaf-02--vpc-01--subnet-01"))
    before = change_count(nb)
    result = sync(nb, fabric)
    assert writes(result) == {"lag": {"update": 2}}
    assert changes_since(nb, before) == [("update", "dcim.interface", "PortChannel1")] * 2
    for leaf in ("leaf-01", "leaf-02"):
        port_channel = lag(nb, leaf, "PortChannel1")
        assert port_channel["mode"] is None and port_channel["tagged_vlans"] == []
    assert one(nb, "ipam/vlans", vid=1001, cf_hedgehog_fabric=FABRIC)  # the VPC stays
    assert writes(sync(nb, fabric)) == {}


def test_removing_a_subnet_changes_only_its_objects(nb, tmp_path):
    fabric = fixture_copy(tmp_path)

    def with_second_subnet(items):
        for item in items:
            if item["metadata"]["name"] == "vpc-06":
                item["spec"]["subnets"]["subnet-02"] = {
                    "subnet": "10.0.106.0/24", "gateway": "10.0.106.1", "vlan": 1106,
                    "dhcp": {"enable": True, "range": {"start": "10.0.106.10", "end": "10.0.106.99"}}}
        return items

    edit(fabric, "vpcs", with_second_subnet)
    assert writes(sync(nb, fabric)) == {"vlan": {"create": 1}, "prefix": {"create": 1}, "ip_range": {"create": 1},
                                        "ip_address": {"create": 1}}
    vrf = vrf_id(nb, "vpc-06")
    assert one(nb, "ipam/prefixes", prefix="10.0.106.0/24", vrf_id=vrf)["vlan"]["vid"] == 1106

    before = change_count(nb)
    result = sync(nb, FIXTURES / "vlab")
    assert writes(result) == {"vlan": {"delete": 1}, "prefix": {"delete": 1}, "ip_range": {"delete": 1},
                              "ip_address": {"delete": 1}}
    assert changes_since(nb, before) == sorted([
        ("delete", "ipam.vlan", "vpc-06/subnet-02 (1106)"), ("delete", "ipam.prefix", "10.0.106.0/24"),
        ("delete", "ipam.iprange", "10.0.106.10-99/24"), ("delete", "ipam.ipaddress", "10.0.106.1/24")])
    assert rows(nb, "ipam/prefixes", prefix="10.0.106.0/24") == []
    assert one(nb, "ipam/prefixes", prefix="10.0.6.0/24", vrf_id=vrf)


def test_removing_a_vpc_changes_only_its_objects_and_port(nb, tmp_path):
    fabric = fixture_copy(tmp_path)
    edit(fabric, "vpcs", without("vpc-03"))
    edit(fabric, "vpcattachments", without("server-03--unbundled--leaf-01--vpc-03--subnet-01"))
    edit(fabric, "dhcpsubnets", without("vpc-03--subnet-01"))
    before = change_count(nb)
    result = sync(nb, fabric)
    assert writes(result) == {"vrf": {"delete": 1}, "vlan": {"delete": 1}, "prefix": {"delete": 1},
                              "ip_range": {"delete": 1}, "ip_address": {"delete": 1}, "interface": {"update": 1}}
    changed = changes_since(nb, before)
    # NetBox logs the port twice: once as the VLAN's deletion drops it, once for the sync's own update.
    assert set(c for c in changed if c[0] == "update") == {("update", "dcim.interface", "E1/3 (3)")}  # name (label)
    assert sorted(c[1] for c in changed if c[0] == "delete") == [
        "ipam.ipaddress", "ipam.iprange", "ipam.prefix", "ipam.vlan", "ipam.vrf"]
    assert rows(nb, "ipam/vrfs", name="vpc-03") == []
    port = one(nb, "dcim/interfaces", device="leaf-01", name="E1/3")
    assert port["mode"] is None and port["tagged_vlans"] == []
    assert len(owned(nb, "ipam/vrfs")) == 7
    assert writes(sync(nb, fabric)) == {}


def test_stale_agent_turns_its_switch_offline_and_back(nb, tmp_path):
    fabric = fixture_copy(tmp_path)
    edit(fabric, "agents", set_heartbeat("leaf-02", "2026-08-20T09:40:00Z"))
    before = change_count(nb)
    result = sync(nb, fabric, lldp=LEAF_02_SILENT_WARNINGS)
    # The miswired cable on leaf-02 stays flagged by spine-02 alone: its LLDP text loses leaf-02's half.
    assert writes(result) == {"device": {"update": 1}, "cable": {"update": 1}}
    assert sorted(change[:2] for change in changes_since(nb, before)) == [
        ("update", "dcim.cable"), ("update", "dcim.device")]
    assert ("update", "dcim.device", "leaf-02") in changes_since(nb, before)
    leaf = one(nb, "dcim/devices", name="leaf-02", cf_hedgehog_fabric=FABRIC)
    assert leaf["status"]["value"] == "offline"
    assert leaf["custom_fields"]["hedgehog_last_heartbeat"] == "2026-08-20T09:40:00Z"
    # Still silent an hour later, while the others keep reporting: nothing new to say.
    for switch in ("leaf-01", "leaf-03", "spine-01", "spine-02"):
        edit(fabric, "agents", set_heartbeat(switch, "2026-08-20T11:00:45Z"))
    assert writes(sync(nb, fabric, now=NOW + timedelta(hours=1), lldp=LEAF_02_SILENT_WARNINGS)) == {}

    edit(fabric, "agents", set_heartbeat("leaf-02", "2026-08-20T10:00:00Z"))
    assert writes(sync(nb, fabric)) == {"device": {"update": 1}, "cable": {"update": 1}}
    leaf = one(nb, "dcim/devices", name="leaf-02", cf_hedgehog_fabric=FABRIC)
    assert leaf["status"]["value"] == "active"
    assert leaf["custom_fields"]["hedgehog_last_heartbeat"] is None


def test_fresh_heartbeats_that_move_write_nothing(nb, tmp_path):
    fabric = fixture_copy(tmp_path)
    for switch in ("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02"):
        edit(fabric, "agents", set_heartbeat(switch, "2026-08-20T10:00:45Z"))
    assert writes(sync(nb, fabric, now=NOW + timedelta(seconds=30))) == {}


def test_threshold_is_an_option(nb):
    later = NOW + timedelta(minutes=5)
    assert writes(sync(nb, FIXTURES / "vlab", now=later, agent_stale_after=600)) == {}
    # Every agent stale: the switches go offline, and the two cables LLDP disagreed with, judged by no one
    # now (no finding), are connected as the wiring says.
    assert writes(sync(nb, FIXTURES / "vlab", now=later, lldp=())) == {"device": {"update": 5}, "cable": {"update": 2}}


def test_old_agent_key_names_read_the_same(nb, tmp_path):
    fabric = fixture_copy(tmp_path)
    shutil.copy(FIXTURES / "agent-oldkeys" / "agents.yaml", fabric / "agents.yaml")
    result = sync(nb, fabric)
    assert writes(result) == {}


def test_dhcp_leases_when_asked(nb):
    result = sync(nb, FIXTURES / "vlab", dhcp_leases=True)
    assert writes(result) == {"ip_address": {"create": 11}}
    lease = one(nb, "ipam/ip-addresses", address="10.0.1.2/24", vrf_id=vrf_id(nb, "vpc-01"))
    assert (lease["status"]["value"], lease["dns_name"]) == ("dhcp", "server-01")
    assert lease["custom_fields"]["hedgehog_mac"] == "02:00:0a:37:8d:39"
    assert writes(sync(nb, FIXTURES / "vlab", dhcp_leases=True)) == {}
    # Turned off again: the leases go.
    assert writes(sync(nb, FIXTURES / "vlab")) == {"ip_address": {"delete": 11}}


# -- externals, peerings, gateways; and no secret anywhere --------------------------------------------


@pytest.fixture(scope="module")
def gateway_fabric(netbox):
    """The gateway VLAB in an empty NetBox (externals, peerings and gateways), synced twice and saved."""
    handle = netbox.emptied()
    # Its agents' LLDP agrees with every cable: no finding.
    result = sync(handle, FIXTURES / "vlab-gateway", lldp=())
    again = sync(handle, FIXTURES / "vlab-gateway", lldp=())
    return {"result": result, "again": again, "checkpoint": handle.checkpoint(SAVED + "-gateway")}


@pytest.fixture
def gw_nb(gateway_fabric):
    return gateway_fabric["checkpoint"].back()


def test_gateway_fabric_lands_and_settles(gateway_fabric, gw_nb):
    assert writes(gateway_fabric["again"]) == {}
    nb = gw_nb
    assert len(owned(nb, "ipam/vrfs")) == 9
    ext = one(nb, "ipam/vrfs", name="ext.ext-bgp-01")
    assert ext["custom_fields"]["hedgehog_vrf_spec"]["inbound_community"] == "65102:1000"
    assert ext["custom_fields"]["hedgehog_peerings"][0]["peer"] == "vpc-05"
    sub = one(nb, "dcim/interfaces", device="leaf-03", name="E1/1.10")
    assert (sub["parent"]["name"], sub["vrf"]["id"], sub["type"]["value"]) == ("E1/1", ext["id"], "virtual")
    assert (sub["mode"]["value"], sub["untagged_vlan"]["vid"]) == ("access", 10)
    own = one(nb, "ipam/ip-addresses", address="100.1.10.1/24", vrf_id=ext["id"])
    assert own["assigned_object_id"] == sub["id"]
    neighbour = one(nb, "ipam/ip-addresses", address="100.1.10.6/24", vrf_id=ext["id"])
    assert neighbour["custom_fields"]["hedgehog_peer_asn"] == 64102
    peers = dict((v["name"], v["custom_fields"]["hedgehog_peerings"]) for v in owned(nb, "ipam/vrfs"))
    assert [p["peer"] for p in peers["vpc-01"]] == ["vpc-02"]
    assert [p["kind"] for p in peers["vpc-04"]] == ["GatewayPeering"]
    assert [p["peer"] for p in peers["vpc-05"]] == ["ext.ext-bgp-01"]
    for name in ("gateway-1", "gateway-2"):
        assert one(nb, "dcim/devices", name=name, cf_hedgehog_fabric=FABRIC)["custom_fields"]["hedgehog_gateway_groups"] == "default"


def test_no_secret_in_results_diffs_objects_journal_or_changelog(gateway_fabric, gw_nb, tmp_path):
    nb = gw_nb
    # The recorded path, as the module runs it, with the old agent keys, leases and diff.
    fabric = fixture_copy(tmp_path, "vlab-gateway")
    shutil.copy(FIXTURES / "vlab" / "agents.yaml", fabric / "agents.yaml")
    recorded = RecordedRun(config(nb, fabric, dhcp_leases=True), want_diff=True, now=NOW).execute().as_dict()
    outputs = [gateway_fabric["result"], gateway_fabric["again"], recorded]
    for output in outputs:
        assert SECRET_MARK not in json.dumps(output, default=str).upper()
    for endpoint in OWNED + ("extras/journal-entries", "core/object-changes", "extras/custom-fields",
                             "dcim/device-types", "dcim/platforms", "dcim/manufacturers"):
        text = json.dumps(rows(nb, endpoint))
        assert SECRET_MARK not in text.upper(), endpoint
    # The record did write its entry, so the scan above had one to look at.
    assert [entry["kind"]["value"] for entry in rows(nb, "extras/journal-entries")] == ["success"]
