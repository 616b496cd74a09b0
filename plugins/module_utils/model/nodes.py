# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes around the switches: control nodes and FabNodes (gateway nodes), from fabricator's objects.

Only their names, roles and interfaces are read; the Fabricator's own spec
(users, password hashes, keys) never is.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import (
    BadObject,
    _list,
    _mapping,
    _text,
    name_of,
    spec_of,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import FabricNode, NodeInterface

# A control node's external interface may take its address from DHCP.
DHCP = "dhcp"


def _interface(spec, key, path):
    """``{interface, ip}`` -> NodeInterface; an empty or DHCP address is no address."""
    body = _mapping(spec.get(key), "%s.%s" % (path, key))
    name = _text(body, "interface", "%s.%s" % (path, key))
    address = _text(body, "ip", "%s.%s" % (path, key))
    if address.lower() == DHCP:
        address = ""
    if address:
        try:
            ipaddress.ip_interface(address)
        except ValueError as exc:
            raise BadObject("%s.%s.ip is not an IP address with prefix length: %r" % (path, key, address)) from exc
        if "/" not in address:
            raise BadObject("%s.%s.ip needs a prefix length: %r" % (path, key, address))
    if not name:
        if address:
            raise BadObject("%s.%s names an address but no interface" % (path, key))
        return None
    return NodeInterface(name=name, ip=address)


def parse_control_node(obj):
    spec = spec_of(obj)
    return FabricNode(name=name_of(obj), kind="ControlNode", roles=["control"],
                      management=_interface(spec, "management", "spec"),
                      external=_interface(spec, "external", "spec"))


def parse_fab_node(obj):
    spec = spec_of(obj)
    roles = [str(role) for role in _list(spec.get("roles"), "spec.roles")]
    return FabricNode(name=name_of(obj), kind="FabNode", roles=roles,
                      management=_interface(spec, "management", "spec"))
