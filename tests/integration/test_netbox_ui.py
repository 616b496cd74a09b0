"""NetBox's own UI for the fabrics, made by netbox_ui against the real NetBox of the test bed.

Every test starts from the VLAB synced by a recorded run (the fabric's record and its status fields),
restored from a saved copy in about a second.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

import sync_helpers as h
import ui_helpers as u
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.health import refresh_health
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.summary import run_summary
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui import objects
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.dashboard import WIDGET_ID, ensure_widget
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.layout import LAYOUT
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.topology import LAYER_HEIGHT, plugin_version

EVERY_PART = {
    "custom_link": {"create": ["Fabric cabling (CSV)", "Fabric orphans", "Fabric record", "Fabric unowned objects",
                               "Sync age"]},
    "saved_filter": {"create": ["hedgehog-fabrics", "hedgehog-fabrics-problems", "hedgehog-fabrics-unhealthy",
                                "hedgehog-vlab-lldp", "hedgehog-vlab-orphans", "hedgehog-vlab-unowned"]},
    "export_template": {"create": ["Hedgehog cabling (CSV)"]},
    "table_config": {"create": ["Hedgehog fabrics"]},
    "notification_group": {"create": ["Hedgehog fabric alerts"]},
    "event_rule": {"create": ["Hedgehog fabric recovered", "Hedgehog fabric unhealthy"]},
}
UI_ENDPOINTS = ("extras/custom-links", "extras/saved-filters", "extras/export-templates", "extras/table-configs",
                "extras/notification-groups", "extras/event-rules")


@pytest.fixture
def nb(fresh_netbox, netbox_testbed, kube_vlab):
    u.restore_recorded_vlab(netbox_testbed, fresh_netbox, kube_vlab)
    return fresh_netbox


def made(netbox):
    """``{endpoint: sorted names}`` of the UI objects NetBox holds."""
    return dict((endpoint, sorted(row.get("slug") or row["name"] for row in h.api_list(netbox, endpoint)))
                for endpoint in UI_ENDPOINTS)


def layout_of(netbox):
    rows = h.api_list(netbox, "extras/custom-fields", object_type="virtualization.cluster")
    return dict((r["name"], (r["group_name"], r["weight"], r["ui_visible"]["value"])) for r in rows)


def without_topology(changes):
    return dict((k, v) for k, v in changes.items() if k != "topology")


def every_part(netbox):
    """EVERY_PART, with the topology link where NetBox runs the topology plugin."""
    if plugin_version(u.client_of(netbox)) is None:
        return EVERY_PART
    links = sorted(EVERY_PART["custom_link"]["create"] + ["Fabric topology"])
    return dict(EVERY_PART, custom_link={"create": links})


# -- the record the sync writes ----------------------------------------------------------------


def test_a_recorded_run_writes_its_summary_in_words_its_problems_and_its_health(nb, kube_vlab):
    fields = u.record(nb)["custom_fields"]
    totals = dict((op, sum(ops.get(op, 0) for ops in fields["hedgehog_last_counts"].values()))
                  for op in ("create", "update"))
    # The ports NetBox makes from the device types belong to the fabric through their devices: each of the five
    # switches' 49 is written once (its NOS name and speed), and nothing else is updated on a first sync.
    assert totals["create"] > 200 and totals["update"] == fields["hedgehog_last_counts"]["interface"]["update"] == 5 * 49
    assert fields["hedgehog_last_summary"] == "%(create)d created, %(update)d updated" % totals
    assert fields["hedgehog_problem_count"] == 0
    assert fields["hedgehog_health"] == fields["hedgehog_status"] == "in_sync"
    result = h.recorded_sync(h.config_for(nb, kube_vlab))
    fields = u.record(nb)["custom_fields"]
    assert fields["hedgehog_last_summary"] == run_summary(result["summary"], len(result["problems"])) == "no changes"
    u.fail_a_run(nb, kube_vlab)
    fields = u.record(nb)["custom_fields"]
    # A failed run leaves the last completed run's summary; its health is error.
    assert fields["hedgehog_last_summary"] == "no changes"
    assert fields["hedgehog_health"] == fields["hedgehog_status"] == "error"


# -- making it, check mode, idempotence ------------------------------------------------------------


def test_check_mode_plans_every_part_and_writes_nothing(nb):
    before = h.change_count(nb)
    result, requests = u.apply(nb, check_mode=True)
    assert without_topology(result["changes"]) == dict(every_part(nb), record_layout={"update": sorted(LAYOUT)})
    assert requests["writes"] == 0
    assert h.change_count(nb) == before


def test_every_part_is_made_once_and_a_second_run_writes_nothing(nb):
    result, _requests = u.apply(nb)
    assert without_topology(result["changes"]) == dict(every_part(nb), record_layout={"update": sorted(LAYOUT)})
    assert result["warnings"] == []
    # The sync made the LLDP filter's custom field, so that filter is among the parts.
    assert not any("hedgehog_lldp_mismatch" in note for note in result["notes"])
    before = h.change_count(nb)
    again, requests = u.apply(nb)
    assert again["changed"] is False and again["changes"] == {}
    assert requests["writes"] == 0 and set(requests) <= {"GET", "total", "writes"}
    assert h.change_count(nb) == before
    # What NetBox holds is marked: tagged where the model takes tags, described everywhere.
    for rule in h.api_list(nb, "extras/event-rules"):
        assert [t["slug"] for t in rule["tags"]] == ["hedgehog-sync"]
        assert objects.MARK in rule["description"]


def test_the_record_shows_status_and_last_error_first_and_the_json_last(nb):
    assert layout_of(nb)["hedgehog_status"] == ("Hedgehog sync", 100, "always")
    u.apply(nb)
    layout = layout_of(nb)
    shown = sorted((group, weight, name) for name, (group, weight, _visible) in layout.items())
    assert [name for _g, _w, name in shown[:3]] == ["hedgehog_status", "hedgehog_last_error", "hedgehog_last_success"]
    assert [name for _g, _w, name in shown[-2:]] == ["hedgehog_last_counts", "hedgehog_lease"]
    assert layout["hedgehog_lease"][2] == "if-set"
    # Turned off, the fields are back as the sync makes them.
    u.apply(nb, parts={"record_layout": False})
    assert set(layout_of(nb)[name] for name in ("hedgehog_status", "hedgehog_last_counts", "hedgehog_lease")) == {
        ("Hedgehog sync", 100, "always")}


def test_the_table_config_lists_status_age_changes_and_problems(nb):
    u.apply(nb)
    (config,) = h.api_list(nb, "extras/table-configs", name="Hedgehog fabrics")
    assert config["object_type"] == "virtualization.cluster" and config["table"] == "ClusterTable"
    assert config["shared"] is True and config["enabled"] is True
    assert config["columns"] == ["name", "cf_hedgehog_status", "cf_hedgehog_last_success", "cl_Sync age",
                                 "cf_hedgehog_last_summary", "cf_hedgehog_problem_count", "scope", "device_count"]


# -- saved filters, links, export ----------------------------------------------------------------


def test_saved_filters_select_the_fabrics_orphans_unowned_objects_and_problems(nb):
    u.apply(nb)
    assert h.api_count(nb, "virtualization/clusters", filter="hedgehog-fabrics") == 1
    assert h.api_count(nb, "dcim/devices", filter="hedgehog-vlab-orphans") == 0
    assert h.api_count(nb, "dcim/devices", filter="hedgehog-vlab-unowned") == 0
    assert h.api_count(nb, "virtualization/clusters", filter="hedgehog-fabrics-problems") == 0
    # A device made by hand in the fabric's site (where a conflict would be), and an orphan.
    site = nb.api.dcim.sites.get(slug="vlab")
    spine = nb.api.dcim.devices.get(name="spine-01", site_id=site.id)
    nb.api.dcim.devices.create(name="leaf-99", site=site.id, role=spine.role.id, device_type=spine.device_type.id)
    spine.update({"tags": [{"slug": tag.slug} for tag in spine.tags] + [{"slug": "hedgehog-orphan"}]})
    record = u.record(nb)
    nb.api.virtualization.clusters.get(record["id"]).update({"custom_fields": {"hedgehog_problem_count": 2}})
    assert [d["name"] for d in h.api_list(nb, "dcim/devices", filter="hedgehog-vlab-unowned")] == ["leaf-99"]
    assert [d["name"] for d in h.api_list(nb, "dcim/devices", filter="hedgehog-vlab-orphans")] == ["spine-01"]
    assert [c["name"] for c in h.api_list(nb, "virtualization/clusters", filter="hedgehog-fabrics-problems")] == [
        "vlab"]


# The VLAB's agents see one miswired pair: spine-02's cables to leaf-01 and leaf-02 swapped.
MISWIRED = ["spine-02--fabric--leaf-01", "spine-02--fabric--leaf-02"]
# The fixtures' agents last reported at 10:00Z: a minute later they are fresh and judge the cables.
AGENTS_FRESH = datetime(2026, 8, 20, 10, 1, tzinfo=timezone.utc)


def test_the_lldp_filter_selects_the_cables_the_sync_flagged(nb):
    u.apply(nb)
    assert h.api_count(nb, "dcim/cables", filter="hedgehog-vlab-lldp") == 0  # agents stale: nothing judged
    result, _run = h.sync(h.config_for(nb, h.VLAB), now=AGENTS_FRESH)
    assert (result["result"], result["cabling"]["disagree"]) == ("success", 2)
    assert sorted(c["label"] for c in h.api_list(nb, "dcim/cables", filter="hedgehog-vlab-lldp")) == MISWIRED
    # A cable planned by hand, with nothing LLDP saw, is not one of them.
    cable = nb.api.dcim.cables.get(h.api_list(nb, "dcim/cables", label="server-03--unbundled--leaf-01")[0]["id"])
    cable.update({"status": "planned"})
    assert sorted(c["label"] for c in h.api_list(nb, "dcim/cables", filter="hedgehog-vlab-lldp")) == MISWIRED


def test_an_lldp_filter_on_a_field_netbox_lacks_waits_for_it(nb):
    """NetBox would ignore the unknown field and list every planned cable: the filter is not made."""
    mine = {"status": ["planned"], "cf_my_lldp": ["mismatch"]}
    result, _requests = u.apply(nb, lldp_filter=mine)
    assert "hedgehog-vlab-lldp" not in made(nb)["extras/saved-filters"]
    assert "no custom field my_lldp yet (cabling verification): no LLDP saved filters" in result["notes"]
    nb.api.extras.custom_fields.create(name="my_lldp", type="text", object_types=["dcim.cable"], filter_logic="exact")
    result, _requests = u.apply(nb, lldp_filter=mine)
    assert result["changes"]["saved_filter"] == {"create": ["hedgehog-vlab-lldp"]}
    (saved,) = h.api_list(nb, "extras/saved-filters", slug="hedgehog-vlab-lldp")
    assert saved["parameters"] == dict(mine, cf_hedgehog_fabric=["vlab"])


def test_bootstrap_makes_the_syncs_own_lldp_field_and_its_filter(nb):
    (field,) = h.api_list(nb, "extras/custom-fields", name="hedgehog_lldp_mismatch")
    nb.api.extras.custom_fields.get(field["id"]).delete()
    result, _requests = u.apply(nb)
    assert result["changes"]["schema"]["create"] == 1
    assert [f["name"] for f in h.api_list(nb, "extras/custom-fields", name="hedgehog_lldp_mismatch")] == [
        "hedgehog_lldp_mismatch"]
    assert "hedgehog-vlab-lldp" in made(nb)["extras/saved-filters"]


def test_the_custom_links_lead_to_the_record_and_the_record_offers_awx(nb):
    u.apply(nb, awx={"url": "https://awx.example.com", "job_template": "hedgehog-netbox-sync",
                     "organization": "Default"})
    links = dict((row["name"], row) for row in h.api_list(nb, "extras/custom-links"))
    assert sorted(links["Fabric record"]["object_types"]) == ["dcim.cable", "dcim.device"]
    assert links["Sync in AWX"]["link_url"] == \
        "https://awx.example.com/api/v2/job_templates/hedgehog-netbox-sync%2B%2BDefault/launch/"
    # What a person sees on a device's and a cable's page: a button to the fabric's record.
    web = u.web_session(nb)
    record_url = "/virtualization/clusters/%d/" % u.record(nb)["id"]
    device = h.device_id(nb, "leaf-01")
    cable = h.api_list(nb, "dcim/cables", label="server-03--unbundled--leaf-01")[0]["id"]
    for page in ("/dcim/devices/%d/" % device, "/dcim/cables/%d/" % cable):
        html = web.get(nb.url + page, timeout=60).text
        assert '<a href="%s" class="btn btn-sm btn-green">Fabric vlab</a>' % record_url in html, page
    html = web.get(nb.url + record_url, timeout=60).text
    assert "synced " in html and " ago</a>" in html
    assert "Sync in AWX" in html
    # A cluster that is not a fabric shows none of them.
    other_type = nb.api.virtualization.cluster_types.create(name="Other", slug="other")
    other = nb.api.virtualization.clusters.create(name="other", type=other_type.id)
    html = web.get(nb.url + "/virtualization/clusters/%d/" % other.id, timeout=60).text
    assert "Sync in AWX" not in html and "synced " not in html


def test_the_cabling_exports_as_csv_one_row_per_cable(nb):
    u.apply(nb)
    web = u.web_session(nb)
    answer = web.get(nb.url + "/dcim/cables/", timeout=60,
                     params={"cf_hedgehog_fabric": "vlab", "export": "Hedgehog cabling (CSV)"})
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert 'filename="hedgehog-cabling.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["device", "port", "far device", "far port", "connection", "cable status"]
    assert len(rows) - 1 == h.api_count(nb, "dcim/cables", cf_hedgehog_fabric="vlab") == 22
    assert ["leaf-01", "E1/3", "server-03", "enp2s1", "server-03--unbundled--leaf-01", "Connected"] in rows


# -- notifications and health ------------------------------------------------------------------


def test_the_group_is_told_when_a_fabric_fails_and_when_it_recovers_once_each(nb, kube_vlab):
    u.apply(nb)
    member = u.add_member(nb, objects.NOTIFICATION_GROUP)
    admin = nb.api.users.users.get(username=nb.username).id
    u.fail_a_run(nb, kube_vlab)
    (told,) = u.notifications(nb, member)
    assert (told["object_type"], told["object"]["name"], told["event_type"]) == (
        "virtualization.cluster", "vlab", "object_updated")
    assert u.notifications(nb, admin) == []
    u.dismiss_all(nb, member)
    # Failing again changes nothing about the fabric's health: nobody is told twice.
    u.fail_a_run(nb, kube_vlab)
    assert u.notifications(nb, member) == []
    # A run that succeeds again: told once (the run's own "syncing" in between does not count).
    h.recorded_sync(h.config_for(nb, kube_vlab))
    assert len(u.notifications(nb, member)) == 1
    u.dismiss_all(nb, member)
    h.recorded_sync(h.config_for(nb, kube_vlab))
    assert u.notifications(nb, member) == []
    # Bootstrap again: the group keeps the member an administrator chose.
    u.apply(nb)
    (group,) = h.api_list(nb, "extras/notification-groups", name=objects.NOTIFICATION_GROUP)
    assert [user["id"] for user in group["users"]] == [member]


def test_a_fabric_whose_runs_stopped_turns_out_of_sync_and_recovers(nb, kube_vlab):
    u.apply(nb)
    member = u.add_member(nb, objects.NOTIFICATION_GROUP)
    fabrics = [{"name": "vlab", "sync_interval": 300}]
    client = u.client_of(nb)
    # Times from the record's last success, not the wall clock: the landing may have run minutes ago.
    synced_at = datetime.fromisoformat(u.record(nb)["custom_fields"]["hedgehog_last_success"])
    assert refresh_health(client, fabrics, synced_at + timedelta(seconds=1)) == []
    later = synced_at + timedelta(seconds=300 + 121)
    before = h.change_count(nb)
    planned = refresh_health(client, fabrics, later, check_mode=True)
    assert planned == [{"fabric": "vlab", "before": {"status": "in_sync", "health": "in_sync"},
                        "after": {"status": "out_of_sync", "health": "out_of_sync"}}]
    assert h.change_count(nb) == before
    assert refresh_health(client, fabrics, later) == planned
    fields = u.record(nb)["custom_fields"]
    assert fields["hedgehog_status"] == fields["hedgehog_health"] == "out_of_sync"
    assert len(u.notifications(nb, member)) == 1
    assert refresh_health(client, fabrics, later) == []
    u.dismiss_all(nb, member)
    h.recorded_sync(h.config_for(nb, kube_vlab))
    assert u.record(nb)["custom_fields"]["hedgehog_health"] == "in_sync"
    assert len(u.notifications(nb, member)) == 1


# -- parts off, conflicts, removal ---------------------------------------------------------------


def test_a_part_turned_off_is_removed_and_the_rest_stays(nb):
    u.apply(nb)
    member = u.add_member(nb, objects.NOTIFICATION_GROUP)
    result, _requests = u.apply(nb, parts={"custom_links": False, "notifications": False})
    assert result["changes"]["custom_link"] == {"delete": every_part(nb)["custom_link"]["create"]}
    assert result["changes"]["event_rule"] == {"delete": EVERY_PART["event_rule"]["create"]}
    assert result["changes"]["table_config"] == {"update": ["Hedgehog fabrics"]}
    holds = made(nb)
    assert holds["extras/custom-links"] == [] and holds["extras/event-rules"] == []
    (config,) = h.api_list(nb, "extras/table-configs", name="Hedgehog fabrics")
    assert "cl_Sync age" not in config["columns"]
    # The group and the member an administrator put in it stay while only notifications are off.
    (group,) = h.api_list(nb, "extras/notification-groups", name=objects.NOTIFICATION_GROUP)
    assert [user["id"] for user in group["users"]] == [member]
    assert holds["extras/saved-filters"] == EVERY_PART["saved_filter"]["create"]


def test_an_object_of_the_same_name_made_by_hand_is_left_alone_and_reported(nb):
    mine = nb.api.extras.custom_links.create(name="Sync age", object_types=["virtualization.cluster"],
                                             link_text="my age", link_url="https://example.com")
    result, _requests = u.apply(nb)
    assert result["warnings"] == ["custom link Sync age exists and was not made by bootstrap: left alone"]
    assert nb.api.extras.custom_links.get(mine.id).link_text == "my age"
    u.apply(nb, state="absent")
    assert nb.api.extras.custom_links.get(mine.id).link_text == "my age"


def test_absent_removes_every_part_and_puts_the_layout_back(nb):
    u.apply(nb)
    u.add_member(nb, objects.NOTIFICATION_GROUP)
    result, _requests = u.apply(nb, state="absent")
    assert result["changes"]["notification_group"] == {"delete": ["Hedgehog fabric alerts"]}
    assert made(nb) == dict((endpoint, []) for endpoint in UI_ENDPOINTS)
    assert set(group for group, _w, _v in layout_of(nb).values() if group != "Hedgehog") == {"Hedgehog sync"}
    again, requests = u.apply(nb, state="absent")
    assert again["changed"] is False and requests["writes"] == 0


# -- dashboard and topology -----------------------------------------------------------------------


def test_the_widget_goes_on_the_token_users_own_dashboard(nb):
    u.apply(nb)
    client = u.client_of(nb)
    with pytest.raises(ConfigError, match="open NetBox's home page once"):
        ensure_widget(client, True)
    u.web_session(nb).get(nb.url + "/", timeout=60)
    result, _requests = u.apply(nb, dashboard=True)
    assert result["changes"] == {"dashboard": {"added": ["widget Hedgehog fabrics"]}}
    dashboard = client.request("GET", "extras/dashboard")
    (config,) = h.api_list(nb, "extras/table-configs", name="Hedgehog fabrics")
    assert dashboard["config"][WIDGET_ID]["config"]["url_params"] == {"filter": "hedgehog-fabrics",
                                                                      "tableconfig_id": config["id"]}
    assert dashboard["layout"][0]["id"] == WIDGET_ID and len(dashboard["layout"]) > 1
    again, _requests = u.apply(nb, dashboard=True)
    assert again["changed"] is False
    gone, _requests = u.apply(nb, dashboard=True, state="absent")
    assert gone["dashboard"] == "removed"
    assert WIDGET_ID not in client.request("GET", "extras/dashboard")["config"]
    # The shared parts were not touched by the dashboard runs.
    assert made(nb)["extras/table-configs"] == ["Hedgehog fabrics"]


def test_the_topology_layers_follow_the_plugin(nb):
    client = u.client_of(nb)
    result, _requests = u.apply(nb)
    if plugin_version(client) is None:
        assert "netbox-topology-views is not installed: no topology layers" in result["notes"]
        assert "topology" not in result["changes"]
        assert "Fabric topology" not in made(nb)["extras/custom-links"]
        return
    # The switches, the servers and the control node.
    assert result["changes"]["topology"] == {"create_group": 1, "icons": 1, "create_coordinate": 12}
    (group,) = client.list("plugins/netbox_topology_views/coordinate-groups", None, ("id", "name"))
    assert group["name"] == "Hedgehog vlab"
    coordinates = client.list("plugins/netbox_topology_views/coordinate", {"group": group["id"]},
                              ("device", "x", "y"))
    devices = dict((d["id"], d) for d in h.api_list(nb, "dcim/devices", cf_hedgehog_fabric="vlab"))
    rows = dict((devices[c["device"]]["role"]["slug"], c["y"]) for c in coordinates)
    assert rows == {"control-node": 0, "spine": LAYER_HEIGHT, "server-leaf": 2 * LAYER_HEIGHT,
                    "server": 3 * LAYER_HEIGHT}
    again, requests = u.apply(nb)
    assert again["changes"] == {} and requests["writes"] == 0
    u.apply(nb, state="absent")
    assert client.list("plugins/netbox_topology_views/coordinate-groups", None, ("id",)) == []
