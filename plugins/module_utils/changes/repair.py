# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Put the objects others edited back in place: which desired objects an edit touches, and what to read for them.

An edited object is read by its id (a deleted one is known from the change
record's data); its key tells which desired object it is. The scope of the
targeted run is those objects, the ones that refer to a deleted one (NetBox
clears such references without logging a change), and, only for their ids,
the objects they refer to. Edits that cannot be placed this way ask for a full
reconcile instead.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import Scope
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import DesiredState, iter_refs
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import (
    MODELS,
    ORDER,
    SPECS,
    interface_kind,
)

INTERFACE_KINDS = ("lag", "interface", "subinterface")
# The reference a deleted object's key needs a name for, per object type: (field, endpoint).
NAMED_REFERENCES = {
    "dcim.interface": ("device", "dcim/devices"),
    "ipam.vlan": ("group", "ipam/vlan-groups"),
    "ipam.prefix": ("vrf", "ipam/vrfs"),
    "ipam.ipaddress": ("vrf", "ipam/vrfs"),
    "ipam.iprange": ("vrf", "ipam/vrfs"),
}
CHOICE_FIELDS = ("type", "status", "mode", "role")
# The fields whose objects a kind's lookup needs in the inventory to find and key its rows.
LOOKUP_NEEDS = {"device": ("site",), "vlan": ("group",), "prefix": ("vrf",), "ip_address": ("vrf",),
                "ip_range": ("vrf",), "lag": ("device",), "interface": ("device",), "subinterface": ("device",),
                "cable": "*"}


class NeedFull(Exception):
    """The edits cannot be repaired one by one; the message says why."""


def kinds_of(object_type):
    return [spec.kind for spec in MODELS if spec.owned and spec.object_type == object_type]


def endpoint_of(object_type):
    return SPECS[kinds_of(object_type)[0]].endpoint


def read_fields(object_type):
    return tuple(dict.fromkeys(f for kind in kinds_of(object_type) for f in SPECS[kind].read_fields()))


def api_row(object_type, object_id, data, names):
    """A change record's object data (plain ids and values) in the shape the API lists rows."""
    row = dict(data, id=object_id)
    for choice in CHOICE_FIELDS:
        if isinstance(row.get(choice), str):
            row[choice] = {"value": row[choice], "label": row[choice]}
    reference = NAMED_REFERENCES.get(object_type)
    if reference is not None and row.get(reference[0]) is not None:
        target = row[reference[0]]
        row[reference[0]] = {"id": target, "name": names.get((reference[1], target))}
    return row


def kind_of(object_type, row):
    kinds = kinds_of(object_type)
    if len(kinds) == 1:
        return kinds[0]
    return interface_kind(row)


class Placed:
    """One edited object: its kind, its key, its row now (None once deleted) and whether it is gone."""

    def __init__(self, edit, kind, key, row, gone):
        self.edit = edit
        self.kind = kind
        self.key = key
        self.row = row
        self.gone = gone


class RepairScope:
    """Works out the scope of a targeted run from the edits."""

    def __init__(self, client, changelog, desired, basis):
        self.client = client
        self.changelog = changelog
        self.desired = desired
        self.basis = basis

    def place(self, edits):
        """Each edited object (the last change of each) with its kind and key; raises NeedFull."""
        last, renamed = {}, set()
        for edit in sorted(edits, key=lambda e: e.change_id):
            last[(edit.object_type, edit.object_id)] = edit
            if _renames(edit):
                renamed.add((edit.object_type, edit.object_id))
        current = self._current_rows(last)
        names = self._names(last, current)
        placed = []
        for slot, edit in sorted(last.items(), key=lambda item: item[1].change_id):
            row = current.get(slot)
            gone = row is None
            if gone:
                data = edit.before if edit.action == "delete" else (edit.after or edit.before)
                row = api_row(edit.object_type, edit.object_id, data, names)
            kind = kind_of(edit.object_type, row)
            if slot in renamed and not gone:
                # The full reconcile finds it under its old name in the change log and renames it back in place.
                raise NeedFull("%s was renamed by hand" % edit.label)
            key = self._key(kind, edit, row, gone)
            if key is None:
                raise NeedFull("%s cannot be told apart from the change log" % edit.label)
            placed.append(Placed(edit, kind, key, None if gone else row, gone))
        return placed

    def _current_rows(self, last):
        by_type = {}
        for object_type, object_id in last:
            by_type.setdefault(object_type, []).append(object_id)
        current = {}
        for object_type, ids in by_type.items():
            for row in self.client.list_by(endpoint_of(object_type), "id", ids, fields=read_fields(object_type)):
                current[(object_type, row["id"])] = row
        return current

    def _names(self, last, current):
        """Names of the objects deleted objects referred to by id (a port's device, an IP's VRF)."""
        wanted = {}
        for (object_type, object_id), edit in last.items():
            reference = NAMED_REFERENCES.get(object_type)
            if reference is None or (object_type, object_id) in current:
                continue
            data = edit.before if edit.action == "delete" else (edit.after or edit.before)
            if data.get(reference[0]) is not None:
                wanted.setdefault(reference[1], set()).add(data[reference[0]])
        names = {}
        for endpoint, ids in wanted.items():
            for row in self.client.list_by(endpoint, "id", sorted(ids), fields=("id", "name")):
                names[(endpoint, row["id"])] = row.get("name")
        return names

    def _key(self, kind, edit, row, gone):
        if kind == "cable":
            return self._cable_key(edit, row, gone)
        return SPECS[kind].plain_key(row)

    def _cable_key(self, edit, row, gone):
        """The two ends' port keys, from the cable's terminations (or, once deleted, from its change record)."""
        if gone:
            ends = self.changelog.terminations([edit.request_id])
            ids = [ends.get(t) for t in list(edit.before.get("a_terminations") or []) +
                   list(edit.before.get("b_terminations") or [])]
        else:
            rows = self.client.list("dcim/cable-terminations", {"cable_id": row["id"]},
                                    fields=("cable", "termination_type", "termination_id"))
            ids = [r.get("termination_id") for r in rows if r.get("termination_type") == "dcim.interface"]
        if len(ids) != 2 or None in ids:
            return None
        ports = dict((r["id"], (nested_name(r.get("device")), r.get("name"))) for r in self.client.list_by(
            "dcim/interfaces", "id", ids, fields=("id", "name", "device")))
        if len(ports) != 2:
            return None
        return tuple(sorted(ports.values()))

    # -- the scope ------------------------------------------------------------------

    def scope(self, placed):
        """The targeted run's Scope for the placed edits."""
        affected, prune_ids, rows = set(), set(), {}
        dependents = None
        for item in placed:
            slot = (item.kind, item.key)
            wanted = self.desired.get(item.kind, item.key) is not None
            if item.row is not None:
                rows.setdefault(item.kind, []).append(item.row)
                if not wanted:
                    prune_ids.add(item.edit.object_id)
            if wanted:
                affected.add(slot)
            if item.gone and wanted:
                if dependents is None:
                    dependents = self._dependents()
                affected.update(dependents.get(slot, ()))
        context = self._context(affected, placed)
        return Scope(self._subset(affected | context), rows, affected, prune_ids, self.basis.owned_total())

    def _dependents(self):
        """(kind, key) -> the desired objects that refer to it."""
        found = {}
        for kind, objects in self.desired.objects.items():
            for key, obj in objects.items():
                for ref in obj.refs():
                    if ref.kind != "tag":
                        found.setdefault((ref.kind, ref.key), set()).add((kind, key))
        return found

    def _context(self, affected, placed):
        """What the affected objects refer to, and what those need to be found by their keys."""
        todo = []
        for kind, key in affected:
            # SwitchGroup tags too: they are desired objects the planner finds by their ids.
            todo.extend((ref.kind, ref.key) for ref in self.desired.get(kind, key).refs())
            todo.extend(self._lookup_needs(kind, key))
        todo.extend(("device", item.key[0]) for item in placed if item.kind in INTERFACE_KINDS)
        context = set()
        while todo:
            slot = todo.pop()
            if slot in context or slot in affected or self.desired.get(*slot) is None:
                continue
            context.add(slot)
            todo.extend(self._lookup_needs(*slot))
        return context

    def _lookup_needs(self, kind, key):
        """The objects a lookup of this kind needs in the inventory first (a port's device, a VLAN's group)."""
        obj = self.desired.get(kind, key)
        if obj is None:
            return []
        fields = LOOKUP_NEEDS.get(kind)
        values = obj.fields.values() if fields == "*" else [obj.fields.get(name) for name in fields or ()]
        return [(ref.kind, ref.key) for ref in iter_refs(list(values)) if ref.kind != "tag"]

    def _subset(self, wanted):
        subset = DesiredState(self.desired.fabric)
        for kind in ORDER:
            for key, obj in self.desired.of(kind).items():
                if (kind, key) in wanted:
                    subset.add(obj)
        return subset


def _renames(edit):
    """Whether the edit changed the field a kind that is renamed back in place is keyed by (a device's name)."""
    if edit.action != "update":
        return False
    for kind in kinds_of(edit.object_type):
        field = getattr(SPECS[kind].lookup, "renames", None)
        if field and edit.before.get(field) != edit.after.get(field):
            return True
    return False


def nested_name(value):
    return value.get("name") if isinstance(value, dict) else None


def locate(inventory, edit):
    """(kind, key) of an edited object the inventory holds, by its id (None when it does not)."""
    for kind in kinds_of(edit.object_type):
        key = inventory.key_of_id(kind, edit.object_id)
        if key is not None:
            return kind, key
    return None
