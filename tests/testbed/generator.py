"""Generate Hedgehog fabrics as the Kubernetes API returns them, for tests and the benchmark.

``generate_fabric(spec)`` returns the objects that ``kubectl get -o yaml`` shows on the control
node of a fabric built by ``hhfab vlab gen`` + ``hhfab build`` (hydration) + ``hhfab vlab
setup-vpcs``, after the admission webhooks and the fabric controller have run: wiring (switch
profiles, groups, namespaces, switches, servers, connections, gateways), VPCs and attachments,
peerings and externals, and the internal kinds (Agent with status, Catalog, DHCPSubnet, VPCInfo,
Fabricator, ControlNode, FabNode). ``write_fabric`` writes them one file per kind as a ``List``.

Topology (the order of ``hhfab vlab gen``, so that the VLAB parameters give the VLAB names):
- leaves: first the legacy MCLAG pairs, then the ESLAG pairs, then the orphan leaves; then spines.
  Boot MACs ``0c:20:12:ff:NN:00`` and descriptions ``VS-NN`` follow that creation order.
- servers per leaf ``S``: an MCLAG/ESLAG pair gets ``2S`` servers - ``S`` multi-homed to both
  leaves, ``ceil(S/2)`` unbundled on the first leaf, ``floor(S/2)`` bundled (2 links) on the second;
  an orphan leaf gets ``ceil(S/2)`` unbundled and ``floor(S/2)`` bundled servers.
- ports: every switch hands out its ports from ``E1/1`` upward in creation order (servers, then
  the uplinks spine by spine), exactly as hhfab does; ``uplink_ports="top-down"`` instead takes a
  leaf's uplinks from ``E1/48`` downward. A leaf that needs more than 48 ports is an error. Spines
  use the VLAB profile ``vs`` while their downlinks fit its 48 ports and otherwise the 800G
  ``celestica-ds4101`` broken out ``8x100G`` (sub-ports ``E1/N/1..8``, up to 256 links).
Hydration (``hhfab build``): switches sorted spines first, then role, then name; management IPs
from the control VIP + 4 (control node, then gateway nodes, then switches); protocol and VTEP IPs
from the network address of their subnets, gateways after the switches; spines share the spine
ASN, each leaf gets the next leaf ASN (an MCLAG pair shares one ASN and VTEP); fabric, mesh and
gateway links get consecutive ``/31``s with the connections sorted by name.
VPCs (``setup-vpcs``): ``vpc-NN`` with ``subnet-NN`` keys; ``/24``s and VLANs are taken in order
from the IPv4 namespace and the VLAN range, skipping the first of each; servers fill the subnets
in server order, ``ceil(servers / subnets)`` per subnet; every server connection is attached.

The same fabrics as a user has them before they exist, hhfab work directories (``fab.yaml`` and
unhydrated multi-document ``include/*.yaml``), and hhfab's hydration of them are in
``testbed.hhfab_wiring``; ``--hhfab`` writes one, ``--fixtures`` writes the checked-in ones too.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import json
import math
import os
import random
import sys
import uuid

import yaml

# ---------------------------------------------------------------------------------------------
# API constants
# ---------------------------------------------------------------------------------------------

WIRING = "wiring.githedgehog.com/v1beta1"
VPC_API = "vpc.githedgehog.com/v1beta1"
AGENT_API = "agent.githedgehog.com/v1beta1"
DHCP_API = "dhcp.githedgehog.com/v1beta1"
GATEWAY_API = "gateway.githedgehog.com/v1alpha1"
GWINT_API = "gwint.githedgehog.com/v1alpha1"
FAB_API = "fabricator.githedgehog.com/v1beta1"

FABRIC_LABEL = "fabric.githedgehog.com/"
NS_DEFAULT = "default"
NS_FAB = "fab"

# File name (the resource plural) for every kind write_fabric knows.
KIND_FILES = {
    "SwitchProfile": "switchprofiles",
    "SwitchGroup": "switchgroups",
    "VLANNamespace": "vlannamespaces",
    "IPv4Namespace": "ipv4namespaces",
    "Switch": "switches",
    "Server": "servers",
    "Connection": "connections",
    "VPC": "vpcs",
    "VPCAttachment": "vpcattachments",
    "VPCPeering": "vpcpeerings",
    "External": "externals",
    "ExternalAttachment": "externalattachments",
    "ExternalPeering": "externalpeerings",
    "Gateway": "gateways",
    "GatewayGroup": "gatewaygroups",
    "GatewayPeering": "gatewaypeerings",
    "VPCInfo": "vpcinfos",
    "Agent": "agents",
    "Catalog": "catalogs",
    "DHCPSubnet": "dhcpsubnets",
    "Fabricator": "fabricators",
    "ControlNode": "controlnodes",
    "FabNode": "fabnodes",
    "ControlAgent": "controlagents",
    "GatewayAgent": "gatewayagents",
}

# Values hhfab and the fabricator use when the config does not say otherwise.
MTU = 9100
SERVER_FACING_MTU = MTU - 64
DHCP_LEASE_SECONDS = 3600
VPC_VNI_STEP = 100
IRB_VLANS = (3000, 3899)
SPINE_ASN = 65100
LEAF_ASN_RANGE = (65101, 65533)
GATEWAY_ASN = 65534
EXTERNAL_ASN = 64102
VPC_NAME_LIMIT = 11  # the VPC, IPv4Namespace and External webhooks reject longer names
CONTROL_PROXY_PORT = 31028
REGISTRY_PORT = 31000

# ---------------------------------------------------------------------------------------------
# Secrets planted in Agent.spec (and the Fabricator spec they come from). They are fake but
# shaped like the real thing, and every one carries "HHFAKE" so a test can grep NetBox for it.
# ---------------------------------------------------------------------------------------------

_FAKE_CA = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdzCCAR2gAwIBAgIUHHFAKECAxQ3cV9mP0aLr2sT8yWkwCgYIKoZIzj0EAwIw\n"
    "ETEPMA0GA1UEAwwGSEhGQUtFMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAw\n"
    "MFowETEPMA0GA1UEAwwGSEhGQUtFMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
    "-----END CERTIFICATE-----\n"
)

VLAB_AGENT_SECRETS = {
    "admin_password_hash": "$5$HHFAKEadmSalt01$Qm3vT8yLw2Rk9dPz4XcN7bJh5sGf1aUe6oYiK0tWq2E",
    "operator_password_hash": "$5$HHFAKEopSalt0002$Lx7pR2nKc9vB4mZq8wTs1yHd6jFg3aUe5oXiN0tEr7W",
    "admin_ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHFAKEq7Zk2mR9vT4pLw8sN3yXc5bJh1dGf6aUe0oYi hhfake-admin@example.com",
    "operator_ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHFAKEp3Xc8nV2bM7qLr5tW9yKd1sJg4hFa6eUo0iYz hhfake-op@example.com",
    "registry_username": "hhfake-agent-reader",
    "registry_password": "HHFAKE-reg-9c2e71f04b3a5d86",
    "registry_ca": _FAKE_CA,
}

# The Fabricator spec also holds the control node's own user.
VLAB_FABRICATOR_SECRETS = {
    "control_password_hash": "$5$HHFAKEcoreSalt03$Zt4wQ8nLc2Vb7mKp9xRs3yJd5hFg1aUe6oTiN0eWq8R",
    "control_ssh_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHHFAKEcore4Xq9nV2bM7pLr5tW8yKd1sJg3hFa6eUo hhfake-core@example.com",
}


def all_secret_strings():
    """Every secret string a fixture may contain, for leak checks."""
    return sorted(set(VLAB_AGENT_SECRETS.values()) | set(VLAB_FABRICATOR_SECRETS.values()))


# ---------------------------------------------------------------------------------------------
# Releases: what changes in the API between the fabric generations a fixture can imitate.
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Era:
    release: str
    fabric_version: str
    fabricator_version: str
    nos_version: str
    # Fabricator.status.release exists from 26.02 on; older installs only have status.versions.
    has_release_field: bool
    # Agent status keys were shortened in 25.04 (admin/oper/change, sysName, transceivers{}).
    short_agent_keys: bool
    # Until 26.03 MCLAG was live: labelled by the webhook, port channels, in the agents.
    mclag_live: bool
    timestamp_base: str
    # The gateway API (Gateway, GatewayGroup, GatewayPeering, VPCInfo) is part of the fabric from 26.01.
    gateway_api: bool = False
    # Agents report rebootRequired from 25.05 (fabric v0.96).
    reports_reboot: bool = False
    # 26.03 keeps MCLAG objects of an upgraded fabric (deprecated, no longer configured).
    mclag_kept: bool = False
    k3s: str = "v1.32.4-k3s1"
    gateway_versions: tuple = ()
    nos_build_date: str = "Mon Apr 14 10:02:11 UTC 2025"


CURRENT = Era(
    release="26.03.0",
    fabric_version="v0.129.1",
    fabricator_version="v0.49.0",
    nos_version="4.5.2",
    has_release_field=True,
    short_agent_keys=True,
    mclag_live=False,
    timestamp_base="2026-08-20",
    gateway_api=True,
    reports_reboot=True,
    k3s="v1.36.2-k3s1",
    gateway_versions=(("dataplane", "v0.24.0"), ("frr", "v0.24.0")),
    nos_build_date="Tue Jun 16 08:12:44 UTC 2026",
)

LEGACY_2503 = Era(
    release="25.03.0",
    fabric_version="v0.81.1",
    fabricator_version="v0.40.0",
    nos_version="4.5.0",
    has_release_field=False,
    short_agent_keys=False,
    mclag_live=True,
    timestamp_base="2025-07-21",
)

# The release fixtures (release-<name>/): one fabric as each release stores it. Versions are the
# release notes' (githedgehog/docs docs/release-notes/index.md); see testbed.releases.
RELEASE_ERAS = {
    "pre-beta-1": Era("pre-beta-1", "v0.43.0", "v0.19.2", "4.2.0", False, False, True, "2024-08-28",
                      k3s="v1.30.0-k3s1", nos_build_date="Fri Jun 28 11:20:05 UTC 2024"),
    "24.09": Era("24.09.0", "v0.58.0", "v0.32.1", "4.4.0", False, False, True, "2024-12-18",
                 k3s="v1.31.1-k3s1", nos_build_date="Wed Oct 30 09:41:17 UTC 2024"),
    "25.03": LEGACY_2503,
    "25.05": Era("25.05.0", "v0.96.2", "v0.43.1", "4.5.0", False, True, True, "2025-11-21",
                 reports_reboot=True, k3s="v1.34.1-k3s1"),
    "26.01": Era("26.01.0", "v0.115.4", "v0.45.5", "4.5.0", False, True, True, "2026-04-03",
                 gateway_api=True, reports_reboot=True, k3s="v1.35.2-k3s1",
                 gateway_versions=(("dataplane", "v0.17.0"), ("frr", "v0.17.0")),
                 nos_build_date="Thu Jan 15 14:03:52 UTC 2026"),
    "26.03": Era("26.03.0", "v0.129.4", "v0.49.3", "4.5.2", True, True, False, "2026-08-19",
                 gateway_api=True, reports_reboot=True, mclag_kept=True, k3s="v1.36.3-k3s1",
                 gateway_versions=(("dataplane", "v0.25.2"), ("frr", "v0.25.2")),
                 nos_build_date="Tue Jun 16 08:12:44 UTC 2026"),
}

ERAS = {"current": CURRENT, "25.03": LEGACY_2503, **RELEASE_ERAS}


def _ts(era, clock):
    """A fixed timestamp of the era; clock is 'HH:MM:SS'."""
    return f"{era.timestamp_base}T{clock}Z"


# ---------------------------------------------------------------------------------------------
# Switch profiles (the data of fabric's pkg/ctrl/switchprofile, as the controller stores it)
# ---------------------------------------------------------------------------------------------

VS_PROFILE = "vs"
BIG_SPINE_PROFILE = "celestica-ds4101"
BIG_SPINE_BREAKOUT = "8x100G"
VS_DATA_PORTS = 48


def _vs_profile_spec():
    # The vs profile is the Dell S5248F-ON map without its breakout ports E1/49-56:
    # E1/n -> Ethernet(n-1), front label n, port groups of four 25G ports.
    ports = {"M1": {"nos": "Management0", "management": True, "oniePortName": "eth0"}}
    for n in range(1, VS_DATA_PORTS + 1):
        ports[f"E1/{n}"] = {"nos": f"Ethernet{n - 1}", "label": str(n), "group": str((n - 1) // 4 + 1)}
    groups = {str(g): {"nos": str(g), "profile": "SFP28-25G"} for g in range(1, VS_DATA_PORTS // 4 + 1)}
    return {
        "displayName": "Virtual Switch",
        "switchSilicon": "vs",
        "features": {"subinterfaces": True, "l2vni": True, "l3vni": True, "roce": True, "mclag": True, "eslag": True},
        "nosType": "sonic-bcm-vs",
        "platform": "x86_64-kvm_x86_64-r0",
        "config": {"maxPathsEBGP": 16},
        "ports": ports,
        "portGroups": groups,
        "portProfiles": {"SFP28-25G": {"speed": {"default": "25G", "supported": ["10G", "25G"]}}},
    }


def _ds4101_profile_spec():
    ports = {"M1": {"nos": "Management0", "management": True, "oniePortName": "eth0"}}
    for n in range(1, 33):
        ports[f"E1/{n}"] = {
            "nos": f"1/{n}",
            "baseNOSName": f"Ethernet{8 * (n - 1)}",
            "label": str(n),
            "profile": "OSFP-2x400G",
            "pipeline": str((n + 1) // 2),
        }
    ports["E1/33"] = {"nos": "Ethernet256", "label": "M1", "profile": "SFP28-10G"}
    ports["E1/34"] = {"nos": "Ethernet257", "label": "M2", "profile": "SFP28-10G"}
    breakouts = {
        "1x100G": ["0"], "1x200G": ["0"], "1x400G": ["0"],
        "2x40G": ["0", "4"], "2x100G": ["0", "4"], "2x200G": ["0", "4"], "2x400G": ["0", "4"],
        "4x50G": ["0", "2", "4", "6"], "4x100G": ["0", "2", "4", "6"], "4x200G": ["0", "2", "4", "6"],
    }
    for speed in ("10G", "25G", "50G", "100G"):
        breakouts[f"8x{speed}"] = [str(i) for i in range(8)]
    return {
        "displayName": "Celestica DS4101",
        "otherNames": ["Celestica Greystone"],
        "switchSilicon": "Broadcom TH4G",
        "features": {"acls": True, "roce": True, "ecmpRoCEQPN": True},
        "nosType": "sonic-bcm-base",
        "platform": "x86_64-cel_ds4101-r0",
        "config": {},
        "maxPorts": 272,
        "ports": ports,
        "portProfiles": {
            "SFP28-10G": {"speed": {"default": "10G", "supported": ["1G", "10G"]}},
            "OSFP-2x400G": {
                "breakout": {"default": "2x400G", "supported": {m: {"offsets": o} for m, o in breakouts.items()}},
                "autoNegAllowed": True,
            },
        },
        "pipelines": {str(p): {"maxPorts": 16} for p in range(1, 17)},
    }


PROFILE_SPECS = {VS_PROFILE: _vs_profile_spec(), BIG_SPINE_PROFILE: _ds4101_profile_spec()}


def port_profile_of(profile_spec, port):
    """The port profile a data port uses, directly or through its port group."""
    if port.get("group"):
        return profile_spec["portGroups"][port["group"]]["profile"]
    return port.get("profile", "")


def profile_port_names(profile_spec, breakouts=None):
    """API port names a switch with this profile and these breakouts has (M1, E1/n, E1/n/k)."""
    names = []
    for name, port in profile_spec["ports"].items():
        pprofile = profile_spec.get("portProfiles", {}).get(port_profile_of(profile_spec, port), {})
        breakout = pprofile.get("breakout")
        if not breakout:
            names.append(name)
            continue
        mode = (breakouts or {}).get(name, breakout["default"])
        names.append(name)  # a bare breakout port name is the alias of its first sub-port
        names.extend(f"{name}/{k}" for k in range(1, len(breakout["supported"][mode]["offsets"]) + 1))
    return names


def nos_port_name(profile_spec, api_name, breakouts=None):
    """The NOS (SONiC) name of an API port, following the breakout offsets."""
    ports = profile_spec["ports"]
    if api_name in ports and not ports[api_name].get("baseNOSName"):
        return ports[api_name]["nos"]
    base, sub = api_name.rsplit("/", 1) if api_name.count("/") == 2 else (api_name, "1")
    port = ports[base]
    breakout = profile_spec["portProfiles"][port["profile"]]["breakout"]
    mode = (breakouts or {}).get(base, breakout["default"])
    offset = int(breakout["supported"][mode]["offsets"][int(sub) - 1])
    return f"Ethernet{int(port['baseNOSName'][len('Ethernet'):]) + offset}"


def port_speed(profile_spec, api_name, breakouts=None):
    """The default speed of an API port (e.g. '25G', or '100G' for an 8x100G sub-port)."""
    base = api_name if api_name in profile_spec["ports"] else api_name.rsplit("/", 1)[0]
    pprofile = profile_spec["portProfiles"][port_profile_of(profile_spec, profile_spec["ports"][base])]
    if "speed" in pprofile:
        return pprofile["speed"]["default"]
    mode = (breakouts or {}).get(base, pprofile["breakout"]["default"])
    return mode.split("x", 1)[1]


def _ports_summary(profile_spec):
    # The webhook's fabric.githedgehog.com/ports annotation: "<count>x<port profile>", most first.
    counts = {}
    for port in profile_spec["ports"].values():
        if not port.get("management"):
            key = port_profile_of(profile_spec, port)
            counts[key] = counts.get(key, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{count}x{name}" for name, count in ordered)


# ---------------------------------------------------------------------------------------------
# The request
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FabricSpec:
    """What to generate. Defaults are the current VLAB (hhfab vlab gen + setup-vpcs)."""

    spines: int = 2
    leaves: int = 3
    eslag_pairs: int = 1
    mclag_pairs: int = 0
    servers_per_leaf: int = 2
    vpcs: int = 6
    subnets_per_vpc: int = 1
    gateways: int = 0
    fabric_links: int = 2
    externals: int = 0  # BGP externals, attached through one external connection on a leaf
    vpc_peerings: int = 0
    gateway_peerings: int = 0
    external_peerings: int = 0
    vpc_loopbacks: int = 0  # links per leaf of the pre-25.04 vpc-loopback workaround
    mclag_session_links: int = 2
    mclag_peer_links: int = 2
    uplink_ports: str = "after-servers"  # or "top-down"
    name_prefix: str = ""
    mgmt_subnet: str = "172.30.0.0/21"
    protocol_subnet: str = "172.30.8.0/22"
    vtep_subnet: str = "172.30.12.0/22"
    fabric_subnet: str = "172.30.128.0/17"
    ipv4_subnet: str = ""  # empty: 10.0.0.0/16, widened until every VPC subnet fits
    vlan_range: tuple = (1000, 2999)
    era: str = "current"
    seed: int = 0
    # An existing fabric that gets its gateways later: their management IPs and link /31s come
    # after the switches' instead of before them (as ``hhfab build`` hydrates a new fabric).
    gateways_added_later: bool = False
    # uids derived from kind, namespace and name, so the same object keeps its uid in every
    # fabric generated with this flag (the release fixtures: one fabric across upgrades).
    stable_uids: bool = False
    # Links between every two leaves (hhfab vlab gen --mesh-links-count): a mesh fabric has no spines.
    mesh_links: int = 0
    # The spines' switch profile ("" picks vs, or the big breakout spine when the links need it).
    spine_profile: str = ""
    # Cables plugged in wrong: each pair of ports of one switch had their cables swapped, so the
    # agents' LLDP sees each port's far end where the wiring puts the other's (and BGP on them
    # stays down). The wiring itself is what the pair's connections say.
    miswired: tuple = ()

    @property
    def orphan_leaves(self):
        return self.leaves - 2 * (self.eslag_pairs + self.mclag_pairs)


# The VLAB fixture carries one miswired pair so LLDP checks have something to find: spine-02's
# cables to leaf-01 (E1/1) and leaf-02 (E1/3) are swapped at the spine.
VLAB_MISWIRED = (("spine-02/E1/1", "spine-02/E1/3"),)

PRESETS = {
    "vlab": FabricSpec(miswired=VLAB_MISWIRED),
    "vlab-mesh": FabricSpec(spines=0, mesh_links=2),
    "vlab-mclag": FabricSpec(leaves=5, mclag_pairs=1, vpcs=10, vpc_loopbacks=2, era="25.03"),
    "vlab-gateway": FabricSpec(gateways=2, externals=1, vpc_peerings=1, gateway_peerings=1, external_peerings=1),
    "medium": FabricSpec(spines=2, leaves=8, eslag_pairs=3, servers_per_leaf=4, vpcs=16, subnets_per_vpc=2),
    "L": FabricSpec(spines=4, leaves=32, eslag_pairs=16, servers_per_leaf=16, vpcs=128, subnets_per_vpc=2),
    "XL": FabricSpec(spines=8, leaves=128, eslag_pairs=64, servers_per_leaf=16, vpcs=512, subnets_per_vpc=2),
    "mclag-pair": FabricSpec(leaves=2, eslag_pairs=0, mclag_pairs=1, vpcs=4, era="25.03"),
}


def _with_ipv4_subnet(spec):
    # Like the VLAB, one /24 per VPC subnet plus the skipped first one; widen 10.0.0.0/16 as needed.
    if spec.ipv4_subnet:
        return spec
    needed = spec.vpcs * spec.subnets_per_vpc + 1
    prefix = 16
    while 2 ** (24 - prefix) < needed and prefix > 8:
        prefix -= 1
    return dataclasses.replace(spec, ipv4_subnet=f"10.0.0.0/{prefix}")


def _check_spec(spec):
    problems = []
    if spec.era not in ERAS:
        problems.append(f"era must be one of {sorted(ERAS)}")
    if spec.spines < 0 or spec.orphan_leaves < 0:
        problems.append(f"{spec.leaves} leaves cannot hold {spec.eslag_pairs} ESLAG and {spec.mclag_pairs} MCLAG pairs")
    if spec.leaves < 1 or spec.fabric_links < 1:
        problems.append("a fabric needs at least one leaf and one link per spine-leaf pair")
    if spec.mesh_links and spec.spines:
        problems.append("a mesh fabric (mesh_links) has no spines")
    if spec.spines == 0 and not spec.mesh_links:
        problems.append("a fabric without spines needs mesh links between its leaves")
    if spec.spine_profile and spec.spine_profile not in PROFILE_SPECS:
        problems.append(f"spine_profile must be one of {sorted(PROFILE_SPECS)}")
    for pair in spec.miswired:
        if len(pair) != 2 or len({end.split("/", 1)[0] for end in pair}) != 1:
            problems.append(f"miswired pairs are two ports of one switch, not {pair!r}")
    if spec.vpcs < 0 or spec.subnets_per_vpc < 1 or spec.subnets_per_vpc > 20:
        problems.append("a VPC has 1 to 20 subnets")
    if spec.leaves > LEAF_ASN_RANGE[1] - LEAF_ASN_RANGE[0] + 1:
        problems.append("more leaves than leaf ASNs 65101-65533")
    if spec.uplink_ports not in ("after-servers", "top-down"):
        problems.append("uplink_ports is after-servers or top-down")
    if spec.gateways and not spec.spines:
        problems.append("gateways need spines to uplink to")
    peered = 2 * (spec.vpc_peerings + spec.gateway_peerings) + spec.external_peerings
    if peered > spec.vpcs or (spec.external_peerings and not spec.externals):
        problems.append("not enough VPCs or externals for the requested peerings")
    era = ERAS.get(spec.era)
    if era and spec.mclag_pairs and not (era.mclag_live or era.mclag_kept):
        problems.append("MCLAG is gone since 26.03; MCLAG pairs need an era before it (25.03) or a release fixture era")
    if era and spec.gateways and not era.gateway_api:
        problems.append(f"the gateway API is part of the fabric from 26.01; era {spec.era} has none")
    if problems:
        raise ValueError("invalid fabric spec: " + "; ".join(problems))


# ---------------------------------------------------------------------------------------------
# Internal model
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Switch:
    name: str
    role: str
    description: str
    boot_mac: str
    profile: str = VS_PROFILE
    groups: list = dataclasses.field(default_factory=list)
    redundancy: dict = dataclasses.field(default_factory=dict)
    breakouts: dict = dataclasses.field(default_factory=dict)
    ip: str = ""
    protocol_ip: str = ""
    vtep_ip: str = ""
    asn: int = 0


@dataclasses.dataclass
class _Conn:
    name: str
    ctype: str  # the connection-type label value
    field: str  # the spec key (unbundled, mclagDomain, ...)
    body: dict
    switches: list
    servers: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class _Gateway:
    name: str
    uplinks: int
    interfaces: dict = dataclasses.field(default_factory=dict)
    neighbors: list = dataclasses.field(default_factory=list)
    protocol_ip: str = ""
    vtep_ip: str = ""
    vtep_mac: str = ""
    mgmt_ip: str = ""


class _PortPool:
    """The free ports of one switch, handed out from the bottom (or the top for leaf uplinks)."""

    def __init__(self, switch, names):
        self.switch = switch
        self._names = list(names)
        self._low = 0
        self._high = len(self._names) - 1

    def take(self, from_top=False):
        if self._low > self._high:
            raise ValueError(f"switch {self.switch} has no free port left: the requested size needs more than its "
                             f"{len(self._names)} ports (fewer servers per leaf, spines or fabric links would fit)")
        if from_top:
            self._high -= 1
            return self._names[self._high + 1]
        self._low += 1
        return self._names[self._low - 1]


class _Topology:
    """Wiring in hhfab vlab gen order, before hydration."""

    def __init__(self, spec, era):
        self.spec = spec
        self.era = era
        self.prefix = spec.name_prefix
        self.switches = {}
        self.servers = {}  # name -> description
        self.groups = []
        self.conns = []
        self.gateways = []
        self.externals = []
        self.ext_attachments = []  # (name, external, connection, vlan, octet)
        self.pools = {}
        self.server_ports = {}
        self.control_ip = ""

    # -- names and ports ------------------------------------------------------------------
    def n(self, name):
        return self.prefix + name

    def add_switch(self, name, role, description, **kwargs):
        # hhfab's VLAB boot MACs are 0c:20:12:ff:NN:00 in creation order; past 256 switches the
        # fourth octet counts down so that every MAC stays valid and unique.
        index = len(self.switches)
        mac = f"0c:20:12:{0xff - index // 256:02x}:{index % 256:02x}:00"
        self.switches[name] = _Switch(name, role, description, mac, **kwargs)

    def port(self, switch, from_top=False):
        if switch not in self.pools:
            sw = self.switches[switch]
            self.pools[switch] = _PortPool(switch, _allocatable_ports(sw))
        return f"{switch}/{self.pools[switch].take(from_top)}"

    def server_port(self, server):
        self.server_ports[server] = self.server_ports.get(server, 0) + 1
        return f"{server}/enp2s{self.server_ports[server]}"

    def add_conn(self, field, body, switches, servers=(), name=None):
        ctype = _CONN_TYPES[field]
        self.conns.append(_Conn(name or _conn_name(ctype, switches, servers), ctype, field, body, list(switches), list(servers)))
        return self.conns[-1]


_CONN_TYPES = {
    "unbundled": "unbundled", "bundled": "bundled", "eslag": "eslag", "mclag": "mclag",
    "mclagDomain": "mclag-domain", "fabric": "fabric", "mesh": "mesh", "gateway": "gateway",
    "vpcLoopback": "vpc-loopback", "external": "external",
}


def _conn_name(ctype, switches, servers):
    # The connection name hhfab derives from the spec: <left>--<type>--<right>[--<right2>].
    if servers:
        return "--".join([servers[0], ctype] + list(switches))
    if ctype in ("vpc-loopback", "external"):
        return f"{switches[0]}--{ctype}"
    return "--".join([switches[0], ctype] + list(switches[1:]))


def _allocatable_ports(sw):
    profile = PROFILE_SPECS[sw.profile]
    if sw.profile == BIG_SPINE_PROFILE:
        return [f"E1/{n}/{k}" for n in range(1, 33) for k in range(1, 9)]
    return [f"E1/{n}" for n in range(1, VS_DATA_PORTS + 1) if f"E1/{n}" in profile["ports"]]


def _server_mix(servers_per_leaf, pair):
    """(multi-homed, unbundled, bundled) server counts for a leaf pair or an orphan leaf."""
    half_up, half_down = math.ceil(servers_per_leaf / 2), servers_per_leaf // 2
    if pair:
        return servers_per_leaf, half_up, half_down
    return 0, half_up, half_down


def _build_topology(spec, era):
    topo = _Topology(spec, era)
    topo.groups.append(topo.n("empty"))
    ids = {"switch": 1, "leaf": 1, "server": 1}
    for pair in range(1, spec.mclag_pairs + 1):
        _add_pair(topo, ids, "mclag", pair)
    for pair in range(1, spec.eslag_pairs + 1):
        _add_pair(topo, ids, "eslag", pair)
    for _unused in range(spec.orphan_leaves):
        _add_orphan(topo, ids)
    leaves = list(topo.switches)
    spine_profile = _spine_profile(spec, len(leaves))
    uplinks = min(2, spec.spines)
    topo.gateways = [_Gateway(topo.n(f"gateway-{i}"), uplinks) for i in range(1, spec.gateways + 1)]
    for spine_id in range(1, spec.spines + 1):
        _add_spine(topo, ids, spine_id, leaves, spine_profile)
    if spec.mesh_links:
        _add_mesh(topo, leaves)
    for leaf in sorted(leaves):
        if spec.vpc_loopbacks:
            links = [{"switch1": {"port": topo.port(leaf)}, "switch2": {"port": topo.port(leaf)}} for _unused in range(spec.vpc_loopbacks)]
            topo.add_conn("vpcLoopback", {"links": links}, [leaf])
    _add_externals(topo)
    return topo


def _spine_profile(spec, leaves):
    if spec.spine_profile:
        return spec.spine_profile
    links = leaves * spec.fabric_links + spec.gateways
    if links <= VS_DATA_PORTS:
        return VS_PROFILE
    if links <= 32 * 8:
        return BIG_SPINE_PROFILE
    raise ValueError(f"a spine would need {links} ports: more than the 256 8x100G sub-ports of {BIG_SPINE_PROFILE}")


def _add_pair(topo, ids, kind, pair):
    group = topo.n(f"{kind}-{pair}")
    topo.groups.append(group)
    leaves = [topo.n(f"leaf-{ids['leaf'] + i:02d}") for i in range(2)]
    for i, leaf in enumerate(leaves):
        topo.add_switch(leaf, "server-leaf", f"VS-{ids['switch'] + i:02d} {kind.upper()} {pair}",
                        groups=[group], redundancy={"group": group, "type": kind})
        if i == 0:
            _maybe_external_conn(topo, leaf, orphan=False)
    ids["switch"] += 2
    ids["leaf"] += 2
    if kind == "mclag":
        _add_mclag_domain(topo, leaves)
    multi, unbundled, bundled = _server_mix(topo.spec.servers_per_leaf, pair=True)
    for _unused in range(multi):
        server = _add_server(topo, ids, f"{kind.upper()} {' '.join(leaves)}")
        links = [{"server": {"port": topo.server_port(server)}, "switch": {"port": topo.port(leaf)}} for leaf in leaves]
        topo.add_conn(kind, {"links": links}, leaves, [server])
    _add_single_homed(topo, ids, leaves[0], leaves[1], unbundled, bundled)


def _add_mclag_domain(topo, leaves):
    def links(count):
        return [{"switch1": {"port": topo.port(leaves[0])}, "switch2": {"port": topo.port(leaves[1])}} for _unused in range(count)]

    session = links(topo.spec.mclag_session_links)
    peer = links(topo.spec.mclag_peer_links)
    topo.add_conn("mclagDomain", {"peerLinks": peer, "sessionLinks": session}, leaves)


def _add_orphan(topo, ids):
    leaf = topo.n(f"leaf-{ids['leaf']:02d}")
    topo.add_switch(leaf, "server-leaf", f"VS-{ids['switch']:02d}")
    _maybe_external_conn(topo, leaf, orphan=True)
    ids["switch"] += 1
    ids["leaf"] += 1
    unbundled, bundled = _server_mix(topo.spec.servers_per_leaf, pair=False)[1:]
    _add_single_homed(topo, ids, leaf, leaf, unbundled, bundled)


def _maybe_external_conn(topo, leaf, orphan):
    # Like hhfab's --ext-orphan-conns 1 (or --ext-eslag-conns 1 when there is no orphan): the
    # external port is taken right after the switch is created, before its servers.
    if not topo.spec.externals or any(c.ctype == "external" for c in topo.conns):
        return
    if orphan or topo.spec.orphan_leaves == 0:
        topo.add_conn("external", {"link": {"switch": {"port": topo.port(leaf)}}}, [leaf])


def _add_server(topo, ids, description):
    server = topo.n(f"server-{ids['server']:02d}")
    topo.servers[server] = f"S-{ids['server']:02d} {description}"
    ids["server"] += 1
    return server


def _add_single_homed(topo, ids, first, second, unbundled, bundled):
    for _unused in range(unbundled):
        server = _add_server(topo, ids, f"Unbundled {first}")
        link = {"server": {"port": topo.server_port(server)}, "switch": {"port": topo.port(first)}}
        topo.add_conn("unbundled", {"link": link}, [first], [server])
    for _unused in range(bundled):
        server = _add_server(topo, ids, f"Bundled {second}")
        links = [{"server": {"port": topo.server_port(server)}, "switch": {"port": topo.port(second)}} for _unused in range(2)]
        topo.add_conn("bundled", {"links": links}, [second], [server])


def _add_spine(topo, ids, spine_id, leaves, profile):
    spine = topo.n(f"spine-{spine_id:02d}")
    topo.add_switch(spine, "spine", f"VS-{ids['switch']:02d}", profile=profile)
    ids["switch"] += 1
    from_top = topo.spec.uplink_ports == "top-down"
    for leaf in leaves:
        links = [{"spine": {"port": topo.port(spine)}, "leaf": {"port": topo.port(leaf, from_top)}}
                 for _unused in range(topo.spec.fabric_links)]
        topo.add_conn("fabric", {"links": links}, [spine, leaf])
    for gw in topo.gateways:
        if spine_id <= gw.uplinks:
            link = {"switch": {"port": topo.port(spine)}, "gateway": {"port": f"{gw.name}/enp2s{spine_id}"}}
            topo.add_conn("gateway", {"links": [link]}, [spine], name=f"{spine}--gateway--{gw.name}")
    _record_breakouts(topo, spine)


def _add_mesh(topo, leaves):
    # hhfab vlab gen --mesh-links-count N: every two leaves, in creation order, after their servers.
    for first_index, first in enumerate(leaves):
        for second in leaves[first_index + 1:]:
            links = [{"leaf1": {"port": topo.port(first)}, "leaf2": {"port": topo.port(second)}}
                     for _unused in range(topo.spec.mesh_links)]
            topo.add_conn("mesh", {"links": links}, [first, second])


def _record_breakouts(topo, spine):
    sw = topo.switches[spine]
    if sw.profile != BIG_SPINE_PROFILE:
        return
    # "spine-01/E1/3/5" is sub-port 5 of E1/3: every front port with a sub-port in use is broken out.
    used = {ref.split("/", 1)[1].rsplit("/", 1)[0] for ref in _switch_ports(topo, spine)}
    sw.breakouts = {port: BIG_SPINE_BREAKOUT for port in sorted(used, key=_port_sort_key)}


def _add_externals(topo):
    spec = topo.spec
    if not spec.externals:
        return
    conn = next(c for c in topo.conns if c.ctype == "external")
    for i in range(1, spec.externals + 1):
        name = _limited_name(topo.prefix, f"ext-bgp-{i:02d}", f"ext{i:02d}", spec.externals)
        topo.externals.append(name)
        vlan = 10 * i
        topo.ext_attachments.append((f"{conn.switches[0]}--{name}", name, conn.name, vlan, 1))


def _limited_name(prefix, long_form, short_form, count):
    # VPC and External names are limited to 11 characters; fall back to a short form (decided
    # by the widest number so one fabric uses one form) and refuse when even that is too long.
    widest = str(count)
    for form in (long_form, short_form):
        probe = prefix + form.rstrip("0123456789") + widest.zfill(2)
        if len(probe) <= VPC_NAME_LIMIT:
            return prefix + form
    raise ValueError(f"name prefix {prefix!r} is too long for {VPC_NAME_LIMIT}-character VPC/External names")


def _switch_ports(topo, switch):
    """Every '<switch>/<port>' the topology uses on one switch."""
    found = []
    for conn in topo.conns:
        for ref in port_refs(conn.body):
            if ref.split("/", 1)[0] == switch:
                found.append(ref)
    return found


def port_refs(node, refs=None):
    """Every ``device/port`` reference (a ``port`` key) inside a Connection spec, in document order."""
    refs = [] if refs is None else refs
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "port" and isinstance(value, str):
                refs.append(value)
            else:
                port_refs(value, refs)
    elif isinstance(node, list):
        for item in node:
            port_refs(item, refs)
    return refs


def _port_sort_key(port):
    return [int(p) if p.isdigit() else p for p in port.replace("E", "").split("/")]


# ---------------------------------------------------------------------------------------------
# Hydration (hhfab build)
# ---------------------------------------------------------------------------------------------


def _hosts_from(network_start):
    addr = network_start
    while True:
        yield addr
        addr += 1


def _hydrate(topo):
    spec = topo.spec
    mgmt = ipaddress.ip_network(spec.mgmt_subnet)
    # Four addresses after the control VIP are kept free; then the control node, the gateway
    # nodes and the switches, in that order.
    next_mgmt = _hosts_from(mgmt.network_address + 1 + 4)
    topo.control_ip = f"{next(next_mgmt)}/{mgmt.prefixlen}"
    for gw in [] if spec.gateways_added_later else topo.gateways:
        gw.mgmt_ip = f"{next(next_mgmt)}/{mgmt.prefixlen}"
    protocol = _hosts_from(ipaddress.ip_network(spec.protocol_subnet).network_address)
    vtep = _hosts_from(ipaddress.ip_network(spec.vtep_subnet).network_address)
    _hydrate_switches(topo, mgmt, next_mgmt, protocol, vtep)
    for gw in topo.gateways if spec.gateways_added_later else []:
        gw.mgmt_ip = f"{next(next_mgmt)}/{mgmt.prefixlen}"
    _hydrate_links(topo)
    _hydrate_gateways(topo, protocol, vtep)
    _check_in_subnet(topo)


def _hydrate_switches(topo, mgmt, next_mgmt, protocol, vtep):
    dhcp_start = _mgmt_dhcp_start(mgmt)
    next_leaf_asn = LEAF_ASN_RANGE[0]
    mclag_first = {}
    for sw in sorted(topo.switches.values(), key=_hydration_order):
        sw.ip = f"{next(next_mgmt)}/{mgmt.prefixlen}"
        if ipaddress.ip_address(sw.ip.split("/")[0]) >= dhcp_start:
            raise ValueError(f"management subnet {mgmt} has no static address left below the DHCP range for {sw.name}")
        sw.protocol_ip = f"{next(protocol)}/32"
        if sw.role == "spine":
            sw.asn = SPINE_ASN
            continue
        mclag = sw.redundancy.get("group") if sw.redundancy.get("type") == "mclag" else None
        if mclag in mclag_first:  # the second MCLAG peer shares the first one's ASN and VTEP
            sw.asn, sw.vtep_ip = mclag_first[mclag].asn, mclag_first[mclag].vtep_ip
            continue
        if mclag:
            mclag_first[mclag] = sw
        sw.asn = next_leaf_asn
        next_leaf_asn += 1
        sw.vtep_ip = f"{next(vtep)}/32"


def _mgmt_dhcp_start(mgmt):
    # Fabricator's default puts the switch DHCP range in the second half of the subnet.
    return mgmt.network_address + mgmt.num_addresses // 2


def _hydration_order(sw):
    return (0 if sw.role == "spine" else 1, sw.role, sw.name)


def _hydrate_links(topo):
    fabric = ipaddress.ip_network(topo.spec.fabric_subnet)
    addrs = _hosts_from(fabric.network_address)
    late = topo.spec.gateways_added_later
    for conn in sorted(topo.conns, key=lambda c: (late and c.ctype == "gateway", c.name)):
        if conn.ctype not in ("fabric", "mesh", "gateway"):
            continue
        first, second = {"fabric": ("spine", "leaf"), "mesh": ("leaf1", "leaf2"), "gateway": ("switch", "gateway")}[conn.ctype]
        for link in conn.body["links"]:
            link[first]["ip"] = f"{next(addrs)}/31"
            link[second]["ip"] = f"{next(addrs)}/31"
            if ipaddress.ip_address(link[second]["ip"].split("/")[0]) not in fabric:
                raise ValueError(f"fabric subnet {fabric} is too small for the fabric links")
            if conn.ctype == "gateway":
                _hydrate_gateway_link(topo, link)


def _hydrate_gateway_link(topo, link):
    gw_name, iface = link["gateway"]["port"].split("/", 1)
    gw = next(g for g in topo.gateways if g.name == gw_name)
    gw.interfaces[iface] = {"ips": [link["gateway"]["ip"]], "mtu": MTU}
    spine = topo.switches[link["switch"]["port"].split("/", 1)[0]]
    gw.neighbors.append({"source": iface, "ip": link["switch"]["ip"].split("/")[0], "asn": spine.asn})


def _hydrate_gateways(topo, protocol, vtep):
    for index, gw in enumerate(sorted(topo.gateways, key=lambda g: g.name), start=1):
        gw.protocol_ip = f"{next(protocol)}/32"
        gw.vtep_ip = f"{next(vtep)}/32"
        gw.vtep_mac = f"CA:FE:BA:BE:01:{index:02x}"


def _check_in_subnet(topo):
    spec = topo.spec
    checks = [(spec.protocol_subnet, [s.protocol_ip for s in topo.switches.values()] + [g.protocol_ip for g in topo.gateways]),
              (spec.vtep_subnet, [s.vtep_ip for s in topo.switches.values() if s.vtep_ip] + [g.vtep_ip for g in topo.gateways])]
    for subnet, ips in checks:
        net = ipaddress.ip_network(subnet)
        if any(ipaddress.ip_address(ip.split("/")[0]) not in net for ip in ips):
            raise ValueError(f"subnet {subnet} is too small for the switches and gateways")


# ---------------------------------------------------------------------------------------------
# VPCs (hhfab vlab setup-vpcs)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Subnet:
    vpc: str
    name: str
    cidr: ipaddress.IPv4Network
    vlan: int
    servers: list = dataclasses.field(default_factory=list)


def _plan_vpcs(topo):
    spec = topo.spec
    total = spec.vpcs * spec.subnets_per_vpc
    if not total:
        return {}
    names = [_limited_name(topo.prefix, f"vpc-{i:02d}", f"v{i:02d}", spec.vpcs) for i in range(1, spec.vpcs + 1)]
    blocks = _subnet_blocks(spec.ipv4_subnet, total)
    vlans = _vlans(spec.vlan_range, total)
    plan = {}
    for index in range(total):
        vpc = names[index // spec.subnets_per_vpc]
        subnet = _Subnet(vpc, f"subnet-{index % spec.subnets_per_vpc + 1:02d}", blocks[index], vlans[index])
        plan.setdefault(vpc, []).append(subnet)
    flat = [s for subnets in plan.values() for s in subnets]
    per_subnet = max(1, math.ceil(len(topo.servers) / total))
    for position, server in enumerate(topo.servers):
        flat[position // per_subnet].servers.append(server)
    return plan


def _subnet_blocks(ipv4_subnet, count):
    # The first /24 is skipped so that server-0N lands in 10.0.N.0/24 as in the VLAB.
    net = ipaddress.ip_network(ipv4_subnet)
    if net.prefixlen > 24 or net.num_addresses // 256 < count + 1:
        raise ValueError(f"IPv4 namespace {net} has fewer than {count + 1} /24 subnets; pass a larger --ipv4-subnet")
    return [ipaddress.ip_network((int(net.network_address) + 256 * (i + 1), 24)) for i in range(count)]


def _vlans(vlan_range, count):
    first, last = vlan_range
    if last - first < count:
        raise ValueError(f"VLAN range {first}-{last} has fewer than {count + 1} VLANs")
    return [first + 1 + i for i in range(count)]


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


STABLE_UID_NAMESPACE = uuid.UUID("8d0c6a3e-3f4b-5a7c-9e21-4b6d8f0a2c3e")


class _Renderer:
    """Turns the model into API objects; owns the deterministic uid/resourceVersion/random."""

    def __init__(self, topo, era, seed):
        self.topo = topo
        self.era = era
        self.rng = random.Random(seed)
        self.version = 1000
        self.uids = {}

    def uid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def object_uid(self, kind, namespace, name):
        if self.topo.spec.stable_uids:
            return str(uuid.uuid5(STABLE_UID_NAMESPACE, f"{kind}/{namespace}/{name}"))
        return self.uid()

    def obj(self, api, kind, name, spec, namespace=NS_DEFAULT, labels=None, annotations=None,
            status=None, generation=1, created="09:00:00"):
        self.version += 1
        meta = {"name": name, "namespace": namespace, "uid": self.object_uid(kind, namespace, name), "generation": generation,
                "resourceVersion": str(self.version), "creationTimestamp": _ts(self.era, created)}
        if labels:
            meta["labels"] = labels
        if annotations:
            meta["annotations"] = annotations
        self.uids[(kind, name)] = meta["uid"]
        body = {"apiVersion": api, "kind": kind, "metadata": meta}
        if spec is not None:
            body["spec"] = spec
        body["status"] = {} if status is None else status
        return body

    def mac(self, oui="0c:20:12"):
        return oui + "".join(f":{self.rng.randrange(256):02x}" for _unused in range(3))


def _switch_labels(sw):
    labels = {FABRIC_LABEL + "profile": sw.profile}
    for group in sw.groups:
        labels[f"switchgroup.{FABRIC_LABEL}{group}"] = "true"
    labels[f"vlanns.{FABRIC_LABEL}default"] = "true"
    return labels


def _switch_spec(sw):
    spec = {
        "role": sw.role,
        "description": sw.description,
        "profile": sw.profile,
        "redundancy": dict(sw.redundancy),
        "vlanNamespaces": ["default"],
        "asn": sw.asn,
        "ip": sw.ip,
        "protocolIP": sw.protocol_ip,
        "boot": {"mac": sw.boot_mac},
        "ecmp": {},
    }
    if sw.groups:
        spec["groups"] = sorted(sw.groups)
    if sw.vtep_ip:
        spec["vtepIP"] = sw.vtep_ip
    if sw.breakouts:
        spec["portBreakouts"] = dict(sw.breakouts)
    return spec


def _conn_labels(conn, era):
    if conn.ctype in ("mclag", "mclag-domain") and not era.mclag_live:
        return None  # since 26.01 the webhook strips every fabric label from MCLAG objects
    labels = {FABRIC_LABEL + "connection-type": conn.ctype}
    for sw in conn.switches:
        labels[f"switch.{FABRIC_LABEL}{sw}"] = "true"
    for server in conn.servers:
        labels[f"server.{FABRIC_LABEL}{server}"] = "true"
    return labels


def _conn_spec(conn):
    return {conn.field: json.loads(json.dumps(conn.body))}


def _vpc_spec(subnets):
    rendered = {}
    for s in subnets:
        hosts = s.cidr.network_address
        rendered[s.name] = {
            "subnet": str(s.cidr),
            "gateway": str(hosts + 1),
            "vlan": s.vlan,
            "dhcp": {"enable": True, "range": {"start": str(hosts + 2), "end": str(s.cidr.broadcast_address)}},
        }
    return {"ipv4Namespace": "default", "vlanNamespace": "default", "subnets": rendered}


def _render_wiring(r, plan):
    topo, era = r.topo, r.era
    out = []
    for name, pspec in _used_profiles(topo).items():
        out.append(r.obj(WIRING, "SwitchProfile", name, json.loads(json.dumps(pspec)),
                         annotations={FABRIC_LABEL + "ports": _ports_summary(pspec)}, created="08:50:00"))
    out += [r.obj(WIRING, "SwitchGroup", g, {}) for g in topo.groups]
    out.append(r.obj(WIRING, "VLANNamespace", "default", {"ranges": [{"from": topo.spec.vlan_range[0], "to": topo.spec.vlan_range[1]}]}))
    out.append(r.obj(VPC_API, "IPv4Namespace", "default", {"subnets": [topo.spec.ipv4_subnet]}))
    for sw in topo.switches.values():
        out.append(r.obj(WIRING, "Switch", sw.name, _switch_spec(sw), labels=_switch_labels(sw)))
    for server, description in topo.servers.items():
        out.append(r.obj(WIRING, "Server", server, {"description": description}))
    for conn in topo.conns:
        out.append(r.obj(WIRING, "Connection", conn.name, _conn_spec(conn), labels=_conn_labels(conn, era)))
    out += _render_gateways(r)
    out += _render_externals(r)
    for vpc, subnets in plan.items():
        labels = {FABRIC_LABEL + "ipv4ns": "default", FABRIC_LABEL + "vlanns": "default"}
        out.append(r.obj(VPC_API, "VPC", vpc, _vpc_spec(subnets), labels=labels, created="09:30:00"))
    out += _render_attachments(r, plan)
    out += _render_peerings(r, plan)
    return out


def _used_profiles(topo):
    return {name: PROFILE_SPECS[name] for name in sorted({sw.profile for sw in topo.switches.values()})}


def _render_gateways(r):
    topo = r.topo
    if not topo.gateways:
        return []
    out = [r.obj(GATEWAY_API, "GatewayGroup", "default", {})]
    del out[0]["status"]  # GatewayGroup marshals its status with omitzero
    for gw in topo.gateways:
        spec = {
            "protocolIP": gw.protocol_ip, "vtepIP": gw.vtep_ip, "vtepMAC": gw.vtep_mac, "asn": GATEWAY_ASN,
            "vtepMTU": SERVER_FACING_MTU, "interfaces": gw.interfaces, "neighbors": gw.neighbors,
            "logs": {"default": "info", "tags": {"all": "info"}}, "profiling": {}, "workers": 8,
            "groups": [{"name": "default"}],
        }
        out.append(r.obj(GATEWAY_API, "Gateway", gw.name, json.loads(json.dumps(spec))))
    return out


def _render_externals(r):
    topo = r.topo
    out = []
    for i, ext in enumerate(topo.externals, start=1):
        spec = {"ipv4Namespace": "default", "inboundCommunity": f"65102:{900 + 100 * i}",
                "outboundCommunity": f"{EXTERNAL_ASN}:{900 + 100 * i}"}
        out.append(r.obj(VPC_API, "External", ext, spec, labels={FABRIC_LABEL + "ipv4ns": "default"},
                         annotations={"hhfab.githedgehog.com/test-bgp-nat-pool": f"192.168.{90 + i}.0/24"}))
    for name, ext, conn, vlan, octet in topo.ext_attachments:
        spec = {"external": ext, "connection": conn,
                "switch": {"vlan": vlan, "ip": f"100.{octet}.{vlan}.1/24"},
                "neighbor": {"asn": EXTERNAL_ASN, "ip": f"100.{octet}.{vlan}.6"}}
        labels = {FABRIC_LABEL + "connection": conn, FABRIC_LABEL + "external": ext}
        out.append(r.obj(VPC_API, "ExternalAttachment", name, spec, labels=labels))
    return out


def _attachments(topo, plan):
    """(name, connection, vpc, subnet) for every server connection."""
    by_server = {}
    for conn in topo.conns:
        for server in conn.servers:
            by_server.setdefault(server, []).append(conn)
    found = []
    for subnets in plan.values():
        for s in subnets:
            for server in s.servers:
                for conn in by_server.get(server, []):
                    found.append((f"{conn.name}--{s.vpc}--{s.name}", conn.name, s.vpc, s.name))
    return found


def _render_attachments(r, plan):
    out = []
    for name, conn, vpc, subnet in _attachments(r.topo, plan):
        labels = {FABRIC_LABEL + "vpc": vpc, FABRIC_LABEL + "subnet": subnet, FABRIC_LABEL + "connection": conn}
        out.append(r.obj(VPC_API, "VPCAttachment", name, {"subnet": f"{vpc}/{subnet}", "connection": conn},
                         labels=labels, created="09:31:00"))
    return out


def _peering_plan(topo, plan):
    """VPC pairs for VPC peerings, then VPC pairs for gateway peerings, then VPCs peered with externals."""
    spec, vpcs = topo.spec, list(plan)
    cursor = 0

    def take(count):
        nonlocal cursor
        cursor += count
        return vpcs[cursor - count:cursor]

    vpc_pairs = [take(2) for _unused in range(spec.vpc_peerings)]
    gw_pairs = [take(2) for _unused in range(spec.gateway_peerings)]
    ext = [(take(1)[0], topo.externals[i % len(topo.externals)]) for i in range(spec.external_peerings)]
    return vpc_pairs, gw_pairs, ext


def _render_peerings(r, plan):
    vpc_pairs, gw_pairs, ext_pairs = _peering_plan(r.topo, plan)
    out = []
    for a, b in vpc_pairs:
        labels = {f"vpc.{FABRIC_LABEL}{a}": "true", f"vpc.{FABRIC_LABEL}{b}": "true",
                  FABRIC_LABEL + "vpc1": a, FABRIC_LABEL + "vpc2": b}
        out.append(r.obj(VPC_API, "VPCPeering", f"{a}--{b}", {"permit": [{a: {}, b: {}}]}, labels=labels, created="09:32:00"))
    for a, b in gw_pairs:
        peering = {v: {"expose": [{"ips": [{"cidr": str(s.cidr)} for s in plan[v]]}]} for v in (a, b)}
        labels = {f"vpc.gateway.githedgehog.com/{v}": "true" for v in (a, b)}
        out.append(r.obj(GATEWAY_API, "GatewayPeering", f"{a}--{b}", {"gatewayGroup": "default", "peering": peering},
                         labels=labels, created="09:32:00"))
    for vpc, ext in ext_pairs:
        permit = {"vpc": {"name": vpc, "subnets": [s.name for s in plan[vpc]]},
                  "external": {"name": ext, "prefixes": [{"prefix": "0.0.0.0/0"}]}}
        labels = {FABRIC_LABEL + "vpc": vpc, FABRIC_LABEL + "external": ext}
        out.append(r.obj(VPC_API, "ExternalPeering", f"{vpc}--{ext}", {"permit": permit}, labels=labels, created="09:32:00"))
    return out


# ---------------------------------------------------------------------------------------------
# Catalog allocations (pkg/manager/librarian), simulated in a deterministic order
# ---------------------------------------------------------------------------------------------


def _allocate(known, wanted, values):
    """librarian's Allocator: keep the known values still wanted, give new keys the next free one."""
    result = {}
    taken = set()
    for key in sorted(known):
        if key in wanted and known[key] not in taken:
            result[key] = known[key]
            taken.add(known[key])
    free = (v for v in values if v not in taken)
    for key in sorted(k for k in wanted if k not in result):
        result[key] = next(free)
    return result


