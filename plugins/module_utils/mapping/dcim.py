# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot -> desired DCIM objects: site, device types, devices, interfaces, LAGs, cables.

Switch ports come from the device type's interface templates, so NetBox makes
every front-panel port when it makes the device; the sync only touches a port
when the fabric says something about it (LAG membership, MTU).
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ipam import port_vlans
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import (
    Desired,
    Ref,
    short_name,
    slugify,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import underlay_vrf
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import (
    LAG_TYPES,
    SERVER_TYPES,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import breakout_count
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox import anchor
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.anchor import CLUSTER_TYPE_SLUG
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import COMPONENT_DEFAULTS

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
        name, color = ROLE_NAMES.get(role, (role, "9e9e9e"))
        state.add(Desired("device_role", role, {"name": name, "slug": role, "color": color}))
    used_profiles = sorted(set(switch.profile for switch in snapshot.switches.values()))
    for profile_name in used_profiles:
        _add_profile(state, snapshot.profiles[profile_name])
    if snapshot.servers or snapshot.gateways:
        generic = slugify(GENERIC_VENDOR)
        state.add(Desired("manufacturer", generic, {"name": GENERIC_VENDOR, "slug": generic}))
        if snapshot.servers:
            state.add(Desired("device_type", SERVER_TYPE, {
                "manufacturer": Ref("manufacturer", generic), "model": "Hedgehog server", "slug": SERVER_TYPE, "u_height": 1}))
        if snapshot.gateways:
            state.add(Desired("device_type", GATEWAY_TYPE, {
                "manufacturer": Ref("manufacturer", generic), "model": "Hedgehog gateway", "slug": GATEWAY_TYPE, "u_height": 1}))
    state.add(Desired("cluster_type", CLUSTER_TYPE_SLUG, anchor.cluster_type_fields()))


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
            # The NOS name rides on the template so every port shows it with no
            # write per port (a custom field would cost one PATCH per port).
            "description": port.nos or port.base_nos,
        }
        state.add(Desired("interface_template", (slug, port.name), fields))


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


def _device_fields(config, name, device_type, role, description, custom_fields=None, platform=None, serial=""):
    fields = {
        "name": name,
        "device_type": Ref("device_type", device_type),
        "role": Ref("device_role", role),
        "site": Ref("site", slugify(config.site)),
        "cluster": Ref("cluster", config.fabric),
        "status": "active",
        "description": description[:200],
        "serial": serial[:50],
        "platform": Ref("platform", platform) if platform else None,
    }
    if config.tenant:
        fields["tenant"] = Ref("tenant", slugify(config.tenant))
    if custom_fields:
        fields["custom_fields"] = custom_fields
    return fields


def _heartbeat(text):
    try:
        stamp = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def agent_facts(agent, now, stale_after):
    """(device status, custom fields) from a switch agent's report.

    The heartbeat moves every 15 s, so it is only stored once the agent has
    gone quiet (it is frozen then): a fabric whose agents keep reporting
    writes nothing, and the status and stamp change only when the agent stops
    or comes back.
    """
    facts = dict.fromkeys(AGENT_FIELDS)
    if agent is None:
        return "active", facts
    heartbeat = _heartbeat(agent.last_heartbeat) if agent.last_heartbeat else None
    if heartbeat is None:
        status = "planned"  # the switch has not reported yet
    elif (now - heartbeat).total_seconds() <= stale_after:
        status = "active"
    else:
        status = "offline"
        # In the form NetBox's API returns a datetime ("...Z", whole seconds here),
        # or every run would see a change and write it again.
        facts["hedgehog_last_heartbeat"] = (
            heartbeat.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    facts.update({
        "hedgehog_nos_version": agent.nos_version or None,
        "hedgehog_agent_version": agent.version or None,
        "hedgehog_applied_generation": agent.applied_generation,
        "hedgehog_agent_generation": agent.generation,
        "hedgehog_reboot_required": bool(agent.reboot_required),
    })
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
        fields = _device_fields(config, name, device_type_slug(profile.name), switch.role, switch.description,
                                custom_fields, slugify(profile.nos_type) if profile.nos_type else None, serial)
        fields["status"] = status
        late = {"primary_ip4": Ref("ip_address", (underlay_vrf(config), switch.ip))}
        state.add(Desired("device", name, fields, late=late, label="device %s" % name))
    for name in sorted(snapshot.servers):
        server = snapshot.servers[name]
        state.add(Desired("device", name, _device_fields(config, name, SERVER_TYPE, "server", server.description),
                          label="device %s" % name))
    for name in sorted(snapshot.gateways):
        gateway = snapshot.gateways[name]
        custom_fields = {"hedgehog_asn": gateway.asn, "hedgehog_gateway_groups": ",".join(sorted(gateway.groups)) or None}
        state.add(Desired("device", name, _device_fields(config, name, GATEWAY_TYPE, "gateway", "", custom_fields),
                          label="device %s" % name))


def _owned_interface(state, device, name, if_type, description="", **extra):
    fields = {"device": Ref("device", device), "name": name, "type": if_type, "description": description[:200]}
    fields.update(extra)
    return state.add(Desired("interface", (device, name), fields, label="interface %s %s" % (device, name)))


def add_switch_interfaces(state, snapshot):
    """Loopbacks for the protocol and VTEP IPs, and breakout sub-ports."""
    for name in sorted(snapshot.switches):
        switch = snapshot.switches[name]
        _owned_interface(state, name, PROTOCOL_LOOPBACK, "virtual", "protocol IP (BGP router ID)")
        if switch.vtep_ip:
            _owned_interface(state, name, VTEP_LOOPBACK, "virtual", "VTEP IP")
        profile = snapshot.profiles[switch.profile]
        for port in sorted(profile.ports):
            # NetBox does not copy a template's description to the port it makes,
            # so the NOS name is written on each port; lag and mtu are the
            # defaults a port goes back to when no connection uses it.
            # Type and mgmt_only as the template has them: an adopted device of
            # another type lacks these ports, and NetBox makes none without a type.
            info = profile.ports[port]
            state.add(Desired("interface", (name, port), dict(
                {"device": Ref("device", name), "name": port, "description": info.nos or info.base_nos,
                 "type": "1000base-t" if info.management else interface_type(profile.speed_of(port)),
                 "mgmt_only": info.management},
                **COMPONENT_DEFAULTS), component=True, label="interface %s %s" % (name, port)))
            count = breakout_count(profile, switch, port) if profile.breakout_modes(port) else 1
            if count < 2:
                continue
            mode = switch.port_breakouts.get(port) or profile.default_breakout(port)
            offsets = profile.breakout_modes(port).get(mode) or []
            speed = mode.split("x", 1)[1] if "x" in mode else ""
            for index in range(1, count + 1):
                _owned_interface(state, name, "%s/%d" % (port, index), interface_type(speed),
                                 _breakout_nos_name(profile.ports[port].base_nos, offsets, index))


def _breakout_nos_name(base_nos, offsets, index):
    digits = "".join(ch for ch in base_nos if ch.isdigit())
    if not digits or len(offsets) < index:
        return ""
    try:
        return "Ethernet%d" % (int(digits) + int(offsets[index - 1]))
    except (TypeError, ValueError):
        return ""


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
        "description": connection.name[:200],
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
        gateway = snapshot.gateways[name]
        if gateway.protocol_ip:
            _owned_interface(state, name, PROTOCOL_LOOPBACK, "virtual", "protocol IP")
        if gateway.vtep_ip:
            _owned_interface(state, name, VTEP_LOOPBACK, "virtual", "VTEP IP")


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


def add_cables(state, snapshot):
    for name in sorted(snapshot.connections):
        connection = snapshot.connections[name]
        for link in connection.links:
            if link.b is None:
                continue
            end_a = (link.a.device, snapshot.interface_name(link.a))
            end_b = (link.b.device, snapshot.interface_name(link.b))
            key = cable_key(end_a, end_b)
            state.add(Desired("cable", key, {
                "a_terminations": [{"object_type": "dcim.interface", "object_id": Ref("interface", key[0])}],
                "b_terminations": [{"object_type": "dcim.interface", "object_id": Ref("interface", key[1])}],
                "label": short_name(connection.name, 100),
                "status": "connected",
                "custom_fields": {"hedgehog_connection_type": connection.type},
            }, label="cable %s %s/%s-%s/%s" % (connection.name, key[0][0], key[0][1], key[1][0], key[1][1])))
