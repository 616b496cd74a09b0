# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan as a person reads it: bounded before/after diffs and per-kind summaries."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import WRITE_OPS, normalize

DEFAULT_DIFF_LIMIT = options.default("diff_limit")


def _show(value):
    if isinstance(value, Ref):
        key = value.key
        if isinstance(key, tuple):
            key = "/".join(str(k) for k in key if k is not None)
        return "<%s %s>" % (value.kind.replace("_", " "), key)
    if isinstance(value, list):
        return [_show(v) for v in value]
    if isinstance(value, dict):
        return dict((k, _show(v)) for k, v in value.items())
    return value


def action_diff(action):
    changes = action.changes
    if action.op == "create":
        return {"before": {}, "after": _show(changes)}
    if action.op == "delete":
        return {"before": {"id": action.record.get("id")}, "after": {}}
    record = action.record or {}
    before = {}
    for field in changes:
        have = record.get(field)
        if field == "custom_fields":
            have = dict((k, (have or {}).get(k)) for k in changes[field])
        before[field] = normalize(have)
    return {"before": before, "after": _show(changes)}


def build_diff(plan, limit=DEFAULT_DIFF_LIMIT):
    """One entry per written object up to ``limit``; past it a summary line per kind."""
    entries = []
    skipped = {}
    for action in plan.actions:
        if action.op not in WRITE_OPS:
            continue
        if len(entries) < limit:
            diff = action_diff(action)
            diff["before_header"] = "%s (%s)" % (action.label, action.op)
            diff["after_header"] = "%s (%s)" % (action.label, action.op)
            entries.append(diff)
        else:
            skipped[(action.kind, action.op)] = skipped.get((action.kind, action.op), 0) + 1
    for (kind, op), number in sorted(skipped.items()):
        entries.append({"before": "", "after": "... and %d more %s(s) of %s\n" % (number, op, kind),
                        "before_header": "summary", "after_header": "summary"})
    return entries
