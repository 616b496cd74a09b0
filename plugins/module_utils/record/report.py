# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read every fabric's record from NetBox and lay it out for people (a table) and machines (rows).

Read-only: one list request for all fabrics' records, nothing written.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.drift import edit_text
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.anchor import CLUSTERS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import FABRIC_FIELD
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.lease import holder_gone
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import unescape
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import (
    humanize_delta,
    next_run,
    parse_time,
    status_of_record,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.summary import totals
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import PARTIAL

COLUMNS = ("fabric", "status", "interval", "last_success", "age", "last_attempt", "duration", "changes", "problems",
           "next_run")
# Problems a status row lists; the record keeps more, the run's result all of them.
FIRST_PROBLEMS = 5


def read_records(client, names):
    """The anchor Cluster of each named fabric that has one."""
    if not names:
        return {}
    rows = client.list_by(CLUSTERS, "name", list(names), fields=("id", "name", "custom_fields"))
    # Filtering by cluster type would fail on a NetBox the sync never ran against
    # (the type does not exist yet); the fabric's own marker is what counts.
    return dict((row["name"], row) for row in rows
                if (row.get("custom_fields") or {}).get(FABRIC_FIELD) == row["name"])


def _changes(counts):
    return ", ".join("%d %s" % (n, op) for op, n in sorted(totals(counts).items()) if n) or "none"


def fabric_row(fabric, anchor, now):
    """One fabric as seen by status.yml: the inventory's view, merged with its record (the anchor's fields)."""
    fields = dict((anchor or {}).get("custom_fields") or {})
    # The inventory is the truth for configuration; the record may lag one run behind.
    fields[record.SYNC_ENABLED] = fabric.get("sync_enabled", True)
    fields[record.SYNC_INTERVAL] = fabric.get("sync_interval")
    if holder_gone(fields.get(record.LEASE)):
        # A run on this host that was killed: nothing runs, whatever its lease still says.
        fields[record.LEASE] = None
    status = status_of_record(fields, configured=fabric.get("configured", True), now=now)
    success = parse_time(fields.get(record.LAST_SUCCESS))
    attempt = fields.get(record.LAST_ATTEMPT)
    due, due_text = next_run(attempt, fabric.get("sync_interval"), now)
    if status in ("disabled", "not_configured"):
        due, due_text = None, "not scheduled"
    return {
        "fabric": fabric["name"],
        "status": status,
        "sync_enabled": bool(fabric.get("sync_enabled", True)),
        "interval": fabric.get("sync_interval"),
        "last_success": fields.get(record.LAST_SUCCESS),
        "age": humanize_delta((success - now).total_seconds()).replace(" overdue", " ago") if success else "never",
        "last_attempt": attempt,
        "last_result": fields.get(record.LAST_RESULT),
        "last_error": unescape(fields[record.LAST_ERROR]) if fields.get(record.LAST_ERROR) else None,
        # The first problems are the last error's lines when the run was partial.
        "problem_count": fields.get(record.PROBLEM_COUNT) or 0,
        "problems": unescape(fields.get(record.LAST_ERROR) or "").splitlines()[:FIRST_PROBLEMS]
        if fields.get(record.LAST_RESULT) == PARTIAL else [],
        "duration": fields.get(record.LAST_DURATION),
        "counts": fields.get(record.LAST_COUNTS) or {},
        "changes": _changes(fields.get(record.LAST_COUNTS)),
        "release": fields.get(record.SOURCE_RELEASE),
        "cables_disagreeing": fields.get(record.CABLES_DISAGREEING),
        "source": fields.get(record.SOURCE),
        "lease": fields.get(record.LEASE),
        "last_path": fields.get(record.LAST_PATH),
        "hand_edits": fields.get(record.HAND_EDITS) or {},
        # A long run's progress, written with its lease while it works (none once it ended).
        "progress": (fields.get(record.LEASE) or {}).get("progress") if status == "syncing" else None,
        "next_run": due.isoformat() if due else None,
        "next_run_text": due_text,
        "record_id": (anchor or {}).get("id"),
    }


def cabling_text(disagreeing):
    """One line about the cables and LLDP, as status.yml's detail and the journal show it."""
    if disagreeing is None:
        return "not checked against LLDP (no switch agent reports)"
    if disagreeing == 0:
        return "no cable disagrees with LLDP"
    plural = disagreeing != 1
    return "%d cable%s disagree%s with LLDP" % (disagreeing, "s" if plural else "", "" if plural else "s")


def progress_text(progress):
    """``apply: 120 of 900 objects written, 15.2/s, about 51 s left``, or the phase alone before the writes."""
    if not progress:
        return None
    if progress.get("total") is None:
        return "%s" % progress.get("phase")
    text = "%s: %d of %d objects written, %s/s" % (
        progress.get("phase"), progress["done"], progress["total"], progress.get("rate"))
    left = progress.get("seconds_left")
    if left is not None:
        text += ", about %s left" % ("%d s" % left if left < 90 else "%d min" % round(left / 60.0))
    return text


def _cell(row, column):
    if column == "status" and row.get("progress") and row["progress"].get("total"):
        return "%s %d%%" % (row["status"], 100 * row["progress"]["done"] // row["progress"]["total"])
    if column == "interval":
        return "%ss" % row["interval"] if row["interval"] else "-"
    if column == "last_success":
        return _short_time(row["last_success"])
    if column == "last_attempt":
        return _short_time(row["last_attempt"])
    if column == "duration":
        return "%.1fs" % float(row["duration"]) if row["duration"] is not None else "-"
    if column == "next_run":
        return row["next_run_text"]
    if column == "problems":
        return str(row["problem_count"]) if row["problem_count"] else "-"
    return str(row.get(column) if row.get(column) is not None else "-")


def _short_time(value):
    stamp = parse_time(value)
    return stamp.strftime("%Y-%m-%d %H:%M:%S") if stamp else "never"


def table(rows):
    """Fixed-width lines, one per fabric, under a header."""
    cells = [[column.replace("_", " ").upper() for column in COLUMNS]]
    cells.extend([_cell(row, column) for column in COLUMNS] for row in rows)
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    return ["  ".join(value.ljust(width) for value, width in zip(line, widths)).rstrip() for line in cells]


def detail(row):
    lines = ["Fabric:        %s" % row["fabric"],
             "Status:        %s" % row["status"],
             "Enabled:       %s" % ("yes" if row["sync_enabled"] else "no"),
             "Interval:      %s" % _cell(row, "interval"),
             "Last success:  %s (%s)" % (_short_time(row["last_success"]), row["age"]),
             "Last attempt:  %s (%s)" % (_short_time(row["last_attempt"]), row["last_result"] or "-"),
             "Duration:      %s" % _cell(row, "duration"),
             "Changes:       %s" % row["changes"],
             "Next run:      %s" % row["next_run_text"],
             "Release:       %s" % (row["release"] or "-"),
             "Cabling:       %s" % cabling_text(row["cables_disagreeing"]),
             "Source:        %s" % (row["source"] or "-")]
    if row["lease"]:
        lines.append("Running:       since %s on %s" % (row["lease"].get("since"), row["lease"].get("holder")))
    if row.get("last_path"):
        lines.append("Last path:     %s" % row["last_path"])
    if row.get("progress"):
        lines.append("Progress:      %s" % progress_text(row["progress"]))
    if row["problem_count"]:
        lines.append("Problems:      %d (the first %d below)" % (row["problem_count"], len(row["problems"])))
        lines.extend("  - %s" % text for text in row["problems"])
    elif row["last_error"]:
        lines.append("Last error:    %s" % row["last_error"])
    lines.extend(_hand_edit_lines(row.get("hand_edits") or {}))
    return lines


def _hand_edit_lines(found):
    """The hand edits the last run that found any found: object, fields, who, when, what was done."""
    edits = found.get("edits") or []
    if not edits:
        return []
    lines = ["Hand edits:    %d found by the run of %s (hand_edits: %s)" % (
        found.get("count", len(edits)), _short_time(found.get("found")), found.get("policy") or "repair")]
    lines.extend("               %s" % edit_text(edit, _short_time(edit.get("time"))) for edit in edits)
    return lines


def fabric_status(client, fabrics, now=None):
    now = now or datetime.now(timezone.utc)
    records = read_records(client, [f["name"] for f in fabrics])
    rows = [fabric_row(f, records.get(f["name"]), now) for f in sorted(fabrics, key=lambda f: f["name"])]
    return rows
