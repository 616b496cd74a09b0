# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw Kubernetes objects -> typed records, one object at a time.

A parser either returns a record or raises :class:`BadObject` naming the field
and the cause; the snapshot builder turns that into a warning and skips the
object, so one malformed CRD never stops the rest of the fabric.
Unknown fields are ignored; old and new key names are both read.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import agents
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import (
    CONNECTION_TYPES,
    Connection,
    Gateway,
    GatewayInterface,
    Link,
    PortRef,
    ProfilePort,
    Server,
    StaticExternal,
    Switch,
    SwitchProfile,
)

SWITCH_ROLES = ("spine", "server-leaf", "border-leaf", "mixed-leaf", "virtual-edge")


class BadObject(ValueError):
    """The object cannot be used; the message names the field and the cause."""


class MissingObject(BadObject):
    """The object refers to ``kind`` ``name``, which does not exist or was skipped."""

    def __init__(self, kind, name, message):
        super().__init__(message)
        self.kind = kind
        self.name = name


def _mapping(value, path):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadObject("%s must be a mapping, got %s" % (path, type(value).__name__))
    return value


def _list(value, path):
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadObject("%s must be a list, got %s" % (path, type(value).__name__))
    return value


def _text(data, key, path, required=False):
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise BadObject("missing %s.%s" % (path, key))
        return ""
    if not isinstance(value, str):
        raise BadObject("%s.%s must be a string, got %s" % (path, key, type(value).__name__))
    return value


def _integer(data, key, path, required=False):
    value = data.get(key)
    if value is None:
        if required:
            raise BadObject("missing %s.%s" % (path, key))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadObject("%s.%s must be an integer, got %r" % (path, key, value))
    return value


def _interface_cidr(data, key, path, required=False):
    value = _text(data, key, path, required=required)
    if value:
        try:
            ipaddress.ip_interface(value)
        except ValueError as exc:
            raise BadObject("%s.%s is not an IP address with prefix length: %r" % (path, key, value)) from exc
        if "/" not in value:
            raise BadObject("%s.%s needs a prefix length: %r" % (path, key, value))
    return value


def _strings(data, key, path):
    values = _list(data.get(key), "%s.%s" % (path, key))
    for value in values:
        if not isinstance(value, str):
            raise BadObject("%s.%s must hold strings, got %r" % (path, key, value))
    return list(values)


def parse_objects(snapshot, data, kind, parser):
    """Every object of ``kind`` through ``parser``, by name; bad, unnamed and duplicated ones become problems.

    A name defined twice the same way is one object; defined twice differently,
    neither definition is taken (the order of files decides nothing) and what
    NetBox holds of it stays as it is.
    """
    definitions = {}
    for obj in data.items(kind):
        name = name_of(obj)
        if not name:
            snapshot.problem(kind, "(unnamed)", "metadata.name is missing")
            continue
        same = definitions.setdefault(name, [])
        if all(_definition(obj) != _definition(other) for other in same):
            same.append(obj)
    found = {}
    for name, objs in definitions.items():
        if len(objs) > 1:
            snapshot.problem(kind, name, _twice(data, objs))
            continue
        try:
            found[name] = parser(objs[0])
        except BadObject as exc:
            snapshot.problem(kind, name, str(exc), obj=objs[0])
    return found


def _definition(obj):
    """What makes two objects of one name the same definition."""
    return (obj.get("apiVersion"), obj.get("spec"), obj.get("status"))


def _twice(data, objs):
    places = [data.place_of(obj) for obj in objs]
    where = " (in %s)" % ", ".join(places) if all(places) else ""
    return ("defined %d times with different specs%s: none of them is used, and what NetBox holds of it stays as it "
            "is until one definition is left" % (len(objs), where))


def name_of(obj):
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
        return metadata["name"]
    return ""


def spec_of(obj):
    return _mapping(obj.get("spec"), "spec")


def parse_profile(obj):
    spec = spec_of(obj)
    ports = {}
    for port_name, info in _mapping(spec.get("ports"), "spec.ports").items():
        info = _mapping(info, "spec.ports.%s" % port_name)
        ports[port_name] = ProfilePort(
            name=port_name,
            nos=str(info.get("nos") or ""),
            label=str(info.get("label") or ""),
            management=bool(info.get("management")),
            base_nos=str(info.get("baseNOSName") or ""),
            group=str(info.get("group") or ""),
            profile=str(info.get("profile") or ""),
        )
    if not ports:
        raise BadObject("spec.ports is empty")
    return SwitchProfile(
        name=name_of(obj),
        display_name=_text(spec, "displayName", "spec") or name_of(obj),
        other_names=_strings(spec, "otherNames", "spec"),
        silicon=_text(spec, "switchSilicon", "spec"),
        nos_type=_text(spec, "nosType", "spec"),
        platform=_text(spec, "platform", "spec"),
        features=dict((k, bool(v)) for k, v in _mapping(spec.get("features"), "spec.features").items()),
        ports=ports,
        port_groups=_port_groups(spec),
        port_profiles=_port_profiles(spec),
    )


