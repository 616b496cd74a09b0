# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fabric's record keeps of the last complete run, so the next one can tell that nothing changed.

- the digests: the desired state, the options, the collection's and NetBox's
  versions it was computed with;
- where NetBox's change log stood (``mark``: every change up to it is
  accounted for), the request ids of the sync's own writes past it, and the
  changes past it already handled;
- the ids of the objects the fabric owns and of the shared objects it uses,
  per object type, as ranges (objects are made in bulk, so ids run together);
- the fabric's anchor as the sync left it, the tag ids, the hand edits kept by
  policy, when the last full reconcile ran and when the next one is due for
  another reason.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field
from typing import Optional

FORMAT = 1


def to_ranges(ids):
    """Sorted ``[[first, last], ...]`` runs of consecutive ids."""
    runs = []
    for object_id in sorted(set(int(i) for i in ids if i is not None)):
        if runs and object_id == runs[-1][1] + 1:
            runs[-1][1] = object_id
        else:
            runs.append([object_id, object_id])
    return runs


def ranges_count(runs):
    return sum(last - first + 1 for first, last in runs or [])


class IdRanges:
    """Membership of ids in the ranges of one object type."""

    def __init__(self, runs):
        self.runs = sorted([int(a), int(b)] for a, b in runs or [])
        self.starts = [a for a, _b in self.runs]

    def __contains__(self, object_id):
        index = bisect.bisect_right(self.starts, object_id) - 1
        return index >= 0 and self.runs[index][0] <= object_id <= self.runs[index][1]


@dataclass
class Basis:
    version: str = ""
    netbox: str = ""
    desired: str = ""
    options: dict = field(default_factory=dict)
    full_at: Optional[str] = None
    mark: Optional[int] = None
    settled_at: Optional[str] = None
    own: list = field(default_factory=list)
    seen: list = field(default_factory=list)
    owned: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)
    anchor: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    until: Optional[str] = None
    kept: list = field(default_factory=list)
    full_next: Optional[str] = None
    format: int = FORMAT

    @classmethod
    def from_record(cls, value):
        """The basis stored on a record, or None when there is none this version can read."""
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            return None
        names = set(f.name for f in dataclasses.fields(cls))
        try:
            return cls(**dict((k, v) for k, v in value.items() if k in names))
        except TypeError:
            return None

    def as_record(self):
        return dataclasses.asdict(self)

    def owned_ranges(self):
        return dict((object_type, IdRanges(runs)) for object_type, runs in self.owned.items())

    def shared_ranges(self):
        return dict((object_type, IdRanges(runs)) for object_type, runs in self.shared.items())

    def owned_total(self):
        return sum(ranges_count(runs) for runs in self.owned.values())
