"""An HTTPS stand-in for the Kubernetes API server that serves a Hedgehog fabric's objects.

No kube-apiserver can run on the test machines, so the tests talk to this server with the
unmodified clients (the ``kubernetes`` Python client, ``kubernetes.core`` and ``kubectl``).
It copies the real server's observable behaviour for the read paths the collection uses:
legacy and aggregated discovery, namespaced and cluster-wide lists with etcd-style paging (opaque
continue tokens bound to a snapshot revision, 410 after compaction), get by name, label and field
selectors, Table output for kubectl, bearer-token authentication with 401/403, and ``Status``
error bodies. Where this file and the real server disagree, the real server is right.

What it serves is what the loaded objects imply (each group at the versions its objects carry)
unless a test says otherwise with a ``ServedApi`` (testbed.kube_api): groups and kinds at chosen
versions or not installed, kinds RBAC forbids, kinds whose CRD is gone, aggregated discovery
versions; or ``release="24.09"`` for what that release's control node serves (testbed.releases)::

    KubeStandin(fixture_dirs=[...], release="26.01")
    standin.update_api(groups={"wiring.githedgehog.com": ["v1beta2", "v1beta1"]}, forbidden={"Agent"})

Fault switches (latency, 5xx, dropped connections, truncated list pages, compaction between the
pages of a list) and request counters are reachable from Python (``standin.faults``,
``standin.requests``) and, for the process mode, over admin paths that take the same bearer token:

    GET/POST/DELETE /__standin__/faults   {"clear": bool, "latency": s, "rules": [{"action": a, "nth", "count",
                                           "status", "verb", "path", "mode", "retry_after"}]}
                                          (a: "error", "drop", "truncate" or "compact")
    GET /__standin__/requests, POST /__standin__/requests/reset
    POST /__standin__/reload {"fixtures": [dirs]}, POST /__standin__/objects (an object),
    DELETE /__standin__/objects?kind=&namespace=&name=, POST /__standin__/compact {"bump": true},
    POST /__standin__/not-installed {"kinds": [...]}, GET /__standin__/state
    GET/POST /__standin__/api             {"release": name, "groups": {group: [versions]},
                                           "kinds": {kind: [versions]}, "forbidden": [kinds],
                                           "broken": [kinds], "aggregatedDiscovery": [v2, v2beta1]}

Run as a process (writes DIR/kubeconfig, ca.crt, token, url and, last, ready)::

    python -m testbed.kube_standin serve --fixtures DIR --port 0 --state-dir DIR [--release 24.09]
        [--group-versions GROUP=V,V] [--kind-versions KIND=V] [--forbidden KIND] [--broken KIND] [--api FILE]

Known differences from a real kube-apiserver: read-only (writes get 405, discovery advertises
only get, list and watch); no protobuf, YAML, OpenAPI or PartialObjectMetadataList (clients fall
back to JSON); no built-in groups besides core Namespaces, ConfigMaps and Events; Table output
has the Name and Age columns of a CRD without printer columns; watch has no bookmarks; one
ServiceAccount-like identity per token.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import datetime
import hmac
import ipaddress
import json
import posixpath
import re
import secrets
import socket
import shutil
import ssl
import tempfile
import threading
import time
import types
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from testbed.kube_api import (
    ApiCatalog,
    ResourceType,
    ServedApi,
    aggregated_content_type,
    aggregated_etag,
    aggregated_list,
    aggregated_versions_for,
    api_group,
    api_group_list,
    negotiate_discovery,
    resource_list,
    served_resources,
    split_api_version,
)
from testbed.serving import QuietServer, clear_state_dir, serve_until_stopped, write_private

ADMIN_PREFIX = "/__standin__"
BASE_NAMESPACES = ("default", "fab", "kube-system")
DEFAULT_SERVER_VERSION = {
    "major": "1",
    "minor": "33",
    "gitVersion": "v1.33.5+k3s1",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-09-01T00:00:00Z",
    "goVersion": "go1.24.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}
FORBIDDEN_USER = "system:serviceaccount:default:hedgehog-no-access"
# The identity behind the full-access token, named when RBAC forbids it one kind.
READER_USER = "system:serviceaccount:default:hedgehog-reader"


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


class _FixtureLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as strings, as they are on the wire."""


_FixtureLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expand_document(doc) -> list[dict]:
    """One YAML document -> objects; ``kind: List`` and ``kind: <Kind>List`` are unpacked."""
    if not isinstance(doc, dict):
        return []
    kind = doc.get("kind", "")
    if "items" not in doc or not kind.endswith("List"):
        return [doc]
    item_kind = kind[: -len("List")]
    items = []
    for item in doc.get("items") or []:
        # A typed list (SwitchList) may leave kind/apiVersion off its items.
        if item_kind and "kind" not in item:
            item = {**item, "kind": item_kind}
        if "apiVersion" not in item and doc.get("apiVersion"):
            item = {**item, "apiVersion": doc["apiVersion"]}
        items.append(item)
    return items


def load_fixture_objects(dirs) -> list[dict]:
    """Every object from every *.yaml / *.yml file of the given directories, in file-name order."""
    objects = []
    for directory in dirs:
        paths = sorted(p for p in Path(directory).iterdir() if p.suffix in (".yaml", ".yml"))
        for path in paths:
            with path.open(encoding="utf-8") as handle:
                for doc in yaml.load_all(handle, Loader=_FixtureLoader):
                    objects.extend(_expand_document(doc))
    return objects


# ---------------------------------------------------------------------------
# Errors as the real server reports them
# ---------------------------------------------------------------------------


class ApiError(Exception):
    """A failed request; ``body`` is the ``Status`` object the real server would send."""

    def __init__(self, code: int, reason: str, message: str, details=None, list_meta=None):
        super().__init__(message)
        self.code = code
        self.body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": list_meta or {},
            "status": "Failure",
            "message": message,
            "reason": reason,
        }
        if details:
            self.body["details"] = details
        self.body["code"] = code


class PageNotFound(Exception):
    """A path nothing serves; the real server answers these with a plain-text 404."""


def _details(rtype: ResourceType, name: str = "") -> dict:
    details = {"name": name} if name else {}
    if rtype.group:
        details["group"] = rtype.group
    details["kind"] = rtype.plural
    return details


def not_found(rtype: ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rtype.qualified} "{name}" not found', _details(rtype, name))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(rtype: ResourceType, verb: str, namespace: str, name: str, user: str = FORBIDDEN_USER) -> ApiError:
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = (
        f'User "{user}" cannot {verb} resource "{rtype.plural}" '
        f'in API group "{rtype.group}" {where}'
    )
    subject = f'{rtype.qualified} "{name}"' if name else rtype.qualified
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {reason}", _details(rtype, name))


def injected_error(status: int) -> ApiError:
    """The Status the real server (or its priority and fairness filter) sends with this code."""
    if status == 500:
        cause = "injected fault"
        return ApiError(500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]})
    known = {
        429: ("TooManyRequests", "Too many requests, please try again later."),
        503: ("ServiceUnavailable", "the server is currently unable to handle the request"),
        504: ("Timeout", "The server was unable to return a response in the time allotted, "
                         "but may still be processing the request"),
    }
    reason, message = known.get(status, ("InternalError", f"an error on the server (injected HTTP {status})"))
    return ApiError(status, reason, message)


# ---------------------------------------------------------------------------
# Selectors (the grammar of k8s.io/apimachinery labels.Parse and fields.ParseSelector)
# ---------------------------------------------------------------------------

_LABEL_NAME = r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_DNS_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_SPECIAL = "=!(),<>"
_OPERATOR_TOKENS = ("!=", "==", "=", "!", "(", ")", ",", "<", ">")


def _label_key_problem(key: str) -> str | None:
    prefix, name = key.rpartition("/")[::2]
    if "/" in prefix or (key.count("/") == 1 and not prefix):
        return "a qualified name must consist of a name with an optional DNS subdomain prefix"
    if prefix and (len(prefix) > 253 or not re.fullmatch(_DNS_SUBDOMAIN, prefix)):
        return "prefix part must be a lowercase RFC 1123 subdomain"
    if not name or len(name) > 63 or not re.fullmatch(_LABEL_NAME, name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', "
            "and must start and end with an alphanumeric character"
        )
    return None


def _label_value_problem(value: str) -> str | None:
    if value == "" or (len(value) <= 63 and re.fullmatch(_LABEL_NAME, value)):
        return None
    return (
        "a valid label must be an empty string or consist of alphanumeric characters, "
        "'-', '_' or '.', and must start and end with an alphanumeric character"
    )


