"""bootstrap.yml's NetBox UI part (role netbox_ui) against the real NetBox: equal to the inventory, idempotent,
each part off, left alone or removed; with AWX (the stand-in) each fabric's record gets a button to its job template.

The schedules go into a temp dir (cron) or the AWX stand-in; the UI goes into the test bed's NetBox, with the
v2 token so that path is covered too.
"""

from __future__ import annotations

import pytest
import yaml

import awx_helpers
import sync_helpers as h

FABRICS = {
    "vlab": {"hedgehog_site": "VLAB", "hedgehog_sync_interval": 300},
    "fab-b": {"hedgehog_sync_interval": 600, "hedgehog_sync_enabled": False},
}


def write_inventory(path, fabrics):
    path.write_text(yaml.safe_dump({"all": {"children": {"hedgehog_fabrics": {"hosts": fabrics}}}}))
    return path


class Bed:
    def __init__(self, root, netbox, run_playbook, user):
        self.root = root
        self.netbox = netbox
        self.run_playbook = run_playbook
        (root / "bin").mkdir()
        (root / "cron.d").mkdir()
        # The cron runs' user and an install tree it may read, as bootstrap checks them (test_bootstrap_cron).
        self.vars = {
            "schedule_cron_file": str(root / "cron.d" / "hedgehog-netbox-sync"),
            "schedule_cron_wrapper": str(root / "bin" / "hedgehog-netbox-sync-run"),
            "schedule_cron_config": str(root / "etc" / "runner.conf"),
            "schedule_cron_env_file": str(root / "etc" / "netbox.env"),
            "schedule_cron_state_dir": str(root / "state"),
            "schedule_cron_log_dir": str(root / "log"),
            "schedule_cron_run_as": user,
            "schedule_cron_ansible_playbook": str(root / "venv" / "bin" / "ansible-playbook"),
            "schedule_cron_venv_bin": str(root / "venv" / "bin"),
        }

    def bootstrap(self, fabrics=None, env=None, **extra):
        inventory = write_inventory(self.root / "inventory.yml", FABRICS if fabrics is None else fabrics)
        environ = {"NETBOX_API": self.netbox.url, "NETBOX_TOKEN": self.netbox.token_v2}
        environ.update(env or {})
        return self.run_playbook("bootstrap.yml", inventory, dict(self.vars, **extra), env=environ)

    def saved_filters(self):
        return sorted(row["slug"] for row in h.api_list(self.netbox, "extras/saved-filters"))

    def ui_task(self, run):
        """What the UI task printed for localhost: ``changed``, ``ok`` or ``skipping``."""
        after = run.stdout.split("TASK [hedgehog.netbox_sync.netbox_ui : Make NetBox's UI show the fabrics]", 1)
        if len(after) == 1:
            return "not run"
        return after[1].split("\n", 2)[1].split(":", 1)[0]


@pytest.fixture
def bed(install_tree, fresh_netbox, run_playbook, sync_user):
    return Bed(install_tree, fresh_netbox, run_playbook, sync_user)


def test_bootstrap_makes_the_ui_equal_to_the_inventory_and_a_second_run_changes_nothing(bed):
    first = bed.bootstrap()
    assert bed.ui_task(first) == "changed"
    # Bootstrap makes the sync's custom fields first, so the LLDP filters are made on an empty NetBox too.
    assert bed.saved_filters() == ["hedgehog-fab-b-lldp", "hedgehog-fab-b-orphans", "hedgehog-fab-b-unowned",
                                   "hedgehog-fabrics", "hedgehog-fabrics-problems", "hedgehog-fabrics-unhealthy",
                                   "hedgehog-vlab-lldp", "hedgehog-vlab-orphans", "hedgehog-vlab-unowned"]
    (unowned,) = h.api_list(bed.netbox, "extras/saved-filters", slug="hedgehog-vlab-unowned")
    assert unowned["parameters"]["site"] == ["vlab"]
    assert [r["name"] for r in h.api_list(bed.netbox, "extras/event-rules")] == [
        "Hedgehog fabric recovered", "Hedgehog fabric unhealthy"]
    # Cron schedules: no AWX button.
    assert "Sync in AWX" not in [r["name"] for r in h.api_list(bed.netbox, "extras/custom-links")]
    again = bed.bootstrap()
    assert again.changed() == 0 and bed.ui_task(again) == "ok"
    # A fabric that left the inventory loses its filters.
    bed.bootstrap(fabrics={"vlab": FABRICS["vlab"]})
    assert "hedgehog-fab-b-orphans" not in bed.saved_filters()


def test_a_part_can_be_turned_off_the_whole_left_alone_or_removed(bed):
    bed.bootstrap()
    (config,) = h.api_list(bed.netbox, "extras/table-configs", name="Hedgehog fabrics")
    bed.netbox.api.extras.table_configs.get(config["id"]).update({"columns": ["name"]})
    alone = bed.bootstrap(netbox_ui=False)
    assert bed.ui_task(alone) == "not run" and alone.changed() == 0
    assert h.api_list(bed.netbox, "extras/table-configs", name="Hedgehog fabrics")[0]["columns"] == ["name"]
    off = bed.bootstrap(netbox_ui_saved_filters=False)
    assert bed.ui_task(off) == "changed" and bed.saved_filters() == []
    assert h.api_list(bed.netbox, "extras/table-configs", name="Hedgehog fabrics")[0]["columns"] == config["columns"]
    bed.bootstrap(netbox_ui="absent")
    for endpoint in ("extras/custom-links", "extras/event-rules", "extras/notification-groups",
                     "extras/table-configs", "extras/export-templates", "extras/saved-filters"):
        assert h.api_list(bed.netbox, endpoint) == [], endpoint


def test_without_netbox_the_ui_part_says_how_to_leave_it_out(bed, run_playbook):
    inventory = write_inventory(bed.root / "inventory.yml", FABRICS)
    run = run_playbook("bootstrap.yml", inventory, dict(bed.vars, netbox_ui_netbox_url=""),
                       env={"NETBOX_API": bed.netbox.url, "NETBOX_TOKEN": bed.netbox.token}, check=False)
    assert run.returncode != 0 and bed.ui_task(run) == "not run"
    assert "export NETBOX_API and NETBOX_TOKEN" in run.stdout and "-e netbox_ui=false" in run.stdout


def test_with_awx_each_record_gets_a_button_to_the_job_templates_launch_page(bed, awx_standin):
    bed.bootstrap(env=awx_standin.env(), scheduler="awx", **awx_helpers.PROJECT)
    (template,) = awx_standin.objects("job_templates", name="hedgehog-netbox-sync")
    (link,) = h.api_list(bed.netbox, "extras/custom-links", name="Sync in AWX")
    assert link["link_url"] == "%s/api/v2/job_templates/%d/launch/" % (awx_standin.url, template["id"])
    assert link["object_types"] == ["virtualization.cluster"] and link["new_window"] is True
