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

DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024


class AliasRefused(Exception):
    """A YAML alias in a wiring file."""

    def __init__(self, mark):
        super().__init__("YAML aliases are not allowed")
        self.mark = mark


try:
    import yaml
    HAS_YAML = True
    # libyaml's loader parses a big fabric's files ~10x faster than the pure-Python one.
    _BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class SafeLoader(_BASE_LOADER):  # pylint: disable=too-many-ancestors
        """The safe loader, refusing aliases.

        Wiring never needs them, and an alias is how a few hundred bytes of YAML
        ("billion laughs") expand into gigabytes once anything walks the data.
        """

        def construct_object(self, node, deep=False):
            if node in self.constructed_objects:
                raise AliasRefused(node.start_mark)
            return super().construct_object(node, deep=deep)

    YAML_ERRORS = (yaml.YAMLError, AliasRefused)
except ImportError:
    HAS_YAML = False
    YAML_ERRORS = (AliasRefused,)

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


def _objects_of(document, where, reject):
    """The objects a YAML document holds (itself, or the items of a ``List``); the rest goes to ``reject`` by name."""
    if document is None:
        return []
    if not isinstance(document, dict):
        reject("document", where, "the document is a %s, not an object" % _shape(document))
        return []
    if not str(document.get("kind", "")).endswith("List"):
        return [document]
    items = document.get("items")
    if not isinstance(items, list):
        reject("document", where, "%s: items is a %s, not a list" % (document.get("kind"), _shape(items)))
        return []
    objects = []
    for index, item in enumerate(items):
        if isinstance(item, dict):
            objects.append(item)
        else:
            reject("document", "%s item %d" % (where, index + 1), "the item is a %s, not an object" % _shape(item))
    return objects


def _shape(value):
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean",
            type(None): "null"}.get(type(value), type(value).__name__)


def yaml_error(exc):
    """Where a YAML file is broken and why, never quoting the file: a line may hold a secret."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
    where = "line %d, column %d: " % (mark.line + 1, mark.column + 1) if mark is not None else ""
    if isinstance(exc, AliasRefused):
        return where + "YAML aliases are not allowed"
    return where + (getattr(exc, "problem", None) or "not valid YAML")


def file_objects(path, reject, max_bytes=DEFAULT_MAX_FILE_BYTES, name=None):
    """Every object of a YAML file (several documents, ``kind: List`` flattened).

    What is not an object (a document that is a list, an item that is a
    string) goes to ``reject(kind, name, cause)`` as ``<name> document N``,
    ``name`` being how the file is called in messages (its path by default).
    Raises SourceError naming the file and the cause: too large, unreadable,
    or not valid YAML (line and column, never the file's content).
    """
    try:
        size = os.path.getsize(path)
        if size > max_bytes:
            raise SourceError("%s is %d MiB, more than max_response_mb (%d MiB)"
                              % (path, size // (1024 * 1024), max_bytes // (1024 * 1024)))
        with open(path) as handle:
            documents = list(yaml.load_all(handle, Loader=SafeLoader))
    except OSError as exc:
        raise SourceError("cannot read %s: %s" % (path, exc.strerror or exc.__class__.__name__)) from exc
    except YAML_ERRORS as exc:
        raise SourceError("%s is not valid: %s" % (path, yaml_error(exc))) from exc
    name = name or path
    return [obj for number, document in enumerate(documents)
            for obj in _objects_of(document, "%s document %d" % (name, number + 1), reject)]


def read_wiring_dir(directory, fabric=None, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
    """Load every known Hedgehog object under ``directory``."""
    if not HAS_YAML:
        raise SourceError("PyYAML is required to read wiring files", fabric=fabric)
    if not os.path.isdir(directory):
        raise SourceError("wiring directory %s does not exist" % directory, fabric=fabric)
    data = SourceData("files:%s" % directory)
    for path in wiring_files(directory):
        try:
            objects = file_objects(path, data.reject, max_file_bytes, name=os.path.relpath(path, directory))
        except SourceError as exc:
            raise SourceError("wiring file %s" % exc.message, fabric=fabric) from exc
        for obj in objects:
            kind = obj.get("kind")
            if kind in KINDS_BY_NAME:
                data.add(kind, [obj])
    return data
