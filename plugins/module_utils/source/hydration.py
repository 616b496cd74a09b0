# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hydration of wiring as hhfab writes it: whether its addresses are set, and hhfab's plan for them.

``hhfab vlab gen`` and hand-written wiring carry no switch ASNs, management,
protocol or VTEP IPs and no link IPs; ``hhfab build`` assigns them in memory
("hydration"). Facts from githedgehog/fabricator (``pkg/hhfab/hydrate.go``,
``pkg/fab/defaults.go``; no code of theirs): hydration counts, per control node
and FabNode its management IP, per switch ``ip``, ``protocolIP``, ``asn`` and
(leaves) ``vtepIP``, per fabric, mesh and gateway link both IPs, per gateway
``asn``, ``protocolIP`` and ``vtepIP``. None set is unhydrated, all set is
hydrated, anything between is refused ("wiring is already partially hydrated").

Its default plan, used by :func:`hydrate`: management IPs from the control VIP
+ 4 (control nodes by name, then FabNodes by name, then switches); switches in
the order spines first, then by role name, then by name, each with the next
management IP and the next protocol ``/32``; spines the spine ASN, leaves the
next leaf ASN and the next VTEP ``/32`` (the second switch of an MCLAG group
shares the first's ASN and VTEP); link ``/31``s from the fabric subnet, the
connections by name; gateways by name after the switches.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import LEAF_ROLES

NONE = "none"
FULL = "full"
PARTIAL = "partial"
# Unhydrated wiring that this source hydrated with hhfab's plan.
PLANNED = "planned"

NODE_KINDS = ("ControlNode", "FabNode")
SWITCH_ROLES = ("spine",) + LEAF_ROLES
# The ends of a link that carry IPs, in the order hydration numbers them.
LINK_SIDES = {"fabric": ("spine", "leaf"), "mesh": ("leaf1", "leaf2"), "gateway": ("switch", "gateway")}

# pkg/fab/defaults.go: the plan when fab.yaml does not set a value.
DEFAULT_PLAN = {
    "managementSubnet": "172.30.0.0/21",
    "controlVIP": "172.30.0.1/32",
    "protocolSubnet": "172.30.8.0/22",
    "vtepSubnet": "172.30.12.0/22",
    "fabricSubnet": "172.30.128.0/17",
    "spineASN": 65100,
    "leafASNStart": 65101,
    "leafASNEnd": 65533,
    "gatewayASN": 65534,
}
# The first node's management address is the control VIP + 4 (hhfab keeps the ones between).
MANAGEMENT_OFFSET = 4
GATEWAY_LINK_MTU = 9100
GATEWAY_VTEP_MTU = 9036
GATEWAY_VTEP_MAC = "CA:FE:BA:BE:01:%02x"


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def _name(obj):
    return str(_dict(obj.get("metadata")).get("name") or "(unnamed)")


def _link_ends(link, ctype):
    """The IP-carrying ends of one link as (side, end dict); a gateway link's switch side was once ``spine``."""
    link = _dict(link)
    ends = []
    for side in LINK_SIDES[ctype]:
        end = link.get(side)
        if end is None and ctype == "gateway" and side == "switch":
            end = link.get("spine")
        ends.append((side, _dict(end)))
    return ends


def _addressed_links(connection):
    """(type, links) of a fabric, mesh or gateway connection, else (None, [])."""
    spec = _dict(connection.get("spec"))
    for ctype in LINK_SIDES:
        if isinstance(spec.get(ctype), dict):
            return ctype, _list(spec[ctype].get("links"))
    return None, []


def hydration_fields(nodes, data):
    """(present, missing): every value hhfab's hydration counts, as (kind, name, field)."""
    present, missing = [], []

    def count(key, value):
        (present if value else missing).append(key)

    for node in nodes:
        management = _dict(_dict(node.get("spec")).get("management"))
        count((node.get("kind"), _name(node), "management.ip"), management.get("ip"))
    for switch in data.items("Switch"):
        spec = _dict(switch.get("spec"))
        fields = ("ip", "protocolIP", "asn") + (("vtepIP",) if spec.get("role") in LEAF_ROLES else ())
        for field in fields:
            count(("Switch", _name(switch), field), spec.get(field))
    for connection in data.items("Connection"):
        ctype, links = _addressed_links(connection)
        for index, link in enumerate(links):
            for side, end in _link_ends(link, ctype) if ctype else ():
                count(("Connection", _name(connection), "links[%d].%s.ip" % (index, side)), end.get("ip"))
    for gateway in data.items("Gateway"):
        spec = _dict(gateway.get("spec"))
        for field in ("asn", "protocolIP", "vtepIP"):
            count(("Gateway", _name(gateway), field), spec.get(field))
    return present, missing


def status(present, missing):
    if not missing:
        return FULL
    return PARTIAL if present else NONE


# Objects named in the message of partly hydrated wiring; the error's details list them all.
LISTED_OBJECTS = 20


def describe(keys, limit=LISTED_OBJECTS):
    """``Switch leaf-02 lacks ip, protocolIP; ...``: the fields grouped per object, in the order found."""
    grouped = {}
    for kind, name, field in keys:
        grouped.setdefault((kind, name), []).append(field)
    listed = ["%s %s lacks %s" % (kind, name, ", ".join(fields)) for (kind, name), fields in grouped.items()]
    if len(listed) > limit:
        listed = listed[:limit] + ["and %d more objects" % (len(listed) - limit)]
    return "; ".join(listed)


def check(nodes, data, fabric=None):
    """``none`` or ``full``; partly hydrated wiring raises SourceError naming what lacks which value."""
    present, missing = hydration_fields(nodes, data)
    found = status(present, missing)
    if found == PARTIAL:
        raise SourceError(
            "the wiring is partly hydrated, which hhfab refuses too: %s. Set every switch, link and gateway "
            "address and ASN (as hhfab build assigns them, or from the live fabric) or none of them"
            % describe(missing), fabric=fabric,
            details={"missing": ["%s %s %s" % key for key in missing], "present": len(present)})
    return found


# ---------------------------------------------------------------------------------------------
# hhfab's default plan
# ---------------------------------------------------------------------------------------------


class _Pool:
    """Consecutive addresses of a subnet from a start, one per use."""

    def __init__(self, subnet, start, what, fabric):
        self.subnet = subnet
        self.address = start
        self.what = what
        self.fabric = fabric

    def take(self, step=1):
        taken = self.address
        if taken not in self.subnet:
            raise SourceError("hydration ran out of %s addresses in %s" % (self.what, self.subnet), fabric=self.fabric)
        self.address += step
        return taken


class _Plan:
    """The fabricator's config that hydration reads: DEFAULT_PLAN under what fab.yaml sets."""

    def __init__(self, fabricator, fabric):
        config = _dict(_dict(fabricator.get("spec")).get("config"))
        sections = {"control": _dict(config.get("control")), "fabric": _dict(config.get("fabric"))}
        gateway = _dict(config.get("gateway"))

        def value(section, key):
            return sections[section].get(key) or DEFAULT_PLAN[key]

        try:
            self.management = ipaddress.ip_network(value("control", "managementSubnet"))
            self.control_vip = ipaddress.ip_interface(value("control", "controlVIP")).ip
            self.protocol = ipaddress.ip_network(value("fabric", "protocolSubnet"))
            self.vtep = ipaddress.ip_network(value("fabric", "vtepSubnet"))
            self.links = ipaddress.ip_network(value("fabric", "fabricSubnet"))
            self.spine_asn = int(value("fabric", "spineASN"))
            self.leaf_asn_start = int(value("fabric", "leafASNStart"))
            self.leaf_asn_end = int(value("fabric", "leafASNEnd"))
            self.gateway_asn = int(gateway.get("asn") or DEFAULT_PLAN["gatewayASN"])
        except (TypeError, ValueError) as exc:
            raise SourceError("fab.yaml: the Fabricator's address plan is not usable: %s" % exc, fabric=fabric) from exc
        if self.control_vip != self.management.network_address + 1:
            raise SourceError("fab.yaml: control VIP %s is not the first address of the management subnet %s"
                              % (self.control_vip, self.management), fabric=fabric)


def hydrate(fab_objects, data, fabric=None):
    """Give unhydrated wiring (in ``data``, edited in place) the addresses and ASNs hhfab assigns by default."""
    fabricator = next((obj for obj in fab_objects if obj.get("kind") == "Fabricator"), None)
    if fabricator is None:
        raise SourceError("fab.yaml has no Fabricator, whose config hydration needs", fabric=fabric)
    plan = _Plan(fabricator, fabric)
    nodes = [obj for obj in fab_objects if obj.get("kind") in NODE_KINDS]
    management = _Pool(plan.management, plan.control_vip + MANAGEMENT_OFFSET, "management", fabric)
    for _node in _node_order(nodes):
        management.take()  # the nodes come first; their addresses are not part of the fabric's wiring
    protocol = _Pool(plan.protocol, plan.protocol.network_address, "protocol", fabric)
    vtep = _Pool(plan.vtep, plan.vtep.network_address, "VTEP", fabric)
    asns = _hydrate_switches(plan, data.items("Switch"), management, protocol, vtep, fabric)
    gateways = dict((_name(obj), obj) for obj in data.items("Gateway"))
    _hydrate_links(plan, data.items("Connection"), gateways, asns, fabric)
    _hydrate_gateways(plan, gateways, protocol, vtep)


def _node_order(nodes):
    controls = sorted((n for n in nodes if n.get("kind") == "ControlNode"), key=_name)
    return controls + sorted((n for n in nodes if n.get("kind") == "FabNode"), key=_name)


def _switch_order(switch):
    role = str(_dict(switch.get("spec")).get("role") or "")
    return (role != "spine", role, _name(switch))


def _hydrate_switches(plan, switches, management, protocol, vtep, fabric):
    next_leaf_asn = plan.leaf_asn_start
    mclag_first = {}
    asns = {}
    for switch in sorted(switches, key=_switch_order):
        spec, name = _dict(switch.get("spec")), _name(switch)
        role = spec.get("role")
        if role not in SWITCH_ROLES:
            raise SourceError("cannot hydrate switch %s: role %r is not one of %s"
                              % (name, role, ", ".join(SWITCH_ROLES)), fabric=fabric)
        spec["ip"] = "%s/%d" % (management.take(), plan.management.prefixlen)
        spec["protocolIP"] = "%s/32" % protocol.take()
        if role == "spine":
            spec["asn"] = plan.spine_asn
        redundancy = _dict(spec.get("redundancy"))
        group = redundancy.get("group")
        if redundancy.get("type") == "mclag" and group in mclag_first:
            spec["asn"], spec["vtepIP"] = mclag_first[group]["asn"], mclag_first[group]["vtepIP"]
        elif role in LEAF_ROLES:
            if next_leaf_asn > plan.leaf_asn_end:
                raise SourceError("hydration ran out of leaf ASNs (%d-%d)" % (plan.leaf_asn_start, plan.leaf_asn_end),
                                  fabric=fabric)
            spec["asn"], spec["vtepIP"] = next_leaf_asn, "%s/32" % vtep.take()
            next_leaf_asn += 1
            if redundancy.get("type") == "mclag":
                mclag_first[group] = spec
        switch["spec"] = spec
        asns[name] = spec.get("asn")
    return asns


def _hydrate_links(plan, connections, gateways, asns, fabric):
    addresses = _Pool(plan.links, plan.links.network_address, "fabric link", fabric)
    for connection in sorted(connections, key=_name):
        ctype, links = _addressed_links(connection)
        for link in links:
            ends = _link_ends(link, ctype)
            for _side, end in ends:
                end["ip"] = "%s/31" % addresses.take()
            if ctype == "gateway":
                _hydrate_gateway_link(dict(ends), gateways, asns, fabric)


def _hydrate_gateway_link(ends, gateways, asns, fabric):
    gateway, _sep, interface = str(ends["gateway"].get("port") or "").partition("/")
    spec = _dict(gateways.get(gateway, {}).get("spec"))
    interfaces = _dict(spec.get("interfaces"))
    if interface not in interfaces:
        raise SourceError("cannot hydrate gateway link %s: gateway %s has no interface %s"
                          % (ends["gateway"].get("port"), gateway, interface), fabric=fabric)
    if not isinstance(interfaces[interface], dict):
        interfaces[interface] = {}
    interfaces[interface].update(ips=[ends["gateway"]["ip"]], mtu=GATEWAY_LINK_MTU)
    switch = str(ends["switch"].get("port") or "").partition("/")[0]
    neighbors = spec.setdefault("neighbors", [])
    neighbors.append({"source": interface, "ip": ends["switch"]["ip"].split("/")[0], "asn": asns.get(switch)})


def _hydrate_gateways(plan, gateways, protocol, vtep):
    for index, name in enumerate(sorted(gateways), start=1):
        spec = gateways[name].setdefault("spec", {})
        spec.update(asn=plan.gateway_asn, protocolIP="%s/32" % protocol.take(), vtepIP="%s/32" % vtep.take(),
                    vtepMAC=GATEWAY_VTEP_MAC % index, vtepMTU=GATEWAY_VTEP_MTU)
