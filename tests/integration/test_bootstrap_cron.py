"""bootstrap.yml and schedule.yml with cron: entries equal to the inventory, idempotent, cleaned up, forced.

Everything goes into a temp dir (cron file, wrapper, settings, state and logs) through the role's
variables; the cron daemon does not need to run for any of it.
"""

from __future__ import annotations

import re
import stat

import pytest
import yaml

from testbed.fixtures_awx import playbook_runner

TOKEN = "nbt_bootstrapkey.Cron-Secret-Never-In-The-Entry-0123456789"
FABRICS = {
    "fab-a": {"hedgehog_sync_interval": 60},
    "fab-b": {"hedgehog_sync_interval": 420},
    "fab-c": {"hedgehog_sync_interval": 300, "hedgehog_sync_enabled": False},
}


def write_inventory(path, fabrics):
    path.write_text(yaml.safe_dump({"all": {"children": {"hedgehog_fabrics": {"hosts": fabrics}}}}))
    return path


class CronBed:
    def __init__(self, root, run_playbook):
        self.root = root
        self.run_playbook = run_playbook
        self.cron_file = root / "cron.d" / "hedgehog-netbox-sync"
        self.cron_file.parent.mkdir()
        self.vars = {
            "schedule_cron_file": str(self.cron_file),
            "schedule_cron_wrapper": str(root / "bin" / "hedgehog-netbox-sync-run"),
            "schedule_cron_config": str(root / "etc" / "runner.conf"),
            "schedule_cron_env_file": str(root / "etc" / "netbox.env"),
            "schedule_cron_state_dir": str(root / "state"),
            "schedule_cron_log_dir": str(root / "log"),
            # NetBox here is a name that does not resolve: the UI part has tests of its own.
            "netbox_ui": False,
        }
        (root / "bin").mkdir()

    def bootstrap(self, fabrics, check=True, **extra):
        inventory = write_inventory(self.root / "inventory.yml", fabrics)
        return self.run_playbook("bootstrap.yml", inventory, dict(self.vars, **extra),
                                 env={"NETBOX_API": "http://netbox.example:8000", "NETBOX_TOKEN": TOKEN},
                                 check=check)

    def schedule(self, fabrics):
        inventory = write_inventory(self.root / "inventory.yml", fabrics)
        return self.run_playbook("schedule.yml", inventory, dict(self.vars, output="json"))

    def entries(self) -> dict:
        """{entry name: command line} of the cron file."""
        text = self.cron_file.read_text() if self.cron_file.exists() else ""
        return dict(re.findall(r"(?m)^#Ansible: (\S+)\n(.*)$", text))


@pytest.fixture
def cron(tmp_path, run_playbook):
    return CronBed(tmp_path, run_playbook)


@pytest.fixture(scope="module")
def bootstrapped(tmp_path_factory):
    """One bootstrap of FABRICS, shared by the tests that only look at what it made."""
    bed = CronBed(tmp_path_factory.mktemp("cron"), playbook_runner())
    bed.first_run = bed.bootstrap(FABRICS)
    return bed


def test_one_entry_per_enabled_fabric_and_none_for_the_disabled_one(bootstrapped):
    cron = bootstrapped
    assert cron.first_run.changed() > 0
    wrapper, config = cron.vars["schedule_cron_wrapper"], cron.vars["schedule_cron_config"]
    assert cron.entries() == {
        "hedgehog-netbox-sync:fab-a": "* * * * * root %s --config %s fab-a 60" % (wrapper, config),
        "hedgehog-netbox-sync:fab-b": "* * * * * root %s --config %s fab-b 420" % (wrapper, config),
    }
    assert stat.S_IMODE(cron.cron_file.stat().st_mode) == 0o644
    assert stat.S_IMODE((cron.root / "bin" / "hedgehog-netbox-sync-run").stat().st_mode) == 0o755


def test_the_secret_is_in_the_env_file_only(bootstrapped):
    cron = bootstrapped
    env_file = cron.root / "etc" / "netbox.env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file.read_text().splitlines() == ["NETBOX_API=http://netbox.example:8000", "NETBOX_TOKEN=" + TOKEN]
    assert TOKEN not in cron.cron_file.read_text()
    assert TOKEN not in cron.first_run.stdout
    settings = (cron.root / "etc" / "runner.conf").read_text()
    assert TOKEN not in settings
    assert "ENV_FILE=%s" % env_file in settings
    assert re.search(r"(?m)^PLAYBOOK=/.+/playbooks/sync\.yml$", settings)
    assert re.search(r"(?m)^INVENTORY=%s$" % re.escape(str(cron.root / "inventory.yml")), settings)


