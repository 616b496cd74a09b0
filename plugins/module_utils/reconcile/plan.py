# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired state + NetBox inventory -> the plan: what to create, update, delete, and what to leave alone.

Only fields the sync manages are compared; tags are merged (ours added, nobody
else's removed); custom fields are compared key by key. An object NetBox holds
without this fabric's marker is a conflict, unless it is a port NetBox made
from the device type of a device this fabric owns (such a port belongs to the
fabric through its device and gets no marker of its own), or the fabric adopts.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref, iter_refs
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.keys import device_of, nested_id
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    ADOPTED_FIELD,
    FABRIC_FIELD,
    ORPHAN_TAG,
    ORPHANED_SINCE_FIELD,
    SWITCH_GROUP_TAG_PREFIX,
    SYNC_TAG,
    owner_of,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import (
    COMPONENT_DEFAULTS,
    KEY_ONLY_FIELDS,
    MODELS,
    ORDER,
    PARENT_FIELD,
    SPECS,
    UNORDERED_FIELDS,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem

# Kinds that objects of another kind are also known as (a LAG is an interface).
ALIASED_KINDS = frozenset(spec.also[0] for spec in MODELS if spec.also)

WRITE_OPS = ("create", "update", "delete", "mark", "release")
ALL_OPS = WRITE_OPS + ("unchanged", "conflict", "blocked", "kept")


class Pending:
    """An object this run creates: its id is unknown until then."""

    def __repr__(self):
        return "<pending>"


PENDING = Pending()


class Action:
    __slots__ = ("op", "kind", "key", "label", "desired", "record", "changes", "reason", "late")

    def __init__(self, op, kind, key, label, desired=None, record=None, changes=None, reason=None, late=False):
        self.op = op
        self.kind = kind
        self.key = key
        self.label = label
        self.desired = desired
        self.record = record
        self.changes = changes or {}
        self.reason = reason
        self.late = late


class Plan:
    """Every action of one run, and the problems met while planning."""

    def __init__(self, fabric):
        self.fabric = fabric
        self.actions = []
        self.problems = []
        # (device, port) -> the port NetBox makes from a template when it makes a new device.
        self.template_rows = {}
        # (remade create or None, the action it replaced, the deletions that take the object along).
        self.cascades = []

    def add(self, action):
        self.actions.append(action)
        return action

    def undo_held_cascades(self):
        """Put back the action of an object remade for a deletion that takes it along, once every such deletion
        is held: NetBox keeps the object, so patching it stays right and a new copy would be a duplicate."""
        waiting = []
        for remade, original, causes in self.cascades:
            if any(cause.op == "delete" for cause in causes):
                waiting.append((remade, original, causes))
            elif remade is None:
                self.actions.append(original)
            else:
                self.actions[self.actions.index(remade)] = original
        self.cascades = waiting

    def select(self, op, kind=None, late=None):
        return [a for a in self.actions if a.op == op and (kind is None or a.kind == kind)
                and (late is None or a.late == late)]

    def counts(self):
        """Actions per kind and op; an object counts once (a late field of a created object is its creation)."""
        ops = OrderedDict()
        for action in self.actions:
            slot = (action.kind, action.key)
            previous = ops.get(slot)
            if previous is None or (action.late and previous == "unchanged"):
                ops[slot] = action.op
        counts = OrderedDict()
        for (kind, _key), op in ops.items():
            counts.setdefault(kind, OrderedDict((name, 0) for name in ALL_OPS))[op] += 1
        return counts

    @property
    def changed(self):
        return any(a.op in WRITE_OPS for a in self.actions)

    def writes(self):
        return [a for a in self.actions if a.op in WRITE_OPS]


def normalize(value):
    """A value as NetBox returns it -> the shape the sync writes (ids for nested objects, values for choices)."""
    if isinstance(value, dict):
        if "id" in value:
            return value["id"]
        if "value" in value and "label" in value:
            return value["value"]
        return dict((k, normalize(v)) for k, v in value.items())
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


class Planner:
    def __init__(self, desired, inventory, fabric, tag_ids, adopt=frozenset(), prune="delete", orphan_grace=0,
                 now=None, kept=None, only=None, prune_ids=None):
        self.desired = desired
        self.inventory = inventory
        self.fabric = fabric
        self.tag_ids = tag_ids
        self.adopt = adopt
        self.prune = prune
        self.orphan_grace = orphan_grace
        self.now = now
        # Hand edits left alone by policy: their fields are not compared while the fabric wants what it wanted then.
        self.kept = kept
        # A targeted plan: only these (kind, key) are planned, only rows with these ids may be pruned;
        # the other desired objects are there for their ids.
        self.only = only
        self.prune_ids = prune_ids
        self.plan = Plan(fabric)
        # Keys that will exist after the run (current usable + created), per kind.
        self.available = dict((kind, set()) for kind in ORDER)
        self.unusable = dict((kind, {}) for kind in ORDER)
        self.pruned_devices = set()
        # Owned rows found under an old key, by kind: the address part of the key -> old keys.
        self.relocations = {}
        self.relocated = {}

    # -- references ---------------------------------------------------------

    def resolve(self, value):
        """Desired value -> comparable value: refs become ids, or PENDING for objects made in this run."""
        if isinstance(value, Ref):
            if value.kind == "tag" and value.key in self.tag_ids:
                return self.tag_ids[value.key]
            object_id = self.inventory.id_of(value.kind, value.key)
            return object_id if object_id is not None else PENDING
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return dict((k, self.resolve(v)) for k, v in value.items())
        return value

    def _missing_ref(self, obj, late=False):
        for ref in iter_refs(obj.late if late else obj.fields):
            if ref.kind == "tag":
                continue
            if ref.key in self.available.get(ref.kind, ()):
                continue
            why = self.unusable.get(ref.kind, {}).get(ref.key, "it is not in the fabric's NetBox objects")
            return "needs %s %s, but %s" % (ref.kind.replace("_", " "), _show(ref.key), why)
        return None

    # -- planning -----------------------------------------------------------

    def make(self):
        for kind in ORDER:
            self._plan_kind(kind)
        self._plan_late()
        self._plan_prune()
        self._remake_cascaded()
        return self.plan

    def _plan_kind(self, kind):
        spec = SPECS[kind]
        records = self.inventory.records[kind]
        for key, row in records.items():
            if not spec.owned or owner_of(row) == self.fabric or self._component_of_ours(kind, key, row):
                self.available[kind].add(key)
        if kind in ALIASED_KINDS:
            # Objects known by another kind's key (a LAG as an interface) count for that kind too.
            self.available[kind].update(self.inventory.ids.get(kind, {}))
        for (contested_kind, key), definitions in self.desired.contests.items():
            if contested_kind == kind:
                # Nothing may be pointed at it while it is contested: not even at what NetBox holds.
                self._unusable(kind, key, "it is defined %d times differently" % len(definitions))
        for key, obj in self.desired.of(kind).items():
            if self.only is not None and (kind, key) not in self.only:
                continue
            row = records.get(key)
            if row is None:
                row = self.plan.template_rows.get(key)
            if row is None and spec.relocatable:
                row = self._relocated_row(spec, key)
            self._plan_object(spec, key, obj, row)

    def _component_of_ours(self, kind, key, row):
        """A port NetBox made from the template of a device this fabric holds: ours through the device."""
        obj = self.desired.get(kind, key)
        device = device_of(row, self.inventory)
        return (obj is not None and obj.component and owner_of(row) is None
                and device in self.available.get("device", ()))

    def _plan_object(self, spec, key, obj, row):
        kind = spec.kind
        missing = self._missing_ref(obj)
        if missing:
            self._unusable(kind, key, "it was skipped: %s" % missing)
            self.plan.add(Action("blocked", kind, key, obj.label, obj, row, reason=missing))
            return
        if row is None and spec.extends and not self._parent_is_ours(spec, obj):
            # Added to a device type someone else made, it would change every device of that type.
            self.plan.add(Action("kept", kind, key, obj.label, obj, reason="not added: its %s was not made by the "
                                 "sync" % spec.extends[0].replace("_", " ")))
            return
        if row is None:
            self.plan.add(Action("create", kind, key, obj.label, obj, changes=self._create_fields(spec, obj)))
            self._now_available(kind, key, obj)
            if kind == "device":
                self._expect_template_ports(key, obj)
            return
        if not spec.owned or obj.shared:
            self.plan.add(Action("unchanged", kind, key, obj.label, obj, row))
            self.available[kind].add(key)
            return
        owner = owner_of(row)
        if owner not in (None, self.fabric):
            self._conflict(spec, key, obj, row, "it belongs to fabric %s" % owner)
            return
        adopting = owner is None and not obj.component
        if adopting and kind not in self.adopt:
            self._conflict(spec, key, obj, row, "NetBox already has it and it is not owned by fabric %s "
                                                "(add %s to adopt to take it over)" % (self.fabric, kind))
            return
        changes = self._changes(spec, obj, row)
        if adopting:
            # Remembered on the object, so that it is given back, never deleted, when it leaves the fabric.
            changes.setdefault("custom_fields", {})[ADOPTED_FIELD] = True
        op = "update" if changes else "unchanged"
        self.plan.add(Action(op, kind, key, obj.label, obj, row, changes=changes))
        self._now_available(kind, key, obj)

    def _parent_is_ours(self, spec, obj):
        """Whether the parent ``spec.extends`` names is made in this run or carries the sync's tag."""
        kind, field = spec.extends
        parent = self.inventory.records[kind].get(obj.fields[field].key)
        if parent is None:
            return True
        return self.tag_ids.get(SYNC_TAG) in [normalize(t) for t in parent.get("tags") or []]

    def _now_available(self, kind, key, obj):
        self.available[kind].add(key)
        alias = SPECS[kind].alias(key, obj.fields.get("name"))
        if alias:
            self.available[alias[0]].add(alias[1])

    def _unusable(self, kind, key, why):
        self.unusable[kind][key] = why
        self.available[kind].discard(key)

    def _conflict(self, spec, key, obj, row, why):
        self._unusable(spec.kind, key, "it is in conflict: %s" % why)
        self.plan.add(Action("conflict", spec.kind, key, obj.label, obj, row, reason=why))

    def _expect_template_ports(self, device_key, obj):
        """A new device gets a port per interface template of its type; later kinds can use them.

        The rows are what NetBox will hold once it made the device: the plan
        compares the desired ports against them, and the applier learns their
        ids after creating the devices.
        """
        device_type = obj.fields["device_type"].key
        templates = self.available["interface_template"]
        for (type_key, name), template in self.desired.of("interface_template").items():
            key = (device_key, name)
            if type_key != device_type or key in self.inventory.records["interface"] or (type_key, name) not in templates:
                continue
            # The device's id is known once it is made, as the desired reference to it resolves.
            self.plan.template_rows.setdefault(key, dict(
                COMPONENT_DEFAULTS, tagged_vlans=[], id=None, name=name, description="", enabled=True, tags=[],
                type={"value": template.fields["type"], "label": template.fields["type"]},
                mgmt_only=template.fields["mgmt_only"], custom_fields={},
                device={"id": PENDING, "name": device_key}))
            self.available["interface"].add(key)

    def _relocated_row(self, spec, key):
        """An owned row that holds this object in another address space (an earlier layout, or other options).

        Moving it is an update: the object keeps its id, so a device keeps
        its primary IP and nothing that refers to it breaks.
        """
        if spec.kind not in self.relocations:
            wanted = self.desired.of(spec.kind)
            found = self.relocations[spec.kind] = {}
            for old_key, row in self.inventory.owned(spec.kind).items():
                if old_key not in wanted:
                    found.setdefault(spec.relocatable(old_key), []).append(old_key)
        candidates = self.relocations[spec.kind].get(spec.relocatable(key))
        if not candidates:
            return None
        old_key = candidates.pop(0)
        row = self.inventory.records[spec.kind][old_key]
        self.relocated.setdefault(spec.kind, set()).add(old_key)
        if old_key[0] is not None:
            # NetBox refuses to delete a VRF that still holds addresses, and the
            # moves are written after the deletions: the old VRF goes next run.
            self.relocated.setdefault("vrf", set()).add(old_key[0])
        self.inventory.register(spec.kind, key, row.get("id"))
        return row

    def _create_fields(self, spec, obj):
        fields = dict(obj.fields)
        fields["tags"] = [Ref("tag", SYNC_TAG)] + [Ref("tag", slug) for slug in obj.tags]
        if obj.component and "description" not in fields:
            # A port the sync makes itself (its device type has no template of that name, as on a
            # device type someone else made) carries the template's NOS name in its own description.
            nos_name = self._template_description(obj)
            if nos_name:
                fields["description"] = nos_name
        if spec.owned and not obj.shared:
            custom = dict(fields.get("custom_fields") or {})
            custom[FABRIC_FIELD] = self.fabric
            fields["custom_fields"] = custom
        return fields

    def _template_description(self, obj):
        device = self.desired.get("device", obj.fields["device"].key)
        if device is None:
            return None
        template = self.desired.get("interface_template", (device.fields["device_type"].key, obj.fields["name"]))
        return template.fields.get("description") if template is not None else None

    def _changes(self, spec, obj, row):
        changes = {}
        kept = self.kept.fields_kept(spec.kind, obj) if self.kept is not None else ()
        for field, want in obj.fields.items():
            if field in KEY_ONLY_FIELDS or field in kept:
                continue
            if field == "custom_fields":
                continue
            want_value, have = self.resolve(want), normalize(row.get(field))
            if field in UNORDERED_FIELDS:
                want_value, have = _unordered(want_value), _unordered(have)
            if want_value != have:
                changes[field] = want
        custom = dict(obj.fields.get("custom_fields") or {})
        if not obj.component:
            # A port NetBox made from its device's template belongs to the fabric
            # through the device: marking each one would be a write per port.
            custom[FABRIC_FIELD] = self.fabric
        have_custom = row.get("custom_fields") or {}
        if have_custom.get(ORPHANED_SINCE_FIELD):
            custom[ORPHANED_SINCE_FIELD] = None
        custom_changes = dict((k, v) for k, v in custom.items()
                              if normalize(have_custom.get(k)) != self.resolve(v)
                              and "custom_fields.%s" % k not in kept)
        if custom_changes:
            changes["custom_fields"] = custom_changes
        tags = self._wanted_tags(row, obj)
        if tags is not None and "tags" not in kept:
            changes["tags"] = tags
        return changes

    def _wanted_tags(self, row, obj):
        """The record's tags with ours in place, or None when nothing changes.

        The sync tag is added, the orphan tag and SwitchGroup tags the object
        no longer has are removed; every other tag stays.
        """
        kept, have_slugs, changed = [], set(), False
        orphan_id = self.tag_ids.get(ORPHAN_TAG)
        for tag in row.get("tags") or []:
            tag_id = normalize(tag)
            slug = tag.get("slug") if isinstance(tag, dict) else None
            stale_group = bool(slug) and slug.startswith(SWITCH_GROUP_TAG_PREFIX) and slug not in obj.tags
            if (orphan_id is not None and tag_id == orphan_id) or stale_group:
                changed = True
                continue
            kept.append(tag_id)
            have_slugs.add(slug)
        have_ids = set(kept)
        # A port NetBox made from its device's template belongs to the fabric through the device: no sync tag.
        for slug in (() if obj.component else (SYNC_TAG,)) + obj.tags:
            known_id = self.tag_ids.get(slug)
            if slug in have_slugs or (known_id is not None and known_id in have_ids):
                continue
            kept.append(Ref("tag", slug))
            changed = True
        return kept if changed else None

    def _merged_tags(self, row, add=None, remove=None):
        """The record's tags with ours added/removed, or None when nothing changes. Foreign tags stay."""
        have = [normalize(t) for t in row.get("tags") or []]
        add_id = self.tag_ids.get(add) if add else None
        remove_id = self.tag_ids.get(remove) if remove else None
        result = [t for t in have if t != remove_id or remove_id is None]
        needs_add = add is not None and (add_id is None or add_id not in have)
        if needs_add:
            result.append(Ref("tag", add))
        if not needs_add and len(result) == len(have):
            return None
        return result

    # -- late fields ------------------------------------------------------------

    def _plan_late(self):
        settled = dict(((a.kind, a.key), a) for a in self.plan.actions if a.op in ("create", "update", "unchanged"))
        for kind in ORDER:
            for key, obj in self.desired.of(kind).items():
                action = settled.get((kind, key))
                if not obj.late or action is None or self._contested_ref(obj.late):
                    # A late field that points at a contested object stays as NetBox has it.
                    continue
                missing = self._missing_ref(obj, late=True)
                if missing:
                    self.plan.problems.append(Problem.about(kind, obj.label, "left without %s: %s" % (
                        ", ".join(sorted(obj.late)), missing)))
                    continue
                row = action.record or {}
                changes = dict((f, v) for f, v in obj.late.items() if self.resolve(v) != normalize(row.get(f)))
                if changes:
                    self.plan.add(Action("update", kind, key, obj.label, obj, action.record, changes=changes,
                                         late=True))

    def _contested_ref(self, fields):
        return any((ref.kind, ref.key) in self.desired.contests for ref in iter_refs(fields))

    # -- pruning ------------------------------------------------------------------

    def _plan_prune(self):
        if self.prune != "keep" and self.prune_ids is None:
            wanted = self.desired.of("device")
            self.pruned_devices = set(key for key, row in self.inventory.owned("device").items()
                                      if key not in wanted and not _adopted(row))
        for kind in reversed(ORDER):
            spec = SPECS[kind]
            if not spec.owned or kind == "cluster":
                continue
            wanted = self.desired.of(kind)
            moved = self.relocated.get(kind, ())
            for key, row in self.inventory.owned(kind).items():
                if key in wanted or (self.prune_ids is not None and row.get("id") not in self.prune_ids):
                    continue
                if key in moved:
                    if kind == "vrf":
                        self.plan.add(Action("kept", kind, key, "VRF %s" % key, record=row,
                                             reason="its addresses move out in this run; it goes in the next"))
                    continue
                label = "%s %s" % (kind.replace("_", " "), _show(key))
                if self._cascades(kind, row):
                    continue
                if (kind, key) in self.desired.contests:
                    self.plan.add(Action("kept", kind, key, label, record=row,
                                         reason="defined %d times differently; kept as NetBox has it"
                                         % len(self.desired.contests[(kind, key)])))
                    continue
                if kind == "interface" and self._is_template_port(row):
                    changes = self._release(row)
                    if changes:
                        self.plan.add(Action("release", kind, key, label, record=row, changes=changes))
                    continue
                if _adopted(row):
                    self.plan.add(Action("release", kind, key, label, record=row, changes=self._give_back(row),
                                         reason="adopted: given back as found"))
                    continue
                self._prune_one(spec, key, row, label)

    def _prune_one(self, spec, key, row, label):
        if self.prune == "keep":
            self.plan.add(Action("kept", spec.kind, key, label, record=row))
            return
        if self.prune == "mark":
            since = (row.get("custom_fields") or {}).get(ORPHANED_SINCE_FIELD)
            if not since:
                changes = dict(spec.mark)
                changes["custom_fields"] = {ORPHANED_SINCE_FIELD: self.now.isoformat() if self.now else None}
                tags = self._merged_tags(row, add=ORPHAN_TAG)
                if tags is not None:
                    changes["tags"] = tags
                self.plan.add(Action("mark", spec.kind, key, label, record=row, changes=changes))
                return
            if not _older_than(since, self.now, self.orphan_grace):
                self.plan.add(Action("kept", spec.kind, key, label, record=row, reason="orphaned since %s" % since))
                return
        self.plan.add(Action("delete", spec.kind, key, label, record=row))

    def _cascades(self, kind, row):
        """Interfaces go (or are marked) with their device, so they get no action of their own."""
        parent = PARENT_FIELD.get(kind)
        if not parent:
            return False
        return device_of(row, self.inventory) in self.pruned_devices

    def _is_template_port(self, row):
        return is_template_port(self.inventory, row)

    # -- what a deletion takes with it -------------------------------------------------

    def _remake_cascaded(self):
        """Objects NetBox deletes with a deleted device or port are made anew, not patched by id.

        Deleting a device deletes its ports, and deleting a port deletes the IP
        addresses on it: an IP the plan moves from a deleted switch to another
        one would be patched by an id that no longer exists. Such an object is
        created after the deletions instead, and whatever else the plan had for
        it (a mark, a release) is dropped; ``Plan.undo_held_cascades`` puts the
        action back when a guard holds the deletion. (Only devices have late
        fields, and no deletion takes a device with it.)
        """
        deletions = dict(((a.kind, a.record["id"]), a) for a in self.plan.actions if a.op == "delete")
        # Ports, LAGs and subinterfaces are all NetBox interfaces: one id space.
        port_causes = {}
        for kind in ("lag", "interface", "subinterface"):
            for row in self.inventory.records[kind].values():
                causes = [deletions[slot] for slot in ((kind, row.get("id")), ("device", nested_id(row.get("device"))))
                          if slot in deletions]
                if causes:
                    port_causes[row.get("id")] = causes
        address_causes = dict((row.get("id"), port_causes[row.get("assigned_object_id")])
                              for row in self.inventory.records["ip_address"].values()
                              if row.get("assigned_object_type") == "dcim.interface"
                              and row.get("assigned_object_id") in port_causes)
        vanishing = {"ip_address": address_causes, "lag": port_causes, "interface": port_causes,
                     "subinterface": port_causes}
        kept = []
        for action in self.plan.actions:
            causes = vanishing.get(action.kind, {}).get((action.record or {}).get("id"))
            if action.op == "delete" or not causes:
                kept.append(action)
                continue
            remade = None
            if action.op in ("update", "unchanged") and action.desired is not None:
                remade = Action("create", action.kind, action.key, action.label, action.desired,
                                changes=self._create_fields(SPECS[action.kind], action.desired))
                kept.append(remade)
            self.plan.cascades.append((remade, action, causes))
        self.plan.actions = kept

    def _release(self, row):
        """A template port the fabric stops describing: back to the defaults, marker and tags off."""
        changes = dict((f, v) for f, v in COMPONENT_DEFAULTS.items() if normalize(row.get(f)) != v)
        changes.update(self._unmarked(row))
        return changes

    def _give_back(self, row):
        """An adopted object that left the fabric: marker and tags off, its fields as they are."""
        changes = self._unmarked(row)
        changes["custom_fields"].update({ADOPTED_FIELD: None, ORPHANED_SINCE_FIELD: None})
        return changes

    def _unmarked(self, row):
        """The changes that take the fabric's marker and tags off a row (foreign tags stay)."""
        changes = {"custom_fields": {FABRIC_FIELD: None}}
        have = [normalize(t) for t in row.get("tags") or []]
        ours = set(self.tag_ids.get(t) for t in (SYNC_TAG, ORPHAN_TAG))
        if any(t in ours for t in have):
            changes["tags"] = [t for t in have if t not in ours]
        return changes


def is_template_port(inventory, row):
    """Whether a port row is one NetBox made from its device's type (an interface template of that name)."""
    device = inventory.records["device"].get(device_of(row, inventory))
    if device is None:
        return False
    type_key = inventory.key_of_id("device_type", normalize(device.get("device_type")))
    return (type_key, row.get("name")) in inventory.records["interface_template"]


def _adopted(row):
    return bool((row.get("custom_fields") or {}).get(ADOPTED_FIELD))


def _show(key):
    """A key as a person reads it: ``leaf-01/E1/1``; a cable's two ends ``leaf-01/E1/1-server-01/enp2s1``."""
    if isinstance(key, tuple):
        parts = [part for part in key if part is not None]
        joint = "-" if parts and all(isinstance(part, tuple) for part in parts) else "/"
        return joint.join(_show(part) for part in parts) or str(key)
    return str(key)


def _unordered(value):
    return sorted(value, key=repr) if isinstance(value, list) else value


def _older_than(since, now, seconds):
    if now is None:
        return False
    try:
        stamp = datetime.fromisoformat(str(since).replace("Z", "+00:00"))
    except ValueError:
        return True
    if stamp.tzinfo is None and now.tzinfo is not None:
        stamp = stamp.replace(tzinfo=now.tzinfo)
    return (now - stamp).total_seconds() >= seconds


def make_plan(desired, inventory, fabric, tag_ids, adopt=frozenset(), prune="delete", orphan_grace=0, now=None,
              kept=None, only=None, prune_ids=None):
    return Planner(desired, inventory, fabric, tag_ids, adopt=adopt, prune=prune, orphan_grace=orphan_grace, now=now,
                   kept=kept, only=only, prune_ids=prune_ids).make()
