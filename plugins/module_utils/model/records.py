# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The normalised fabric: one typed record per Hedgehog object.

Records hold only what the mapping needs, with names already resolved to the
current API spelling (old and new key names collapse here). Secrets such as
``Agent.spec.users`` never enter a record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import held as holding
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem


@dataclass
class ProfilePort:
    name: str
    nos: str = ""
    label: str = ""
    management: bool = False
    base_nos: str = ""
    group: str = ""
    profile: str = ""


@dataclass
class SwitchProfile:
    name: str
    display_name: str = ""
    other_names: List[str] = field(default_factory=list)
    silicon: str = ""
    nos_type: str = ""
    platform: str = ""
    features: Dict[str, bool] = field(default_factory=dict)
    ports: Dict[str, ProfilePort] = field(default_factory=dict)
    port_groups: Dict[str, dict] = field(default_factory=dict)
    port_profiles: Dict[str, dict] = field(default_factory=dict)
    # breakout_modes per port profile: asked for every port of every switch of the profile.
    _modes: Dict[str, dict] = field(default_factory=dict, repr=False, compare=False)

    def breakout_modes(self, port):
        """Supported breakout modes of ``port`` as {mode: offsets}, empty if it cannot break out (not to be changed)."""
        name = self.ports[port].profile if port in self.ports else None
        if name not in self._modes:
            breakout = (self.port_profiles.get(name) or {}).get("breakout") or {}
            supported = breakout.get("supported") or {}
            self._modes[name] = dict((mode, (spec or {}).get("offsets") or []) for mode, spec in supported.items())
        return self._modes[name]

    def default_breakout(self, port):
        profile = self.port_profiles.get(self.ports[port].profile) if port in self.ports else None
        return ((profile or {}).get("breakout") or {}).get("default") or ""

    def speed_of(self, port):
        """The default speed of a port ("25G"), from its group or its own profile."""
        info = self.ports.get(port)
        if info is None:
            return ""
        profile_name = info.profile
        if info.group:
            profile_name = (self.port_groups.get(info.group) or {}).get("profile", "")
        profile = self.port_profiles.get(profile_name) or {}
        speed = (profile.get("speed") or {}).get("default")
        if speed:
            return speed
        return ((profile.get("breakout") or {}).get("default") or "").split("x")[-1]


@dataclass
class Switch:
    name: str
    role: str
    profile: str
    # None and "" while the wiring is unhydrated (as hhfab writes it).
    asn: Optional[int]
    ip: str
    protocol_ip: str
    vtep_ip: str = ""
    description: str = ""
    groups: List[str] = field(default_factory=list)
    redundancy_group: str = ""
    redundancy_type: str = ""
    vlan_namespaces: List[str] = field(default_factory=list)
    boot_serial: str = ""
    boot_mac: str = ""
    port_breakouts: Dict[str, str] = field(default_factory=dict)
    port_speeds: Dict[str, str] = field(default_factory=dict)
    port_group_speeds: Dict[str, str] = field(default_factory=dict)
    port_fecs: Dict[str, str] = field(default_factory=dict)
    # The domain of a multi-fabric control node's fabric the switch is in (spec.topology.domain).
    domain: str = ""


@dataclass
class Server:
    name: str
    description: str = ""
    profile: str = ""


@dataclass
class GatewayInterface:
    name: str
    ips: List[str] = field(default_factory=list)
    mtu: Optional[int] = None


@dataclass
class Gateway:
    name: str
    protocol_ip: str = ""
    vtep_ip: str = ""
    vtep_mac: str = ""
    asn: Optional[int] = None
    interfaces: Dict[str, GatewayInterface] = field(default_factory=dict)
    groups: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class PortRef:
    """One end of a link: ``device/port`` split at the first slash."""

    device: str
    port: str
    ip: str = ""

    def __str__(self):
        return "%s/%s" % (self.device, self.port)


@dataclass
class Link:
    a: PortRef
    b: Optional[PortRef] = None
    role: str = ""  # mclag-domain links: "peer" or "session"


# Switch roles that are leaves: they have a VTEP.
LEAF_ROLES = ("server-leaf", "border-leaf", "mixed-leaf")


@dataclass
class StaticExternal:
    """The switch side of a ``staticExternal`` connection: its address, next hop and routed subnets."""

    ip: str = ""
    next_hop: str = ""
    subnets: List[str] = field(default_factory=list)
    vlan: int = 0
    within_vpc: str = ""


# Connection types whose ``links`` join a server port (``server``) to a switch port.
SERVER_TYPES = ("unbundled", "bundled", "eslag", "mclag")
# Types that become a LAG per switch and a bond on the server.
LAG_TYPES = ("bundled", "eslag", "mclag")
CONNECTION_TYPES = SERVER_TYPES + (
    "mclagDomain", "fabric", "mesh", "gateway", "vpcLoopback", "external", "staticExternal")


