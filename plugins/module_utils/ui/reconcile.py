# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make NetBox's named objects of one kind equal to a wanted list: create, update, delete, or report a conflict.

Only objects that carry the marker are changed or deleted; one of the same
name without it is a conflict, reported and left alone, as the sync does with
the fabric's own objects. Check mode plans and writes nothing.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.objects import is_marked

# Lists whose order NetBox does not keep or does not mean anything by.
UNORDERED = ("object_types", "event_types")


def normalize(field, value):
    """A field as NetBox reads it back: choices by value, tags by slug, text without its outer whitespace."""
    if isinstance(value, str):
        # NetBox's API trims every text field it stores.
        return value.strip()
    if field == "tags":
        return sorted(tag["slug"] if isinstance(tag, dict) else tag for tag in value or [])
    if isinstance(value, dict) and "value" in value and "label" in value:
        return value["value"]
    if field in UNORDERED and isinstance(value, list):
        return sorted(value)
    return value


class KindPlan:
    """What one kind needs: objects to create, updates (id, before, after), marked ones to delete, conflicts."""

    def __init__(self, spec):
        self.spec = spec
        self.create = []
        self.update = []
        self.delete = []
        self.conflicts = []

    @property
    def changed(self):
        return bool(self.create or self.update or self.delete)


def plan_kind(spec, wanted, rows):
    plan = KindPlan(spec)
    key = spec["key"]
    marked = dict((row[key], row) for row in rows if is_marked(spec["kind"], row))
    others = dict((row[key], row) for row in rows if not is_marked(spec["kind"], row))
    for obj in wanted:
        row = marked.get(obj[key])
        if row is None:
            if spec.get("unique", True) and obj[key] in others:
                plan.conflicts.append("%s %s exists and was not made by bootstrap: left alone"
                                      % (spec["kind"].replace("_", " "), obj[key]))
            else:
                plan.create.append(obj)
            continue
        before = dict((f, normalize(f, row.get(f))) for f in spec["fields"] if f in obj)
        after = dict((f, normalize(f, obj[f])) for f in spec["fields"] if f in obj)
        differs = [f for f in after if after[f] != before[f]]
        if differs:
            plan.update.append({"id": row["id"], "key": obj[key], "body": dict((f, obj[f]) for f in differs),
                                "before": dict((f, before[f]) for f in differs),
                                "after": dict((f, after[f]) for f in differs)})
    wanted_keys = set(obj[key] for obj in wanted)
    plan.delete = [{"id": row["id"], "key": k} for k, row in sorted(marked.items()) if k not in wanted_keys]
    return plan


class UiApplier:
    """Plans and applies kinds one at a time, so a later kind can name what an earlier one made."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode
        self.plans = []
        self.made = {}

    def read(self, spec):
        # The marker is in a field of every kind (a description, or a custom link's text).
        return self.client.list(spec["endpoint"], None, ("id", spec["key"]) + tuple(spec["fields"]))

    def upsert(self, spec, wanted):
        """Creates and updates one kind; returns the ids of the wanted objects by key (None: not made in check mode)."""
        rows = self.read(spec)
        plan = plan_kind(spec, wanted, rows)
        self.plans.append(plan)
        ids = dict((row[spec["key"]], row["id"]) for row in rows if is_marked(spec["kind"], row))
        if self.check_mode:
            return ids
        if plan.create:
            for row in self.client.create(spec["endpoint"], plan.create):
                ids[row[spec["key"]]] = row["id"]
        if plan.update:
            self.client.update(spec["endpoint"], [dict(change["body"], id=change["id"]) for change in plan.update])
        return ids

    def remove_stale(self):
        """Deletes the marked objects nothing wants any more, later kinds first (they name earlier ones)."""
        for plan in reversed(self.plans):
            if plan.delete and not self.check_mode:
                self.client.delete(plan.spec["endpoint"], [item["id"] for item in plan.delete])

    @property
    def changed(self):
        return any(plan.changed for plan in self.plans)

    def summary(self):
        found = {}
        for plan in self.plans:
            moves = {"create": sorted(o[plan.spec["key"]] for o in plan.create),
                     "update": sorted(c["key"] for c in plan.update),
                     "delete": sorted(d["key"] for d in plan.delete)}
            moves = dict((op, keys) for op, keys in moves.items() if keys)
            if moves:
                found[plan.spec["kind"]] = moves
        return found

    def conflicts(self):
        return [text for plan in self.plans for text in plan.conflicts]

    def diff(self):
        entries = []
        for plan in self.plans:
            kind = plan.spec["kind"].replace("_", " ")
            for obj in plan.create:
                entries.append(_entry("%s %s (create)" % (kind, obj[plan.spec["key"]]), {}, obj))
            for change in plan.update:
                entries.append(_entry("%s %s (update)" % (kind, change["key"]), change["before"], change["after"]))
            for item in plan.delete:
                entries.append(_entry("%s %s (delete)" % (kind, item["key"]), {"id": item["id"]}, {}))
        return entries


def _entry(header, before, after):
    return {"before_header": header, "after_header": header, "before": before, "after": after}
