# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recorded run: take the fabric's lease, sync, write the outcome into the fabric's record, journal it.

The run itself is change-driven (``changes.resync``): the record keeps the
basis of the last complete run, and a run that finds nothing changed writes
only its outcome.

The lease is taken and given back inside one guarded block: whatever ends the
run (a failure, a bug, its deadline, a signal, a lost lease) is recorded as
``failed`` with its cause, the lease is cleared with the outcome (or on its
own when that write fails) and the metrics are written. The record's
requests go through a client of their own, so a run that changes nothing in
the fabric still reports zero writes for it, and the lease can be renewed
while the run works.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.drift import edit_text
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.resync import Resync
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import RunControl
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun, open_netbox
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    ConflictError,
    LeaseHeldError,
    NetBoxAPIError,
    as_sync_error,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.heap import collector_held
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import slugify
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox import anchor
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.schema import ensure_schema
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    CUSTOM_FIELDS,
    FABRIC_FIELD,
    SYNC_TAG,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import metrics
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.lease import (
    PROGRESS_EVERY,
    Holder,
    LeaseKeeper,
    iso,
    take_lease_reading,
    write_releasing,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import escape
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import cabling_text
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import status_of_record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.summary import run_summary
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import FAILED

ALL_FIELDS = CUSTOM_FIELDS + record.STATUS_FIELDS
JOURNAL = "extras/journal-entries"
JOURNAL_KINDS = {"success": "success", "partial": "warning", "failed": "danger"}
# Problems listed in the record's last error and journal entry; the result has them all.
LISTED_PROBLEMS = 20


def _first(client, endpoint, params, fields):
    rows = client.list(endpoint, params, fields)
    return rows[0] if rows else None


def find_anchor(client, fabric):
    return _first(client, anchor.CLUSTERS, {"name": fabric}, ("id", "name", "custom_fields", "tags"))


def own_anchor(client, fabric):
    """The fabric's Cluster if it exists, or None; ConflictError when that name belongs to someone else.

    A cluster of the fabric's name that does not carry the fabric's marker is
    someone else's: the lease, status and journal must never land on it.
    """
    found = find_anchor(client, fabric)
    if found is not None and (found.get("custom_fields") or {}).get(FABRIC_FIELD) != fabric:
        raise ConflictError(
            "NetBox already has a cluster named %s (id %s) that is not this fabric's record (it carries no "
            "hedgehog_fabric marker of %s); it is left alone and nothing was written: rename it, or give the "
            "fabric another name" % (fabric, found.get("id"), fabric), fabric=fabric,
            details={"cluster_id": found.get("id")})
    return found


def ensure_anchor(client, config, tag_ids, found=None):
    """The fabric's Cluster, made (with its site and cluster type) when it does not exist yet.

    Two first runs may make them at the same moment: the second reads what the
    first made (``create_or_read``), and the lease then keeps one of them.
    """
    if found is not None:
        return found
    tags = [tag_ids[SYNC_TAG]]
    site_slug = slugify(config.site)
    site = _first(client, "dcim/sites", {"slug": site_slug}, ("id",))
    if site is None:
        site = client.create_or_read("dcim/sites", [{"name": config.site, "slug": site_slug, "status": "active",
                                                     "tags": tags}], "slug")[0]
    cluster_type = _first(client, anchor.CLUSTER_TYPES, {"slug": anchor.CLUSTER_TYPE_SLUG}, ("id",))
    if cluster_type is None:
        cluster_type = client.create_or_read(anchor.CLUSTER_TYPES, [dict(anchor.cluster_type_fields(), tags=tags)],
                                             "slug")[0]
    fields = anchor.cluster_fields(config.fabric, cluster_type["id"], site["id"])
    client.create_or_read(anchor.CLUSTERS, [dict(fields, tags=tags, custom_fields={FABRIC_FIELD: config.fabric})],
                          "name")
    return find_anchor(client, config.fabric)


class Beside(threading.Thread):
    """``work(*args)`` in a thread of its own; after ``join``, ``error`` holds what ended it (None: nothing)."""

    def __init__(self, work, *args):
        super().__init__(name="hedgehog-%s" % work.__name__.strip("_"), daemon=True)
        self.work = work
        self.args = args
        self.error = None
        self.start()

    def run(self):
        try:
            self.work(*self.args)
        except BaseException as exc:  # handed to the run's own thread, which ends with it
            self.error = exc


def open_record_client(config):
    """The record's own client: the sync's request counts stay the sync's, and the lease is renewed beside it."""
    return open_netbox(config)


class RecordedRun:
    """One run of one fabric with its lease and its record."""

    def __init__(self, config, check_mode=False, want_diff=False, now=None, client=None, control=None, watch=None,
                 interrupt=None, tick=1.0, progress_every=PROGRESS_EVERY):
        self.config = config
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.started = now or datetime.now(timezone.utc)
        self.control = control or RunControl(config.fabric, timeout=config.deadline)
        # The record's requests; the sync has a client of its own (``sync_client``).
        self.client = client or open_record_client(config)
        self.sync_client = None
        # The module watches the processes that started it and interrupts itself with a signal.
        self.watch = watch
        self.interrupt = interrupt
        self.tick = tick
        self.progress_every = progress_every
        self.holder = Holder.current()
        self.anchor = None
        self.lease = None
        self.keeper = None
        self.resync = None
        # What the start on NetBox's side was doing (for the phase of its error).
        self.start_phase = "record"
        self.status = None
        self.record_fields = {}
        # Warnings about the record itself (not the fabric's problems), for the module to show.
        self.warnings = []

    def execute(self):
        if self.check_mode:
            return SyncRun(self.config, check_mode=True, want_diff=self.want_diff, client=self.client,
                           now=self.started, control=self.control).execute()
        with collector_held():
            try:
                result, sync_counts = self._run()
            except LeaseHeldError:
                raise
            except Exception as exc:  # every way a run can end, a bug included, is recorded the same way
                error = as_sync_error(exc, self.config.fabric, self.control.phase)
                self._finish_failed(error)
                raise error from None
            return self._finish(result, sync_counts)

    def _run(self):
        """Everything between taking the lease and recording the outcome.

        The start on NetBox's side (the record, the lease, the change log since
        the last run) needs nothing of the source: it runs in a thread while the
        source is read and its desired state worked out, which is most of a run
        that finds nothing changed. The lease is renewed from the moment it is
        taken. Nothing is written to the fabric before both are done, and a
        start that fails (a lease held by another run) stops the read and is
        what the run ends with.
        """
        self.control.enter("record")
        # require_tls refuses before the token is sent anywhere.
        self.config.check_transport()
        self.sync_client = open_netbox(self.config)
        run = SyncRun(self.config, want_diff=self.want_diff, client=self.sync_client, now=self.started,
                      control=self.control)
        start = Beside(self._start, run)
        try:
            try:
                run.prepare()
            finally:
                start.join()
                if start.error is not None:
                    # Its own phase, not the read's (which it stopped).
                    self.control.phase = self.start_phase
                    raise start.error
            result = self.resync.execute()
        finally:
            # A stop signal may break off the join above: the start must not leave a keeper behind.
            start.join()
            if self.keeper is not None:
                self.keeper.stop()
        return result, self.sync_client.request_counts()

    def _start(self, run):
        """NetBox's side of the start: the record (made on a first run), the lease, and ``Resync.look_back``."""
        try:
            existing = own_anchor(self.client, self.config.fabric)
            # The schema is made with the record; later runs read it only when they reconcile in full.
            schema = self._schema(self.client) if existing is None else None
            self.anchor = ensure_anchor(self.client, self.config, schema.tag_ids if schema else None, existing)
            taken = self._take_lease(schema)
            self.keeper = LeaseKeeper(self.client, self.anchor["id"], self.config.fabric, self.holder, self.lease,
                                      self.config.lease_ttl, self.control, watch=self.watch, interrupt=self.interrupt,
                                      tick=self.tick, progress_every=self.progress_every, etag=taken.etag).start()
            self.sync_client.learn_version(self.client.known_version)
            run.schema = schema
            current = taken.record
            # The sync's client makes only the sync's writes: all of them are its own (from position 0).
            self.resync = Resync(run, current, 0, lambda: self._schema(self.sync_client),
                                 last_result=(current.get("custom_fields") or {}).get(record.LAST_RESULT))
            self.start_phase = "changelog"
            self.resync.look_back(timed=run.timer.measure)
        except BaseException:
            # The source read stops at its next check: the run ends with this start's error.
            self.control.stop("its start on NetBox's side failed")
            raise

    @staticmethod
    def _schema(client):
        return ensure_schema(client, custom_fields=ALL_FIELDS)

    def _take_lease(self, schema):
        """The lease taken (a ``Taken``, with the record as read with it); a record field gone missing (deleted by
        hand) is made again once."""
        try:
            return self._lease_and_record()
        except NetBoxAPIError as exc:
            if exc.status != 400 or schema is not None:
                raise
        self._schema(self.client)
        return self._lease_and_record()

    def _lease_and_record(self):
        taken = take_lease_reading(self.client, self.anchor["id"], self.config.fabric, self.holder, self.started,
                                   self.config.lease_ttl, self._starting_fields())
        self.lease = taken.lease
        if taken.note:
            self.warnings.append(taken.note)
        return taken

    def _starting_fields(self):
        return {record.LAST_ATTEMPT: iso(self.started), record.SYNC_ENABLED: self.config.sync_enabled,
                record.SYNC_INTERVAL: self.config.sync_interval, record.SOURCE: self.config.source_label}

    # -- outcome ------------------------------------------------------------------

    def _finish(self, result, sync_counts):
        self.control.finishing = True
        counts = dict((kind, dict((op, n) for op, n in ops.items() if n)) for kind, ops in result.summary.items())
        warnings = [problem.text for problem in result.problems]
        fields = {
            record.LAST_ATTEMPT: iso(self.started),
            record.LAST_SUCCESS: iso(self.started),
            record.LAST_RESULT: result.outcome,
            record.LAST_ERROR: "\n".join(escape(w) for w in warnings[:LISTED_PROBLEMS]) if warnings else None,
            record.PROBLEM_COUNT: len(warnings),
            record.LAST_SUMMARY: run_summary(result.summary, len(warnings)),
            record.LAST_COUNTS: counts,
            record.CABLES_DISAGREEING: cables_disagreeing(result),
            record.LAST_PATH: path_text(result),
            record.BASIS: self._basis(),
        }
        if result.hand_edits:
            # Kept until a later run finds others: the status detail shows the last ones found.
            fields[record.HAND_EDITS] = {"found": iso(self.started), "policy": self.config.hand_edits,
                                         "edits": result.hand_edits[:LISTED_PROBLEMS],
                                         "count": len(result.hand_edits)}
        if "Fabricator" not in (result.source.get("incomplete") or {}):
            # An unreadable Fabricator says nothing about the release: the record keeps the last one read.
            fields[record.SOURCE_RELEASE] = result.release or None
        self._write_outcome(fields, JOURNAL_KINDS[result.outcome], journal_text(result, sync_counts))
        result = result.with_record(self.status, sync_counts, self.client.request_counts())
        self._write_metrics(result)
        return result

    def _basis(self):
        basis = self.resync.next_basis if self.resync is not None else None
        return basis.as_record() if basis is not None else None

    def _finish_failed(self, error):
        self.control.finishing = True
        fields = {record.LAST_ATTEMPT: iso(self.started), record.LAST_RESULT: FAILED,
                  record.LAST_ERROR: escape(error), record.PROBLEM_COUNT: None}
        self._write_outcome(fields, JOURNAL_KINDS[FAILED], "Sync failed: %s" % escape(error))
        self._write_metrics()

    def _write_outcome(self, fields, journal_kind, comments):
        """The outcome on the record, the lease cleared with it, and beside it a journal entry; failures become
        warnings.

        When the outcome cannot be written the lease is cleared on its own, with
        fresh retries; when even that fails it runs out by itself at its
        ``until`` (one ``lease_ttl`` at most), and a run on this host takes it
        over at once as its process is gone.
        """
        finished = datetime.now(timezone.utc)
        fields = dict(fields)
        fields[record.LAST_DURATION] = round((finished - self.started).total_seconds(), 3)
        record_fields = dict((self.anchor or {}).get("custom_fields") or {})
        record_fields.update(fields)
        record_fields[record.LEASE] = None
        self.status = status_of_record(record_fields, configured=True, now=finished)
        fields[record.STATUS] = fields[record.HEALTH] = self.status
        self.record_fields = dict(record_fields, **{record.STATUS: self.status, record.HEALTH: self.status})
        if self.anchor is None:
            return
        # The journal entry does not wait for the record: each is written whether or not the other could be.
        journal = Beside(self._add_journal_entry, journal_kind, comments)
        try:
            write_releasing(self.client, self.anchor["id"], self.holder, fields,
                            etag=self.keeper.etag if self.keeper is not None else None)
        except NetBoxAPIError as exc:
            self.warnings.append("the fabric's record could not be written: %s" % exc)
            self._release_lease()
        journal.join()
        if isinstance(journal.error, NetBoxAPIError):
            self.warnings.append("no journal entry for this run: %s" % journal.error)
        elif journal.error is not None:
            raise journal.error

    def _add_journal_entry(self, kind, comments):
        where = {"assigned_object_type": anchor.CLUSTER_OBJECT_TYPE, "assigned_object_id": self.anchor["id"]}

        def find(pending):
            # The entry may have been made though its answer was lost: the newest entries tell.
            page = self.client.request("GET", JOURNAL, params=dict(where, ordering="-id", limit=5,
                                                                   fields="id,comments")) or {}
            made = [row for row in page.get("results") or [] if row.get("comments") == comments]
            return [made[0] if made else None for _entry in pending]

        self.client.create(JOURNAL, [dict(where, kind=kind, comments=comments)], find=find)

    def _release_lease(self):
        """The lease alone, after the outcome could not be written (a fresh round of retries)."""
        if self.lease is None:
            return
        try:
            write_releasing(self.client, self.anchor["id"], self.holder, {})
        except NetBoxAPIError as exc:
            self.warnings.append("the run's lease could not be released (%s); it runs out by itself at %s"
                                 % (exc, (self.keeper.lease if self.keeper else self.lease).get("until")))

    def _write_metrics(self, result=None):
        """The fabric's metrics file, failed runs included; a metrics file that cannot be written is a warning."""
        path = self.config.metrics_file
        if not path:
            return
        text = metrics.render(self.config.fabric, self.record_fields, self.status, result)
        try:
            metrics.write_atomic(path, text)
        except OSError as exc:
            self.warnings.append("cannot write metrics to %s: %s" % (path, exc))


def cables_disagreeing(result):
    """The count for the record: None when no cable could be judged (no agent reports now)."""
    cabling = result.cabling or {}
    return cabling.get("disagree", 0) if cabling.get("judged") else None


def path_text(result):
    """How the run reconciled, in a few words: ``unchanged``, ``repair``, ``full: <why>``."""
    if result.path == "full" and result.reason:
        return "full: %s" % result.reason
    return result.path


def journal_text(result, sync_counts):
    changed = []
    for kind, ops in result.summary.items():
        moves = ", ".join("%d %s" % (n, op) for op, n in ops.items() if n and op not in ("unchanged",))
        if moves:
            changed.append("%s: %s" % (kind, moves))
    lines = ["Sync %s in %.1f s; %d NetBox request(s), %d write(s); %s Kubernetes request(s)." % (
        result.outcome, result.timings.get("total", 0), sync_counts.get("total", 0), sync_counts.get("writes", 0),
        result.requests.get("kubernetes", 0))]
    lines.append({"unchanged": "Nothing changed in the fabric or in NetBox since the last run: nothing read or "
                               "written but this record.",
                  "repair": "Only the objects others edited were read and handled."}.get(
        result.path, "Full reconcile: %s." % escape(result.reason or "every object read and compared")))
    lines.extend(changed or ["No change."])
    if result.hand_edits:
        lines.append("Hand edits (%d):" % len(result.hand_edits))
        lines.extend("- %s" % escape(edit_text(edit)) for edit in result.hand_edits[:LISTED_PROBLEMS])
    lines.append("Cabling: %s." % cabling_text(cables_disagreeing(result)))
    lines.extend("- %s" % escape(finding.text) for finding in result.findings[:LISTED_PROBLEMS])
    warnings = [problem.text for problem in result.problems]
    if warnings:
        lines.append("Problems (%d):" % len(warnings))
        lines.extend("- %s" % escape(w) for w in warnings[:LISTED_PROBLEMS])
    return "\n".join(lines)
