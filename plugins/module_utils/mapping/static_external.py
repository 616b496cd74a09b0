# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``staticExternal`` connections: the switch's address, its next hop and the subnets routed through it.

The address goes on the switch port, or on a subinterface ``<port>.<vlan>``
when the connection names a VLAN; it, its network, the next hop and every
routed subnet live in the VPC's VRF when the connection is ``withinVPC``, in
the switch's default VRF otherwise: the fabric's underlay VRF (or the global
table, when ``underlay_vrf`` says so). NetBox has no static route: each subnet is a
prefix whose description names the next hop.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ipam import _address, _prefix
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, Ref, slugify
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import underlay_vrf
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem


def add_static_externals(state, snapshot, config):
    site = Ref("site", slugify(config.site))
    for name in sorted(snapshot.connections):
        connection = snapshot.connections[name]
        if connection.type == "staticExternal" and connection.static_external is not None:
            _static_external(state, snapshot, config, connection, site)


def _vpc_of(state, snapshot, connection):
    """The VPC the connection is within (its VRF's name), None for the switch's default VRF; False when unusable."""
    vpc = connection.static_external.within_vpc
    if not vpc:
        return None
    if snapshot.ipam is None or vpc not in snapshot.ipam.vpcs:
        state.problems.append(Problem("Connection", connection.name,
                                      "withinVPC names VPC %s, which does not exist or was skipped" % vpc))
        return False
    return vpc


def _static_external(state, snapshot, config, connection, site):
    static = connection.static_external
    vpc = _vpc_of(state, snapshot, connection)
    if vpc is False:
        return
    end = connection.links[0].a
    switch, port = end.device, snapshot.interface_name(end)
    where = "%s: static external" % connection.name
    assigned = Ref("interface", (switch, port))
    if static.vlan:
        key = (switch, "%s.%d" % (port, static.vlan))
        state.add(Desired("subinterface", key, {
            "device": Ref("device", switch), "name": key[1], "type": "virtual", "parent": assigned,
            "vrf": Ref("vrf", vpc) if vpc else None, "mode": None, "untagged_vlan": None, "enabled": True,
            "description": ("%s, VLAN %d" % (where, static.vlan))[:200],
            "custom_fields": {"hedgehog_connection": connection.name},
        }, label="subinterface %s %s" % key))
        assigned = Ref("subinterface", key)
    if not static.ip:
        return
    vrf = vpc or underlay_vrf(config)
    network = ipaddress.ip_interface(static.ip).network
    _address(state, vrf, static.ip, where, assigned=assigned)
    if network.prefixlen < network.max_prefixlen:
        _prefix_in(state, vrf, str(network), site, where)
    if static.next_hop:
        _address(state, vrf, "%s/%d" % (static.next_hop, network.prefixlen), "%s: next hop" % connection.name)
    for subnet in static.subnets:
        routed = ipaddress.ip_network(subnet, strict=False)
        if routed.prefixlen == 0:
            continue  # NetBox takes no /0
        via = static.next_hop or "the link"
        _prefix_in(state, vrf, str(routed), site, "%s: routed via %s" % (connection.name, via))


def _prefix_in(state, vrf, prefix, site, description):
    """A prefix in the VRF, or in the global table (where ``ipam._prefix`` puts none)."""
    if vrf:
        return _prefix(state, vrf, prefix, site, description)
    return state.add(Desired("prefix", (None, prefix), {
        "prefix": prefix, "vrf": None, "status": "active", "scope_type": "dcim.site", "scope_id": site,
        "description": description[:200],
    }, label="prefix %s (%s)" % (prefix, description)))
