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

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem


class Ref(namedtuple("Ref", "kind key")):
    """A reference to another desired or existing object, by kind and key."""

    __slots__ = ()


class Desired:
    """One object as the fabric wants it."""

    __slots__ = ("kind", "key", "fields", "late", "label", "component", "shared", "tags")

    def __init__(self, kind, key, fields, late=None, label=None, component=False, shared=False, tags=()):
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
        # Slugs of the SwitchGroup tags the object carries; other tags are never touched.
        self.tags = tuple(tags)

    def refs(self):
        for value in list(self.fields.values()) + list(self.late.values()):
            yield from iter_refs(value)
        for slug in self.tags:
            yield Ref("tag", slug)


def iter_refs(value):
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from iter_refs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from iter_refs(item)


# NetBox's limit on every model's description field.
DESCRIPTION_LENGTH = 200


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
        # What is wrong with the fabric itself, not with its sync (cables LLDP disagrees with):
        # reported, but the run still synced everything.
        self.findings = []
        # How the cables fared against LLDP (a mapping.cabling.CablingReport), once the cables are made.
        self.cabling = None
        self.contests = OrderedDict()

    def add(self, obj):
        cut = _fit_description(obj)
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
        if cut:
            self.problems.append(Problem.about(obj.kind, obj.label, "its description is %d characters long; NetBox "
                                               "keeps %d, so the rest is cut" % (cut, DESCRIPTION_LENGTH)))
        bucket[obj.key] = obj
        return obj

    def get(self, kind, key):
        return self.objects.get(kind, {}).get(key)

    def of(self, kind):
        return self.objects.get(kind, OrderedDict())

    def counts(self):
        return dict((kind, len(objs)) for kind, objs in self.objects.items())


def _fit_description(obj):
    """Cut a description to what NetBox keeps; its former length when it was cut, else 0."""
    description = obj.fields.get("description")
    if isinstance(description, str) and len(description) > DESCRIPTION_LENGTH:
        obj.fields["description"] = description[:DESCRIPTION_LENGTH]
        return len(description)
    return 0


_SLUG_RE = re.compile(r"[^a-z0-9_-]+")


def slugify(text):
    slug = _SLUG_RE.sub("-", str(text).lower()).strip("-")
    return re.sub(r"-{2,}", "-", slug)[:100] or "unnamed"


def tenant_ref(config):
    """The fabric's tenant, or None: without the option the tenant comes off the fabric's own objects."""
    return Ref("tenant", slugify(config.tenant)) if config.tenant else None


def short_name(text, limit=64):
    """``text`` if it fits NetBox's name length, else a stable shortened form."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return "%s~%s" % (text[:limit - 9], digest)
