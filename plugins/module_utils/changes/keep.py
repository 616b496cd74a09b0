# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hand edits kept by policy (``hand_edits: keep``): which fields of which objects the sync leaves alone.

A kept field stays as the person set it while the fabric wants for it what it
wanted when the edit was kept; once the fabric itself changes that value, the
fabric wins again and the entry goes. Fields are named as the plan names them:
``mtu``, or ``custom_fields.hedgehog_asn`` for one custom field.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.fingerprint import value_digest

CUSTOM = "custom_fields."
# Entries kept on the record at most; the oldest go first.
KEPT_LIMIT = 500


def _key(value):
    """A key as the desired state has it (JSON keeps tuples as lists)."""
    if isinstance(value, list):
        return tuple(_key(v) for v in value)
    return value


def _json_key(value):
    if isinstance(value, tuple):
        return [_json_key(v) for v in value]
    return value


def desired_value(obj, field):
    if field.startswith(CUSTOM):
        return (obj.fields.get("custom_fields") or {}).get(field[len(CUSTOM):])
    return obj.fields.get(field)


class KeptEdits:
    """The kept hand edits of one fabric, as the record stores them."""

    def __init__(self, entries=()):
        self._entries = {}
        for entry in entries or ():
            try:
                slot = (entry["kind"], _key(entry["key"]))
                self._entries[slot] = dict(entry, fields=dict(entry.get("fields") or {}))
            except (KeyError, TypeError):
                continue

    def __len__(self):
        return len(self._entries)

    def fields_kept(self, kind, obj):
        """The fields of ``obj`` to leave alone; fields the fabric changed since are dropped from the entry."""
        entry = self._entries.get((kind, obj.key))
        if entry is None:
            return ()
        fields = entry["fields"]
        for field, digest in list(fields.items()):
            if value_digest(desired_value(obj, field)) != digest:
                del fields[field]
        if not fields:
            del self._entries[(kind, obj.key)]
            return ()
        return frozenset(fields)

    def keep(self, kind, obj, fields, user, time):
        """Leave ``fields`` of ``obj`` as someone else set them."""
        entry = self._entries.setdefault((kind, obj.key), {"kind": kind, "key": obj.key, "fields": {}})
        entry["fields"].update((field, value_digest(desired_value(obj, field))) for field in fields)
        entry.update(label=obj.label, by=user, at=time)

    def forget(self, kind, key):
        self._entries.pop((kind, key), None)

    def as_record(self):
        entries = [dict(entry, key=_json_key(entry["key"])) for entry in self._entries.values()]
        entries.sort(key=lambda e: str(e.get("at") or ""))
        return entries[-KEPT_LIMIT:]

    def retain(self, desired):
        """Forget the entries of objects the fabric no longer has."""
        for kind, key in list(self._entries):
            if desired.get(kind, key) is None:
                del self._entries[(kind, key)]
