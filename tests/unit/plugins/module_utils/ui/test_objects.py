"""NetBox's UI for the fabrics as data: what is wanted, how it compares with what NetBox holds, the layouts."""

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui import objects
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.dashboard import (
    WIDGET_ID,
    dashboard_change,
    dashboard_without,
    widget,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.layout import field_layout, layout_changes
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.reconcile import normalize, plan_kind
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.topology import LAYER_HEIGHT, NODE_SPACING, layout

SAVED_FILTER = objects.KIND_BY_NAME["saved_filter"]
TABLE_CONFIG = objects.KIND_BY_NAME["table_config"]
EVENT_RULE = objects.KIND_BY_NAME["event_rule"]
CUSTOM_LINK = objects.KIND_BY_NAME["custom_link"]


def marked_row(obj, row_id, **changed):
    """``obj`` as NetBox would list it back after bootstrap made it."""
    row = dict(obj, id=row_id)
    row.update(changed)
    return row


# -- comparing with what NetBox holds -------------------------------------------------------------


def test_a_missing_object_is_created_and_nothing_else_happens():
    wanted = objects.saved_filters([{"name": "vlab", "site": "VLAB"}])
    plan = plan_kind(SAVED_FILTER, wanted, [])
    assert [f["slug"] for f in plan.create] == [
        "hedgehog-fabrics", "hedgehog-fabrics-unhealthy", "hedgehog-fabrics-problems", "hedgehog-vlab-orphans",
        "hedgehog-vlab-unowned"]
    assert (plan.update, plan.delete, plan.conflicts) == ([], [], [])


def test_an_object_of_the_same_name_without_the_marker_is_a_conflict_and_is_never_touched():
    wanted = [objects.table_config()]
    rule = objects.event_rules(7)[0]
    users_rule = dict(rule, id=3, description="our own rule")
    plan = plan_kind(EVENT_RULE, [rule], [users_rule])
    assert plan.create == [] and plan.update == [] and plan.delete == []
    assert plan.conflicts == ["event rule Hedgehog fabric unhealthy exists and was not made by bootstrap: left alone"]
    # Table config names need not be unique in NetBox: a user's own config of that name is no conflict.
    plan = plan_kind(TABLE_CONFIG, wanted, [dict(wanted[0], id=5, description="mine")])
    assert [c["name"] for c in plan.create] == ["Hedgehog fabrics"] and plan.conflicts == []


def test_only_the_fields_that_differ_are_updated_as_netbox_reads_them_back():
    rule = objects.event_rules(7)[0]
    # NetBox answers choices as {value, label}, tags as nested objects, lists in its own order, text trimmed.
    row = marked_row(rule, 11, action_type={"value": "notification", "label": "Notification"},
                     tags=[{"id": 1, "slug": "hedgehog-sync", "name": "hedgehog-sync"}],
                     description=rule["description"] + "\n", action_object_id=8)
    plan = plan_kind(EVENT_RULE, [rule], [row])
    assert [(c["id"], c["body"]) for c in plan.update] == [(11, {"action_object_id": 7})]
    assert plan.update[0]["before"] == {"action_object_id": 8}


def test_marked_objects_nothing_wants_are_deleted_and_unmarked_ones_stay():
    gone = objects.saved_filters([{"name": "old", "site": "OLD"}])[3]
    users = dict(gone, slug="my-filter", description="mine", id=9)
    plan = plan_kind(SAVED_FILTER, [], [marked_row(gone, 4), users])
    assert plan.delete == [{"id": 4, "key": "hedgehog-old-orphans"}]


def test_custom_links_carry_the_marker_in_a_jinja_comment_of_their_text():
    for link in objects.custom_links(awx={"url": "awx.example.com", "job_template": "t", "organization": "o"}):
        assert objects.is_marked("custom_link", link), link["name"]
    assert not objects.is_marked("custom_link", {"link_text": "Fabric {{ object.name }}"})


@pytest.mark.parametrize("field, value, expected", [
    ("object_types", ["dcim.device", "dcim.cable"], ["dcim.cable", "dcim.device"]),
    ("columns", ["name", "cf_a"], ["name", "cf_a"]),
    ("ui_visible", {"value": "if-set", "label": "If set"}, "if-set"),
    ("tags", [{"slug": "b"}, {"slug": "a"}], ["a", "b"]),
    ("description", "  x \n", "x"),
])
def test_normalize(field, value, expected):
    assert normalize(field, value) == expected


# -- what is wanted ----------------------------------------------------------------------------------


def test_the_awx_link_names_the_template_by_id_or_by_name_and_organization():
    assert objects.awx_launch_url({"url": "https://awx.example.com/", "job_template_id": 42}) == \
        "https://awx.example.com/api/v2/job_templates/42/launch/"
    assert objects.awx_launch_url({"url": "awx.example.com", "job_template": "hedgehog-netbox-sync",
                                   "organization": "Net Ops"}) == \
        "https://awx.example.com/api/v2/job_templates/hedgehog-netbox-sync%2B%2BNet%20Ops/launch/"


def test_links_follow_the_parts_that_are_on():
    names = [link["name"] for link in objects.custom_links()]
    assert names == ["Sync age", "Fabric record", "Fabric orphans", "Fabric unowned objects", "Fabric cabling (CSV)"]
    names = [link["name"] for link in objects.custom_links(export_template=False, topology_group_ids={"vlab": 3},
                                                           awx={"url": "https://awx", "job_template_id": 1})]
    assert names == ["Sync age", "Fabric record", "Fabric orphans", "Fabric unowned objects", "Fabric topology",
                     "Sync in AWX"]


def test_the_table_config_names_the_age_link_only_when_links_are_made():
    assert objects.table_config()["columns"] == [
        "name", "cf_hedgehog_status", "cf_hedgehog_last_success", "cl_Sync age", "cf_hedgehog_last_summary",
        "cf_hedgehog_problem_count", "scope", "device_count"]
    assert "cl_Sync age" not in objects.table_config(with_age=False)["columns"]


def test_per_fabric_filters_and_the_lldp_filter_only_when_it_can_work():
    fabrics = [{"name": "dc.2", "site": "DC 2"}, {"name": "dc1", "site": "DC1"}]
    found = dict((f["slug"], f) for f in objects.saved_filters(fabrics, lldp_filter=None))
    assert "hedgehog-dc-2-lldp" not in found
    assert found["hedgehog-dc-2-unowned"]["parameters"] == {"site": ["dc-2"], "cf_hedgehog_fabric__empty": ["true"]}
    assert found["hedgehog-dc1-orphans"]["parameters"] == {"cf_hedgehog_fabric": ["dc1"], "tag": ["hedgehog-orphan"]}
    found = dict((f["slug"], f) for f in objects.saved_filters(fabrics, lldp_filter=objects.LLDP_MISMATCH_FILTER))
    assert found["hedgehog-dc1-lldp"]["parameters"] == {
        "status": ["planned"], "cf_hedgehog_lldp_mismatch": ["sees"], "cf_hedgehog_fabric": ["dc1"]}
    assert objects.custom_fields_named(objects.LLDP_MISMATCH_FILTER) == ["hedgehog_lldp_mismatch"]
    assert objects.custom_fields_named({"cf_a__empty": 1, "cf_b": 2, "status": 3}) == ["a", "b"]


def test_the_rules_compare_health_before_and_after():
    unhealthy, recovered = objects.event_rules(5)
    assert unhealthy["conditions"]["and"] == [
        {"attr": "custom_fields.hedgehog_health", "op": "changed"},
        {"attr": "custom_fields.hedgehog_health", "op": "in", "value": ["error", "out_of_sync"]}]
    assert recovered["conditions"]["and"][1] == {
        "attr": "snapshots.prechange.custom_fields.hedgehog_health", "op": "in", "value": ["error", "out_of_sync"]}
    assert {unhealthy["action_object_id"], recovered["action_object_id"]} == {5}


# -- the record's layout -------------------------------------------------------------------------


def test_the_layout_puts_status_and_error_first_and_the_json_last():
    wanted = field_layout(True)
    ordered = sorted(wanted, key=lambda name: (wanted[name]["group_name"], wanted[name]["weight"]))
    assert ordered[:2] == ["hedgehog_status", "hedgehog_last_error"]
    assert ordered[-2:] == ["hedgehog_last_counts", "hedgehog_lease"]
    # NetBox sorts groups by name: the status group before "Hedgehog" (ownership), the details after.
    assert wanted["hedgehog_status"]["group_name"] < "Hedgehog" < wanted["hedgehog_last_counts"]["group_name"]
    assert wanted["hedgehog_lease"]["ui_visible"] == "if-set"
    # The basis the next run starts from stays hidden, laid out or not.
    assert wanted["hedgehog_sync_basis"]["ui_visible"] == field_layout(False)["hedgehog_sync_basis"]["ui_visible"] \
        == "hidden"
    # Every field of the record has its place: none is left alone in the sync's own group.
    assert set(v["group_name"] for v in wanted.values()) == {"Fabric sync", "Sync details"}
    assert ordered.index("hedgehog_cables_disagreeing") == ordered.index("hedgehog_problem_count") + 1


def test_turned_off_the_layout_is_the_one_the_sync_makes():
    wanted = field_layout(False)
    assert set(v["group_name"] for v in wanted.values()) == {"Hedgehog sync"}
    assert set(v["weight"] for v in wanted.values()) == {100}
    rows = [{"id": 1, "name": "hedgehog_status", "group_name": "Fabric sync", "weight": 10,
             "ui_visible": {"value": "always", "label": "Always"}},
            {"id": 2, "name": "hedgehog_source", "group_name": "Hedgehog sync", "weight": 100, "ui_visible": "always"}]
    assert layout_changes(wanted, rows) == [{"id": 1, "name": "hedgehog_status",
                                             "before": {"group_name": "Fabric sync", "weight": 10},
                                             "after": {"group_name": "Hedgehog sync", "weight": 100}}]


# -- the dashboard widget ------------------------------------------------------------------------


def test_the_widget_is_added_once_at_the_top_and_corrected_in_place():
    theirs = {"layout": [{"id": "a", "x": 0, "y": 0, "w": 4, "h": 3}], "config": {"a": {"class": "extras.NoteWidget"}}}
    added = dashboard_change(theirs, widget(12))
    assert [item["id"] for item in added["layout"]] == [WIDGET_ID, "a"]
    assert added["config"][WIDGET_ID]["config"] == {"model": "virtualization.cluster", "page_size": 10,
                                                    "url_params": {"filter": "hedgehog-fabrics", "tableconfig_id": 12}}
    assert dashboard_change(added, widget(12)) is None
    corrected = dashboard_change(added, widget(13))
    assert [item["id"] for item in corrected["layout"]] == [WIDGET_ID, "a"]
    assert dashboard_without(corrected) == theirs
    assert dashboard_without(theirs) is None


# -- the topology's layers -----------------------------------------------------------------------


def test_devices_are_laid_out_in_rows_by_role_centred_and_by_name():
    devices = [{"id": 1, "name": "spine-02", "role": "spine"}, {"id": 2, "name": "spine-01", "role": "spine"},
               {"id": 3, "name": "leaf-01", "role": "server-leaf"}, {"id": 4, "name": "server-01", "role": "server"},
               {"id": 5, "name": "gw-01", "role": "gateway"}, {"id": 6, "name": "other", "role": None}]
    places = layout(devices)
    half = NODE_SPACING // 2
    assert places == {5: (0, 0), 2: (-half, LAYER_HEIGHT), 1: (half, LAYER_HEIGHT), 3: (0, 2 * LAYER_HEIGHT),
                      6: (-half, 3 * LAYER_HEIGHT), 4: (half, 3 * LAYER_HEIGHT)}


def test_icons_cover_the_hedgehog_roles_netbox_has_and_their_digest_follows_them():
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.topology import group_description, icons_of

    roles = [{"id": 3, "slug": "spine"}, {"id": 4, "slug": "server"}, {"id": 9, "slug": "firewall"}]
    icons = icons_of(roles)
    assert icons == {"3": "/static/netbox_topology_views/img/core-switch.svg",
                     "4": "/static/netbox_topology_views/img/server.svg"}
    with_gateway = icons_of(roles + [{"id": 5, "slug": "gateway"}])
    assert group_description("vlab", icons) == group_description("vlab", dict(icons))
    assert group_description("vlab", icons) != group_description("vlab", with_gateway)
    assert len(group_description("a" * 64, with_gateway)) <= 255
