# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape of a problem, whichever stage met it: a skipped source object, a refused write, a held change."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Something of the fabric that could not be synced, and why.

    ``kind`` and ``name`` name the object: a Hedgehog kind and object name for
    the source, a NetBox kind and the object's label for NetBox. ``label`` is
    how a person reads the object's name in a message; it defaults to
    ``<kind> <name>``.
    """

    kind: str
    name: str
    cause: str
    label: str = ""

    @classmethod
    def about(cls, kind, label, cause):
        """A problem with a NetBox object, named by its label (``device leaf-01``)."""
        return cls(kind, label, cause, label)

    @property
    def text(self):
        return "%s: %s" % (self.label or "%s %s" % (self.kind, self.name), self.cause)

    def __str__(self):
        return self.text

    def as_dict(self):
        return {"kind": self.kind, "name": self.name, "cause": self.cause}