def _lex_selector(text: str) -> list[tuple[str, str]]:
    """Tokens as (type, literal); type is 'id', 'op' or 'end', as the Go lexer scans them."""
    tokens, pos = [], 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            tokens.append(("end", ""))
            return tokens
        if text[pos] in _SPECIAL:
            for op in _OPERATOR_TOKENS:
                if text.startswith(op, pos):
                    tokens.append(("op", op))
                    pos += len(op)
                    break
            continue
        start = pos
        while pos < len(text) and text[pos] not in _SPECIAL and text[pos] not in " \t\r\n":
            pos += 1
        word = text[start:pos]
        tokens.append(("op" if word in ("in", "notin") else "id", word))


@dataclass
class Requirement:
    key: str
    operator: str  # =, !=, in, notin, exists, !, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: dict) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.operator in ("=", "in"):
            return present and value in self.values
        if self.operator in ("!=", "notin"):
            return not present or value not in self.values
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        return present and _numeric_compare(value, self.operator, self.values[0])


def _numeric_compare(value: str, operator: str, bound: str) -> bool:
    try:
        number = int(value)
    except ValueError:
        return False
    return number > int(bound) if operator == "gt" else number < int(bound)


class _SelectorParser:
    def __init__(self, text: str):
        self.tokens = _lex_selector(text)
        self.pos = 0

    def peek(self, values=False):
        kind, lit = self.tokens[self.pos]
        # Inside value lists "in"/"notin" are plain identifiers.
        return ("id", lit) if values and lit in ("in", "notin") else (kind, lit)

    def take(self, values=False):
        token = self.peek(values)
        self.pos += 1
        return token

    def parse(self) -> list[Requirement]:
        requirements = []
        while True:
            kind, lit = self.peek(values=True)
            if kind == "end":
                return requirements
            if kind != "id" and lit != "!":
                raise ValueError(f"found '{lit}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.requirement())
            except ValueError as err:
                raise ValueError(f"unable to parse requirement: {err}") from err
            kind, lit = self.take(values=True)
            if kind == "end":
                return requirements
            if lit != ",":
                raise ValueError(f"found '{lit}', expected: ',' or 'end of string'")
            kind, lit = self.peek(values=True)
            if kind != "id" and lit != "!":
                raise ValueError(f"found '{lit}', expected: identifier after ','")

    def requirement(self) -> Requirement:
        negate = False
        kind, key = self.take(values=True)
        if key == "!" and kind == "op":
            negate = True
            kind, key = self.take(values=True)
        if kind != "id":
            raise ValueError(f"found '{key}', expected: identifier")
        problem = _label_key_problem(key)
        if problem:
            raise ValueError(f'key: Invalid value: "{key}": {problem}')
        kind, lit = self.peek(values=True)
        if negate or kind == "end" or lit == ",":
            # "!key" ends the requirement; anything after it is left for the caller to reject.
            return Requirement(key, "!" if negate else "exists")
        return self.operator_requirement(key)

    def operator_requirement(self, key: str) -> Requirement:
        op = self.take()[1]
        names = {"=": "=", "==": "=", "!=": "!=", "in": "in", "notin": "notin", ">": "gt", "<": "lt"}
        if op not in names:
            raise ValueError(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")
        operator = names[op]
        values = self.value_set() if operator in ("in", "notin") else (self.exact_value(),)
        if operator in ("gt", "lt"):
            if not re.fullmatch(r"-?\d+", values[0]):
                raise ValueError(f"for 'Gt', 'Lt' operators, the value must be an integer: {values[0]}")
        else:
            for value in values:
                problem = _label_value_problem(value)
                if problem:
                    raise ValueError(f'values[0][{key}]: Invalid value: "{value}": {problem}')
        return Requirement(key, operator, tuple(sorted(set(values))))

    def exact_value(self) -> str:
        kind, lit = self.peek(values=True)
        if kind == "end" or lit == ",":
            return ""
        kind, lit = self.take(values=True)
        if kind != "id":
            raise ValueError(f"found '{lit}', expected: identifier")
        return lit

    def value_set(self) -> tuple[str, ...]:
        lit = self.take(values=True)[1]
        if lit != "(":
            raise ValueError(f"found '{lit}' expected: '('")
        values, expect_value = [], True
        while True:
            kind, lit = self.take(values=True)
            if lit == ")":
                return tuple(values) if values and not expect_value else tuple(values) + ("",)
            if kind == "id" and expect_value:
                values.append(lit)
                expect_value = False
            elif lit == ",":
                if expect_value:
                    values.append("")
                expect_value = True
            else:
                raise ValueError(f"found '{lit}', expected: ',', or identifier")


def parse_label_selector(text: str) -> list[Requirement]:
    """Requirements of a labelSelector; ValueError carries the real server's wording."""
    return _SelectorParser(text or "").parse()


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, start, escaped = [], 0, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _unescape_field_value(value: str) -> str:
    out, escaped = [], False
    for char in value:
        if escaped:
            if char not in "\\,=":
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{char}")
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in ",=":
            raise ValueError(f"invalid field selector: unescaped {char} in value")
        else:
            out.append(char)
    return "".join(out)


# Custom resources support exactly these two field labels (selectableFields aside).
SUPPORTED_FIELD_LABELS = {"metadata.name": ("name",), "metadata.namespace": ("namespace",)}


def _split_field_term(term: str):
    """The first operator from the left splits the term; "!=" and "==" win over "=" at one position."""
    for index in range(len(term)):
        for op in ("!=", "==", "="):
            if term.startswith(op, index):
                return term[:index], op, term[index + len(op):]
    return None


def parse_field_selector(text: str) -> list[tuple[str, bool, str]]:
    """(field, equal?, value) terms of a fieldSelector."""
    terms = []
    for part in sorted(_split_unescaped(text or "", ",")):
        if not part:
            continue
        split = _split_field_term(part)
        if split is None:
            raise ValueError(f"invalid selector: '{text}'; can't understand '{part}'")
        lhs, op, rhs = split
        if lhs not in SUPPORTED_FIELD_LABELS:
            raise ValueError(f"field label not supported: {lhs}")
        terms.append((lhs, op != "!=", _unescape_field_value(rhs)))
    return terms


@dataclass
class Selection:
    """What a list request selects: labels, fields, and one namespace (or all)."""

    labels: list[Requirement] = field(default_factory=list)
    fields: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.labels and not self.fields

    def matches(self, obj: dict) -> bool:
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        if not all(req.matches(labels) for req in self.labels):
            return False
        for name, equal, value in self.fields:
            actual = meta.get(SUPPORTED_FIELD_LABELS[name][0]) or ""
            if (actual == value) != equal:
                return False
        return True


# ---------------------------------------------------------------------------
# The object store: an MVCC history like etcd's, with a global revision
# ---------------------------------------------------------------------------


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_SERVER_MANAGED = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields")


def _comparable(obj: dict) -> dict:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _SERVER_MANAGED}
    return {**obj, "metadata": meta}


def _spec_part(obj: dict) -> dict:
    # With a status subresource (every Hedgehog CRD has one) only changes outside
    # metadata and status bump metadata.generation.
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class StaleRevision(Exception):
    """The requested revision is older than the store's compaction point."""


class FutureRevision(Exception):
    """The requested revision is newer than anything the store has written."""


@dataclass
class _Version:
    revision: int
    obj: dict | None  # None marks a deletion


class ObjectStore:
    """Objects keyed like etcd (``<namespace>/<name>`` under a per-resource prefix).

    Every write takes the next global revision; old versions stay readable until
    ``compact()``, so a paged list can finish on the snapshot it started on.
    Stored dicts are never mutated: readers may hold them without copying.
    """

    def __init__(self, catalog: ApiCatalog | None = None):
        self.catalog = catalog or ApiCatalog()
        self._lock = threading.RLock()
        self._revision = 0
        self._compacted = 0
        self._history: dict[tuple[str, str], dict[str, list[_Version]]] = {}
        self._changed = threading.Condition(self._lock)
        self._versions_cache: tuple[int, dict] = (-1, {})

    # -- state ---------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self._revision

    @property
    def compacted_revision(self) -> int:
        return self._compacted

    def bump(self) -> int:
        """Advance the revision as an unrelated write elsewhere in the cluster would."""
        with self._lock:
            self._revision += 1
            self._changed.notify_all()
            return self._revision

    def compact(self, revision: int | None = None) -> int:
        """Forget history before ``revision`` (default: now); older continue tokens get 410."""
        with self._lock:
            target = self._revision if revision is None else min(revision, self._revision)
            self._compacted = max(self._compacted, target)
            for keys in self._history.values():
                for key in list(keys):
                    keys[key] = self._prune(keys[key])
                    if not keys[key]:
                        del keys[key]
            return self._compacted

    def _prune(self, versions: list[_Version]) -> list[_Version]:
        older = [v for v in versions if v.revision <= self._compacted]
        kept = [v for v in versions if v.revision > self._compacted]
        if older and older[-1].obj is not None:
            kept.insert(0, older[-1])
        return kept

    # -- writes --------------------------------------------------------------

    def load(self, dirs) -> int:
        """Make the store hold exactly the objects of these fixture directories."""
        return self.replace_objects(load_fixture_objects(dirs))

    def replace_objects(self, objects) -> int:
        """Make the store hold exactly ``objects`` (plus their namespaces); unchanged objects keep their resourceVersion."""
        desired = {}
        for obj in list(objects) + self._namespaces_for(objects):
            rtype, key, normal = self._normalise(obj)
            desired[(rtype.group, rtype.plural, key)] = normal
        with self._lock:
            for (group, plural), keys in self._history.items():
                for key, versions in keys.items():
                    if versions[-1].obj is not None and (group, plural, key) not in desired:
                        self._write(group, plural, key, None)
            for obj in desired.values():
                self._put_normalised(obj)
            return self._revision

    def put(self, obj: dict) -> dict:
        """Create or update one object; returns the stored copy (with metadata filled in)."""
        with self._lock:
            for namespace_obj in self._namespaces_for([obj]):
                if not self._live(*self._key_of(namespace_obj)):
                    self._put_normalised(self._normalise(namespace_obj)[2])
            return copy.deepcopy(self._put_normalised(self._normalise(obj)[2]))

    def delete(self, kind: str, namespace: str | None, name: str, group: str | None = None) -> bool:
        """Delete one object by kind (and group when a kind name is ambiguous); False if absent."""
        with self._lock:
            for (res_group, plural), keys in self._history.items():
                rtype = self._type_of_plural(res_group, plural)
                if rtype.kind != kind or (group is not None and group != res_group):
                    continue
                key = f"{namespace}/{name}" if rtype.namespaced else name
                if key in keys and keys[key][-1].obj is not None:
                    self._write(res_group, plural, key, None)
                    return True
            return False

    def _type_of_plural(self, group: str, plural: str) -> ResourceType:
        for versions in self._history.get((group, plural), {}).values():
            for version in versions:
                if version.obj is not None:
                    return self.catalog.for_kind(group, version.obj["kind"])
        return ResourceType(group, "", plural, "")

    def _namespaces_for(self, objects) -> list[dict]:
        names = set(BASE_NAMESPACES)
        for obj in objects:
            rtype = self.catalog.for_kind(split_api_version(obj.get("apiVersion", ""))[0], obj.get("kind", ""))
            if rtype.namespaced:
                names.add((obj.get("metadata") or {}).get("namespace") or "default")
        explicit = {
            (o.get("metadata") or {}).get("name") for o in objects if o.get("kind") == "Namespace"
        }
        return [_namespace_object(n) for n in sorted(names - explicit)]

    def _normalise(self, obj: dict) -> tuple[ResourceType, str, dict]:
        if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
            raise ValueError(f"object without apiVersion/kind: {obj!r:.200}")
        meta = dict(obj.get("metadata") or {})
        if not meta.get("name"):
            raise ValueError(f"object without metadata.name: {obj!r:.200}")
        rtype = self.catalog.for_kind(split_api_version(obj["apiVersion"])[0], obj["kind"])
        if rtype.namespaced:
            meta["namespace"] = meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        normal = copy.deepcopy({**obj, "metadata": meta})
        return rtype, self._key(rtype, meta), normal

    @staticmethod
    def _key(rtype: ResourceType, meta: dict) -> str:
        return f"{meta['namespace']}/{meta['name']}" if rtype.namespaced else meta["name"]

    def _key_of(self, obj: dict) -> tuple[str, str, str]:
        rtype, key = self._normalise(obj)[:2]
        return rtype.group, rtype.plural, key

    def _live(self, group: str, plural: str, key: str) -> dict | None:
        versions = self._history.get((group, plural), {}).get(key)
        return versions[-1].obj if versions else None

    def _put_normalised(self, obj: dict) -> dict:
        rtype = self.catalog.for_kind(split_api_version(obj["apiVersion"])[0], obj["kind"])
        key = self._key(rtype, obj["metadata"])
        existing = self._live(rtype.group, rtype.plural, key)
        if existing is not None and _comparable(existing) == _comparable(obj):
            return existing
        meta = obj["metadata"]
        previous = (existing or {}).get("metadata", {})
        meta.setdefault("uid", previous.get("uid") or str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", previous.get("creationTimestamp") or _now())
        # A generation the caller copied from the stored object is the server's to advance; one
        # that differs is a fixture stating the object's state, and is kept.
        if meta.get("generation") in (None, previous.get("generation")):
            generation = previous.get("generation", 0)
            spec_changed = existing is None or _spec_part(existing) != _spec_part(obj)
            meta["generation"] = generation + 1 if spec_changed else generation
        meta.pop("managedFields", None)
        return self._write(rtype.group, rtype.plural, key, obj)

    def _write(self, group: str, plural: str, key: str, obj: dict | None) -> dict | None:
        self._revision += 1
        if obj is not None:
            obj["metadata"]["resourceVersion"] = str(self._revision)
        self._history.setdefault((group, plural), {}).setdefault(key, []).append(_Version(self._revision, obj))
        self._changed.notify_all()
        return obj

    # -- reads ---------------------------------------------------------------

    def get(self, group: str, plural: str, namespace: str | None, name: str) -> dict | None:
        key = f"{namespace}/{name}" if namespace else name
        with self._lock:
            obj = self._live(group, plural, key)
        return copy.deepcopy(obj) if obj is not None else None

    def snapshot(self, group: str, plural: str, revision: int | None = None) -> tuple[int, list[tuple[str, dict]]]:
        """(revision, [(key, object)]) of one resource at ``revision``, sorted by key like etcd."""
        with self._lock:
            if revision is None:
                revision = self._revision
            elif revision < self._compacted:
                raise StaleRevision(revision)
            elif revision > self._revision:
                raise FutureRevision(revision)
            items = []
            for key, versions in self._history.get((group, plural), {}).items():
                obj = _as_of(versions, revision)
                if obj is not None:
                    items.append((key, obj))
        items.sort(key=lambda item: item[0].encode())
        return revision, items

    def objects(self) -> list[dict]:
        """Copies of every live object (for tests and the admin endpoint)."""
        with self._lock:
            live = [vs[-1].obj for keys in self._history.values() for vs in keys.values() if vs[-1].obj]
            return copy.deepcopy(live)

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for keys in self._history.values() for vs in keys.values() if vs[-1].obj is not None)

    def served_api_versions(self) -> dict[tuple[str, str], set[str]]:
        """{(group, kind): {versions}} of live objects, for discovery; do not modify the result."""
        with self._lock:
            # Every request asks (to resolve its path), so the answer is kept until the next write.
            if self._versions_cache[0] != self._revision:
                found: dict[tuple[str, str], set[str]] = {}
                for keys in self._history.values():
                    for versions in keys.values():
                        obj = versions[-1].obj
                        if obj is not None:
                            group, version = split_api_version(obj["apiVersion"])
                            found.setdefault((group, obj["kind"]), set()).add(version)
                self._versions_cache = (self._revision, found)
            return self._versions_cache[1]

    def wait_for_change(self, after_revision: int, timeout: float) -> int:
        """The revision once it has moved past ``after_revision``, or after ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self._revision > after_revision, timeout)
            return self._revision

    def changes(self, group: str, plural: str, after: int, upto: int) -> list[tuple[int, str, dict | None, dict | None]]:
        """(revision, key, before, after) of each write to one resource in (after, upto], oldest first."""
        found = []
        with self._lock:
            for key, versions in self._history.get((group, plural), {}).items():
                previous = None
                for version in versions:
                    if after < version.revision <= upto:
                        found.append((version.revision, key, previous, version.obj))
                    previous = version.obj
        found.sort(key=lambda change: change[0])
        return found


def _as_of(versions: list[_Version], revision: int) -> dict | None:
    found = None
    for version in versions:
        if version.revision > revision:
            break
        found = version.obj
    return found


def _namespace_object(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


# ---------------------------------------------------------------------------
# Continue tokens: the exact encoding of k8s.io/apiserver/pkg/storage/continue.go
# ---------------------------------------------------------------------------

_CONTINUE_VERSION = "meta.k8s.io/v1"


def encode_continue(start_key: str, revision: int) -> str:
    raw = json.dumps({"v": _CONTINUE_VERSION, "rv": revision, "start": start_key}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str) -> tuple[str, int]:
    """(start key, revision); ValueError with the real server's wording when malformed."""
    generic = "continue key is not valid"
    if not re.fullmatch(r"[A-Za-z0-9_-]*", token):
        raise ValueError(f"{generic}: illegal base64 data")
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as err:
        raise ValueError(f"{generic}: {err}") from err
    if not isinstance(data, dict) or data.get("v") != _CONTINUE_VERSION:
        version = data.get("v") if isinstance(data, dict) else data
        raise ValueError(f"{generic}: server does not recognize this encoded version {version}")
    revision, start = data.get("rv"), data.get("start")
    if not isinstance(revision, int) or revision == 0:
        raise ValueError(f"{generic}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    if not isinstance(start, str) or not start:
        raise ValueError(f"{generic}: encoded start key empty (version meta.k8s.io/v1)")
    # Like path.Clean in the real server: a key that is not already clean could climb out of the prefix.
    key = start if start.startswith("/") else "/" + start
    cleaned = "/" + posixpath.normpath(key).lstrip("/")
    if cleaned != key:
        raise ValueError(f"{generic}: {start}")
    return key[1:], revision


# ---------------------------------------------------------------------------
# Request counters and fault switches
# ---------------------------------------------------------------------------


class RequestLog:
    """How many requests the server got, per (verb, path); verbs are Kubernetes verbs (get, list, ...)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], int] = {}

    def record(self, verb: str, path: str) -> None:
        with self._lock:
            self._counts[(verb, path)] = self._counts.get((verb, path), 0) + 1

    def count(self, verb: str | None = None, path: str | None = None, path_prefix: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (v, p), n in self._counts.items()
                if (verb is None or v == verb)
                and (path is None or p == path)
                and (path_prefix is None or p.startswith(path_prefix))
            )

    @property
    def total(self) -> int:
        return self.count()

    def snapshot(self) -> dict:
        with self._lock:
            rows = [{"verb": v, "path": p, "count": n} for (v, p), n in sorted(self._counts.items())]
        return {"total": sum(r["count"] for r in rows), "requests": rows}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


FAULT_ACTIONS = ("error", "drop", "truncate", "compact")
TRUNCATE_MODES = ("short-body", "cut-json")


@dataclass
class FaultRule:
    """One fault switch: fires on matching requests nth .. nth+count-1 counted from when it was set.

    ``count`` 0 means every matching request from the nth on. ``truncate`` only sees list requests.
    """

    action: str
    nth: int = 1
    count: int = 1
    status: int = 503
    verb: str | None = None
    path: str | None = None
    mode: str = "short-body"
    retry_after: int | None = None
    seen: int = 0
    fired: int = 0

    def __post_init__(self):
        if self.action not in FAULT_ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; expected one of {FAULT_ACTIONS}")
        if self.mode not in TRUNCATE_MODES:
            raise ValueError(f"unknown truncate mode {self.mode!r}; expected one of {TRUNCATE_MODES}")
        if self.nth < 1 or self.count < 0:
            raise ValueError("nth must be >= 1 and count >= 0")
        if self.action == "truncate":
            self.verb = "list"

    def observe(self, verb: str, path: str) -> bool:
        """Count a request; True when this rule fires on it."""
        if (self.verb and verb != self.verb) or (self.path and not re.search(self.path, path)):
            return False
        self.seen += 1
        last = None if self.count == 0 else self.nth + self.count - 1
        if self.seen >= self.nth and (last is None or self.seen <= last):
            self.fired += 1
            return True
        return False

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class FaultInjector:
    """The fault switches: added latency, 5xx errors, dropped connections, truncated list pages."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.latency = 0.0

    def set_latency(self, seconds: float) -> None:
        self.latency = float(seconds)

    def fail(self, status: int = 503, nth: int = 1, count: int = 1, verb=None, path=None, retry_after=None) -> FaultRule:
        """Answer HTTP ``status`` (500, 503, ...) with a Status body."""
        return self.add(FaultRule("error", nth, count, status, verb, path, retry_after=retry_after))

    def drop(self, nth: int = 1, count: int = 1, verb=None, path=None) -> FaultRule:
        """Close the connection without sending any response."""
        return self.add(FaultRule("drop", nth, count, verb=verb, path=path))

    def compact(self, nth: int = 1, count: int = 1, path=None) -> FaultRule:
        """Compact the store's history just before the nth list request is served, as etcd's compaction
        can between two pages of a list: a continue token from before it gets 410 Expired."""
        return self.add(FaultRule("compact", nth, count, verb="list", path=path))

    def truncate(self, nth: int = 1, count: int = 1, mode: str = "short-body", path=None) -> FaultRule:
        """Break the nth list response: ``short-body`` (Content-Length larger than what is sent, then close)
        or ``cut-json`` (a well-formed HTTP response whose JSON stops half-way)."""
        return self.add(FaultRule("truncate", nth, count, path=path, mode=mode))

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.latency = 0.0

    def configure(self, config: dict) -> dict:
        """Apply ``{"clear": bool, "latency": seconds, "rules": [FaultRule fields]}`` (the admin endpoint's body)."""
        if config.get("clear"):
            self.clear()
        if "latency" in config:
            self.set_latency(config["latency"])
        allowed = set(FaultRule.__dataclass_fields__) - {"seen", "fired"}
        for spec in config.get("rules") or []:
            unknown = set(spec) - allowed
            if unknown:
                raise ValueError(f"unknown fault fields: {sorted(unknown)}")
            self.add(FaultRule(**spec))
        return self.snapshot()

    def on_request(self, verb: str, path: str) -> FaultRule | None:
        """Count the request against every rule; the first rule that fires decides what happens."""
        fired = None
        with self._lock:
            for rule in self._rules:
                if rule.observe(verb, path) and fired is None:
                    fired = rule
        return fired

    def snapshot(self) -> dict:
        with self._lock:
            return {"latency": self.latency, "rules": [r.as_dict() for r in self._rules]}


# ---------------------------------------------------------------------------
# Certificates
# ---------------------------------------------------------------------------


def ensure_certificates(state_dir: Path, hosts=("127.0.0.1", "localhost", "::1")) -> tuple[Path, Path, Path]:
    """(ca.crt, server.crt, server.key) in ``state_dir``; reused when present, signed by that CA
    and covering ``hosts``, so clients that trust ca.crt keep working across restarts."""
    ca_crt, ca_key = state_dir / "ca.crt", state_dir / "ca.key"
    srv_crt, srv_key = state_dir / "server.crt", state_dir / "server.key"
    crypto = _crypto()
    if not (ca_crt.exists() and ca_key.exists()):
        _write_ca(crypto, ca_crt, ca_key)
    if not (srv_crt.exists() and srv_key.exists() and _server_cert_fits(crypto, ca_crt, srv_crt, hosts)):
        _write_server_cert(crypto, ca_crt, ca_key, srv_crt, srv_key, hosts)
    return ca_crt, srv_crt, srv_key


def _crypto() -> types.SimpleNamespace:
    # Imported late so that the pure parts of this module work without cryptography.
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    return types.SimpleNamespace(x509=x509, hashes=hashes, serialization=serialization, ec=ec,
                                 eku=ExtendedKeyUsageOID, name_oid=NameOID, invalid_signature=InvalidSignature)


def _key_pem(crypto, key) -> bytes:
    ser = crypto.serialization
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption())


def _builder(crypto, subject, issuer, public_key):
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        crypto.x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(crypto.x509.random_serial_number())
        # Back-dated a day so that small clock differences never make it "not yet valid".
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(crypto.x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(x509, cert_sign: bool):
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_ca(crypto, ca_crt: Path, ca_key: Path) -> None:
    x509 = crypto.x509
    key = crypto.ec.generate_private_key(crypto.ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(crypto.name_oid.COMMON_NAME, "hedgehog-standin-ca")])
    cert = (
        _builder(crypto, name, name, key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(x509, cert_sign=True), critical=True)
        .sign(key, crypto.hashes.SHA256())
    )
    write_private(ca_key, _key_pem(crypto, key))
    ca_crt.write_bytes(cert.public_bytes(crypto.serialization.Encoding.PEM))


def _san_entries(x509, hosts):
    entries = []
    for host in hosts:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            entries.append(x509.DNSName(host))
    return entries


def _write_server_cert(crypto, ca_crt: Path, ca_key: Path, srv_crt: Path, srv_key: Path, hosts) -> None:
    x509 = crypto.x509
    ca_cert = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    ca_private = crypto.serialization.load_pem_private_key(ca_key.read_bytes(), password=None)
    key = crypto.ec.generate_private_key(crypto.ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(crypto.name_oid.COMMON_NAME, "kube-apiserver")])
    cert = (
        _builder(crypto, subject, ca_cert.subject, key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(x509, cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([crypto.eku.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_san_entries(x509, hosts)), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_private.public_key()), critical=False)
        .sign(ca_private, crypto.hashes.SHA256())
    )
    write_private(srv_key, _key_pem(crypto, key))
    srv_crt.write_bytes(cert.public_bytes(crypto.serialization.Encoding.PEM))


def _server_cert_fits(crypto, ca_crt: Path, srv_crt: Path, hosts) -> bool:
    x509 = crypto.x509
    ca_cert = x509.load_pem_x509_certificate(ca_crt.read_bytes())
    cert = x509.load_pem_x509_certificate(srv_crt.read_bytes())
    try:
        cert.verify_directly_issued_by(ca_cert)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, x509.ExtensionNotFound, crypto.invalid_signature):
        return False
    names = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
    return all(str(h) in names for h in hosts)


