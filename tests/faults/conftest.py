"""The fault suite's set-up: a synced VLAB NetBox per case, the fault proxy, the reference change, the tally.

Every case makes a fault happen during a run, then checks three things:

- the message of the faulted run names the fabric and the cause (``named``);
- the next run, with no fault, is not skipped and succeeds, the record holds
  no lease and does not say ``syncing`` (``recover``);
- NetBox after that run equals NetBox after the same change made with no
  fault at all: nothing lost or made again, nothing clobbered, nothing
  duplicated (``snapshot.judge``).

The counts of every case are summed up at the end of the session.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from integration import sync_helpers as h
from faults import snapshot

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import LeaseHeldError, SyncError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import unescape
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import fabric_status
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun, find_anchor
from testbed.fault_proxy import FaultProxy
from testbed.paths import REPO_ROOT, TESTS_DIR

FABRIC = "vlab"
RUNNER = Path(__file__).resolve().parent / "run_one.py"
TALLY = Counter()
CASES = []


def pytest_terminal_summary(terminalreporter):
    if not CASES:
        return
    terminalreporter.write_sep("=", "fault suite")
    terminalreporter.write_line("%d cases: %d lost, %d clobbered, %d duplicated, %d unnamed, %d not recovered" % (
        len(CASES), TALLY["lost"], TALLY["clobbered"], TALLY["duplicated"], TALLY["unnamed"],
        TALLY["not_recovered"]))


# -- NetBox, the stand-in, the proxy ---------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def base_temp(tmp_path_factory):
    """pytest's temporary folder, made before a stand-in points the temp dir at its own discovery cache
    (which goes with the stand-in, and would take pytest's folder with it)."""
    return tmp_path_factory.getbasetemp()


def restore_recorded_vlab(testbed, netbox):
    """The VLAB fixture synced as fabric ``vlab`` by a recorded run (its record and lease fields exist)."""
    def build():
        h.restore_vlab(testbed, netbox)
        outcome = RecordedRun(h.config_for(netbox, h.VLAB)).execute()
        assert outcome.outcome == "success", outcome.warnings
    h.restore_synced(testbed, "vlab_recorded", build, inputs=(h.VLAB,))


@pytest.fixture
def nb(netbox, netbox_testbed):
    """A NetBox of this case's own holding the VLAB fabric as a first recorded sync leaves it (restored, so
    there is no need to empty it first)."""
    restore_recorded_vlab(netbox_testbed, netbox)
    return netbox


@pytest.fixture
def kube(kube_vlab):
    """The VLAB stand-in, put back as it was after the case."""
    yield kube_vlab
    kube_vlab.faults.clear()
    kube_vlab.reload()


@pytest.fixture
def proxy(netbox_testbed):
    with FaultProxy(netbox_testbed.url) as running:
        yield running


def config(nb, kube, via=None, **options):
    """The case's config: NetBox directly, or through ``via`` (the fault proxy)."""
    values = dict(options)
    if via is not None:
        values["netbox_url"] = via.url
    built = h.config_for(nb, kube, **dict((k, v) for k, v in values.items() if k != "netbox_url"))
    if "netbox_url" in values:
        built.netbox_url = values["netbox_url"]
    return built


# -- runs ---------------------------------------------------------------------------------


class Outcome:
    """What one run ended with: its result, or its error, or that it was skipped."""

    def __init__(self, result=None, error=None, skipped=None, warnings=()):
        self.result = result
        self.error = error
        self.skipped = skipped
        self.warnings = list(warnings)

    @property
    def message(self):
        if self.error is not None:
            return str(self.error)
        if self.skipped is not None:
            return str(self.skipped)
        return "; ".join(self.result["warnings"] + self.warnings)

    def __repr__(self):
        state = "error" if self.error is not None else "skipped" if self.skipped is not None else self.result["result"]
        return "<Outcome %s: %s>" % (state, self.message[:300])


def run(cfg, **options):
    """One recorded run in this process."""
    recorded = RecordedRun(cfg, **options)
    try:
        result = recorded.execute().as_dict()
    except LeaseHeldError as held:
        return Outcome(skipped=held, warnings=recorded.warnings)
    except SyncError as error:
        return Outcome(error=error, warnings=recorded.warnings)
    return Outcome(result=result, warnings=recorded.warnings)


def start_run(cfg, handle_signals=True):
    """One recorded run in a process of its own, as the module runs (signals handled); returns the Popen."""
    # adopt is a set of kinds: JSON carries it as a list, which FabricConfig takes as well.
    values = dict((k, sorted(v) if isinstance(v, frozenset) else v) for k, v in vars(cfg).items())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS_DIR), str(REPO_ROOT / ".ansible" / "collections")]))
    return subprocess.Popen([sys.executable, str(RUNNER), json.dumps(values), "1" if handle_signals else "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)


def finish_run(process, timeout=600):
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, "the run printed no outcome (exit %s):\n%s\n%s" % (process.returncode, out[-2000:], err[-4000:])
    return json.loads(lines[-1])


# -- looks at the record -------------------------------------------------------------------


def record(nb):
    return find_anchor(NetBoxClient(nb.url, nb.token), FABRIC)["custom_fields"]


def last_error(fields):
    """The record's last error as a person reads it (NetBox renders the field as Markdown, so it is escaped)."""
    return unescape(fields["hedgehog_last_error"] or "")


def status(nb):
    """The fabric's status as status.yml computes it."""
    client = NetBoxClient(nb.url, nb.token)
    return fabric_status(client, [{"name": FABRIC, "sync_interval": 300}], now=datetime.now(timezone.utc))[0]["status"]


def wait_for(predicate, timeout=60.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("%s did not come within %.0f s" % (what, timeout))


# -- the change every NetBox case makes ----------------------------------------------------------


def make_change(kube):
    """A new server with its connection (creates), an edited server (an update), a removed connection (deletes)."""
    server = h.standin_object(kube, "Server", "server-05")
    server["metadata"] = {"name": "server-07", "namespace": "default"}
    server["spec"]["description"] = "S-07 Unbundled leaf-01 (the fault suite)"
    kube.store.put(server)
    connection = h.standin_object(kube, "Connection", "server-03--unbundled--leaf-01")
    connection["metadata"] = {"name": "server-07--unbundled--leaf-01", "namespace": "default"}
    connection["spec"] = {"unbundled": {"link": {"server": {"port": "server-07/enp2s1"},
                                                 "switch": {"port": "leaf-01/E1/8"}}}}
    kube.store.put(connection)
    edited = h.standin_object(kube, "Server", "server-05")
    edited["spec"]["description"] = "S-05 edited by the fault suite"
    kube.store.put(edited)
    h.standin_delete(kube, "VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01")
    h.standin_delete(kube, "Connection", "server-03--unbundled--leaf-01")


_REFERENCE = {}
# What make_change writes: the new server, its port and cable; the edited server; the removed connection's
# cable and server port, and the switch port it leaves (its VLAN goes).
REFERENCE_CHANGES = {"device": {"create": 1, "update": 1}, "interface": {"create": 1, "delete": 1, "update": 1},
                     "cable": {"create": 1, "delete": 1}}


@pytest.fixture
def reference(nb, kube, netbox_testbed):
    """NetBox before and after ``make_change`` with no fault (made once per session), then VLAB as synced again."""
    if "readings" not in _REFERENCE:
        before = snapshot.read(nb)
        make_change(kube)
        outcome = run(config(nb, kube))
        assert outcome.result and outcome.result["result"] == "success", outcome
        assert outcome.result["changes"] == REFERENCE_CHANGES, outcome.result["changes"]
        again = run(config(nb, kube))
        assert again.result["changed"] is False and again.result["requests"]["netbox"]["writes"] == 0
        _REFERENCE["readings"] = (before, snapshot.read(nb))
        kube.reload()
        restore_recorded_vlab(netbox_testbed, nb)
    return _REFERENCE["readings"]


# -- verdicts -----------------------------------------------------------------------------------


def named(outcome, *fragments, secret=None):
    """The faulted run's message names every fragment (fabric, kind or endpoint, status, cause) and no secret."""
    message = outcome if isinstance(outcome, str) else outcome.message
    missing = [fragment for fragment in fragments if fragment not in message]
    leaked = secret is not None and secret in message
    if missing or leaked:
        TALLY["unnamed"] += 1
    assert not missing, "the message does not name %s:\n%s" % (missing, message)
    assert not leaked, "the message carries a secret:\n%s" % message


def recover(nb, kube, expect_changes=None, **options):
    """The next run with no fault: not skipped, a success, no lease left, not ``syncing``."""
    outcome = run(config(nb, kube, **options))
    fields = record(nb)
    ok = (outcome.result is not None and outcome.result["result"] == "success" and fields["hedgehog_lease"] is None
          and fields["hedgehog_status"] == "in_sync" and status(nb) == "in_sync")
    if ok and expect_changes is not None:
        ok = outcome.result["changes"] == expect_changes
    if not ok:
        TALLY["not_recovered"] += 1
    assert ok, "the fabric did not recover: %r; record %s" % (outcome, json.dumps(
        dict((k, fields.get(k)) for k in ("hedgehog_lease", "hedgehog_status", "hedgehog_last_result",
                                          "hedgehog_last_error")), default=str))
    return outcome


def judged(nb, before, reference_pair):
    """NetBox now against the reference: 0 lost, 0 clobbered, 0 duplicated, nothing extra."""
    after = snapshot.read(nb)
    verdict = snapshot.judge(before, after, *reference_pair)
    for name, number in verdict.counts().items():
        TALLY["clobbered" if name == "extra" else name] += number
    assert verdict.clean, verdict.explain()
    return after


@pytest.fixture
def case(request):
    """Counts the case in the suite's summary."""
    CASES.append(request.node.nodeid)
    return request.node.nodeid


def no_change(before):
    """The reference of a case whose fabric does not change: NetBox stays as it was."""
    return (before, before)


def kill_gunicorn(testbed):
    """SIGKILL NetBox's gunicorn (master and workers, one process group): a crash, not a shutdown."""
    pid = testbed.netbox.pid()
    assert pid, "gunicorn does not run"
    os.killpg(pid, signal.SIGKILL)
    wait_for(lambda: testbed.netbox.status_code(timeout=1) is None, 30, "NetBox going down")


def start_gunicorn(testbed):
    """NetBox up again after kill_gunicorn; a no-op when the case ended before it was killed."""
    if testbed.netbox.pid() is None:
        testbed.netbox.pidfile.unlink(missing_ok=True)
    testbed.netbox.ensure_running(restart=False)


class Gate:
    """Something a proxy hook sets when a request passes, for the test thread to wait on."""

    def __init__(self):
        self.event = threading.Event()

    def wait(self, timeout=120):
        assert self.event.wait(timeout), "the request the case waits for never came"


def copy_of(obj):
    return copy.deepcopy(obj)
