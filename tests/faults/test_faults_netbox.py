"""NetBox faults during a run that changes the fabric (a new server, an edited one, a removed connection).

The fault proxy sits between the sync and the test bed's NetBox: 5xx before
NetBox sees a write and after it committed one, dropped connections, cut-off
answers, latency past the run's deadline, and NetBox itself killed mid-apply.
After each, the next clean run recovers and NetBox equals the fault-free
reference: 0 lost, 0 clobbered, 0 duplicated.
"""

from __future__ import annotations

import signal
import time

import pytest

from faults.conftest import (
    Gate,
    config,
    finish_run,
    judged,
    kill_gunicorn,
    last_error,
    make_change,
    named,
    record,
    recover,
    run,
    start_gunicorn,
    start_run,
    status,
    wait_for,
)

from faults import snapshot

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import RunControl

NOTHING = {}


class Clock:
    """Monotonic time that a test can move on."""

    def __init__(self):
        self.offset = 0.0

    def __call__(self):
        return time.monotonic() + self.offset

    def jump(self, seconds):
        self.offset += seconds


# Every kind of write the change makes: creates, an update, deletions.
WRITES = (("POST", r"/api/dcim/devices/$"), ("POST", r"/api/dcim/interfaces/$"), ("POST", r"/api/dcim/cables/$"),
          ("PATCH", r"/api/dcim/devices/$"), ("DELETE", r"/api/dcim/cables/$"),
          ("DELETE", r"/api/dcim/interfaces/$"))


@pytest.mark.parametrize("fault", ["fail_after", "drop_after"])
def test_writes_netbox_committed_but_never_confirmed_are_not_made_twice(case, nb, kube, proxy, reference, fault):
    """A 502 from a proxy that gave up, or a connection dropped, after NetBox committed each write."""
    before = snapshot.read(nb)
    make_change(kube)
    for method, path in WRITES:
        proxy.add(fault, method=method, path=path, status=502)
    outcome = run(config(nb, kube, via=proxy))
    assert [rule.fired for rule in proxy.rules] == [1] * len(WRITES), proxy.log
    assert outcome.result is not None and outcome.result["result"] == "success", outcome
    recover(nb, kube, expect_changes=NOTHING)
    judged(nb, before, reference)


def test_writes_netbox_never_saw_are_sent_again(case, nb, kube, proxy, reference):
    """A 503 or a dropped connection before NetBox saw the write."""
    before = snapshot.read(nb)
    make_change(kube)
    for (method, path), fault in zip(WRITES, ("fail", "drop", "fail", "drop", "fail", "drop")):
        proxy.add(fault, method=method, path=path, status=503)
    outcome = run(config(nb, kube, via=proxy))
    assert [rule.fired for rule in proxy.rules] == [1] * len(WRITES), proxy.log
    assert outcome.result["result"] == "success", outcome
    recover(nb, kube, expect_changes=NOTHING)
    judged(nb, before, reference)


def test_cut_off_answers_are_read_again_or_looked_up(case, nb, kube, proxy, reference):
    """A list whose body stops half-way is read again; a create whose answer stops half-way is looked up."""
    before = snapshot.read(nb)
    make_change(kube)
    proxy.add("truncate", method="GET", path=r"/api/dcim/interfaces/\?")
    proxy.add("truncate", method="POST", path=r"/api/dcim/devices/$")
    outcome = run(config(nb, kube, via=proxy))
    assert [rule.fired for rule in proxy.rules] == [1, 1], proxy.log
    assert outcome.result["result"] == "success", outcome
    recover(nb, kube, expect_changes=NOTHING)
    judged(nb, before, reference)


def test_writes_that_keep_failing_end_the_run_with_the_cause_and_the_next_run_completes(case, nb, kube, proxy,
                                                                                        reference):
    """503 on every write, the record's too: the run fails, and its lease is left to a process that is gone."""
    before = snapshot.read(nb)
    make_change(kube)
    proxy.add("fail", method="POST", count=0, status=503)
    proxy.add("fail", method="PATCH", path=r"/api/(dcim|ipam)/", count=0, status=503)
    proxy.add("fail", method="DELETE", count=0, status=503)
    proxy.add("fail", method="PATCH", path=r"/api/virtualization/clusters/\d+/$", nth=2, count=0, status=503)
    ended = finish_run(start_run(config(nb, kube, via=proxy), handle_signals=True))
    assert "error" in ended, ended
    assert ended["type"] == "NetBoxAPIError"
    assert ended["error"].startswith("fabric vlab: NetBox stayed unavailable: NetBox answered HTTP 503"), ended
    assert "dcim/cables" in ended["error"] or "dcim/interfaces" in ended["error"], ended
    # The outcome and the lease could not be written: the lease names a process that is gone.
    assert record(nb)["hedgehog_lease"] is not None
    assert status(nb) != "syncing"
    recovered = recover(nb, kube)
    assert any("took over the lease" in w and "is gone" in w for w in recovered.warnings), recovered.warnings
    judged(nb, before, reference)


