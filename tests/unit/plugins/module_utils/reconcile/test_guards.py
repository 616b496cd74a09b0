"""Holding what depends on a source object that cannot be used, read off what NetBox holds.

NetBox is a dict-backed Inventory with rows shaped as the REST API returns them.
"""

from __future__ import annotations

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import GuardError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import SpaceOptions
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, DesiredState, Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import Snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.inventory import Inventory
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.guards import (
    check_deletions,
    hold_dependents,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import make_plan
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData

FABRIC = "fab"
TAGS = {"hedgehog-sync": 1, "hedgehog-orphan": 2}
MARK = {"hedgehog_fabric": FABRIC}
LEAF, SERVER = {"id": 1, "slug": "server-leaf"}, {"id": 2, "slug": "server"}


def device_row(object_id, name, role=None, **custom):
    return {"id": object_id, "name": name, "role": role or LEAF, "device_type": {"id": 3, "slug": "vs"},
            "status": {"value": "active", "label": "Active"}, "description": "", "serial": "", "tags": [{"id": 1}],
            "custom_fields": dict(MARK, **custom)}


def port_row(object_id, device, name, cable=None, lag=None, untagged=None):
    return {"id": object_id, "name": name, "device": {"id": 0, "name": device}, "type": {"value": "other", "label": "Other"},
            "cable": {"id": cable} if cable else None, "lag": {"id": lag} if lag else None,
            "mode": {"value": "access", "label": "Access"} if untagged else None, "untagged_vlan": {"id": untagged} if untagged else None,
            "tagged_vlans": [], "description": "", "mtu": None, "tags": [{"id": 1}], "custom_fields": dict(MARK)}


def cable_row(object_id, label):
    return {"id": object_id, "label": label, "status": {"value": "connected", "label": "Connected"}, "tags": [{"id": 1}],
            "custom_fields": dict(MARK, hedgehog_connection_type="unbundled")}


def fabric():
    """leaf-01 E1/1 cabled to server-01 enp2s1 by connection c1, VLAN 1001 of vpc-01 on the leaf port; server-02."""
    inv = Inventory(FABRIC)
    inv.add("device", "leaf-01", device_row(10, "leaf-01", hedgehog_agent_version="v1", hedgehog_nos_version="4.5"))
    inv.add("device", "server-01", device_row(11, "server-01", role=SERVER))
    inv.add("device", "server-02", device_row(12, "server-02", role=SERVER))
    inv.add("vlan", ("fab/default", 1001), {"id": 50, "vid": 1001, "group": {"id": 5, "name": "fab/default"},
                                            "description": "VPC subnet vpc-01/subnet-01", "custom_fields": dict(MARK)})
    inv.add("interface", ("leaf-01", "E1/1"), port_row(20, "leaf-01", "E1/1", cable=30, untagged=50))
    inv.add("interface", ("server-01", "enp2s1"), port_row(21, "server-01", "enp2s1", cable=30))
    inv.add("cable", (("leaf-01", "E1/1"), ("server-01", "enp2s1")), cable_row(30, "c1"))
    return inv


def leaf(**custom):
    fields = {"name": "leaf-01", "status": "active", "description": "",
              "custom_fields": dict({"hedgehog_agent_version": "v1", "hedgehog_nos_version": "4.5"}, **custom)}
    return Desired("device", "leaf-01", fields, label="device leaf-01")


def server(name, description=""):
    return Desired("device", name, {"name": name, "description": description}, label="device %s" % name)


def plain_port(device, name):
    """A port as the fabric wants it when no connection uses it."""
    return Desired("interface", (device, name), {"name": name, "lag": None, "mode": None, "untagged_vlan": None,
                                                 "tagged_vlans": []}, label="interface %s %s" % (device, name))


def plan_of(*objects, inv=None):
    state = DesiredState(FABRIC)
    for obj in objects:
        state.add(obj)
    inv = inv or fabric()
    return make_plan(state, inv, FABRIC, TAGS), state, inv


def ops(plan):
    return sorted((a.kind, a.op, a.key) for a in plan.actions if a.op != "unchanged")


def test_a_skipped_connection_holds_its_cable_and_ports_but_not_a_server_that_left():
    # c1 could not be read: it is not desired, nor server-01's port; server-02 left the fabric.
    plan, state, inv = plan_of(leaf(), server("server-01"), plain_port("leaf-01", "E1/1"))
    snapshot = Snapshot(fabric=FABRIC)
    snapshot.problem("Connection", "c1", "unknown connection type 'superlink'")

    assert hold_dependents(plan, snapshot, state, inv) == 3

    assert ops(plan) == [("cable", "kept", (("leaf-01", "E1/1"), ("server-01", "enp2s1"))),
                         ("device", "delete", "server-02"),
                         ("interface", "kept", ("leaf-01", "E1/1")),
                         ("interface", "kept", ("server-01", "enp2s1")),
                         ("vlan", "delete", ("fab/default", 1001))]
    assert [(p.kind, p.name, p.cause) for p in plan.problems] == [(
        "held", "Connection c1", "3 change(s) held as NetBox has them while it cannot be used: "
        "interface leaf-01 E1/1 (mode, untagged_vlan); cable leaf-01/E1/1-server-01/enp2s1 (deletion); "
        "interface server-01/enp2s1 (deletion)")]


def test_an_unreadable_agent_holds_only_the_agent_facts_of_the_switch():
    plan, state, inv = plan_of(Desired("device", "leaf-01", {
        "name": "leaf-01", "status": "active", "description": "renamed",
        "custom_fields": {"hedgehog_agent_version": None, "hedgehog_nos_version": None}}, label="device leaf-01"),
        server("server-01"), server("server-02"))
    snapshot = Snapshot(fabric=FABRIC, incomplete={"Agent": "HTTP 403"})
    snapshot.hold([("agent", None), ("port-channel", None)], "Agent")

    hold_dependents(plan, snapshot, state, inv)

    update = next(a for a in plan.actions if a.kind == "device" and a.key == "leaf-01")
    assert (update.op, update.changes) == ("update", {"description": "renamed"})
    assert plan.problems[0].name == "Agent"
    assert plan.problems[0].cause == ("1 change(s) held as NetBox has them while it cannot be used: device leaf-01 "
                                      "(hedgehog_agent_version, hedgehog_nos_version)")


def test_a_skipped_vpc_holds_the_vlan_of_a_port_and_the_vlan_itself():
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), plain_port("leaf-01", "E1/1"))
    snapshot = Snapshot(fabric=FABRIC)
    snapshot.problem("VPC", "vpc-01/subnet-01", "VLAN 3500 is outside VLANNamespace default")

    hold_dependents(plan, snapshot, state, inv)

    # The cable and server-01's port go with c1, which left; the VLAN of vpc-01 stays, on the port too.
    assert ops(plan) == [("cable", "delete", (("leaf-01", "E1/1"), ("server-01", "enp2s1"))),
                         ("interface", "delete", ("server-01", "enp2s1")),
                         ("interface", "kept", ("leaf-01", "E1/1")),
                         ("vlan", "kept", ("fab/default", 1001))]