class _Catalogs:
    def __init__(self, topo, plan):
        self.topo = topo
        self.plan = plan
        # Externals come from the wiring and VPCs from setup-vpcs later, so externals get VNIs first.
        ordered = [f"ext@{e}" for e in topo.externals] + list(plan)
        self.vnis = {key: VPC_VNI_STEP * (i + 1) for i, key in enumerate(ordered)}
        self.subnet_vnis = {vpc: {s.name: self.vnis[vpc] + i + 1 for i, s in enumerate(sorted(subnets, key=lambda s: s.name))}
                            for vpc, subnets in plan.items()}
        eslag = sorted(c.name for c in topo.conns if c.ctype == "eslag")
        self.connection_ids = {name: i + 1 for i, name in enumerate(eslag)}
        self.stored = {}  # catalog key -> spec

    def key_for(self, sw):
        if sw.redundancy.get("group"):
            return "redundancy." + sw.redundancy["group"]
        return "switch." + sw.name

    def group_allocations(self, sw, vpcs, externals, portchan_conns):
        key = self.key_for(sw)
        stored = self.stored.setdefault(key, {})
        irb_wanted = set(vpcs) | {f"ext@{e}" for e in externals}
        stored["irbVLANs"] = _allocate(stored.get("irbVLANs", {}), irb_wanted, range(IRB_VLANS[0], IRB_VLANS[1] + 1))
        stored["portChannelIDs"] = _allocate(stored.get("portChannelIDs", {}), set(portchan_conns), range(1, 250))
        return dict(stored["irbVLANs"]), dict(stored["portChannelIDs"])

    def switch_allocations(self, sw, externals, subnets):
        stored = self.stored.setdefault("switch." + sw.name, {})
        stored["externalIDs"] = _allocate(stored.get("externalIDs", {}), set(externals), range(10, 65536))
        stored["subnetIDs"] = _allocate(stored.get("subnetIDs", {}), set(subnets), range(100, 65000))
        return dict(stored["externalIDs"]), dict(stored["subnetIDs"])

    def objects(self, r):
        out = []
        if self.connection_ids:
            out.append(("connections", {"connectionIDs": self.connection_ids}))
        out.append(("vpcs", {"vpcVNIs": self.vnis, "vpcSubnetVNIs": self.subnet_vnis} if self.vnis else {}))
        if self.topo.gateways and self.plan:
            out.append(("vpcinfos", {"vpcInfoIDs": {vpc: i for i, vpc in enumerate(self.plan)}}))
        for key in sorted(self.stored):
            out.append((key, {k: v for k, v in self.stored[key].items() if v}))
        return [r.obj(AGENT_API, "Catalog", name, spec, created="09:35:00") for name, spec in out]