# ---------------------------------------------------------------------------
# Serving: discovery, lists, gets, Table
# ---------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration, which fills the AGE column."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes, hours = s // 60, s // 3600
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        years, days = hours // 24 // 365, (hours // 24) % 365
        return f"{years}y" if days == 0 else f"{years}y{days}d"
    return f"{hours // 24 // 365}y"


def _age(timestamp: str | None) -> str | None:
    if not timestamp:
        return "<unknown>"
    try:
        created = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return "<invalid>"
    return human_duration((datetime.datetime.now(datetime.timezone.utc) - created).total_seconds())


# The columns apiextensions serves for a CRD without additionalPrinterColumns.
TABLE_COLUMNS = [
    {
        "name": "Name",
        "type": "string",
        "format": "name",
        "description": "Name must be unique within a namespace. Is required when creating resources, "
        "although some resources may allow a client to request the generation of an appropriate name "
        "automatically. Name is primarily intended for creation idempotence and configuration definition. "
        "Cannot be updated. More info: "
        "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        "priority": 0,
    },
    {
        "name": "Age",
        "type": "date",
        "format": "",
        "description": "CreationTimestamp is a timestamp representing the server time when this object was "
        "created. It is not guaranteed to be set in happens-before order across separate operations. "
        "Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n"
        "Populated by the system. Read-only. Null for lists. More info: "
        "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
        "priority": 0,
    },
]