def test_nothing_held_without_a_cause():
    plan, state, inv = plan_of(leaf(), server("server-01"), plain_port("leaf-01", "E1/1"))
    before = ops(plan)
    assert hold_dependents(plan, Snapshot(fabric=FABRIC), state, inv) == 0
    assert ops(plan) == before and plan.problems == []


def test_an_address_defined_twice_stays_with_its_holder_and_the_newcomers_own_address_stays():
    inv = fabric()
    inv.add("interface", ("leaf-02", "M1"), port_row(22, "leaf-02", "M1"))
    inv.add("interface", ("leaf-01", "M1"), port_row(23, "leaf-01", "M1"))
    inv.add("device", "leaf-02", device_row(13, "leaf-02", primary_ip4=None))
    for object_id, address, port in ((60, "172.30.0.9/21", 23), (61, "172.30.0.10/21", 22)):
        inv.add("ip_address", (None, address), {"id": object_id, "address": address, "vrf": None,
                                                "assigned_object_type": "dcim.interface", "assigned_object_id": port,
                                                "tags": [{"id": 1}], "custom_fields": dict(MARK)})

    def ip(device):
        return Desired("ip_address", (None, "172.30.0.9/21"), {
            "address": "172.30.0.9/21", "vrf": None, "assigned_object_type": "dcim.interface",
            "assigned_object_id": Ref("interface", (device, "M1"))}, label="IP 172.30.0.9/21 on %s M1" % device)
    newcomer = Desired("device", "leaf-02", {"name": "leaf-02"}, label="device leaf-02",
                       late={"primary_ip4": Ref("ip_address", (None, "172.30.0.9/21"))})
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), newcomer, ip("leaf-01"), ip("leaf-02"),
                               Desired("interface", ("leaf-01", "M1"), {"name": "M1"}),
                               Desired("interface", ("leaf-02", "M1"), {"name": "M1"}), inv=inv)
    assert list(state.contests) == [("ip_address", (None, "172.30.0.9/21"))]

    hold_dependents(plan, Snapshot(fabric=FABRIC), state, inv)

    assert [a.op for a in plan.actions if a.kind == "ip_address"] == ["kept", "kept"]
    assert not [a for a in plan.actions if a.kind == "device" and a.late]
    assert [(p.kind, p.name, p.cause) for p in plan.problems][0] == (
        "ip_address", "ip address 172.30.0.9/21",
        "defined 2 times differently (IP 172.30.0.9/21 on leaf-01 M1; IP 172.30.0.9/21 on leaf-02 M1): NetBox has it "
        "as IP 172.30.0.9/21 on leaf-01 M1, which keeps it; the others are refused, and all stay as NetBox has them "
        "until one is left")


