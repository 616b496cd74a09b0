# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Guards on a plan, before anything is written.

- ``check_deletions`` refuses a plan that would delete on doubtful grounds.
- ``hold_dependents`` keeps as NetBox has it everything derived from a source
  object that is skipped, unsupported, unreadable or claimed twice: its
  removals, its updates and its releases, and nothing else of the fabric.
  What is held is found on what NetBox holds (``provenance.py``): the snapshot
  names what is held as tokens, each NetBox row says what it was made from.
  An object the plan remade because a deletion would take it along is NetBox's
  again once that deletion is held: its own action comes back and is held in turn.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import GuardError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ipam import vlan_key
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref, iter_refs
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import held
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, PARENT_FIELD, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import owner_of
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import normalize
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.provenance import Provenance
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import WIRING_KINDS

REMOVING_OPS = ("delete", "mark", "release")
# How many objects a held-change problem names before it counts the rest.
SHOWN = 5


def check_deletions(plan, inventory, source, fabric, max_delete_ratio, force=False, owned_total=None):
    """Raise GuardError when the plan removes objects and one of the guards says it must not.

    - a read of the source failed or came back cut short (never overridable:
      the fabric's real state is unknown until the next read; a kind that is
      lastingly unreadable holds back only what depends on it, see
      ``hold_dependents``);
    - the source holds no wiring at all while NetBox holds objects of the fabric;
    - more than ``max_delete_ratio`` of the fabric's objects would go (``owned_total``
      of them when a targeted run says so).
    """
    removing = [a for a in plan.actions if a.op in REMOVING_OPS]
    if not removing:
        return
    # A targeted run reads a few objects: the share is of the whole fabric, as the last full run counted it.
    owned = owned_total or sum(len(inventory.owned(kind)) for kind in ORDER if SPECS[kind].owned)
    # A device's ports and LAGs go with it without actions of their own; they
    # are in ``owned`` and must count as going, or a source that lost most
    # devices would pass the ratio guard on the strength of their ports.
    gone = dict((kind, set(a.key for a in removing if a.kind == kind)) for kind, _f in PARENT_FIELD.values())
    going = len(removing) + sum(1 for kind, (parent, field) in PARENT_FIELD.items()
                                for row in inventory.owned(kind).values()
                                if (row.get(field) or {}).get("name") in gone[parent])
    failed = source.failed
    if failed:
        raise GuardError(
            "refusing to delete %d object(s): the read of %s failed or was cut short (%s); nothing was written"
            % (going, ", ".join(sorted(failed)), "; ".join("%s: %s" % item for item in sorted(failed.items()))),
            fabric=fabric, details={"guard": "incomplete_source", "deletions": going})
    if force:
        return
    if not any(source.count().get(kind) for kind in WIRING_KINDS):
        raise GuardError(
            "refusing to delete %d object(s): the source has no switches, servers or connections while NetBox "
            "holds %d object(s) of the fabric; set force: true if the fabric really is empty" % (going, owned),
            fabric=fabric, details={"guard": "empty_source", "deletions": going, "owned": owned})
    ratio = float(going) / owned if owned else 1.0
    if ratio > max_delete_ratio:
        raise GuardError(
            "refusing to delete %d of %d object(s) (%.0f%% > max_delete_ratio %.0f%%); set force: true to allow it"
            % (going, owned, ratio * 100, max_delete_ratio * 100),
            fabric=fabric, details={"guard": "max_delete_ratio", "deletions": going, "owned": owned})


