# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot -> desired DCIM objects: site, device types, devices, interfaces, LAGs, cables.

Switch ports come from the device type's interface templates, so NetBox makes
every front-panel port when it makes the device; they belong to the fabric
through their device (no marker of their own), and the sync writes what the
fabric says about them (NOS name, speed and breakout, LAG membership, MTU, VLANs,
what the switch reports).
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping import health
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.cabling import LldpCheck
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ipam import port_vlans
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import (
    Desired,
    Ref,
    short_name,
    slugify,
    tenant_ref,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import underlay_vrf
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import (
    LAG_TYPES,
    LEAF_ROLES,
    SERVER_TYPES,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ports import SwitchPorts, switch_ports
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import (
    breakout_count,
    breakout_lanes,
    breakout_nos_name,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox import anchor
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.anchor import CLUSTER_TYPE_SLUG
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import COMPONENT_DEFAULTS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    LLDP_MISMATCH_FIELD,
    SWITCH_GROUP_TAG_PREFIX,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem

# Vendors by SwitchProfile name prefix; displayName is the fall-back.
PROFILE_VENDORS = (
    ("dell-", "Dell"),
    ("celestica-", "Celestica"),
    ("edgecore-", "Edgecore"),
    ("supermicro-", "Supermicro"),
    ("cumulus-", "NVIDIA"),
    ("vs", "Hedgehog"),
)

SPEED_TYPES = {
    "1G": "1000base-x-sfp",
    "10G": "10gbase-x-sfpp",
    "25G": "25gbase-x-sfp28",
    "40G": "40gbase-x-qsfpp",
    "50G": "50gbase-x-sfp56",
    "100G": "100gbase-x-qsfp28",
    "200G": "200gbase-x-qsfp56",
    "400G": "400gbase-x-qsfpdd",
    "800G": "800gbase-x-osfp",
}

ROLE_NAMES = {
    "spine": ("Spine", "3f51b5"),
    "server-leaf": ("Server leaf", "009688"),
    "border-leaf": ("Border leaf", "ff9800"),
    "mixed-leaf": ("Mixed leaf", "8bc34a"),
    "virtual-edge": ("Virtual edge", "9e9e9e"),
    "server": ("Server", "607d8b"),
    "gateway": ("Gateway", "e91e63"),
    "control-node": ("Control node", "795548"),
}

SERVER_TYPE = "hedgehog-server"
GATEWAY_TYPE = "hedgehog-gateway"
GENERIC_VENDOR = "Generic"
MANAGEMENT_PORT = "M1"
PROTOCOL_LOOPBACK = "Loopback1"
VTEP_LOOPBACK = "Loopback2"


def vendor_of(profile):
    for prefix, vendor in PROFILE_VENDORS:
        if profile.name.startswith(prefix):
            return vendor
    return (profile.display_name or profile.name).split()[0]


def interface_type(speed):
    return SPEED_TYPES.get(speed, "other")


def device_type_slug(profile_name):
    return slugify(profile_name)


def add_shared(state, snapshot, config):
    """Objects several fabrics share: created when missing, never deleted."""
    state.add(Desired("site", slugify(config.site), {"name": config.site, "slug": slugify(config.site), "status": "active"}))
    if config.tenant:
        state.add(Desired("tenant", slugify(config.tenant), {"name": config.tenant, "slug": slugify(config.tenant)}))
    roles = set(switch.role for switch in snapshot.switches.values())
    if snapshot.servers:
        roles.add("server")
    if snapshot.gateways:
        roles.add("gateway")
    for role in sorted(roles):
        add_device_role(state, role)
    used_profiles = sorted(set(switch.profile for switch in snapshot.switches.values()))
    for profile_name in used_profiles:
        _add_profile(state, snapshot.profiles[profile_name])
    if snapshot.servers:
        add_generic_type(state, SERVER_TYPE, "Hedgehog server")
    if snapshot.gateways:
        add_generic_type(state, GATEWAY_TYPE, "Hedgehog gateway")
    for group in sorted(snapshot.switch_groups):
        add_switch_group_tag(state, group)
    state.add(Desired("cluster_type", CLUSTER_TYPE_SLUG, anchor.cluster_type_fields()))


def add_device_role(state, role):
    name, color = ROLE_NAMES.get(role, (role, "9e9e9e"))
    state.add(Desired("device_role", role, {"name": name, "slug": role, "color": color}))


def add_generic_type(state, slug, model):
    """A device type of the Generic manufacturer (servers, gateways, control nodes)."""
    generic = slugify(GENERIC_VENDOR)
    state.add(Desired("manufacturer", generic, {"name": GENERIC_VENDOR, "slug": generic}))
    state.add(Desired("device_type", slug, {
        "manufacturer": Ref("manufacturer", generic), "model": model, "slug": slug, "u_height": 1}))


def switch_group_tag(group):
    return slugify(SWITCH_GROUP_TAG_PREFIX + group)


def add_switch_group_tag(state, group):
    """The tag that marks a SwitchGroup's members (shared: every fabric's ``eslag-1`` is the same tag)."""
    slug = switch_group_tag(group)
    state.add(Desired("tag", slug, {"name": ("SwitchGroup %s" % group)[:100], "slug": slug, "color": "9c27b0",
                                    "description": "Hedgehog switches in SwitchGroup %s" % group}))


def _add_profile(state, profile):
    vendor = vendor_of(profile)
    state.add(Desired("manufacturer", slugify(vendor), {"name": vendor, "slug": slugify(vendor)}))
    slug = device_type_slug(profile.name)
    state.add(Desired("device_type", slug, {
        "manufacturer": Ref("manufacturer", slugify(vendor)),
        "model": profile.display_name or profile.name,
        "slug": slug,
        "u_height": 1,
        "custom_fields": {"hedgehog_switch_profile": _profile_facts(profile)},
    }))
    if profile.nos_type:
        state.add(Desired("platform", slugify(profile.nos_type), {"name": profile.nos_type, "slug": slugify(profile.nos_type)}))
    for port in profile.ports.values():
        fields = {
            "device_type": Ref("device_type", slug),
            "name": port.name,
            "type": "1000base-t" if port.management else interface_type(profile.speed_of(port.name)),
            "mgmt_only": port.management,
            "label": port.label,
            # The NOS name in the profile's default breakout, which is how a port of this type starts.
            "description": port_nos_name(port, _default_lanes(profile, port.name)),
        }
        state.add(Desired("interface_template", (slug, port.name), fields))


def _default_lanes(profile, port):
    mode = profile.default_breakout(port)
    return breakout_lanes(mode) if profile.breakout_modes(port) else 1


def _profile_facts(profile):
    return {
        "profile": profile.name,
        "display_name": profile.display_name,
        "other_names": profile.other_names,
        "switch_silicon": profile.silicon,
        "nos_type": profile.nos_type,
        "platform": profile.platform,
        "features": profile.features,
    }


def add_cluster(state, config):
    fields = anchor.cluster_fields(config.fabric, Ref("cluster_type", CLUSTER_TYPE_SLUG),
                                   Ref("site", slugify(config.site)))
    state.add(Desired("cluster", config.fabric, fields, label="fabric record %s" % config.fabric))


def device_fields(config, name, device_type, role, description, custom_fields=None, platform=None, serial=""):
    fields = {
        "name": name,
        "device_type": Ref("device_type", device_type),
        "role": Ref("device_role", role),
        "site": Ref("site", slugify(config.site)),
        "cluster": Ref("cluster", config.fabric),
        "status": "active",
        "description": description,
        "serial": serial[:50],
        "platform": Ref("platform", platform) if platform else None,
    }
    fields["tenant"] = tenant_ref(config)
    if custom_fields:
        fields["custom_fields"] = custom_fields
    return fields


def agent_facts(agent, now, stale_after):
    """(device status, custom fields) from a switch agent's report.

    The heartbeat moves every 15 s, so it is only stored once the agent has
    gone quiet (it is frozen then): a fabric whose agents keep reporting
    writes nothing, and the status and stamp change only when the agent stops
    or comes back.
    """
    return _heartbeat_facts(agent, now, stale_after, AGENT_FIELDS, lambda: {
        "hedgehog_nos_version": agent.nos_version or None,
        "hedgehog_agent_version": agent.version or None,
        "hedgehog_applied_generation": agent.applied_generation,
        "hedgehog_agent_generation": agent.generation,
        "hedgehog_reboot_required": bool(agent.reboot_required),
    })


def _heartbeat_facts(agent, now, stale_after, fields, reported):
    """``fields`` all present (None where unknown), with ``reported()`` of an agent that exists."""
    facts = dict.fromkeys(fields)
    if agent is None:
        return "active", facts
    status = health.agent_status(agent.last_heartbeat, now, stale_after)
    if status == health.OFFLINE:
        facts["hedgehog_last_heartbeat"] = health.frozen_heartbeat(agent.last_heartbeat)
    facts.update(reported())
    return status, facts


AGENT_FIELDS = ("hedgehog_nos_version", "hedgehog_agent_version", "hedgehog_applied_generation",
                "hedgehog_agent_generation", "hedgehog_reboot_required", "hedgehog_last_heartbeat")


def add_devices(state, snapshot, config, now=None):
    now = now or datetime.now(timezone.utc)
    for name in sorted(snapshot.switches):
        switch = snapshot.switches[name]
        profile = snapshot.profiles[switch.profile]
        agent = snapshot.agents.get(name)
        serial = switch.boot_serial or (agent.serial if agent else "")
        custom_fields = {
            "hedgehog_asn": switch.asn,
            "hedgehog_redundancy_group": switch.redundancy_group or None,
            "hedgehog_redundancy_type": switch.redundancy_type or None,
            "hedgehog_groups": ",".join(switch.groups) or None,
            "hedgehog_domain": switch.domain or None,
        }
        status, agent_fields = agent_facts(agent, now, config.agent_stale_after)
        custom_fields.update(agent_fields)
        fields = device_fields(config, name, device_type_slug(profile.name), switch.role, switch.description,
                               custom_fields, slugify(profile.nos_type) if profile.nos_type else None, serial)
        fields["status"] = status
        late = {"primary_ip4": Ref("ip_address", (underlay_vrf(config), switch.ip))} if switch.ip else None
        groups = sorted(group for group, members in snapshot.switch_groups.items() if name in members)
        state.add(Desired("device", name, fields, late=late, label="device %s" % name,
                          tags=[switch_group_tag(group) for group in groups]))
    for name in sorted(snapshot.servers):
        server = snapshot.servers[name]
        state.add(Desired("device", name, device_fields(config, name, SERVER_TYPE, "server", server.description),
                          label="device %s" % name))
    for name in sorted(snapshot.gateways):
        gateway = snapshot.gateways[name]
        custom_fields = {"hedgehog_asn": gateway.asn, "hedgehog_gateway_groups": ",".join(sorted(gateway.groups)) or None}
        status, agent_fields = gateway_agent_facts(snapshot.gateway_agents.get(name), now, config.agent_stale_after)
        custom_fields.update(agent_fields)
        fields = device_fields(config, name, GATEWAY_TYPE, "gateway", "", custom_fields)
        fields["status"] = status
        state.add(Desired("device", name, fields, label="device %s" % name))


def gateway_agent_facts(agent, now, stale_after):
    """(device status, custom fields) of a gateway from its GatewayAgent's heartbeat, as for a switch."""
    return _heartbeat_facts(agent, now, stale_after, GATEWAY_AGENT_FIELDS, lambda: {
        "hedgehog_agent_version": agent.version or None,
        "hedgehog_applied_generation": agent.applied_generation,
        "hedgehog_agent_generation": agent.generation,
    })


GATEWAY_AGENT_FIELDS = ("hedgehog_agent_version", "hedgehog_applied_generation", "hedgehog_agent_generation",
                        "hedgehog_last_heartbeat")


def _owned_interface(state, device, name, if_type, description="", **extra):
    fields = {"device": Ref("device", device), "name": name, "type": if_type, "description": description}
    fields.update(extra)
    return state.add(Desired("interface", (device, name), fields, label="interface %s %s" % (device, name)))


def vtep_holders(snapshot):
    """VTEP IP -> the switch whose Loopback2 holds it: the first by name of those that share it."""
    holders = {}
    for name in sorted(snapshot.switches):
        vtep_ip = snapshot.switches[name].vtep_ip
        if vtep_ip:
            holders.setdefault(vtep_ip, name)
    return holders


def _vtep_description(switch, holders):
    """A legacy MCLAG pair shares one VTEP IP, which NetBox can put on one interface only: say where it is."""
    holder = holders.get(switch.vtep_ip, switch.name)
    if holder == switch.name:
        return "VTEP IP"
    return ("VTEP IP %s, shared with %s, whose %s holds it" % (switch.vtep_ip, holder, VTEP_LOOPBACK))[:200]


def port_nos_name(info, count):
    """The NOS name of a front-panel port: a breakout-capable port left whole is its base (``Ethernet0``),
    a broken-out one keeps its breakout name (``1/1``), whose lanes are the sub-ports."""
    if info.base_nos and count < 2:
        return info.base_nos
    return info.nos or info.base_nos


def add_switch_interfaces(state, snapshot):
    """Loopbacks for the protocol and VTEP IPs, every front-panel port and breakout lane, as the switch runs them."""
    holders = vtep_holders(snapshot)
    ports_of = switch_ports(snapshot)
    for name in sorted(snapshot.switches):
        switch = snapshot.switches[name]
        _owned_interface(state, name, PROTOCOL_LOOPBACK, "virtual", "protocol IP (BGP router ID)")
        # Every leaf has a VTEP; unhydrated wiring has no address on it yet.
        if switch.vtep_ip or switch.role in LEAF_ROLES:
            _owned_interface(state, name, VTEP_LOOPBACK, "virtual", _vtep_description(switch, holders))
        profile = snapshot.profiles[switch.profile]
        ports = ports_of[name]
        for port in sorted(profile.ports):
            count = breakout_count(profile, switch, port) if profile.breakout_modes(port) else 1
            mode = switch.port_breakouts.get(port) or profile.default_breakout(port)
            lane_speed = mode.split("x", 1)[1] if "x" in mode else ""
            _front_panel_port(state, name, profile.ports[port], ports, lane_speed if count == 1 else "", count)
            if count < 2:
                continue
            offsets = profile.breakout_modes(port).get(mode) or []
            for index in range(1, count + 1):
                sub_port = "%s/%d" % (port, index)
                _owned_interface(state, name, sub_port, interface_type(lane_speed),
                                 breakout_nos_name(profile.ports[port].base_nos, offsets, index),
                                 **ports.facts(sub_port, lane_speed, parent=port))


def _front_panel_port(state, device, info, ports, lane_speed, lanes):
    """One port of the device type: its NOS name, its defaults and what the switch runs on it.

    NetBox does not copy a template's description to the port it makes, so the
    NOS name is written on each port, with the speed and breakout the switch runs
    (one write per port on the first sync); lag and mtu are the defaults a port
    goes back to when no connection uses it. The port belongs to the fabric
    through its device: it gets no marker or tag of its own. Type and mgmt_only
    as the template has them: an adopted device of another type lacks these
    ports, and NetBox makes none without a type. A port broken into several
    lanes has no speed of its own.
    """
    fields = {"device": Ref("device", device), "name": info.name, "description": port_nos_name(info, lanes),
              "type": "1000base-t" if info.management else interface_type(ports.profile.speed_of(info.name)),
              "mgmt_only": info.management}
    fields.update(COMPONENT_DEFAULTS)
    fields.update(ports.facts(info.name, lane_speed))
    if lanes > 1:
        fields["speed"] = None
    state.add(Desired("interface", (device, info.name), fields, component=True,
                      label="interface %s %s" % (device, info.name)))


def lag_name(snapshot, device, connection, server_side):
    """``PortChannel<N>`` (``bond<N>`` on the server) from the catalog, else a name from the connection.

    The LAG's key is its connection, not its name, so when the catalog number
    shows up later the LAG is renamed in place rather than replaced.
    """
    candidates = connection.switch_names() if server_side else [device]
    for switch in candidates:
        number = snapshot.port_channel_id(switch, connection.name)
        if number is not None:
            return ("bond%d" if server_side else "PortChannel%d") % number
    return short_name(("bond-%s" if server_side else "%s") % connection.name)


def _lag(state, snapshot, device, connection, server_side, mtu):
    name = lag_name(snapshot, device, connection, server_side)
    fields = {
        "device": Ref("device", device),
        "name": name,
        "type": "lag",
        "description": connection.name,
        "custom_fields": {"hedgehog_connection": connection.name},
    }
    if mtu:
        fields["mtu"] = mtu
    return state.add(Desired("lag", (device, connection.name), fields, label="LAG %s %s" % (device, name)))


def add_connection_interfaces(state, snapshot):
    """Server and gateway ports, LAGs and bonds with their members."""
    for name in sorted(snapshot.connections):
        connection = snapshot.connections[name]
        if not connection.supported:
            _cable_ends_only(state, snapshot, connection)
        elif connection.type in SERVER_TYPES:
            _server_connection(state, snapshot, connection)
        elif connection.type == "gateway":
            for link in connection.links:
                _owned_interface(state, link.b.device, snapshot.interface_name(link.b), "other",
                                 mtu=connection.mtu)
    for name in sorted(snapshot.gateways):
        for if_name in sorted(snapshot.gateways[name].interfaces):
            info = snapshot.gateways[name].interfaces[if_name]
            existing = state.get("interface", (name, if_name))
            if existing is None:
                _owned_interface(state, name, if_name, "other", mtu=info.mtu)
            elif info.mtu and not existing.fields.get("mtu"):
                # The gateway's own setting for a port its connection made without one.
                existing.fields["mtu"] = info.mtu
        # A gateway always has both; unhydrated wiring has no address on them yet.
        _owned_interface(state, name, PROTOCOL_LOOPBACK, "virtual", "protocol IP")
        _owned_interface(state, name, VTEP_LOOPBACK, "virtual", "VTEP IP")


def _lag_facts(snapshot, lag, connection, switch):
    """The switch's report of a LAG (speed, enabled, oper state) onto its desired fields."""
    members = [snapshot.interface_name(link.b) for link in connection.links if link.b.device == switch]
    facts = SwitchPorts(snapshot, snapshot.switches[switch]).lag_facts(lag.fields["name"], members)
    custom = facts.pop("custom_fields", {})
    lag.fields.update(facts)
    lag.fields["custom_fields"] = dict(lag.fields["custom_fields"], **custom)


def _cable_ends_only(state, snapshot, connection):
    """A connection of an unknown type: the server and gateway ports its cables need, nothing else.

    Switch ports exist from the device type; what the type would set on them
    (LAGs, VLANs, MTU, addresses) is unknown, so they are left as they are.
    """
    for ref in connection.ports():
        if ref.device not in snapshot.switches and state.get("interface", (ref.device, ref.port)) is None:
            _owned_interface(state, ref.device, snapshot.interface_name(ref), "other")


def _server_connection(state, snapshot, connection):
    server = connection.server_name()
    bundled = connection.type in LAG_TYPES
    bond = _lag(state, snapshot, server, connection, True, connection.mtu) if bundled else None
    switch_lags = {}
    vlans = port_vlans(snapshot, connection)
    if bundled:
        for switch in connection.switch_names():
            switch_lags[switch] = _lag(state, snapshot, switch, connection, False, connection.mtu)
            switch_lags[switch].fields.update(vlans)
            _lag_facts(snapshot, switch_lags[switch], connection, switch)
    for link in connection.links:
        server_port = snapshot.interface_name(link.a)
        extra = {"lag": Ref("lag", bond.key) if bond else None}
        if connection.mtu:
            extra["mtu"] = connection.mtu
        _owned_interface(state, server, server_port, "other", **extra)
        switch_port = snapshot.interface_name(link.b)
        if bundled or connection.mtu or vlans["mode"]:
            fields = {"device": Ref("device", link.b.device), "name": switch_port}
            if bundled:
                fields["lag"] = Ref("lag", switch_lags[link.b.device].key)
            else:
                fields.update(vlans)
            if connection.mtu:
                fields["mtu"] = connection.mtu
            port = state.get("interface", (link.b.device, switch_port))
            if port is not None:
                port.fields.update(fields)
            else:
                state.add(Desired("interface", (link.b.device, switch_port), fields, component=True,
                                  label="interface %s %s" % (link.b.device, switch_port)))


def cable_key(end_a, end_b):
    return tuple(sorted((end_a, end_b)))


def add_cables(state, snapshot, config, now=None):
    """One cable per link, each checked against the switches' LLDP (see ``mapping.cabling``).

    A cable LLDP disagrees with is ``planned`` with what LLDP saw in its
    custom field, and a finding of the run names both ends and what was seen
    (a finding, not a problem: NetBox holds the cable as it is, so the run is
    complete); every other cable is ``connected`` with the field empty.
    """
    check = LldpCheck(snapshot, now or datetime.now(timezone.utc), config.agent_stale_after)
    for name in sorted(snapshot.connections):
        connection = snapshot.connections[name]
        for link in connection.links:
            if link.b is None:
                continue
            end_a = (link.a.device, snapshot.interface_name(link.a))
            end_b = (link.b.device, snapshot.interface_name(link.b))
            key = cable_key(end_a, end_b)
            label = "cable %s %s/%s-%s/%s" % (connection.name, key[0][0], key[0][1], key[1][0], key[1][1])
            verdict = check.judge(end_a, end_b)
            state.add(Desired("cable", key, {
                "a_terminations": [{"object_type": "dcim.interface", "object_id": Ref("interface", key[0])}],
                "b_terminations": [{"object_type": "dcim.interface", "object_id": Ref("interface", key[1])}],
                "label": short_name(connection.name, 100),
                "status": "planned" if verdict.disagrees else "connected",
                "custom_fields": {"hedgehog_connection_type": connection.type,
                                  LLDP_MISMATCH_FIELD: verdict.mismatch_text()},
            }, label=label))
            if verdict.disagrees:
                state.findings.append(Problem.about("cable", label, "LLDP disagrees with the wiring, which joins %s %s "
                                                    "and %s %s: %s" % (end_a + end_b + (verdict.mismatch_text(),))))
    state.cabling = check.report