def test_a_second_run_changes_nothing(bootstrapped):
    before = bootstrapped.cron_file.read_text()

    assert bootstrapped.bootstrap(FABRICS).changed() == 0
    assert bootstrapped.cron_file.read_text() == before


def test_schedule_shows_each_fabric_its_last_start_and_next_run(bootstrapped):
    rows = {row["fabric"]: row for row in bootstrapped.schedule(FABRICS).debug_msg("Show the rows as JSON")}

    assert rows["fab-a"]["scheduled"] and rows["fab-a"]["scheduled_interval"] == 60
    assert rows["fab-a"]["last_start"] is None and rows["fab-a"]["next_run_in"] <= 60
    assert rows["fab-b"]["scheduled_interval"] == 420
    assert not rows["fab-c"]["scheduled"] and rows["fab-c"]["enabled"] is False


def test_schedule_table_reads_like_a_schedule(bootstrapped):
    cron = bootstrapped
    # fab-new is enabled in the inventory but has no entry; fab-b has one but left the inventory.
    fabrics = {name: FABRICS[name] for name in ("fab-a", "fab-c")}
    fabrics["fab-new"] = {}
    inventory = write_inventory(cron.root / "inventory-view.yml", fabrics)
    lines = "\n".join(cron.run_playbook("schedule.yml", inventory, cron.vars).debug_msg("Show one line per fabric"))

    assert re.search(r"fab-a\s+cron\s+every 60 s\s+never\s+in \d+ s", lines)
    assert re.search(r"fab-b\s+cron\s+every 7 min\s+never\s+stale: not in the inventory, run bootstrap.yml", lines)
    assert re.search(r"fab-c\s+cron\s+disabled\s+never\s+-", lines)
    assert re.search(r"fab-new\s+cron\s+every 5 min\s+never\s+not scheduled: run bootstrap.yml", lines)


def test_entries_follow_the_inventory_and_force_recreates_them(cron):
    cron.cron_file.write_text("#Ansible: backup\n0 3 * * * root /usr/local/bin/backup\n")
    cron.bootstrap(FABRICS)
    assert set(cron.entries()) == {"backup", "hedgehog-netbox-sync:fab-a", "hedgehog-netbox-sync:fab-b"}

    # fab-b leaves the inventory, fab-a is disabled, fab-c is enabled at 90 s.
    fabrics = {"fab-a": dict(FABRICS["fab-a"], hedgehog_sync_enabled=False),
               "fab-c": {"hedgehog_sync_interval": 90}}
    cron.bootstrap(fabrics)
    assert set(cron.entries()) == {"backup", "hedgehog-netbox-sync:fab-c"}
    assert cron.entries()["hedgehog-netbox-sync:fab-c"].endswith(" fab-c 90")

    # A changed interval changes the entry; force re-adds what is already right.
    fabrics["fab-c"] = {"hedgehog_sync_interval": 3600}
    cron.bootstrap(fabrics)
    assert cron.entries()["hedgehog-netbox-sync:fab-c"].endswith(" fab-c 3600")
    forced = cron.bootstrap(fabrics, force=True)
    assert forced.changed() >= 2
    assert "hedgehog-netbox-sync:fab-c" in forced.stdout.split("Remove the entries")[1].split("TASK")[0]
    assert set(cron.entries()) == {"backup", "hedgehog-netbox-sync:fab-c"}

    # Every fabric gone: only the entries of others remain.
    cron.bootstrap({})
    assert cron.entries() == {"backup": "0 3 * * * root /usr/local/bin/backup"}


def test_a_short_interval_is_refused_with_the_fabric_named(cron):
    run = cron.bootstrap({"fab-x": {"hedgehog_sync_interval": 30}}, check=False)

    assert run.returncode != 0
    assert "Fabric fab-x" in run.stdout and "at least 60 s" in run.stdout
    assert cron.entries() == {}


def test_an_unknown_scheduler_is_refused(cron):
    run = cron.bootstrap(FABRICS, check=False, scheduler="systemd")
    assert run.returncode != 0 and "takes cron or awx" in run.stdout