def test_three_503s_on_the_final_record_write_leave_no_lease(case, nb, kube, proxy, reference):
    before = snapshot.read(nb)
    make_change(kube)
    # The record's first PATCH is the lease, the second the outcome.
    rule = proxy.add("fail", method="PATCH", path=r"/api/virtualization/clusters/\d+/$", nth=2, count=3, status=503)
    outcome = run(config(nb, kube, via=proxy))
    assert rule.fired == 3
    assert outcome.result["result"] == "success", outcome
    named(outcome, "the fabric's record could not be written", "fabric vlab", "HTTP 503", "virtualization/clusters")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None
    assert status(nb) != "syncing"
    recover(nb, kube, expect_changes=NOTHING)
    judged(nb, before, reference)


def test_netbox_killed_mid_apply(case, nb, kube, proxy, reference, netbox_testbed):
    """gunicorn dies right after it committed the new server; the run fails; the next one finishes the change."""
    before = snapshot.read(nb)
    make_change(kube)
    proxy.add("hook_after", method="POST", path=r"/api/dcim/devices/$", hook=lambda *_: kill_gunicorn(netbox_testbed))
    try:
        ended = finish_run(start_run(config(nb, kube, via=proxy, retries=1)))
    finally:
        start_gunicorn(netbox_testbed)
    assert "error" in ended, ended
    assert ended["error"].startswith("fabric vlab: NetBox stayed unavailable: "), ended
    assert "HTTP 502" in ended["error"] and "dcim/" in ended["error"], ended
    assert status(nb) != "syncing"
    recovered = recover(nb, kube)
    assert recovered.result["changes"] != {}, "the change was not finished by the next run"
    judged(nb, before, reference)


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_run_killed_from_outside(case, nb, kube, proxy, reference, how):
    before = snapshot.read(nb)
    make_change(kube)
    writing = Gate()

    def first_write(_method, _path):
        writing.event.set()
        return "delay"

    proxy.add("hook", method="POST", path=r"/api/dcim/", hook=first_write, count=0, delay=2.0)
    process = start_run(config(nb, kube, via=proxy))
    writing.wait()
    process.send_signal(how)
    ended = finish_run(process) if how == signal.SIGTERM else process.wait(60)
    if how == signal.SIGTERM:
        named(ended.get("error", ""), "fabric vlab: the run stopped in phase apply", "stopped by SIGTERM",
              "the next run writes the rest")
        fields = record(nb)
        assert fields["hedgehog_lease"] is None
        assert fields["hedgehog_last_result"] == "failed" and "SIGTERM" in last_error(fields)
    else:
        assert record(nb)["hedgehog_lease"] is not None
    assert status(nb) != "syncing"
    # The write the killed run left at the proxy lands now; the next run starts once it has.
    proxy.settle()
    recovered = recover(nb, kube)
    if how == signal.SIGKILL:
        assert any("is gone" in w for w in recovered.warnings), recovered.warnings
    judged(nb, before, reference)


def test_a_run_past_its_deadline_stops_in_apply(case, nb, kube, proxy, reference):
    """The deadline passes while the run writes (the clock jumps at its first create): it stops at its next write."""
    before = snapshot.read(nb)
    make_change(kube)
    clock = Clock()
    control = RunControl("vlab", timeout=300, clock=clock)

    def first_create(_method, _path):
        clock.jump(301)

    proxy.add("hook", method="POST", path=r"/api/dcim/devices/$", hook=first_create)
    outcome = run(config(nb, kube, via=proxy, run_timeout=300), control=control)
    named(outcome, "fabric vlab: the run stopped in phase apply", "deadline of 300 s (run_timeout)",
          "the next run writes the rest")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None and fields["hedgehog_last_result"] == "failed"
    assert "phase apply" in last_error(fields)
    recover(nb, kube)
    judged(nb, before, reference)


def test_the_lease_is_renewed_while_a_long_run_works(case, nb, kube, proxy):
    before = snapshot.read(nb)
    proxy.add("delay", method="GET", path=r"/api/(dcim|ipam)/", count=0, delay=0.5)
    # A full reconcile reads every model, each read slowed: a run that outlives its lease's renewal interval.
    process = start_run(config(nb, kube, via=proxy, lease_ttl=10, full=True))
    first = wait_for(lambda: (record(nb).get("hedgehog_lease") or {}).get("since"), 60, "the lease")
    renewed = wait_for(lambda: (record(nb).get("hedgehog_lease") or {}).get("renewed", first) > first and
                       record(nb)["hedgehog_lease"], 60, "a renewal of the lease")
    assert renewed["since"] == first
    second = run(config(nb, kube))
    named(second, "already running since %s" % first)
    ended = finish_run(process)
    assert ended["result"]["result"] == "success", ended
    assert record(nb)["hedgehog_lease"] is None
    recover(nb, kube, expect_changes=NOTHING)
    judged(nb, before, (before, before))


def test_an_unreachable_netbox_fails_clearly_and_takes_nothing(case, nb, kube, proxy):
    before = snapshot.read(nb)
    proxy.add("drop", count=0)
    outcome = run(config(nb, kube, via=proxy))
    named(outcome, "fabric vlab: NetBox stayed unavailable: cannot reach NetBox at %s/api/" % proxy.url,
          "ConnectionError", secret=nb.token)
    assert record(nb)["hedgehog_lease"] is None
    recover(nb, kube, expect_changes=NOTHING)
    judged(nb, before, (before, before))
