# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric's run lease: a compare-and-set on its record, so one fabric never has two runs at once.

The lease is written with If-Match on the record's ETag (NetBox 4.6+), so two
controllers (two AWX nodes, cron and a manual run) that read the same free
lease cannot both take it. A lease never outlives its run by much:

- it lasts ``lease_ttl`` seconds (short) and the run renews it while it works
  (``LeaseKeeper``), so the lease of a run that died ends soon by itself;
- it names its holder's host, process and the process's start time, so a run
  on the same host takes over at once the lease of a process that is gone;
- a run clears or renews only its own lease, never one another run took
  over: each write of the lease is made on the record as last read, or as
  this run last wrote it (its ETag from that write's answer, a read saved);
  when anyone wrote the record since, NetBox refuses the write (412) and the
  record is read afresh.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections import namedtuple
from datetime import datetime, timedelta, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import process_start
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    LeaseHeldError,
    NetBoxAPIError,
    SyncError,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.anchor import CLUSTERS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import lease_is_live, parse_time

# Compare-and-set writes that lose to another writer (HTTP 412) are tried again this often.
CAS_ATTEMPTS = 4
# Seconds between writes of a long run's progress to its record (with a renewal of its lease).
PROGRESS_EVERY = 10.0


# A lease taken: the lease, whose lease it replaced (None: a free one), the record as read just before, and
# the record's ETag after the write (the If-Match of this run's next write of it).
Taken = namedtuple("Taken", "lease note record etag")


class LeaseLost(SyncError):
    """The record's lease is no longer this run's: another run took it over."""


def iso(stamp):
    return stamp.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _utcnow():
    return datetime.now(timezone.utc)


def boot_id():
    """This host's boot: a pid from before a restart names nothing."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return None


def pid_namespace():
    """Which pids this process sees: two containers on one host may share a host name, not this."""
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


class Holder:
    """Who holds a lease: host, process (with its start time), and the AWX job when there is one."""

    def __init__(self, host, pid, start=None, boot=None, job=None, token=None, namespace=None):
        self.host = host
        self.pid = pid
        self.start = start
        self.boot = boot
        self.job = job
        self.namespace = namespace
        self.id = "%s:%d%s:%s" % (host, pid, ":awx-job-%s" % job if job else "", token or uuid.uuid4().hex[:8])

    @classmethod
    def current(cls):
        job = os.environ.get("JOB_ID") or os.environ.get("AWX_JOB_ID") or os.environ.get("TOWER_JOB_ID")
        pid = os.getpid()
        return cls(socket.gethostname(), pid, start=process_start(pid), boot=boot_id(), job=job,
                   namespace=pid_namespace())

    def lease(self, since, now, ttl):
        return {"holder": self.id, "host": self.host, "pid": self.pid, "start": self.start, "boot": self.boot,
                "pidns": self.namespace, "since": iso(since), "renewed": iso(now),
                "until": iso(now + timedelta(seconds=ttl))}


def holder_id():
    """The id of a lease taken by this process now (each call a new one)."""
    return Holder.current().id


def holder_gone(lease, host=None, boot=None):
    """Why a lease's holder cannot be running any more (on this host), or None when it may be.

    Only a holder on this host can be looked at; a holder elsewhere is gone
    when its lease runs out unrenewed.
    """
    host = host or socket.gethostname()
    if not lease or lease.get("host") != host or not isinstance(lease.get("pid"), int):
        return None
    if lease.get("pidns") != pid_namespace():
        return None
    boot = boot or boot_id()
    if lease.get("boot") and boot and lease["boot"] != boot:
        return "its host %s restarted since" % host
    start = process_start(lease["pid"])
    if lease.get("start") is not None and start is not None and start != lease["start"]:
        return "its process (pid %d on %s) is gone" % (lease["pid"], host)
    if start is None and os.path.isdir("/proc"):
        return "its process (pid %d on %s) is gone" % (lease["pid"], host)
    return None


def _lease_of(row):
    return (row.get("custom_fields") or {}).get(record.LEASE) or {}


def _describe(lease):
    return "held by %s since %s until %s" % (lease.get("holder"), lease.get("since"), lease.get("until"))


def take_lease(client, anchor_id, fabric, holder, now, ttl, fields):
    """Take the lease on the record (writing ``fields`` with it); returns (lease, note) or raises LeaseHeldError.

    ``note`` says whose lease was taken over, when it was not free.
    """
    taken = take_lease_reading(client, anchor_id, fabric, holder, now, ttl, fields)
    return taken.lease, taken.note


def take_lease_reading(client, anchor_id, fabric, holder, now, ttl, fields):
    """``take_lease``, with the record as read just before the lease was written: a ``Taken``.

    What the last run left on the record (its outcome, its basis) is read in
    the same request that the compare-and-set relies on, so no other run's
    outcome can come in between.
    """
    lease = holder.lease(now, now, ttl)
    for _attempt in range(CAS_ATTEMPTS):
        current, etag = client.read_one(CLUSTERS, anchor_id)
        held = _lease_of(current)
        if held.get("holder") == holder.id:
            # Our own write went through though its answer was lost.
            return Taken(held, None, current, etag)
        note = None
        if lease_is_live(held, now):
            gone = holder_gone(held)
            if gone is None:
                raise LeaseHeldError(
                    "already running since %s (held by %s until %s); this run did nothing"
                    % (held.get("since"), held.get("holder"), held.get("until")),
                    fabric=fabric, holder=held.get("holder"), since=held.get("since"), until=held.get("until"))
            note = "took over the lease %s: %s" % (_describe(held), gone)
        elif held.get("holder"):
            note = "the previous run (%s) ended without releasing its lease" % held.get("holder")
        try:
            _row, written = client.write_one(CLUSTERS, anchor_id,
                                             {"custom_fields": dict(fields, **{record.LEASE: lease})}, if_match=etag)
        except NetBoxAPIError as exc:
            if exc.status == 412:
                continue
            if exc.status == 403:
                raise _lease_refused(exc, fabric) from exc
            raise
        return Taken(lease, note, current, written)
    raise LeaseHeldError("another run took the lease a moment ago; this run did nothing", fabric=fabric)


def _lease_refused(exc, fabric):
    """A token that may read but not write (read-only, or no permission to change clusters) cannot even take
    the lease: said as such, before any object of the fabric is touched."""
    return NetBoxAPIError(
        "cannot take the run's lease: NetBox refused to write the fabric's record (%s); the token must be "
        "write-enabled and may change virtualization clusters; nothing of the fabric was written"
        % exc.message.rstrip("."), fabric=fabric, endpoint=exc.endpoint, status=exc.status, body=exc.body)


def renew_lease(client, anchor_id, fabric, holder, lease, now, ttl, progress=None, etag=None):
    """The lease with its ``until`` moved on, and the run's ``progress`` when given: (lease, the record's ETag
    after the write). Raises LeaseLost when it is no longer ours.

    ``etag``: the record's ETag as this run last wrote it, when known; the
    record is then not read, since a write on it goes through only while
    nobody else wrote it since.
    """
    renewed = dict(lease, renewed=iso(now), until=iso(now + timedelta(seconds=ttl)))
    if progress:
        renewed["progress"] = progress
    for _attempt in range(CAS_ATTEMPTS):
        if etag is None:
            current, etag = client.read_one(CLUSTERS, anchor_id)
            held = _lease_of(current)
            if held.get("holder") != holder.id:
                raise LeaseLost("it lost its lease (now %s)" % (_describe(held) if held else "free"), fabric=fabric)
        try:
            _row, written = client.write_one(CLUSTERS, anchor_id, {"custom_fields": {record.LEASE: renewed}},
                                             if_match=etag)
        except NetBoxAPIError as exc:
            if exc.status != 412:
                raise
            etag = None
            continue
        return renewed, written
    raise LeaseLost("it could not renew its lease: the record kept changing under it", fabric=fabric)


def write_releasing(client, anchor_id, holder, fields, etag=None):
    """Write ``fields`` on the record and clear the lease if it is ours; returns the record as written.

    Compare-and-set like every lease write: a lease another run took over
    after ours ran out is left alone. ``etag`` as for ``renew_lease``.
    """
    for _attempt in range(CAS_ATTEMPTS):
        values = dict(fields, **{record.LEASE: None})
        if etag is None:
            current, etag = client.read_one(CLUSTERS, anchor_id)
            held = _lease_of(current)
            if held and held.get("holder") != holder.id:
                values.pop(record.LEASE)
        try:
            return client.patch_one(CLUSTERS, anchor_id, {"custom_fields": values}, if_match=etag)
        except NetBoxAPIError as exc:
            if exc.status != 412:
                raise
            etag = None
    raise NetBoxAPIError("the fabric's record kept changing while this run wrote its outcome",
                         endpoint=CLUSTERS, status=412)


class LeaseKeeper:
    """While the run works: renew its lease, and stop the run when it lost it or its starter is gone.

    A thread of its own; it talks to NetBox with the record's client, which
    the run does not use meanwhile. ``interrupt`` (the module's: a signal to
    itself) breaks off a request the run is waiting on.
    """

    def __init__(self, client, anchor_id, fabric, holder, lease, ttl, control, watch=None, interrupt=None,
                 tick=1.0, now=_utcnow, progress_every=PROGRESS_EVERY, etag=None):
        self.client = client
        self.anchor_id = anchor_id
        self.fabric = fabric
        self.holder = holder
        self.lease = lease
        # The record's ETag after this run's last write of it (None: unknown, read it first).
        self.etag = etag
        self.ttl = ttl
        self.control = control
        self.watch = watch
        self.interrupt = interrupt
        self.tick = tick
        self.every = max(1.0, ttl / 4.0)
        # A run shorter than this writes no progress at all; a longer one writes it at most this often.
        self.progress_every = progress_every
        self._progress = None
        self._now = now
        self._done = threading.Event()
        self._thread = None
        self.renewals = 0

    def start(self):
        self._thread = threading.Thread(target=self._loop, name="hedgehog-lease-%s" % self.fabric, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def _loop(self):
        due = time.monotonic() + self.every
        progress_due = time.monotonic() + self.progress_every
        while not self._done.wait(self.tick):
            gone = self.watch.gone() if self.watch is not None else None
            if gone:
                self._stop(gone)
                return
            if time.monotonic() >= progress_due:
                progress_due = time.monotonic() + self.progress_every
                progress = self.control.progress.report(self.control.phase)
                if _moved(progress, self._progress):
                    # The progress goes with a renewal: one write, and the next renewal is due later.
                    self._progress = progress
                    due = 0
            if time.monotonic() >= due:
                due = time.monotonic() + self.every
                if not self._renew():
                    return

    def _renew(self):
        """Renew once, with the run's progress once it has any; False when the run must stop."""
        now = self._now()
        try:
            self.lease, self.etag = renew_lease(self.client, self.anchor_id, self.fabric, self.holder, self.lease,
                                                now, self.ttl, progress=self._progress, etag=self.etag)
            self.renewals += 1
            return True
        except LeaseLost as lost:
            self._stop(lost.message)
            return False
        except NetBoxAPIError as exc:
            self.etag = None
            until = parse_time(self.lease.get("until"))
            if until is not None and self._now() >= until:
                self._stop("it could not renew its lease before it ran out at %s: %s"
                           % (self.lease.get("until"), exc.message))
                return False
            return True

    def _stop(self, reason):
        self.control.stop(reason)
        if self.interrupt is not None and not self.control.finishing:
            self.interrupt()


def _moved(progress, written):
    """Whether the run got further than its record says: a stalled run rewrites no estimate."""
    keys = ("phase", "done", "total")
    return written is None or tuple(progress.get(k) for k in keys) != tuple(written.get(k) for k in keys)