# ---------------------------------------------------------------------------------------------
# Agents
# ---------------------------------------------------------------------------------------------


class _AgentContext:
    """What the agent controller looks at for one switch."""

    def __init__(self, r, sw, objects_by_kind):
        topo, era = r.topo, r.era
        self.sw = sw
        # The controller finds a switch's connections by label, so unlabelled (MCLAG) ones are not seen.
        self.conns = [c for c in topo.conns if sw.name in c.switches and _conn_labels(c, era)]
        self.conn_names = {c.name for c in self.conns}
        attachments = objects_by_kind.get("VPCAttachment", [])
        self.attachments = [a for a in attachments if a["spec"]["connection"] in self.conn_names]
        self.ext_attachments = [a for a in objects_by_kind.get("ExternalAttachment", []) if a["spec"]["connection"] in self.conn_names]
        self.attached_externals = sorted({a["spec"]["external"] for a in self.ext_attachments})
        self.ext_peerings = [p for p in objects_by_kind.get("ExternalPeering", [])
                             if p["spec"]["permit"]["external"]["name"] in self.attached_externals]
        attached = {a["spec"]["subnet"].split("/")[0] for a in self.attachments}
        vpcs = {v["metadata"]["name"]: v for v in objects_by_kind.get("VPC", [])}
        self.peerings = [p for p in objects_by_kind.get("VPCPeering", []) if set(p["spec"]["permit"][0]) & attached]
        peered = {v for p in self.peerings for v in p["spec"]["permit"][0]}
        peered |= {p["spec"]["permit"]["vpc"]["name"] for p in self.ext_peerings}
        self.vpcs = {name: vpcs[name] for name in sorted(attached | peered) if name in vpcs}
        self.attached_vpcs = sorted(attached)
        self.externals_all = objects_by_kind.get("External", [])


