# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the fabric's record reads in NetBox: status and last error first, the JSON last.

NetBox shows an object's custom fields by group name (in alphabetical order),
then by weight. The sync makes the record's fields in one group ("Hedgehog
sync"), where the counts' JSON sorts before the status; this layout moves the
status group before the ownership group ("Hedgehog") and the JSON after it.
Turned off, every field goes back to how the sync makes it.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.fields import STATUS_FIELDS

STATUS_GROUP = "Fabric sync"
DETAILS_GROUP = "Sync details"
NETBOX_DEFAULT_WEIGHT = 100

# field: (group, weight, ui_visible)
LAYOUT = {
    "hedgehog_status": (STATUS_GROUP, 10, "always"),
    "hedgehog_last_error": (STATUS_GROUP, 20, "always"),
    "hedgehog_last_success": (STATUS_GROUP, 30, "always"),
    "hedgehog_last_summary": (STATUS_GROUP, 40, "always"),
    "hedgehog_problem_count": (STATUS_GROUP, 45, "always"),
    # Empty when no switch could judge a cable (no agent reports).
    "hedgehog_cables_disagreeing": (STATUS_GROUP, 47, "always"),
    "hedgehog_last_attempt": (STATUS_GROUP, 50, "always"),
    "hedgehog_last_result": (STATUS_GROUP, 55, "always"),
    "hedgehog_last_path": (STATUS_GROUP, 57, "always"),
    "hedgehog_last_duration": (STATUS_GROUP, 60, "always"),
    "hedgehog_sync_enabled": (STATUS_GROUP, 70, "always"),
    "hedgehog_sync_interval": (STATUS_GROUP, 75, "always"),
    "hedgehog_source_release": (STATUS_GROUP, 80, "always"),
    "hedgehog_source": (STATUS_GROUP, 85, "always"),
    # What the next run starts from: machine state, never shown.
    "hedgehog_sync_basis": (DETAILS_GROUP, 5, "hidden"),
    "hedgehog_health": (DETAILS_GROUP, 10, "always"),
    # Empty until a run finds changes others made to the fabric's objects.
    "hedgehog_hand_edits": (DETAILS_GROUP, 15, "if-set"),
    "hedgehog_last_counts": (DETAILS_GROUP, 20, "always"),
    # Empty unless a run holds the fabric now.
    "hedgehog_lease": (DETAILS_GROUP, 30, "if-set"),
}


def field_layout(enabled=True):
    """``{field: {group_name, weight, ui_visible}}`` of the record's fields: laid out, or as the sync makes them."""
    wanted = {}
    for spec in STATUS_FIELDS:
        if enabled and spec["name"] in LAYOUT:
            group, weight, visible = LAYOUT[spec["name"]]
        else:
            group = spec["group_name"]
            weight = spec.get("weight", NETBOX_DEFAULT_WEIGHT)
            visible = spec.get("ui_visible", "always")
        wanted[spec["name"]] = {"group_name": group, "weight": weight, "ui_visible": visible}
    return wanted


def layout_changes(wanted, rows):
    """PATCH bodies for the custom fields whose layout differs; fields that do not exist yet are left out."""
    changes = []
    for row in rows:
        target = wanted.get(row["name"])
        if target is None:
            continue
        have = {"group_name": row.get("group_name") or "", "weight": row.get("weight"),
                "ui_visible": _choice(row.get("ui_visible"))}
        differs = dict((k, v) for k, v in target.items() if have.get(k) != v)
        if differs:
            changes.append({"id": row["id"], "name": row["name"], "before": dict((k, have[k]) for k in differs),
                            "after": differs})
    return changes


def _choice(value):
    return value.get("value") if isinstance(value, dict) else value
