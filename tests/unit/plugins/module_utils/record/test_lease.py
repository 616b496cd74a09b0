"""The run lease against a dict-backed record: taken, renewed and cleared only by its own run; a gone holder."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import RunControl

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import LeaseHeldError, NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import lease as lease_module
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.lease import (
    Holder,
    LeaseKeeper,
    LeaseLost,
    holder_gone,
    renew_lease,
    take_lease,
    take_lease_reading,
    write_releasing,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


class Record:
    """One cluster's custom fields with an ETag that changes on every write; ``fail`` answers the next PATCHes."""

    def __init__(self, lease=None):
        self.fields = {"hedgehog_lease": lease}
        self.version = 1
        self.fail = []
        self.patches = []
        self.reads = 0

    def read_one(self, endpoint, object_id):
        self.reads += 1
        return {"id": object_id, "custom_fields": dict(self.fields)}, "v%d" % self.version

    def patch_one(self, endpoint, object_id, data, if_match=None):
        return self.write_one(endpoint, object_id, data, if_match)[0]

    def write_one(self, endpoint, object_id, data, if_match=None):
        self.patches.append(data)
        if self.fail:
            raise self.fail.pop(0)
        if if_match != "v%d" % self.version:
            raise NetBoxAPIError("precondition failed", status=412)
        self.fields.update(data["custom_fields"])
        self.version += 1
        return {"id": object_id, "custom_fields": dict(self.fields)}, "v%d" % self.version


def other_lease(until, **extra):
    lease = {"holder": "elsewhere:1:abc", "since": NOW.isoformat(), "until": until.isoformat()}
    lease.update(extra)
    return lease


def test_a_live_lease_of_another_host_is_respected_and_an_expired_one_taken_over():
    record = Record(other_lease(NOW + timedelta(seconds=60), host="elsewhere", pid=1))
    with pytest.raises(LeaseHeldError) as held:
        take_lease(record, 1, "fab", Holder.current(), NOW, 120, {})
    assert "already running since" in str(held.value) and "elsewhere:1:abc" in str(held.value)

    record = Record(other_lease(NOW - timedelta(seconds=1)))
    holder = Holder.current()
    lease, note = take_lease(record, 1, "fab", holder, NOW, 120, {"hedgehog_last_attempt": "x"})
    assert lease["holder"] == holder.id and lease["until"] == "2026-12-06T12:02:00Z"
    assert note == "the previous run (elsewhere:1:abc) ended without releasing its lease"
    assert record.fields["hedgehog_last_attempt"] == "x"


def test_a_token_that_may_not_write_the_record_is_told_it_cannot_take_the_lease():
    record = Record()
    record.fail = [NetBoxAPIError("NetBox refused the token (HTTP 403) for PATCH virtualization/clusters/1: You do "
                                  "not have permission to perform this action.", endpoint="virtualization/clusters/1",
                                  status=403, body={"detail": "You do not have permission to perform this action."})]
    with pytest.raises(NetBoxAPIError) as refused:
        take_lease(record, 1, "fab", Holder.current(), NOW, 120, {})
    assert str(refused.value) == (
        "fabric fab: cannot take the run's lease: NetBox refused to write the fabric's record (NetBox refused the "
        "token (HTTP 403) for PATCH virtualization/clusters/1: You do not have permission to perform this action); "
        "the token must be write-enabled and may change virtualization clusters; nothing of the fabric was written")
    assert refused.value.status == 403 and refused.value.endpoint == "virtualization/clusters/1"
    assert len(record.patches) == 1 and record.fields == {"hedgehog_lease": None}


def test_a_live_lease_of_a_gone_process_on_this_host_is_taken_over_at_once():
    gone = Holder(socket.gethostname(), 2 ** 22 + 17, start=1, boot=Holder.current().boot,
                  namespace=Holder.current().namespace)
    record = Record(gone.lease(NOW, NOW, 120))
    assert holder_gone(record.fields["hedgehog_lease"]).startswith("its process (pid %d" % gone.pid)
    lease, note = take_lease(record, 1, "fab", Holder.current(), NOW, 120, {})
    assert note.startswith("took over the lease held by %s" % gone.id) and "is gone" in note
    # This process runs: its own lease is never thought gone.
    assert holder_gone(Holder.current().lease(NOW, NOW, 120)) is None


def test_a_lease_write_whose_answer_was_lost_is_recognised_as_ours():
    record = Record()
    holder = Holder.current()
    ours = holder.lease(NOW, NOW, 120)
    record.fields["hedgehog_lease"] = ours  # committed, though the caller saw an error
    assert take_lease(record, 1, "fab", holder, NOW, 120, {}) == (ours, None)


def test_renewing_moves_until_on_and_a_lease_taken_over_meanwhile_is_lost():
    holder = Holder.current()
    record = Record()
    lease, _note = take_lease(record, 1, "fab", holder, NOW, 120, {})
    renewed, _etag = renew_lease(record, 1, "fab", holder, lease, NOW + timedelta(seconds=30), 120)
    assert renewed["until"] == "2026-12-06T12:02:30Z" and record.fields["hedgehog_lease"] == renewed
    record.fields["hedgehog_lease"] = other_lease(NOW + timedelta(seconds=60))
    with pytest.raises(LeaseLost):
        renew_lease(record, 1, "fab", holder, renewed, NOW + timedelta(seconds=60), 120)


