# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshot -> the whole desired state, one mapper per NetBox model family."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping import (
    addressing,
    dcim,
    ipam,
    nodes,
    optics,
    spaces,
    static_external,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import DesiredState


def build_desired(snapshot, config, now=None):
    """``now`` decides whether a switch agent's heartbeat is fresh (default: the current time)."""
    state = DesiredState(config.fabric)
    dcim.add_shared(state, snapshot, config)
    addressing.add_asns(state, snapshot)
    dcim.add_cluster(state, config)
    spaces.add_vrfs(state, snapshot, config)
    dcim.add_devices(state, snapshot, config, now=now)
    nodes.add_nodes(state, snapshot, config)
    dcim.add_switch_interfaces(state, snapshot)
    dcim.add_connection_interfaces(state, snapshot)
    nodes.add_boot_macs(state, snapshot)
    optics.add_transceivers(state, snapshot)
    addressing.add_switch_ips(state, snapshot, config)
    addressing.add_link_addresses(state, snapshot, config)
    ipam.add_ipam(state, snapshot, config)
    static_external.add_static_externals(state, snapshot, config)
    dcim.add_cables(state, snapshot, config, now=now)
    return state
