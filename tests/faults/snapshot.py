"""Every object a fabric owns (and every shared object) with its fields, and what differs between two readings.

The fault suite reads NetBox before a fault and after the run that recovers
from it, and compares both with a reference: the same change applied with no
fault. Objects are named by their natural keys (a device by its name, a port
by device and name, an IP by VRF and address, a cable by its ends), so a
reading tells apart an object that was kept (same id), one that was made
again (new id: its history and hand-entered data are lost) and a duplicate.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from integration import sync_helpers as h

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.fields import STATUS_FIELDS

# Fields that change with every write, or are NetBox's bookkeeping, not the object's content.
VOLATILE = frozenset(("url", "display_url", "display", "created", "last_updated", "_occupied", "_depth",
                      "connected_endpoints_reachable", "link_peers_type", "connected_endpoints_type", "occupied"))
# The record's fields change with every run by design.
RECORD_FIELDS = frozenset(f["name"] for f in STATUS_FIELDS)
# What NetBox derives from other objects (paths, counters): left out of a port's reading, as it costs half
# the read and says nothing of the port itself (its cable and LAG are read).
DERIVED = "link_peers,connected_endpoints,connected_endpoints_type,connected_endpoints_reachable,count_ipaddresses," \
          "count_fhrp_groups,l2vpn_termination,mac_addresses,wireless_link,wireless_lans,vdcs"


def _vrf(row):
    return (row.get("vrf") or {}).get("name")


def _device(row):
    return (row.get("device") or {}).get("name")


def _cable_key(row):
    ends = []
    for side in ("a_terminations", "b_terminations"):
        for term in row.get(side) or []:
            obj = term.get("object") or {}
            ends.append("%s/%s" % ((obj.get("device") or {}).get("name"), obj.get("name")))
    return "%s [%s]" % (row.get("label"), " ~ ".join(sorted(ends)))


# endpoint -> (natural key of a row, owned by the fabric)
ENDPOINTS = {
    "virtualization/clusters": (lambda r: r["name"], True),
    "dcim/devices": (lambda r: r["name"], True),
    "dcim/interfaces": (lambda r: "%s/%s" % (_device(r), r["name"]), True),
    "dcim/cables": (_cable_key, True),
    "ipam/ip-addresses": (lambda r: "%s %s" % (_vrf(r), r["address"]), True),
    "ipam/prefixes": (lambda r: "%s %s" % (_vrf(r), r["prefix"]), True),
    "ipam/ip-ranges": (lambda r: "%s %s" % (_vrf(r), r["start_address"]), True),
    "ipam/vrfs": (lambda r: r["name"], True),
    "ipam/vlan-groups": (lambda r: r["name"], True),
    "ipam/vlans": (lambda r: "%s %s" % ((r.get("group") or {}).get("name"), r["vid"]), True),
    "dcim/sites": (lambda r: r["slug"], False),
    "dcim/manufacturers": (lambda r: r["slug"], False),
    "dcim/platforms": (lambda r: r["slug"], False),
    "dcim/device-roles": (lambda r: r["slug"], False),
    "dcim/device-types": (lambda r: r["slug"], False),
    "dcim/interface-templates": (lambda r: "%s/%s" % ((r.get("device_type") or {}).get("model"), r["name"]), False),
    "ipam/rirs": (lambda r: r["slug"], False),
    "ipam/asns": (lambda r: str(r["asn"]), False),
    "virtualization/cluster-types": (lambda r: r["slug"], False),
    "extras/tags": (lambda r: r["slug"], False),
    "extras/custom-fields": (lambda r: r["name"], False),
}


def _clean(value, keep_ids=True):
    """A row without NetBox's bookkeeping; without ids, to compare it with another NetBox's row.

    Ids differ between two NetBoxes that made the same objects (a rolled-back
    create still uses up its ids); names and values do not.
    """
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if key in VOLATILE or (not keep_ids and (key == "id" or key.endswith("_id"))):
                continue
            if key == "custom_fields":
                item = dict((k, v) for k, v in (item or {}).items() if k not in RECORD_FIELDS)
            cleaned[key] = _clean(item, keep_ids)
        return cleaned
    if isinstance(value, list):
        items = [_clean(item, keep_ids) for item in value]
        return items if keep_ids else sorted(items, key=repr)
    return value


@dataclass
class Reading:
    """One reading of NetBox: per (endpoint, natural key) the row, and the keys read more than once."""

    rows: dict = field(default_factory=dict)
    duplicates: list = field(default_factory=list)

    def ids(self):
        return dict((key, row.get("id")) for key, row in self.rows.items())


def _rows(netbox, endpoint, fabric):
    params = {"cf_hedgehog_fabric": fabric} if ENDPOINTS[endpoint][1] else {}
    if endpoint == "dcim/interfaces":
        params["omit"] = DERIVED
    return endpoint, h.api_list(netbox, endpoint, **params)


def read(netbox, fabric="vlab"):
    """Every object of ``fabric`` and every shared object, keyed by (endpoint, natural key)."""
    reading = Reading()
    with ThreadPoolExecutor(max_workers=3) as pool:
        lists = list(pool.map(lambda endpoint: _rows(netbox, endpoint, fabric), ENDPOINTS))
    for endpoint, rows in lists:
        key_of = ENDPOINTS[endpoint][0]
        counts = Counter(key_of(row) for row in rows)
        reading.duplicates.extend("%s %s (x%d)" % (endpoint, key, n) for key, n in counts.items() if n > 1)
        for row in rows:
            reading.rows[(endpoint, key_of(row))] = _clean(row)
    return reading


@dataclass
class Verdict:
    """How a run after a fault left NetBox, against the same change made with no fault."""

    lost: list
    clobbered: list
    duplicated: list
    extra: list

    def counts(self):
        return {"lost": len(self.lost), "clobbered": len(self.clobbered), "duplicated": len(self.duplicated),
                "extra": len(self.extra)}

    @property
    def clean(self):
        return not (self.lost or self.clobbered or self.duplicated or self.extra)

    def explain(self):
        lines = []
        for name in ("lost", "clobbered", "duplicated", "extra"):
            for item in getattr(self, name)[:20]:
                lines.append("%s: %s" % (name, item))
        return "\n".join(lines)


def judge(before, after, reference_before, reference_after):
    """Compare ``before`` -> ``after`` with the fault-free ``reference_before`` -> ``reference_after``.

    - lost: an object the reference kept (or made) that is missing, or that
      was made again under a new id though the reference kept its id;
    - clobbered: an object whose fields differ from the reference's;
    - duplicated: a natural key NetBox holds twice;
    - extra: an object the reference does not have.
    """
    lost, clobbered, extra = [], [], []
    kept_in_reference = set(key for key in reference_before.rows if key in reference_after.rows
                            and reference_before.rows[key].get("id") == reference_after.rows[key].get("id"))
    for key, want in reference_after.rows.items():
        have = after.rows.get(key)
        if have is None:
            lost.append("%s %s" % key)
            continue
        if key in kept_in_reference and key in before.rows and before.rows[key].get("id") != have.get("id"):
            lost.append("%s %s (made again: id %s -> %s)" % (
                key[0], key[1], before.rows[key].get("id"), have.get("id")))
        if _clean(want, keep_ids=False) != _clean(have, keep_ids=False):
            clobbered.append("%s %s: %s" % (key[0], key[1], _difference(_clean(want, False), _clean(have, False))))
    for key in after.rows:
        if key not in reference_after.rows:
            extra.append("%s %s" % key)
    return Verdict(lost, clobbered, list(after.duplicates), extra)


def _difference(want, have):
    fields = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
    return ", ".join("%s: %r != %r" % (k, want.get(k), have.get(k)) for k in fields[:4])
