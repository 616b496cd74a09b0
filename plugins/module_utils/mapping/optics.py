# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transceivers the switches report, as NetBox inventory items linked to their ports.

An inventory item per transceiver present in a cage: manufacturer (its
vendor), part ID, serial and a description of its form factor, connector and
cable class, with role *Transceiver*, marked discovered, and assigned to the
port whose cage it sits in. When a transceiver goes, its item goes; a swap
changes the item in place. Temperatures, voltages and channel powers move all
the time and are never written.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, Ref, slugify

ROLE_SLUG = "transceiver"
ROLE = {"name": "Transceiver", "slug": ROLE_SLUG, "color": "00bcd4"}
# What an agent reports in ``present`` for an empty cage.
ABSENT = ("NOT_PRESENT", "NOTPRESENT", "ABSENT", "EMPTY")


def item_name(port):
    return "%s transceiver" % port


def _description(transceiver):
    parts = [transceiver.form_factor, transceiver.connector, transceiver.cable]
    text = " ".join(part for part in parts if part)
    if transceiver.revision:
        text = "%s, rev %s" % (text, transceiver.revision) if text else "rev %s" % transceiver.revision
    return text[:200]


def add_transceivers(state, snapshot):
    """One inventory item per transceiver present in a port the switch has."""
    for switch_name in sorted(snapshot.agents):
        agent = snapshot.agents[switch_name]
        for port in sorted(agent.transceivers):
            transceiver = agent.transceivers[port]
            if transceiver.present.upper() in ABSENT or state.get("interface", (switch_name, port)) is None:
                continue
            _item(state, switch_name, port, transceiver)


def _item(state, device, port, transceiver):
    state.add(Desired("inventory_item_role", ROLE_SLUG, dict(ROLE)))
    manufacturer = None
    if transceiver.vendor:
        slug = slugify(transceiver.vendor)
        state.add(Desired("manufacturer", slug, {"name": transceiver.vendor[:100], "slug": slug}))
        manufacturer = Ref("manufacturer", slug)
    name = item_name(port)
    state.add(Desired("inventory_item", (device, name), {
        "device": Ref("device", device),
        "name": name,
        "role": Ref("inventory_item_role", ROLE_SLUG),
        "manufacturer": manufacturer,
        "part_id": transceiver.part[:50],
        "serial": transceiver.serial[:50],
        "description": _description(transceiver),
        "discovered": True,
        "component_type": "dcim.interface",
        "component_id": Ref("interface", (device, port)),
    }, label="transceiver %s %s" % (device, port)))