def _table(objects: list[dict], list_meta: dict, table_version: str, include: str, headers: bool) -> dict:
    rows = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        row = {"cells": [meta.get("name"), _age(meta.get("creationTimestamp"))]}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": table_version, "metadata": meta}
        rows.append(row)
    table = {"kind": "Table", "apiVersion": table_version, "metadata": list_meta}
    if headers:
        table["columnDefinitions"] = TABLE_COLUMNS
    table["rows"] = rows
    return table


def _media_ranges(accept: str | None) -> list[tuple[str, dict]]:
    ranges = []
    for part in (accept or "*/*").split(","):
        pieces = [p.strip() for p in part.split(";")]
        params = {}
        for piece in pieces[1:]:
            name, value = piece.partition("=")[::2]
            params[name.strip().lower()] = value.strip()
        if pieces[0]:
            ranges.append((pieces[0].lower(), params))
    return ranges


def negotiate(accept: str | None, table_allowed: bool) -> str | None:
    """'json', 'table-v1', 'table-v1beta1', or None when nothing acceptable is offered.

    Media types we do not serve (aggregated discovery, protobuf, PartialObjectMetadataList) are
    skipped so the client's own fallback, listed after them, is chosen, as with a server that
    lacks the feature.
    """
    for media, params in _media_ranges(accept):
        if media not in ("application/json", "application/*", "*/*"):
            continue
        kind = params.get("as")
        if kind is None:
            return "json"
        if table_allowed and kind == "Table" and params.get("g") == "meta.k8s.io":
            if params.get("v") in ("v1", "v1beta1"):
                return "table-" + params["v"]
    return None


