"""Desired state + what NetBox holds -> the plan; and the deletion guards on a plan.

NetBox is a dict-backed Inventory here: the rows are shaped as the REST API
returns them (nested objects, choice values), as the planner reads them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import GuardError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, DesiredState, Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import held
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
NOW = datetime(2026, 9, 1, 12, 0, tzinfo=timezone.utc)
SITE_ROW = {"id": 100, "slug": "s", "name": "S", "status": {"value": "active", "label": "Active"}}
TYPE_ROW = {"id": 3, "slug": "vs", "model": "VS"}


def site():
    return Desired("site", "s", {"name": "S", "slug": "s", "status": "active"})


def device_type():
    return Desired("device_type", "vs", {"slug": "vs", "model": "VS"})


def device(name="leaf-01", description="VS-01", **fields):
    values = {"name": name, "site": Ref("site", "s"), "device_type": Ref("device_type", "vs"), "status": "active",
              "description": description, "custom_fields": {"hedgehog_asn": 65101}}
    values.update(fields)
    return Desired("device", name, values, label="device %s" % name)


def loopback(device_name="leaf-01"):
    return Desired("interface", (device_name, "Loopback1"), {
        "device": Ref("device", device_name), "name": "Loopback1", "type": "virtual", "description": "protocol IP"})


def device_row(object_id=10, name="leaf-01", description="VS-01", owner=FABRIC, tags=(1,), **extra):
    row = {"id": object_id, "name": name, "site": {"id": 100, "name": "S"}, "device_type": {"id": 3, "slug": "vs"},
           "status": {"value": "active", "label": "Active"}, "description": description,
           "tags": [{"id": t, "slug": "t%d" % t} for t in tags],
           "custom_fields": {"hedgehog_fabric": owner, "hedgehog_asn": 65101, "hedgehog_orphaned_since": None}}
    row.update(extra)
    return row


def loopback_row(object_id=20, device_name="leaf-01", owner=FABRIC, device_id=10):
    return {"id": object_id, "name": "Loopback1", "device": {"id": device_id, "name": device_name},
            "type": {"value": "virtual", "label": "Virtual"}, "description": "protocol IP",
            "tags": [{"id": 1}], "custom_fields": {"hedgehog_fabric": owner}}


def desired_state(*objects):
    state = DesiredState(FABRIC)
    for obj in objects:
        state.add(obj)
    return state


def inventory(**rows):
    inv = Inventory(FABRIC)
    inv.add("site", "s", dict(SITE_ROW))
    inv.add("device_type", "vs", dict(TYPE_ROW))
    for kind, entries in rows.items():
        for key, row in entries:
            inv.add(kind, key, row)
    return inv


def plan_for(objects, inv, **options):
    options.setdefault("now", NOW)
    return make_plan(desired_state(device_type(), *objects), inv, FABRIC, TAGS, **options)


def ops(plan):
    return sorted((a.kind, a.op, a.key) for a in plan.actions if a.op != "unchanged")


def test_a_missing_object_is_created_with_the_fabric_marker():
    plan = plan_for([site(), device(), loopback()], inventory())
    assert ops(plan) == [("device", "create", "leaf-01"), ("interface", "create", ("leaf-01", "Loopback1"))]
    create = plan.select("create", "device")[0]
    assert create.changes["tags"] == [Ref("tag", "hedgehog-sync")]
    assert create.changes["custom_fields"] == {"hedgehog_asn": 65101, "hedgehog_fabric": FABRIC}
    assert plan.changed
    counts = plan.counts()
    assert counts["device"]["create"] == 1 and counts["site"]["unchanged"] == 1


def test_an_equal_object_is_unchanged_comparing_ids_and_choice_values():
    plan = plan_for([site(), device(), loopback()],
                    inventory(device=[("leaf-01", device_row())], interface=[(("leaf-01", "Loopback1"), loopback_row())]))
    assert ops(plan) == []
    assert not plan.changed and plan.writes() == []


def test_only_the_fields_that_differ_are_written():
    row = device_row(description="edited by hand")
    row["custom_fields"]["someone_elses_field"] = "kept"
    plan = plan_for([site(), device(custom_fields={"hedgehog_asn": 65199})], inventory(device=[("leaf-01", row)]))
    update = plan.select("update", "device")[0]
    assert update.changes == {"description": "VS-01", "custom_fields": {"hedgehog_asn": 65199}}


def test_tags_are_merged_ours_added_nobody_elses_removed():
    plan = plan_for([site(), device()], inventory(device=[("leaf-01", device_row(tags=(7, 8)))]))
    assert plan.select("update", "device")[0].changes == {"tags": [7, 8, Ref("tag", "hedgehog-sync")]}
    plan = plan_for([site(), device()], inventory(device=[("leaf-01", device_row(tags=(7, 1)))]))
    assert ops(plan) == []


def test_an_unowned_object_is_a_conflict_and_what_needs_it_is_blocked():
    inv = inventory(device=[("leaf-01", device_row(owner=None, tags=()))])
    plan = plan_for([site(), device(), loopback()], inv)
    assert ops(plan) == [("device", "conflict", "leaf-01"), ("interface", "blocked", ("leaf-01", "Loopback1"))]
    conflict = plan.select("conflict")[0]
    assert "not owned by fabric fab" in conflict.reason and "adopt" in conflict.reason
    blocked = plan.select("blocked")[0]
    assert "needs device leaf-01" in blocked.reason and "conflict" in blocked.reason
    assert not plan.changed


def test_adopt_takes_over_an_unowned_object_but_never_another_fabrics():
    inv = inventory(device=[("leaf-01", device_row(owner=None, tags=(7,)))])
    plan = plan_for([site(), device()], inv, adopt=frozenset(["device"]))
    update = plan.select("update", "device")[0]
    assert update.changes == {"custom_fields": {"hedgehog_fabric": FABRIC, "hedgehog_adopted": True},
                              "tags": [7, Ref("tag", "hedgehog-sync")]}

    # Another kind's adoption does not take devices.
    plan = plan_for([site(), device()], inv, adopt=frozenset(["cable"]))
    assert plan.select("conflict")[0].reason == ("NetBox already has it and it is not owned by fabric %s (add device "
                                                 "to adopt to take it over)" % FABRIC)

    inv = inventory(device=[("leaf-01", device_row(owner="other"))])
    plan = plan_for([site(), device()], inv, adopt=frozenset(["device"]))
    assert plan.select("conflict")[0].reason == "it belongs to fabric other"


def test_an_adopted_object_that_leaves_the_fabric_is_given_back_not_deleted():
    row = device_row(tags=(7, 1))
    row["custom_fields"]["hedgehog_adopted"] = True
    plan = plan_for([site()], inventory(device=[("leaf-01", row)]))
    assert plan.select("delete") == [] and plan.select("mark") == []
    given_back = plan.select("release", "device")[0]
    assert given_back.changes == {"custom_fields": {"hedgehog_fabric": None, "hedgehog_adopted": None,
                                                    "hedgehog_orphaned_since": None}, "tags": [7]}


def test_a_port_made_from_the_device_type_belongs_to_the_fabric_through_its_device():
    """Taken over without adopt, written only for what the fabric says about it, and never marked."""
    row = {"id": 30, "name": "E1/1", "device": {"id": 10, "name": "leaf-01"}, "description": "", "lag": None,
           "mtu": None, "tags": [], "custom_fields": {"hedgehog_fabric": None}}
    pristine = Desired("interface", ("leaf-01", "E1/1"), {"device": Ref("device", "leaf-01"), "name": "E1/1",
                                                          "lag": None, "mtu": None}, component=True)
    plan = plan_for([site(), device(), pristine], inventory(device=[("leaf-01", device_row())],
                                                            interface=[(("leaf-01", "E1/1"), row)]))
    assert ops(plan) == [] and not plan.changed
    assert [a.op for a in plan.actions if a.kind == "interface"] == ["unchanged"]

    in_use = Desired("interface", ("leaf-01", "E1/1"), {"device": Ref("device", "leaf-01"), "name": "E1/1",
                                                        "lag": None, "mtu": 9000}, component=True)
    plan = plan_for([site(), device(), in_use], inventory(device=[("leaf-01", device_row())],
                                                          interface=[(("leaf-01", "E1/1"), row)]))
    assert plan.select("update", "interface")[0].changes == {"mtu": 9000}


def test_a_port_the_sync_makes_itself_carries_its_templates_nos_name():
    """On a device type someone else made (no templates added), the port is made one by one, with its NOS name."""
    template = Desired("interface_template", ("vs", "E1/1"), {"device_type": Ref("device_type", "vs"), "name": "E1/1",
                                                              "description": "Ethernet0"})
    port = Desired("interface", ("leaf-01", "E1/1"), {"device": Ref("device", "leaf-01"), "name": "E1/1",
                                                      "mtu": None}, component=True)
    plan = plan_for([site(), device(), template, port], inventory(device=[("leaf-01", device_row())]))
    created = plan.select("create", "interface")[0]
    assert created.changes["description"] == "Ethernet0"
    assert created.changes["custom_fields"] == {"hedgehog_fabric": FABRIC}


def test_late_fields_are_an_update_after_the_create_and_count_once():
    ip = Desired("ip_address", (None, "10.0.0.1/24"), {"address": "10.0.0.1/24", "vrf": None,
                                                       "assigned_object_id": Ref("interface", ("leaf-01", "Loopback1"))})
    dev = device()
    dev.late = {"primary_ip4": Ref("ip_address", (None, "10.0.0.1/24"))}
    plan = plan_for([site(), dev, loopback(), ip], inventory())
    late = [a for a in plan.actions if a.late]
    assert [(a.kind, a.op, a.changes) for a in late] == [
        ("device", "update", {"primary_ip4": Ref("ip_address", (None, "10.0.0.1/24"))})]
    assert plan.counts()["device"]["create"] == 1 and plan.counts()["device"]["update"] == 0


def _gone(prune, row=None, **options):
    """leaf-02 left the fabric; leaf-01 stays."""
    inv = inventory(device=[("leaf-01", device_row()), ("leaf-02", row or device_row(11, "leaf-02"))],
                    interface=[(("leaf-02", "Loopback1"), loopback_row(21, "leaf-02", device_id=11))])
    return plan_for([site(), device()], inv, prune=prune, **options)


def test_prune_delete_deletes_the_device_and_its_ports_go_with_it():
    plan = _gone("delete")
    assert ops(plan) == [("device", "delete", "leaf-02")]


def test_prune_keep_keeps():
    plan = _gone("keep")
    assert ops(plan) == [("device", "kept", "leaf-02"), ("interface", "kept", ("leaf-02", "Loopback1"))]
    assert not plan.changed


def test_prune_mark_marks_then_waits_then_deletes():
    plan = _gone("mark", orphan_grace=3600)
    mark = plan.select("mark", "device")[0]
    assert mark.changes == {"status": "offline", "custom_fields": {"hedgehog_orphaned_since": NOW.isoformat()},
                            "tags": [1, Ref("tag", "hedgehog-orphan")]}

    marked = device_row(11, "leaf-02", tags=(1, 2), status={"value": "offline", "label": "Offline"})
    marked["custom_fields"]["hedgehog_orphaned_since"] = (NOW - timedelta(minutes=30)).isoformat()
    waiting = _gone("mark", row=marked, orphan_grace=3600)
    assert [a.op for a in waiting.actions if a.kind == "device" and a.key == "leaf-02"] == ["kept"]
    assert not waiting.changed

    marked["custom_fields"]["hedgehog_orphaned_since"] = (NOW - timedelta(hours=2)).isoformat()
    due = _gone("mark", row=marked, orphan_grace=3600)
    assert ("device", "delete", "leaf-02") in ops(due)


def test_an_orphan_that_returns_loses_its_marks():
    row = device_row(tags=(1, 2, 7), status={"value": "offline", "label": "Offline"})
    row["custom_fields"]["hedgehog_orphaned_since"] = "2026-08-01T00:00:00Z"
    plan = plan_for([site(), device()], inventory(device=[("leaf-01", row)]), prune="mark")
    assert plan.select("update", "device")[0].changes == {
        "status": "active", "custom_fields": {"hedgehog_orphaned_since": None}, "tags": [1, 7]}


def test_shared_objects_are_never_pruned():
    inv = inventory(manufacturer=[("acme", {"id": 5, "slug": "acme", "name": "Acme"})])
    assert ops(plan_for([site()], inv)) == []


def test_a_template_port_no_longer_described_is_released_not_deleted():
    port = {"id": 31, "name": "E1/9", "device": {"id": 10, "name": "leaf-01"}, "lag": {"id": 40}, "mtu": 9036,
            "mode": None, "untagged_vlan": None, "tagged_vlans": [], "tags": [{"id": 1}, {"id": 7}],
            "custom_fields": {"hedgehog_fabric": FABRIC}}
    inv = inventory(
        interface_template=[(("vs", "E1/9"), {"id": 4, "name": "E1/9", "device_type": {"id": 3}})],
        device=[("leaf-01", device_row())],
        interface=[(("leaf-01", "E1/9"), port)])
    plan = plan_for([site(), device()], inv)
    release = plan.select("release", "interface")[0]
    assert release.changes == {"lag": None, "mtu": None, "tags": [7], "custom_fields": {"hedgehog_fabric": None}}
    assert plan.select("delete") == []


# -- guards -------------------------------------------------------------------------------


def _source(**kinds):
    data = SourceData("test")
    for kind, count in kinds.items():
        data.add(kind, [{"metadata": {"name": "%s-%d" % (kind, n)}} for n in range(count)])
    return data


def _many(count, gone):
    """``count`` owned devices with a port each; the last ``gone`` of them left the fabric."""
    devices = [("d%02d" % n, device_row(n + 1, "d%02d" % n)) for n in range(count)]
    ports = [(("d%02d" % n, "Loopback1"), loopback_row(100 + n, "d%02d" % n, device_id=n + 1)) for n in range(count)]
    inv = inventory(device=devices, interface=ports)
    plan = plan_for([site()] + [device("d%02d" % n) for n in range(count - gone)]
                    + [loopback("d%02d" % n) for n in range(count - gone)], inv)
    return plan, inv


def test_no_deletion_no_guard():
    plan, inv = _many(4, 0)
    check_deletions(plan, inv, _source(), FABRIC, 0.0)


def test_an_incomplete_source_refuses_even_with_force():
    plan, inv = _many(10, 1)
    data = _source(Switch=9)
    data.mark_incomplete("Agent", "HTTP 503")
    for force in (False, True):
        with pytest.raises(GuardError, match=r"refusing to delete 2 object\(s\): the read of Agent failed") as caught:
            check_deletions(plan, inv, data, FABRIC, 1.0, force=force)
        assert caught.value.details == {"guard": "incomplete_source", "deletions": 2}


def test_an_empty_source_refuses_unless_forced():
    plan, inv = _many(10, 10)
    with pytest.raises(GuardError, match=r"the source has no switches, servers or connections while NetBox holds "
                                         r"20 object\(s\)"):
        check_deletions(plan, inv, _source(VPC=3), FABRIC, 1.0)
    check_deletions(plan, inv, _source(VPC=3), FABRIC, 1.0, force=True)


def test_the_ratio_counts_the_ports_that_go_with_their_devices():
    plan, inv = _many(10, 3)  # 3 devices and their 3 ports of 20 objects: 30%
    check_deletions(plan, inv, _source(Switch=7), FABRIC, 0.3)
    with pytest.raises(GuardError, match=r"refusing to delete 6 of 20 object\(s\) \(30% > max_delete_ratio 29%\)"):
        check_deletions(plan, inv, _source(Switch=7), FABRIC, 0.29)
    check_deletions(plan, inv, _source(Switch=7), FABRIC, 0.29, force=True)


def test_an_address_on_a_port_of_a_deleted_device_is_created_anew_not_patched():
    """leaf-02 left the fabric; its loopback address now belongs to leaf-01: NetBox deletes it with leaf-02."""
    ip = Desired("ip_address", (None, "10.0.0.2/32"), {
        "address": "10.0.0.2/32", "vrf": None, "assigned_object_type": "dcim.interface",
        "assigned_object_id": Ref("interface", ("leaf-01", "Loopback1"))}, label="IP 10.0.0.2/32")
    ip_row = {"id": 40, "address": "10.0.0.2/32", "vrf": None, "assigned_object_type": "dcim.interface",
              "assigned_object_id": 21, "tags": [{"id": 1}], "custom_fields": {"hedgehog_fabric": FABRIC}}
    inv = inventory(device=[("leaf-01", device_row()), ("leaf-02", device_row(11, "leaf-02"))],
                    interface=[(("leaf-01", "Loopback1"), loopback_row()),
                               (("leaf-02", "Loopback1"), loopback_row(21, "leaf-02", device_id=11))],
                    ip_address=[((None, "10.0.0.2/32"), ip_row)])
    plan = plan_for([site(), device(), loopback(), ip], inv)
    assert ops(plan) == [("device", "delete", "leaf-02"), ("ip_address", "create", (None, "10.0.0.2/32"))]
    create = plan.select("create", "ip_address")[0]
    assert create.record is None and create.changes["custom_fields"] == {"hedgehog_fabric": FABRIC}


def test_an_address_is_patched_again_when_the_deletion_that_would_take_it_is_held():
    """A skipped source object holds leaf-02's deletion: its address stays, so it is moved, not made twice."""
    ip = Desired("ip_address", (None, "10.0.0.2/32"), {
        "address": "10.0.0.2/32", "vrf": None, "assigned_object_type": "dcim.interface",
        "assigned_object_id": Ref("interface", ("leaf-01", "Loopback1"))}, label="IP 10.0.0.2/32")
    ip_row = {"id": 40, "address": "10.0.0.2/32", "vrf": None, "assigned_object_type": "dcim.interface",
              "assigned_object_id": 21, "tags": [{"id": 1}], "custom_fields": {"hedgehog_fabric": FABRIC}}
    inv = inventory(device=[("leaf-01", device_row()), ("leaf-02", device_row(11, "leaf-02"))],
                    interface=[(("leaf-01", "Loopback1"), loopback_row()),
                               (("leaf-02", "Loopback1"), loopback_row(21, "leaf-02", device_id=11))],
                    ip_address=[((None, "10.0.0.2/32"), ip_row)])
    plan = plan_for([site(), device(), loopback(), ip], inv)
    plan.undo_held_cascades()
    assert ops(plan) == [("device", "delete", "leaf-02"), ("ip_address", "create", (None, "10.0.0.2/32"))]
    snapshot = Snapshot(fabric=FABRIC)
    snapshot.problem("Switch", "leaf-02", "spec.asn must be an integer")
    assert hold_dependents(plan, snapshot, DesiredState(FABRIC), inv) == 2
    # The address is leaf-02's in NetBox: it stays there, as the row it is (no second copy made).
    assert ops(plan) == [("device", "kept", "leaf-02"), ("ip_address", "kept", (None, "10.0.0.2/32"))]
    (kept,) = [a for a in plan.actions if a.kind == "ip_address"]
    assert kept.record["id"] == 40
    assert plan.cascades == []