def hold_dependents(plan, snapshot, desired, inventory, spaces=None):
    """Keep as NetBox has it what depends on a source object that cannot be used; the rest goes ahead.

    Returns how many actions were held (an update of which only some fields
    are held counts). Each cause gets one problem saying what it holds; each
    contested resource one problem per refused claimant, naming the other.
    ``spaces`` names the fabric's address-space VRFs (see ``Provenance``).
    """
    tokens = dict(snapshot.held)
    plan.problems.extend(_snapshot_contests(snapshot, inventory))
    plan.problems.extend(_desired_contests(desired, inventory, tokens))
    if not tokens:
        return 0
    trace = Provenance(inventory, spaces)
    held_by = {}
    _hold_removals(plan, trace, tokens, held_by)
    # What a held deletion would have taken along stays in NetBox: its own action comes back, to be held in turn.
    plan.undo_held_cascades()
    _hold_removals(plan, trace, tokens, held_by)
    for action in _of_netbox(plan, ("update",)):
        for cause, text in _hold_fields(trace, tokens, action):
            held_by.setdefault(cause, []).append((action, text))
    # Each problem names what it holds in the plan's order.
    position = dict((id(action), index) for index, action in enumerate(plan.actions))
    for cause in sorted(held_by):
        texts = [text for action, text in sorted(held_by[cause], key=lambda item: position.get(id(item[0]), 0))]
        plan.problems.append(Problem.about("held", cause, _held_text(texts)))
    return sum(len(texts) for texts in held_by.values())


def _hold_removals(plan, trace, tokens, held_by):
    for action in _of_netbox(plan, REMOVING_OPS):
        cause = _removal_cause(trace, tokens, action)
        if cause:
            held_by.setdefault(cause, []).append((action, _removal_text(action)))
            _keep(action, cause)


def _of_netbox(plan, ops):
    """The actions of ``ops`` on objects NetBox holds (an object this run makes has nothing of NetBox's to keep)."""
    return [action for action in plan.actions
            if action.op in ops and action.record is not None and action.record.get("id") is not None]


def _removal_cause(trace, tokens, action):
    return _first_cause(tokens, trace.removal_tokens(action.kind, action.key, action.record))


def _first_cause(tokens, found):
    causes = sorted(set(c for c in (held.matches(tokens, token) for token in found) if c))
    return causes[0] if causes else None


def _keep(action, cause):
    action.op = "kept"
    action.reason = "held as NetBox has it while %s cannot be used" % cause


def _removal_text(action):
    return "%s (%s)" % (action.label, {"delete": "deletion", "mark": "marking", "release": "release"}[action.op])


def _hold_fields(trace, tokens, action):
    """Drop the held fields of an update; the action is kept when none is left. Yields (cause, text)."""
    whole, fields = trace.tokens(action.kind, action.key, action.record)
    dropped = {}
    for field in list(action.changes):
        if field == "custom_fields":
            for name in list(action.changes[field]):
                cause = _first_cause(tokens, whole | fields.get("custom_fields." + name, set()))
                if cause:
                    del action.changes[field][name]
                    dropped.setdefault(cause, []).append(name)
            if not action.changes[field]:
                del action.changes[field]
            continue
        cause = _first_cause(tokens, whole | fields.get(field, set()))
        if cause:
            del action.changes[field]
            dropped.setdefault(cause, []).append(field)
    if not dropped:
        return []
    if not action.changes or set(action.changes) <= {"tags"}:
        _keep(action, sorted(dropped)[0])
    return [(cause, "%s (%s)" % (action.label, ", ".join(names))) for cause, names in sorted(dropped.items())]


def _held_text(texts):
    shown = "; ".join(texts[:SHOWN])
    more = " and %d more" % (len(texts) - SHOWN) if len(texts) > SHOWN else ""
    return "%d change(s) held as NetBox has them while it cannot be used: %s%s" % (len(texts), shown, more)


# -- contested resources -----------------------------------------------------------------


def _snapshot_contests(snapshot, inventory):
    """One problem per refused claimant of a port, name, VLAN or attachment, naming the others."""
    problems = []
    for contest in snapshot.contests:
        holder = _holder(contest, inventory, snapshot.fabric)
        names = ["%s %s" % claimant for claimant in contest.claimants]
        for claimant in contest.claimants:
            if claimant == holder:
                continue
            others = ", ".join(n for n in names if n != "%s %s" % claimant)
            if holder is not None:
                cause = ("%s is also claimed by %s %s, which holds it in NetBox and keeps it: this one is refused, and "
                         "both stay as NetBox has them until one is changed" % (contest.resource, holder[0], holder[1]))
            else:
                cause = ("%s is also claimed by %s, and NetBox holds it for neither: all of them are refused until "
                         "only one claims it" % (contest.resource, others))
            problems.append(Problem(claimant[0], claimant[1], cause))
    return problems


