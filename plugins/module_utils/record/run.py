# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recorded run: take the fabric's lease, sync, write the outcome into the fabric's record, journal it.

Writes made here are counted apart from the sync's own, so a run that changes
nothing in the fabric still reports zero writes for it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun, open_netbox
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConflictError, NetBoxAPIError, SyncError
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
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.lease import holder_id, iso, take_lease
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import escape
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import status_of_record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.summary import run_summary
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import FAILED

ALL_FIELDS = CUSTOM_FIELDS + record.STATUS_FIELDS
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
    """The fabric's Cluster, made (with its site and cluster type) when it does not exist yet."""
    if found is not None:
        return found
    tags = [tag_ids[SYNC_TAG]]
    site_slug = slugify(config.site)
    site = _first(client, "dcim/sites", {"slug": site_slug}, ("id",))
    if site is None:
        site = client.create("dcim/sites", [{"name": config.site, "slug": site_slug, "status": "active",
                                             "tags": tags}])[0]
    cluster_type = _first(client, anchor.CLUSTER_TYPES, {"slug": anchor.CLUSTER_TYPE_SLUG}, ("id",))
    if cluster_type is None:
        cluster_type = client.create(anchor.CLUSTER_TYPES, [dict(anchor.cluster_type_fields(), tags=tags)])[0]
    fields = anchor.cluster_fields(config.fabric, cluster_type["id"], site["id"])
    return client.create(anchor.CLUSTERS, [dict(fields, tags=tags, custom_fields={FABRIC_FIELD: config.fabric})])[0]


class RecordedRun:
    """One run of one fabric with its lease and its record."""

    def __init__(self, config, check_mode=False, want_diff=False, now=None, client=None):
        self.config = config
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.started = now or datetime.now(timezone.utc)
        self.client = client or open_netbox(config)
        self.holder = holder_id()
        self.anchor = None
        self.status = None
        self.record_fields = {}
        # Warnings about the record itself (not the fabric's problems), for the module to show.
        self.warnings = []

    def execute(self):
        if self.check_mode:
            return SyncRun(self.config, check_mode=True, want_diff=self.want_diff, client=self.client,
                           now=self.started).execute()
        self.config.check_transport()
        before = self.client.request_counts()
        existing = own_anchor(self.client, self.config.fabric)
        schema = ensure_schema(self.client, custom_fields=ALL_FIELDS)
        self.anchor = ensure_anchor(self.client, self.config, schema.tag_ids, existing)
        take_lease(self.client, self.anchor["id"], self.config.fabric, self.holder, self.started,
                   self.config.lease_ttl, self._starting_fields())
        run = SyncRun(self.config, want_diff=self.want_diff, client=self.client, now=self.started, schema=schema)
        try:
            start = self.client.request_counts()
            result = run.execute()
            sync_counts = _minus(self.client.request_counts(), start)
        except SyncError as error:
            self._record_failure(error)
            self._write_metrics()
            raise
        except Exception as exc:
            # A bug, not bad input: it ends the run like any failure (recorded, lease released, metrics
            # written), named by its type and phase only, since its text may quote a file or a secret.
            error = SyncError("unexpected %s in the %s phase (a bug in the sync; the run stopped there)"
                              % (type(exc).__name__, run.timer.current), fabric=self.config.fabric,
                              details={"phase": run.timer.current, "exception": type(exc).__name__})
            self._record_failure(error)
            self._write_metrics()
            raise error from None
        self._record_result(result, sync_counts)
        record_counts = _minus(_minus(self.client.request_counts(), before), sync_counts)
        result = result.with_record(self.status, sync_counts, record_counts)
        self._write_metrics(result)
        return result

    def _write_metrics(self, result=None):
        """The fabric's metrics file, failed runs included; a metrics file that cannot be written is a warning."""
        path = self.config.metrics_file
        if not path or not self.record_fields:
            return
        text = metrics.render(self.config.fabric, self.record_fields, self.status, result)
        try:
            metrics.write_atomic(path, text)
        except OSError as exc:
            self.warnings.append("cannot write metrics to %s: %s" % (path, exc))

    def _starting_fields(self):
        return {record.LAST_ATTEMPT: iso(self.started), record.SYNC_ENABLED: self.config.sync_enabled,
                record.SYNC_INTERVAL: self.config.sync_interval, record.SOURCE: self.config.source_label,
                record.STATUS: "syncing"}

    # -- outcome ------------------------------------------------------------------

    def _write_outcome(self, fields, journal_kind, comments):
        finished = datetime.now(timezone.utc)
        fields = dict(fields)
        fields[record.LEASE] = None
        fields[record.LAST_DURATION] = round((finished - self.started).total_seconds(), 3)
        record_fields = dict(self.anchor.get("custom_fields") or {})
        record_fields.update(fields)
        self.status = status_of_record(record_fields, configured=True, now=finished)
        fields[record.STATUS] = fields[record.HEALTH] = self.status
        self.record_fields = dict(record_fields, **{record.STATUS: self.status, record.HEALTH: self.status})
        self.client.patch_one(anchor.CLUSTERS, self.anchor["id"], {"custom_fields": fields})
        self.client.create("extras/journal-entries", [{
            "assigned_object_type": anchor.CLUSTER_OBJECT_TYPE, "assigned_object_id": self.anchor["id"],
            "kind": journal_kind, "comments": comments}])

    def _record_result(self, result, sync_counts):
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
            record.SOURCE_RELEASE: result.release or None,
        }
        self._write_outcome(fields, JOURNAL_KINDS[result.outcome], journal_text(result, sync_counts))

    def _record_failure(self, error):
        if self.anchor is None:
            return
        fields = {record.LAST_ATTEMPT: iso(self.started), record.LAST_RESULT: FAILED,
                  record.LAST_ERROR: escape(error), record.PROBLEM_COUNT: None}
        try:
            self._write_outcome(fields, JOURNAL_KINDS[FAILED], "Sync failed: %s" % escape(error))
        except NetBoxAPIError:
            # NetBox itself may be what failed; the original error is what the caller must see.
            pass


def journal_text(result, sync_counts):
    changed = []
    for kind, ops in result.summary.items():
        moves = ", ".join("%d %s" % (n, op) for op, n in ops.items() if n and op not in ("unchanged",))
        if moves:
            changed.append("%s: %s" % (kind, moves))
    lines = ["Sync %s in %.1f s; %d NetBox request(s), %d write(s); %s Kubernetes request(s)." % (
        result.outcome, result.timings.get("total", 0), sync_counts.get("total", 0), sync_counts.get("writes", 0),
        result.requests.get("kubernetes", 0))]
    lines.extend(changed or ["No change."])
    warnings = [problem.text for problem in result.problems]
    if warnings:
        lines.append("Problems (%d):" % len(warnings))
        lines.extend("- %s" % escape(w) for w in warnings[:LISTED_PROBLEMS])
    return "\n".join(lines)


def _minus(after, before):
    """Request counts made between two readings; total and writes always present."""
    keys = set(after) | set(before) | {"total", "writes"}
    return dict((k, after.get(k, 0) - before.get(k, 0)) for k in keys
                if k in ("total", "writes") or after.get(k, 0) - before.get(k, 0))