@dataclass
class ResourceRequest:
    """A request for objects, as the real server's RequestInfo would parse it."""

    group: str
    version: str
    plural: str
    namespace: str | None
    name: str | None
    subresource: str | None


def parse_resource_path(path: str) -> ResourceRequest | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    elif rest[0] == "namespaces" and len(rest) == 2:
        # /api/v1/namespaces/NAME is the namespace object itself.
        return ResourceRequest(group, version, "namespaces", None, rest[1], None)
    if len(rest) > 3:
        return None
    plural, name, sub = rest[0], rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None
    return ResourceRequest(group, version, plural, namespace, name, sub)


class ApiView:
    """What the server serves right now: the store seen through the CRDs the test describes."""

    def __init__(self, store: ObjectStore, not_installed=(), server_version=None, api: ServedApi | None = None):
        self.store = store
        self.not_installed: set[str] = set(not_installed)
        self.server_version = dict(server_version or DEFAULT_SERVER_VERSION)
        # Replaced whole (never changed in place), so a request sees one consistent shape.
        self.api = api or ServedApi()
        self._served_cache: tuple = (None, None, None, {})

    def served(self) -> dict[str, dict[str, list[ResourceType]]]:
        """{group: {version: [types]}}; a group with no installed kind is not served at all. Do not modify it."""
        seen, api, not_installed = self.store.served_api_versions(), self.api, frozenset(self.not_installed)
        cached_seen, cached_api, cached_not_installed, served = self._served_cache
        # Every request asks; the answer holds until the objects' versions or the served API change.
        if cached_seen is not seen or cached_api is not api or cached_not_installed != not_installed:
            served = served_resources(self.store.catalog, seen, not_installed, api)
            self._served_cache = (seen, api, not_installed, served)
        return served

    def resource_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        for rtype in self.served().get(group, {}).get(version, []):
            if rtype.plural == plural:
                return rtype
        return None

    @property
    def aggregated_versions(self) -> tuple[str, ...]:
        if self.api.aggregated_discovery is not None:
            return self.api.aggregated_discovery
        return aggregated_versions_for(self.server_version)

    # -- discovery documents -------------------------------------------------

    def api_versions(self, server_address: str) -> dict:
        return {
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
        }

    def api_group(self, group: str) -> dict:
        return api_group(group, self.served()[group])

    def api_group_list(self) -> dict:
        return api_group_list(self.served())

    def resource_list(self, group: str, version: str) -> dict:
        return resource_list(group, version, self.served()[group][version])

    def aggregated(self, core: bool, version: str) -> dict:
        return aggregated_list(self.served(), core, version)

    # -- objects -------------------------------------------------------------

    def list_objects(self, rtype: ResourceType, version: str, namespace: str | None, query: dict) -> tuple[list[dict], dict]:
        """(items, list metadata) for one list request, paged the way etcd3's GetList pages."""
        selection = _selection(query)
        limit = max(_int_param(query, "limit", 0), 0)
        token = _param(query, "continue")
        prefix = f"{namespace}/" if namespace else ""
        start, revision = self._start_of(token, query)
        try:
            revision, items = self.store.snapshot(rtype.group, rtype.plural, revision)
        except StaleRevision:
            raise _expired_continue(start, prefix) from None
        except FutureRevision as err:
            raise _too_large(err.args[0], self.store.revision) from None
        keys = [(k, o) for k, o in items if k.startswith(prefix) and k[len(prefix):].encode() >= start.encode()]
        page, more = _fill_page(keys, selection, limit)
        meta = {"resourceVersion": str(revision)}
        if more:
            meta["continue"] = encode_continue(page[-1][0][len(prefix):] + "\x00", revision)
            if selection.empty:
                meta["remainingItemCount"] = len(keys) - limit
        return [_at_version(item[1], rtype, version) for item in page], meta

    def _start_of(self, token: str | None, query: dict) -> tuple[str, int | None]:
        resource_version = _param(query, "resourceVersion")
        if token:
            if resource_version not in (None, "", "0"):
                raise bad_request("specifying resource version is not allowed when using continue")
            try:
                start, revision = decode_continue(token)
            except ValueError as err:
                raise bad_request(f"invalid continue token: {err}") from None
            return start, revision if revision > 0 else None
        if resource_version in (None, "", "0"):
            return "", None
        revision = _parse_resource_version(resource_version)
        match = _param(query, "resourceVersionMatch") or ""
        # Exact reads that snapshot; so does the legacy form (no match) of a limited list.
        # NotOlderThan is served from the newest revision, which is never older.
        if match == "Exact" or (match == "" and _int_param(query, "limit", 0) > 0):
            return "", revision
        return "", None

    def get_object(self, rtype: ResourceType, version: str, namespace: str | None, name: str) -> dict:
        obj = self.store.get(rtype.group, rtype.plural, namespace if rtype.namespaced else None, name)
        if obj is None:
            raise not_found(rtype, name)
        return _at_version(obj, rtype, version)


def watch_events(view: ApiView, rtype: ResourceType, version: str, namespace: str | None, query: dict,
                 until: float, stopping: threading.Event):
    """An iterator of (type, object) watch events, as the real server streams them, until ``until``.

    Parameters are checked here, before the response starts, so that bad ones still get a 400.
    """
    selection = _selection(query)
    requested = _param(query, "resourceVersion")
    start = None if requested in (None, "", "0") else _parse_resource_version(requested)
    prefix = f"{namespace}/" if namespace else ""
    return _watch(view.store, rtype, version, prefix, selection, start, until, stopping)


