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

``find`` asks for the rows NetBox holds under some desired keys, whoever owns
them: after a create that failed without an answer (it may have been
committed) or was refused as a duplicate, the applier looks before it sends
the objects again.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError
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

    find = __call__


class TemplatesOfTypes:
    """Interface templates of the device types the fabric uses."""

    prefetch_owned = False

    def __call__(self, reader, spec, wanted, inventory):
        type_ids = [inventory.id_of("device_type", key) for key in set(k[0] for k in wanted)]
        type_ids = [i for i in type_ids if i is not None]
        if not type_ids:
            return []
        return reader.client.list_by(spec.endpoint, "device_type_id", type_ids, fields=spec.read_fields())

    find = __call__


class OwnedAndCandidates:
    """Owned rows, plus rows for desired keys that are not owned yet (possible collisions).

    ``scope`` narrows the candidates (device names are unique per site, so a
    device of the same name elsewhere is no collision); it returns extra
    filter parameters, or ``None`` when no candidate can exist.

    With ``renames`` (the field that is the key), an owned row whose name the
    fabric does not know while a desired key is missing is looked up in
    NetBox's change log: a row that was renamed by hand from that key is keyed
    by it again, so the plan renames it back in place (its id, IPs and
    hand-entered data kept) instead of deleting it and making a new one.
    """

    prefetch_owned = True

    def __init__(self, param, value_of, scope=None, renames=None):
        self.param = param
        self.value_of = value_of
        self.scope = scope
        self.renames = renames

    def __call__(self, reader, spec, wanted, inventory):
        owned = reader.owned_rows(spec)
        covered = set(spec.plain_key(row) for row in owned)
        missing = [self.value_of(obj) for key, obj in wanted.items() if key not in covered]
        params = self.scope(wanted, inventory) if self.scope else {}
        if not missing or params is None:
            return owned
        rows = _merged(owned, reader.client.list_by(spec.endpoint, self.param, missing, params=params,
                                                    fields=spec.read_fields()))
        if self.renames:
            found = set(spec.plain_key(row) for row in rows)
            strays = [row for row in owned if spec.plain_key(row) not in wanted]
            lost = set(key for key in wanted if key not in found)
            if strays and lost:
                inventory.rekeyed.update(renamed_back(reader.client, spec, self.renames, strays, lost))
        return rows

    def find(self, reader, spec, wanted, inventory):
        params = self.scope(wanted, inventory) if self.scope else {}
        if not wanted or params is None:
            return []
        return reader.client.list_by(spec.endpoint, self.param, [self.value_of(obj) for obj in wanted.values()],
                                     params=params, fields=spec.read_fields())


def renamed_back(client, spec, field, strays, lost):
    """``{(kind, id): key}`` for stray owned rows whose ``field`` was changed by hand from a lost key.

    Read from NetBox's change log (one request, only when a run has both);
    without the right to read it the rows are simply not recognised.
    """
    by_id = dict((row["id"], row) for row in strays)
    try:
        changes = client.list_by("core/object-changes", "changed_object_id", sorted(by_id),
                                 params={"changed_object_type": spec.object_type, "action": "update"},
                                 fields=("id", "changed_object_id", "prechange_data", "postchange_data"))
    except NetBoxAPIError as exc:
        if exc.status in (401, 403, 404):
            return {}
        raise
    found = {}
    taken = set()
    for change in sorted(changes, key=lambda row: row["id"], reverse=True):
        before = (change.get("prechange_data") or {}).get(field)
        after = (change.get("postchange_data") or {}).get(field)
        object_id = change.get("changed_object_id")
        if before in lost and before != after and before not in taken and object_id in by_id \
                and (spec.kind, object_id) not in found:
            found[(spec.kind, object_id)] = before
            taken.add(before)
    return found


def device_scope(wanted, inventory):
    """Candidates only on the devices the objects are wanted on (component names repeat across devices)."""
    devices = set(inventory.id_of("device", obj.fields["device"].key) for obj in wanted.values())
    devices.discard(None)
    return {"device_id": sorted(devices)} if devices else None


class OwnedAndOnInterfaces:
    """Owned rows assigned to interfaces, plus the unowned ones on interfaces where a wanted one is not owned yet."""

    prefetch_owned = True

    def __call__(self, reader, spec, wanted, inventory):
        owned = reader.owned_rows(spec)
        covered = set(spec.key(row, inventory) for row in owned)
        interfaces = set(inventory.id_of("interface", key[0]) for key in wanted if key not in covered)
        interfaces.discard(None)
        if not interfaces:
            return owned
        return _merged(owned, reader.client.list_by(spec.endpoint, "interface_id", sorted(interfaces),
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

    def find(self, reader, spec, wanted, inventory):
        groups = set(inventory.id_of("vlan_group", key[0]) for key in wanted)
        groups.discard(None)
        if not groups:
            return []
        return reader.client.list_by(spec.endpoint, "group_id", sorted(groups), fields=spec.read_fields())


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
        fields = _interface_fields(reader, spec)
        if reader.scope is not None:
            return _scoped_interfaces(reader, spec, devices, fields)
        return reader.client.list_by(spec.endpoint, "device_id", devices, fields=fields, pool=reader.pool)

    def find(self, reader, spec, wanted, inventory):
        devices = set(inventory.id_of("device", key[0]) for key in wanted)
        devices.discard(None)
        if not devices:
            return []
        rows = reader.client.list_by(spec.endpoint, "device_id", sorted(devices),
                                     fields=_interface_fields(reader, spec))
        return [row for row in rows if self.kind_of(row) == spec.kind]


def _interface_fields(reader, spec):
    """What the port, LAG and subinterface models read from their one endpoint, together."""
    return tuple(dict.fromkeys(field for other in reader.specs_on(spec.endpoint) for field in other.read_fields()))


def _scoped_interfaces(reader, spec, devices, fields):
    """A targeted read: the named ports of the devices, and the edited rows read before."""
    names = set()
    for other in reader.specs_on(spec.endpoint):
        names.update(obj.fields.get("name") for obj in reader.desired.of(other.kind).values())
        names.update(row.get("name") for row in reader.scope.get(other.kind, ()))
    names.discard(None)
    rows = reader.client.list_by(spec.endpoint, "name", sorted(names), params={"device_id": devices}, fields=fields)
    return _merged(rows, [row for other in reader.specs_on(spec.endpoint) for row in reader.scope.get(other.kind, ())])


class CablesWithEnds:
    """Owned cables, their ends from ``dcim/cable-terminations``.

    A cable's own ``a_terminations`` serialise each end as a whole nested
    interface: asking for them made the cable list cost more than every other
    read together. The termination rows are plain ids.
    """

    prefetch_owned = True

    def __call__(self, reader, spec, wanted, inventory):
        return _with_ends(reader, reader.owned_rows(spec))

    def find(self, reader, spec, wanted, inventory):
        """The cables on the wanted cables' ports (found through the ports' cable ends)."""
        ports = set(inventory.id_of("interface", end) for key in wanted for end in key)
        ports.discard(None)
        if not ports:
            return []
        ends = reader.client.list_by("dcim/cable-terminations", "termination_id", sorted(ports),
                                     params={"termination_type": "dcim.interface"}, fields=("cable",))
        cables = sorted(set(nested_id(end.get("cable")) for end in ends) - {None})
        if not cables:
            return []
        return _with_ends(reader, reader.client.list_by(spec.endpoint, "id", cables, fields=spec.read_fields()))


def _with_ends(reader, rows):
    """Cable rows with their ``a_terminations`` and ``b_terminations`` as plain (type, id) pairs."""
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
