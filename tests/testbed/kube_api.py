"""The API a Kubernetes stand-in serves: kinds, versions, and the discovery documents that describe them.

A real kube-apiserver learns its custom API from the CRDs (apiextensions-apiserver
``customresource_discovery_controller.go``): each CRD names a group, a kind and the versions it
serves; a group is served at the union of its CRDs' served versions, sorted the kube-aware way
(v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other names), and the first of them is the preferred
version. A group none of whose CRDs is installed is absent from discovery and its paths answer 404;
so is a version no CRD of the group serves. Objects are stored once and served at every version
their CRD serves (conversion strategy None: only ``apiVersion`` changes).

``ServedApi`` is what a test states about that API beyond what the loaded objects imply:

- ``groups``: group -> versions its kinds are served at; ``()`` means the group is not installed.
  A group it does not name is served at the versions its objects carry (or its default version).
- ``kinds``: kind -> versions, overriding the group for one CRD (``()``: that CRD is not installed).
  A kind the catalog does not know is added when named as ``Kind.group``.
- ``forbidden``: kinds that RBAC forbids the reader to get, list or watch (403), although discovery,
  which every authenticated user may read, still lists them.
- ``broken``: kinds that discovery lists but whose paths answer 404, as when a CRD was removed
  after the client read discovery.
- ``aggregated_discovery``: the ``apidiscovery.k8s.io`` versions served on ``/api`` and ``/apis``;
  ``None`` means what the server's Kubernetes version serves (``aggregated_versions_for``).

Kinds are named as ``Switch``, ``Switch.wiring.githedgehog.com``, ``switches`` or
``switches.wiring.githedgehog.com``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from dataclasses import dataclass

# ---------------------------------------------------------------------------
# Resource catalog: which kinds exist, under which plural and short names.
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    """Names of one kind, independent of the API version it is served at."""

    group: str
    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...] = ()
    namespaced: bool = True

    @property
    def qualified(self) -> str:
        """The ``plural.group`` form the real server uses in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def names(self) -> frozenset[str]:
        """Every name a test may use for this kind."""
        return frozenset({self.kind, f"{self.kind}.{self.group}", self.plural, self.qualified})


def _rt(group, kind, plural, *short_names, namespaced=True):
    return ResourceType(group, kind, plural, kind.lower(), tuple(short_names), namespaced)


WIRING_GROUP, VPC_GROUP, AGENT_GROUP = "wiring.githedgehog.com", "vpc.githedgehog.com", "agent.githedgehog.com"
DHCP_GROUP, GATEWAY_GROUP, GWINT_GROUP = "dhcp.githedgehog.com", "gateway.githedgehog.com", "gwint.githedgehog.com"
FABRICATOR_GROUP = "fabricator.githedgehog.com"
_W, _V, _A, _D = WIRING_GROUP, VPC_GROUP, AGENT_GROUP, DHCP_GROUP
_G, _I, _F = GATEWAY_GROUP, GWINT_GROUP, FABRICATOR_GROUP

# From the fabric's and fabricator's CRDs (shared reference, section 1).
KNOWN_TYPES = (
    _rt(_W, "Switch", "switches", "sw"),
    _rt(_W, "SwitchProfile", "switchprofiles", "sp"),
    _rt(_W, "SwitchGroup", "switchgroups", "sg"),
    _rt(_W, "Server", "servers", "srv"),
    _rt(_W, "ServerProfile", "serverprofiles"),
    _rt(_W, "Connection", "connections", "conn"),
    _rt(_W, "VLANNamespace", "vlannamespaces", "vlanns"),
    _rt(_V, "VPC", "vpcs"),
    _rt(_V, "VPCAttachment", "vpcattachments", "vpcattach"),
    _rt(_V, "VPCPeering", "vpcpeerings", "vpcpeer"),
    _rt(_V, "IPv4Namespace", "ipv4namespaces", "ipns"),
    _rt(_V, "External", "externals", "ext"),
    _rt(_V, "ExternalAttachment", "externalattachments", "extattach"),
    _rt(_V, "ExternalPeering", "externalpeerings", "extpeering", "extpeer"),
    _rt(_D, "DHCPSubnet", "dhcpsubnets", "dhcp"),
    _rt(_A, "Agent", "agents", "ag"),
    _rt(_A, "Catalog", "catalogs"),
    _rt(_G, "Gateway", "gateways", "gw"),
    _rt(_G, "GatewayGroup", "gatewaygroups", "gwgr"),
    _rt(_G, "GatewayPeering", "gatewaypeerings", "gwpeer"),
    _rt(_G, "VPCInfo", "vpcinfos", "gwvpc"),
    _rt(_I, "GatewayAgent", "gatewayagents", "gwag"),
    _rt(_F, "Fabricator", "fabricators", "fab"),
    _rt(_F, "ControlNode", "controlnodes"),
    _rt(_F, "FabNode", "fabnodes", "fn"),
    _rt("", "Namespace", "namespaces", "ns", namespaced=False),
    _rt("", "ConfigMap", "configmaps", "cm"),
    # Served (usually empty) because kubectl describe lists an object's events.
    _rt("", "Event", "events", "ev"),
)

