# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recorded run: take the fabric's lease, sync, write the outcome into the fabric's record, journal it.

The lease is a compare-and-set on the anchor Cluster (If-Match on its ETag,
NetBox 4.6+), so two controllers (two AWX nodes, cron and a manual run) never
sync one fabric at once; a lease whose time ran out is taken over. Writes made
here are counted apart from the sync's own, so a run that changes nothing in
the fabric still reports zero writes for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun, open_netbox
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    LeaseHeldError,
    NetBoxAPIError,
    SyncError,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.dcim import CLUSTER_TYPE
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import slugify
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.schema import (
    CUSTOM_FIELDS,
    FABRIC_FIELD,
    SYNC_TAG,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.schema import ensure_schema
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.status import (
    STATUS_FIELDS,
    holder_id,
    lease_is_live,
    status_of_record,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.summary import run_summary

ALL_FIELDS = CUSTOM_FIELDS + STATUS_FIELDS
CLUSTERS = "virtualization/clusters"
JOURNAL_KINDS = {"success": "success", "partial": "warning", "failed": "danger"}


def _iso(stamp):
    return stamp.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _first(client, endpoint, params, fields):
    rows = client.list(endpoint, params, fields)
    return rows[0] if rows else None


def find_anchor(client, fabric):
    return _first(client, CLUSTERS, {"name": fabric}, ("id", "name", "custom_fields", "tags"))


def ensure_anchor(client, config, tag_ids):
    """The fabric's Cluster, made (with its site and cluster type) when it does not exist yet."""
    anchor = find_anchor(client, config.fabric)
    if anchor is not None:
        return anchor
    site_slug = slugify(config.site)
    site = _first(client, "dcim/sites", {"slug": site_slug}, ("id",))
    if site is None:
        site = client.create("dcim/sites", [{"name": config.site, "slug": site_slug, "status": "active",
                                             "tags": [tag_ids[SYNC_TAG]]}])[0]
    cluster_type = _first(client, "virtualization/cluster-types", {"slug": CLUSTER_TYPE}, ("id",))
    if cluster_type is None:
        cluster_type = client.create("virtualization/cluster-types", [
            {"name": "Hedgehog Fabric", "slug": CLUSTER_TYPE, "tags": [tag_ids[SYNC_TAG]]}])[0]
    return client.create(CLUSTERS, [{
        "name": config.fabric, "type": cluster_type["id"], "scope_type": "dcim.site", "scope_id": site["id"],
        "status": "active", "tags": [tag_ids[SYNC_TAG]], "custom_fields": {FABRIC_FIELD: config.fabric},
    }])[0]


class RecordedRun:
    """One run of one fabric with its lease and its record."""

    def __init__(self, config, source_label, sync_enabled=True, sync_interval=300, lease_ttl=1800,
                 check_mode=False, want_diff=False, now=None, client=None):
        self.config = config
        self.source_label = source_label
        self.sync_enabled = sync_enabled
        self.sync_interval = sync_interval
        self.lease_ttl = lease_ttl
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.started = now or datetime.now(timezone.utc)
        self.client = client or open_netbox(config)
        self.holder = holder_id()
        self.anchor = None
        self.status = None
        self.record_fields = {}

    def execute(self):
        if self.check_mode:
            return SyncRun(self.config, check_mode=True, want_diff=self.want_diff, client=self.client,
                           now=self.started).execute()
        before = self.client.request_counts()
        schema = ensure_schema(self.client, custom_fields=ALL_FIELDS)
        self.anchor = ensure_anchor(self.client, self.config, schema.tag_ids)
        self._take_lease()
        sync_counts = {}
        try:
            run = SyncRun(self.config, want_diff=self.want_diff, client=self.client, now=self.started, schema=schema)
            start = self.client.request_counts()
            result = run.execute()
            sync_counts = _minus(self.client.request_counts(), start)
        except SyncError as error:
            self._record_failure(error)
            raise
        result["requests"]["netbox"] = sync_counts
        self._record_result(result)
        result["requests"]["status_record"] = _minus(_minus(self.client.request_counts(), before), sync_counts)
        result["status"] = self.status
        return result

    # -- lease --------------------------------------------------------------------

    def _take_lease(self):
        record, etag = self.client.read_one(CLUSTERS, self.anchor["id"])
        lease = (record.get("custom_fields") or {}).get("hedgehog_lease") or {}
        if lease_is_live(lease, self.started) and lease.get("holder") != self.holder:
            raise LeaseHeldError(
                "already running since %s (held by %s until %s); this run did nothing"
                % (lease.get("since"), lease.get("holder"), lease.get("until")),
                fabric=self.config.fabric, holder=lease.get("holder"), since=lease.get("since"),
                until=lease.get("until"))
        lease = {"holder": self.holder, "since": _iso(self.started),
                 "until": _iso(self.started + timedelta(seconds=self.lease_ttl))}
        fields = {"hedgehog_lease": lease, "hedgehog_last_attempt": _iso(self.started),
                  "hedgehog_sync_enabled": self.sync_enabled, "hedgehog_sync_interval": self.sync_interval,
                  "hedgehog_source": self.source_label}
        fields["hedgehog_status"] = "syncing"
        try:
            self.client.patch_one(CLUSTERS, self.anchor["id"], {"custom_fields": fields}, if_match=etag)
        except NetBoxAPIError as exc:
            if exc.status == 412:
                raise LeaseHeldError("another run took the lease a moment ago; this run did nothing",
                                     fabric=self.config.fabric) from exc
            raise

    # -- outcome ------------------------------------------------------------------

    def _write_outcome(self, fields, journal_kind, comments):
        finished = datetime.now(timezone.utc)
        fields = dict(fields, hedgehog_lease=None,
                      hedgehog_last_duration=round((finished - self.started).total_seconds(), 3))
        record_fields = dict(self.anchor.get("custom_fields") or {})
        record_fields.update(fields)
        self.status = status_of_record(record_fields, configured=True, now=finished)
        fields["hedgehog_status"] = self.status
        # The lease is gone here, so this is never "syncing": event rules compare its before and after.
        fields["hedgehog_health"] = self.status
        self.record_fields = dict(record_fields, hedgehog_status=self.status)
        self.client.patch_one(CLUSTERS, self.anchor["id"], {"custom_fields": fields})
        self.client.create("extras/journal-entries", [{
            "assigned_object_type": "virtualization.cluster", "assigned_object_id": self.anchor["id"],
            "kind": journal_kind, "comments": comments}])

    def _record_result(self, result):
        counts = dict((kind, dict((op, n) for op, n in ops.items() if n))
                      for kind, ops in result["summary"].items())
        fields = {
            "hedgehog_last_attempt": _iso(self.started),
            "hedgehog_last_success": _iso(self.started),
            "hedgehog_last_result": result["result"],
            "hedgehog_last_error": "; ".join(result["warnings"][:20]) if result["warnings"] else None,
            "hedgehog_last_counts": counts,
            "hedgehog_last_summary": run_summary(result),
            "hedgehog_last_problems": len(result["warnings"]),
            "hedgehog_source_release": result.get("release") or None,
        }
        self._write_outcome(fields, JOURNAL_KINDS[result["result"]], journal_text(result))

    def _record_failure(self, error):
        if self.anchor is None:
            return
        fields = {"hedgehog_last_attempt": _iso(self.started), "hedgehog_last_result": "failed",
                  "hedgehog_last_error": str(error)}
        try:
            self._write_outcome(fields, "danger", "Sync failed: %s" % error)
        except NetBoxAPIError:
            # NetBox itself may be what failed; the original error is what the caller must see.
            pass


def journal_text(result):
    changed = []
    for kind, ops in result["summary"].items():
        moves = ", ".join("%d %s" % (n, op) for op, n in ops.items() if n and op not in ("unchanged",))
        if moves:
            changed.append("%s: %s" % (kind, moves))
    netbox = result["requests"]["netbox"]
    lines = ["Sync %s in %.1f s; %d NetBox request(s), %d write(s); %s Kubernetes request(s)." % (
        result["result"], result["timings"].get("total", 0), netbox.get("total", 0), netbox.get("writes", 0),
        result["requests"].get("kubernetes", 0))]
    lines.extend(changed or ["No change."])
    if result.get("warnings"):
        lines.append("Problems (%d):" % len(result["warnings"]))
        lines.extend("- %s" % w for w in result["warnings"][:20])
    return "\n".join(lines)


def _minus(after, before):
    """Request counts made between two readings; total and writes always present."""
    keys = set(after) | set(before) | {"total", "writes"}
    return dict((k, after.get(k, 0) - before.get(k, 0)) for k in keys
                if k in ("total", "writes") or after.get(k, 0) - before.get(k, 0))
