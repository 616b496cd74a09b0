# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write each fabric's computed status into its record when time alone has changed it.

A run writes the status when it ends; a fabric whose runs stopped (a dead
scheduler, a controller gone) writes nothing, so its record would say in_sync
forever. A status check run on a schedule sees it instead: it writes
``hedgehog_status`` and ``hedgehog_health`` as out_of_sync (or error, for a run
that died holding its lease), which NetBox's list shows and its event rules
tell the notification group. Compare-and-set (If-Match) keeps it from
overwriting what a run wrote a moment before.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import fabric_row, read_records

CLUSTERS = "virtualization/clusters"


def stale_records(client, fabrics, now):
    """``[(fabric, record id, stored fields, status)]`` for records whose stored status or health is out of date.

    A fabric that is syncing now is left to its run, which writes both when it ends.
    """
    records = read_records(client, [f["name"] for f in fabrics])
    found = []
    for fabric in sorted(fabrics, key=lambda f: f["name"]):
        record = records.get(fabric["name"])
        if record is None:
            continue
        status = fabric_row(fabric, record, now)["status"]
        fields = record.get("custom_fields") or {}
        if status == "syncing":
            continue
        if fields.get("hedgehog_status") != status or fields.get("hedgehog_health") != status:
            found.append((fabric["name"], record["id"], fields, status))
    return found


def refresh_health(client, fabrics, now, check_mode=False):
    """Writes the computed status of each stale record; returns what changed as ``{fabric, before, after}``."""
    changes = []
    for name, record_id, fields, status in stale_records(client, fabrics, now):
        change = {"fabric": name, "before": {"status": fields.get("hedgehog_status"),
                                             "health": fields.get("hedgehog_health")},
                  "after": {"status": status, "health": status}}
        if not check_mode and not _write_status(client, record_id, fields, status):
            continue
        changes.append(change)
    return changes


def _write_status(client, record_id, fields, status):
    """False when a run changed the record since it was read: its own outcome is newer than this one."""
    record, etag = client.read_one(CLUSTERS, record_id)
    current = record.get("custom_fields") or {}
    if any(current.get(k) != fields.get(k) for k in ("hedgehog_last_attempt", "hedgehog_lease")):
        return False
    try:
        client.patch_one(CLUSTERS, record_id, {"custom_fields": {"hedgehog_status": status, "hedgehog_health": status}},
                         if_match=etag)
    except NetBoxAPIError as exc:
        if exc.status == 412:
            return False
        raise
    return True
