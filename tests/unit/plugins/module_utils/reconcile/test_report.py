"""The plan as a person reads it: before/after per object, refs by name, bounded with a line per kind past a limit."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import Action, Plan
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.report import action_diff, build_diff


def _plan(*actions):
    plan = Plan("fab")
    for action in actions:
        plan.add(action)
    return plan


def test_a_create_shows_the_new_object_with_refs_by_name():
    action = Action("create", "interface", ("leaf-01", "E1/1"), "interface leaf-01 E1/1", changes={
        "device": Ref("device", "leaf-01"), "name": "E1/1", "lag": Ref("lag", ("leaf-01", "server-01--eslag")),
        "tags": [Ref("tag", "hedgehog-sync")]})
    assert action_diff(action) == {"before": {}, "after": {
        "device": "<device leaf-01>", "name": "E1/1", "lag": "<lag leaf-01/server-01--eslag>",
        "tags": ["<tag hedgehog-sync>"]}}


def test_an_update_shows_only_the_changed_fields_before_and_after():
    record = {"id": 7, "description": "old", "status": {"value": "offline", "label": "Offline"}, "serial": "S1",
              "site": {"id": 3, "name": "VLAB"},
              "custom_fields": {"hedgehog_asn": 65101, "hedgehog_fabric": "fab", "other": "x"}}
    action = Action("update", "device", "leaf-01", "device leaf-01", record=record, changes={
        "description": "new", "status": "active", "custom_fields": {"hedgehog_asn": 65111}})
    assert action_diff(action) == {
        "before": {"description": "old", "status": "offline", "custom_fields": {"hedgehog_asn": 65101}},
        "after": {"description": "new", "status": "active", "custom_fields": {"hedgehog_asn": 65111}}}


def test_a_delete_shows_the_id_it_removes():
    action = Action("delete", "cable", ("a", "b"), "cable x", record={"id": 42, "label": "x"})
    assert action_diff(action) == {"before": {"id": 42}, "after": {}}


def test_the_diff_is_bounded_with_a_line_per_kind_and_action_past_the_limit():
    actions = [Action("create", "device", "d%d" % n, "device d%d" % n, changes={"name": "d%d" % n}) for n in range(5)]
    actions += [Action("delete", "cable", n, "cable %d" % n, record={"id": n}) for n in range(3)]
    actions += [Action("unchanged", "site", "s", "site s"), Action("conflict", "device", "x", "device x")]
    diff = build_diff(_plan(*actions), limit=4)
    assert [entry["before_header"] for entry in diff] == [
        "device d0 (create)", "device d1 (create)", "device d2 (create)", "device d3 (create)", "summary", "summary"]
    assert [entry["after"] for entry in diff[4:]] == ["... and 3 more delete(s) of cable\n",
                                                      "... and 1 more create(s) of device\n"]
    assert len(build_diff(_plan(*actions), limit=100)) == 8
    assert build_diff(_plan(Action("unchanged", "site", "s", "site s"))) == []