def _watch(store, rtype, version, prefix, selection, start, until, stopping):
    if start is None:
        # "Start at most recent": the current state first, as synthetic ADDED events.
        revision, items = store.snapshot(rtype.group, rtype.plural)
        for key, obj in items:
            if key.startswith(prefix) and selection.matches(obj):
                yield "ADDED", _at_version(obj, rtype, version)
    elif start < store.compacted_revision:
        message = f"too old resource version: {start} ({store.compacted_revision})"
        yield "ERROR", ApiError(410, "Expired", message).body
        return
    else:
        revision = start
    while not stopping.is_set() and time.monotonic() < until:
        latest = store.wait_for_change(revision, max(0.0, min(0.5, until - time.monotonic())))
        for changed_at, key, before, after in store.changes(rtype.group, rtype.plural, revision, latest):
            event = _watch_event(before, after, changed_at, selection) if key.startswith(prefix) else None
            if event:
                yield event[0], _at_version(event[1], rtype, version)
        revision = latest


def _watch_event(before: dict | None, after: dict | None, revision: int, selection: Selection):
    # Like the watch cache: an object that leaves the selection is DELETED for this watcher,
    # one that enters it is ADDED.
    was = before is not None and selection.matches(before)
    now = after is not None and selection.matches(after)
    if now:
        return ("MODIFIED" if was else "ADDED"), after
    if was:
        return "DELETED", {**before, "metadata": {**before["metadata"], "resourceVersion": str(revision)}}
    return None


def _at_version(obj: dict, rtype: ResourceType, version: str) -> dict:
    # CRDs here use conversion strategy None: only apiVersion changes between served versions.
    api_version = f"{rtype.group}/{version}" if rtype.group else version
    return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}


def _fill_page(keys: list[tuple[str, dict]], selection: Selection, limit: int):
    """The page and whether the server reports more: etcd3 says "more" when any key, matching
    or not, follows the last item of a full page, so a selector can leave an empty last page."""
    page = []
    for index, (key, obj) in enumerate(keys):
        if selection.matches(obj):
            page.append((key, obj))
            if limit and len(page) >= limit:
                return page, index + 1 < len(keys)
    return page, False


def _expired_continue(start: str, prefix: str) -> ApiError:
    # Like handleCompactedErrorForPaging: the 410 carries a token (rv -1) that continues on the
    # latest revision, for clients willing to accept an inconsistent list.
    message = (
        "The provided continue parameter is too old to display a consistent list result. You can start "
        "a new list without the continue parameter, or use the continue token in this response to "
        "retrieve the remainder of the results. Continuing with the provided token results in an "
        "inconsistent list - objects that were created, modified, or deleted between the time the first "
        "chunk was returned and now may show up in the list."
    )
    return ApiError(410, "Expired", message, list_meta={"continue": encode_continue(start, -1)})


def _too_large(requested: int, current: int) -> ApiError:
    return ApiError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
         "retryAfterSeconds": 1},
    )


