# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deletion guards: refuse a plan that would delete on doubtful grounds, before anything is written."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import GuardError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, PARENT_FIELD, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import WIRING_KINDS

REMOVING_OPS = ("delete", "mark")
CHANGING_OPS = ("update", "release")


def check_deletions(plan, inventory, source, fabric, max_delete_ratio, force=False):
    """Raise GuardError when the plan removes objects and one of the guards says it must not.

    - a read of the source failed or came back cut short (never overridable:
      the fabric's real state is unknown);
    - the source holds no wiring at all while NetBox holds objects of the fabric;
    - more than ``max_delete_ratio`` of the fabric's objects would go.
    """
    removing = [a for a in plan.actions if a.op in REMOVING_OPS]
    if not removing:
        return
    owned = sum(len(inventory.owned(kind)) for kind in ORDER if SPECS[kind].owned)
    # A device's ports and LAGs go with it without actions of their own; they
    # are in ``owned`` and must count as going, or a source that lost most
    # devices would pass the ratio guard on the strength of their ports.
    gone = dict((kind, set(a.key for a in removing if a.kind == kind)) for kind, _f in PARENT_FIELD.values())
    going = len(removing) + sum(1 for kind, (parent, field) in PARENT_FIELD.items()
                                for row in inventory.owned(kind).values()
                                if (row.get(field) or {}).get("name") in gone[parent])
    if source.incomplete:
        raise GuardError(
            "refusing to delete %d object(s): the read of %s failed or was cut short (%s); nothing was written"
            % (going, ", ".join(sorted(source.incomplete)), "; ".join(
                "%s: %s" % item for item in sorted(source.incomplete.items()))),
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


def hold_removals(plan, snapshot):
    """Keep what the plan would delete or mark while source objects are skipped as malformed.

    A skipped object has not left the fabric, it could not be read: a Switch
    with one mistyped field would otherwise lose its device, ports, cables and
    IPs, under the ratio guard when the fabric is big enough. The rest of the
    plan goes ahead; the first run after the objects are fixed removes what
    really left. Returns how many removals were held.
    """
    if not snapshot.problems:
        return 0
    held = _hold(plan, lambda action: action.op in REMOVING_OPS,
                 "held back while %d source object(s) are skipped" % len(snapshot.problems))
    if held:
        plan.problems.append(Problem.about("prune", "deletions", "%d removal(s) held back while %d source object(s) "
                                           "are skipped as malformed; they happen once those are fixed"
                                           % (held, len(snapshot.problems))))
    return held


def hold_derived_removals(plan, snapshot):
    """Keep the objects of kinds that come from a source kind whose read was incomplete.

    Without the Agents' reports the fabric's transceivers are unknown, not gone:
    removing their inventory items would lose what NetBox holds (and the
    deletion guard would refuse the whole run). Returns how many were held.
    """
    if not snapshot.incomplete:
        return 0
    incomplete = set(snapshot.incomplete)
    held = _hold(plan, lambda action: action.op in REMOVING_OPS and incomplete & set(SPECS[action.kind].derived_from),
                 "held back while the read of %s is incomplete" % ", ".join(sorted(incomplete)))
    if held:
        plan.problems.append(Problem.about("source", ", ".join(sorted(incomplete)), "%d removal(s) of objects read "
                                           "from it held back: they happen on the next complete read" % held))
    return held


def hold_updates(plan, snapshot):
    """Keep every change to an object NetBox already holds while a read of the source was incomplete.

    A kind that could not be read (the Catalog, the Agents) leaves what is
    derived from it empty in the desired state: writing that would clear the
    VNIs or agent facts NetBox holds. New objects are still made; the first
    complete read brings the rest up to date. Returns how many were held.
    """
    if not snapshot.incomplete:
        return 0
    kinds = ", ".join(sorted(snapshot.incomplete))
    held = _hold(plan, lambda action: action.op in CHANGING_OPS and action.record is not None,
                 "held back while the read of %s is incomplete" % kinds)
    if held:
        plan.problems.append(Problem.about("source", kinds, "%d change(s) to objects NetBox holds held back: the read "
                                           "of %s failed or was cut short; they happen on the next complete read"
                                           % (held, kinds)))
    return held


def _hold(plan, should_hold, reason):
    held = 0
    for action in plan.actions:
        if should_hold(action):
            action.op = "kept"
            action.reason = reason
            held += 1
    return held