def _holder(contest, inventory, fabric):
    """The claimant NetBox shows holding the contest's slot, or None."""
    if contest.slot is None:
        return None
    kind, key = contest.slot
    finder = _HOLDERS.get(kind)
    name = finder(inventory, fabric, key) if finder else None
    return next((c for c in contest.claimants if name in (c, c[1])), None) if name else None


def _owned_row(inventory, kind, key, fabric):
    row = inventory.records.get(kind, {}).get(key)
    return row if row is not None and owner_of(row) == fabric else None


def _port_holder(inventory, fabric, key):
    row = inventory.records["interface"].get(key)
    if row is None:
        return None
    cable_id = (row.get("cable") or {}).get("id") if isinstance(row.get("cable"), dict) else row.get("cable")
    for cable in inventory.records["cable"].values():
        if cable.get("id") == cable_id and cable_id is not None and owner_of(cable) == fabric:
            return cable.get("label")
    lag = inventory.key_of_id("lag", (row.get("lag") or {}).get("id") if isinstance(row.get("lag"), dict) else None)
    return lag[1] if lag else None


def _device_holder(inventory, fabric, key):
    row = _owned_row(inventory, "device", key, fabric)
    if row is None:
        return None
    slug = (row.get("role") or {}).get("slug")
    return ({"server": "Server", "gateway": "Gateway"}.get(slug, "Switch"), key)


def _vlan_holder(inventory, fabric, key):
    row = _owned_row(inventory, "vlan", vlan_key(fabric, *key), fabric)
    description = (row or {}).get("description") or ""
    return description[len("VPC subnet "):] if description.startswith("VPC subnet ") else None


def _subinterface_holder(inventory, fabric, key):
    row = _owned_row(inventory, "subinterface", key, fabric)
    return ((row or {}).get("custom_fields") or {}).get("hedgehog_external_attachment")


_HOLDERS = {"interface": _port_holder, "device": _device_holder, "vlan": _vlan_holder,
            "subinterface": _subinterface_holder}


def _desired_contests(desired, inventory, tokens):
    """One problem per object two parts of the fabric define differently; the ports it is on are held."""
    problems = []
    for (kind, key), definitions in desired.contests.items():
        row = inventory.records.get(kind, {}).get(key)
        holder = next((d for d in definitions if row is not None and _refs_match(d, row, inventory)), None)
        label = "%s %s" % (kind.replace("_", " "), _show(key))
        for definition in definitions:
            for ref in _assignments(definition):
                tokens.setdefault((held.IP_SLOT, tuple(ref.key)), label)
        where = "; ".join(d.label for d in definitions)
        if holder is not None:
            cause = ("defined %d times differently (%s): NetBox has it as %s, which keeps it; the others are refused, "
                     "and all stay as NetBox has them until one is left" % (len(definitions), where, holder.label))
        else:
            cause = ("defined %d times differently (%s), and NetBox has none of them: all are refused until one is "
                     "left" % (len(definitions), where))
        problems.append(Problem.about(kind, label, cause))
    return problems


def _assignments(definition):
    value = definition.fields.get("assigned_object_id")
    return [value] if isinstance(value, Ref) and value.kind in ("interface", "subinterface") else []


def _refs_match(definition, row, inventory):
    """Whether every reference of a definition points where the NetBox row's does."""
    for field, value in definition.fields.items():
        refs = list(iter_refs(value))
        if not refs or field == "tags":
            continue
        if _resolved(value, inventory) != normalize(row.get(field)):
            return False
    return True


def _resolved(value, inventory):
    if isinstance(value, Ref):
        return inventory.id_of(value.kind, value.key)
    if isinstance(value, list):
        return [_resolved(v, inventory) for v in value]
    if isinstance(value, dict):
        return dict((k, _resolved(v, inventory)) for k, v in value.items())
    return value


def _show(key):
    if isinstance(key, tuple):
        return "/".join(str(part) for part in key if part is not None)
    return str(key)