def _source():
    data = SourceData("test")
    data.add("Switch", [{"metadata": {"name": "leaf-01"}}])
    return data


def test_a_lastingly_unreadable_kind_leaves_the_deletion_guard_to_the_holds():
    plan, _state, inv = plan_of(leaf(), server("server-01"), plain_port("leaf-01", "E1/1"))
    data = _source()
    data.mark_incomplete("VPC", "served only at v1beta2", lasting=True)
    check_deletions(plan, inv, data, FABRIC, 1.0)
    data.mark_incomplete("Catalog", "HTTP 503")
    with pytest.raises(GuardError, match=r"the read of Catalog failed or was cut short \(Catalog: HTTP 503\)"):
        check_deletions(plan, inv, data, FABRIC, 1.0)


def prefix_row(object_id, vrf, prefix, **custom):
    return {"id": object_id, "prefix": prefix, "vrf": {"id": object_id - 10, "name": vrf}, "description": "",
            "status": {"value": "container"}, "tags": [{"id": 1}], "custom_fields": dict(MARK, **custom)}


def test_a_skipped_ipv4_namespace_holds_its_vrf_and_containers_and_nothing_of_the_underlay():
    inv = fabric()
    for object_id, vrf in ((70, "fab/ipv4ns/ns-1"), (71, "fab/underlay")):
        inv.add("vrf", vrf, {"id": object_id, "name": vrf, "tags": [{"id": 1}], "custom_fields": dict(MARK)})
    inv.add("prefix", ("fab/ipv4ns/ns-1", "10.0.0.0/16"),
            prefix_row(80, "fab/ipv4ns/ns-1", "10.0.0.0/16", hedgehog_ipv4_namespace="ns-1"))
    inv.add("prefix", ("fab/underlay", "172.30.128.0/31"), prefix_row(81, "fab/underlay", "172.30.128.0/31"))
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), plain_port("leaf-01", "E1/1"), inv=inv)
    snapshot = Snapshot(fabric=FABRIC)
    snapshot.problem("IPv4Namespace", "ns-1", "spec.subnets must be a list")

    hold_dependents(plan, snapshot, state, inv)

    assert [(a.kind, a.op, a.key) for a in plan.actions if a.kind in ("vrf", "prefix")] == [
        ("prefix", "kept", ("fab/ipv4ns/ns-1", "10.0.0.0/16")),
        ("prefix", "delete", ("fab/underlay", "172.30.128.0/31")),
        ("vrf", "kept", "fab/ipv4ns/ns-1"),
        ("vrf", "delete", "fab/underlay")]


def test_an_unreadable_vpc_kind_holds_no_address_of_the_underlay_or_a_shared_vrf():
    inv = fabric()
    for object_id, vrf in ((90, "fab/underlay"), (91, "shared-underlay")):
        inv.add("ip_address", (vrf, "172.30.0.%d/21" % object_id), {
            "id": object_id, "address": "172.30.0.%d/21" % object_id, "vrf": {"id": object_id, "name": vrf},
            "description": "left", "tags": [{"id": 1}], "custom_fields": dict(MARK)})
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), plain_port("leaf-01", "E1/1"), inv=inv)
    snapshot = Snapshot(fabric=FABRIC, incomplete={"VPC": "served only at v1beta2"})
    snapshot.hold([("vpc", None)], "VPC")
    spaces = SpaceOptions(FABRIC, "shared-underlay", None)

    hold_dependents(plan, snapshot, state, inv, spaces=spaces)

    assert sorted((a.op, a.key) for a in plan.actions if a.kind == "ip_address") == [
        ("delete", ("fab/underlay", "172.30.0.90/21")), ("delete", ("shared-underlay", "172.30.0.91/21"))]


