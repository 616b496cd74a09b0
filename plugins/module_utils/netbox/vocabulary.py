# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sync's NetBox vocabulary: the tags and custom fields it relies on, created when missing, never removed."""

from __future__ import annotations

SYNC_TAG = "hedgehog-sync"
ORPHAN_TAG = "hedgehog-orphan"
FABRIC_FIELD = "hedgehog_fabric"
ORPHANED_SINCE_FIELD = "hedgehog_orphaned_since"
ADOPTED_FIELD = "hedgehog_adopted"
GROUP = "Hedgehog"

# What LLDP saw where it disagrees with a cable: set together with status "planned",
# empty when LLDP agrees. Saved filters and dashboards name this field.
LLDP_MISMATCH_FIELD = "hedgehog_lldp_mismatch"
# A switch port's oper state as its agent reports it (``err-disabled`` when shut for flapping).
OPER_STATUS_FIELD = "hedgehog_oper_status"
# Tags that say a switch is in a SwitchGroup: the sync adds and removes these, and no other tags.
SWITCH_GROUP_TAG_PREFIX = "hedgehog-switchgroup-"

TAGS = (
    {"name": SYNC_TAG, "slug": SYNC_TAG, "color": "4caf50",
     "description": "Made and kept by hedgehog.netbox_sync; edit the fabric, not this object"},
    {"name": ORPHAN_TAG, "slug": ORPHAN_TAG, "color": "ff5722",
     "description": "Left the fabric; deleted by hedgehog.netbox_sync after the orphan grace period"},
)

OWNED_TYPES = (
    "dcim.device", "dcim.interface", "dcim.cable", "ipam.ipaddress", "ipam.prefix", "ipam.vlan",
    "ipam.vlangroup", "ipam.vrf", "ipam.iprange", "ipam.routetarget", "virtualization.cluster",
    "vpn.l2vpn", "vpn.l2vpntermination", "dcim.macaddress", "dcim.inventoryitem",
)


def custom_field(name, type_, object_types, label, description, group_name=GROUP, **extra):
    """A custom field as NetBox's API takes it; read-only in the UI, since the sync owns its values."""
    spec = {
        "name": name,
        "type": type_,
        "object_types": list(object_types),
        "label": label,
        "description": description,
        "group_name": group_name,
        "required": False,
        "ui_editable": "hidden" if extra.pop("hidden", False) else "no",
    }
    spec.update(extra)
    return spec


