# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run's counts as a person reads them on the fabric's record: "12 created, 3 updated, 2 problems"."""

from __future__ import annotations

# The summary's writing actions, in the order a reader expects them, as past participles.
ACTION_WORDS = (
    ("create", "created"),
    ("update", "updated"),
    ("delete", "deleted"),
    ("mark", "marked orphan"),
    ("release", "released"),
)


def totals(summary):
    """Objects per writing action over every kind of a run's ``summary``."""
    found = dict((op, 0) for op, _word in ACTION_WORDS)
    for ops in (summary or {}).values():
        for op in found:
            found[op] += int(ops.get(op) or 0)
    return found


def run_summary(summary, problems):
    """One short line: the writing actions that happened, then the problems; "no changes" when nothing moved."""
    counts = totals(summary)
    parts = ["%d %s" % (counts[op], word) for op, word in ACTION_WORDS if counts[op]]
    if problems:
        parts.append("%d problem%s" % (problems, "" if problems == 1 else "s"))
    if not any(counts.values()):
        parts.insert(0, "no changes")
    return ", ".join(parts)