# The version each group serves when neither a loaded object nor the test names another one.
DEFAULT_GROUP_VERSIONS = {
    "": "v1",
    _W: "v1beta1",
    _V: "v1beta1",
    _A: "v1beta1",
    _D: "v1beta1",
    _G: "v1alpha1",
    _I: "v1alpha1",
    _F: "v1beta1",
}


def split_api_version(api_version: str) -> tuple[str, str]:
    """``g/v`` -> (g, v); the core group's ``v1`` -> ("", "v1")."""
    group, version = api_version.rpartition("/")[::2]
    return group, version


def guess_plural(kind: str) -> str:
    """The plural controller-gen would derive for a kind we have no entry for."""
    lower = kind.lower()
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


class ApiCatalog:
    """Looks up a kind's names; kinds nobody listed get names the way controller-gen makes them."""

    def __init__(self, types=KNOWN_TYPES):
        self._by_kind = {(t.group, t.kind): t for t in types}

    def for_kind(self, group: str, kind: str) -> ResourceType:
        known = self._by_kind.get((group, kind))
        return known or ResourceType(group, kind, guess_plural(kind), kind.lower())

    def kinds_of_group(self, group: str) -> list[ResourceType]:
        return [t for t in self._by_kind.values() if t.group == group]

    def types(self) -> list[ResourceType]:
        return list(self._by_kind.values())

    def for_plural(self, group: str, plural: str) -> ResourceType:
        """The kind a request path names, or a nameless one (RBAC only knows group and plural)."""
        for rtype in self._by_kind.values():
            if (rtype.group, rtype.plural) == (group, plural):
                return rtype
        return ResourceType(group, "", plural, "")


# ---------------------------------------------------------------------------
# Version order (k8s.io/apimachinery/pkg/version.CompareKubeAwareVersionStrings)
# ---------------------------------------------------------------------------

_KUBE_VERSION = re.compile(r"v(\d+)(?:(alpha|beta)(\d+))?")
_STAGE_RANK = {"alpha": 0, "beta": 1, None: 2}


def compare_versions(first: str, second: str) -> int:
    """> 0 when ``first`` is preferred over ``second``: GA > beta > alpha, then major, then minor;
    names that are not Kubernetes versions come last, in alphabetical order."""
    if first == second:
        return 0
    one, two = _KUBE_VERSION.fullmatch(first), _KUBE_VERSION.fullmatch(second)
    if not one and not two:
        return -1 if first > second else 1
    if not one or not two:
        return 1 if one else -1
    one_key = (_STAGE_RANK[one.group(2)], int(one.group(1)), int(one.group(3) or 0))
    two_key = (_STAGE_RANK[two.group(2)], int(two.group(1)), int(two.group(3) or 0))
    return (one_key > two_key) - (one_key < two_key)


def sort_versions(versions) -> list[str]:
    """Versions in the order discovery lists them, the preferred one first."""
    return sorted(set(versions), key=functools.cmp_to_key(compare_versions), reverse=True)


# ---------------------------------------------------------------------------
# What a test says about the served API
# ---------------------------------------------------------------------------

