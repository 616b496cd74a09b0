# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a fabric from a directory of wiring YAML files.

This is how a fabric is planned before it is deployed (the wiring that ``hhfab``
consumes) and how the demo runs without a control node. Files may hold several
documents and ``kind: List`` documents; kinds the sync does not know are skipped.
"""

from __future__ import annotations

import os

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import KINDS_BY_NAME

try:
    import yaml
    HAS_YAML = True
    # libyaml's loader parses a big fabric's files ~10x faster than the pure-Python one.
    SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
except ImportError:
    HAS_YAML = False

YAML_SUFFIXES = (".yaml", ".yml")


def wiring_files(directory):
    """Every YAML file under ``directory``, in a stable order."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(YAML_SUFFIXES):
                found.append(os.path.join(root, name))
    return found


def _objects_of(document, where, data):
    """The objects a YAML document holds (itself, or the items of a ``List``); the rest is rejected by name."""
    if document is None:
        return []
    if not isinstance(document, dict):
        data.reject(where, "the document is a %s, not an object" % _shape(document))
        return []
    if not str(document.get("kind", "")).endswith("List"):
        return [document]
    items = document.get("items")
    if not isinstance(items, list):
        data.reject(where, "%s: items is a %s, not a list" % (document.get("kind"), _shape(items)))
        return []
    objects = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            objects.append(item)
        else:
            data.reject("%s item %d" % (where, index + 1), "the item is a %s, not an object" % _shape(item))
    return objects


def _shape(value):
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def read_wiring_dir(directory, fabric=None):
    """Load every known Hedgehog object under ``directory``."""
    if not HAS_YAML:
        raise SourceError("PyYAML is required to read wiring files", fabric=fabric)
    if not os.path.isdir(directory):
        raise SourceError("wiring directory %s does not exist" % directory, fabric=fabric)
    data = SourceData("files:%s" % directory)
    for path in wiring_files(directory):
        try:
            with open(path) as handle:
                documents = list(yaml.load_all(handle, Loader=SAFE_LOADER))
        except (OSError, yaml.YAMLError) as exc:
            raise SourceError("cannot read wiring file %s: %s" % (path, exc), fabric=fabric) from exc
        name = os.path.relpath(path, directory)
        for number, document in enumerate(documents):
            for obj in _objects_of(document, "%s document %d" % (name, number + 1), data):
                kind = obj.get("kind")
                if kind in KINDS_BY_NAME:
                    data.add(kind, [obj])
    return data
