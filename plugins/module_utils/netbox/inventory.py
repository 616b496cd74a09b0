# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what NetBox holds for one fabric: the owned objects, and the candidates desired keys could collide with.

One filtered, field-limited list per model: owned objects by the fabric's
custom field (exact match), shared objects by the slugs the fabric needs, and
collisions only for desired keys NetBox does not already hold as ours, so a
no-change run reads each model once whatever the fabric's size.

NetBox spends its time serialising rows, one request per gunicorn worker, so
the reads that need nothing found by another read (every model's owned rows)
start together at the beginning, and the big lists (ports, cable ends) are
split over the workers.
"""

from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.schema import FABRIC_FIELD
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, SPECS, owner_of


def _nested_id(value):
    return value.get("id") if isinstance(value, dict) else value


def _vrf_key(row, inventory=None):
    """The key of a row's VRF: its name, or, given the inventory, the fabric's key for it.

    VRF names are not unique in NetBox (every fabric has a ``vpc-01``): a VRF
    that is not this fabric's gets a key of its own, so its prefixes and IPs
    never pass for ours.
    """
    vrf = row.get("vrf")
    if not isinstance(vrf, dict):
        return None
    if inventory is None:
        return vrf.get("name")
    key = inventory.key_of_id("vrf", vrf.get("id"))
    return key if key is not None else "#%s" % vrf.get("id")


def _range_key(row, inventory=None):
    """An IP range is the DHCP range of one subnet: (VRF, the subnet its start lies in)."""
    start = row.get("start_address") or ""
    try:
        network = str(ipaddress.ip_interface(start).network)
    except ValueError:
        return None
    return (_vrf_key(row, inventory), network)


class Inventory:
    """Current NetBox records per kind and key, and the id index used to resolve references."""

    def __init__(self, fabric):
        self.fabric = fabric
        self.records = dict((kind, {}) for kind in ORDER)
        self.ids = dict((kind, {}) for kind in ORDER)
        self.keys_by_id = dict((kind, {}) for kind in ORDER)
        self.duplicates = []

    def add(self, kind, key, row):
        if key in self.records[kind]:
            if self.records[kind][key].get("id") != row.get("id"):
                self.duplicates.append((kind, key, row.get("id")))
            return
        self.records[kind][key] = row
        self.register(kind, key, row.get("id"))

    def register(self, kind, key, object_id):
        if object_id is None:
            return
        self.ids.setdefault(kind, {})[key] = object_id
        self.keys_by_id.setdefault(kind, {})[object_id] = key

    def id_of(self, kind, key):
        return self.ids.get(kind, {}).get(key)

    def key_of_id(self, kind, object_id):
        return self.keys_by_id.get(kind, {}).get(object_id)

    def owned(self, kind):
        return dict((key, row) for key, row in self.records[kind].items() if owner_of(row) == self.fabric)


def _key(kind, row, inventory):
    if kind in ("tenant", "site", "manufacturer", "platform", "device_role", "device_type", "rir", "cluster_type"):
        return row.get("slug")
    if kind == "interface_template":
        return (inventory.key_of_id("device_type", _nested_id(row.get("device_type"))), row.get("name"))
    if kind == "asn":
        return row.get("asn")
    if kind in ("cluster", "device"):
        return row.get("name")
    if kind in ("interface", "lag"):
        device = row.get("device") or {}
        if kind == "lag":
            return (device.get("name"), (row.get("custom_fields") or {}).get("hedgehog_connection"))
        return (device.get("name"), row.get("name"))
    if kind == "prefix":
        return (_vrf_key(row, inventory), row.get("prefix"))
    if kind == "ip_address":
        return (_vrf_key(row, inventory), row.get("address"))
    if kind == "cable":
        return _cable_key(row, inventory)
    if kind == "vlan_group":
        return row.get("name")
    if kind == "vrf":
        # Another fabric's VRF of the same name is no collision: NetBox allows both.
        return row.get("name") if owner_of(row) in (None, inventory.fabric) else None
    if kind == "vlan":
        group = row.get("group")
        return (group.get("name"), row.get("vid")) if isinstance(group, dict) else None
    if kind == "subinterface":
        return ((row.get("device") or {}).get("name"), row.get("name"))
    if kind == "ip_range":
        return _range_key(row, inventory)
    raise KeyError(kind)


def _cable_key(row, inventory):
    ends = []
    for side in ("a_terminations", "b_terminations"):
        for term in row.get(side) or []:
            key = None
            if term.get("object_type") == "dcim.interface":
                key = inventory.key_of_id("interface", term.get("object_id"))
            if key is None:
                # A cable to something outside the fabric's devices can never be
                # desired: give it a key of its own so pruning still sees it.
                return ("cable", row.get("id"))
            ends.append(key)
    if len(ends) != 2:
        return ("cable", row.get("id"))
    return tuple(sorted(ends))


class InventoryReader:
    """Reads the inventory of one fabric for one desired state."""

    def __init__(self, client, fabric, schema_ready, adopt=False, workers=1):
        self.client = client
        self.fabric = fabric
        self.schema_ready = schema_ready
        self.adopt = adopt
        self.workers = max(1, int(workers))
        self._interfaces = None
        self._pool = None
        self._owned_reads = {}

    def read(self, desired):
        inventory = Inventory(self.fabric)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            self._pool = pool
            self._owned_reads = self._start_owned_reads(pool)
            try:
                for kind in ORDER:
                    self._add_rows(inventory, kind, self._rows(SPECS[kind], desired.of(kind), inventory))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            finally:
                self._pool, self._owned_reads = None, {}
        return inventory

    @staticmethod
    def _add_rows(inventory, kind, rows):
        for row in rows:
            key = _key(kind, row, inventory)
            if key is not None:
                inventory.add(kind, key, row)
        if kind == "lag":
            # A LAG is also an interface to whatever points at it by name
            # (cables, IPs, its members).
            for row in inventory.records["lag"].values():
                device = (row.get("device") or {}).get("name")
                inventory.register("interface", (device, row.get("name")), row.get("id"))

    def _start_owned_reads(self, pool):
        """Every owned model's rows, requested at once; devices first, as the port read waits for them."""
        if not self.schema_ready:
            return {}
        kinds = [kind for kind in ORDER if SPECS[kind].owned and SPECS[kind].read != "device"]
        kinds.sort(key=lambda kind: kind != "device")
        return dict((kind, pool.submit(self._list_owned, SPECS[kind])) for kind in kinds)

    def _list_owned(self, spec):
        return self.client.list(spec.endpoint, {"cf_%s" % FABRIC_FIELD: self.fabric}, spec.read_fields())

    def _owned_rows(self, spec):
        if not self.schema_ready:
            return []
        started = self._owned_reads.pop(spec.kind, None)
        return started.result() if started is not None else self._list_owned(spec)

    def _rows(self, spec, wanted, inventory):
        reader = getattr(self, "_read_%s" % spec.read)
        return reader(spec, wanted, inventory)

    def _read_slug(self, spec, wanted, inventory):
        if not wanted:
            return []
        return self.client.list_by(spec.endpoint, "slug", [obj.fields["slug"] for obj in wanted.values()],
                                   fields=spec.read_fields())

    def _read_asn(self, spec, wanted, inventory):
        if not wanted:
            return []
        return self.client.list_by(spec.endpoint, "asn", list(wanted), fields=spec.read_fields())

    def _read_device_type(self, spec, wanted, inventory):
        type_ids = [inventory.id_of("device_type", key) for key in set(k[0] for k in wanted)]
        type_ids = [i for i in type_ids if i is not None]
        if not type_ids:
            return []
        return self.client.list_by(spec.endpoint, "device_type_id", type_ids, fields=spec.read_fields())

    def _merge_candidates(self, spec, wanted, owned_rows, param, values_of, params=None):
        """Owned rows, plus rows for desired keys that are not owned yet (possible collisions)."""
        seen = set(row.get("id") for row in owned_rows)
        owned_keys = set()
        for row in owned_rows:
            owned_keys.add(self._plain_key(spec.kind, row))
        missing = [values_of(obj) for key, obj in wanted.items() if key not in owned_keys]
        rows = list(owned_rows)
        if missing:
            for row in self.client.list_by(spec.endpoint, param, missing, params=params, fields=spec.read_fields()):
                if row.get("id") not in seen:
                    seen.add(row.get("id"))
                    rows.append(row)
        return rows

    @staticmethod
    def _plain_key(kind, row):
        if kind in ("cluster", "device", "vrf", "vlan_group"):
            return row.get("name")
        if kind == "vlan":
            group = row.get("group")
            return (group.get("name"), row.get("vid")) if isinstance(group, dict) else None
        if kind == "ip_range":
            return _range_key(row)
        if kind == "prefix":
            return (_vrf_key(row), row.get("prefix"))
        if kind == "ip_address":
            return (_vrf_key(row), row.get("address"))
        return None

    def _read_name(self, spec, wanted, inventory):
        params = None
        if spec.kind == "device":
            # Device names are unique per site (and tenant): a device of the same
            # name elsewhere is no collision.
            sites = set(inventory.id_of("site", obj.fields["site"].key) for obj in wanted.values())
            sites.discard(None)
            if not sites:
                return self._owned_rows(spec)
            params = {"site_id": sorted(sites)}
        return self._merge_candidates(spec, wanted, self._owned_rows(spec), "name", lambda obj: obj.fields["name"],
                                      params=params)

    def _read_prefix(self, spec, wanted, inventory):
        return self._merge_candidates(spec, wanted, self._owned_rows(spec), "prefix", lambda obj: obj.fields["prefix"])

    def _read_address(self, spec, wanted, inventory):
        return self._merge_candidates(spec, wanted, self._owned_rows(spec), "address",
                                      lambda obj: obj.fields["address"])

    def _read_owned(self, spec, wanted, inventory):
        return self._owned_rows(spec)

    def _read_vlan(self, spec, wanted, inventory):
        """Owned VLANs, plus every VLAN of the groups where a wanted one is not owned yet."""
        owned = self._owned_rows(spec)
        have = set(self._plain_key("vlan", row) for row in owned)
        groups = set(inventory.id_of("vlan_group", key[0]) for key in wanted if key not in have)
        groups.discard(None)
        if not groups:
            return owned
        seen = set(row.get("id") for row in owned)
        rows = list(owned)
        for row in self.client.list_by(spec.endpoint, "group_id", sorted(groups), fields=spec.read_fields()):
            if row.get("id") not in seen:
                rows.append(row)
        return rows

    def _read_ip_range(self, spec, wanted, inventory):
        return self._merge_candidates(spec, wanted, self._owned_rows(spec), "start_address",
                                      lambda obj: obj.fields["start_address"].split("/")[0])

    def _read_device(self, spec, wanted, inventory):
        """Every interface of the devices this fabric owns or will take over (read once for LAGs and ports)."""
        if self._interfaces is None:
            devices = []
            for key, row in inventory.records["device"].items():
                owner = owner_of(row)
                if owner == self.fabric or (owner is None and self.adopt):
                    devices.append(row["id"])
            rows = []
            if devices:
                fields = tuple(dict.fromkeys(SPECS["interface"].read_fields() + SPECS["lag"].read_fields()
                                             + SPECS["subinterface"].read_fields()))
                rows = self.client.list_by(spec.endpoint, "device_id", devices, fields=fields, pool=self._pool)
            self._interfaces = rows
        return [row for row in self._interfaces if _interface_kind(row) == spec.kind]

    def _read_cable(self, spec, wanted, inventory):
        """Owned cables, their ends from dcim/cable-terminations.

        A cable's own ``a_terminations`` serialise each end as a whole nested
        interface: asking for them made the cable list cost more than every
        other read together. The termination rows are plain ids.
        """
        rows = self._owned_rows(spec)
        by_id = dict((row["id"], row) for row in rows)
        for row in rows:
            row["a_terminations"], row["b_terminations"] = [], []
        if not by_id:
            return rows
        ends = self.client.list_by("dcim/cable-terminations", "cable_id", list(by_id), pool=self._pool,
                                   fields=("cable", "cable_end", "termination_type", "termination_id"))
        for end in ends:
            row = by_id.get(_nested_id(end.get("cable")))
            if row is not None:
                side = "a_terminations" if end.get("cable_end") == "A" else "b_terminations"
                row[side].append({"object_type": end.get("termination_type"), "object_id": end.get("termination_id")})
        return rows


def _interface_kind(row):
    """Which of the sync's interface kinds a row of dcim/interfaces is."""
    if _is_fabric_lag(row):
        return "lag"
    if (row.get("custom_fields") or {}).get("hedgehog_external_attachment"):
        return "subinterface"
    return "interface"


def _is_fabric_lag(row):
    """A LAG the sync made for a connection (a LAG someone else made is just an interface)."""
    return ((row.get("type") or {}).get("value") == "lag"
            and bool((row.get("custom_fields") or {}).get("hedgehog_connection")))
