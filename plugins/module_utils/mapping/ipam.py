# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot -> desired overlay objects: VLAN groups, VRFs, VLANs, prefixes, IP ranges, IPs, subinterfaces.

VLAN groups are scoped to the fabric's cluster, so the fabric's devices can
use their VLANs and two fabrics' ``default`` namespaces stay apart. VRFs carry
the VPC's and External's facts that NetBox has no field for (mode, VNI,
isolation, permit lists, static routes, peerings) in custom fields.
VLANs on switch ports and LAGs are fields of the DCIM half's desired ports:
see ``port_vlans``.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import (
    Desired,
    Ref,
    short_name,
    slugify,
    tenant_ref,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import (
    namespace_vrf,
    underlay_vrf,
    vrf_ref,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.ipam import EXTERNAL_PREFIX
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem

# NetBox's own check of IPAddress.dns_name.
_DNS_NAME = re.compile(r"^([0-9A-Za-z_-]+|\*)(\.[0-9A-Za-z_-]+)*\.?$")
ALL_VLANS = [[1, 4094]]


def vlan_group_name(fabric, namespace):
    return short_name("%s/%s" % (fabric, namespace), 100)


def external_vrf(name):
    """The VRF of an External, named as the gateway API names Externals, so it never clashes with a VPC."""
    return EXTERNAL_PREFIX + name


def vlan_key(fabric, namespace, vid):
    return (vlan_group_name(fabric, namespace), vid)


def port_vlans(snapshot, connection):
    """The 802.1Q fields of a switch port or LAG that serves ``connection``.

    Tagged VLANs for the attached subnets, the native one untagged; a port
    with no attachment gets the cleared fields, so a detached VLAN leaves it.
    """
    fields = {"mode": None, "untagged_vlan": None, "tagged_vlans": []}
    model = snapshot.ipam
    if model is None:
        return fields
    native, tagged = None, []
    for attachment in model.attachments_of(connection.name):
        vpc = model.vpcs[attachment.vpc]
        subnet = vpc.subnets[attachment.subnet]
        if not subnet.vlan:
            continue  # host BGP subnets are routed, with no VLAN
        ref = Ref("vlan", vlan_key(snapshot.fabric, vpc.vlan_namespace, subnet.vlan))
        if attachment.native:
            native = ref
        else:
            tagged.append(ref)
    if tagged:
        fields.update(mode="tagged", untagged_vlan=native, tagged_vlans=sorted(set(tagged), key=lambda r: r.key))
    elif native is not None:
        fields.update(mode="access", untagged_vlan=native)
    return fields


def add_ipam(state, snapshot, config):
    model = snapshot.ipam
    if model is None:
        return
    site = Ref("site", slugify(config.site))
    peerings = _peerings_by_vrf(model)
    for name in sorted(model.vlan_namespaces):
        namespace = model.vlan_namespaces[name]
        _vlan_group(state, config, name, [[low, high] for low, high in namespace.ranges],
                    "VLANNamespace %s" % name, {"hedgehog_vlan_namespace": name})
    _containers(state, config, model, site)
    for name in sorted(model.vpcs):
        _vpc(state, snapshot, config, model.vpcs[name], site, peerings.get(name))
    for name in sorted(model.externals):
        _external(state, config, model.externals[name], site, peerings.get(external_vrf(name)))
    for name in sorted(model.external_attachments):
        _external_attachment(state, config, model.external_attachments[name], site)
    if config.dhcp_leases:
        _leases(state, config, model)


def _tenant(fields, config):
    fields["tenant"] = tenant_ref(config)
    return fields


def _vlan_group(state, config, namespace, ranges, description, custom_fields):
    name = vlan_group_name(config.fabric, namespace)
    return state.add(Desired("vlan_group", name, {
        "name": name,
        "slug": slugify(name),
        "scope_type": "virtualization.cluster",
        "scope_id": Ref("cluster", config.fabric),
        "vid_ranges": ranges,
        "description": description,
        "custom_fields": custom_fields,
    }, label="VLAN group %s" % name))


def _containers(state, config, model, site):
    """One container prefix per IPv4Namespace subnet, in the namespace's VRF.

    Namespaces that share a VRF (the global table, or one the user names) and
    reuse a subnet share its container.
    """
    owners = {}
    for name, namespace in model.ipv4_namespaces.items():
        vrf = namespace_vrf(config, name)
        for subnet in namespace.subnets:
            owners.setdefault((vrf, str(ipaddress.ip_network(subnet))), set()).add(name)
    for vrf, prefix in sorted(owners, key=lambda key: (key[0] or "", ipaddress.ip_network(key[1]))):
        names = sorted(owners[(vrf, prefix)])
        state.add(Desired("prefix", (vrf, prefix), {
            "prefix": prefix,
            "vrf": vrf_ref(vrf),
            "status": "container",
            "scope_type": "dcim.site",
            "scope_id": site,
            "description": "IPv4Namespace %s" % ", ".join(names),
            "custom_fields": {"hedgehog_ipv4_namespace": ",".join(names)},
        }, label="prefix %s (IPv4Namespace %s)" % (prefix, ", ".join(names))))


def _peerings_by_vrf(model):
    found = {}
    for peering in model.peerings.values():
        for (kind, target), entry in peering.sides.items():
            vrf = target if kind == "vpc" else external_vrf(target)
            found.setdefault(vrf, []).append(entry)
    return dict((vrf, sorted(entries, key=lambda e: (e["name"], e["kind"]))) for vrf, entries in found.items())


def _vrf(state, config, name, description, custom_fields):
    fields = {"name": name, "description": description, "enforce_unique": True, "custom_fields": custom_fields}
    return state.add(Desired("vrf", name, _tenant(fields, config), label="VRF %s" % name))


def _vpc(state, snapshot, config, vpc, site, peerings):
    _vrf(state, config, vpc.name, "VPC %s" % vpc.name, {
        "hedgehog_vpc_mode": vpc.mode,
        "hedgehog_vni": vpc.vni,
        "hedgehog_ipv4_namespace": vpc.ipv4_namespace,
        "hedgehog_vlan_namespace": vpc.vlan_namespace,
        "hedgehog_vrf_spec": {
            "default_isolated": vpc.default_isolated,
            "default_restricted": vpc.default_restricted,
            "permit": vpc.permit,
            "static_routes": vpc.static_routes,
        },
        "hedgehog_peerings": peerings or None,
    })
    vrf = Ref("vrf", vpc.name)
    for subnet_name in sorted(vpc.subnets):
        subnet = vpc.subnets[subnet_name]
        label = "%s/%s" % (vpc.name, subnet_name)
        vlan = None
        if subnet.vlan:
            key = vlan_key(snapshot.fabric, vpc.vlan_namespace, subnet.vlan)
            state.add(Desired("vlan", key, {
                "group": Ref("vlan_group", key[0]),
                "vid": subnet.vlan,
                "name": short_name(label, 64),
                "status": "active",
                "description": "VPC subnet %s" % label,
                "custom_fields": {"hedgehog_vni": subnet.vni},
            }, label="VLAN %d %s" % (subnet.vlan, label)))
            vlan = Ref("vlan", key)
        state.add(Desired("prefix", (vpc.name, subnet.cidr), {
            "prefix": subnet.cidr,
            "vrf": vrf,
            "status": "active",
            "scope_type": "dcim.site",
            "scope_id": site,
            "vlan": vlan,
            "description": label,
            "custom_fields": {"hedgehog_subnet": _subnet_facts(vpc, subnet)},
        }, label="prefix %s (%s)" % (subnet.cidr, label)))
        if subnet.gateway:
            _address(state, vpc.name, subnet.with_length(subnet.gateway), "%s gateway" % label, role="anycast")
        dhcp = subnet.dhcp
        if dhcp.enable and dhcp.start and dhcp.end:
            state.add(Desired("ip_range", (vpc.name, subnet.cidr), {
                "start_address": subnet.with_length(dhcp.start),
                "end_address": subnet.with_length(dhcp.end),
                "vrf": vrf,
                "status": "active",
                "description": "%s DHCP range" % label,
            }, label="IP range %s-%s (%s)" % (dhcp.start, dhcp.end, label)))
        for mac in sorted(dhcp.static):
            _address(state, vpc.name, subnet.with_length(dhcp.static[mac]), "%s static DHCP lease for %s" % (label, mac),
                     status="reserved", custom_fields={"hedgehog_mac": mac})


def _subnet_facts(vpc, subnet):
    dhcp = subnet.dhcp
    facts = {
        "vni": subnet.vni,
        "isolated": vpc.default_isolated if subnet.isolated is None else subnet.isolated,
        "restricted": vpc.default_restricted if subnet.restricted is None else subnet.restricted,
        "host_bgp": subnet.host_bgp,
        "dhcp": {"enable": dhcp.enable, "relay": dhcp.relay or None, "relay_vpc": dhcp.relay_vpc or None,
                 "options": dhcp.options or None},
    }
    if subnet.host_bgp_prefix_lengths:
        facts["host_bgp_prefix_lengths"] = subnet.host_bgp_prefix_lengths
    return facts


def _address(state, vrf, address, description, status="active", role=None, assigned=None, custom_fields=None,
             dns_name=None):
    fields = {"address": address, "vrf": Ref("vrf", vrf) if vrf else None, "status": status,
              "description": description}
    if role is not None:
        fields["role"] = role
    if assigned is not None:
        fields["assigned_object_type"] = "dcim.interface"
        fields["assigned_object_id"] = assigned
    if custom_fields:
        fields["custom_fields"] = custom_fields
    if dns_name is not None:
        fields["dns_name"] = dns_name
    where = " in VRF %s" % vrf if vrf else ""
    return state.add(Desired("ip_address", (vrf or None, address), fields, label="IP %s%s" % (address, where)))


def _external(state, config, external, site, peerings):
    name = external_vrf(external.name)
    _vrf(state, config, name, "External %s" % external.name, {
        "hedgehog_vpc_mode": None,
        "hedgehog_vni": external.vni,
        "hedgehog_ipv4_namespace": external.ipv4_namespace,
        "hedgehog_vlan_namespace": None,
        "hedgehog_vrf_spec": {
            "inbound_community": external.inbound_community or None,
            "outbound_community": external.outbound_community or None,
            "static_prefixes": external.static_prefixes,
        },
        "hedgehog_peerings": peerings or None,
    })
    for prefix in external.static_prefixes:
        network = ipaddress.ip_network(prefix)
        if network.prefixlen == 0:
            continue  # NetBox takes no /0; the default route stays in hedgehog_vrf_spec
        _prefix(state, name, str(network), site, "External %s static prefix" % external.name)


def _prefix(state, vrf, prefix, site, description):
    return state.add(Desired("prefix", (vrf, prefix), {
        "prefix": prefix,
        "vrf": Ref("vrf", vrf),
        "status": "active",
        "scope_type": "dcim.site",
        "scope_id": site,
        "description": description,
    }, label="prefix %s (%s)" % (prefix, description)))


def _external_attachment(state, config, attachment, site):
    vrf = external_vrf(attachment.external)
    where = "%s: External %s" % (attachment.name, attachment.external)
    assigned = Ref("interface", (attachment.switch, attachment.port))
    if attachment.vlan:
        group = vlan_group_name(config.fabric, vrf)
        _vlan_group(state, config, vrf, ALL_VLANS, "VLANs of External %s" % attachment.external, {})
        state.add(Desired("vlan", (group, attachment.vlan), {
            "group": Ref("vlan_group", group),
            "vid": attachment.vlan,
            "name": short_name("%s/%d" % (attachment.external, attachment.vlan), 64),
            "status": "active",
            "description": "External %s" % attachment.external,
            "custom_fields": {"hedgehog_vni": None},
        }, label="VLAN %d of External %s" % (attachment.vlan, attachment.external)))
        name = "%s.%d" % (attachment.port, attachment.vlan)
        key = (attachment.switch, name)
        state.add(Desired("subinterface", key, {
            "device": Ref("device", attachment.switch),
            "name": name,
            "type": "virtual",
            "parent": Ref("interface", (attachment.switch, attachment.port)),
            "vrf": Ref("vrf", vrf),
            "mode": "access",
            "untagged_vlan": Ref("vlan", (group, attachment.vlan)),
            "enabled": True,
            "description": where,
            "custom_fields": {"hedgehog_external_attachment": attachment.name},
        }, label="subinterface %s %s" % key))
        assigned = Ref("subinterface", key)
    if attachment.ip:
        interface = ipaddress.ip_interface(attachment.ip)
        _address(state, vrf, attachment.ip, where, assigned=assigned)
        network = str(interface.network)
        # A static External often lists its attachment's own subnet as a static prefix: one prefix, the External's.
        if interface.network.prefixlen < interface.max_prefixlen and state.get("prefix", (vrf, network)) is None:
            _prefix(state, vrf, network, site, where)
        if attachment.neighbor_ip:
            _neighbour(state, vrf, attachment, where, interface.network.prefixlen)


def _neighbour(state, vrf, attachment, where, prefixlen):
    """The peer's address; attachments of several switches on one segment may share one peer."""
    asn = attachment.neighbor_asn
    address = "%s/%d" % (attachment.neighbor_ip, prefixlen)
    custom_fields = {"hedgehog_peer_asn": asn} if asn else None
    known = state.get("ip_address", (vrf, address))
    if known is not None and known.fields.get("custom_fields") == custom_fields:
        return
    text = "%s: neighbour%s" % (where, " AS %d" % asn if asn else "")
    _address(state, vrf, address, text, custom_fields=custom_fields)


def _leases(state, config, model):
    """DHCP leases as IPs with status dhcp; a static lease or a gateway at the same address wins."""
    for lease in sorted(model.leases, key=lambda l: (l.vpc, ipaddress.ip_interface(l.address))):
        if lease.vpc and lease.vpc not in model.vpcs:
            state.problems.append(Problem.about("ip_address", "DHCP lease %s (%s)" % (lease.address, lease.subnet),
                                                "VPC %s does not exist or was skipped" % lease.vpc))
            continue
        # Management leases are underlay addresses.
        vrf = lease.vpc or underlay_vrf(config)
        if state.get("ip_address", (vrf, lease.address)) is not None:
            continue
        hostname = lease.hostname if _DNS_NAME.match(lease.hostname or "") else ""
        _address(state, vrf, lease.address, "%s DHCP lease for %s" % (lease.subnet, lease.mac), status="dhcp",
                 custom_fields={"hedgehog_mac": lease.mac}, dns_name=hostname)
