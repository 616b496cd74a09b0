"""bootstrap.yml and schedule.yml with cron: entries equal to the inventory, idempotent, cleaned up, forced,
run by an unprivileged user, and refused when someone else could change what the runs use.

Everything goes into an install tree under /tmp (cron file, wrapper, settings, state, logs and a
stand-in venv) through the role's variables; the cron daemon does not need to run for any of it.
The runs use a throwaway system user that bootstrap makes, as it makes hedgehog-sync by default.
"""

from __future__ import annotations

import json
import pwd
import re
import shutil
import stat
import subprocess

import pytest
import yaml

from testbed.fixtures_awx import REPO_ROOT, playbook_runner
from testbed.fixtures_cron import new_install_tree, throwaway_user

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
    def __init__(self, root, run_playbook, user):
        self.root = root
        self.run_playbook = run_playbook
        self.user = user
        self.cron_file = root / "cron.d" / "hedgehog-netbox-sync"
        self.cron_file.parent.mkdir()
        self.vars = {
            "schedule_cron_file": str(self.cron_file),
            "schedule_cron_wrapper": str(root / "bin" / "hedgehog-netbox-sync-run"),
            "schedule_cron_config": str(root / "etc" / "runner.conf"),
            "schedule_cron_env_file": str(root / "etc" / "netbox.env"),
            "schedule_cron_state_dir": str(root / "state"),
            "schedule_cron_log_dir": str(root / "log"),
            "schedule_cron_run_as": user,
            "schedule_cron_ansible_playbook": str(root / "venv" / "bin" / "ansible-playbook"),
            "schedule_cron_venv_bin": str(root / "venv" / "bin"),
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


CRON_ROLE = "hedgehog.netbox_sync.schedule_cron : "
REMOVE_ENTRIES = "Remove the entries of fabrics that are gone or disabled (or all of them, with force)"
ADD_ENTRIES = "Add an entry per enabled fabric, every minute; the wrapper runs the fabric when it is due"


@pytest.fixture
def cron(install_tree, run_playbook, sync_user):
    return CronBed(install_tree, run_playbook, sync_user)


@pytest.fixture(scope="module")
def bootstrapped():
    """One bootstrap of FABRICS, shared by the tests that only look at what it made."""
    with throwaway_user() as user:
        root = new_install_tree()
        bed = CronBed(root, playbook_runner(), user)
        bed.first_run = bed.bootstrap(FABRICS)
        yield bed
        shutil.rmtree(root, ignore_errors=True)


def test_one_entry_per_enabled_fabric_and_none_for_the_disabled_one(bootstrapped):
    cron = bootstrapped
    # On a new machine every step makes its part (the run-as user is new too); the checks and reads change
    # nothing, and the cron file is made as cron wants it.
    assert cron.first_run.changed_tasks() == [CRON_ROLE + task for task in (
        "Make the unprivileged user the runs use", "Install the run wrapper", "Create the folder of the settings",
        "Create the folders of the stamps, locks and logs", "Write the wrapper's settings",
        "Create the env file that holds the secrets", "Put the NetBox URL and token into the env file",
        ADD_ENTRIES)]
    assert cron.first_run.changed() == 8
    wrapper, config = cron.vars["schedule_cron_wrapper"], cron.vars["schedule_cron_config"]
    assert cron.entries() == {
        "hedgehog-netbox-sync:fab-a": "* * * * * %s %s --config %s fab-a 60" % (cron.user, wrapper, config),
        "hedgehog-netbox-sync:fab-b": "* * * * * %s %s --config %s fab-b 420" % (cron.user, wrapper, config),
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
    # Force removes fab-c's entry and adds it again; the rest is as it was.
    assert forced.changed_tasks() == [CRON_ROLE + REMOVE_ENTRIES, CRON_ROLE + ADD_ENTRIES]
    assert forced.changed() == 2
    assert "hedgehog-netbox-sync:fab-c" in forced.stdout.split("Remove the entries")[1].split("TASK")[0]
    assert set(cron.entries()) == {"backup", "hedgehog-netbox-sync:fab-c"}

    # Every fabric gone: only the entries of others remain.
    cron.bootstrap({})
    assert cron.entries() == {"backup": "0 3 * * * root /usr/local/bin/backup"}


# -- who runs, and what they may run ------------------------------------------------------------


def test_the_default_run_as_user_is_a_dedicated_unprivileged_one():
    defaults = yaml.safe_load((REPO_ROOT / "roles" / "schedule_cron" / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((REPO_ROOT / "roles" / "schedule_cron" / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]

    assert defaults["schedule_cron_run_as"] == options["schedule_cron_run_as"]["default"] == "hedgehog-sync"
    assert defaults["schedule_cron_create_user"] is options["schedule_cron_create_user"]["default"] is True


def test_bootstrap_makes_the_run_as_user_a_system_user_without_a_login(bootstrapped):
    cron = bootstrapped
    user = pwd.getpwnam(cron.user)
    with open("/etc/login.defs") as defs:
        uid_min = int(re.search(r"(?m)^UID_MIN\s+(\d+)", defs.read()).group(1))

    assert 0 < user.pw_uid < uid_min
    assert user.pw_shell == "/usr/sbin/nologin"
    assert user.pw_dir == str(cron.root / "state")
    # What a run writes or reads as that user is that user's alone.
    for path, mode in (("state", 0o750), ("log", 0o750), ("etc/netbox.env", 0o600)):
        info = (cron.root / path).stat()
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (user.pw_uid, mode), path
    # And everything it runs belongs to root.
    for path in ("bin/hedgehog-netbox-sync-run", "etc/runner.conf", "venv/bin/ansible-playbook"):
        assert (cron.root / path).stat().st_uid == 0, path


def test_a_user_that_exists_is_used_as_it_is(cron):
    cron.bootstrap(FABRICS)
    before = pwd.getpwnam(cron.user)

    assert cron.bootstrap(FABRICS, schedule_cron_create_user=False).changed() == 0
    assert pwd.getpwnam(cron.user) == before


def test_a_missing_user_is_refused_when_bootstrap_may_not_make_it(cron):
    run = cron.bootstrap(FABRICS, check=False, schedule_cron_run_as="hhnbs-nosuchuser",
                         schedule_cron_create_user=False)

    assert run.returncode != 0
    assert "User hhnbs-nosuchuser does not exist" in run.stdout
    assert cron.entries() == {}


def _refusal(run) -> list[str]:
    """The unsafe paths of the wrapper's refusal, as bootstrap.yml reports them."""
    assert run.returncode != 0
    task = run.stdout.split("TASK [hedgehog.netbox_sync.schedule_cron : Refuse to schedule runs that others could "
                            "change]")[1]
    failure = json.loads(re.search(r"(?m)^fatal: \[localhost\]: FAILED! => (\{.*\})$", task).group(1))
    return [line.split("unsafe path: ", 1)[1] for line in failure["msg"].splitlines() if "unsafe path: " in line]


def test_bootstrap_refuses_a_world_writable_venv(cron):
    venv_bin = cron.root / "venv" / "bin"
    venv_bin.chmod(0o777)

    problems = _refusal(cron.bootstrap(FABRICS, check=False))

    assert problems == ["ansible-playbook %s/ansible-playbook: the folder %s above it is writable by everyone "
                        "(mode 777)" % (venv_bin, venv_bin)]
    assert cron.entries() == {}


def test_bootstrap_refuses_paths_owned_by_others_or_writable_by_a_group(cron):
    inventory_dir = cron.root / "inventories"
    inventory_dir.mkdir(mode=0o775)
    inventory_dir.chmod(0o775)
    foreign = cron.root / "venv" / "bin" / "kubectl"
    foreign.write_text("#!/bin/sh\n")
    shutil.chown(foreign, user="nobody")
    inventory = write_inventory(inventory_dir / "hosts.yml", FABRICS)

    run = cron.run_playbook("bootstrap.yml", inventory, cron.vars, env={"NETBOX_TOKEN": TOKEN}, check=False)

    assert _refusal(run) == [
        "the program %s is owned by nobody (uid 65534), not by root or %s" % (foreign, cron.user),
        "the inventory %s/hosts.yml: the folder %s above it is writable by its group root (mode 775)"
        % (inventory_dir, inventory_dir),
    ]
    assert "%s runs what these paths hold: each must be owned by root or %s and writable by no one else" % (
        cron.user, cron.user) in run.stdout
    assert cron.entries() == {}


def test_bootstrap_refuses_what_the_run_as_user_cannot_read(cron):
    (cron.root / "venv").chmod(0o700)

    problems = _refusal(cron.bootstrap(FABRICS, check=False))

    venv = cron.root / "venv"
    assert problems == [
        "ansible-playbook %s/bin/ansible-playbook: %s cannot enter the folder %s (mode 700)" % (venv, cron.user, venv),
        "the venv's bin folder %s/bin: %s cannot enter the folder %s (mode 700)" % (venv, cron.user, venv)]


def test_the_wrapper_refuses_to_run_once_a_path_became_unsafe(bootstrapped, tmp_path):
    cron = bootstrapped
    check = [shutil.which("runuser"), "-u", cron.user, "--", cron.vars["schedule_cron_wrapper"], "--config",
             cron.vars["schedule_cron_config"]]

    assert subprocess.run(check + ["--check"], capture_output=True, text=True, check=False).returncode == 0
    (cron.root / "venv" / "bin").chmod(0o777)
    try:
        done = subprocess.run(check + ["--force", "fab-a", "60"], capture_output=True, text=True, check=False,
                              env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    finally:
        (cron.root / "venv" / "bin").chmod(0o755)

    assert done.returncode == 77
    assert "unsafe path: ansible-playbook" in done.stderr
    assert not (cron.root / "calls").exists()
    assert "error: unsafe path: ansible-playbook" in (cron.root / "log" / "fab-a.log").read_text()


def test_a_short_interval_is_refused_with_the_fabric_named(cron):
    run = cron.bootstrap({"fab-x": {"hedgehog_sync_interval": 30}}, check=False)

    assert run.returncode != 0
    assert "Fabric fab-x" in run.stdout and "at least 60 s" in run.stdout
    assert cron.entries() == {}


def test_an_unknown_scheduler_is_refused(cron):
    run = cron.bootstrap(FABRICS, check=False, scheduler="systemd")
    assert run.returncode != 0 and "takes cron or awx" in run.stdout


def _crontab(user) -> dict:
    done = subprocess.run(["crontab", "-l", "-u", user], capture_output=True, text=True, check=False)
    return dict(re.findall(r"(?m)^#Ansible: (\S+)\n(.*)$", done.stdout if done.returncode == 0 else ""))


def test_cron_user_puts_the_entries_in_that_users_crontab(cron):
    """-e cron_user=NAME: the entries go into NAME's crontab (no user field there), not into the cron file."""
    wrapper, config = cron.vars["schedule_cron_wrapper"], cron.vars["schedule_cron_config"]
    try:
        cron.bootstrap(FABRICS, cron_user=cron.user)
        entries = _crontab(cron.user)
        again = cron.bootstrap(FABRICS, cron_user=cron.user)
        rows = {row["fabric"]: row for row in cron.run_playbook(
            "schedule.yml", cron.root / "inventory.yml", dict(cron.vars, output="json", cron_user=cron.user)
        ).debug_msg("Show the rows as JSON")}
        cron.bootstrap({"fab-a": FABRICS["fab-a"]}, cron_user=cron.user)
        shrunk = _crontab(cron.user)
    finally:
        subprocess.run(["crontab", "-r", "-u", cron.user], capture_output=True, check=False)

    assert entries == {
        "hedgehog-netbox-sync:fab-a": "* * * * * %s --config %s fab-a 60" % (wrapper, config),
        "hedgehog-netbox-sync:fab-b": "* * * * * %s --config %s fab-b 420" % (wrapper, config),
    }
    assert not cron.cron_file.exists()
    assert again.changed() == 0
    assert (rows["fab-a"]["scheduled"], rows["fab-b"]["scheduled"], rows["fab-c"]["scheduled"]) == (True, True, False)
    assert shrunk == {"hedgehog-netbox-sync:fab-a": entries["hedgehog-netbox-sync:fab-a"]}
