# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# Apache License 2.0 (see LICENSE)
"""The custom fields and tags the sync relies on; created when missing, never removed."""

from __future__ import annotations

SYNC_TAG = "hedgehog-sync"
ORPHAN_TAG = "hedgehog-orphan"
FABRIC_FIELD = "hedgehog_fabric"
ORPHANED_SINCE_FIELD = "hedgehog_orphaned_since"
GROUP = "Hedgehog"

TAGS = (
    {"name": SYNC_TAG, "slug": SYNC_TAG, "color": "4caf50",
     "description": "Made and kept by hedgehog.netbox_sync; edit the fabric, not this object"},
    {"name": ORPHAN_TAG, "slug": ORPHAN_TAG, "color": "ff5722",
     "description": "Left the fabric; deleted by hedgehog.netbox_sync after the orphan grace period"},
)

OWNED_TYPES = (
    "dcim.device", "dcim.interface", "dcim.cable", "ipam.ipaddress", "ipam.prefix", "ipam.vlan",
    "ipam.vlangroup", "ipam.vrf", "ipam.iprange", "ipam.routetarget", "virtualization.cluster",
    "vpn.l2vpn", "vpn.l2vpntermination",
)


def _field(name, type_, object_types, label, description, **extra):
    spec = {
        "name": name,
        "type": type_,
        "object_types": list(object_types),
        "label": label,
        "description": description,
        "group_name": GROUP,
        "required": False,
        "ui_editable": "hidden" if extra.pop("hidden", False) else "no",
    }
    spec.update(extra)
    return spec


CUSTOM_FIELDS = (
    # Ownership: exact filtering, since the default (loose) would match fabric
    # "vlab" against "vlab2" and one fabric would prune the other's objects.
    _field(FABRIC_FIELD, "text", OWNED_TYPES, "Hedgehog fabric", "The fabric that owns this object",
           filter_logic="exact", search_weight=0),
    _field(ORPHANED_SINCE_FIELD, "datetime", OWNED_TYPES, "Orphaned since",
           "When the object left the fabric (prune: mark)", filter_logic="disabled"),
    _field("hedgehog_asn", "integer", ("dcim.device",), "ASN", "BGP ASN of the switch or gateway",
           filter_logic="exact"),
    _field("hedgehog_redundancy_group", "text", ("dcim.device",), "Redundancy group",
           "ESLAG or MCLAG group of the switch", filter_logic="exact"),
    _field("hedgehog_redundancy_type", "text", ("dcim.device",), "Redundancy type", "eslag or mclag",
           filter_logic="exact"),
    _field("hedgehog_groups", "text", ("dcim.device",), "Switch groups", "SwitchGroups the switch is in",
           filter_logic="loose"),
    _field("hedgehog_switch_profile", "json", ("dcim.devicetype",), "Switch profile",
           "SwitchProfile facts with no NetBox field: silicon, NOS type, features", filter_logic="disabled"),
    _field("hedgehog_connection", "text", ("dcim.interface",), "Connection",
           "The Hedgehog Connection this LAG serves", filter_logic="exact"),
    _field("hedgehog_connection_type", "text", ("dcim.cable",), "Connection type",
           "unbundled, bundled, eslag, mclag, fabric, mesh, gateway, ...", filter_logic="exact"),
)
