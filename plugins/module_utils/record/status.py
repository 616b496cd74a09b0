# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one function that computes a fabric's status, and the time arithmetic around it.

Status lives in NetBox, not on the controller, because AWX execution
environments are thrown away after each job. Every reader (status.yml, the
record's own status field, metrics) computes the status with
``compute_status``, so no two of them can disagree.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record


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
    ``partial`` is a fabric synced within its interval whose last run left
    problems (skipped source objects, refused writes, an incomplete read).
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
    if last_result == "partial":
        # Synced, but some objects were skipped or refused, or a read was incomplete:
        # not the same as a clean fabric.
        return "partial"
    return "in_sync"


def status_of_record(custom_fields, configured, now, grace=None):
    """compute_status over a NetBox record's custom fields."""
    fields = custom_fields or {}
    enabled = fields.get(record.SYNC_ENABLED)
    return compute_status(
        configured=configured,
        enabled=True if enabled is None else bool(enabled),
        lease=fields.get(record.LEASE),
        last_attempt=fields.get(record.LAST_ATTEMPT),
        last_success=fields.get(record.LAST_SUCCESS),
        last_result=fields.get(record.LAST_RESULT),
        interval=fields.get(record.SYNC_INTERVAL),
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