def _port_groups(spec):
    """``{group: {"profile": name}}``, every level checked: the port speeds are read from it later."""
    groups = {}
    for name, group in _mapping(spec.get("portGroups"), "spec.portGroups").items():
        group = _mapping(group, "spec.portGroups.%s" % name)
        _text(group, "profile", "spec.portGroups.%s" % name)
        groups[name] = group
    return groups


def _port_profiles(spec):
    """``{profile: {"speed": {...}, "breakout": {"default": mode, "supported": {mode: {"offsets": [...]}}}}}``.

    Every level is checked: the breakouts and speeds of the ports are read from it later.
    """
    profiles = {}
    for name, profile in _mapping(spec.get("portProfiles"), "spec.portProfiles").items():
        path = "spec.portProfiles.%s" % name
        profile = _mapping(profile, path)
        _text(_mapping(profile.get("speed"), path + ".speed"), "default", path + ".speed")
        breakout = _mapping(profile.get("breakout"), path + ".breakout")
        _text(breakout, "default", path + ".breakout")
        for mode, info in _mapping(breakout.get("supported"), path + ".breakout.supported").items():
            _list(_mapping(info, "%s.breakout.supported.%s" % (path, mode)).get("offsets"),
                  "%s.breakout.supported.%s.offsets" % (path, mode))
        profiles[name] = profile
    return profiles


def parse_switch(obj, hydrated=True):
    """A Switch; ``hydrated=False`` (wiring as hhfab writes it) lets its ASN and addresses be unset."""
    spec = spec_of(obj)
    role = _text(spec, "role", "spec", required=True)
    if role not in SWITCH_ROLES:
        raise BadObject("spec.role %r is not one of %s" % (role, ", ".join(SWITCH_ROLES)))
    asn = _integer(spec, "asn", "spec", required=hydrated)
    if asn is not None and (asn <= 0 or asn > 4294967295):
        raise BadObject("spec.asn %d is out of range" % asn)
    redundancy = _mapping(spec.get("redundancy"), "spec.redundancy")
    boot = _mapping(spec.get("boot"), "spec.boot")
    return Switch(
        name=name_of(obj),
        role=role,
        profile=_text(spec, "profile", "spec", required=True),
        asn=asn,
        ip=_interface_cidr(spec, "ip", "spec", required=hydrated),
        protocol_ip=_interface_cidr(spec, "protocolIP", "spec", required=hydrated),
        vtep_ip=_interface_cidr(spec, "vtepIP", "spec"),
        description=_text(spec, "description", "spec"),
        groups=_strings(spec, "groups", "spec"),
        redundancy_group=_text(redundancy, "group", "spec.redundancy"),
        redundancy_type=_text(redundancy, "type", "spec.redundancy"),
        vlan_namespaces=_strings(spec, "vlanNamespaces", "spec") or ["default"],
        boot_serial=_text(boot, "serial", "spec.boot"),
        boot_mac=_text(boot, "mac", "spec.boot"),
        port_breakouts=_port_settings(spec, "portBreakouts"),
        port_speeds=_port_settings(spec, "portSpeeds"),
        port_group_speeds=_port_settings(spec, "portGroupSpeeds"),
        port_fecs=_port_settings(spec, "portFECs"),
        domain=_text(_mapping(spec.get("topology"), "spec.topology"), "domain", "spec.topology"),
    )


def _port_settings(spec, key):
    """A per-port (or per-port-group) map of the switch spec, as strings."""
    return dict((str(k), str(v)) for k, v in _mapping(spec.get(key), "spec.%s" % key).items())


def parse_server(obj):
    spec = spec_of(obj)
    return Server(name=name_of(obj), description=_text(spec, "description", "spec"), profile=_text(spec, "profile", "spec"))


def parse_gateway(obj):
    spec = spec_of(obj)
    interfaces = {}
    for if_name, info in _mapping(spec.get("interfaces"), "spec.interfaces").items():
        info = _mapping(info, "spec.interfaces.%s" % if_name)
        ips = _strings(info, "ips", "spec.interfaces.%s" % if_name)
        for ip in ips:
            _interface_cidr({"ip": ip}, "ip", "spec.interfaces.%s.ips" % if_name)
        interfaces[if_name] = GatewayInterface(name=if_name, ips=ips, mtu=_integer(info, "mtu", "spec.interfaces.%s" % if_name))
    groups = []
    for entry in _list(spec.get("groups"), "spec.groups"):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            groups.append(entry["name"])
    return Gateway(
        name=name_of(obj),
        protocol_ip=_interface_cidr(spec, "protocolIP", "spec"),
        vtep_ip=_interface_cidr(spec, "vtepIP", "spec"),
        vtep_mac=_text(spec, "vtepMAC", "spec"),
        asn=_integer(spec, "asn", "spec"),
        interfaces=interfaces,
        groups=groups,
    )


