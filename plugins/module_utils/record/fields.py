# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric's record: the names of its custom fields, and their definitions in NetBox.

Every reader and writer of the record (the run, status.yml, metrics) uses
these names, so a field is renamed in one place.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import custom_field

STATUS = "hedgehog_status"
SOURCE = "hedgehog_source"
SYNC_ENABLED = "hedgehog_sync_enabled"
SYNC_INTERVAL = "hedgehog_sync_interval"
LAST_ATTEMPT = "hedgehog_last_attempt"
LAST_SUCCESS = "hedgehog_last_success"
LAST_RESULT = "hedgehog_last_result"
LAST_ERROR = "hedgehog_last_error"
PROBLEM_COUNT = "hedgehog_problem_count"
LAST_SUMMARY = "hedgehog_last_summary"
# The status a run (or a status check) settled on, never "syncing": NetBox's event
# rules compare it before and after, which the status itself (syncing during every
# run) would hide.
HEALTH = "hedgehog_health"
LAST_DURATION = "hedgehog_last_duration"
LAST_COUNTS = "hedgehog_last_counts"
SOURCE_RELEASE = "hedgehog_source_release"
LEASE = "hedgehog_lease"
# How the last run reconciled (unchanged, repair, full and why), the hand edits the last run that found
# any found, and what the next run starts from (machine state, hidden in the UI).
LAST_PATH = "hedgehog_last_path"
HAND_EDITS = "hedgehog_hand_edits"
BASIS = "hedgehog_sync_basis"
# Cables LLDP disagrees with at the last run (empty: no switch could judge one).
CABLES_DISAGREEING = "hedgehog_cables_disagreeing"

STATUSES = ("not_configured", "disabled", "syncing", "never_synced", "error", "out_of_sync", "partial", "in_sync")

RECORD_TYPES = ("virtualization.cluster",)
GROUP = "Hedgehog sync"


def _record_field(name, type_, label, description, **extra):
    extra.setdefault("filter_logic", "disabled")
    return custom_field(name, type_, RECORD_TYPES, label, description, group_name=GROUP, **extra)


STATUS_FIELDS = (
    _record_field(STATUS, "text", "Sync status", "Computed at the end of each run: " + ", ".join(STATUSES),
                  filter_logic="exact"),
    _record_field(SOURCE, "text", "Source", "Where the fabric is read from (no credentials)"),
    _record_field(SYNC_ENABLED, "boolean", "Sync enabled", "Scheduled runs on or off"),
    _record_field(SYNC_INTERVAL, "integer", "Sync interval (s)", "Seconds between scheduled runs"),
    _record_field(LAST_ATTEMPT, "datetime", "Last attempt", "Start of the last run, whatever its result"),
    _record_field(LAST_SUCCESS, "datetime", "Last success", "Start of the last run that synced"),
    _record_field(LAST_RESULT, "text", "Last result", "success, partial or failed"),
    _record_field(LAST_ERROR, "longtext", "Last error",
                  "Why the last run failed, or the first problems of a partial run (one per line); empty when clean"),
    _record_field(PROBLEM_COUNT, "integer", "Problems",
                  "Objects the last run skipped or NetBox refused, and changes it held back", filter_logic="exact"),
    _record_field(LAST_DURATION, "decimal", "Last duration (s)", "Seconds the last run took"),
    _record_field(LAST_COUNTS, "json", "Last counts", "Objects per kind: created, updated, deleted, ..."),
    _record_field(LAST_SUMMARY, "text", "Last changes",
                  "What the last completed run changed, in words: 12 created, 3 updated, 2 problems"),
    _record_field(HEALTH, "text", "Health",
                  "The status the last run or status check settled on, never syncing; notifications follow it",
                  filter_logic="exact"),
    _record_field(SOURCE_RELEASE, "text", "Fabric release", "Fabricator status.release"),
    _record_field(LEASE, "json", "Run lease", "Who runs the fabric now, since and until when"),
    _record_field(LAST_PATH, "text", "Last path", "unchanged, repair (only what others edited) or full, and why"),
    _record_field(HAND_EDITS, "json", "Hand edits", "Changes by others to the fabric's objects: what, who, when, "
                  "and what the sync did"),
    _record_field(BASIS, "json", "Sync basis", "What the next run starts from: digests, change-log mark, owned ids",
                  ui_visible="hidden"),
    _record_field(CABLES_DISAGREEING, "integer", "Cables LLDP disagrees with",
                  "Cables whose ends the switches' LLDP sees elsewhere, at the last run (empty: none could be judged)",
                  filter_logic="exact"),
)
