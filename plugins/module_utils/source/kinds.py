# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Hedgehog kinds the sync reads, and where each lives in the Kubernetes API."""

from __future__ import annotations

from collections import namedtuple

Kind = namedtuple("Kind", "kind group version plural namespace")

FABRIC_NAMESPACE = "default"
FABRICATOR_NAMESPACE = "fab"

# Read order does not matter for correctness; it follows the object graph so a
# log of requests reads naturally.
KINDS = (
    Kind("SwitchProfile", "wiring.githedgehog.com", "v1beta1", "switchprofiles", FABRIC_NAMESPACE),
    Kind("SwitchGroup", "wiring.githedgehog.com", "v1beta1", "switchgroups", FABRIC_NAMESPACE),
    # One per fabric of a multi-fabric control node (not served by single-fabric releases).
    Kind("Fabric", "wiring.githedgehog.com", "v1beta1", "fabrics", FABRIC_NAMESPACE),
    Kind("Switch", "wiring.githedgehog.com", "v1beta1", "switches", FABRIC_NAMESPACE),
    Kind("Server", "wiring.githedgehog.com", "v1beta1", "servers", FABRIC_NAMESPACE),
    Kind("Connection", "wiring.githedgehog.com", "v1beta1", "connections", FABRIC_NAMESPACE),
    Kind("VLANNamespace", "wiring.githedgehog.com", "v1beta1", "vlannamespaces", FABRIC_NAMESPACE),
    Kind("IPv4Namespace", "vpc.githedgehog.com", "v1beta1", "ipv4namespaces", FABRIC_NAMESPACE),
    Kind("VPC", "vpc.githedgehog.com", "v1beta1", "vpcs", FABRIC_NAMESPACE),
    Kind("VPCAttachment", "vpc.githedgehog.com", "v1beta1", "vpcattachments", FABRIC_NAMESPACE),
    Kind("VPCPeering", "vpc.githedgehog.com", "v1beta1", "vpcpeerings", FABRIC_NAMESPACE),
    Kind("External", "vpc.githedgehog.com", "v1beta1", "externals", FABRIC_NAMESPACE),
    Kind("ExternalAttachment", "vpc.githedgehog.com", "v1beta1", "externalattachments", FABRIC_NAMESPACE),
    Kind("ExternalPeering", "vpc.githedgehog.com", "v1beta1", "externalpeerings", FABRIC_NAMESPACE),
    Kind("DHCPSubnet", "dhcp.githedgehog.com", "v1beta1", "dhcpsubnets", FABRIC_NAMESPACE),
    Kind("Agent", "agent.githedgehog.com", "v1beta1", "agents", FABRIC_NAMESPACE),
    Kind("Catalog", "agent.githedgehog.com", "v1beta1", "catalogs", FABRIC_NAMESPACE),
    Kind("Gateway", "gateway.githedgehog.com", "v1alpha1", "gateways", FABRIC_NAMESPACE),
    Kind("GatewayGroup", "gateway.githedgehog.com", "v1alpha1", "gatewaygroups", FABRIC_NAMESPACE),
    Kind("GatewayPeering", "gateway.githedgehog.com", "v1alpha1", "gatewaypeerings", FABRIC_NAMESPACE),
    Kind("GatewayAgent", "gwint.githedgehog.com", "v1alpha1", "gatewayagents", FABRIC_NAMESPACE),
    Kind("Fabricator", "fabricator.githedgehog.com", "v1beta1", "fabricators", FABRICATOR_NAMESPACE),
    Kind("ControlNode", "fabricator.githedgehog.com", "v1beta1", "controlnodes", FABRICATOR_NAMESPACE),
    Kind("FabNode", "fabricator.githedgehog.com", "v1beta1", "fabnodes", FABRICATOR_NAMESPACE),
)

KINDS_BY_NAME = dict((k.kind, k) for k in KINDS)

# Kinds whose absence from a fabric is normal: older releases lack them
# (gateway groups arrived in 26.01) or a wiring directory never holds them.
OPTIONAL_KINDS = frozenset((
    "Fabric", "SwitchProfile", "SwitchGroup", "VLANNamespace", "IPv4Namespace", "VPC", "VPCAttachment",
    "VPCPeering", "External", "ExternalAttachment", "ExternalPeering", "DHCPSubnet", "Agent",
    "Catalog", "Gateway", "GatewayGroup", "GatewayPeering", "GatewayAgent", "Fabricator", "ControlNode", "FabNode",
))

# What makes a fabric non-empty: if the source holds none of these, the
# deletion guard treats the read as suspicious.
WIRING_KINDS = ("Switch", "Server", "Connection")
