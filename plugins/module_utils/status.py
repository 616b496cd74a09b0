# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric's record in NetBox (its anchor Cluster) and the one function that computes its status.

Status lives in NetBox, not on the controller, because AWX execution
environments are thrown away after each job. Every reader (status.yml, the
record's own ``hedgehog_status`` field, metrics) computes the status with
``compute_status``, so no two of them can disagree.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta, timezone

STATUSES = ("not_configured", "disabled", "syncing", "never_synced", "error", "out_of_sync", "in_sync")

CLUSTER_TYPES = ("virtualization.cluster",)


def _status_field(name, type_, label, description, **extra):
    spec = {"name": name, "type": type_, "object_types": list(CLUSTER_TYPES), "label": label,
            "description": description, "group_name": "Hedgehog sync", "required": False,
            "ui_editable": "no", "filter_logic": "disabled"}
    spec.update(extra)
    return spec


STATUS_FIELDS = (
    _status_field("hedgehog_status", "text", "Sync status",
                  "Computed at the end of each run: " + ", ".join(STATUSES), filter_logic="exact"),
    _status_field("hedgehog_source", "text", "Source", "Where the fabric is read from (no credentials)"),
    _status_field("hedgehog_sync_enabled", "boolean", "Sync enabled", "Scheduled runs on or off"),
    _status_field("hedgehog_sync_interval", "integer", "Sync interval (s)", "Seconds between scheduled runs"),
    _status_field("hedgehog_last_attempt", "datetime", "Last attempt", "Start of the last run, whatever its result"),
    _status_field("hedgehog_last_success", "datetime", "Last success", "Start of the last run that synced"),
    _status_field("hedgehog_last_result", "text", "Last result", "success, partial or failed"),
    _status_field("hedgehog_last_error", "longtext", "Last error", "Why the last run failed; empty after a success"),
    _status_field("hedgehog_last_duration", "decimal", "Last duration (s)", "Seconds the last run took"),
    _status_field("hedgehog_last_counts", "json", "Last counts", "Objects per kind: created, updated, deleted, ..."),
    _status_field("hedgehog_last_summary", "text", "Last changes",
                  "What the last completed run changed, in words: 12 created, 3 updated, 2 problems"),
    _status_field("hedgehog_last_problems", "integer", "Problems",
                  "Objects the last completed run skipped or refused (conflicts among them)", filter_logic="exact"),
    _status_field("hedgehog_health", "text", "Health",
                  "The status the last run or status check settled on, never syncing; notifications follow it",
                  filter_logic="exact"),
    _status_field("hedgehog_source_release", "text", "Fabric release", "Fabricator status.release"),
    _status_field("hedgehog_lease", "json", "Run lease", "Who runs the fabric now, since and until when"),
)


def parse_time(value):
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def default_grace(interval):
    """Slack past the interval before a fabric counts as out of sync: a run's own duration and cron's minute."""
    return max(120, int(interval or 0) // 4)


def lease_is_live(lease, now):
    until = parse_time((lease or {}).get("until"))
    return until is not None and until > now


def compute_status(configured, enabled, lease, last_attempt, last_success, last_result, interval, now,
                   grace=None):
    """The fabric's status; the first rule that matches wins.

    ``never_synced`` means no run was ever attempted: a fabric whose only runs
    failed shows ``error``, not ``never_synced`` (the seed plugin hid errors so).
    """
    if not configured:
        return "not_configured"
    if not enabled:
        return "disabled"
    if lease_is_live(lease, now):
        return "syncing"
    attempt = parse_time(last_attempt)
    success = parse_time(last_success)
    if attempt is None and success is None:
        return "never_synced"
    if last_result == "failed":
        return "error"
    if success is None:
        return "error"
    if interval and (now - success).total_seconds() > int(interval) + (
            default_grace(interval) if grace is None else grace):
        return "out_of_sync"
    return "in_sync"


def status_of_record(custom_fields, configured, now, grace=None):
    """compute_status over a NetBox record's custom fields."""
    fields = custom_fields or {}
    enabled = fields.get("hedgehog_sync_enabled")
    return compute_status(
        configured=configured,
        enabled=True if enabled is None else bool(enabled),
        lease=fields.get("hedgehog_lease"),
        last_attempt=fields.get("hedgehog_last_attempt"),
        last_success=fields.get("hedgehog_last_success"),
        last_result=fields.get("hedgehog_last_result"),
        interval=fields.get("hedgehog_sync_interval"),
        now=now,
        grace=grace,
    )


def next_run(last_attempt, interval, now):
    """When the fabric is due next, and a person's reading of it ("in 45 s", "3 min overdue")."""
    attempt = parse_time(last_attempt)
    if attempt is None or not interval:
        return None, "due now"
    due = attempt + timedelta(seconds=int(interval))
    return due, humanize_delta((due - now).total_seconds())


def humanize_delta(seconds):
    late = seconds < 0
    seconds = abs(int(seconds))
    if seconds < 120:
        text = "%d s" % seconds
    elif seconds < 7200:
        text = "%d min" % (seconds // 60)
    elif seconds < 172800:
        text = "%d h" % (seconds // 3600)
    else:
        text = "%d d" % (seconds // 86400)
    return "%s overdue" % text if late else "in %s" % text


def holder_id():
    """Who holds a lease: host, process, and the AWX job when there is one."""
    job = os.environ.get("JOB_ID") or os.environ.get("AWX_JOB_ID") or os.environ.get("TOWER_JOB_ID")
    base = "%s:%d" % (socket.gethostname(), os.getpid())
    if job:
        base += ":awx-job-%s" % job
    return "%s:%s" % (base, uuid.uuid4().hex[:8])
