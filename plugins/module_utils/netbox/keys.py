# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a row NetBox returns is keyed, the way the desired state keys the same object.

Every key function takes the row and the inventory being built (``None`` for a
"plain" key: the same key read off the row alone, used to tell which desired
objects the fabric's own rows already cover before the inventory exists).
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import owner_of


def nested_id(value):
    return value.get("id") if isinstance(value, dict) else value


def nested_name(value):
    return value.get("name") if isinstance(value, dict) else None


def by_slug(row, inventory=None):
    return row.get("slug")


def by_name(row, inventory=None):
    return row.get("name")


def by_asn(row, inventory=None):
    return row.get("asn")


def template_key(row, inventory=None):
    device_type = inventory.key_of_id("device_type", nested_id(row.get("device_type"))) if inventory else None
    return (device_type, row.get("name"))


def device_of(row, inventory=None):
    """The key of a component's device: by its id when the inventory knows it (a device renamed by hand is
    known by the name the fabric gives it), else by the name NetBox shows."""
    device = row.get("device")
    if inventory is not None:
        key = inventory.key_of_id("device", nested_id(device))
        if key is not None:
            return key
    return nested_name(device)


def port_key(row, inventory=None):
    return (device_of(row, inventory), row.get("name"))


def device_and_name(key, name):
    """A device component's name-based key, from its own key (whose first part is the device)."""
    return (key[0], name)


def lag_key(row, inventory=None):
    """A LAG is keyed by its connection, so a later PortChannel number renames it in place."""
    return (device_of(row, inventory), (row.get("custom_fields") or {}).get("hedgehog_connection"))


def vrf_key(row, inventory=None):
    """Another fabric's VRF of the same name is no collision: NetBox allows both."""
    if inventory is None:
        return row.get("name")
    return row.get("name") if owner_of(row) in (None, inventory.fabric) else None


def vlan_key(row, inventory=None):
    group = row.get("group")
    return (group.get("name"), row.get("vid")) if isinstance(group, dict) else None


def _vrf_of(row, inventory):
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


def prefix_key(row, inventory=None):
    return (_vrf_of(row, inventory), row.get("prefix"))


def address_key(row, inventory=None):
    return (_vrf_of(row, inventory), row.get("address"))


def range_key(row, inventory=None):
    """An IP range is the DHCP range of one subnet: (VRF, the subnet its start lies in)."""
    start = row.get("start_address") or ""
    try:
        network = str(ipaddress.ip_interface(start).network)
    except ValueError:
        return None
    return (_vrf_of(row, inventory), network)


def without_vrf(key):
    """An address-keyed object's key without its VRF: what stays when it moves between VRFs."""
    return key[1]


def cable_key(row, inventory=None):
    """The two ends' interface keys, sorted; a cable to anything else gets a key of its own.

    A cable to something outside the fabric's devices can never be desired,
    but pruning must still see it.
    """
    ends = []
    for side in ("a_terminations", "b_terminations"):
        for term in row.get(side) or []:
            key = None
            if term.get("object_type") == "dcim.interface" and inventory is not None:
                key = inventory.key_of_id("interface", term.get("object_id"))
            if key is None:
                return ("cable", row.get("id"))
            ends.append(key)
    if len(ends) != 2:
        return ("cable", row.get("id"))
    return tuple(sorted(ends))


def mac_key(row, inventory=None):
    """A MAC address by the fabric's key of the interface it is on, and its value (as NetBox writes it).

    Two fabrics' switches may share boot MACs (every VLAB's do): a MAC on
    another fabric's interface gets a key of its own and never passes for ours.
    """
    interface = None
    if row.get("assigned_object_type") == "dcim.interface" and inventory is not None:
        interface = inventory.key_of_id("interface", row.get("assigned_object_id"))
    if interface is None:
        return ("mac", row.get("id"))
    return (interface, str(row.get("mac_address") or "").upper())
