# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric's overlay as typed records: namespaces, VPCs, attachments, externals, peerings, leases.

Parsers turn one raw object into a record or raise BadObject; ``build_ipam``
then checks references against the wiring snapshot (connections, switches,
gateways) and against each other (a subnet's VLAN inside its namespace and
unique there, an attachment's subnet existing), skipping what does not hold
with a Problem that names the kind, the object and the cause.
Agents are never read here: their spec carries credentials.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import held, parse
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import BadObject
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import SERVER_TYPES

DEFAULT_NAMESPACE = "default"
# The Catalog keys External VNIs as ``ext@<name>``.
CATALOG_EXTERNAL_PREFIX = "ext@"
# GatewayPeering and VPCInfo name an External ``ext.<name>``; VPC names may not start with it.
EXTERNAL_PREFIX = "ext."


@dataclass
class VlanNamespace:
    name: str
    ranges: List[Tuple[int, int]] = field(default_factory=list)

    def holds(self, vid):
        return any(low <= vid <= high for low, high in self.ranges)


@dataclass
class Ipv4Namespace:
    name: str
    subnets: List[str] = field(default_factory=list)


@dataclass
class Dhcp:
    enable: bool = False
    start: str = ""
    end: str = ""
    relay: str = ""
    relay_vpc: str = ""
    static: Dict[str, str] = field(default_factory=dict)  # MAC -> IP (no length)
    options: dict = field(default_factory=dict)


@dataclass
class Subnet:
    name: str
    cidr: str
    gateway: str = ""
    vlan: int = 0
    isolated: Optional[bool] = None
    restricted: Optional[bool] = None
    host_bgp: bool = False
    host_bgp_prefix_lengths: dict = field(default_factory=dict)
    dhcp: Dhcp = field(default_factory=Dhcp)
    vni: Optional[int] = None

    @property
    def prefixlen(self):
        return ipaddress.ip_network(self.cidr).prefixlen

    def with_length(self, ip):
        return "%s/%d" % (ip, self.prefixlen)


@dataclass
class Vpc:
    name: str
    mode: str = "l2vni"
    ipv4_namespace: str = DEFAULT_NAMESPACE
    vlan_namespace: str = DEFAULT_NAMESPACE
    default_isolated: bool = False
    default_restricted: bool = False
    permit: List[List[str]] = field(default_factory=list)
    static_routes: List[dict] = field(default_factory=list)
    subnets: Dict[str, Subnet] = field(default_factory=dict)
    vni: Optional[int] = None


@dataclass
class Attachment:
    name: str
    connection: str
    vpc: str
    subnet: str
    native: bool = False


@dataclass
class External:
    name: str
    ipv4_namespace: str = DEFAULT_NAMESPACE
    inbound_community: str = ""
    outbound_community: str = ""
    static_prefixes: List[str] = field(default_factory=list)
    vni: Optional[int] = None


@dataclass
class ExternalAttachment:
    name: str
    external: str
    connection: str
    switch: str = ""
    port: str = ""  # the NetBox name of the switch port
    vlan: int = 0
    ip: str = ""  # CIDR on the switch side
    neighbor_ip: str = ""  # no length, as in the spec
    neighbor_asn: Optional[int] = None
    static: bool = False
    proxy: bool = False


@dataclass
class Peering:
    """One peering as the entries it leaves on each side: {(kind, name): entry}."""

    name: str
    kind: str
    sides: Dict[Tuple[str, str], dict] = field(default_factory=dict)


@dataclass
class Lease:
    subnet: str  # "<vpc>/<subnet>" or "management"
    vpc: str  # "" for the management network (global table)
    mac: str
    address: str  # with the subnet's length
    hostname: str = ""


@dataclass
class IpamModel:
    vlan_namespaces: Dict[str, VlanNamespace] = field(default_factory=dict)
    ipv4_namespaces: Dict[str, Ipv4Namespace] = field(default_factory=dict)
    vpcs: Dict[str, Vpc] = field(default_factory=dict)
    attachments: Dict[str, Attachment] = field(default_factory=dict)
    externals: Dict[str, External] = field(default_factory=dict)
    external_attachments: Dict[str, ExternalAttachment] = field(default_factory=dict)
    peerings: Dict[str, Peering] = field(default_factory=dict)
    leases: List[Lease] = field(default_factory=list)
    gateway_groups: List[str] = field(default_factory=list)
    # Connection -> its attachments in name order, made on the first question: the model is complete by then
    # (build_ipam has checked and pruned it), and the mapping asks once per connection.
    _by_connection: Optional[Dict[str, List[Attachment]]] = field(default=None, repr=False, compare=False)

    def attachments_of(self, connection):
        if self._by_connection is None:
            self._by_connection = {}
            for _name, attachment in sorted(self.attachments.items()):
                self._by_connection.setdefault(attachment.connection, []).append(attachment)
        return list(self._by_connection.get(connection, ()))


# -- small readers ----------------------------------------------------------------


def _bool(data, key, path):
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise BadObject("%s.%s must be true or false, got %r" % (path, key, value))
    return value


def _network(text, path):
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise BadObject("%s is not a network: %r" % (path, text)) from exc


def _address(text, path):
    try:
        return ipaddress.ip_address(text)
    except ValueError as exc:
        raise BadObject("%s is not an IP address: %r" % (path, text)) from exc


def _vid(value, path, allow_zero=False):
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadObject("%s must be an integer, got %r" % (path, value))
    if not (0 if allow_zero else 1) <= value <= 4094:
        raise BadObject("%s %d is not a VLAN ID" % (path, value))
    return value


def _plain(value):
    """A copy of user data for a JSON custom field: only JSON types, keys as strings."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


# -- parsers: one raw object -> one record ------------------------------------------


def parse_vlan_namespace(obj):
    spec = parse.spec_of(obj)
    ranges = []
    for index, raw in enumerate(parse._list(spec.get("ranges"), "spec.ranges")):
        raw = parse._mapping(raw, "spec.ranges[%d]" % index)
        low = _vid(raw.get("from"), "spec.ranges[%d].from" % index)
        high = _vid(raw.get("to"), "spec.ranges[%d].to" % index)
        if high < low:
            raise BadObject("spec.ranges[%d]: %d-%d is empty" % (index, low, high))
        ranges.append((low, high))
    if not ranges:
        raise BadObject("spec.ranges is empty")
    ranges.sort()
    for (_l1, high1), (low2, _h2) in zip(ranges, ranges[1:]):
        if low2 <= high1:
            raise BadObject("spec.ranges overlap at VLAN %d" % low2)
    return VlanNamespace(name=parse.name_of(obj), ranges=ranges)


def parse_ipv4_namespace(obj):
    spec = parse.spec_of(obj)
    subnets = parse._strings(spec, "subnets", "spec")
    for index, text in enumerate(subnets):
        _network(text, "spec.subnets[%d]" % index)
    if not subnets:
        raise BadObject("spec.subnets is empty")
    return Ipv4Namespace(name=parse.name_of(obj), subnets=subnets)


def _parse_dhcp(raw, path, network):
    raw = parse._mapping(raw, path)
    dhcp = Dhcp(enable=bool(raw.get("enable")), relay=parse._text(raw, "relay", path),
                relay_vpc=parse._text(raw, "relayVPC", path))
    span = parse._mapping(raw.get("range"), path + ".range")
    dhcp.start = parse._text(span, "start", path + ".range")
    dhcp.end = parse._text(span, "end", path + ".range")
    for key in ("start", "end"):
        value = getattr(dhcp, key)
        if value and _address(value, "%s.range.%s" % (path, key)) not in network:
            raise BadObject("%s.range.%s %s is outside %s" % (path, key, value, network))
    if dhcp.start and dhcp.end and ipaddress.ip_address(dhcp.end) < ipaddress.ip_address(dhcp.start):
        raise BadObject("%s.range ends before it starts" % path)
    for mac, lease in sorted(parse._mapping(raw.get("static"), path + ".static").items()):
        lease = parse._mapping(lease, "%s.static.%s" % (path, mac))
        ip = parse._text(lease, "ip", "%s.static.%s" % (path, mac), required=True)
        if _address(ip, "%s.static.%s.ip" % (path, mac)) not in network:
            raise BadObject("%s.static.%s.ip %s is outside %s" % (path, mac, ip, network))
        dhcp.static[str(mac).lower()] = ip
    dhcp.options = _plain(parse._mapping(raw.get("options"), path + ".options"))
    return dhcp


def _parse_subnet(name, raw, path):
    raw = parse._mapping(raw, path)
    cidr = parse._text(raw, "subnet", path, required=True)
    network = _network(cidr, path + ".subnet")
    if network.version != 4:
        raise BadObject("%s.subnet %s is not IPv4" % (path, cidr))
    host_bgp = bool(raw.get("hostBGP"))
    subnet = Subnet(name=name, cidr=str(network), host_bgp=host_bgp,
                    isolated=_bool(raw, "isolated", path), restricted=_bool(raw, "restricted", path))
    vlan = raw.get("vlan")
    if vlan is None and not host_bgp:
        raise BadObject("missing %s.vlan" % path)
    subnet.vlan = _vid(vlan or 0, path + ".vlan", allow_zero=host_bgp)
    gateway = parse._text(raw, "gateway", path)
    if gateway:
        if _address(gateway, path + ".gateway") not in network:
            raise BadObject("%s.gateway %s is outside %s" % (path, gateway, cidr))
    elif not host_bgp and network.num_addresses > 2:
        # The webhook's default: the first host address.
        gateway = str(network.network_address + 1)
    subnet.gateway = gateway
    for key in ("hostBGPMinPrefixLen", "hostBGPMaxPrefixLen", "hostBGPExtraPrefixes"):
        if raw.get(key) is not None:
            subnet.host_bgp_prefix_lengths[key] = _plain(raw[key])
    subnet.dhcp = _parse_dhcp(raw.get("dhcp"), path + ".dhcp", network)
    return subnet


def parse_vpc(obj):
    spec = parse.spec_of(obj)
    name = parse.name_of(obj)
    if name.startswith(EXTERNAL_PREFIX):
        raise BadObject("VPC names may not start with %r" % EXTERNAL_PREFIX)
    permit = []
    for index, group in enumerate(parse._list(spec.get("permit"), "spec.permit")):
        group = parse._list(group, "spec.permit[%d]" % index)
        if not all(isinstance(item, str) for item in group):
            raise BadObject("spec.permit[%d] must hold subnet names" % index)
        permit.append(list(group))
    routes = []
    for index, raw in enumerate(parse._list(spec.get("staticRoutes"), "spec.staticRoutes")):
        raw = parse._mapping(raw, "spec.staticRoutes[%d]" % index)
        prefix = parse._text(raw, "prefix", "spec.staticRoutes[%d]" % index, required=True)
        _network(prefix, "spec.staticRoutes[%d].prefix" % index)
        routes.append({"prefix": prefix, "next_hops": parse._strings(raw, "nextHops", "spec.staticRoutes[%d]" % index)})
    vpc = Vpc(
        name=name,
        mode=parse._text(spec, "mode", "spec") or "l2vni",
        ipv4_namespace=parse._text(spec, "ipv4Namespace", "spec") or DEFAULT_NAMESPACE,
        vlan_namespace=parse._text(spec, "vlanNamespace", "spec") or DEFAULT_NAMESPACE,
        default_isolated=bool(spec.get("defaultIsolated")),
        default_restricted=bool(spec.get("defaultRestricted")),
        permit=permit,
        static_routes=routes,
    )
    for subnet_name, raw in sorted(parse._mapping(spec.get("subnets"), "spec.subnets").items()):
        vpc.subnets[str(subnet_name)] = _parse_subnet(str(subnet_name), raw, "spec.subnets.%s" % subnet_name)
    if not vpc.subnets:
        raise BadObject("spec.subnets is empty")
    for index, group in enumerate(permit):
        unknown = sorted(set(group) - set(vpc.subnets))
        if unknown:
            raise BadObject("spec.permit[%d] names unknown subnet(s) %s" % (index, ", ".join(unknown)))
    return vpc


def split_subnet_ref(text):
    """``vpc/subnet`` -> (vpc, subnet); a bare ``vpc`` means its ``default`` subnet."""
    vpc, _sep, subnet = text.partition("/")
    return vpc, subnet or DEFAULT_NAMESPACE


def parse_attachment(obj):
    spec = parse.spec_of(obj)
    vpc, subnet = split_subnet_ref(parse._text(spec, "subnet", "spec", required=True))
    native = _bool(spec, "nativeVLAN", "spec")
    return Attachment(name=parse.name_of(obj), connection=parse._text(spec, "connection", "spec", required=True),
                      vpc=vpc, subnet=subnet, native=bool(native))


def _static_part(spec):
    """The static External's fields: ``static`` as every release names them; ``l2`` as the fabric's development
    versions between 25.05 and 26.01 (v0.101 - v0.103) did, read the same."""
    return spec.get("static") if spec.get("static") is not None else spec.get("l2")


def parse_external(obj):
    spec = parse.spec_of(obj)
    static = parse._mapping(_static_part(spec), "spec.static")
    prefixes = parse._strings(static, "prefixes", "spec.static")
    for index, text in enumerate(prefixes):
        _network(text, "spec.static.prefixes[%d]" % index)
    return External(
        name=parse.name_of(obj),
        ipv4_namespace=parse._text(spec, "ipv4Namespace", "spec") or DEFAULT_NAMESPACE,
        inbound_community=parse._text(spec, "inboundCommunity", "spec"),
        outbound_community=parse._text(spec, "outboundCommunity", "spec"),
        static_prefixes=prefixes,
    )


def parse_external_attachment(obj):
    spec = parse.spec_of(obj)
    attachment = ExternalAttachment(
        name=parse.name_of(obj),
        external=parse._text(spec, "external", "spec", required=True),
        connection=parse._text(spec, "connection", "spec", required=True),
    )
    static = _static_part(spec)
    if static is not None:
        static = parse._mapping(static, "spec.static")
        attachment.static = True
        attachment.vlan = _vid(static.get("vlan") or 0, "spec.static.vlan", allow_zero=True)
        attachment.ip = parse._interface_cidr(static, "ip", "spec.static")
        attachment.proxy = bool(static.get("proxy"))
        attachment.neighbor_ip = parse._text(static, "remoteIP", "spec.static")
    else:
        switch = parse._mapping(spec.get("switch"), "spec.switch")
        neighbor = parse._mapping(spec.get("neighbor"), "spec.neighbor")
        attachment.vlan = _vid(switch.get("vlan") or 0, "spec.switch.vlan", allow_zero=True)
        attachment.ip = parse._interface_cidr(switch, "ip", "spec.switch", required=True)
        attachment.neighbor_ip = parse._text(neighbor, "ip", "spec.neighbor")
        asn = parse._integer(neighbor, "asn", "spec.neighbor")
        if asn is not None and not 0 < asn <= 4294967295:
            raise BadObject("spec.neighbor.asn %d is out of range" % asn)
        attachment.neighbor_asn = asn
    if attachment.neighbor_ip:
        _address(attachment.neighbor_ip, "spec neighbour IP")
    return attachment


def _subnet_list(raw, path):
    raw = parse._mapping(raw, path)
    return sorted(parse._strings(raw, "subnets", path)) or "all"


def parse_vpc_peering(obj):
    spec = parse.spec_of(obj)
    name = parse.name_of(obj)
    peering = Peering(name=name, kind="VPCPeering")
    for index, group in enumerate(parse._list(spec.get("permit"), "spec.permit")):
        group = parse._mapping(group, "spec.permit[%d]" % index)
        if len(group) != 2:
            raise BadObject("spec.permit[%d] must name exactly two VPCs, not %d" % (index, len(group)))
        (vpc_a, raw_a), (vpc_b, raw_b) = sorted(group.items())
        subnets_a = _subnet_list(raw_a, "spec.permit[%d].%s" % (index, vpc_a))
        subnets_b = _subnet_list(raw_b, "spec.permit[%d].%s" % (index, vpc_b))
        for local, peer, mine, theirs in ((vpc_a, vpc_b, subnets_a, subnets_b), (vpc_b, vpc_a, subnets_b, subnets_a)):
            entry = peering.sides.setdefault(("vpc", local), {"name": name, "kind": "VPCPeering", "peer": peer,
                                                              "permit": []})
            entry["permit"].append({"subnets": mine, "peer_subnets": theirs})
    if not peering.sides:
        raise BadObject("spec.permit is empty")
    if spec.get("remote"):
        for entry in peering.sides.values():
            entry["remote"] = _plain(spec["remote"])
    return peering


def parse_external_peering(obj):
    spec = parse.spec_of(obj)
    name = parse.name_of(obj)
    permit = parse._mapping(spec.get("permit"), "spec.permit")
    vpc = parse._mapping(permit.get("vpc"), "spec.permit.vpc")
    external = parse._mapping(permit.get("external"), "spec.permit.external")
    vpc_name = parse._text(vpc, "name", "spec.permit.vpc", required=True)
    external_name = parse._text(external, "name", "spec.permit.external", required=True)
    prefixes = []
    for index, raw in enumerate(parse._list(external.get("prefixes"), "spec.permit.external.prefixes")):
        raw = parse._mapping(raw, "spec.permit.external.prefixes[%d]" % index)
        prefix = parse._text(raw, "prefix", "spec.permit.external.prefixes[%d]" % index, required=True)
        _network(prefix, "spec.permit.external.prefixes[%d].prefix" % index)
        prefixes.append(prefix)
    subnets = sorted(parse._strings(vpc, "subnets", "spec.permit.vpc")) or "all"
    facts = {"name": name, "kind": "ExternalPeering", "subnets": subnets, "prefixes": sorted(prefixes)}
    peering = Peering(name=name, kind="ExternalPeering")
    peering.sides[("vpc", vpc_name)] = dict(facts, peer=EXTERNAL_PREFIX + external_name)
    peering.sides[("external", external_name)] = dict(facts, peer=vpc_name)
    return peering


def gateway_side(key):
    """A GatewayPeering key -> ("external", name) for ``ext.<name>``, else ("vpc", name)."""
    if key.startswith(EXTERNAL_PREFIX):
        return ("external", key[len(EXTERNAL_PREFIX):])
    return ("vpc", key)


def parse_gateway_peering(obj):
    spec = parse.spec_of(obj)
    name = parse.name_of(obj)
    sides = parse._mapping(spec.get("peering"), "spec.peering")
    if len(sides) != 2:
        # The API's own rule; it also keeps each side's copy of the other's expose list linear.
        raise BadObject("spec.peering must name exactly two VPCs or externals, not %d" % len(sides))
    group = parse._text(spec, "gatewayGroup", "spec")
    peering = Peering(name=name, kind="GatewayPeering")
    for key, raw in sorted(sides.items()):
        raw = parse._mapping(raw, "spec.peering.%s" % key)
        others = sorted(k for k in sides if k != key)
        entry = {"name": name, "kind": "GatewayPeering", "peer": others[0] if len(others) == 1 else others,
                 "gateway_group": group, "expose": _plain(parse._list(raw.get("expose"), "spec.peering.%s.expose" % key)),
                 "peer_expose": dict((k, _plain((sides[k] or {}).get("expose") or [])) for k in others)}
        if spec.get("acl") is not None:
            entry["acl"] = _plain(spec["acl"])
        peering.sides[gateway_side(str(key))] = entry
    return peering


def parse_dhcp_leases(obj):
    """The leases a DHCPSubnet holds; offers still in discovery are not leases yet."""
    spec = parse.spec_of(obj)
    subnet = parse._text(spec, "subnet", "spec", required=True)
    cidr = parse._text(spec, "cidrBlock", "spec", required=True)
    network = _network(cidr, "spec.cidrBlock")
    vpc = "" if subnet == "management" else split_subnet_ref(subnet)[0]
    status = parse._mapping(obj.get("status"), "status")
    leases = []
    for mac, raw in sorted(parse._mapping(status.get("allocated"), "status.allocated").items()):
        if not isinstance(raw, dict) or raw.get("discover"):
            continue
        ip = raw.get("ip")
        if not isinstance(ip, str) or not ip:
            continue
        if _address(ip, "status.allocated.%s.ip" % mac) not in network:
            raise BadObject("status.allocated.%s.ip %s is outside %s" % (mac, ip, cidr))
        hostname = raw.get("hostname") if isinstance(raw.get("hostname"), str) else ""
        leases.append(Lease(subnet=subnet, vpc=vpc, mac=str(mac).lower(),
                            address="%s/%d" % (ip, network.prefixlen), hostname=hostname))
    return leases


def catalog_vnis(obj):
    """(VPC VNIs, subnet VNIs by (vpc, subnet), External VNIs) from the Catalog ``vpcs``."""
    spec = parse.spec_of(obj)
    vpcs, subnets, externals = {}, {}, {}
    for key, vni in parse._mapping(spec.get("vpcVNIs"), "spec.vpcVNIs").items():
        if isinstance(vni, int) and not isinstance(vni, bool):
            if str(key).startswith(CATALOG_EXTERNAL_PREFIX):
                externals[str(key)[len(CATALOG_EXTERNAL_PREFIX):]] = vni
            else:
                vpcs[str(key)] = vni
    for vpc, per_subnet in parse._mapping(spec.get("vpcSubnetVNIs"), "spec.vpcSubnetVNIs").items():
        for subnet, vni in parse._mapping(per_subnet, "spec.vpcSubnetVNIs.%s" % vpc).items():
            if isinstance(vni, int) and not isinstance(vni, bool):
                subnets[(str(vpc), str(subnet))] = vni
    return vpcs, subnets, externals


# -- the whole overlay, checked -------------------------------------------------------


def _check_vpcs(snapshot, model):
    """Drop VPCs whose namespaces are missing and subnets whose VLAN cannot be placed."""
    claims = {}
    for name in sorted(model.vpcs):
        vpc = model.vpcs[name]
        missing = [(what, ns, kind) for what, ns, known, kind in (
            ("ipv4Namespace", vpc.ipv4_namespace, model.ipv4_namespaces, "IPv4Namespace"),
            ("vlanNamespace", vpc.vlan_namespace, model.vlan_namespaces, "VLANNamespace")) if ns not in known]
        if missing:
            cause = "; ".join("spec.%s %r does not exist or was skipped" % m[:2] for m in missing)
            snapshot.problem("VPC", name, cause, quiet=all(snapshot.unread(m[2]) for m in missing))
            del model.vpcs[name]
            continue
        vlan_ns = model.vlan_namespaces[vpc.vlan_namespace]
        for subnet_name in sorted(vpc.subnets):
            subnet = vpc.subnets[subnet_name]
            label = "%s/%s" % (name, subnet_name)
            if subnet.host_bgp and not subnet.vlan:
                continue
            if not vlan_ns.holds(subnet.vlan):
                snapshot.problem("VPC", label, "VLAN %d is outside VLANNamespace %s; the subnet is skipped"
                                 % (subnet.vlan, vpc.vlan_namespace))
                del vpc.subnets[subnet_name]
                continue
            claims.setdefault((vpc.vlan_namespace, subnet.vlan), []).append((name, subnet_name))
    _contested_vlans(snapshot, model, claims)


def _contested_vlans(snapshot, model, claims):
    """A VLAN two subnets of one namespace claim: NetBox tells which subnet holds it; both are held."""
    for (namespace, vlan), subnets in sorted(claims.items()):
        if len(subnets) < 2:
            continue
        snapshot.contest("VLAN %d of VLANNamespace %s" % (vlan, namespace),
                         [("VPC", "%s/%s" % pair) for pair in subnets], slot=("vlan", (namespace, vlan)))
        for vpc, subnet in subnets:
            del model.vpcs[vpc].subnets[subnet]


def _attachment_cause(snapshot, model, attachment):
    """(why an attachment cannot be used, whether that was reported already, whether its VLANs are held).

    An attachment to a connection, VPC or subnet that was skipped holds the
    VLANs of its connection's ports; one to an object that left the fabric
    dangles and holds nothing. (None, False, False) when it can be used.
    """
    connection = snapshot.connections.get(attachment.connection)
    vpc = model.vpcs.get(attachment.vpc)
    if connection is None:
        return ("connection %s does not exist or was skipped" % attachment.connection,
                snapshot.withheld("Connection", attachment.connection),
                snapshot.skipped("Connection", attachment.connection))
    if not connection.supported:
        # The connection's own problem tells why; its VLANs stay as NetBox has them.
        return "connection %s is of a type this collection does not know" % attachment.connection, True, True
    if connection.type not in SERVER_TYPES:
        return ("connection %s is of type %s; only server connections take VPCs" % (connection.name, connection.type),
                False, True)
    if vpc is None:
        return ("VPC %s does not exist or was skipped" % attachment.vpc, snapshot.unread("VPC"),
                snapshot.skipped("VPC", attachment.vpc))
    if attachment.subnet not in vpc.subnets:
        label = "%s/%s" % (attachment.vpc, attachment.subnet)
        return ("VPC %s has no subnet %s (or it was skipped)" % (attachment.vpc, attachment.subnet),
                snapshot.withheld("VPC", label), snapshot.skipped("VPC", label))
    return None, False, False


def _check_attachments(snapshot, model):
    by_target = {}
    for name in sorted(model.attachments):
        attachment = model.attachments[name]
        cause, reported, holds = _attachment_cause(snapshot, model, attachment)
        if cause:
            snapshot.problem("VPCAttachment", name, cause, quiet=reported,
                             tokens=[(held.PORT_VLANS, attachment.connection)] if holds else [])
            del model.attachments[name]
            continue
        target = (attachment.connection, attachment.vpc, attachment.subnet)
        if target in by_target:
            # The same VLAN on the same connection twice: one of them is enough.
            snapshot.note("VPCAttachment", name, "attaches connection %s to %s/%s as %s does; it is attached once"
                          % (attachment.connection, attachment.vpc, attachment.subnet, by_target[target]))
            del model.attachments[name]
            continue
        by_target[target] = name
    _contested_native_vlans(snapshot, model)


def _contested_native_vlans(snapshot, model):
    """Two native VLANs on one connection: neither is taken, its VLANs stay as NetBox has them."""
    natives = {}
    for name in sorted(model.attachments):
        attachment = model.attachments[name]
        if attachment.native:
            natives.setdefault(attachment.connection, []).append(name)
    for connection, names in sorted(natives.items()):
        if len(names) < 2:
            continue
        snapshot.contest("the native VLAN of connection %s" % connection, [("VPCAttachment", n) for n in names],
                         tokens=[(held.PORT_VLANS, connection)])
        for name in names:
            del model.attachments[name]


def _check_externals(snapshot, model):
    for name in sorted(model.externals):
        if model.externals[name].ipv4_namespace not in model.ipv4_namespaces:
            snapshot.problem("External", name, "spec.ipv4Namespace %r does not exist or was skipped"
                             % model.externals[name].ipv4_namespace, quiet=snapshot.unread("IPv4Namespace"))
            del model.externals[name]
    claims = {}
    for name in sorted(model.external_attachments):
        attachment = model.external_attachments[name]
        connection = snapshot.connections.get(attachment.connection)
        cause, reported = None, False
        holds = True
        if attachment.external not in model.externals:
            cause = "External %s does not exist or was skipped" % attachment.external
            reported = snapshot.unread("External")
            # An attachment to an External that left the fabric goes with its VRF.
            holds = snapshot.skipped("External", attachment.external)
        elif connection is None:
            cause = "connection %s does not exist or was skipped" % attachment.connection
            reported = snapshot.withheld("Connection", attachment.connection)
        elif connection.type not in ("external", "staticExternal"):
            cause = "connection %s is of type %s, not external" % (connection.name, connection.type)
        if cause:
            snapshot.problem("ExternalAttachment", name, cause, quiet=reported, tokens=None if holds else [])
            del model.external_attachments[name]
            continue
        port = connection.links[0].a
        attachment.switch = port.device
        attachment.port = snapshot.interface_name(port)
        claims.setdefault((attachment.connection, attachment.vlan), []).append(name)
    _contested_external_vlans(snapshot, model, claims)


def _contested_external_vlans(snapshot, model, claims):
    for (connection, vlan), names in sorted(claims.items()):
        if len(names) < 2:
            continue
        first = model.external_attachments[names[0]]
        slot = ("subinterface", (first.switch, "%s.%d" % (first.port, vlan))) if vlan else None
        snapshot.contest("VLAN %d of connection %s" % (vlan, connection),
                         [("ExternalAttachment", n) for n in names], slot=slot)
        for name in names:
            del model.external_attachments[name]


def _check_peerings(snapshot, model):
    for name in sorted(model.peerings):
        peering = model.peerings[name]
        for kind, target in sorted(peering.sides):
            known = model.vpcs if kind == "vpc" else model.externals
            if target not in known:
                target_kind = "VPC" if kind == "vpc" else "External"
                # A side that left the fabric takes its entry along; one that was skipped keeps it as it is.
                snapshot.problem(peering.kind, name, "%s %s does not exist or was skipped; the peering is recorded "
                                 "on the other side only" % (target_kind, target), quiet=snapshot.unread(target_kind),
                                 tokens=None if snapshot.skipped(target_kind, target) else [])
                del peering.sides[(kind, target)]


def _check_gateways(snapshot, model):
    groups = set(model.gateway_groups)
    for name in sorted(snapshot.gateways):
        unknown = sorted(set(snapshot.gateways[name].groups) - groups)
        if unknown and groups:
            snapshot.note("Gateway", name, "spec.groups names unknown GatewayGroup(s) %s" % ", ".join(unknown))


def build_ipam(snapshot, data):
    """Parse and check the overlay kinds of a SourceData against the wiring snapshot."""
    model = IpamModel()
    model.vlan_namespaces = parse.parse_objects(snapshot, data, "VLANNamespace", parse_vlan_namespace)
    model.ipv4_namespaces = parse.parse_objects(snapshot, data, "IPv4Namespace", parse_ipv4_namespace)
    model.vpcs = parse.parse_objects(snapshot, data, "VPC", parse_vpc)
    model.attachments = parse.parse_objects(snapshot, data, "VPCAttachment", parse_attachment)
    model.externals = parse.parse_objects(snapshot, data, "External", parse_external)
    model.external_attachments = parse.parse_objects(snapshot, data, "ExternalAttachment", parse_external_attachment)
    for kind, parser in (("VPCPeering", parse_vpc_peering), ("ExternalPeering", parse_external_peering),
                         ("GatewayPeering", parse_gateway_peering)):
        for name, peering in parse.parse_objects(snapshot, data, kind, parser).items():
            if name in model.peerings:
                # Names are unique per kind only: keep both, told apart by kind.
                name = "%s %s" % (kind, name)
            model.peerings[name] = peering
    model.gateway_groups = sorted(parse.parse_objects(snapshot, data, "GatewayGroup", lambda obj: True))

    for obj in data.items("Catalog"):
        if parse.name_of(obj) != "vpcs":
            continue
        try:
            vpc_vnis, subnet_vnis, external_vnis = catalog_vnis(obj)
        except BadObject as exc:
            snapshot.problem("Catalog", "vpcs", str(exc))
            continue
        for name, vpc in model.vpcs.items():
            vpc.vni = vpc_vnis.get(name)
            for subnet_name, subnet in vpc.subnets.items():
                subnet.vni = subnet_vnis.get((name, subnet_name))
        for name, external in model.externals.items():
            external.vni = external_vnis.get(name)

    for obj in data.items("DHCPSubnet"):
        try:
            model.leases.extend(parse_dhcp_leases(obj))
        except BadObject as exc:
            snapshot.problem("DHCPSubnet", parse.name_of(obj) or "(unnamed)", str(exc))

    _check_vpcs(snapshot, model)
    _check_attachments(snapshot, model)
    _check_externals(snapshot, model)
    _check_peerings(snapshot, model)
    _check_gateways(snapshot, model)
    return model
