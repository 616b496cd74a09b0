# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a fabric from a directory of wiring YAML files.

This is how a fabric is planned before it is deployed (the wiring that ``hhfab``
consumes) and how the demo runs without a control node. Files may hold several
documents and ``kind: List`` documents; kinds the sync does not know are skipped.
An object's ``apiVersion`` is checked as the Kubernetes source checks what an API
serves: a version of a Hedgehog group this collection does not read stops the
run for the wiring kinds and skips the object for the others (what depends on
it is then held as NetBox has it).
"""

from __future__ import annotations

import os

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import (
    KINDS_BY_NAME,
    WIRING_KINDS,
    known_versions_text,
)

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


def _flatten(document):
    if not isinstance(document, dict):
        return []
    if isinstance(document.get("items"), list) and str(document.get("kind", "")).endswith("List"):
        return [item for item in document["items"] if isinstance(item, dict)]
    return [document]


def yaml_error(exc):
    """Where a YAML file is broken and why, never quoting the file: a line may hold a secret."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
    where = "line %d, column %d: " % (mark.line + 1, mark.column + 1) if mark is not None else ""
    if isinstance(exc, AliasRefused):
        return where + "YAML aliases are not allowed"
    return where + (getattr(exc, "problem", None) or "not valid YAML")


def file_objects(path, max_bytes=DEFAULT_MAX_FILE_BYTES):
    """Every object of a YAML file (several documents, ``kind: List`` flattened).

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
    return [obj for document in documents for obj in _flatten(document)]


def read_wiring_dir(directory, fabric=None, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
    """Load every known Hedgehog object under ``directory``."""
    if not HAS_YAML:
        raise SourceError("PyYAML is required to read wiring files", fabric=fabric)
    if not os.path.isdir(directory):
        raise SourceError("wiring directory %s does not exist" % directory, fabric=fabric)
    data = SourceData("files:%s" % directory)
    for path in wiring_files(directory):
        try:
            objects = file_objects(path, max_file_bytes)
        except SourceError as exc:
            raise SourceError("wiring file %s" % exc.message, fabric=fabric) from exc
        place = os.path.relpath(path, directory)
        for obj in objects:
            kind = KINDS_BY_NAME.get(obj.get("kind"))
            if kind is None or not _of_group(obj, kind):
                continue
            if _readable(obj, kind):
                data.add(kind.kind, [obj], place=place)
                continue
            cause = _unsupported(obj, kind, place)
            if kind.kind in WIRING_KINDS:
                raise SourceError("%s; nothing was written" % cause, fabric=fabric)
            data.mark_unsupported(kind.kind, _name(obj), cause, obj)
    return data


def _of_group(obj, kind):
    """Objects without ``apiVersion`` pass as Hedgehog's; one of another group is someone else's kind."""
    api_version = obj.get("apiVersion")
    return api_version is None or str(api_version).rpartition("/")[0] == kind.group


def _readable(obj, kind):
    return obj.get("apiVersion") is None or kind.reads(obj["apiVersion"])


def _name(obj):
    metadata = obj.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) and name else "(unnamed)"


def _unsupported(obj, kind, place):
    return ("%s %s in %s has apiVersion %s, and this collection reads %s/%s: a Hedgehog release it does not "
            "support" % (kind.kind, _name(obj), place, obj.get("apiVersion"), kind.group,
                         known_versions_text(kind.group)))