@dataclass
class Connection:
    name: str
    type: str
    links: List[Link] = field(default_factory=list)
    mtu: Optional[int] = None
    fallback: bool = False
    static_external: Optional[StaticExternal] = None
    # False for a type this collection does not know whose links have the usual
    # two ends: only its cables are synced.
    supported: bool = True

    def ports(self):
        for link in self.links:
            yield link.a
            if link.b is not None:
                yield link.b

    def devices(self):
        return sorted(set(ref.device for ref in self.ports()))

    def server_name(self):
        if self.type in SERVER_TYPES and self.links:
            return self.links[0].a.device
        return ""

    def switch_names(self):
        if self.type in SERVER_TYPES:
            return sorted(set(link.b.device for link in self.links))
        return sorted(set(ref.device for ref in self.ports()))


@dataclass
class LldpNeighbour:
    """One neighbour LLDP sees on a port: the far system's name and its own name of the port."""

    sys_name: str = ""
    port_id: str = ""
    port_descr: str = ""
    chassis: str = ""


@dataclass
class PortReport:
    """A port as the switch runs it; counters, flap counts and change times are not kept."""

    enabled: bool = False
    admin: str = ""
    oper: str = ""
    speed: str = ""
    fec: str = ""
    err_disabled: bool = False
    neighbours: List[LldpNeighbour] = field(default_factory=list)

    @property
    def oper_state(self):
        """The oper state, ``err-disabled`` when the switch shut the port for flapping."""
        return "err-disabled" if self.err_disabled else self.oper


@dataclass
class TransceiverReport:
    """A transceiver in a port's cage; temperatures, voltages and channel powers are not kept."""

    port: str
    vendor: str = ""
    part: str = ""
    serial: str = ""
    revision: str = ""
    form_factor: str = ""
    connector: str = ""
    cable: str = ""
    description: str = ""
    present: str = ""


@dataclass
class BreakoutReport:
    mode: str = ""
    status: str = ""


@dataclass
class AgentState:
    """What a switch's agent reports; credentials in the Agent spec never reach here."""

    name: str
    last_heartbeat: str = ""
    version: str = ""
    generation: Optional[int] = None
    applied_generation: Optional[int] = None
    reboot_required: Optional[bool] = None
    serial: str = ""
    nos_version: str = ""
    manufacturer: str = ""
    platform_name: str = ""
    port_channel_ids: Dict[str, int] = field(default_factory=dict)
    # API port name (and PortChannelN) -> what the switch reports about it.
    interfaces: Dict[str, PortReport] = field(default_factory=dict)
    # The cage's API port name (``E1/55``, not ``E1/55/1``) -> its transceiver.
    transceivers: Dict[str, TransceiverReport] = field(default_factory=dict)
    breakouts: Dict[str, BreakoutReport] = field(default_factory=dict)


@dataclass
class GatewayAgentState:
    """What a gateway's agent (gwint GatewayAgent) reports about its health."""

    name: str
    last_heartbeat: str = ""
    version: str = ""
    generation: Optional[int] = None
    applied_generation: Optional[int] = None
    dataplane_version: str = ""


@dataclass
class NodeInterface:
    name: str
    ip: str = ""


@dataclass
class FabricNode:
    """A server-class node of the fabric's control plane: a ControlNode or a FabNode (fabricator)."""

    name: str
    kind: str  # "ControlNode" or "FabNode"
    roles: List[str] = field(default_factory=list)
    management: Optional[NodeInterface] = None
    external: Optional[NodeInterface] = None


@dataclass
class Contest:
    """A port, address or name that several source objects claim.

    Every claimant is skipped and what NetBox holds of it stays as it is; the
    plan tells from NetBox which claimant holds ``slot`` (a NetBox kind and
    key: the port, the device) so the newcomers are the ones named as refused.
    """

    resource: str
    claimants: List[Tuple[str, str]]
    slot: Optional[Tuple[str, object]] = None