def _portchannel_conns(topo, era, sw):
    members = [sw.name]
    if sw.redundancy.get("group"):
        members = [s.name for s in topo.switches.values() if s.redundancy.get("group") == sw.redundancy["group"]]
    kinds = ("bundled", "eslag", "mclag") if era.mclag_live else ("bundled", "eslag")
    return sorted({c.name for c in topo.conns if c.ctype in kinds and set(c.switches) & set(members)})


def _agent_catalog(r, catalogs, ctx):
    topo, era, sw = r.topo, r.era, ctx.sw
    portchans = _portchannel_conns(topo, era, sw)
    irb, pcs = catalogs.group_allocations(sw, ctx.vpcs, ctx.attached_externals, portchans)
    subnets = {s["subnet"] for v in ctx.vpcs.values() for s in v["spec"]["subnets"].values()}
    subnets |= {p["prefix"] for e in ctx.ext_peerings for p in e["spec"]["permit"]["external"]["prefixes"]}
    ext_ids, subnet_ids = catalogs.switch_allocations(sw, ctx.attached_externals, subnets)
    cat = {
        "connectionIDs": {c.name: catalogs.connection_ids[c.name] for c in ctx.conns if c.name in catalogs.connection_ids},
        "vpcVNIs": {**{v: catalogs.vnis[v] for v in ctx.vpcs}, **{f"ext@{e}": catalogs.vnis[f"ext@{e}"] for e in ctx.attached_externals}},
        "vpcSubnetVNIs": {v: catalogs.subnet_vnis[v] for v in ctx.vpcs},
        "irbVLANs": irb,
        "portChannelIDs": pcs,
        "externalIDs": ext_ids,
        "subnetIDs": subnet_ids,
    }
    return {k: v for k, v in cat.items() if v}