AGGREGATED_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"


def aggregated_versions_for(server_version: dict) -> tuple[str, ...]:
    """The aggregated discovery versions a kube-apiserver of this version serves by default.

    Beta (v2beta1) and on by default from 1.27, v2 added in 1.30; from 1.33 the feature gate
    AggregatedDiscoveryRemoveBetaType (default on, locked in 1.35) stops serving v2beta1.
    """
    try:
        minor = int(re.match(r"\d+", str(server_version.get("minor", ""))).group())
    except (AttributeError, ValueError):
        return ("v2",)
    if minor < 27:
        return ()
    if minor < 30:
        return ("v2beta1",)
    if minor < 33:
        return ("v2", "v2beta1")
    return ("v2",)


def _versions(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in value.split(",") if v]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"versions must be a list of version names, not {value!r}")
    return tuple(value)


@dataclass(frozen=True)
class ServedApi:
    """What the stand-in serves beyond what its objects imply; see the module docstring."""

    groups: dict = dataclasses.field(default_factory=dict)
    kinds: dict = dataclasses.field(default_factory=dict)
    forbidden: frozenset = frozenset()
    broken: frozenset = frozenset()
    aggregated_discovery: tuple | None = None

    def __post_init__(self):
        object.__setattr__(self, "groups", {str(g): _versions(v) for g, v in dict(self.groups).items()})
        object.__setattr__(self, "kinds", {str(k): _versions(v) for k, v in dict(self.kinds).items()})
        object.__setattr__(self, "forbidden", frozenset(self.forbidden))
        object.__setattr__(self, "broken", frozenset(self.broken))
        if self.aggregated_discovery is not None:
            versions = _versions(self.aggregated_discovery)
            unknown = set(versions) - {"v2", "v2beta1"}
            if unknown:
                raise ValueError(f"aggregated discovery versions are v2 and v2beta1, not {sorted(unknown)}")
            object.__setattr__(self, "aggregated_discovery", versions)

    def replace(self, **changes) -> ServedApi:
        """A copy with ``groups`` and ``kinds`` merged into this one's and the other fields replaced."""
        for key in ("groups", "kinds"):
            if key in changes:
                changes[key] = {**getattr(self, key), **dict(changes[key])}
        return dataclasses.replace(self, **changes)

    def overlaid(self, other: ServedApi) -> ServedApi:
        """This shape with everything ``other`` states on top of it."""
        aggregated = self.aggregated_discovery if other.aggregated_discovery is None else other.aggregated_discovery
        return self.replace(groups=other.groups, kinds=other.kinds, forbidden=self.forbidden | other.forbidden,
                            broken=self.broken | other.broken, aggregated_discovery=aggregated)

    def kind_versions(self, rtype: ResourceType) -> tuple[str, ...] | None:
        """The versions the test gives this kind, or None when it follows its group."""
        for name in rtype.names:
            if name in self.kinds:
                return self.kinds[name]
        return None

    def is_forbidden(self, rtype: ResourceType) -> bool:
        return bool(rtype.names & self.forbidden)

    def is_broken(self, rtype: ResourceType) -> bool:
        return bool(rtype.names & self.broken)

    def added_types(self, known) -> list[ResourceType]:
        """Kinds named as ``Kind.group`` in ``kinds`` that no catalog entry or object provides."""
        known_names = set().union(*(t.names for t in known)) if known else set()
        added = []
        for name, versions in self.kinds.items():
            kind, _dot, group = name.partition(".")
            if name in known_names or not group or not versions or not kind[:1].isupper():
                continue
            added.append(ResourceType(group, kind, guess_plural(kind), kind.lower()))
        return added

    def as_dict(self) -> dict:
        return {
            "groups": {g: list(v) for g, v in sorted(self.groups.items())},
            "kinds": {k: list(v) for k, v in sorted(self.kinds.items())},
            "forbidden": sorted(self.forbidden),
            "broken": sorted(self.broken),
            "aggregatedDiscovery": None if self.aggregated_discovery is None else list(self.aggregated_discovery),
        }

    @classmethod
    def from_dict(cls, body: dict) -> ServedApi:
        """The admin endpoint's and the ``--api`` file's form (camelCase ``aggregatedDiscovery``)."""
        allowed = {"groups", "kinds", "forbidden", "broken", "aggregatedDiscovery"}
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown API fields: {sorted(unknown)}; expected {sorted(allowed)}")
        for key in ("groups", "kinds"):
            if not isinstance(body.get(key) or {}, dict):
                raise ValueError(f"{key} must map names to lists of versions")
        for key in ("forbidden", "broken"):
            if not isinstance(body.get(key) or [], list):
                raise ValueError(f"{key} must be a list of kinds")
        return cls(groups=body.get("groups") or {}, kinds=body.get("kinds") or {},
                   forbidden=body.get("forbidden") or (), broken=body.get("broken") or (),
                   aggregated_discovery=body.get("aggregatedDiscovery"))


