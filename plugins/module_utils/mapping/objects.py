# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired NetBox objects: what the fabric says NetBox should hold.

A desired object is identified by (kind, key), where the key is the natural
key inside the fabric (a device's name, an interface's device and name, ...).
Fields are written in the shape the NetBox REST API accepts, except that a
reference to another object is a :class:`Ref` by key: its id is only known once
NetBox has it, which may be later in the same run.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict, namedtuple


class Ref(namedtuple("Ref", "kind key")):
    """A reference to another desired or existing object, by kind and key."""

    __slots__ = ()


class Desired:
    """One object as the fabric wants it."""

    __slots__ = ("kind", "key", "fields", "late", "label", "component", "shared")

    def __init__(self, kind, key, fields, late=None, label=None, component=False, shared=False):
        self.kind = kind
        self.key = key
        self.fields = fields
        # Fields that can only be written once later kinds exist (a device's
        # primary IP needs the IP, which needs the device's interface).
        self.late = late or {}
        self.label = label or "%s %s" % (kind, key if not isinstance(key, tuple) else "/".join(map(str, key)))
        # A component NetBox made from a template (a switch port of a device
        # type): it belongs to its device, so it is taken over without adopt.
        self.component = component
        # An object several fabrics use (a VRF the user names for them): used as
        # NetBox has it, made without the fabric's marker when missing, never
        # changed or deleted, like the shared kinds (manufacturers, roles).
        self.shared = shared

    def refs(self):
        for value in list(self.fields.values()) + list(self.late.values()):
            yield from iter_refs(value)


def iter_refs(value):
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from iter_refs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_refs(item)


class DesiredState:
    """Every desired object of one fabric, per kind, in insertion order.

    An object two parts of the fabric define differently (one address on two
    switches' ports) is *contested*: it leaves the desired state, and its
    definitions wait in ``contests`` for the plan, which keeps what NetBox has
    and names both. The order of definitions decides nothing.
    """

    def __init__(self, fabric):
        self.fabric = fabric
        self.objects = OrderedDict()
        self.problems = []
        self.contests = OrderedDict()

    def add(self, obj):
        bucket = self.objects.setdefault(obj.kind, OrderedDict())
        slot = (obj.kind, obj.key)
        if slot in self.contests:
            definitions = self.contests[slot]
            if all(other.fields != obj.fields for other in definitions):
                definitions.append(obj)
            return obj
        existing = bucket.get(obj.key)
        if existing is not None:
            if existing.fields != obj.fields:
                self.contests[slot] = [existing, obj]
                del bucket[obj.key]
                return obj
            return existing
        bucket[obj.key] = obj
        return obj

    def get(self, kind, key):
        return self.objects.get(kind, {}).get(key)

    def of(self, kind):
        return self.objects.get(kind, OrderedDict())

    def counts(self):
        return dict((kind, len(objs)) for kind, objs in self.objects.items())


_SLUG_RE = re.compile(r"[^a-z0-9_-]+")


def slugify(text):
    slug = _SLUG_RE.sub("-", str(text).lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:100] or "unnamed"


def short_name(text, limit=64):
    """``text`` if it fits NetBox's name length, else a stable shortened form."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return "%s~%s" % (text[:limit - 9], digest)
