# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a source object that cannot be used holds back: the vocabulary of held tokens.

A skipped, unsupported or unreadable source object has not left the fabric;
what NetBox holds of it must stay as NetBox has it. The snapshot says what
is held as *tokens*, ``(family, name)``: a family is one way a NetBox object
can be derived from the source (a switch's device and ports, a connection's
cables and LAGs, a VPC's VRF and VLANs, an agent's facts on its device...),
and ``reconcile/provenance.py`` reads the same tokens off what NetBox holds.
A name of ``None`` holds the whole family: a kind that could not be read.
"""

from __future__ import annotations

SWITCH = "switch"
SERVER = "server"
GATEWAY = "gateway"
CONNECTION = "connection"
# An agent's facts on its switch: the device's status, serial, NOS and agent versions; its ports' enabled,
# oper state and breakout state; the LLDP verdict on its cables; its transceivers.
AGENT = "agent"
# A gateway agent's facts on its gateway's device: status, agent versions, heartbeat.
GATEWAY_AGENT = "gateway-agent"
# A control node's or a FabNode's device, its ports and addresses.
NODE = "node"
# Families of what agents report: they hold the fields they fill, not the removal of what the wiring made.
REPORT_FAMILIES = (AGENT, GATEWAY_AGENT)
# The PortChannel numbers of a switch's LAGs (the agent's catalog, the Catalog objects).
PORT_CHANNEL = "port-channel"
# VNIs of VPCs, subnets and externals (the Catalog ``vpcs``).
VNI = "vni"
VPC = "vpc"
# The VLANs of the switch ports and LAGs of one connection (its VPCAttachments).
PORT_VLANS = "port-vlans"
VLAN_NAMESPACE = "vlan-namespace"
IPV4_NAMESPACE = "ipv4-namespace"
EXTERNAL = "external"
EXTERNAL_ATTACHMENT = "external-attachment"
DHCP = "dhcp"
# A switch profile's port facts: type, NOS name and breakout sub-ports of every switch port.
PROFILE = "profile"
# One NetBox object two source objects claim: (kind, key).
CONTEST = "contest"
# The IPs NetBox holds on one interface, (device, name): an address is contested there.
IP_SLOT = "ip-slot"
PEERING_KINDS = ("VPCPeering", "ExternalPeering", "GatewayPeering")

DEVICE_FAMILIES = {"Switch": SWITCH, "Server": SERVER, "Gateway": GATEWAY}

# What a kind that could not be read holds, whole families at a time.
UNREAD_FAMILIES = {
    "SwitchProfile": (PROFILE,),
    "Switch": (SWITCH,),
    "Server": (SERVER,),
    "Connection": (CONNECTION,),
    "VLANNamespace": (VLAN_NAMESPACE,),
    "IPv4Namespace": (IPV4_NAMESPACE,),
    "VPC": (VPC,),
    "VPCAttachment": (PORT_VLANS,),
    "VPCPeering": ("VPCPeering",),
    "External": (EXTERNAL,),
    "ExternalAttachment": (EXTERNAL_ATTACHMENT,),
    "ExternalPeering": ("ExternalPeering",),
    "DHCPSubnet": (DHCP,),
    "Agent": (AGENT, PORT_CHANNEL),
    "Catalog": (PORT_CHANNEL, VNI),
    "Gateway": (GATEWAY,),
    "GatewayPeering": ("GatewayPeering",),
    "GatewayAgent": (GATEWAY_AGENT,),
    "ControlNode": (NODE,),
    "FabNode": (NODE,),
}


def unread_tokens(kind):
    """The tokens a kind that could not be read holds."""
    return [(family, None) for family in UNREAD_FAMILIES.get(kind, ())]


def _spec_text(obj, key):
    spec = obj.get("spec") if isinstance(obj, dict) else None
    value = spec.get(key) if isinstance(spec, dict) else None
    return value if isinstance(value, str) and value else None


def object_tokens(kind, name, obj=None, switch_groups=None):
    """The tokens one skipped source object holds; ``obj`` is its raw form, when there is one to read."""
    if kind in DEVICE_FAMILIES:
        return [(DEVICE_FAMILIES[kind], name)]
    if kind == "Connection":
        return [(CONNECTION, name)]
    if kind == "Agent":
        return [(AGENT, name), (PORT_CHANNEL, name)]
    if kind == "GatewayAgent":
        return [(GATEWAY_AGENT, name)]
    if kind in ("ControlNode", "FabNode"):
        return [(NODE, name)]
    if kind == "Catalog":
        return _catalog_tokens(name, switch_groups)
    if kind == "VPC":
        # A subnet of a VPC is named "<vpc>/<subnet>": the VPC's objects are held whole.
        return [(VPC, name.partition("/")[0])]
    if kind == "VPCAttachment":
        # Without its connection, an attachment could be on any port.
        return [(PORT_VLANS, _spec_text(obj, "connection") if obj is not None else None)]
    if kind in PEERING_KINDS:
        return [(kind, name)]
    if kind == "DHCPSubnet":
        return [(DHCP, None)]
    simple = {"VLANNamespace": VLAN_NAMESPACE, "IPv4Namespace": IPV4_NAMESPACE, "External": EXTERNAL,
              "ExternalAttachment": EXTERNAL_ATTACHMENT, "SwitchProfile": PROFILE}
    if kind in simple:
        return [(simple[kind], name)]
    return []


def _catalog_tokens(name, switch_groups):
    scope, _sep, owner = name.partition(".")
    if name == "vpcs":
        return [(VNI, None)]
    if scope == "switch":
        return [(PORT_CHANNEL, owner)]
    if scope == "redundancy":
        members = (switch_groups or {}).get(owner)
        return [(PORT_CHANNEL, member) for member in members] if members else [(PORT_CHANNEL, None)]
    return []


def matches(held, token):
    """The cause holding ``token``, or None: a token is held by its own name or by its whole family."""
    return held.get(token) or held.get((token[0], None))
