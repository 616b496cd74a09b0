# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bounds on what one source object may hold, checked before anything parses or copies it.

A crafted object (a list of a million entries, a GatewayPeering with thousands of
sides, data nested a thousand deep) must cost the controller a problem, not its
memory: an object past a bound is skipped as malformed, with a problem naming the
field and the limit, and what depends on it is held as for any malformed object.
"""

from __future__ import annotations

# Deeper than any Hedgehog object nests (a few levels), far below Python's recursion limit.
MAX_DEPTH = 32


def oversized(obj, max_items):
    """Why ``obj`` breaks a bound ("spec.links has 20001 entries, more than max_list_items 10000"), or None."""
    stack = [(obj, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return "%s nests deeper than %d levels" % (path or "the object", MAX_DEPTH)
        if isinstance(value, dict):
            if len(value) > max_items:
                return "%s has %d entries, more than max_list_items %d" % (path or "the object", len(value), max_items)
            stack.extend((item, "%s.%s" % (path, key) if path else str(key), depth + 1) for key, item in value.items())
        elif isinstance(value, list):
            if len(value) > max_items:
                return "%s has %d entries, more than max_list_items %d" % (path, len(value), max_items)
            stack.extend((item, "%s[%d]" % (path, index), depth + 1) for index, item in enumerate(value))
    return None


def reject_oversized(data, max_items):
    """Take every object past a bound out of a SourceData, as a problem of its kind."""
    for kind in list(data.objects):
        kept = []
        for obj in data.objects[kind]:
            cause = oversized(obj, max_items)
            if cause is None:
                kept.append(obj)
            else:
                data.reject(kind, _name(obj), cause)
        data.objects[kind] = kept
    return data


def _name(obj):
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else "(unnamed)"
