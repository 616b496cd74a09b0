"""The cron wrapper of role schedule_cron on its own: when a fabric is due, the lock, secrets, logs.

cron runs the wrapper every minute; these tests call it as cron would (a bare environment), with
the clock faked through HEDGEHOG_SYNC_NOW and a stub in place of ansible-playbook that records
how it was called.
"""

from __future__ import annotations

import json
import os
import random
import stat
import subprocess
import time
from pathlib import Path

import pytest
from testbed.paths import REPO_ROOT

WRAPPER = REPO_ROOT / "roles" / "schedule_cron" / "files" / "hedgehog-netbox-sync-run"
TOKEN = "nbt_testkey12345.s3cr3t-Value-That-Must-Not-Leak-0123456789"
# A Monday, 10:00:00 UTC; a whole minute, as cron's ticks are.
T0 = 1_767_607_200

STUB = """#!/bin/sh
# Stands in for ansible-playbook: records its arguments and environment, then behaves as told.
printf '%s\\n' "$(python3 -c 'import json, os, sys; print(json.dumps({"argv": sys.argv[1:], "env": dict(os.environ)}))' "$@")" >> "{calls}"
echo "PLAY [Sync] token in the environment: $NETBOX_TOKEN"
# Told to, it holds on until the test lets it go (a bounded wait: a test that forgets fails, not hangs).
if [ -n "$STUB_HOLD" ]; then
    i=0
    while [ ! -e "$STUB_HOLD" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
fi
exit "${STUB_RC:-0}"
"""
# How long a test waits for the wrapper to reach the stub; a bound, not a guess at how long that takes.
START_BOUND = 30


class Bed:
    """A wrapper install in a temp dir: config, env file, stub, state and log dirs."""

    def __init__(self, root: Path, timeout: int = 1800):
        self.root = root
        self.calls = root / "calls.jsonl"
        self.stub = root / "ansible-playbook"
        self.stub.write_text(STUB.replace("{calls}", str(self.calls)))
        self.stub.chmod(0o755)
        self.env_file = root / "netbox.env"
        self.env_file.write_text("# written by bootstrap.yml\nNETBOX_API=http://netbox.example:8000\n"
                                 "NETBOX_TOKEN=%s\n" % TOKEN)
        self.env_file.chmod(0o600)
        self.venv_bin = root / "venv" / "bin"
        self.venv_bin.mkdir(parents=True)
        (root / "inventory.yml").write_text("all: {}\n")
        (root / "more inventory").mkdir()
        self.state = root / "state"
        self.logs = root / "log"
        self.config = root / "runner.conf"
        self.config.write_text("\n".join([
            "PLAYBOOK=%s" % (REPO_ROOT / "playbooks" / "sync.yml"),
            "INVENTORY=%s" % (root / "inventory.yml"),
            "INVENTORY=%s" % (root / "more inventory"),
            "ANSIBLE_PLAYBOOK=%s" % self.stub,
            "VENV_BIN=%s" % self.venv_bin,
            "ANSIBLE_COLLECTIONS_PATH=/somewhere/collections",
            "ENV_FILE=%s" % self.env_file,
            "STATE_DIR=%s" % self.state,
            "LOG_DIR=%s" % self.logs,
            "TIMEOUT=%d" % timeout,
        ]) + "\n")

    def run(self, fabric="fab", interval=60, now=None, *options, env=None, wait=True):
        """One cron tick: the entry's command with cron's bare environment."""
        environ = {"PATH": "/usr/bin:/bin", "HOME": str(self.root), "LANG": "C"}
        if now is not None:
            environ["HEDGEHOG_SYNC_NOW"] = str(now)
        environ.update(env or {})
        argv = [str(WRAPPER), "--config", str(self.config), *options, fabric, str(interval)]
        if not wait:
            return subprocess.Popen(argv, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        return subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=60, check=False)

    def starts(self):
        """The stub's calls, one per run that started."""
        return [json.loads(line) for line in self.calls.read_text().splitlines()] if self.calls.exists() else []

    def stamp(self, fabric="fab") -> dict:
        return dict(line.split("=", 1) for line in (self.state / ("%s.stamp" % fabric)).read_text().split())

    def status(self, fabric="fab", interval=60, now=None) -> dict:
        done = self.run(fabric, interval, now, "--status")
        assert done.returncode == 0, done.stderr
        return dict(line.split("=", 1) for line in done.stdout.split())

    def log(self, fabric="fab") -> str:
        return (self.logs / ("%s.log" % fabric)).read_text()

    def start_held(self, fabric="fab", interval=60, now=T0):
        """A run whose stub has started and holds on (the wrapper holds the fabric's lock meanwhile)
        until ``release()``; returns the wrapper's process."""
        self.hold = self.root / "release"
        before = len(self.starts())
        proc = self.run(fabric, interval, now, env={"STUB_HOLD": str(self.hold)}, wait=False)
        deadline = time.monotonic() + START_BOUND
        while len(self.starts()) == before:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the wrapper did not start the stub within %d s" % START_BOUND
            time.sleep(0.05)
        return proc

    def release(self):
        self.hold.touch()


