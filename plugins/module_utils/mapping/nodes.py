# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes around the switches and how they are reached: control nodes, gateway nodes, boot MACs.

Control nodes (fabricator ControlNode) become devices of role control node;
FabNodes give the gateway devices their management port and address (a FabNode
with no Gateway object of its name still becomes a gateway device). A node's
management address is its primary IPv4; its addresses live in the fabric's
underlay VRF, with the switches' management addresses. A switch's boot MAC is a MAC address
object on its management port, and that port's primary MAC.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.dcim import (
    GATEWAY_TYPE,
    MANAGEMENT_PORT,
    add_device_role,
    add_generic_type,
    device_fields,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import underlay_vrf, vrf_ref

CONTROL_NODE_TYPE = "hedgehog-control-node"
CONTROL_NODE_ROLE = "control-node"
GATEWAY_ROLE = "gateway"


def add_nodes(state, snapshot, config):
    """Devices for the control nodes and FabNodes, with their management and external ports and addresses."""
    for name in sorted(snapshot.nodes):
        node = snapshot.nodes[name]
        if node.kind == "ControlNode":
            _control_node(state, config, node)
        elif name in snapshot.gateways or GATEWAY_ROLE in node.roles:
            _gateway_node(state, config, node)


def _control_node(state, config, node):
    add_generic_type(state, CONTROL_NODE_TYPE, "Hedgehog control node")
    add_device_role(state, CONTROL_NODE_ROLE)
    device = state.add(Desired("device", node.name, device_fields(config, node.name, CONTROL_NODE_TYPE,
                                                                  CONTROL_NODE_ROLE, "Hedgehog control node"),
                               label="device %s" % node.name))
    vrf = underlay_vrf(config)
    _node_port(state, device, node.management, "management", vrf)
    _node_port(state, device, node.external, "external", vrf)


def _gateway_node(state, config, node):
    """The gateway device (made from the Gateway object when there is one) gets the node's management port."""
    device = state.get("device", node.name)
    if device is None:
        add_generic_type(state, GATEWAY_TYPE, "Hedgehog gateway")
        add_device_role(state, GATEWAY_ROLE)
        fields = device_fields(config, node.name, GATEWAY_TYPE, GATEWAY_ROLE, "")
        device = state.add(Desired("device", node.name, fields, label="device %s" % node.name))
    _node_port(state, device, node.management, "management", underlay_vrf(config))


def _node_port(state, device, interface, role, vrf):
    """A node's port and its address; the management address is the device's primary IPv4."""
    if interface is None:
        return
    key = (device.key, interface.name)
    port = state.get("interface", key)
    if port is None:
        state.add(Desired("interface", key, {
            "device": Ref("device", device.key), "name": interface.name, "type": "other",
            "description": "%s port" % role, "mgmt_only": role == "management"},
            label="interface %s %s" % key))
    if not interface.ip:
        return
    state.add(Desired("ip_address", (vrf, interface.ip), {
        "address": interface.ip, "vrf": vrf_ref(vrf), "status": "active", "assigned_object_type": "dcim.interface",
        "assigned_object_id": Ref("interface", key), "description": ("%s %s" % (device.key, role))[:200],
    }, label="IP %s on %s %s" % (interface.ip, device.key, interface.name)))
    if role == "management":
        device.late["primary_ip4"] = Ref("ip_address", (vrf, interface.ip))


def mac_text(mac):
    """A MAC as NetBox writes it back: upper case, colon-separated."""
    return mac.replace("-", ":").upper()


def add_boot_macs(state, snapshot):
    """Each switch's boot MAC on its management port, as a MAC address object and the port's primary MAC."""
    for name in sorted(snapshot.switches):
        switch = snapshot.switches[name]
        port = state.get("interface", (name, MANAGEMENT_PORT))
        if not switch.boot_mac or port is None:
            continue
        mac = mac_text(switch.boot_mac)
        key = ((name, MANAGEMENT_PORT), mac)
        state.add(Desired("mac_address", key, {
            "mac_address": mac, "assigned_object_type": "dcim.interface",
            "assigned_object_id": Ref("interface", (name, MANAGEMENT_PORT)),
            "description": "%s boot MAC" % name,
        }, label="MAC %s on %s %s" % (mac, name, MANAGEMENT_PORT)))
        port.late["primary_mac_address"] = Ref("mac_address", key)