def test_the_outcome_clears_only_our_own_lease_and_tries_again_after_a_concurrent_write():
    holder = Holder.current()
    record = Record()
    take_lease(record, 1, "fab", holder, NOW, 120, {})
    record.fail = [NetBoxAPIError("precondition failed", status=412)]  # someone wrote the record meanwhile
    write_releasing(record, 1, holder, {"hedgehog_last_result": "success"})
    assert record.fields["hedgehog_lease"] is None and record.fields["hedgehog_last_result"] == "success"

    theirs = other_lease(NOW + timedelta(seconds=60))
    record.fields["hedgehog_lease"] = theirs
    write_releasing(record, 1, holder, {"hedgehog_last_result": "failed"})
    assert record.fields["hedgehog_lease"] == theirs


def test_a_run_that_knows_the_record_as_it_wrote_it_writes_without_reading_it_again():
    holder = Holder.current()
    record = Record()
    taken = take_lease_reading(record, 1, "fab", holder, NOW, 120, {})
    assert (record.reads, taken.etag) == (1, "v2")
    # Each write's answer gives the ETag of the next one: renewed and released with no read at all.
    renewed, etag = renew_lease(record, 1, "fab", holder, taken.lease, NOW + timedelta(seconds=30), 120,
                                etag=taken.etag)
    assert (record.reads, etag, record.fields["hedgehog_lease"]) == (1, "v3", renewed)
    write_releasing(record, 1, holder, {"hedgehog_last_result": "success"}, etag=etag)
    assert (record.reads, record.fields["hedgehog_lease"], record.fields["hedgehog_last_result"]) == (
        1, None, "success")


def test_a_known_etag_that_no_longer_holds_reads_the_record_and_spares_a_lease_taken_over():
    holder = Holder.current()
    record = Record()
    taken = take_lease_reading(record, 1, "fab", holder, NOW, 120, {})
    # Another run took the lease over after ours ran out: the record's ETag moved on.
    theirs = other_lease(NOW + timedelta(seconds=60))
    record.fields["hedgehog_lease"] = theirs
    record.version += 1
    with pytest.raises(LeaseLost):
        renew_lease(record, 1, "fab", holder, taken.lease, NOW + timedelta(seconds=30), 120, etag=taken.etag)
    write_releasing(record, 1, holder, {"hedgehog_last_result": "failed"}, etag=taken.etag)
    assert record.fields["hedgehog_lease"] == theirs and record.fields["hedgehog_last_result"] == "failed"
    assert record.reads == 3


class Ticks:
    """The keeper's clock and parent watch in one: each turn of its loop moves the clock on one second.

    The keeper asks its watch once a turn; at ``seconds`` the clock stops, so the run's length is counted
    in the keeper's own turns, whatever the machine's speed.
    """

    def __init__(self, seconds):
        self.now = 0.0
        self.seconds = seconds
        self.reached = threading.Event()

    def monotonic(self):
        return self.now

    def gone(self):
        if self.now < self.seconds:
            self.now += 1.0
        else:
            self.reached.set()
        return None


def _keep_for(monkeypatch, record, holder, lease, seconds, progress_every):
    """A lease keeper beside a run at 2 of 4 that works ``seconds`` on the keeper's clock.

    Returns the leases it wrote and how often it looked at the run's progress.
    """
    ticks = Ticks(seconds)
    monkeypatch.setattr(lease_module, "time", ticks)
    control = RunControl("fab")
    control.enter("apply")
    control.progress.expect(4)
    control.progress.advance(["a", "b"])
    looks = []
    report = control.progress.report
    control.progress.report = lambda phase: looks.append(phase) or report(phase)
    keeper = LeaseKeeper(record, 1, "fab", holder, lease, 3600, control, watch=ticks, tick=0.001,
                         progress_every=progress_every)
    with keeper:
        assert ticks.reached.wait(30), "the keeper did not turn %d times within 30 s" % seconds
    return [patch["custom_fields"]["hedgehog_lease"] for patch in record.patches], len(looks)


def test_a_long_run_writes_its_progress_with_its_lease_and_a_short_one_writes_nothing_extra(monkeypatch):
    holder = Holder.current()
    record = Record()
    lease, _note = take_lease(record, 1, "fab", holder, NOW, 3600, {})
    record.patches.clear()

    # 59 s, shorter than the progress interval of 60 s (and the renewal, every quarter hour here): no write.
    assert _keep_for(monkeypatch, record, holder, lease, 59, progress_every=60) == ([], 0)

    # 35 s with progress every 10 s: the progress is looked at 3 times, at 10, 20 and 30 s; the first
    # writes it, unchanged progress is not written again.
    written, looks = _keep_for(monkeypatch, record, holder, lease, 35, progress_every=10)
    assert (len(written), looks) == (1, 3)
    assert written[0]["holder"] == holder.id and written[0]["since"] == lease["since"]
    progress = written[0]["progress"]
    assert (progress["phase"], progress["done"], progress["total"]) == ("apply", 2, 4)
    assert record.fields["hedgehog_lease"] == written[0]