def parse_port(value, path, with_ip=False):
    """``{"port": "leaf-01/E1/1", "ip": "..."}`` -> PortRef; the device is what precedes the first slash."""
    value = _mapping(value, path)
    text = _text(value, "port", path, required=True)
    device, sep, port = text.partition("/")
    if not sep or not device or not port:
        raise BadObject("%s.port %r is not of the form <device>/<port>" % (path, text))
    ip = _interface_cidr(value, "ip", path) if with_ip else ""
    return PortRef(device=device, port=port, ip=ip)


# How each connection type names the two ends of its links, and whether they carry IPs.
LINK_SIDES = {
    "bundled": ("server", "switch", False),
    "eslag": ("server", "switch", False),
    "mclag": ("server", "switch", False),
    "fabric": ("spine", "leaf", True),
    "mesh": ("leaf1", "leaf2", True),
    "gateway": ("switch", "gateway", True),
    "vpcLoopback": ("switch1", "switch2", False),
}


def _two_sided_links(body, ctype, path):
    side_a, side_b, with_ip = LINK_SIDES[ctype]
    links = []
    for index, raw in enumerate(_list(body.get("links"), "%s.links" % path)):
        raw = _mapping(raw, "%s.links[%d]" % (path, index))
        a_value = raw.get(side_a)
        if ctype == "gateway" and a_value is None:
            # Before 25.04 the switch side of a gateway link was called "spine".
            a_value = raw.get("spine")
        link_path = "%s.links[%d]" % (path, index)
        links.append(Link(
            a=parse_port(a_value, "%s.%s" % (link_path, side_a), with_ip=with_ip),
            b=parse_port(raw.get(side_b), "%s.%s" % (link_path, side_b), with_ip=with_ip),
        ))
    if not links:
        raise BadObject("%s.links is empty" % path)
    return links


def _domain_links(body, path):
    links = []
    for key, role in (("peerLinks", "peer"), ("sessionLinks", "session")):
        for index, raw in enumerate(_list(body.get(key), "%s.%s" % (path, key))):
            raw = _mapping(raw, "%s.%s[%d]" % (path, key, index))
            link_path = "%s.%s[%d]" % (path, key, index)
            links.append(Link(
                a=parse_port(raw.get("switch1"), link_path + ".switch1"),
                b=parse_port(raw.get("switch2"), link_path + ".switch2"),
                role=role,
            ))
    if not links:
        raise BadObject("%s has no peerLinks or sessionLinks" % path)
    return links


def _end_of(value, path):
    """One end of a link of an unknown type: a mapping with a ``device/port`` string, or None."""
    if not isinstance(value, dict) or not isinstance(value.get("port"), str):
        return None
    try:
        return parse_port(value, path)
    except BadObject:
        return None


def _two_ended(raw, path):
    """A link of an unknown type as (a, b) when it has exactly two ends, else None."""
    if not isinstance(raw, dict) or len(raw) != 2:
        return None
    ends = [_end_of(value, "%s.%s" % (path, side)) for side, value in sorted(raw.items())]
    return Link(a=ends[0], b=ends[1]) if None not in ends else None


def _unknown_type_links(body, path):
    """The links of an unknown connection type that has the usual shape (``link`` or ``links`` of two ends)."""
    raws = body.get("links") if isinstance(body.get("links"), list) else [body.get("link")]
    links = [_two_ended(raw, "%s.links[%d]" % (path, index)) for index, raw in enumerate(raws)]
    return links if links and None not in links else None


def _unknown_type(spec):
    """An unknown connection type: a Connection whose cables alone can be synced, or BadObject."""
    unknown = sorted(key for key in spec if isinstance(spec.get(key), dict))
    if not unknown:
        raise BadObject("spec names no connection type")
    if len(unknown) == 1:
        links = _unknown_type_links(spec[unknown[0]], "spec.%s" % unknown[0])
        if links:
            return unknown[0], links
    raise BadObject("unknown connection type %s" % ", ".join(repr(k) for k in unknown))


