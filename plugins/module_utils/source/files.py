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


def _flatten(document):
    if not isinstance(document, dict):
        return []
    if isinstance(document.get("items"), list) and str(document.get("kind", "")).endswith("List"):
        return [item for item in document["items"] if isinstance(item, dict)]
    return [document]


def file_objects(path):
    """Every object of a YAML file (several documents, ``kind: List`` flattened); raises OSError or YAMLError."""
    with open(path) as handle:
        documents = list(yaml.load_all(handle, Loader=SAFE_LOADER))
    return [obj for document in documents for obj in _flatten(document)]


def read_wiring_dir(directory, fabric=None):
    """Load every known Hedgehog object under ``directory``."""
    if not HAS_YAML:
        raise SourceError("PyYAML is required to read wiring files", fabric=fabric)
    if not os.path.isdir(directory):
        raise SourceError("wiring directory %s does not exist" % directory, fabric=fabric)
    data = SourceData("files:%s" % directory)
    for path in wiring_files(directory):
        try:
            objects = file_objects(path)
        except (OSError, yaml.YAMLError) as exc:
            raise SourceError("cannot read wiring file %s: %s" % (path, exc), fabric=fabric) from exc
        for obj in objects:
            kind = obj.get("kind")
            if kind in KINDS_BY_NAME:
                data.add(kind, [obj])
    return data
