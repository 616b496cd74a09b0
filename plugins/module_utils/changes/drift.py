# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Changes others made since the last run, sorted out: hand edits of the fabric's objects, and what forces a full run.

A change is the fabric's business when it touches an object the fabric owns
(its id is among the owned ids the record keeps), a shared object the fabric
uses (updated or deleted), or the tags and custom fields the sync relies on.
Everything else (other fabrics' objects, unrelated objects) is none of its
business, whoever made it.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.changelog import (
    OWNED_TYPES,
    SCHEMA_TYPES,
    action_of,
)

# More hand edits than this are cheaper to catch with a full reconcile than one by one.
EDIT_LIMIT = 200
# Fields NetBox keeps up to date itself, never a hand edit.
BOOKKEEPING = frozenset(("last_updated", "created", "_path", "cable", "cable_end", "link_peers_type", "mark_connected",
                         "_name", "_occupied", "_site", "_location", "_rack", "connected_endpoints"))


class Edit:
    """One change someone else made to an object the fabric owns."""

    def __init__(self, row):
        self.change_id = row["id"]
        self.object_type = row.get("changed_object_type")
        self.object_id = row.get("changed_object_id")
        self.action = action_of(row)
        self.user = row.get("user_name") or ""
        self.time = row.get("time")
        self.request_id = row.get("request_id")
        self.object_repr = row.get("object_repr") or ""
        self.related_id = row.get("related_object_id")
        self.before = {}
        self.after = {}
        # Filled in once the edit is placed: the sync's name for the object, the managed fields it
        # touched, and what the run did about it.
        self.kind = None
        self.key = None
        self.label = "%s %s" % (self.object_type, self.object_repr)
        self.fields = []
        self.outcome = None

    def changed(self):
        """Top-level fields whose value differs before and after (custom fields one by one)."""
        if self.action != "update":
            return []
        names = []
        for name in sorted(set(self.before) | set(self.after)):
            if name in BOOKKEEPING or self.before.get(name) == self.after.get(name):
                continue
            if name == "custom_fields":
                before, after = self.before.get(name) or {}, self.after.get(name) or {}
                names.extend("custom_fields.%s" % k for k in sorted(set(before) | set(after))
                             if before.get(k) != after.get(k))
            else:
                names.append(name)
        return names

    def as_dict(self):
        return {"object": self.label, "type": self.object_type, "id": self.object_id, "action": self.action,
                "fields": list(self.fields), "user": self.user, "time": self.time, "outcome": self.outcome}

    @property
    def text(self):
        return edit_text(self.as_dict())


def edit_text(edit, time_text=None):
    """One hand edit (as ``Edit.as_dict`` gives it) for a person: object, what changed, who, when, what was done."""
    fields = edit.get("fields") or []
    what = {"update": "%s changed" % ", ".join(fields) if fields else "changed",
            "delete": "deleted", "create": "created"}.get(edit.get("action"), edit.get("action"))
    return "%s: %s by %s at %s (%s)" % (edit.get("object"), what, edit.get("user") or "someone",
                                        time_text or edit.get("time"), edit.get("outcome") or "seen")


class Sorted:
    """The changes since the mark, sorted out."""

    def __init__(self):
        self.edits = []
        self.full_reason = None
        self.ignored = 0

    def need_full(self, reason):
        self.full_reason = self.full_reason or reason


def _who(row):
    return "%s at %s" % (row.get("user_name") or "someone", row.get("time"))


def sort_changes(rows, basis, skip_requests=(), skip_ids=()):
    """Which of ``rows`` (light change-log rows) concern the fabric, and how."""
    result = Sorted()
    owned = basis.owned_ranges()
    shared = basis.shared_ranges()
    skip_requests = frozenset(skip_requests)
    skip_ids = frozenset(skip_ids)
    for row in rows:
        if row.get("request_id") in skip_requests or row.get("id") in skip_ids:
            continue
        object_type = row.get("changed_object_type")
        object_id = row.get("changed_object_id")
        action = action_of(row)
        if object_type in SCHEMA_TYPES:
            result.need_full("%s %s was %sd by %s" % (object_type, row.get("object_repr"), action, _who(row)))
        elif object_type in OWNED_TYPES and object_id in owned.get(object_type, ()):
            if object_type == "dcim.device" and action == "delete":
                result.need_full("device %s was deleted by %s" % (row.get("object_repr"), _who(row)))
            result.edits.append(Edit(row))
        elif action != "create" and object_id in shared.get(object_type, ()):
            # A shared kind, or an object of an owned kind that several fabrics share (a VRF named for them).
            result.need_full("shared object %s %s, which the fabric uses, was %sd by %s"
                             % (object_type, row.get("object_repr"), action, _who(row)))
        else:
            result.ignored += 1
    if len(result.edits) > EDIT_LIMIT:
        result.need_full("%d changes to the fabric's objects by others since the last run" % len(result.edits))
    return result