def parse_connection(obj):
    spec = spec_of(obj)
    present = [key for key in CONNECTION_TYPES if spec.get(key) is not None]
    if not present:
        ctype, links = _unknown_type(spec)
        return Connection(name=name_of(obj), type=ctype, links=links, supported=False)
    if len(present) > 1:
        raise BadObject("spec names several connection types: %s" % ", ".join(present))
    ctype = present[0]
    path = "spec.%s" % ctype
    body = _mapping(spec.get(ctype), path)
    static = None
    if ctype == "unbundled":
        link = _mapping(body.get("link"), path + ".link")
        links = [Link(a=parse_port(link.get("server"), path + ".link.server"),
                      b=parse_port(link.get("switch"), path + ".link.switch"))]
    elif ctype in ("external", "staticExternal"):
        link = _mapping(body.get("link"), path + ".link")
        links = [Link(a=parse_port(link.get("switch"), path + ".link.switch", with_ip=(ctype == "staticExternal")))]
        if ctype == "staticExternal":
            static = _static_external(body, link, path)
    elif ctype == "mclagDomain":
        links = _domain_links(body, path)
    else:
        links = _two_sided_links(body, ctype, path)
    return Connection(
        name=name_of(obj), type=ctype, links=links,
        mtu=_integer(body, "mtu", path), fallback=bool(body.get("fallback")), static_external=static,
    )


def _static_external(body, link, path):
    """The switch side of a staticExternal: its IP, next hop, routed subnets, VLAN and VPC."""
    switch = _mapping(link.get("switch"), path + ".link.switch")
    where = path + ".link.switch"
    next_hop = _text(switch, "nextHop", where)
    if next_hop:
        try:
            ipaddress.ip_address(next_hop)
        except ValueError as exc:
            raise BadObject("%s.nextHop is not an IP address: %r" % (where, next_hop)) from exc
    subnets = _strings(switch, "subnets", where)
    for subnet in subnets:
        try:
            ipaddress.ip_network(subnet)
        except ValueError as exc:
            raise BadObject("%s.subnets holds %r, which is not a network" % (where, subnet)) from exc
    vlan = _integer(switch, "vlan", where) or 0
    if not 0 <= vlan <= 4094:
        raise BadObject("%s.vlan %d is out of range" % (where, vlan))
    return StaticExternal(ip=_interface_cidr(switch, "ip", where), next_hop=next_hop, subnets=subnets, vlan=vlan,
                          within_vpc=_text(body, "withinVPC", path))


def parse_agent(obj):
    """Only the agent's own report and its catalog: ``spec.users`` and ``spec.version`` are never read."""
    _mapping(obj.get("status"), "status")
    return agents.parse_agent(obj, name_of(obj))


def parse_gateway_agent(obj):
    _mapping(obj.get("status"), "status")
    return agents.parse_gateway_agent(obj, name_of(obj))


def catalog_port_channels(obj, switch_groups):
    """PortChannel IDs from a Catalog object: ``switch.<name>`` or ``redundancy.<group>``.

    ``switch_groups`` maps a redundancy group to its member switches, since an
    ESLAG group shares one PortChannel ID per connection across its members.
    """
    name = name_of(obj)
    spec = spec_of(obj)
    ids = _mapping(spec.get("portChannelIDs"), "spec.portChannelIDs")
    scope, _sep, owner = name.partition(".")
    if scope == "switch":
        switches = [owner]
    elif scope == "redundancy":
        switches = switch_groups.get(owner, [])
    else:
        return {}
    found = {}
    for connection, number in ids.items():
        if isinstance(number, int) and not isinstance(number, bool):
            for switch in switches:
                found[(switch, str(connection))] = number
    return found


# Fabric (controller) minor version -> the release that shipped it, for
# Fabricators older than 26.02, which report only status.versions.
FABRIC_RELEASES = {
    52: "Beta-1", 53: "Beta-1", 58: "24.09", 71: "25.01", 75: "25.02", 81: "25.03", 87: "25.04",
    96: "25.05", 115: "26.01", 120: "26.02", 129: "26.03",
}


def fabricator_release(obj):
    status = obj.get("status") if isinstance(obj, dict) else None
    if not isinstance(status, dict):
        return ""
    if isinstance(status.get("release"), str) and status["release"]:
        return status["release"]
    fabric = (status.get("versions") or {}).get("fabric") if isinstance(status.get("versions"), dict) else None
    if not isinstance(fabric, dict):
        return ""
    version = next((fabric.get(key) for key in ("controller", "api", "agent") if isinstance(fabric.get(key), str)), "")
    if not version:
        return ""
    parts = version.lstrip("v").split(".")
    release = FABRIC_RELEASES.get(int(parts[1])) if len(parts) > 1 and parts[1].isdigit() else None
    return "%s (fabric %s)" % (release, version) if release else "fabric %s" % version