def _agent_config(topo, sw):
    spec = topo.spec
    vip = ipaddress.ip_network(spec.mgmt_subnet).network_address + 1
    config = {
        "controlVIP": f"{vip}/32",
        "spineLeaf": {},
        "baseVPCCommunity": "50000:0",
        "vpcLoopbackSubnet": "172.30.96.0/19",
        "fabricMTU": MTU,
        "serverFacingMTUOffset": MTU - SERVER_FACING_MTU,
        "eslagMACBase": "f2:00:00:00:00:00",
        "eslagESIPrefix": "00:f2:00:00:",
        "defaultMaxPathsEBGP": 64,
        "gatewayASN": GATEWAY_ASN,
        "spineASN": SPINE_ASN,
        "protocolSubnet": spec.protocol_subnet,
        "vtepSubnet": spec.vtep_subnet,
        "fabricSubnet": spec.fabric_subnet,
        "proxyExternalSubnet": "172.30.16.0/22",
        "gatewayBFD": True,
        "alloy": {"hostname": sw.name, "proxyURL": f"http://{vip}:{CONTROL_PROXY_PORT}", "targets": {}, "kube": {}, "pyroscope": {}},
    }
    if spec.vpc_loopbacks:  # the pre-25.04 workaround is on exactly when its connections exist
        config["loopbackWorkaround"] = True
    return config


def _agent_version(topo, era):
    vip = ipaddress.ip_network(topo.spec.mgmt_subnet).network_address + 1
    registry = f"{vip}:{REGISTRY_PORT}/githedgehog"
    return {
        "ca": VLAB_AGENT_SECRETS["registry_ca"],
        "username": VLAB_AGENT_SECRETS["registry_username"],
        "password": VLAB_AGENT_SECRETS["registry_password"],
        "repo": f"{registry}/fabric/agent",
        "default": era.fabric_version,
        "alloyRepo": f"{registry}/fabricator/alloy-bin",
        "alloyVersion": "v1.16.1",
    }