CUSTOM_FIELDS = (
    # Ownership: exact filtering, since the default (loose) would match fabric
    # "vlab" against "vlab2" and one fabric would prune the other's objects.
    custom_field(FABRIC_FIELD, "text", OWNED_TYPES, "Hedgehog fabric", "The fabric that owns this object",
                 filter_logic="exact", search_weight=0),
    custom_field(ORPHANED_SINCE_FIELD, "datetime", OWNED_TYPES, "Orphaned since",
                 "When the object left the fabric (prune: mark)", filter_logic="disabled"),
    custom_field(ADOPTED_FIELD, "boolean", OWNED_TYPES, "Adopted",
                 "Made outside the sync and taken over (adopt): given back, never deleted, when it leaves the fabric",
                 filter_logic="exact"),
    custom_field("hedgehog_asn", "integer", ("dcim.device",), "ASN", "BGP ASN of the switch or gateway",
                 filter_logic="exact"),
    custom_field("hedgehog_redundancy_group", "text", ("dcim.device",), "Redundancy group",
                 "ESLAG or MCLAG group of the switch", filter_logic="exact"),
    custom_field("hedgehog_redundancy_type", "text", ("dcim.device",), "Redundancy type", "eslag or mclag",
                 filter_logic="exact"),
    custom_field("hedgehog_groups", "text", ("dcim.device",), "Switch groups", "SwitchGroups the switch is in",
                 filter_logic="loose"),
    custom_field("hedgehog_domain", "text", ("dcim.device",), "Domain",
                 "The domain of a multi-fabric control node's fabric the switch is in", filter_logic="exact"),
    custom_field("hedgehog_switch_profile", "json", ("dcim.devicetype",), "Switch profile",
                 "SwitchProfile facts with no NetBox field: silicon, NOS type, features", filter_logic="disabled"),
    custom_field("hedgehog_connection", "text", ("dcim.interface",), "Connection",
                 "The Hedgehog Connection this LAG or subinterface serves", filter_logic="exact"),
    custom_field("hedgehog_connection_type", "text", ("dcim.cable",), "Connection type",
                 "unbundled, bundled, eslag, mclag, fabric, mesh, gateway, ...", filter_logic="exact"),
) + (
    # What the switches report about their ports and cables (only what changes slowly).
    custom_field(LLDP_MISMATCH_FIELD, "text", ("dcim.cable",), "LLDP disagrees",
                 "What LLDP sees on the cable's ends where it disagrees with the wiring (empty: it agrees, "
                 "or no agent could tell)", filter_logic="loose"),
    custom_field(OPER_STATUS_FIELD, "text", ("dcim.interface",), "Oper status",
                 "up, down, err-disabled, notPresent, ... as the switch's agent reports it", filter_logic="exact"),
    custom_field("hedgehog_fec", "text", ("dcim.interface",), "FEC",
                 "Forward error correction configured on the switch port (portFECs): rs, fc, auto, disabled",
                 filter_logic="exact"),
    custom_field("hedgehog_breakout", "text", ("dcim.interface",), "Breakout",
                 "Breakout mode of the port (4x25G) and, once the agent reports it, its state", filter_logic="loose"),
    custom_field("hedgehog_breakout_parent", "object", ("dcim.interface",), "Breakout of",
                 "The front-panel port this breakout sub-port is a lane of", filter_logic="exact",
                 related_object_type="dcim.interface"),
) + (
    # The overlay (VPCs, namespaces, externals) and the switch agents' reports.
    custom_field("hedgehog_vpc_mode", "text", ("ipam.vrf",), "VPC mode", "l2vni or l3vni", filter_logic="exact"),
    custom_field("hedgehog_vni", "integer", ("ipam.vrf", "ipam.vlan"), "VNI",
                 "VXLAN VNI of the VPC, External or subnet (from the Catalog)", filter_logic="exact"),
    custom_field("hedgehog_ipv4_namespace", "text", ("ipam.vrf", "ipam.prefix"), "IPv4 namespace",
                 "The IPv4Namespace(s) of the VPC or External, or that this container prefix belongs to",
                 filter_logic="loose"),
    custom_field("hedgehog_vlan_namespace", "text", ("ipam.vrf", "ipam.vlangroup"), "VLAN namespace",
                 "The VLANNamespace of the VPC or VLAN group", filter_logic="exact"),
    custom_field("hedgehog_vrf_spec", "json", ("ipam.vrf",), "VPC/External spec",
                 "Facts with no NetBox field: isolation, permit lists, static routes, communities", filter_logic="disabled"),
    custom_field("hedgehog_peerings", "json", ("ipam.vrf",), "Peerings",
                 "VPCPeerings, ExternalPeerings and GatewayPeerings this VRF takes part in", filter_logic="disabled"),
    custom_field("hedgehog_subnet", "json", ("ipam.prefix",), "VPC subnet",
                 "Subnet facts with no NetBox field: isolation, host BGP, DHCP options", filter_logic="disabled"),
    custom_field("hedgehog_mac", "text", ("ipam.ipaddress",), "MAC address",
                 "Client MAC of a DHCP lease or static lease", filter_logic="exact"),
    custom_field("hedgehog_peer_asn", "integer", ("ipam.ipaddress",), "Peer ASN",
                 "BGP ASN of an External's neighbour at this address", filter_logic="exact"),
    custom_field("hedgehog_external_attachment", "text", ("dcim.interface",), "External attachment",
                 "The ExternalAttachment this subinterface serves", filter_logic="exact"),
    custom_field("hedgehog_gateway_groups", "text", ("dcim.device",), "Gateway groups",
                 "GatewayGroups the gateway is in", filter_logic="loose"),
    custom_field("hedgehog_nos_version", "text", ("dcim.device",), "NOS version",
                 "Switch NOS software version reported by the agent", filter_logic="exact"),
    custom_field("hedgehog_agent_version", "text", ("dcim.device",), "Agent version",
                 "Version of the switch agent", filter_logic="exact"),
    custom_field("hedgehog_applied_generation", "integer", ("dcim.device",), "Applied generation",
                 "Config generation the agent last applied", filter_logic="exact"),
    custom_field("hedgehog_agent_generation", "integer", ("dcim.device",), "Desired generation",
                 "Config generation the agent should apply (applied = desired: the switch is ready)", filter_logic="exact"),
    custom_field("hedgehog_reboot_required", "boolean", ("dcim.device",), "Reboot required",
                 "The agent reports that the switch needs a reboot", filter_logic="exact"),
    custom_field("hedgehog_last_heartbeat", "datetime", ("dcim.device",), "Last heartbeat",
                 "When an offline switch's agent was last heard from (empty while it reports)", filter_logic="disabled"),
)


def owner_of(record):
    """The fabric that owns a NetBox record (its marker), or None."""
    custom = record.get("custom_fields") or {}
    return custom.get(FABRIC_FIELD) or None
