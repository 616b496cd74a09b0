# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the rows of one NetBox model are found: the lookup each model row in ``models.py`` names.

A lookup is called with the reader (client, fabric, thread pool, the owned rows
already requested), the model's spec, the desired objects of that kind and the
inventory read so far; it returns the rows to key. Owned rows come from one
filtered list per model; collision candidates are asked for only for desired
keys the owned rows do not already cover, so a no-change run reads each model
once whatever the fabric's size.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.keys import nested_id
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import owner_of


class ByValues:
    """Shared objects, by the values of one filter (slugs, ASNs): there are no owned rows."""

    prefetch_owned = False

    def __init__(self, param, value_of):
        self.param = param
        self.value_of = value_of

    def __call__(self, reader, spec, wanted, inventory):
        if not wanted:
            return []
        values = [self.value_of(key, obj) for key, obj in wanted.items()]
        return reader.client.list_by(spec.endpoint, self.param, values, fields=spec.read_fields())


class TemplatesOfTypes:
    """Interface templates of the device types the fabric uses."""

    prefetch_owned = False

    def __call__(self, reader, spec, wanted, inventory):
        type_ids = [inventory.id_of("device_type", key) for key in set(k[0] for k in wanted)]
        type_ids = [i for i in type_ids if i is not None]
        if not type_ids:
            return []
        return reader.client.list_by(spec.endpoint, "device_type_id", type_ids, fields=spec.read_fields())


class OwnedAndCandidates:
    """Owned rows, plus rows for desired keys that are not owned yet (possible collisions).

    ``scope`` narrows the candidates (device names are unique per site, so a
    device of the same name elsewhere is no collision); it returns extra
    filter parameters, or ``None`` when no candidate can exist.
    """

    prefetch_owned = True

    def __init__(self, param, value_of, scope=None):
        self.param = param
        self.value_of = value_of
        self.scope = scope

    def __call__(self, reader, spec, wanted, inventory):
        owned = reader.owned_rows(spec)
        covered = set(spec.plain_key(row) for row in owned)
        missing = [self.value_of(obj) for key, obj in wanted.items() if key not in covered]
        params = self.scope(wanted, inventory) if self.scope else {}
        if not missing or params is None:
            return owned
        return _merged(owned, reader.client.list_by(spec.endpoint, self.param, missing, params=params,
                                                    fields=spec.read_fields()))


def site_scope(wanted, inventory):
    sites = set(inventory.id_of("site", obj.fields["site"].key) for obj in wanted.values())
    sites.discard(None)
    return {"site_id": sorted(sites)} if sites else None


class OwnedAndGroups:
    """Owned VLANs, plus every VLAN of the groups where a wanted one is not owned yet."""

    prefetch_owned = True

    def __call__(self, reader, spec, wanted, inventory):
        owned = reader.owned_rows(spec)
        covered = set(spec.plain_key(row) for row in owned)
        groups = set(inventory.id_of("vlan_group", key[0]) for key in wanted if key not in covered)
        groups.discard(None)
        if not groups:
            return owned
        return _merged(owned, reader.client.list_by(spec.endpoint, "group_id", sorted(groups),
                                                    fields=spec.read_fields()))


class DeviceInterfaces:
    """Every interface of the devices the fabric owns (or adopts), read once and dealt to its kinds.

    ``dcim/interfaces`` holds the fabric's ports, LAGs and subinterfaces; one
    read serves the three models, split over the workers because it is the
    biggest list a fabric has.
    """

    prefetch_owned = False

    def __init__(self, kind_of):
        self.kind_of = kind_of

    def __call__(self, reader, spec, wanted, inventory):
        rows = reader.shared.get("interfaces")
        if rows is None:
            rows = reader.shared["interfaces"] = self._read_all(reader, spec, inventory)
        return [row for row in rows if self.kind_of(row) == spec.kind]

    @staticmethod
    def _read_all(reader, spec, inventory):
        devices = [row["id"] for row in inventory.records["device"].values()
                   if owner_of(row) == reader.fabric or (owner_of(row) is None and "device" in reader.adopt)]
        if not devices:
            return []
        fields = tuple(dict.fromkeys(field for other in reader.specs_on(spec.endpoint) for field in other.read_fields()))
        return reader.client.list_by(spec.endpoint, "device_id", devices, fields=fields, pool=reader.pool)


class CablesWithEnds:
    """Owned cables, their ends from ``dcim/cable-terminations``.

    A cable's own ``a_terminations`` serialise each end as a whole nested
    interface: asking for them made the cable list cost more than every other
    read together. The termination rows are plain ids.
    """

    prefetch_owned = True

    def __call__(self, reader, spec, wanted, inventory):
        rows = reader.owned_rows(spec)
        by_id = dict((row["id"], row) for row in rows)
        for row in rows:
            row["a_terminations"], row["b_terminations"] = [], []
        if not by_id:
            return rows
        ends = reader.client.list_by("dcim/cable-terminations", "cable_id", list(by_id), pool=reader.pool,
                                     fields=("cable", "cable_end", "termination_type", "termination_id"))
        for end in ends:
            row = by_id.get(nested_id(end.get("cable")))
            if row is not None:
                side = "a_terminations" if end.get("cable_end") == "A" else "b_terminations"
                row[side].append({"object_type": end.get("termination_type"), "object_id": end.get("termination_id")})
        return rows


def _merged(rows, more):
    seen = set(row.get("id") for row in rows)
    merged = list(rows)
    for row in more:
        if row.get("id") not in seen:
            seen.add(row.get("id"))
            merged.append(row)
    return merged