def agent_users():
    """The switch users the fabricator hands every agent (spec.users)."""
    return [
        {"name": "admin", "password": VLAB_AGENT_SECRETS["admin_password_hash"], "role": "admin",
         "sshKeys": [VLAB_AGENT_SECRETS["admin_ssh_key"]]},
        {"name": "op", "password": VLAB_AGENT_SECRETS["operator_password_hash"], "role": "operator",
         "sshKeys": [VLAB_AGENT_SECRETS["operator_ssh_key"]]},
    ]


def _agent_spec(r, ctx, switch_objs, catalogs):
    topo, sw = r.topo, ctx.sw
    neighbours = sorted({s for c in ctx.conns for s in c.switches} | {sw.name})
    peers = sorted(s.name for s in topo.switches.values()
                   if sw.redundancy.get("group") and s.redundancy.get("group") == sw.redundancy["group"] and s.name != sw.name)
    spec = {
        "role": sw.role,
        "description": sw.description,
        "config": _agent_config(topo, sw),
        "alloy": {},
        "version": _agent_version(topo, r.era),
        "users": agent_users(),
        "switch": switch_objs[sw.name]["spec"],
        "switchProfile": PROFILE_SPECS[sw.profile],
        "switches": {name: switch_objs[name]["spec"] for name in neighbours},
        "connections": {c.name: _conn_spec(c) for c in ctx.conns},
        "vpcs": {name: v["spec"] for name, v in ctx.vpcs.items()},
        "vpcAttachments": {a["metadata"]["name"]: a["spec"] for a in ctx.attachments},
        "vpcPeers": {p["metadata"]["name"]: p["spec"] for p in ctx.peerings},
        "ipv4Namespaces": {"default": {"subnets": [topo.spec.ipv4_subnet]}},
        "vlanNamespaces": {"default": {"ranges": [{"from": topo.spec.vlan_range[0], "to": topo.spec.vlan_range[1]}]}},
        "externals": {e["metadata"]["name"]: e["spec"] for e in ctx.externals_all},
        "externalAttachments": {a["metadata"]["name"]: a["spec"] for a in ctx.ext_attachments},
        "externalPeerings": {p["metadata"]["name"]: p["spec"] for p in ctx.ext_peerings},
        "configuredVPCSubnets": {a["spec"]["subnet"]: True for a in ctx.attachments},
        "attachedVPCs": {v: True for v in ctx.attached_vpcs},
        "catalog": _agent_catalog(r, catalogs, ctx),
        "statusUpdates": [{"apiVersion": WIRING, "kind": "Switch", "name": sw.name, "namespace": NS_DEFAULT, "generation": 1}],
    }
    if peers:
        spec["redundancyGroupPeers"] = peers
    # Empty maps are omitted; struct fields (alloy, catalog, config, ...) are always marshalled.
    return {k: v for k, v in spec.items() if v != {} or k in ("alloy", "catalog", "config", "version", "switch")}


# -- agent status -----------------------------------------------------------------------------


def _used_links(topo, sw):
    """(local port, remote '<device>/<port>' or None, connection) for every port of the switch."""
    links = []
    for conn in topo.conns:
        for pair in _conn_link_pairs(conn):
            for mine, other in (pair, pair[::-1]):
                if mine and mine.split("/", 1)[0] == sw.name:
                    links.append((mine.split("/", 1)[1], other, conn))
    return links


def _wired_ends(topo):
    """'<device>/<port>' -> ('<device>/<port>' the wiring joins it to, the connection), for every two-ended link."""
    wired = {}
    for conn in topo.conns:
        for first, second in _conn_link_pairs(conn):
            if first and second:
                wired[first], wired[second] = (second, conn), (first, conn)
    return wired


def _physical_far_ends(topo):
    """'<device>/<port>' -> the end its cable really reaches, where the spec's miswired pairs differ from the wiring.

    Swapping the cables of two ports A and B of one switch puts A's far end on B and B's on A.
    """
    wired = _wired_ends(topo)
    moved = {}
    for pair in topo.spec.miswired:
        port_a, port_b = (topo.n(end) for end in pair)
        if port_a not in wired or port_b not in wired:
            continue  # a preset's pair on a fabric resized without those links
        far_a, far_b = wired[port_a][0], wired[port_b][0]
        moved.update({port_a: far_b, far_b: port_a, port_b: far_a, far_a: port_b})
    return moved


def _really_reaches(topo, end, wired_far):
    return _physical_far_ends(topo).get(end, wired_far) if topo.spec.miswired else wired_far


def _conn_link_pairs(conn):
    body = conn.body
    if "link" in body:
        link = body["link"]
        ends = [v["port"] for v in link.values()]
        return [(ends[0], ends[1] if len(ends) > 1 else None)]
    pairs = []
    for key in ("links", "peerLinks", "sessionLinks"):
        for link in body.get(key, []):
            ends = [v["port"] for v in link.values()]
            pairs.append((ends[0], ends[1]))
    return pairs


def _system_mac(sw):
    octets = sw.boot_mac.split(":")
    return ":".join(octets[:5] + [f"{int(octets[5], 16) + 1:02x}"])


def _interface_state(r, sw, port, up, counters=True):
    profile = PROFILE_SPECS[sw.profile]
    state = {"enabled": up, "admin": "up" if up else "down", "oper": "up" if up else "down",
             "mac": sw.boot_mac if port == "M1" else _system_mac(sw),
             "change": _ts(r.era, "09:40:00"), "speed": "1G" if port == "M1" else port_speed(profile, port, sw.breakouts)}
    if up and counters:
        rng = r.rng
        state["counters"] = {"inb": rng.randrange(10**9, 10**12), "inbps": round(rng.uniform(1e3, 1e6), 1),
                             "outb": rng.randrange(10**9, 10**12), "outbps": round(rng.uniform(1e3, 1e6), 1),
                             "inpbs": round(rng.uniform(1, 500), 1), "outpps": round(rng.uniform(1, 500), 1),
                             "ind": rng.randrange(0, 5), "inu": rng.randrange(0, 3), "outu": rng.randrange(0, 3),
                             "clear": _ts(r.era, "09:40:00")}
    return _omit_empty(state)


def _omit_empty(fields):
    # The agent's structs marshal with omitempty: false, zero and "" never reach the API.
    cleaned = {}
    for key, value in fields.items():
        if isinstance(value, dict) and key != "platform":
            value = _omit_empty(value)
        if value not in (False, 0, "", None) or value is True:
            cleaned[key] = value
    return cleaned


def _lldp(topo, sw, port, remote, conn):
    other = topo.switches.get(remote.split("/", 1)[0]) if remote else None
    if other is None or other.name == sw.name:
        return None
    rport = remote.split("/", 1)[1]
    neighbour = {"name": nos_port_name(PROFILE_SPECS[sw.profile], port, sw.breakouts), "chassis": _system_mac(other),
                 "sysName": other.name, "sysDescr": "Hedgehog Fabric",
                 "portID": nos_port_name(PROFILE_SPECS[other.profile], rport, other.breakouts)}
    far_wired, far_conn = _wired_ends(topo).get(remote, (f"{sw.name}/{port}", conn)) if topo.spec.miswired else (
        f"{sw.name}/{port}", conn)
    if far_conn.ctype == "fabric":
        # The far agent describes its port by its own wiring: "Fabric <its remote end> <connection>".
        neighbour["portDescr"] = f"Fabric {far_wired} {far_conn.name}"
    return neighbour


def _transceiver(r, sw, port):
    rng = r.rng
    speed = port_speed(PROFILE_SPECS[sw.profile], port, sw.breakouts)
    return {"descr": "QSFP-DD/OSFP" if speed == "100G" else "SFP/SFP+/SFP28", "formFactor": "OSFP" if speed == "100G" else "SFP28",
            "connType": "MPO" if speed == "100G" else "LC", "cable": f"{speed}BASE-SR", "present": "PRESENT",
            "oper": "ENABLED", "serial": f"HH{rng.randrange(10**9, 10**10)}", "vendor": "Hedgehog Optics",
            "vendorPart": f"HH-{speed}-SR", "vendorOUI": "0c-20-12", "vendorRev": "A1",
            "temp": round(rng.uniform(30, 45), 1), "voltage": 3.3}


def _bgp_neighbors(topo, sw, links):
    neighbours, bfd = {}, {}
    for port, remote, conn in links:
        if conn.ctype not in ("fabric", "gateway", "mesh"):
            continue
        peer_ip, local_as, peer_as, router_id = _bgp_peer(topo, sw, port, conn)
        if _really_reaches(topo, f"{sw.name}/{port}", remote) != remote:
            # The far port on this cable holds another link's address: no session comes up.
            neighbours[peer_ip] = {"enabled": True, "localAS": local_as, "peerAS": peer_as, "peerType": "external",
                                   "state": "active"}
            bfd[peer_ip] = {"state": "down"}
            continue
        neighbours[peer_ip] = {"enabled": True, "localAS": local_as, "peerAS": peer_as, "peerType": "external",
                               "remoteRouterID": router_id, "state": "established", "estabTrans": 1,
                               "lastEstab": _ts(topo.era, "09:41:00")}
        bfd[peer_ip] = {"state": "up", "lastUpTime": _ts(topo.era, "09:41:00")}
    return neighbours, bfd


def _bgp_peer(topo, sw, port, conn):
    for link in conn.body["links"]:
        ends = list(link.values())
        for mine, other in ((ends[0], ends[1]), (ends[1], ends[0])):
            if mine["port"] == f"{sw.name}/{port}":
                device = other["port"].split("/", 1)[0]
                if device in topo.switches:
                    remote = topo.switches[device]
                    return other["ip"].split("/")[0], sw.asn, remote.asn, remote.protocol_ip.split("/")[0]
                gw = next(g for g in topo.gateways if g.name == device)
                return other["ip"].split("/")[0], sw.asn, GATEWAY_ASN, gw.protocol_ip.split("/")[0]
    raise KeyError(port)


def _nos_state(r, sw):
    profile = PROFILE_SPECS[sw.profile]
    vs = profile["nosType"] == "sonic-bcm-vs"
    version = r.era.nos_version
    nos = {
        "asicVersion": "vs" if vs else "broadcom",
        "buildCommit": "6b1f0c2a",
        "buildDate": r.era.nos_build_date,
        "builtBy": "sonicbld@hedgehog-build",
        "configDBVersion": f"version_{version.replace('.', '_')}_01",
        "distributionVersion": "12",
        "hardwareVersion": "" if vs else "A02",
        "hwskuVersion": "DellEMC-S5248f-P-25G" if vs else "DS4101",
        "kernelVersion": "6.1.0-29-2-amd64",
        "mfgName": "Hedgehog" if vs else "Celestica",
        "platformName": profile["platform"],
        "productDescription": "Enterprise SONiC Distribution by Broadcom - Enterprise Base package",
        "productVersion": version,
        "serialNumber": f"HHVS{sw.boot_mac.replace(':', '')[-6:].upper()}" if vs else f"CLS4101{sw.boot_mac[-5:-3].upper()}77",
        "softwareVersion": f"{version}-Enterprise_Base",
        "uptime": "2 days,  3:14",
    }
    return _omit_empty(nos)


def _agent_status(r, sw, generation, pcs, reboot_required):
    topo = r.topo
    links = _used_links(topo, sw)
    used = {link[0] for link in links}
    interfaces = {"M1": _interface_state(r, sw, "M1", True)}
    transceivers = {}
    for port in _status_ports(sw, used):
        interfaces[port] = _interface_state(r, sw, port, port in used)
    for port, remote, conn in links:
        neighbour = _lldp(topo, sw, port, _really_reaches(topo, f"{sw.name}/{port}", remote), conn)
        if neighbour:
            interfaces[port].setdefault("lldpNeighbors", []).append(neighbour)
        base = port if sw.profile == VS_PROFILE else port.rsplit("/", 1)[0]
        transceivers.setdefault(base, None)
    for base in sorted(transceivers, key=_port_sort_key):
        transceivers[base] = _transceiver(r, sw, base if sw.profile == VS_PROFILE else base + "/1")
    for conn_name, pc in sorted(pcs.items(), key=lambda kv: kv[1]):
        if any(link[2].name == conn_name for link in links):
            interfaces[f"PortChannel{pc}"] = {"enabled": True, "admin": "up", "oper": "up", "mac": _system_mac(sw),
                                              "change": _ts(r.era, "09:40:00")}
    bgp, bfd = _bgp_neighbors(topo, sw, links)
    state = {"nos": _nos_state(r, sw), "interfaces": interfaces, "transceivers": transceivers,
             "platform": {}, "criticalResources": _crm()}
    if bgp:
        state["bgpNeighbors"] = {"default": bgp}
        state["bfdPeers"] = {"default": bfd}
    if sw.breakouts:
        # Every breakout-capable port reports its mode, the ones left at the profile default too.
        default = PROFILE_SPECS[sw.profile]["portProfiles"]["OSFP-2x400G"]["breakout"]["default"]
        state["breakouts"] = {f"E1/{n}": {"mode": sw.breakouts.get(f"E1/{n}", default), "status": "Completed"}
                              for n in range(1, 33)}
    status = {
        "version": r.era.fabric_version, "installID": r.uid(), "runID": r.uid(), "bootID": r.uid(),
        "lastHeartbeat": _ts(r.era, "10:00:00"), "lastAttemptTime": _ts(r.era, "09:59:30"), "lastAttemptGen": generation,
        "lastAppliedTime": _ts(r.era, "09:59:31"), "lastAppliedGen": generation, "state": state,
        "statusUpdates": [{"apiVersion": WIRING, "kind": "Switch", "name": sw.name, "namespace": NS_DEFAULT, "generation": 1}],
        "conditions": [{"type": "Applied", "status": "True", "reason": "ApplySucceeded",
                        "lastTransitionTime": _ts(r.era, "09:59:31"), "message": f"Config applied, gen={generation}"}],
    }
    if reboot_required and r.era.reports_reboot:
        status["rebootRequired"] = True  # agents report it since 25.05
    return status if r.era.short_agent_keys else to_old_agent_status(status)


