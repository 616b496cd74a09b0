# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build the fabric snapshot: parse every object, check references, keep what is usable.

Whatever cannot be used is skipped with a :class:`Problem` naming the kind, the
object and the cause; what depends on a skipped object is skipped too, with its
own problem, so the rest of the fabric still syncs.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import held, nodes, parse
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.ipam import build_ipam
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import (
    SERVER_TYPES,
    Snapshot,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import hydration
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import KINDS

KIND_ORDER = dict((kind.kind, index) for index, kind in enumerate(KINDS))


def _parse_all(snapshot, data, kind, parser, target):
    target.update(parse.parse_objects(snapshot, data, kind, parser))


def breakout_lanes(mode):
    """How many sub-ports a breakout mode makes (``4x25G``: 4; 1 for none or a mode not understood)."""
    if not mode or "x" not in mode:
        return 1
    try:
        return max(1, int(mode.split("x", 1)[0]))
    except ValueError:
        return 1


def breakout_count(profile, switch, port):
    """How many sub-ports ``port`` is broken into on ``switch`` (1 when not broken out)."""
    return breakout_lanes(switch.port_breakouts.get(port) or profile.default_breakout(port))


def breakout_nos_name(base_nos, offsets, index):
    """The NOS name of sub-port ``index`` (1-based) of a port whose lanes start at ``base_nos``, or ""."""
    digits = "".join(ch for ch in base_nos if ch.isdigit())
    if not digits or len(offsets) < index:
        return ""
    try:
        return "Ethernet%d" % (int(digits) + int(offsets[index - 1]))
    except (TypeError, ValueError):
        return ""


def nos_port_names(profile, switch):
    """NOS name (``Ethernet72``) -> the NetBox interface name of that port on ``switch`` (``E1/55/1``).

    What LLDP neighbours call a switch's ports; breakouts follow the switch's
    modes, as the switch's agent maps them.
    """
    names = {}
    for port_name in sorted(profile.ports):
        port = profile.ports[port_name]
        modes = profile.breakout_modes(port_name)
        if not modes:
            if port.nos:
                names[port.nos] = port_name
            continue
        mode = switch.port_breakouts.get(port_name) or profile.default_breakout(port_name)
        offsets = modes.get(mode) or []
        for index in range(1, len(offsets) + 1):
            nos = breakout_nos_name(port.base_nos, offsets, index)
            if nos:
                names[nos] = port_name if len(offsets) == 1 else "%s/%d" % (port_name, index)
    return names


def resolve_switch_port(profile, switch, port):
    """The NetBox interface name of an API port, or raise BadObject with the cause.

    ``E1/55`` on a broken-out port is the same port as ``E1/55/1``; sub-ports exist
    only up to the breakout mode's count.
    """
    if port in profile.ports:
        if profile.breakout_modes(port) and breakout_count(profile, switch, port) > 1:
            return port + "/1"
        return port
    base, sep, index = port.rpartition("/")
    if sep and base in profile.ports and index.isdigit():
        if not profile.breakout_modes(base):
            raise parse.BadObject("port %s/%s: %s cannot break out in profile %s" % (switch.name, port, base, profile.name))
        count = breakout_count(profile, switch, base)
        if not 1 <= int(index) <= count:
            raise parse.BadObject("port %s/%s: breakout of %s has %d sub-port(s)" % (switch.name, port, base, count))
        return port if count > 1 else base
    raise parse.BadObject("port %s/%s does not exist in switch profile %s" % (switch.name, port, profile.name))


def _parse_switches(snapshot, data, fallback_profiles):
    switches = {}
    # Unhydrated wiring has no ASNs or addresses yet; anywhere else a switch needs them.
    hydrated = data.hydration != hydration.NONE
    _parse_all(snapshot, data, "Switch", lambda obj: parse.parse_switch(obj, hydrated=hydrated), switches)
    for name in sorted(switches):
        switch = switches[name]
        if switch.profile not in snapshot.profiles and switch.profile in fallback_profiles:
            snapshot.profiles[switch.profile] = fallback_profiles[switch.profile]
        if switch.profile not in snapshot.profiles:
            snapshot.problem("Switch", name, "switch profile %r does not exist" % switch.profile)
            continue
        snapshot.switches[name] = switch


# Which device kind each end of a link must be, per connection type.
END_KINDS = {
    "fabric": ("switch", "switch"),
    "mesh": ("switch", "switch"),
    "gateway": ("switch", "gateway"),
    "vpcLoopback": ("switch", "switch"),
    "mclagDomain": ("switch", "switch"),
}


def _check_end(snapshot, ref, wanted):
    """The interface name for one end of a link, or raise BadObject."""
    if wanted == "any":
        wanted = _device_kind(snapshot, ref.device)
    if wanted == "switch":
        switch = snapshot.switches.get(ref.device)
        if switch is None:
            raise parse.MissingObject("Switch", ref.device, "references switch %s, which does not exist or "
                                      "was skipped" % ref.device)
        return resolve_switch_port(snapshot.profiles[switch.profile], switch, ref.port)
    if wanted == "server":
        if ref.device not in snapshot.servers:
            raise parse.MissingObject("Server", ref.device, "references server %s, which does not exist or "
                                      "was skipped" % ref.device)
        return ref.port
    if ref.device not in snapshot.gateways:
        raise parse.MissingObject("Gateway", ref.device, "references gateway %s, which does not exist or was "
                                  "skipped" % ref.device)
    return ref.port


def _device_kind(snapshot, device):
    """What a link end of an unknown connection type is: a switch, a server or a gateway of the fabric."""
    for kind, known in (("switch", snapshot.switches), ("server", snapshot.servers), ("gateway", snapshot.gateways)):
        if device in known:
            return kind
    raise parse.BadObject("references %s, which is no switch, server or gateway of the fabric (or was skipped)"
                          % device)


def _canonical_ends(snapshot, connection):
    """Every (device, interface) the connection uses, resolved and checked."""
    if not connection.supported:
        kinds = ("any", "any")
    elif connection.type in SERVER_TYPES:
        kinds = ("server", "switch")
    elif connection.type in ("external", "staticExternal"):
        kinds = ("switch", None)
    else:
        kinds = END_KINDS[connection.type]
    resolved = []
    for link in connection.links:
        resolved.append((link.a, _check_end(snapshot, link.a, kinds[0])))
        if link.b is not None:
            resolved.append((link.b, _check_end(snapshot, link.b, kinds[1])))
    if connection.type == "vpcLoopback" and len(set(ref.device for ref, _name in resolved)) != 1:
        raise parse.BadObject("vpcLoopback links must join two ports of one switch")
    return resolved


def _resolved_connections(snapshot, connections):
    """{name: [(ref, interface)]} of the connections whose ends all resolve, each port once."""
    resolved_of = {}
    for name in sorted(connections):
        try:
            resolved = _canonical_ends(snapshot, connections[name])
        except parse.MissingObject as exc:
            # A connection to a device that left the fabric dangles: it goes with that device.
            snapshot.problem("Connection", name, str(exc), quiet=snapshot.withheld(exc.kind, exc.name),
                             tokens=None if snapshot.skipped(exc.kind, exc.name) else [])
            continue
        except parse.BadObject as exc:
            snapshot.problem("Connection", name, str(exc))
            continue
        ends = [(ref.device, interface) for ref, interface in resolved]
        if len(set(ends)) != len(ends):
            clash = next(end for end in ends if ends.count(end) > 1)
            snapshot.problem("Connection", name, "port %s/%s appears twice in the connection" % clash)
            continue
        resolved_of[name] = resolved
    return resolved_of


def _contested_ports(snapshot, resolved_of):
    """Names of connections that share a port with another; each shared port becomes a contest.

    Which one keeps the port is for NetBox to tell (the plan reads who holds
    it there), never the order of names: every claimant is held as NetBox has it.
    """
    claims = {}
    for name in sorted(resolved_of):
        for ref, interface in resolved_of[name]:
            claims.setdefault((ref.device, interface), []).append(name)
    contested = set()
    for end in sorted(claims):
        names = claims[end]
        if len(names) > 1:
            snapshot.contest("port %s/%s" % end, [("Connection", name) for name in names], slot=("interface", end))
            contested.update(names)
    return contested


def _accept_connections(snapshot, connections):
    resolved_of = _resolved_connections(snapshot, connections)
    contested = _contested_ports(snapshot, resolved_of)
    for name in sorted(resolved_of):
        if name in contested:
            continue
        connection = connections[name]
        for ref, interface in resolved_of[name]:
            snapshot.interface_names[(ref.device, ref.port)] = interface
        snapshot.connections[name] = connection
        if not connection.supported:
            # Its cables are safe to sync; its ports' other fields, LAGs and addresses are not.
            snapshot.problem("Connection", name, "unknown connection type %r (a newer Hedgehog release?): only its "
                             "%d cable(s) are synced, everything else of it stays as NetBox has it"
                             % (connection.type, len(connection.links)))


def _device_name_contests(snapshot):
    """A name used by a switch, a server or a gateway at once: NetBox tells which one holds the device."""
    kinds = (("Switch", snapshot.switches), ("Server", snapshot.servers), ("Gateway", snapshot.gateways))
    names = set()
    for _kind, known in kinds:
        names.update(known)
    for name in sorted(names):
        claimants = [kind for kind, known in kinds if name in known]
        if len(claimants) < 2:
            continue
        snapshot.contest("device name %s" % name, [(kind, name) for kind in claimants], slot=("device", name))
        for _kind, known in kinds:
            known.pop(name, None)


def _unreadable_kinds(snapshot):
    """One problem per cause of an incomplete read, naming its kinds; what depends on them is held."""
    by_cause = {}
    for kind in sorted(snapshot.incomplete, key=lambda k: KIND_ORDER.get(k, len(KIND_ORDER))):
        by_cause.setdefault(snapshot.incomplete[kind], []).append(kind)
    for cause, kinds in by_cause.items():
        label = ", ".join(kinds)
        snapshot.problems.append(Problem.about("source", label, cause))
        for kind in kinds:
            snapshot.hold(held.unread_tokens(kind), label)


def _name_reported_ports(snapshot, agent):
    """Key the agent's port reports by NetBox interface name (``E1/20/1`` of a 1x port is ``E1/20``)."""
    switch = snapshot.switches[agent.name]
    profile = snapshot.profiles[switch.profile]
    named = {}
    for port, report in agent.interfaces.items():
        try:
            name = resolve_switch_port(profile, switch, port)
        except parse.BadObject:
            name = port  # a PortChannel, or a port the profile does not have
        named.setdefault(name, report)
    agent.interfaces = named


def _parse_nodes(snapshot, data):
    """Control nodes and FabNodes; a node whose name a switch or server has is skipped."""
    found = {}
    _parse_all(snapshot, data, "ControlNode", nodes.parse_control_node, found)
    fab_nodes = {}
    _parse_all(snapshot, data, "FabNode", nodes.parse_fab_node, fab_nodes)
    for name in sorted(fab_nodes):
        if name in found:
            # The device of that name is the ControlNode's: the FabNode holds nothing of it.
            snapshot.problem("FabNode", name, "a ControlNode has the same name; the FabNode is skipped", tokens=[])
            continue
        found[name] = fab_nodes[name]
    for name in sorted(found):
        node = found[name]
        if name in snapshot.switches or name in snapshot.servers:
            snapshot.problem(node.kind, name, "a %s has the same name; the node is skipped" % (
                "switch" if name in snapshot.switches else "server"), tokens=[])
            continue
        snapshot.nodes[name] = node


def _parse_switch_groups(snapshot, data):
    """Every SwitchGroup and its members; a switch naming a group the fabric lacks is reported, not skipped."""
    groups = dict((parse.name_of(obj), []) for obj in data.items("SwitchGroup") if parse.name_of(obj))
    for name in sorted(snapshot.switches):
        switch = snapshot.switches[name]
        for group in sorted(set(switch.groups) | ({switch.redundancy_group} if switch.redundancy_group else set())):
            if group not in groups and data.items("SwitchGroup"):
                snapshot.note("Switch", name, "names SwitchGroup %s, which does not exist" % group)
            groups.setdefault(group, []).append(name)
    snapshot.switch_groups = groups


def _switch_groups(snapshot):
    groups = {}
    for switch in snapshot.switches.values():
        if switch.redundancy_group:
            groups.setdefault(switch.redundancy_group, []).append(switch.name)
    return groups


def build_snapshot(fabric, data, fallback_profiles=None, profile_problems=()):
    """Parse and check a fabric's raw objects (a SourceData) into a Snapshot.

    A switch whose profile the source lacks takes it from ``fallback_profiles``
    (the user's and the built-in ones); ``profile_problems`` are the profiles
    that could not be loaded there, reported with the source's own problems.
    """
    fallback_profiles = fallback_profiles or {}
    snapshot = Snapshot(fabric=fabric, incomplete=dict(data.incomplete))
    for rejected in data.rejected:
        # Past a bound is malformed: what the object made in NetBox is held as for any skipped object.
        snapshot.problem(rejected.kind, rejected.name, rejected.cause)
    snapshot.problems.extend(profile_problems)
    _unreadable_kinds(snapshot)
    for kind, name, cause, obj in data.unsupported:
        snapshot.problem(kind, name, cause, obj=obj)
    _parse_all(snapshot, data, "SwitchProfile", parse.parse_profile, snapshot.profiles)
    _parse_switches(snapshot, data, fallback_profiles)
    _parse_all(snapshot, data, "Server", parse.parse_server, snapshot.servers)
    _parse_all(snapshot, data, "Gateway", parse.parse_gateway, snapshot.gateways)
    _device_name_contests(snapshot)

    connections = {}
    _parse_all(snapshot, data, "Connection", parse.parse_connection, connections)
    _accept_connections(snapshot, connections)

    agents = {}
    _parse_all(snapshot, data, "Agent", parse.parse_agent, agents)
    snapshot.agents = dict((name, agent) for name, agent in agents.items() if name in snapshot.switches)
    for agent in snapshot.agents.values():
        _name_reported_ports(snapshot, agent)
    gateway_agents = {}
    _parse_all(snapshot, data, "GatewayAgent", parse.parse_gateway_agent, gateway_agents)
    snapshot.gateway_agents = dict((name, agent) for name, agent in gateway_agents.items()
                                   if name in snapshot.gateways)
    _parse_nodes(snapshot, data)
    _parse_switch_groups(snapshot, data)

    groups = _switch_groups(snapshot)
    for obj in data.items("Catalog"):
        try:
            snapshot.catalog_port_channels.update(parse.catalog_port_channels(obj, groups))
        except parse.BadObject as exc:
            snapshot.problem("Catalog", parse.name_of(obj), str(exc))

    for obj in data.items("Fabricator"):
        snapshot.release = parse.fabricator_release(obj) or snapshot.release

    snapshot.ipam = build_ipam(snapshot, data)
    return snapshot