@pytest.fixture
def bed(tmp_path):
    return Bed(tmp_path)


def simulate(bed, interval, minutes, jitter=3, fabric="fab", seed=1):
    """Calls the wrapper once per cron minute (each a few seconds late, as cron is) and returns
    the fake times at which it started a run."""
    rng = random.Random(seed)
    started = []
    for minute in range(minutes):
        now = T0 + 60 * minute + rng.randint(0, jitter)
        done = bed.run(fabric, interval, now)
        assert done.returncode == 0, done.stderr
        if len(bed.starts()) > len(started):
            started.append(now)
    return started


def test_every_minute_runs_every_minute(bed):
    started = simulate(bed, 60, 30)

    assert len(started) == 30
    assert [s // 60 for s in started] == list(range(T0 // 60, T0 // 60 + 30))


def test_420_s_runs_every_seventh_minute_and_no_other(bed):
    started = simulate(bed, 420, 7 * 12 + 1)

    # First run at once, then on the grid it set: every 7 minutes, never early, never a minute late.
    assert [(s - T0) // 60 for s in started] == list(range(0, 7 * 12 + 1, 7))


@pytest.mark.parametrize("interval", [90, 150, 3599, 5400])
def test_intervals_that_cron_cannot_say_are_kept_within_a_minute_without_drift(bed, interval):
    minutes = max(3 * interval // 60 + 2, 40)
    started = simulate(bed, interval, minutes)

    first = started[0] // 60 * 60
    for k, start in enumerate(started):
        ideal = first + k * interval
        assert 0 <= start - ideal < 60 + 3, (k, start - ideal)
    # As many runs as the time allows: the grid does not slip by the lateness of each start.
    assert first == T0
    assert len(started) == (minutes - 1) * 60 // interval + 1


def test_missed_slots_are_skipped_not_caught_up(bed):
    assert bed.run("fab", 300, T0).returncode == 0
    # The host was down for an hour: one run at the next tick, then back on the old grid.
    assert bed.run("fab", 300, T0 + 3600 + 20).returncode == 0
    assert bed.run("fab", 300, T0 + 3660 + 20).returncode == 0
    assert len(bed.starts()) == 2
    assert int(bed.stamp()["slot"]) == T0 + 3600
    assert bed.status("fab", 300, T0 + 3700)["next"] == str(T0 + 3900)


def test_a_clock_set_back_starts_a_new_grid(bed):
    assert bed.run("fab", 300, T0 + 86400).returncode == 0
    assert bed.run("fab", 300, T0).returncode == 0
    assert len(bed.starts()) == 2
    assert int(bed.stamp()["slot"]) == T0


def test_the_run_gets_the_playbook_inventory_fabric_and_environment(bed):
    assert bed.run("leaf-fab.1", 120, T0).returncode == 0

    (call,) = bed.starts()
    assert call["argv"] == [str(REPO_ROOT / "playbooks" / "sync.yml"), "-i", str(bed.root / "inventory.yml"),
                            "-i", str(bed.root / "more inventory"), "-e", "fabric=leaf-fab.1"]
    env = call["env"]
    assert env["NETBOX_API"] == "http://netbox.example:8000" and env["NETBOX_TOKEN"] == TOKEN
    assert env["PATH"].split(":")[0] == str(bed.venv_bin)
    assert env["ANSIBLE_COLLECTIONS_PATH"] == "/somewhere/collections"
    assert env["ANSIBLE_NOCOLOR"] == "1"


def _command_lines():
    lines = []
    for proc in Path("/proc").iterdir():
        try:
            lines.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return lines


def test_secrets_stay_out_of_the_log_and_the_command_lines(bed):
    done = bed.start_held()
    command_lines = _command_lines()
    bed.release()
    out, err = done.communicate(timeout=30)

    # The scan saw the run itself: the wrapper and the playbook it started, with the fabric.
    assert [line for line in command_lines if line.startswith("/bin/sh %s " % bed.stub)] == [
        "/bin/sh %s %s -i %s -i %s -e fabric=fab " % (
            bed.stub, REPO_ROOT / "playbooks" / "sync.yml", bed.root / "inventory.yml", bed.root / "more inventory")]
    assert any(str(WRAPPER) in line and " fab 60" in line for line in command_lines)
    assert not any(TOKEN in line for line in command_lines)
    log = bed.log()
    assert TOKEN not in log
    assert "token in the environment: ********" in log
    assert "fabric=fab start" in log and "fabric=fab end rc=0" in log
    assert (out, err) == ("", "")


def test_a_second_run_while_one_holds_the_lock_exits_without_running(bed):
    first = bed.start_held()
    # The next minute: due, but the first run still holds the lock.
    second = bed.run("fab", 60, T0 + 60)
    forced = bed.run("fab", 60, T0 + 60, "--force")
    bed.release()
    first.communicate(timeout=30)

    assert second.returncode == 0 and second.stdout == ""
    assert forced.returncode == 75 and "still going" in forced.stderr
    assert len(bed.starts()) == 1
    assert bed.log().count("skipped: the run started") == 2
    assert first.returncode == 0


def test_a_forced_run_runs_when_not_due_and_keeps_the_grid(bed):
    assert bed.run("fab", 600, T0).returncode == 0
    assert bed.run("fab", 600, T0 + 120).returncode == 0
    assert bed.run("fab", 600, T0 + 120, "--force").returncode == 0

    assert len(bed.starts()) == 2
    assert int(bed.stamp()["slot"]) == T0
    assert "forced" in bed.log()
    assert bed.status("fab", 600, T0 + 130)["next"] == str(T0 + 600)


def test_a_failed_run_reports_its_status_and_the_next_one_still_comes(bed):
    done = bed.run("fab", 60, T0, env={"STUB_RC": "2"})
    assert done.returncode == 2
    status = bed.status("fab", 60, T0 + 30)
    assert (status["last_start"], status["last_rc"], status["running"], status["next"]) == (
        str(T0), "2", "no", str(T0 + 60))
    assert "end rc=2" in bed.log()
    assert bed.run("fab", 60, T0 + 60).returncode == 0
    assert len(bed.starts()) == 2


def test_a_run_that_takes_too_long_is_stopped(tmp_path):
    bed = Bed(tmp_path, timeout=1)
    # The stub would hold on until released, which never comes: only the timeout ends it.
    done = bed.run("fab", 60, T0, env={"STUB_HOLD": str(tmp_path / "never")})
    assert done.returncode == 124
    assert len(bed.starts()) == 1
    assert "fabric=fab end rc=124: timed out after 1s" in bed.log()


def test_status_of_a_fabric_that_never_ran_says_the_next_minute(bed):
    status = bed.status("fab", 300, T0 + 15)
    assert status == {"fabric": "fab", "interval": "300", "now": str(T0 + 15), "slot": "", "last_start": "",
                      "last_end": "", "last_rc": "", "running": "no", "next": str(T0 + 60)}
    assert not bed.state.exists()


def test_status_says_running_while_a_run_goes(bed):
    first = bed.start_held()
    running = bed.status("fab", 60, T0 + 10)
    bed.release()
    first.communicate(timeout=30)

    assert (running["running"], running["last_start"], running["last_rc"]) == ("yes", str(T0), "")
    done = bed.status("fab", 60, T0 + 10)
    assert (done["running"], done["last_start"], done["last_rc"]) == ("no", str(T0), "0")


def test_an_env_file_others_can_read_is_refused(bed):
    bed.env_file.chmod(0o644)
    done = bed.run("fab", 60, T0)
    assert done.returncode == 78
    assert "chmod 600" in done.stderr
    assert bed.starts() == []


@pytest.mark.parametrize("args", [("fab", "59"), ("fab", "5m"), ("../etc", "60"), ("fab", "0120")])
def test_bad_arguments_are_refused(bed, args):
    done = subprocess.run([str(WRAPPER), "--config", str(bed.config), *args], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 64
    assert bed.starts() == []


@pytest.mark.parametrize("fabric, shown", [("vlab\n", "$'vlab\\n'"), ("../x", "../x"), ("a/b", "a/b"),
                                           ("x" * 64, "x" * 64), ("-x", "-x")])
def test_a_fabric_name_the_collection_refuses_is_refused_here_too(bed, fabric, shown):
    done = subprocess.run([str(WRAPPER), "--config", str(bed.config), "--", fabric, "60"], capture_output=True,
                          text=True, check=False)

    assert done.returncode == 64
    assert done.stderr == ("hedgehog-netbox-sync-run: invalid fabric name %s: letters, digits, '.', '_' and '-', "
                           "starting with a letter or a digit, at most 63 characters\n" % shown)
    assert bed.starts() == []
    assert not bed.state.exists() and not bed.logs.exists()


def test_the_log_is_rotated_when_it_grows(tmp_path):
    bed = Bed(tmp_path)
    with bed.config.open("a") as config:
        config.write("LOG_MAX_BYTES=200\n")
    for minute in range(3):
        assert bed.run("fab", 60, T0 + 60 * minute).returncode == 0
    assert (bed.logs / "fab.log.1").exists()
    assert bed.log().count("fabric=fab start") == 1


def test_the_wrapper_is_installed_executable():
    assert WRAPPER.stat().st_mode & stat.S_IXUSR
    assert os.access(WRAPPER, os.X_OK)