def _status_ports(sw, used):
    # The agent reports every front-panel port of a vs switch; on the big spine only what it uses.
    if sw.profile == VS_PROFILE:
        return [f"E1/{n}" for n in range(1, VS_DATA_PORTS + 1)]
    return sorted(used, key=_port_sort_key)


def _crm():
    empty_acl = {"lag": {}, "port": {}, "rif": {}, "switch": {}, "vlan": {}}
    return {"aclStats": {"egress": dict(empty_acl), "ingress": dict(empty_acl)},
            "stats": {"fdbEntriesAvailable": 32767, "fdbEntriesUsed": 12, "ipv4RoutesAvailable": 98304,
                      "ipv4RoutesUsed": 41, "ipv4NexthopsAvailable": 16384, "ipv4NexthopsUsed": 9}}


# -- the pre-25.04 key names ------------------------------------------------------------------

_OLD_INTERFACE_KEYS = {"admin": "adminStatus", "oper": "operStatus", "change": "lastChanged"}
_OLD_COUNTER_KEYS = {"inb": "inBits", "inbps": "inBitsPerSecond", "ind": "inDiscards", "ine": "inErrors",
                     "inpbs": "inPktsPerSecond", "inu": "inUtilization", "clear": "lastClear", "outb": "outBits",
                     "outbps": "outBitsPerSecond", "outd": "outDiscards", "oute": "outErrors",
                     "outpps": "outPktsPerSecond", "outu": "outUtilization"}
_OLD_LLDP_KEYS = {"chassis": "chassisID", "sysName": "systemName", "sysDescr": "systemDescription",
                  "portDescr": "portDescription", "manuf": "manufacturer", "serial": "serialNumber"}
_OLD_TRANSCEIVER_KEYS = {"descr": "description", "cable": "cableClass", "connType": "connectorType",
                         "length": "cableLength", "oper": "operStatus", "temp": "temperature", "serial": "serialNumber"}
_OLD_BGP_KEYS = {"connDropped": "connectionsDropped", "estabTrans": "establishedTransitions",
                 "lastEstab": "lastEstablished", "lastReset": "lastResetTime", "msgs": "messages",
                 "state": "sessionState", "shutdownMsg": "shutdownMessage"}


def _rename(mapping, keys):
    return {keys.get(k, k): v for k, v in mapping.items()}


def to_old_agent_status(status):
    """The same Agent status with the key names agents wrote before 25.04.

    Old agents kept the transceiver inside each interface (``transceiver``) instead of
    ``state.transceivers``, and had no ``bfdPeers``; those are the only facts that move or go.
    """
    status = json.loads(json.dumps(status))
    state = status["state"]
    transceivers = state.pop("transceivers", {})
    state.pop("bfdPeers", None)
    interfaces = {}
    for name, iface in state.get("interfaces", {}).items():
        iface = _rename(iface, _OLD_INTERFACE_KEYS)
        if "counters" in iface:
            iface["counters"] = _rename(iface["counters"], _OLD_COUNTER_KEYS)
        if "lldpNeighbors" in iface:
            iface["lldpNeighbors"] = [_rename(n, _OLD_LLDP_KEYS) for n in iface["lldpNeighbors"]]
        interfaces[name] = iface
    for base, transceiver in transceivers.items():
        target = base if base in interfaces else f"{base}/1"
        if target in interfaces:
            interfaces[target]["transceiver"] = _rename(transceiver, _OLD_TRANSCEIVER_KEYS)
    state["interfaces"] = interfaces
    for vrf, peers in state.get("bgpNeighbors", {}).items():
        state["bgpNeighbors"][vrf] = {addr: _rename(p, _OLD_BGP_KEYS) for addr, p in peers.items()}
    return status


def _render_agents(r, wiring, catalogs):
    topo = r.topo
    by_kind = {}
    for obj in wiring:
        by_kind.setdefault(obj["kind"], []).append(obj)
    switch_objs = {o["metadata"]["name"]: o for o in by_kind.get("Switch", [])}
    last_leaf = max((s.name for s in topo.switches.values() if s.role != "spine"), default=None)
    out = []
    for sw in sorted(topo.switches.values(), key=lambda s: s.name):
        ctx = _AgentContext(r, sw, by_kind)
        spec = _agent_spec(r, ctx, switch_objs, catalogs)
        generation = 2 + len(ctx.attachments)
        status = _agent_status(r, sw, generation, spec.get("catalog", {}).get("portChannelIDs", {}),
                               reboot_required=(sw.name == last_leaf))
        out.append(r.obj(AGENT_API, "Agent", sw.name, json.loads(json.dumps(spec)), labels=_switch_labels(sw),
                         status=status, generation=generation, created="09:05:00"))
    return out


# ---------------------------------------------------------------------------------------------
# DHCP subnets, VPCInfos, Fabricator objects
# ---------------------------------------------------------------------------------------------


def _lease(r, ip, hostname=None, discover=False, expiry="10:30:00"):
    lease = {"ip": str(ip), "expiry": _ts(r.era, expiry)}
    if hostname:
        lease["hostname"] = hostname
    if discover:
        lease["discover"] = True
    return lease


def _render_dhcp(r, plan):
    topo = r.topo
    mgmt = ipaddress.ip_network(topo.spec.mgmt_subnet)
    start = _mgmt_dhcp_start(mgmt)
    mgmt_leases = {sw.boot_mac: _lease(r, start + i, hostname=sw.name) for i, sw in enumerate(topo.switches.values())}
    management = {
        "subnet": "management", "cidrBlock": str(mgmt), "gateway": str(mgmt.network_address + 1),
        "startIP": str(start), "endIP": str(mgmt.broadcast_address - 1), "leaseTimeSeconds": 1800,
        "vrf": "", "circuitID": "", "pxeURL": "", "dnsServers": [], "timeServers": [], "interfaceMTU": 0,
        "defaultURL": "", "ztpBaseURL": f"http://{mgmt.network_address + 1}:32000",
    }
    out = [r.obj(DHCP_API, "DHCPSubnet", "management", management, status={"allocated": mgmt_leases}, created="08:55:00")]
    for vpc, subnets in plan.items():
        for s in subnets:
            out.append(_dhcp_subnet(r, vpc, s))
    return out


def _dhcp_subnet(r, vpc, s):
    first = s.cidr.network_address + 2
    leases = {r.mac("02:00:0a"): _lease(r, first + i, hostname=server) for i, server in enumerate(s.servers)}
    # One host that has been offered an address and not confirmed it yet.
    leases[r.mac("02:00:0b")] = _lease(r, first + len(s.servers), discover=True, expiry="09:35:00")
    spec = {
        "subnet": f"{vpc}/{s.name}", "cidrBlock": str(s.cidr), "gateway": str(s.cidr.network_address + 1),
        "startIP": str(first), "endIP": str(s.cidr.broadcast_address), "leaseTimeSeconds": DHCP_LEASE_SECONDS,
        "vrf": vpc.lower(), "circuitID": f"vlan{s.vlan}", "pxeURL": "", "dnsServers": [], "timeServers": [],
        "interfaceMTU": SERVER_FACING_MTU, "defaultURL": "",
    }
    labels = {FABRIC_LABEL + "vpc": vpc, FABRIC_LABEL + "subnet": s.name}
    return r.obj(DHCP_API, "DHCPSubnet", f"{vpc}--{s.name}", spec, labels=labels,
                 status={"allocated": leases}, created="09:30:05")


def _encode_vpc_id(value):
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digits = []
    for _unused in range(5):
        value, rem = divmod(value, len(alphabet))
        digits.append(alphabet[rem])
    return "".join(reversed(digits))


def _render_vpcinfos(r, plan, catalogs):
    if not r.topo.gateways:
        return []
    out = []
    for index, (vpc, subnets) in enumerate(plan.items()):
        obj = r.obj(GATEWAY_API, "VPCInfo", vpc,
                    {"vni": catalogs.vnis[vpc], "subnets": {s.name: {"cidr": str(s.cidr)} for s in subnets}},
                    status={"internalID": _encode_vpc_id(index)}, created="09:30:10")
        obj["metadata"]["ownerReferences"] = [{"apiVersion": VPC_API, "kind": "VPC", "name": vpc,
                                               "uid": r.uids[("VPC", vpc)], "controller": True,
                                               "blockOwnerDeletion": False}]
        out.append(obj)
    return out


def _fabricator_versions(era):
    fabric = era.fabric_version
    nos = {"sonic-bcm-base": f"v{era.nos_version}", "sonic-bcm-campus": f"v{era.nos_version}", "sonic-bcm-vs": f"v{era.nos_version}"}
    return {
        "platform": {"k3s": era.k3s, "zot": "v2.1.16", "certManager": "v1.20.2"},
        "fabricator": {"api": era.fabricator_version, "controller": era.fabricator_version, "ctl": era.fabricator_version,
                       "nodeConfig": era.fabricator_version},
        "fabric": {"api": fabric, "controller": fabric, "dhcpd": fabric, "boot": fabric, "agent": fabric, "ctl": fabric, "nos": nos},
        "gateway": dict(era.gateway_versions),
        "vlab": {"onie": "v0.2.1", "flatcar": "v4593.2.4"},
    }


def _switch_users_config():
    return {
        "admin": {"role": "admin", "password": VLAB_AGENT_SECRETS["admin_password_hash"],
                  "authorizedKeys": [VLAB_AGENT_SECRETS["admin_ssh_key"]]},
        "op": {"role": "operator", "password": VLAB_AGENT_SECRETS["operator_password_hash"],
               "authorizedKeys": [VLAB_AGENT_SECRETS["operator_ssh_key"]]},
    }


_FABRICATOR_COMPONENTS = ("fabricatorAPI", "fabricatorCtrl", "fabricatorNodeConfig", "certManagerCtrl", "certManagerWebhook",
                          "reloader", "zot", "ntp", "fabricAPI", "fabricCtrl", "fabricBoot", "fabricDHCP", "controlProxy")


def _render_fabricator(r):
    topo, era, spec = r.topo, r.era, r.topo.spec
    mgmt = ipaddress.ip_network(spec.mgmt_subnet)
    config = {
        "control": {"managementSubnet": str(mgmt), "controlVIP": f"{mgmt.network_address + 1}/32",
                    "kubeClusterSubnet": "172.28.0.0/16", "kubeServiceSubnet": "172.29.0.0/16", "kubeClusterDNS": "172.29.0.10",
                    "dummySubnet": "172.30.90.0/24",
                    "defaultUser": {"password": VLAB_FABRICATOR_SECRETS["control_password_hash"],
                                    "authorizedKeys": [VLAB_FABRICATOR_SECRETS["control_ssh_key"]]}},
        "registry": {"mode": "airgap"},
        "fabric": {"mode": "spine-leaf", "managementDHCPStart": str(_mgmt_dhcp_start(mgmt)),
                   "managementDHCPEnd": str(mgmt.broadcast_address - 1), "spineASN": SPINE_ASN,
                   "leafASNStart": LEAF_ASN_RANGE[0], "leafASNEnd": LEAF_ASN_RANGE[1],
                   "protocolSubnet": spec.protocol_subnet, "vtepSubnet": spec.vtep_subnet, "fabricSubnet": spec.fabric_subnet,
                   "proxyExternalSubnet": "172.30.16.0/22", "baseVPCCommunity": "50000:0",
                   "vpcIRBVLANs": [{"from": IRB_VLANS[0], "to": IRB_VLANS[1]}], "vpcWorkaroundVLANs": [{"from": 100, "to": 3999}],
                   "vpcWorkaroundSubnet": "172.30.96.0/19", "th5WorkaroundVLANs": [{"from": 3900, "to": 3999}],
                   "eslagMACBase": "f2:00:00:00:00:00", "eslagESIPrefix": "00:f2:00:00:", "mclagSessionSubnet": "172.30.95.0/31",
                   "defaultSwitchUsers": _switch_users_config(), "defaultAlloyConfig": {}},
        "gateway": {"asn": GATEWAY_ASN, **({"enable": True} if topo.gateways else {})},
        "observability": {},
    }
    status = {
        "versions": _fabricator_versions(era),
        "lastAttemptTime": _ts(era, "08:45:00"), "lastAttemptGen": 1, "lastAppliedTime": _ts(era, "08:48:00"),
        "lastAppliedGen": 1, "lastAppliedController": era.fabricator_version, "lastStatusCheck": _ts(era, "10:00:00"),
        "conditions": [{"type": "Applied", "status": "True", "reason": "ApplySucceeded",
                        "lastTransitionTime": _ts(era, "08:48:00"), "message": "Config applied, gen=1"}],
        "components": {c: "Ready" for c in _FABRICATOR_COMPONENTS},
    }
    if era.has_release_field:
        status["release"] = era.release
    empty_versions = {"platform": {}, "fabricator": {}, "fabric": {}, "gateway": {}, "vlab": {}}
    out = [r.obj(FAB_API, "Fabricator", "default", {"config": config, "overrides": {"versions": empty_versions}},
                 namespace=NS_FAB, status=status, created="08:40:00")]
    out.append(r.obj(FAB_API, "ControlNode", topo.n("control-1"), {
        "bootstrap": {"disk": "/dev/sda"}, "management": {"interface": "enp2s1", "ip": topo.control_ip},
        "external": {"interface": "enp2s0", "ip": "dhcp"}, "dummy": {"ip": "172.30.90.0/31"}}, namespace=NS_FAB, created="08:40:00"))
    for i, gw in enumerate(topo.gateways, start=1):
        out.append(r.obj(FAB_API, "FabNode", gw.name, {
            "roles": ["gateway"], "bootstrap": {"disk": "/dev/sda"}, "management": {"interface": "enp2s0", "ip": gw.mgmt_ip},
            "dummy": {"ip": f"172.30.90.{2 * i}/31"}}, namespace=NS_FAB, created="08:40:00"))
    return out


