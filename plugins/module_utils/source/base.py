# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a source hands to the rest of the engine: raw objects per kind."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem


class SourceData:
    """Raw Hedgehog objects per kind, and whether the read can be trusted for deletion.

    ``incomplete`` lists kinds whose read failed or came back cut short; the
    deletion guard refuses to delete anything while it is not empty.
    """

    def __init__(self, origin):
        self.origin = origin
        self.objects = {}
        self.counts = {}
        self.incomplete = {}
        # Objects taken out before parsing (past a bound), as Problems: skipped, not gone.
        self.rejected = []
        self.requests = 0

    def add(self, kind, items):
        self.objects.setdefault(kind, []).extend(items)
        self.counts[kind] = len(self.objects[kind])

    def items(self, kind):
        return self.objects.get(kind, [])

    def mark_incomplete(self, kind, cause):
        self.incomplete[kind] = cause

    def reject(self, kind, name, cause):
        self.rejected.append(Problem(kind, name, cause))

    @property
    def complete(self):
        return not self.incomplete

    def count(self):
        return dict(self.counts)

    def release(self):
        """Drop the raw objects, keeping their counts: once parsed they are the largest thing a big fabric's run holds."""
        self.objects = {}
