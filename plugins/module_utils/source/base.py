# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a source hands to the rest of the engine: raw objects per kind, and what it could not read."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem


class SourceData:
    """Raw Hedgehog objects per kind, and how far the read can be trusted.

    ``incomplete`` lists kinds that could not be read whole, with the cause:
    nothing derived from them is deleted, cleared or rewritten. A kind whose
    read *failed* (a fault, a cut-short list) also stops every deletion of the
    run, since the fabric's state is unknown until the next read; a kind that
    is *lasting*ly unreadable (served only at versions this collection does not
    know, or forbidden to the account) holds back only what depends on it, or
    the fabric could never prune again. ``unsupported`` lists single objects
    the source could not hand on (an unknown ``apiVersion`` in a file), as
    (kind, name, cause, raw object). ``api`` records, per API group, the versions served
    and the one read. ``hydration`` says whether the wiring carries its addresses and ASNs.
    """

    def __init__(self, origin):
        self.origin = origin
        self.objects = {}
        self.counts = {}
        self.incomplete = {}
        self.lasting = set()
        self.unsupported = []
        self.api = {}
        self.places = {}
        # What was taken out before parsing, as Problems: objects past a bound, YAML documents that are not
        # objects (a list of strings). Reported like a malformed object: skipped, not gone, so what it made waits.
        self.rejected = []
        self.requests = 0
        # Whether switch and link addresses are set (source/hydration.py): ``none`` for wiring as hhfab
        # writes it, ``full`` or ``planned`` when they are; None when the source does not say (a live API).
        self.hydration = None

    def add(self, kind, items, place=None):
        self.objects.setdefault(kind, []).extend(items)
        self.counts[kind] = len(self.objects[kind])
        if place:
            for item in items:
                self.places[id(item)] = place

    def items(self, kind):
        return self.objects.get(kind, [])

    def place_of(self, obj):
        """Where an object was read (a file of a wiring directory), or ""."""
        return self.places.get(id(obj), "")

    def mark_incomplete(self, kind, cause, lasting=False):
        self.incomplete[kind] = cause
        if lasting:
            self.lasting.add(kind)

    def mark_unsupported(self, kind, name, cause, obj=None):
        self.unsupported.append((kind, name, cause, obj))

    def reject(self, kind, name, cause):
        self.rejected.append(Problem(kind, name, cause))

    @property
    def complete(self):
        return not self.incomplete

    @property
    def failed(self):
        """The incomplete kinds whose read failed or was cut short (not the lastingly unreadable ones)."""
        return dict((kind, cause) for kind, cause in self.incomplete.items() if kind not in self.lasting)

    def count(self):
        return dict(self.counts)

    def release(self):
        """Drop the raw objects, keeping their counts: once parsed they are the largest thing a big fabric's run holds."""
        self.objects = {}
        self.places = {}
