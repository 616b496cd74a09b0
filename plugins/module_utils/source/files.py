# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a fabric from a directory of wiring YAML files.

Two layouts are understood:

- an ``hhfab`` work directory (it has a ``fab.yaml``): exactly what hhfab reads, the
  objects of ``include/*.yaml`` and the ``Fabricator``, ``ControlNode`` and ``FabNode``
  of ``fab.yaml`` (for its address plan and its nodes' hydration); ``.registry.yaml``,
  ``result/`` and anything else are not wiring;
- any other directory: every YAML file under it, hidden files and folders left out.

Files may hold several documents, comments and ``kind: List`` documents; kinds
the sync does not know are skipped. Wiring as hhfab writes it is unhydrated (no
switch ASNs or addresses); hydration is checked here, as hhfab checks it, and
optionally done (see ``hydration.py``). An object's ``apiVersion`` is checked as the
Kubernetes source checks what an API serves: a version of a Hedgehog group this
collection does not read stops the run for the wiring kinds and skips the object
for the others (what depends on it is then held as NetBox has it).
"""

from __future__ import annotations

import os

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import hydration
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
FAB_CONFIG = "fab.yaml"
INCLUDE_DIR = "include"
# What fab.yaml holds: the fabricator's config (address plan) and the nodes hydration numbers first.
FAB_KINDS = ("Fabricator",) + hydration.NODE_KINDS


def is_hhfab_workdir(directory):
    return os.path.isfile(os.path.join(directory, FAB_CONFIG))


def _hidden(name):
    return name.startswith(".")


def plain_files(directory):
    """Every YAML file under ``directory`` but hidden ones, in a stable order."""
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not _hidden(d))
        for name in sorted(files):
            if name.endswith(YAML_SUFFIXES) and not _hidden(name):
                found.append(os.path.join(root, name))
    return found


def include_files(directory):
    """The files hhfab loads as wiring: ``include/*.yaml``, not recursive."""
    include = os.path.join(directory, INCLUDE_DIR)
    if not os.path.isdir(include):
        return []
    return [os.path.join(include, name) for name in sorted(os.listdir(include))
            if name.endswith(".yaml") and os.path.isfile(os.path.join(include, name))]


def wiring_files(directory):
    """The files read as wiring, in a stable order (fab.yaml is read apart)."""
    if is_hhfab_workdir(directory):
        return include_files(directory)
    return plain_files(directory)


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


def _wiring_file_objects(path, directory, data, fabric, max_file_bytes):
    """A wiring file's objects, named in messages by its path inside the wiring directory."""
    try:
        return file_objects(path, data.reject, max_file_bytes, name=os.path.relpath(path, directory))
    except SourceError as exc:
        raise SourceError("wiring file %s" % exc.message, fabric=fabric) from exc


def read_wiring_dir(directory, fabric=None, hydrate=False, max_file_bytes=DEFAULT_MAX_FILE_BYTES):
    """Load every known Hedgehog object of ``directory``, checked for hydration.

    A partly hydrated fabric raises SourceError naming what lacks which value
    (hhfab refuses it too); with ``hydrate`` an unhydrated one gets hhfab's
    address plan, else it is read as it is and its addresses stay unknown.
    """
    if not HAS_YAML:
        raise SourceError("PyYAML is required to read wiring files", fabric=fabric)
    if not os.path.isdir(directory):
        raise SourceError("wiring directory %s does not exist" % directory, fabric=fabric)
    data = SourceData("files:%s" % directory)
    fab_objects = []
    if is_hhfab_workdir(directory):
        fab_config = os.path.join(directory, FAB_CONFIG)
        fab_objects = [obj for obj in _wiring_file_objects(fab_config, directory, data, fabric, max_file_bytes)
                       if obj.get("kind") in FAB_KINDS]
    nodes = [obj for obj in fab_objects if obj.get("kind") in hydration.NODE_KINDS]
    for path in wiring_files(directory):
        place = os.path.relpath(path, directory)
        for obj in _wiring_file_objects(path, directory, data, fabric, max_file_bytes):
            kind = KINDS_BY_NAME.get(obj.get("kind"))
            if kind is None:
                if obj.get("kind") in hydration.NODE_KINDS:
                    nodes.append(obj)
                continue
            if not _of_group(obj, kind):
                continue
            if _readable(obj, kind):
                data.add(kind.kind, [obj], place=place)
                continue
            cause = _unsupported(obj, kind, place)
            if kind.kind in WIRING_KINDS:
                raise SourceError("%s; nothing was written" % cause, fabric=fabric)
            data.mark_unsupported(kind.kind, _name(obj), cause, obj)
    data.hydration = hydration.check(nodes, data, fabric)
    if hydrate and data.hydration == hydration.NONE:
        if not fab_objects:
            raise SourceError("wiring_hydrate needs an hhfab work directory (a fab.yaml next to include/): "
                              "%s has none" % directory, fabric=fabric)
        hydration.hydrate(fab_objects, data, fabric)
        data.hydration = hydration.PLANNED
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
