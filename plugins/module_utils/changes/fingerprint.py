# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fingerprints of what decides a run's outcome: the desired state and the options.

The desired state is a pure function of the source, the options and the time
(a switch agent that went quiet), so two runs with the same digest want the
same NetBox. A reference is hashed by the kind and key it names, not by an id.
"""

from __future__ import annotations

import hashlib
import json

# Options that change what a run writes or leaves alone; the others (credentials,
# paging, workers, retries, record keeping) do not change the outcome.
OUTCOME_OPTIONS = ("site", "tenant", "source_fabric", "underlay_vrf", "ipv4_namespace_vrf", "switch_profiles_dir",
                   "prune", "orphan_grace", "max_delete_ratio", "force", "adopt", "agent_stale_after", "dhcp_leases",
                   "hand_edits")


def _plain(value):
    """What JSON makes of a value it does not know: a set in a fixed order, anything else as text."""
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


# Made once: every run encodes its whole desired state (tens of thousands of objects) through it.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_plain)


def _text(value):
    return _ENCODER.encode(value)


def _facts(obj):
    """One desired object as JSON sees it: a reference (a named tuple) becomes the list of its kind and key,
    which no other field value takes the place of."""
    return [obj.kind, obj.key, obj.fields, obj.late, obj.component, obj.shared]


def value_digest(value):
    """A short digest of one field's desired value (a kept hand edit remembers it)."""
    return hashlib.sha256(_text(value).encode("utf-8")).hexdigest()[:16]


def desired_digest(desired, facts=None):
    """The whole desired state: every object of every kind, in a fixed order, and ``facts`` of the source that
    the run reports without an object of their own (``source_facts``)."""
    digest = hashlib.sha256()
    if facts:
        digest.update(_text(facts).encode("utf-8"))
        digest.update(b"\n")
    for kind in sorted(desired.objects):
        objects = desired.objects[kind]
        # In key order, so the order the source listed its objects in does not count; one text per kind,
        # which JSON writes fastest.
        ordered = [_facts(objects[key]) for key in sorted(objects, key=repr)]
        digest.update(_text(ordered).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def source_facts(run):
    """What a run reports of its source beside the desired objects: the release, the API versions read, the
    wiring's hydration, and what the switches' LLDP says of the cables (a report that changes is a change)."""
    desired = run.desired
    return {"release": run.snapshot.release, "api": dict(run.source.api), "hydration": run.source.hydration,
            "cabling": desired.cabling.as_dict() if desired.cabling is not None else None,
            "findings": sorted(finding.text for finding in desired.findings)}


def outcome_options(config):
    """The options that change the outcome, by name (none of them is a secret), as the record's JSON keeps them."""
    return dict((name, _stored(getattr(config, name))) for name in OUTCOME_OPTIONS)


def _stored(value):
    # A set (the kinds adopt names) comes back from the record as a list: compared as one, in a fixed order.
    return sorted(value) if isinstance(value, (set, frozenset)) else value
