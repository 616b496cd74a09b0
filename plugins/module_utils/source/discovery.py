# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Kubernetes API serves of the Hedgehog groups, and where each kind is read.

A kube-apiserver serves a group at the versions its CRDs serve and lists them in
discovery: ``/apis`` as an ``APIGroupList`` (legacy) or, when the client asks for
it, as an ``APIGroupDiscoveryList`` (aggregated, v2 and v2beta1) that also names
each version's resources; legacy clients read ``/apis/<group>/<version>`` for
those. From that, each kind is placed:

- read at the newest version this collection knows that serves it;
- *absent* when discovery does not serve it at all (not installed: an older
  release, or a feature left off), which reads as empty;
- *unsupported* when it is served only at versions this collection does not
  know: never read as empty, the problem names the group, the versions served
  and the ones known;
- *undecided* when the part of discovery that would tell could not be read.
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import known_versions_text

AGGREGATED_GROUP = "apidiscovery.k8s.io"
AGGREGATED_KIND = "APIGroupDiscoveryList"
# What client-go sends: aggregated v2, then v2beta1, then the legacy document.
DISCOVERY_ACCEPT = ",".join(["application/json;g=%s;v=%s;as=%s" % (AGGREGATED_GROUP, version, AGGREGATED_KIND)
                             for version in ("v2", "v2beta1")] + ["application/json"])

READ = "read"
ABSENT = "absent"
UNSUPPORTED = "unsupported"
UNDECIDED = "undecided"


class Placement(namedtuple("Placement", "state version cause")):
    """Where one kind is read: ``state`` is READ (at ``version``), ABSENT, UNSUPPORTED or UNDECIDED."""

    __slots__ = ()


class DiscoveryError(ValueError):
    """A discovery document that is not what a Kubernetes API serves."""


def is_aggregated(body):
    return isinstance(body, dict) and body.get("kind") == AGGREGATED_KIND


def group_versions(body):
    """``{group: [versions, preferred first]}`` from an APIGroupList."""
    if not isinstance(body, dict) or not isinstance(body.get("groups"), list):
        raise DiscoveryError("an APIGroupList needs a list of groups")
    found = {}
    for entry in body["groups"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        versions = [v.get("version") for v in entry.get("versions") or [] if isinstance(v, dict)]
        preferred = (entry.get("preferredVersion") or {}).get("version")
        versions = [v for v in versions if isinstance(v, str) and v]
        if preferred in versions:
            versions.remove(preferred)
            versions.insert(0, preferred)
        found[entry["name"]] = versions
    return found


def aggregated_groups(body):
    """(``{group: [versions]}``, ``{(group, version): {resources}}``) from an APIGroupDiscoveryList."""
    if not isinstance(body.get("items"), list):
        raise DiscoveryError("an APIGroupDiscoveryList needs a list of items")
    versions, resources = {}, {}
    for item in body["items"]:
        name = ((item or {}).get("metadata") or {}).get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            continue
        versions[name] = []
        for entry in item.get("versions") or []:
            version = entry.get("version") if isinstance(entry, dict) else None
            if not isinstance(version, str) or not version:
                continue
            versions[name].append(version)
            resources[(name, version)] = set(
                r["resource"] for r in entry.get("resources") or []
                if isinstance(r, dict) and isinstance(r.get("resource"), str))
    return versions, resources


def resource_names(body):
    """The resources (no subresources) of an APIResourceList."""
    if not isinstance(body, dict) or not isinstance(body.get("resources"), list):
        raise DiscoveryError("an APIResourceList needs a list of resources")
    return set(r["name"] for r in body["resources"]
               if isinstance(r, dict) and isinstance(r.get("name"), str) and "/" not in r["name"])


def _may_hold(names, plural):
    return names is None or plural in names


class ServedApi:
    """The groups and versions an API serves, and the resources of each version.

    ``load(group, version)`` fetches a version's resources when the discovery
    document did not carry them (legacy discovery); it returns a set, or raises
    with the cause. A version's resources are fetched only when a placement
    needs them.
    """

    def __init__(self, versions, resources=None, load=None, form="aggregated"):
        self.versions = dict(versions)
        self.resources = dict(resources or {})
        self.failures = {}
        self.load = load
        self.form = form

    def served(self, group):
        """The versions ``group`` is served at (preferred first), or None when it is not installed."""
        return self.versions.get(group)

    def resources_of(self, group, version):
        """The resources of one group version, or None when they could not be read."""
        key = (group, version)
        if key not in self.resources and key not in self.failures:
            if self.load is None:
                self.resources[key] = set()
            else:
                try:
                    self.resources[key] = self.load(group, version)
                except DiscoveryError as exc:
                    self.failures[key] = str(exc)
        return self.resources.get(key)

    def place(self, kind):
        """Where ``kind`` (a kinds.Kind) is read."""
        served = self.served(kind.group)
        if served is None:
            return Placement(ABSENT, None, "the API group %s is not installed" % kind.group)
        unread = []
        for version in kind.versions:
            if version not in served:
                continue
            names = self.resources_of(kind.group, version)
            if names is None:
                unread.append(version)
            elif kind.plural in names:
                return Placement(READ, version, "")
        if unread:
            return self._undecided(kind, unread)
        newer = [v for v in served if v not in kind.versions]
        # A version whose resources cannot be read may hold the kind: never read that as empty.
        holding = [v for v in newer if _may_hold(self.resources_of(kind.group, v), kind.plural)]
        if holding:
            return Placement(UNSUPPORTED, None, self._unsupported_cause(kind, served, holding))
        return Placement(ABSENT, None, "%s.%s is not installed" % (kind.plural, kind.group))

    def _undecided(self, kind, versions):
        causes = "; ".join(self.failures.get((kind.group, v), "") for v in versions)
        return Placement(UNDECIDED, None, "the discovery of %s at %s could not be read: %s" % (
            kind.group, ", ".join(versions), causes))

    @staticmethod
    def _unsupported_cause(kind, served, holding):
        known = known_versions_text(kind.group)
        if not set(served) & set(kind.versions):
            return ("the Kubernetes API serves %s only at %s, and this collection reads %s: a Hedgehog release "
                    "it does not support" % (kind.group, ", ".join(served), known))
        return ("the Kubernetes API serves %s.%s only at %s, and this collection reads %s: a Hedgehog release "
                "it does not support" % (kind.plural, kind.group, ", ".join(holding), known))

    def summary(self, groups):
        """``{group: [versions served]}`` for the groups given (``[]`` when not installed)."""
        return dict((group, list(self.versions.get(group) or [])) for group in groups)
