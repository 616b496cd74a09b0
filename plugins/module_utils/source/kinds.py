# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Hedgehog kinds the sync reads, where each lives in the Kubernetes API, and the versions it reads them at."""

from __future__ import annotations

from collections import namedtuple

FABRIC_NAMESPACE = "default"
FABRICATOR_NAMESPACE = "fab"

WIRING_GROUP = "wiring.githedgehog.com"
VPC_GROUP = "vpc.githedgehog.com"
DHCP_GROUP = "dhcp.githedgehog.com"
AGENT_GROUP = "agent.githedgehog.com"
GATEWAY_GROUP = "gateway.githedgehog.com"
# The gateway's internal API: its agents' reports.
GATEWAY_AGENT_GROUP = "gwint.githedgehog.com"
FABRICATOR_GROUP = "fabricator.githedgehog.com"

# The versions of each group whose objects this collection understands, newest first.
# Every group moved from v1alpha2 to v1beta1 at Beta-1 (fabric v0.52, October 2024)
# with no conversion, and compatibility is promised from there on; the gateway
# group has been v1alpha1 since it arrived. A version not listed here is not
# read: its objects may mean something else.
KNOWN_VERSIONS = {
    WIRING_GROUP: ("v1beta1",),
    VPC_GROUP: ("v1beta1",),
    DHCP_GROUP: ("v1beta1",),
    AGENT_GROUP: ("v1beta1",),
    GATEWAY_GROUP: ("v1alpha1",),
    GATEWAY_AGENT_GROUP: ("v1alpha1",),
    FABRICATOR_GROUP: ("v1beta1",),
}


class Kind(namedtuple("Kind", "kind group plural namespace")):
    """One Hedgehog kind: its API group, resource name and namespace."""

    __slots__ = ()

    @property
    def versions(self):
        """The versions this collection reads the kind at, newest first."""
        return KNOWN_VERSIONS[self.group]

    @property
    def version(self):
        """The newest version this collection reads."""
        return self.versions[0]

    def reads(self, api_version):
        """Whether an object's ``apiVersion`` (``group/version``) is one this collection reads."""
        group, _sep, version = str(api_version or "").rpartition("/")
        return group == self.group and version in self.versions


# Read order does not matter for correctness; it follows the object graph so a
# log of requests reads naturally.
KINDS = (
    Kind("SwitchProfile", WIRING_GROUP, "switchprofiles", FABRIC_NAMESPACE),
    Kind("SwitchGroup", WIRING_GROUP, "switchgroups", FABRIC_NAMESPACE),
    # One per fabric of a multi-fabric control node (not served by single-fabric releases).
    Kind("Fabric", WIRING_GROUP, "fabrics", FABRIC_NAMESPACE),
    Kind("Switch", WIRING_GROUP, "switches", FABRIC_NAMESPACE),
    Kind("Server", WIRING_GROUP, "servers", FABRIC_NAMESPACE),
    Kind("Connection", WIRING_GROUP, "connections", FABRIC_NAMESPACE),
    Kind("VLANNamespace", WIRING_GROUP, "vlannamespaces", FABRIC_NAMESPACE),
    Kind("IPv4Namespace", VPC_GROUP, "ipv4namespaces", FABRIC_NAMESPACE),
    Kind("VPC", VPC_GROUP, "vpcs", FABRIC_NAMESPACE),
    Kind("VPCAttachment", VPC_GROUP, "vpcattachments", FABRIC_NAMESPACE),
    Kind("VPCPeering", VPC_GROUP, "vpcpeerings", FABRIC_NAMESPACE),
    Kind("External", VPC_GROUP, "externals", FABRIC_NAMESPACE),
    Kind("ExternalAttachment", VPC_GROUP, "externalattachments", FABRIC_NAMESPACE),
    Kind("ExternalPeering", VPC_GROUP, "externalpeerings", FABRIC_NAMESPACE),
    Kind("DHCPSubnet", DHCP_GROUP, "dhcpsubnets", FABRIC_NAMESPACE),
    Kind("Agent", AGENT_GROUP, "agents", FABRIC_NAMESPACE),
    Kind("Catalog", AGENT_GROUP, "catalogs", FABRIC_NAMESPACE),
    Kind("Gateway", GATEWAY_GROUP, "gateways", FABRIC_NAMESPACE),
    Kind("GatewayGroup", GATEWAY_GROUP, "gatewaygroups", FABRIC_NAMESPACE),
    Kind("GatewayPeering", GATEWAY_GROUP, "gatewaypeerings", FABRIC_NAMESPACE),
    Kind("GatewayAgent", GATEWAY_AGENT_GROUP, "gatewayagents", FABRIC_NAMESPACE),
    Kind("Fabricator", FABRICATOR_GROUP, "fabricators", FABRICATOR_NAMESPACE),
    Kind("ControlNode", FABRICATOR_GROUP, "controlnodes", FABRICATOR_NAMESPACE),
    Kind("FabNode", FABRICATOR_GROUP, "fabnodes", FABRICATOR_NAMESPACE),
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
# deletion guard treats the read as suspicious. Without them nothing can be
# synced, so a source that cannot read them stops the run.
WIRING_KINDS = ("Switch", "Server", "Connection")


def known_versions_text(group):
    return ", ".join(KNOWN_VERSIONS.get(group, ())) or "none"