def _param(query: dict, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int_param(query: dict, name: str, default: int) -> int:
    value = _param(query, name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request(f'strconv.ParseInt: parsing "{value}": invalid syntax') from None


def _parse_resource_version(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise bad_request(f'invalid resource version: strconv.ParseUint: parsing "{value}": invalid syntax') from None


def _selection(query: dict) -> Selection:
    try:
        labels = parse_label_selector(_param(query, "labelSelector") or "")
        fields = parse_field_selector(_param(query, "fieldSelector") or "")
    except ValueError as err:
        raise bad_request(str(err)) from None
    return Selection(labels, fields)


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


def _verb_for(method: str, request: ResourceRequest | None, query: dict) -> str:
    if request is None:
        return method.lower()
    if method == "GET":
        if _param(query, "watch") in ("true", "1"):
            return "watch"
        return "get" if request.name else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


@dataclass
class _AggregatedDocument:
    """An APIGroupDiscoveryList with the headers ServeHTTPWithETag sends (and its 304)."""

    body: dict
    version: str


@dataclass
class _WatchStream:
    events: object  # iterator of (type, object)
    mode: str
    query: dict


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this every response stalls ~40 ms (Nagle against delayed ACK).
    disable_nagle_algorithm = True
    # Idle keep-alive connections give their thread back after this long.
    timeout = 60

    standin: KubeStandin  # set on the subclass built per server

    def setup(self):
        super().setup()
        self.standin._connections.add(self.connection)
        # The listening socket does not handshake on accept, so one slow client cannot stall the
        # accept loop; the handshake happens here, in this connection's own thread.
        self.connection.do_handshake()

    def finish(self):
        try:
            super().finish()
        finally:
            self.standin._connections.discard(self.connection)

    def send_response(self, code, message=None):
        # Go's net/http, which the real server uses, sends no Server header.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.standin.verbose:
            super().log_message(format, *args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # -- flow ----------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        body = self._read_body()
        if url.path == ADMIN_PREFIX or url.path.startswith(ADMIN_PREFIX + "/"):
            self._admin(method, url.path, query, body)
            return
        request = parse_resource_path(url.path)
        verb = _verb_for(method, request, query)
        self.standin.requests.record(verb, url.path)
        fault = self.standin.faults.on_request(verb, url.path)
        if self.standin.faults.latency:
            time.sleep(self.standin.faults.latency)
        if fault is not None and fault.action == "drop":
            self._drop()
            return
        if fault is not None and fault.action == "compact":
            # Another write moves the revision on, and compaction forgets everything before it.
            self.standin.store.bump()
            self.standin.store.compact()
        try:
            if fault is not None and fault.action == "error":
                self._send_error_fault(fault)
                return
            payload = self._serve(method, url.path, request, verb, query)
        except ApiError as err:
            self._send_json(err.code, err.body)
            return
        except PageNotFound:
            self._send_text(404, "404 page not found\n")
            return
        if isinstance(payload, _WatchStream):
            self._stream_watch(payload)
            return
        if isinstance(payload, _AggregatedDocument):
            self._send_aggregated(payload)
            return
        if fault is not None and fault.action == "truncate":
            self._send_truncated(payload, fault.mode)
            return
        self._send_json(200, payload)

    def _stream_watch(self, stream: _WatchStream) -> None:
        """One JSON event per line in HTTP chunks, as the real server streams a watch."""
        self.send_response(200)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for event_type, obj in stream.events:
                if stream.mode != "json" and event_type != "ERROR":
                    meta = {"resourceVersion": obj["metadata"]["resourceVersion"]}
                    obj = self._as_table([obj], meta, stream.mode, stream.query)
                data = json.dumps({"type": event_type, "object": obj}, separators=(",", ":")).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            # The watcher went away; its thread has nothing more to do.
            self.close_connection = True

    def _serve(self, method, path, request, verb, query) -> dict:
        role = self._authenticate()
        if request is None:
            return self._serve_non_resource(method, path)
        view = self.standin.view
        rtype = view.resource_type(request.group, request.version, request.plural)
        # RBAC decides before the handler looks whether the resource (or this version of it) exists.
        rbac_type = rtype or view.store.catalog.for_plural(request.group, request.plural)
        if role == "forbidden":
            raise forbidden(rbac_type, verb, request.namespace or "", request.name or "")
        if view.api.is_forbidden(rbac_type):
            raise forbidden(rbac_type, verb, request.namespace or "", request.name or "", user=READER_USER)
        if rtype is None or view.api.is_broken(rtype) or not _scope_fits(rtype, request, verb):
            raise PageNotFound()
        if verb not in ("get", "list", "watch"):
            raise ApiError(405, "MethodNotAllowed", f'{verb} is not supported on resources of kind "{rtype.qualified}"',
                           {"group": rtype.group, "kind": rtype.plural} if rtype.group else {"kind": rtype.plural})
        if request.subresource not in (None, "status"):
            raise PageNotFound()
        return self._serve_objects(view, rtype, request, verb, query)

    def _serve_objects(self, view, rtype, request, verb, query) -> dict | _WatchStream:
        mode = negotiate(self.headers.get("Accept"), table_allowed=True)
        if mode is None:
            raise _not_acceptable()
        namespace = request.namespace if rtype.namespaced else None
        if verb == "watch":
            until = time.monotonic() + _int_param(query, "timeoutSeconds", 1800)
            events = watch_events(view, rtype, request.version, namespace, query, until, self.standin._stopping)
            return _WatchStream(events, mode, query)
        if verb == "get":
            obj = view.get_object(rtype, request.version, namespace, request.name)
            if mode == "json":
                return obj
            return self._as_table([obj], {"resourceVersion": obj["metadata"]["resourceVersion"]}, mode, query)
        items, meta = view.list_objects(rtype, request.version, namespace, query)
        if mode != "json":
            return self._as_table(items, meta, mode, query)
        api_version = f"{rtype.group}/{request.version}" if rtype.group else request.version
        return {"apiVersion": api_version, "items": items, "kind": f"{rtype.kind}List", "metadata": meta}

    @staticmethod
    def _as_table(items, meta, mode, query) -> dict:
        version = "meta.k8s.io/" + mode.split("-", 1)[1]
        include = _param(query, "includeObject") or "Metadata"
        headers = (_param(query, "noHeaders") or "false") != "true"
        return _table(items, meta, version, include, headers)

    def _serve_non_resource(self, method: str, path: str) -> dict | _AggregatedDocument:
        if method != "GET":
            raise PageNotFound()
        view = self.standin.view
        parts = [p for p in path.split("/") if p]
        if parts in (["api"], ["apis"]):
            return self._serve_discovery_root(view, parts == ["api"])
        if negotiate(self.headers.get("Accept"), table_allowed=False) is None:
            raise _not_acceptable()
        if parts == ["version"]:
            return view.server_version
        if parts == ["api", "v1"]:
            return view.resource_list("", "v1")
        served = view.served()
        if len(parts) == 2 and parts[0] == "apis" and parts[1] in served:
            return {"kind": "APIGroup", "apiVersion": "v1", **view.api_group(parts[1])}
        if len(parts) == 3 and parts[0] == "apis" and parts[2] in served.get(parts[1], {}):
            return view.resource_list(parts[1], parts[2])
        raise PageNotFound()

    def _serve_discovery_root(self, view: ApiView, core: bool) -> dict | _AggregatedDocument:
        """``/api`` or ``/apis``: the aggregated document when the client asks for a version this
        server serves, else the legacy APIVersions or APIGroupList."""
        chosen = negotiate_discovery(self.headers.get("Accept"), view.aggregated_versions)
        if chosen is None:
            raise _not_acceptable()
        form, version = chosen
        if form == "aggregated":
            return _AggregatedDocument(view.aggregated(core, version), version)
        if core:
            return view.api_versions(f"{self.standin.host}:{self.standin.port}")
        return view.api_group_list()

    # -- auth ----------------------------------------------------------------

    def _bearer(self) -> str | None:
        header = self.headers.get("Authorization") or ""
        scheme, token = header.partition(" ")[::2]
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None

    def _authenticate(self) -> str:
        """'admin' or 'forbidden'; anything else is 401, as on k3s, which disables anonymous auth."""
        token = self._bearer()
        if token and hmac.compare_digest(token.encode(), self.standin.token.encode()):
            return "admin"
        forbidden_token = self.standin.forbidden_token
        if token and forbidden_token and hmac.compare_digest(token.encode(), forbidden_token.encode()):
            return "forbidden"
        raise unauthorized()

    # -- writing -------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _headers(self, code: int, content_type: str, length: int, extra=None) -> None:
        extra = dict(extra or {})
        self.send_response(code)
        self.send_header("Audit-Id", str(uuid.uuid4()))
        # The cache-control filter's default, which a handler may override (aggregated discovery does).
        self.send_header("Cache-Control", extra.pop("Cache-Control", "no-cache, private"))
        self.send_header("Content-Type", content_type)
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send_json(self, code: int, payload: dict, extra=None) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        self._headers(code, "application/json", len(data), extra)
        self.wfile.write(data)

    def _send_aggregated(self, document: _AggregatedDocument) -> None:
        etag = aggregated_etag(document.body)
        extra = {"ETag": etag, "Vary": "Accept", "Cache-Control": "public"}
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("Audit-Id", str(uuid.uuid4()))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            return
        data = json.dumps(document.body, separators=(",", ":")).encode()
        self._headers(200, aggregated_content_type(document.version), len(data), extra)
        self.wfile.write(data)

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self._headers(code, "text/plain; charset=utf-8", len(data))
        self.wfile.write(data)

    def _send_error_fault(self, fault: FaultRule) -> None:
        err = injected_error(fault.status)
        retry_after = fault.retry_after
        if retry_after is None and fault.status == 429:
            retry_after = 1  # the priority and fairness filter always tells when to come back
        extra = {"Retry-After": str(retry_after)} if retry_after is not None else None
        self._send_json(err.code, err.body, extra)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_truncated(self, payload: dict, mode: str) -> None:
        data = json.dumps(payload, separators=(",", ":")).encode()
        cut = data[: len(data) // 2]
        if mode == "cut-json":
            self._headers(200, "application/json", len(cut))
            self.wfile.write(cut)
            return
        self._headers(200, "application/json", len(data))
        self.wfile.write(cut)
        self._drop()

    # -- admin ---------------------------------------------------------------

    def _admin(self, method: str, path: str, query: dict, body: bytes) -> None:
        try:
            if self._authenticate() != "admin":
                raise unauthorized()
            payload = self.standin.admin(method, path[len(ADMIN_PREFIX):] or "/", query, _json_body(body))
        except ApiError as err:
            self._send_json(err.code, err.body)
            return
        except PageNotFound:
            self._send_text(404, "404 page not found\n")
            return
        self._send_json(200, payload)


def _json_body(body: bytes) -> dict:
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError as err:
        raise bad_request(f"request body is not JSON: {err}") from None
    if not isinstance(parsed, dict):
        raise bad_request("request body must be a JSON object")
    return parsed


def _not_acceptable() -> ApiError:
    return ApiError(406, "NotAcceptable", "only the following media types are accepted: application/json")


def _scope_fits(rtype: ResourceType, request: ResourceRequest, verb: str) -> bool:
    """The real handler sends a request whose namespace does not fit the kind's scope to 404."""
    if not rtype.namespaced:
        return request.namespace is None
    return request.namespace is not None or (verb in ("list", "watch") and request.name is None)


# ---------------------------------------------------------------------------
# The stand-in
# ---------------------------------------------------------------------------


class KubeStandin:
    """An HTTPS Kubernetes API stand-in, served from a thread.

    >>> with KubeStandin(fixture_dirs=["tests/fixtures/vlab"]) as kube:
    ...     kube.url, kube.token, kube.ca_file, kube.kubeconfig_path
    """

    def __init__(
        self,
        fixture_dirs=(),
        state_dir=None,
        token: str | None = None,
        forbidden_token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        not_installed=(),
        server_version: dict | None = None,
        objects=None,
        verbose: bool = False,
        api: ServedApi | dict | None = None,
        release: str | None = None,
        **api_fields,
    ):
        self.fixture_dirs = [str(d) for d in fixture_dirs]
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="kube-standin-"))
        self.token = token or secrets.token_hex(16)
        self.forbidden_token = forbidden_token or secrets.token_hex(16)
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.verbose = verbose
        self.ca_file = self.state_dir / "ca.crt"
        self.store = ObjectStore()
        self.view = ApiView(self.store, not_installed, server_version)
        # api_fields: groups, kinds, forbidden, broken, aggregated_discovery (see set_api).
        self.set_api(api, release=release, server_version=server_version, **api_fields)
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self._connections: set = set()
        self._stopping = threading.Event()
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None
        self.store.replace_objects(list(objects or []) + load_fixture_objects(self.fixture_dirs))

    # -- life cycle ----------------------------------------------------------

    def start(self) -> KubeStandin:
        self._stopping.clear()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        hosts = tuple(dict.fromkeys(("127.0.0.1", "localhost", "::1", self.host)))
        self.ca_file, cert_file, key_file = ensure_certificates(self.state_dir, hosts)
        handler = type("StandinHandler", (_Handler,), {"standin": self})
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_class = type("StandinServer", (QuietServer,), {"address_family": family})
        self._server = server_class((self.host, self._requested_port), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self.write_kubeconfig(self.kubeconfig_path)
        # A short poll interval makes stop() quick: shutdown() waits for the loop to look at its flag.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"kube-standin:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        # Keep-alive connections would otherwise outlive the server in their threads.
        for conn in list(self._connections):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = None
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> KubeStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- addresses and client configuration ----------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{self.port}"

    @property
    def kubeconfig_path(self) -> Path:
        return self.state_dir / "kubeconfig"

    def write_kubeconfig(self, path, context_name: str = "hedgehog-standin", token: str | None = None,
                         namespace: str = "default") -> Path:
        """A kubeconfig for this server; also has a ``<context>-forbidden`` context with the forbidden token."""
        cluster = {"server": self.url, "certificate-authority": str(Path(self.ca_file).resolve())}
        users = [
            {"name": f"{context_name}-user", "user": {"token": token or self.token}},
            {"name": f"{context_name}-forbidden-user", "user": {"token": self.forbidden_token}},
        ]
        contexts = [
            {"name": name, "context": {"cluster": context_name, "user": f"{name}-user", "namespace": namespace}}
            for name in (context_name, f"{context_name}-forbidden")
        ]
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context_name, "cluster": cluster}],
            "users": users,
            "contexts": contexts,
            "current-context": context_name,
            "preferences": {},
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, yaml.safe_dump(config, sort_keys=False).encode())
        return path

    # -- runtime changes -----------------------------------------------------

    @property
    def api(self) -> ServedApi:
        """The served API beyond what the objects imply (groups, versions, 403 and 404 kinds)."""
        return self.view.api

    def set_api(self, api: ServedApi | dict | None = None, release: str | None = None,
                server_version: dict | None = None, **fields) -> ServedApi:
        """Serve a new API shape: ``api`` (a ServedApi or its admin-endpoint dict), else the API of
        ``release`` (see testbed.releases; it also sets /version), else what the objects imply;
        ``fields`` then change it: ``groups`` and ``kinds`` merge into its maps, ``forbidden``,
        ``broken`` and ``aggregated_discovery`` replace its values."""
        if isinstance(api, dict):
            api = ServedApi.from_dict(api)
        if release is not None:
            from testbed import releases  # a late import: releases builds on this module's API types

            base = releases.served_api(release)
            api = base if api is None else base.overlaid(api)
            server_version = server_version or releases.server_version(release)
        shape = (api or ServedApi()).replace(**fields)
        if server_version is not None:
            self.view.server_version = dict(server_version)
        self.view.api = shape
        return shape

    def update_api(self, **fields) -> ServedApi:
        """Change some fields of the served API, keeping the others: ``update_api(forbidden={"Agent"})``."""
        return self.set_api(self.view.api, **fields)

    @property
    def not_installed(self) -> set[str]:
        """Kinds (``Switch``, ``Switch.wiring.githedgehog.com``, ``switches``) served as if their CRD were absent."""
        return self.view.not_installed

    def reload(self, fixture_dirs=None) -> int:
        """Replace the served objects with those of ``fixture_dirs`` (default: the dirs given at start)."""
        if fixture_dirs is not None:
            self.fixture_dirs = [str(d) for d in fixture_dirs]
        return self.store.load(self.fixture_dirs)

    def admin(self, method: str, path: str, query: dict, body) -> dict:
        """The ``/__standin__`` endpoints, minus the prefix."""
        routes = {
            ("GET", "/state"): self._admin_state,
            ("GET", "/faults"): self.faults.snapshot,
            ("POST", "/faults"): lambda: self._configure_faults(body),
            ("DELETE", "/faults"): lambda: (self.faults.clear(), self.faults.snapshot())[1],
            ("GET", "/requests"): self.requests.snapshot,
            ("POST", "/requests/reset"): lambda: (self.requests.reset(), self.requests.snapshot())[1],
            ("DELETE", "/requests"): lambda: (self.requests.reset(), self.requests.snapshot())[1],
            ("POST", "/reload"): lambda: (self.reload(body.get("fixtures")), self._admin_state())[1],
            ("POST", "/objects"): lambda: self._admin_put(body),
            ("DELETE", "/objects"): lambda: self._admin_delete(query),
            ("POST", "/compact"): lambda: self._admin_compact(body),
            ("POST", "/not-installed"): lambda: self._admin_not_installed(body),
            ("GET", "/api"): self._admin_api,
            ("POST", "/api"): lambda: self._admin_set_api(body),
        }
        route = routes.get((method, path.rstrip("/") or "/"))
        if route is None:
            raise PageNotFound()
        return route()

    def _admin_state(self) -> dict:
        return {
            "url": self.url,
            "revision": self.store.revision,
            "compactedRevision": self.store.compacted_revision,
            "objects": len(self.store),
            "fixtures": self.fixture_dirs,
            "notInstalled": sorted(self.not_installed),
            "api": self.api.as_dict(),
            "serverVersion": self.view.server_version["gitVersion"],
        }

    def _configure_faults(self, body) -> dict:
        try:
            return self.faults.configure(body)
        except (TypeError, ValueError) as err:
            raise bad_request(str(err)) from None

    def _admin_put(self, body) -> dict:
        try:
            return self.store.put(body)
        except ValueError as err:
            raise bad_request(str(err)) from None

    def _admin_delete(self, query) -> dict:
        kind, name = _param(query, "kind"), _param(query, "name")
        if not kind or not name:
            raise bad_request("kind and name are required")
        deleted = self.store.delete(kind, _param(query, "namespace"), name, _param(query, "group"))
        return {"deleted": deleted, "revision": self.store.revision}

    def _admin_compact(self, body) -> dict:
        if body.get("bump", True):
            self.store.bump()
        self.store.compact(body.get("revision"))
        return self._admin_state()

    def _admin_api(self) -> dict:
        served = self.view.served()
        return {**self.api.as_dict(), "serverVersion": self.view.server_version["gitVersion"],
                "aggregatedVersions": list(self.view.aggregated_versions),
                "served": {g: {v: [t.kind for t in types] for v, types in sorted(vs.items())}
                           for g, vs in sorted(served.items())}}

    def _admin_set_api(self, body) -> dict:
        """``{"release": name}`` and/or the ServedApi fields; what is not given is reset."""
        fields = dict(body)
        release = fields.pop("release", None)
        try:
            api = ServedApi.from_dict(fields) if fields else None
            self.set_api(api, release=release, server_version=None if release else DEFAULT_SERVER_VERSION)
        except (TypeError, ValueError) as err:
            raise bad_request(str(err)) from None
        return self._admin_api()

    def _admin_not_installed(self, body) -> dict:
        self.not_installed.clear()
        self.not_installed.update(body.get("kinds") or [])
        return self._admin_state()


# ---------------------------------------------------------------------------
# Process mode
# ---------------------------------------------------------------------------


def serve(args) -> int:
    state_dir = clear_state_dir(args.state_dir)
    standin = KubeStandin(
        fixture_dirs=args.fixtures or [],
        state_dir=state_dir,
        token=args.token,
        forbidden_token=args.forbidden_token,
        host=args.host,
        port=args.port,
        not_installed=args.not_installed or [],
        verbose=args.verbose,
        api=_api_from_args(args),
        release=args.release,
    )
    return serve_until_stopped(standin, state_dir,
                               {"token": standin.token, "forbidden-token": standin.forbidden_token},
                               "kube stand-in serving %%(url)s (%d objects); kubeconfig %s"
                               % (len(standin.store), standin.kubeconfig_path))


def _version_map(entries, what: str) -> dict:
    """``NAME=v1,v2`` entries -> {NAME: [v1, v2]}; ``NAME=`` means not installed."""
    found = {}
    for entry in entries or []:
        name, sep, versions = entry.partition("=")
        if not sep or not name:
            raise SystemExit(f"--{what} takes NAME=VERSION[,VERSION...] (empty: not installed), not {entry!r}")
        found[name] = [v for v in versions.split(",") if v]
    return found


def _api_from_args(args) -> ServedApi | None:
    """The served API the command line describes, on top of --api FILE (JSON or YAML, the admin body)."""
    body = {}
    if args.api:
        with open(args.api, encoding="utf-8") as handle:
            body = yaml.safe_load(handle) or {}
    shape = ServedApi.from_dict(body)
    changes = {}
    if args.group_versions:
        changes["groups"] = _version_map(args.group_versions, "group-versions")
    if args.kind_versions:
        changes["kinds"] = _version_map(args.kind_versions, "kind-versions")
    if args.forbidden:
        changes["forbidden"] = shape.forbidden | set(args.forbidden)
    if args.broken:
        changes["broken"] = shape.broken | set(args.broken)
    if args.aggregated_discovery is not None:
        changes["aggregated_discovery"] = [v for v in args.aggregated_discovery.split(",") if v and v != "none"]
    return shape.replace(**changes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.kube_standin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve in the foreground until SIGTERM")
    run.add_argument("--fixtures", action="append", help="directory of *.yaml fixtures (repeatable)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=16443, help="0 picks a free port")
    run.add_argument("--state-dir", required=True, help="certificates, kubeconfig, token and ready go here")
    run.add_argument("--token", help="bearer token with full read access (default: random)")
    run.add_argument("--forbidden-token", help="bearer token that authenticates but is forbidden (default: random)")
    run.add_argument("--not-installed", action="append", help="kind to serve as if its CRD were absent (repeatable)")
    run.add_argument("--release", help="serve the API of this Hedgehog release (testbed.releases), e.g. 24.09")
    run.add_argument("--api", help="JSON or YAML file with the served API (the body of POST /__standin__/api)")
    run.add_argument("--group-versions", action="append", metavar="GROUP=V[,V...]",
                     help="serve a group at these versions; GROUP= means not installed (repeatable)")
    run.add_argument("--kind-versions", action="append", metavar="KIND=V[,V...]",
                     help="serve one kind at these versions, apart from its group; KIND= means not installed")
    run.add_argument("--forbidden", action="append", metavar="KIND",
                     help="kind that answers 403 to the reader (repeatable)")
    run.add_argument("--broken", action="append", metavar="KIND",
                     help="kind that discovery lists but whose paths answer 404 (repeatable)")
    run.add_argument("--aggregated-discovery", metavar="V[,V]",
                     help="aggregated discovery versions served (v2, v2beta1; none); default: by Kubernetes version")
    run.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