def _render_gateway_agents(r, wiring):
    """One GatewayAgent per gateway (gwint, 26.01+): the controller's copy of the Gateway, the agent's heartbeat."""
    topo, era = r.topo, r.era
    gateways = dict((o["metadata"]["name"], o) for o in wiring if o["kind"] == "Gateway")
    if not gateways:
        return []
    dataplane = dict(era.gateway_versions).get("dataplane", "")
    members = [{"name": name, "priority": 0, "vtepIP": gw["spec"]["vtepIP"]} for name, gw in sorted(gateways.items())]
    out = []
    for name, gateway in sorted(gateways.items()):
        generation = 2
        neighbours = {}
        for neighbour in gateway["spec"].get("neighbors", []):
            switch = next(s for s in topo.switches.values() if s.asn == neighbour["asn"])
            neighbours[neighbour["ip"]] = {"enabled": True, "localAS": GATEWAY_ASN, "peerAS": neighbour["asn"],
                                           "remoteRouterID": switch.protocol_ip.split("/")[0],
                                           "sessionState": "established", "establishedTransitions": 1}
        status = {
            "agentVersion": era.fabric_version, "lastHeartbeat": _ts(era, "10:00:00"),
            "lastAppliedTime": _ts(era, "09:59:40"), "lastAppliedGen": generation,
            "state": {"lastCollectedTime": _ts(era, "10:00:00"), "dataplane": {"version": dataplane},
                      "frr": {"lastAppliedGen": generation}, "bgp": {"vrfs": {"default": {"neighbors": neighbours}}}},
        }
        spec = {"agentVersion": era.fabric_version, "gateway": gateway["spec"],
                "groups": {"default": {"members": members}}, "config": {"fabricBFD": True}}
        out.append(r.obj(GWINT_API, "GatewayAgent", name, json.loads(json.dumps(spec)), status=_omit_empty(status),
                         generation=generation, created="09:05:00"))
    return out


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def generate_fabric(spec):
    """All API objects of the fabric described by ``spec`` (a FabricSpec), as plain dicts."""
    spec = _with_ipv4_subnet(spec)
    _check_spec(spec)
    era = ERAS[spec.era]
    topo = _build_topology(spec, era)
    _hydrate(topo)
    plan = _plan_vpcs(topo)
    r = _Renderer(topo, era, spec.seed)
    wiring = _render_wiring(r, plan)
    catalogs = _Catalogs(topo, plan)
    agents = _render_agents(r, wiring, catalogs)
    objects = (_render_fabricator(r) + wiring + _render_vpcinfos(r, plan, catalogs) + agents
               + catalogs.objects(r) + _render_dhcp(r, plan) + _render_gateway_agents(r, wiring))
    # A JSON round trip gives every object its own data (no shared sub-dicts) like a real client.
    return json.loads(json.dumps(objects))


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    def ignore_aliases(self, data):
        return True


def _represent_str(dumper, data):
    # Certificates and other multi-line values read best as literal blocks.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(document):
    """YAML as kubectl prints it: keys sorted, no anchors."""
    return yaml.dump(document, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=4096)


def write_fabric(objects, directory):
    """Write one ``kind: List`` file per kind (named by the resource plural); return the paths."""
    os.makedirs(directory, exist_ok=True)
    by_file = {}
    for obj in objects:
        by_file.setdefault(KIND_FILES[obj["kind"]], []).append(obj)
    paths = []
    for name, items in sorted(by_file.items()):
        path = os.path.join(directory, f"{name}.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dump_yaml({"apiVersion": "v1", "kind": "List", "items": items, "metadata": {"resourceVersion": ""}}))
        paths.append(path)
    return paths


def load_fabric(directory):
    """Every object of a directory written by write_fabric (or by hand in the same format)."""
    objects = []
    for name in sorted(os.listdir(directory)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(directory, name), encoding="utf-8") as handle:
                document = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            objects.extend(document["items"] if document.get("kind") == "List" else [document])
    return objects


# ---------------------------------------------------------------------------------------------
# The checked-in fixtures
# ---------------------------------------------------------------------------------------------


def _use_legacy_spine_key(objects, connection):
    # Fabrics built before 25.04 stored gateway links with a "spine" side; readers must accept both.
    for obj in objects:
        if obj["kind"] == "Connection" and obj["metadata"]["name"] == connection:
            for link in obj["spec"]["gateway"]["links"]:
                link["spine"] = link.pop("switch")
    return objects


# Releases (testbed.releases names) with a fixture directory release-<name>/ of one fabric as that
# release stores it (testbed.release_shapes).
RELEASE_SHAPES = ("pre-beta-1", "24.09", "25.03", "25.05", "26.01", "26.03")


def fixture_objects(name):
    """The objects of one checked-in fixture directory under tests/fixtures/."""
    if name.startswith("release-") and name[len("release-"):] in RELEASE_SHAPES:
        from testbed.release_shapes import release_objects  # it builds on this module

        return release_objects(name[len("release-"):])
    if name == "vlab":
        return generate_fabric(PRESETS["vlab"])
    if name == "vlab-mclag":
        return generate_fabric(PRESETS["vlab-mclag"])
    if name == "vlab-mesh":
        return generate_fabric(PRESETS["vlab-mesh"])
    if name == "vlab-gateway":
        return _use_legacy_spine_key(generate_fabric(PRESETS["vlab-gateway"]), "spine-02--gateway--gateway-2")
    if name == "agent-oldkeys":
        agents = [o for o in generate_fabric(PRESETS["vlab"]) if o["kind"] == "Agent"]
        for agent in agents:
            agent["status"] = to_old_agent_status(agent["status"])
        return agents
    if name == "mclag-agent-missing":
        return _without(generate_fabric(PRESETS["mclag-pair"]), "Agent", MCLAG_AGENT_MISSING)
    raise KeyError(f"unknown fixture {name!r}")


# The MCLAG peer whose Agent the fixture mclag-agent-missing leaves out (its Catalogs stay).
MCLAG_AGENT_MISSING = "leaf-02"


def _without(objects, kind, name):
    return [o for o in objects if (o["kind"], o["metadata"]["name"]) != (kind, name)]


FIXTURES = (("vlab", "vlab-mclag", "vlab-gateway", "vlab-mesh", "agent-oldkeys", "mclag-agent-missing")
            + tuple(f"release-{r}" for r in RELEASE_SHAPES))


def hhfab_fixture(name):
    """The files of one checked-in hhfab work directory (tests/fixtures/hhfab-*) as a Workdir."""
    from testbed import hhfab_wiring  # pylint: disable=import-outside-toplevel  # it imports this module

    return hhfab_wiring.WORKDIR_FIXTURES[name]()


def hhfab_fixture_names():
    from testbed import hhfab_wiring  # pylint: disable=import-outside-toplevel

    return tuple(hhfab_wiring.WORKDIR_FIXTURES)


def write_fixtures(root):
    """(Re)write every checked-in fixture directory under ``root`` (tests/fixtures)."""
    from testbed import hhfab_wiring  # pylint: disable=import-outside-toplevel

    for name in FIXTURES:
        directory = os.path.join(root, name)
        if os.path.isdir(directory):
            for old in os.listdir(directory):
                if old.endswith(".yaml"):
                    os.remove(os.path.join(directory, old))
        write_fabric(fixture_objects(name), directory)
    for name in hhfab_fixture_names():
        hhfab_wiring.write_workdir(hhfab_fixture(name), os.path.join(root, name))


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m testbed.generator", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--out", help="directory to write the fabric to (one List file per kind)")
    parser.add_argument("--fixtures", metavar="ROOT", help="rewrite the checked-in fixtures under ROOT (tests/fixtures)")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="start from a named size; flags below override it")
    fields = {f.name: f for f in dataclasses.fields(FabricSpec)}
    for name in ("spines", "leaves", "eslag_pairs", "mclag_pairs", "servers_per_leaf", "vpcs", "subnets_per_vpc",
                 "gateways", "fabric_links", "externals", "vpc_peerings", "gateway_peerings", "external_peerings",
                 "vpc_loopbacks", "seed"):
        parser.add_argument("--" + name.replace("_", "-"), type=int, dest=name)
    for name in ("name_prefix", "mgmt_subnet", "protocol_subnet", "vtep_subnet", "fabric_subnet", "ipv4_subnet"):
        parser.add_argument("--" + name.replace("_", "-"), dest=name)
    parser.add_argument("--uplink-ports", choices=["after-servers", "top-down"], dest="uplink_ports")
    parser.add_argument("--era", choices=sorted(ERAS), dest="era")
    parser.add_argument("--vlan-range", dest="vlan_range", help="FROM-TO, e.g. 1000-2999")
    parser.add_argument("--hhfab", choices=["vlab", "mesh", "hardware", "partial"],
                        help="write an hhfab work directory (fab.yaml, include/*.yaml) to --out instead")
    parser.add_argument("--hydrated", action="store_true", help="with --hhfab: hydrate it as hhfab build does")
    args = parser.parse_args(argv)
    if not args.out and not args.fixtures:
        parser.error("one of --out or --fixtures is required")
    if args.hydrated and args.hhfab in (None, "partial"):
        parser.error("--hydrated goes with --hhfab vlab, mesh or hardware")
    overrides = {k: v for k, v in vars(args).items() if k in fields and v is not None}
    if "vlan_range" in overrides:
        low, high = overrides["vlan_range"].split("-")
        overrides["vlan_range"] = (int(low), int(high))
    return args, overrides


def main(argv=None):
    args, overrides = _parse_args(sys.argv[1:] if argv is None else argv)
    if args.fixtures:
        write_fixtures(args.fixtures)
    if args.out and args.hhfab:
        return _write_hhfab_workdir(args.hhfab, args.hydrated, args.out)
    if args.out:
        spec = dataclasses.replace(PRESETS[args.preset] if args.preset else FabricSpec(), **overrides)
        try:
            objects = generate_fabric(spec)
        except ValueError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        paths = write_fabric(objects, args.out)
        counts = {}
        for obj in objects:
            counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
        print(f"wrote {len(objects)} objects in {len(paths)} files to {args.out}: "
              + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    return 0


def _write_hhfab_workdir(name, hydrated, directory):
    from testbed import hhfab_wiring  # pylint: disable=import-outside-toplevel

    builders = {
        "vlab": lambda: hhfab_wiring.vlab_workdir(hydrated=hydrated),
        "mesh": lambda: hhfab_wiring.vlab_workdir(hydrated=hydrated, flags=hhfab_wiring.MESH_FLAGS),
        "hardware": lambda: hhfab_wiring.hardware_workdir(hydrated=hydrated),
        "partial": hhfab_wiring.partial_workdir,
    }
    workdir = builders[name]()
    paths = hhfab_wiring.write_workdir(workdir, directory)
    print(f"wrote the hhfab work directory {name}{' (hydrated)' if hydrated else ''} to {directory}: "
          f"{len(workdir.wiring_objects())} wiring objects in {len(paths)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