def test_an_unreadable_agent_holds_its_port_facts_and_transceivers_but_no_removal_of_the_wiring():
    inv = fabric()
    inv.add("inventory_item", ("leaf-01", "E1/1"), {"id": 70, "name": "E1/1", "device": {"id": 10, "name": "leaf-01"},
                                                    "tags": [{"id": 1}], "custom_fields": dict(MARK)})
    port = Desired("interface", ("leaf-01", "E1/1"), {
        "name": "E1/1", "lag": None, "mode": None, "untagged_vlan": None, "tagged_vlans": [], "description": "uplink",
        "enabled": False, "custom_fields": {"hedgehog_oper_status": "down"}}, label="interface leaf-01 E1/1")
    # c1 left the fabric; the Agents could not be read, so there is no transceiver to want either.
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), port, inv=inv)
    snapshot = Snapshot(fabric=FABRIC, incomplete={"Agent": "HTTP 503"})
    snapshot.hold([("agent", None), ("port-channel", None)], "Agent")

    assert hold_dependents(plan, snapshot, state, inv) == 2

    assert ops(plan) == [("cable", "delete", (("leaf-01", "E1/1"), ("server-01", "enp2s1"))),
                         ("interface", "delete", ("server-01", "enp2s1")),
                         ("interface", "update", ("leaf-01", "E1/1")),
                         ("inventory_item", "kept", ("leaf-01", "E1/1")),
                         ("vlan", "delete", ("fab/default", 1001))]
    update = next(a for a in plan.actions if a.kind == "interface" and a.op == "update")
    assert update.changes == {"description": "uplink", "mode": None, "untagged_vlan": None}
    assert [(p.kind, p.name, p.cause) for p in plan.problems] == [(
        "held", "Agent", "2 change(s) held as NetBox has them while it cannot be used: "
        "interface leaf-01 E1/1 (enabled, hedgehog_oper_status); inventory item leaf-01/E1/1 (deletion)")]


def test_a_cable_keeps_its_lldp_verdict_while_the_agents_cannot_be_read():
    inv = fabric()
    inv.records["cable"][(("leaf-01", "E1/1"), ("server-01", "enp2s1"))].update(
        status={"value": "planned", "label": "Planned"},
        custom_fields=dict(MARK, hedgehog_connection_type="unbundled", hedgehog_lldp_mismatch="leaf-01 E1/1 sees x"))
    cable = Desired("cable", (("leaf-01", "E1/1"), ("server-01", "enp2s1")), {
        "label": "c1", "status": "connected",
        "custom_fields": {"hedgehog_connection_type": "unbundled", "hedgehog_lldp_mismatch": None}}, label="cable c1")
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), cable, inv=inv)
    assert ("cable", "update", (("leaf-01", "E1/1"), ("server-01", "enp2s1"))) in ops(plan)
    snapshot = Snapshot(fabric=FABRIC, incomplete={"Agent": "HTTP 503"})
    snapshot.hold([("agent", None), ("port-channel", None)], "Agent")

    hold_dependents(plan, snapshot, state, inv)

    assert ("cable", "kept", (("leaf-01", "E1/1"), ("server-01", "enp2s1"))) in ops(plan)
    assert plan.problems[0].cause.endswith("cable c1 (status, hedgehog_lldp_mismatch)")


def test_a_skipped_control_node_holds_its_device():
    inv = fabric()
    inv.add("device", "control-1", device_row(13, "control-1", role={"id": 4, "slug": "control-node"}))
    plan, state, inv = plan_of(leaf(), server("server-01"), server("server-02"), inv=inv)
    assert ("device", "delete", "control-1") in ops(plan)
    snapshot = Snapshot(fabric=FABRIC)
    snapshot.problem("ControlNode", "control-1", "spec.management.ip is not an address")

    hold_dependents(plan, snapshot, state, inv)

    assert ("device", "kept", "control-1") in ops(plan)