def test_a_device_known_by_another_name_keeps_its_ports_and_is_renamed():
    """The inventory keyed leaf-01's row under its fabric name though NetBox shows it renamed by hand."""
    inv = Inventory(FABRIC)
    inv.add("site", "s", dict(SITE_ROW))
    inv.add("device_type", "vs", dict(TYPE_ROW))
    inv.add("device", "leaf-01", device_row(name="leaf-01-by-hand"))
    port = loopback_row(device_name="leaf-01-by-hand")
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.keys import port_key
    inv.add("interface", port_key(port, inv), port)
    plan = plan_for([site(), device(), loopback()], inv)
    assert ops(plan) == [("device", "update", "leaf-01")]
    assert plan.select("update", "device")[0].changes == {"name": "leaf-01"}


def test_switch_group_tags_are_ours_to_add_and_remove_and_no_other_tag_is():
    row = device_row(tags=(1,))
    row["tags"] += [{"id": 7, "slug": "rack-a"}, {"id": 9, "slug": "hedgehog-switchgroup-old"},
                    {"id": 11, "slug": "hedgehog-switchgroup-eslag-1"}]
    wanted = device()
    wanted.tags = ("hedgehog-switchgroup-eslag-1", "hedgehog-switchgroup-border")
    plan = plan_for([site(), wanted], inventory(device=[("leaf-01", row)]))
    assert plan.select("update", "device")[0].changes == {
        "tags": [1, 7, 11, Ref("tag", "hedgehog-switchgroup-border")]}
    # A new device gets its group tags with the sync's.
    plan = plan_for([site(), wanted], inventory())
    assert plan.select("create", "device")[0].changes["tags"] == [Ref("tag", "hedgehog-sync"),
                                                                  Ref("tag", "hedgehog-switchgroup-eslag-1"),
                                                                  Ref("tag", "hedgehog-switchgroup-border")]


