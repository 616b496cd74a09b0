# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One Hedgehog fabric out of a control node that runs several.

A multi-fabric control node holds a ``Fabric`` object per fabric, and its
switches, connections, VPCs, externals, gateways, attachments and peerings
name theirs in ``spec.topology.fabric`` (objects that name none belong to
``default``). With ``source_fabric`` set, the run keeps that fabric's objects,
the servers its connections reach, and what every fabric shares (profiles,
namespaces, groups, the fabricator); a source without ``Fabric`` objects is one
fabric, as before. The nodes around the switches go with the fabric they serve:
a gateway's FabNode and GatewayAgent with its Gateway, and the control node,
which serves them all, with ``default`` (as the management network does), so
that one NetBox fabric, not each, owns its device.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError

DEFAULT_FABRIC = "default"
# Kinds whose objects name their fabric.
TOPOLOGY_KINDS = ("Switch", "Connection", "VPC", "VPCAttachment", "VPCPeering", "External", "ExternalAttachment",
                  "ExternalPeering", "Gateway", "GatewayPeering")


def topology_of(obj):
    spec = obj.get("spec") if isinstance(obj, dict) else None
    topology = spec.get("topology") if isinstance(spec, dict) else None
    return topology if isinstance(topology, dict) else {}


def fabrics_of(obj):
    """The fabrics an object belongs to (``fabric``, or ``fabrics`` for objects that span several)."""
    topology = topology_of(obj)
    names = topology.get("fabrics")
    if isinstance(names, list) and names:
        return set(str(name) for name in names)
    name = topology.get("fabric")
    return {str(name) if name else DEFAULT_FABRIC}


def domain_of(obj):
    domain = topology_of(obj).get("domain")
    return str(domain) if domain else ""


def select_fabric(data, source_fabric, fabric=None):
    """Keep only ``source_fabric``'s objects of a SourceData (in place); None keeps everything."""
    if not source_fabric:
        return data
    if "Fabric" not in data.incomplete:
        # Unread Fabric objects tell nothing; each object still names its fabric.
        _check_declared(data, source_fabric, fabric)
    every_gateway = set(_name(obj) for obj in data.items("Gateway"))
    for kind in TOPOLOGY_KINDS:
        if kind in data.objects:
            data.objects[kind] = [obj for obj in data.objects[kind] if source_fabric in fabrics_of(obj)]
    _keep_nodes_of_fabric(data, source_fabric, every_gateway)
    _keep_servers_of_connections(data)
    _keep_subnets_of_vpcs(data, source_fabric)
    for kind in data.objects:
        data.counts[kind] = len(data.objects[kind])
    return data


def _check_declared(data, source_fabric, fabric):
    declared = sorted(_name(obj) for obj in data.items("Fabric"))
    if declared and source_fabric not in declared:
        raise ConfigError("the source has no Hedgehog fabric %r (its fabrics: %s)"
                          % (source_fabric, ", ".join(declared)), fabric=fabric)
    if not declared and source_fabric != DEFAULT_FABRIC:
        raise ConfigError("source_fabric is %r, but the source holds a single fabric (no Fabric objects): "
                          "leave source_fabric unset" % source_fabric, fabric=fabric)


def _name(obj):
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    return str(metadata.get("name")) if isinstance(metadata, dict) and metadata.get("name") else ""


def _keep_nodes_of_fabric(data, source_fabric, every_gateway):
    """Gateway nodes and agents follow their Gateway; the control node and other nodes go with ``default``."""
    gateways = set(_name(obj) for obj in data.items("Gateway"))
    default = source_fabric == DEFAULT_FABRIC
    kept = {
        "GatewayAgent": lambda name: name in gateways,
        "FabNode": lambda name: name in gateways or (default and name not in every_gateway),
        "ControlNode": lambda name: default,
    }
    for kind, keep in kept.items():
        if kind in data.objects:
            data.objects[kind] = [obj for obj in data.objects[kind] if keep(_name(obj))]


def _keep_servers_of_connections(data):
    """Servers name no fabric: they belong to the fabric whose connections reach them."""
    reached = set()
    for connection in data.items("Connection"):
        _collect_devices(connection.get("spec"), reached)
    if "Server" in data.objects:
        data.objects["Server"] = [obj for obj in data.objects["Server"] if _name(obj) in reached]


def _collect_devices(value, found):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "port" and isinstance(item, str) and "/" in item:
                found.add(item.split("/", 1)[0])
            else:
                _collect_devices(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_devices(item, found)


def _keep_subnets_of_vpcs(data, source_fabric):
    """DHCP subnets follow their VPC; the management network's leases go with the default fabric."""
    vpcs = set(_name(obj) for obj in data.items("VPC"))
    kept = []
    for obj in data.items("DHCPSubnet"):
        spec = obj.get("spec") if isinstance(obj, dict) else None
        subnet = str((spec or {}).get("subnet") or "")
        if subnet == "management":
            if source_fabric == DEFAULT_FABRIC:
                kept.append(obj)
        elif subnet.split("/", 1)[0] in vpcs:
            kept.append(obj)
    if "DHCPSubnet" in data.objects:
        data.objects["DHCPSubnet"] = kept
