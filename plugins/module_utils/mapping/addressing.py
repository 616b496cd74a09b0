# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot -> desired underlay addressing: ASNs, management and loopback IPs, /31 link prefixes."""

from __future__ import annotations

import ipaddress

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.dcim import (
    MANAGEMENT_PORT,
    PROTOCOL_LOOPBACK,
    VTEP_LOOPBACK,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import (
    Desired,
    Ref,
    slugify,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import underlay_vrf, vrf_ref

RIR_SLUG = "private-asn"
# Connection types whose links carry point-to-point addresses.
ADDRESSED_TYPES = ("fabric", "mesh", "gateway")


def add_asns(state, snapshot):
    """ASNs are shared: spines of every fabric often use the same one (65100)."""
    asns = set(switch.asn for switch in snapshot.switches.values() if switch.asn)
    asns.update(gateway.asn for gateway in snapshot.gateways.values() if gateway.asn)
    if not asns:
        return
    state.add(Desired("rir", RIR_SLUG, {"name": "Private ASN (RFC 6996)", "slug": RIR_SLUG, "is_private": True}))
    for asn in sorted(asns):
        state.add(Desired("asn", asn, {"asn": asn, "rir": Ref("rir", RIR_SLUG)}))


def _ip(state, address, device, interface, description, role=None, vrf=None):
    fields = {
        "address": address,
        "vrf": vrf_ref(vrf),
        "status": "active",
        "assigned_object_type": "dcim.interface",
        "assigned_object_id": Ref("interface", (device, interface)),
        "description": description,
    }
    if role is not None:
        fields["role"] = role
    return state.add(Desired("ip_address", (vrf, address), fields, label="IP %s on %s %s" % (address, device, interface)))


def add_switch_ips(state, snapshot, config):
    vrf = underlay_vrf(config)
    for name in sorted(snapshot.switches):
        switch = snapshot.switches[name]
        # Unhydrated wiring has none of these yet; they land once the wiring or the live fabric has them.
        if switch.ip:
            _ip(state, switch.ip, name, MANAGEMENT_PORT, "%s management" % name, vrf=vrf)
        if switch.protocol_ip:
            _ip(state, switch.protocol_ip, name, PROTOCOL_LOOPBACK, "%s protocol IP" % name, role="loopback",
                vrf=vrf)
        if switch.vtep_ip and state.get("ip_address", (vrf, switch.vtep_ip)) is None:
            # A legacy MCLAG pair shares one VTEP IP; NetBox puts an IP on one
            # interface, so it lands on the first switch of the pair (by name).
            _ip(state, switch.vtep_ip, name, VTEP_LOOPBACK, "%s VTEP IP" % name, role="vip", vrf=vrf)
    for name in sorted(snapshot.gateways):
        gateway = snapshot.gateways[name]
        if gateway.protocol_ip:
            _ip(state, gateway.protocol_ip, name, PROTOCOL_LOOPBACK, "%s protocol IP" % name, role="loopback",
                vrf=vrf)
        if gateway.vtep_ip:
            _ip(state, gateway.vtep_ip, name, VTEP_LOOPBACK, "%s VTEP IP" % name, role="vip", vrf=vrf)
        for if_name in sorted(gateway.interfaces):
            for address in gateway.interfaces[if_name].ips:
                _ip(state, address, name, if_name, "%s %s" % (name, if_name), vrf=vrf)


def add_link_addresses(state, snapshot, config):
    """Each addressed link: a /31 (or whatever length the fabric uses) prefix and its two IPs."""
    vrf = underlay_vrf(config)
    for name in sorted(snapshot.connections):
        connection = snapshot.connections[name]
        if connection.type not in ADDRESSED_TYPES:
            continue
        for link in connection.links:
            ends = [end for end in (link.a, link.b) if end is not None and end.ip]
            for end in ends:
                interface = snapshot.interface_name(end)
                known = state.get("ip_address", (vrf, end.ip))
                # A gateway lists its link IPs on its interfaces too: that is the same IP, not a clash.
                if known is None or known.fields["assigned_object_id"] != Ref("interface", (end.device, interface)):
                    _ip(state, end.ip, end.device, interface, name, vrf=vrf)
            if ends:
                network = str(ipaddress.ip_interface(ends[0].ip).network)
                state.add(Desired("prefix", (vrf, network), {
                    "prefix": network,
                    "vrf": vrf_ref(vrf),
                    "status": "active",
                    "scope_type": "dcim.site",
                    "scope_id": Ref("site", slugify(config.site)),
                    "description": name,
                }, label="prefix %s (%s)" % (network, name)))
