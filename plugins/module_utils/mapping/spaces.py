# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a fabric's addresses live in NetBox: the VRFs of its underlay and of its IPv4 namespaces.

hhfab gives every fabric the same default address plan (management 172.30.0.0/21, protocol
172.30.8.0/22, VTEP 172.30.12.0/22, fabric links 172.30.128.0/17, IPv4Namespace ``default``
10.0.0.0/16), and two IPv4 namespaces of one fabric may reuse a subnet. So by default each
fabric's underlay has a VRF of its own, and so has each of its IPv4 namespaces; the options
``underlay_vrf`` and ``ipv4_namespace_vrf`` put them in NetBox's global table (``global``) or in
a VRF several fabrics share (any other name: created when missing, never changed or deleted).
"""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, Ref, short_name, tenant_ref

GLOBAL_TABLE = "global"
# VRF names have 100 characters in NetBox.
VRF_NAME_LENGTH = 100


class SpaceOptions(namedtuple("SpaceOptions", "fabric underlay_vrf ipv4_namespace_vrf")):
    """The options that place a fabric's address spaces (a FabricConfig has the same attributes)."""

    __slots__ = ()


def underlay_vrf(config):
    """The underlay's VRF name, or None for the global table."""
    return _chosen(config.underlay_vrf, own_underlay_vrf(config.fabric))


def namespace_vrf(config, namespace):
    """The VRF name of an IPv4Namespace's container prefixes, or None for the global table."""
    return _chosen(config.ipv4_namespace_vrf, "%s/ipv4ns/%s" % (config.fabric, namespace))


def _chosen(option, own):
    if not option:
        return short_name(own, VRF_NAME_LENGTH)
    return None if option == GLOBAL_TABLE else option


def own_underlay_vrf(fabric):
    return short_name("%s/underlay" % fabric, VRF_NAME_LENGTH)


def namespace_of_vrf(config, name):
    """The IPv4Namespace whose containers a VRF holds: its name, "" for a VRF the namespaces share, else None.

    A VRF of the fabric's own naming is recognised whatever the options say
    now: one left from an earlier layout still holds that namespace's containers.
    """
    prefix = "%s/ipv4ns/" % config.fabric
    if name.startswith(prefix):
        return name[len(prefix):]
    if name == config.ipv4_namespace_vrf:
        return ""
    return None


def is_underlay_vrf(config, name):
    return name in (underlay_vrf(config), own_underlay_vrf(config.fabric))


def vrf_ref(name):
    return Ref("vrf", name) if name else None


def add_vrfs(state, snapshot, config):
    """The VRFs the fabric's address spaces need: its own (owned), or the shared ones (created when missing)."""
    _add_vrf(state, config, underlay_vrf(config), config.underlay_vrf,
             "Underlay of Hedgehog fabric %s: management, protocol, VTEP and link addresses" % config.fabric)
    namespaces = sorted(snapshot.ipam.ipv4_namespaces) if snapshot.ipam is not None else []
    for name in namespaces:
        _add_vrf(state, config, namespace_vrf(config, name), config.ipv4_namespace_vrf,
                 "IPv4Namespace %s of Hedgehog fabric %s" % (name, config.fabric))


def _add_vrf(state, config, name, option, description):
    if name is None:
        return
    shared = bool(option)
    fields = {"name": name, "description": description[:200], "enforce_unique": not shared}
    if not shared:
        fields["tenant"] = tenant_ref(config)
    if shared:
        fields["description"] = "Shared by Hedgehog fabrics"
    state.add(Desired("vrf", name, fields, label="VRF %s" % name, shared=shared))
