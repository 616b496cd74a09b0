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
    """Why ``obj`` breaks a bound ("spec.links has 20001 entries, more than max_list_items 10000"), or None.

    Every object of every run passes here, so the check only looks at sizes
    and depths; the path to a value that breaks a bound is looked for only then.
    """
    if not isinstance(obj, (dict, list)) or _within(obj, max_items, 0):
        return None
    return _why(obj, max_items)


def _within(value, max_items, depth):
    """Whether ``value`` (a dict or list ``depth`` levels down) and all it holds keep to the bounds."""
    if len(value) > max_items or (depth >= MAX_DEPTH and value):
        return False
    for item in (value.values() if isinstance(value, dict) else value):
        if isinstance(item, (dict, list)) and not _within(item, max_items, depth + 1):
            return False
    return True


def _why(obj, max_items):
    """The first bound ``obj`` breaks, with the path to the value that breaks it."""
    stack = [(obj, None, 0)]
    while stack:
        value, where, depth = stack.pop()
        if len(value) > max_items:
            return "%s has %d entries, more than max_list_items %d" % (_path(where) or "the object", len(value),
                                                                       max_items)
        if depth >= MAX_DEPTH and value:
            # Its entries would lie deeper than the bound.
            return "%s nests deeper than %d levels" % (_path(where) or "the object", MAX_DEPTH)
        entries = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((item, (where, key, isinstance(value, list)), depth + 1) for key, item in entries
                     if isinstance(item, (dict, list)))
    return None


def _path(where):
    """``spec.links[3]`` from the chain of (parent, key, is a list index) that leads to a value."""
    keys = []
    while where is not None:
        where, key, index = where
        keys.append((key, index))
    path = ""
    for key, index in reversed(keys):
        if index:
            path += "[%d]" % key
        else:
            path = "%s.%s" % (path, key) if path else str(key)
    return path


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