def served_resources(catalog: ApiCatalog, seen: dict, not_installed, api: ServedApi) -> dict:
    """{group: {version: [types sorted by plural]}}, as the CRDs' discovery controller computes it.

    ``seen`` is {(group, kind): {versions}} of the stored objects; ``not_installed`` names kinds
    served as if their CRD were absent (the older switch, kept for its callers).
    """
    object_types = {key: catalog.for_kind(*key) for key in seen}
    extra = api.added_types(list(object_types.values()) + catalog.types())
    served: dict[str, dict[str, list[ResourceType]]] = {}
    for group in _groups(seen, api) | {t.group for t in extra}:
        kinds = {t.kind: t for t in catalog.kinds_of_group(group)}
        kinds.update({key[1]: t for key, t in object_types.items() if key[0] == group})
        kinds.update({t.kind: t for t in extra if t.group == group})
        group_versions = _group_versions(group, seen, api)
        for rtype in kinds.values():
            if rtype.names & set(not_installed):
                continue
            versions = api.kind_versions(rtype)
            for version in group_versions if versions is None else versions:
                served.setdefault(group, {}).setdefault(version, []).append(rtype)
    for versions in served.values():
        for types in versions.values():
            types.sort(key=lambda t: t.plural)
    return served


def _groups(seen: dict, api: ServedApi) -> set[str]:
    return set(DEFAULT_GROUP_VERSIONS) | {key[0] for key in seen} | set(api.groups)


def _group_versions(group: str, seen: dict, api: ServedApi) -> tuple[str, ...]:
    if group in api.groups:
        return api.groups[group]
    found = {v for key, versions in seen.items() if key[0] == group for v in versions}
    return tuple(found) or (DEFAULT_GROUP_VERSIONS.get(group, "v1"),)


# ---------------------------------------------------------------------------
# Discovery documents
# ---------------------------------------------------------------------------

READ_VERBS = ["get", "list", "watch"]


