# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deletions that would take objects the fabric does not own with them, held.

NetBox deletes a device's interfaces with the device, and the IP addresses of
an interface with the interface. Someone may have put an address of their own
on a fabric's port, or added a port by hand to a fabric's switch: deleting the
fabric's object must not delete theirs. Such a deletion is held, with a problem
that names what holds it; once those objects are moved or removed, the next run
deletes it.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.keys import device_of
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import owner_of
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import is_template_port, normalize

# Kinds whose deletion NetBox carries over to other objects.
CASCADING = ("device", "lag", "interface", "subinterface")
IP_FIELDS = ("id", "address", "custom_fields", "assigned_object_id", "assigned_object")
# Dependants named in one problem; the count says how many there are.
NAMED = 3


def hold_for_unowned_dependants(plan, inventory, client, fabric):
    """Hold every planned deletion that NetBox would carry over to unowned objects; returns how many."""
    deleting = [a for a in plan.actions if a.op == "delete" and a.kind in CASCADING]
    if not deleting:
        return 0
    found = _unowned_ports(deleting, inventory, fabric, client)
    for ip in _unowned_addresses(deleting, client, fabric):
        where = ip.get("assigned_object") or {}
        device = (where.get("device") or {}).get("name")
        found.setdefault(("device", device), []).append("IP %s on %s" % (ip["address"], where.get("name")))
        found.setdefault(("port", ip.get("assigned_object_id")), []).append("IP %s" % ip["address"])
    held = 0
    for action in deleting:
        key = ("device", action.key) if action.kind == "device" else ("port", action.record.get("id"))
        names = found.get(key)
        if not names:
            continue
        action.op = "kept"
        action.reason = ("not deleted: NetBox would delete %d object(s) the fabric does not own with it (%s%s); "
                         "move or remove them and the next run deletes it"
                         % (len(names), ", ".join(names[:NAMED]), ", ..." if len(names) > NAMED else ""))
        plan.problems.append(Problem.about(action.kind, action.label, action.reason))
        held += 1
    return held


def _unowned_ports(deleting, inventory, fabric, client):
    """Ports added by hand (no marker, not made from the device type) to the devices being deleted."""
    devices = dict((a.key, a.record) for a in deleting if a.kind == "device")
    unmarked = [row for row in inventory.records["interface"].values()
                if device_of(row, inventory) in devices and owner_of(row) != fabric
                and not is_template_port(inventory, row)]
    if not unmarked:
        return {}
    # Ports NetBox made from the device type belong to the fabric through their device and carry no
    # marker; a fabric that no longer describes the device (or its type) has not read its templates.
    made = _template_names(client, set(normalize(row.get("device_type")) for row in devices.values()))
    found = {}
    for row in unmarked:
        device = device_of(row, inventory)
        if (normalize(devices[device].get("device_type")), row.get("name")) not in made:
            found.setdefault(("device", device), []).append("interface %s" % row.get("name"))
    return found


def _template_names(client, type_ids):
    """``(device type id, port name)`` of every interface template of these device types."""
    type_ids = sorted(i for i in type_ids if i is not None)
    if not type_ids:
        return set()
    rows = client.list_by("dcim/interface-templates", "device_type_id", type_ids, fields=("name", "device_type"))
    return set((normalize(row.get("device_type")), row.get("name")) for row in rows)


def _unowned_addresses(deleting, client, fabric):
    """IP addresses without the fabric's marker on the devices or ports being deleted."""
    device_ids = [a.record["id"] for a in deleting if a.kind == "device"]
    port_ids = [a.record["id"] for a in deleting if a.kind != "device"]
    rows = []
    if device_ids:
        rows.extend(client.list_by("ipam/ip-addresses", "device_id", device_ids, fields=IP_FIELDS))
    if port_ids:
        rows.extend(client.list_by("ipam/ip-addresses", "interface_id", port_ids, fields=IP_FIELDS))
    seen, unowned = set(), []
    for row in rows:
        if row["id"] not in seen and owner_of(row) != fabric:
            seen.add(row["id"])
            unowned.append(row)
    return unowned