def test_a_custom_field_that_refers_to_an_object_compares_by_its_id():
    lane = Desired("interface", ("leaf-01", "Loopback1"), {
        "device": Ref("device", "leaf-01"), "name": "Loopback1", "type": "virtual", "description": "protocol IP",
        "custom_fields": {"hedgehog_breakout_parent": Ref("device", "leaf-01")}})
    row = loopback_row()
    row["custom_fields"]["hedgehog_breakout_parent"] = {"id": 10, "name": "leaf-01", "url": "..."}
    inv = inventory(device=[("leaf-01", device_row())], interface=[(("leaf-01", "Loopback1"), row)])
    plan = plan_for([site(), device(), lane], inv)
    assert ops(plan) == []
    row["custom_fields"]["hedgehog_breakout_parent"] = None
    inv = inventory(device=[("leaf-01", device_row())], interface=[(("leaf-01", "Loopback1"), row)])
    plan = plan_for([site(), device(), lane], inv)
    assert plan.select("update", "interface")[0].changes == {
        "custom_fields": {"hedgehog_breakout_parent": Ref("device", "leaf-01")}}


def test_objects_read_from_an_incomplete_kind_are_not_removed():
    item_row = {"id": 70, "name": "E1/1 transceiver", "device": {"id": 10, "name": "leaf-01"}, "tags": [{"id": 1}],
                "custom_fields": {"hedgehog_fabric": FABRIC}}
    inv = inventory(device=[("leaf-01", device_row())], inventory_item=[(("leaf-01", "E1/1 transceiver"), item_row)])
    plan = plan_for([site(), device()], inv)
    assert ops(plan) == [("inventory_item", "delete", ("leaf-01", "E1/1 transceiver"))]
    assert hold_dependents(plan, _unread("Catalog"), DesiredState(FABRIC), inv) == 0
    assert hold_dependents(plan, _unread("Agent"), DesiredState(FABRIC), inv) == 1
    assert ops(plan) == [("inventory_item", "kept", ("leaf-01", "E1/1 transceiver"))]
    assert (plan.problems[-1].kind, plan.problems[-1].name) == ("held", "Agent")
    assert plan.problems[-1].cause.startswith("1 change(s) held as NetBox has them while it cannot be used: ")


def _unread(kind):
    snapshot = Snapshot(fabric=FABRIC, incomplete={kind: "HTTP 503"})
    snapshot.hold(held.unread_tokens(kind), kind)
    return snapshot