def api_group(group: str, versions) -> dict:
    """The APIGroup body of ``/apis/<group>`` (and each entry of ``/apis``)."""
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in sort_versions(versions)]
    return {"name": group, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(served: dict) -> dict:
    """``/apis`` without aggregation: every CRD group has the same priority, so they sort by name."""
    groups = [api_group(g, served[g]) for g in sorted(served) if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group: str, version: str, types) -> dict:
    """The APIResourceList of ``/apis/<group>/<version>`` (or ``/api/v1``)."""
    resources = []
    for rtype in types:
        entry = {"name": rtype.plural, "singularName": rtype.singular, "namespaced": rtype.namespaced,
                 "kind": rtype.kind, "verbs": list(READ_VERBS)}
        if rtype.short_names:
            entry["shortNames"] = list(rtype.short_names)
        resources.append(entry)
        if rtype.group:
            resources.append({"name": f"{rtype.plural}/status", "singularName": "", "namespaced": rtype.namespaced,
                              "kind": rtype.kind, "verbs": ["get"]})
    body = {"kind": "APIResourceList", "groupVersion": f"{group}/{version}" if group else version}
    if group:
        body["apiVersion"] = "v1"
    body["resources"] = resources
    return body


def _resource_discovery(rtype: ResourceType, version: str) -> dict:
    # CRDs report their own group and version as the response kind; built-in (core) resources
    # leave both empty, as ConvertGroupVersionIntoToDiscovery copies them from APIResource.
    gvk = {"group": rtype.group, "version": version if rtype.group else "", "kind": rtype.kind}
    entry = {"resource": rtype.plural, "responseKind": gvk, "scope": "Namespaced" if rtype.namespaced else "Cluster",
             "singularResource": rtype.singular, "verbs": list(READ_VERBS)}
    if rtype.short_names:
        entry["shortNames"] = list(rtype.short_names)
    if rtype.group:
        entry["subresources"] = [{"subresource": "status", "responseKind": dict(gvk), "verbs": ["get"]}]
    return entry


def _group_discovery(group: str, versions: dict) -> dict:
    metadata = {"name": group, "creationTimestamp": None} if group else {"creationTimestamp": None}
    entries = []
    for version in sort_versions(versions):
        resources = sorted(versions[version], key=lambda t: t.plural)
        entries.append({"version": version, "resources": [_resource_discovery(t, version) for t in resources],
                        "freshness": "Current"})
    return {"metadata": metadata, "versions": entries}


def aggregated_list(served: dict, core: bool, version: str) -> dict:
    """APIGroupDiscoveryList of ``/api`` (``core``: the legacy group alone) or ``/apis`` (every named group)."""
    groups = [""] if core else sorted(g for g in served if g)
    items = [_group_discovery(g, served[g]) for g in groups if g in served]
    return {"kind": AGGREGATED_KIND, "apiVersion": f"{AGGREGATED_GROUP}/{version}", "metadata": {}, "items": items}


def aggregated_etag(document: dict) -> str:
    """A quoted SHA-512 of the document, as ``ServeHTTPWithETag`` sends it (one ETag whatever the version)."""
    payload = json.dumps(document["items"], sort_keys=True, separators=(",", ":")).encode()
    return '"%s"' % hashlib.sha512(payload).hexdigest().upper()


def aggregated_content_type(version: str) -> str:
    """The Content-Type that tells a client it got the aggregated document (generateMediaTypeWithGVK)."""
    return f"application/json;g={AGGREGATED_GROUP};v={version};as={AGGREGATED_KIND}"


# ---------------------------------------------------------------------------
# Content negotiation on /api and /apis (k8s.io/apiserver discovery/aggregated/wrapper.go)
# ---------------------------------------------------------------------------


def _accept_clauses(accept: str | None) -> list[tuple[str, dict, float]]:
    """(media range, params, q) ordered as goautoneg orders them: by q, then by specificity."""
    clauses = []
    for part in (accept or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        params, quality = {}, 1.0
        for piece in pieces[1:]:
            name, value = (s.strip() for s in piece.partition("=")[::2])
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            elif name:
                params[name.lower()] = value
        clauses.append((pieces[0].lower(), params, quality))

    def specificity(clause):
        media = clause[0]
        return 0 if media == "*/*" else 1 if media.endswith("/*") else 2

    return sorted(clauses, key=lambda c: (-c[2], -specificity(c)))


def _serves_json(media: str) -> bool:
    return media in ("application/json", "application/*", "*/*")


def negotiate_discovery(accept: str | None, aggregated_versions) -> tuple[str, str | None] | None:
    """("aggregated", v2|v2beta1), ("legacy", None), or None when nothing acceptable is offered.

    The wrapper looks for any clause that asks for an aggregated version this server serves,
    wherever it stands in the header; only then does the legacy handler negotiate, skipping
    clauses that ask for a conversion. An empty header gets the legacy document.
    """
    if not (accept or "").strip():
        return "legacy", None
    clauses = [c for c in _accept_clauses(accept) if c[2] > 0 and _serves_json(c[0])]
    for _media, params, _q in clauses:
        if (params.get("g"), params.get("as")) == (AGGREGATED_GROUP, AGGREGATED_KIND) \
                and params.get("v") in aggregated_versions:
            return "aggregated", params["v"]
    if any(not ({"g", "v", "as"} & set(params)) for _media, params, _q in clauses):
        return "legacy", None
    return None