@dataclass
class Snapshot:
    """Every usable object of one fabric, keyed by name, and what could not be used.

    ``held`` maps what skipped, unsupported or unreadable objects hold back
    (``model/held.py`` tokens) to the object or kinds that hold it;
    ``contests`` are the resources several objects claim.
    """

    fabric: str
    profiles: Dict[str, SwitchProfile] = field(default_factory=dict)
    # SwitchGroup name -> its member switches (by the switches' groups and redundancy group).
    switch_groups: Dict[str, List[str]] = field(default_factory=dict)
    switches: Dict[str, Switch] = field(default_factory=dict)
    servers: Dict[str, Server] = field(default_factory=dict)
    gateways: Dict[str, Gateway] = field(default_factory=dict)
    connections: Dict[str, Connection] = field(default_factory=dict)
    agents: Dict[str, AgentState] = field(default_factory=dict)
    gateway_agents: Dict[str, GatewayAgentState] = field(default_factory=dict)
    # Control nodes and FabNodes (gateway nodes) by name.
    nodes: Dict[str, FabricNode] = field(default_factory=dict)
    catalog_port_channels: Dict[Tuple[str, str], int] = field(default_factory=dict)
    # API port spelling -> NetBox interface name (``E1/55`` on a broken-out port is ``E1/55/1``).
    interface_names: Dict[Tuple[str, str], str] = field(default_factory=dict)
    release: str = ""
    # The overlay (namespaces, VPCs, externals, peerings, leases): a model.ipam.IpamModel.
    ipam: Optional[object] = None
    problems: List[Problem] = field(default_factory=list)
    incomplete: Dict[str, str] = field(default_factory=dict)
    held: Dict[tuple, str] = field(default_factory=dict)
    contests: List[Contest] = field(default_factory=list)
    # Objects skipped for a cause reported already: what needs them is skipped quietly too.
    quietly_skipped: Set[Tuple[str, str]] = field(default_factory=set)

    def problem(self, kind, name, cause, obj=None, quiet=False, tokens=None):
        """Skip an object: a problem names it (unless ``quiet``: its cause is reported already) and what
        NetBox holds of it is held (``tokens``, by default read off its kind, name and raw form)."""
        if quiet:
            self.quietly_skipped.add((kind, name))
        else:
            self.problems.append(Problem(kind, name, cause))
        self.hold(tokens if tokens is not None else holding.object_tokens(kind, name, obj, self.redundancy_groups()),
                  "%s %s" % (kind, name))

    def note(self, kind, name, cause):
        """A problem about an object that is still synced: nothing is held for it."""
        self.problems.append(Problem(kind, name, cause))

    def hold(self, tokens, label):
        for token in tokens:
            self.held.setdefault(token, label)

    def contest(self, resource, claimants, slot=None, tokens=None):
        """Several objects claim ``resource``: each is skipped and held (by ``tokens`` when given)."""
        self.contests.append(Contest(resource, list(claimants), slot))
        for kind, name in claimants:
            own = tokens if tokens is not None else holding.object_tokens(kind, name, None, self.redundancy_groups())
            self.hold(own, "%s %s" % (kind, name))

    def unread(self, kind):
        """Whether ``kind`` could not be read: what refers to it is skipped without a problem of its own."""
        return kind in self.incomplete

    def skipped(self, kind, name):
        """Whether an object was skipped (or its kind unread), as opposed to absent from the fabric.

        What refers to a skipped object holds what it made; what refers to an
        absent one dangles: it is reported and holds nothing, since what it
        made in NetBox went with the object it needs.
        """
        return any(holding.matches(self.held, token)
                   for token in holding.object_tokens(kind, name, None, self.redundancy_groups()))

    def withheld(self, kind, name):
        """Whether an object is missing for a cause reported already: its kind is unread, or it is a claimant of a
        contest (whose problem names it); what refers to it is then skipped quietly."""
        return (self.unread(kind) or (kind, name) in self.quietly_skipped
                or any((kind, name) in contest.claimants for contest in self.contests))

    def redundancy_groups(self):
        groups = {}
        for switch in self.switches.values():
            if switch.redundancy_group:
                groups.setdefault(switch.redundancy_group, []).append(switch.name)
        return groups

    def counts(self):
        return {
            "switches": len(self.switches),
            "servers": len(self.servers),
            "gateways": len(self.gateways),
            "connections": len(self.connections),
        }

    def interface_name(self, ref):
        return self.interface_names.get((ref.device, ref.port), ref.port)

    def redundancy_peers(self, switch):
        """The other switches of ``switch``'s redundancy group (MCLAG, ESLAG), by name."""
        group = self.switches[switch].redundancy_group if switch in self.switches else ""
        return sorted(name for name, other in self.switches.items()
                      if group and other.redundancy_group == group and name != switch)

    def port_channel_id(self, switch, connection):
        """The PortChannel number of ``connection`` on ``switch``: its agent, the Catalog, then a peer's agent.

        A redundancy group numbers its port channels once for all its members and
        every member's agent carries the group's numbers, so a switch whose Agent
        is missing (or not yet reporting) takes the number its peer's agent has.
        """
        agent = self.agents.get(switch)
        if agent and connection in agent.port_channel_ids:
            return agent.port_channel_ids[connection]
        number = self.catalog_port_channels.get((switch, connection))
        if number is not None:
            return number
        for peer in self.redundancy_peers(switch):
            agent = self.agents.get(peer)
            if agent and connection in agent.port_channel_ids:
                return agent.port_channel_ids[connection]
        return None
