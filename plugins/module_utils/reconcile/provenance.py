# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What in the fabric a NetBox object was made from, read off the object NetBox holds.

When a source object is skipped or a kind could not be read, the desired
state says nothing of it, so only NetBox can tell what was made from it: a
device carries its switch's name, a cable its connection's, a LAG its
connection in a custom field, an address its interface, VRF and description,
a VLAN its namespace's group and its VPC subnet; a VRF of the fabric's
underlay or IPv4 namespaces is known by its name (``mapping/spaces.py``). This module turns a row into
the tokens of ``model/held.py``: those of the whole row, and those of single
fields (an agent's facts on a switch's device, the VLANs of a port).
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.dcim import AGENT_FIELDS, GATEWAY_AGENT_FIELDS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.ipam import vlan_group_name
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.spaces import (
    SpaceOptions,
    is_underlay_vrf,
    namespace_of_vrf,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import held
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.ipam import EXTERNAL_PREFIX
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    LLDP_MISMATCH_FIELD,
    OPER_STATUS_FIELD,
)

VLAN_FIELDS = ("mode", "untagged_vlan", "tagged_vlans")
# Switch port fields a switch profile decides.
PROFILE_FIELDS = ("type", "description", "mgmt_only", "label")
# Switch port and LAG fields the switch's agent reports.
PORT_AGENT_FIELDS = ("enabled", "custom_fields." + OPER_STATUS_FIELD, "custom_fields.hedgehog_breakout")
LAG_AGENT_FIELDS = ("speed", "enabled", "custom_fields." + OPER_STATUS_FIELD)
# Cable fields the LLDP its switches' agents report decides.
CABLE_AGENT_FIELDS = ("status", "custom_fields." + LLDP_MISMATCH_FIELD)
EXTERNAL_MARK = ": External "
VLAN_DESCRIPTION = "VPC subnet "


def _nested_id(value):
    return value.get("id") if isinstance(value, dict) else value


def _nested(value, field):
    return value.get(field) if isinstance(value, dict) else None


def _word(text):
    """A description that can be an object's name (Kubernetes names hold no spaces), else None."""
    return text if isinstance(text, str) and text and not any(c.isspace() for c in text) else None


class Provenance:
    """Tokens of the rows of one inventory: ``tokens(kind, key, row)`` -> (whole row, {field: tokens}).

    ``spaces`` holds the options that name the fabric's address-space VRFs
    (``underlay_vrf``, ``ipv4_namespace_vrf``; a FabricConfig will do).
    """

    def __init__(self, inventory, spaces=None):
        self.inventory = inventory
        self.fabric = inventory.fabric
        self.spaces = spaces or SpaceOptions(inventory.fabric, None, None)
        self.cables = dict((row.get("id"), row) for row in inventory.records["cable"].values() if row.get("id"))
        self.lag_devices = {}
        for device, connection in inventory.records["lag"]:
            self.lag_devices.setdefault(connection, []).append(device)

    def tokens(self, kind, key, row):
        reader = getattr(self, "_" + kind, None)
        if reader is None or row is None:
            return set(), {}
        return reader(key, row)

    def removal_tokens(self, kind, key, row):
        """Everything a row derives from: its removal waits while any of it is held.

        An agent's report is about an object, not what it is made from: it holds
        the fields it fills (a port's oper state, a cable's LLDP verdict), never
        the removal of a port or cable the wiring no longer has.
        """
        whole, fields = self.tokens(kind, key, row)
        for tokens in fields.values():
            whole |= set(token for token in tokens if token[0] not in held.REPORT_FAMILIES)
        return whole

    # -- DCIM ---------------------------------------------------------------------------

    def device_tokens(self, name):
        row = self.inventory.records["device"].get(name)
        slug = _nested(row.get("role"), "slug") if row else None
        if slug == "control-node":
            return {(held.NODE, name)}
        if slug == "gateway":
            # A gateway's device is made from its Gateway, or from its FabNode when it has none.
            return {(held.GATEWAY, name), (held.NODE, name)}
        return {({"server": held.SERVER}.get(slug, held.SWITCH), name)}

    def _is_switch(self, name):
        return (held.SWITCH, name) in self.device_tokens(name)

    def _device(self, key, row):
        whole = self.device_tokens(key)
        fields = {}
        if self._is_switch(key):
            agent = {(held.AGENT, key)}
            for field in ("status", "serial"):
                fields[field] = agent
            for field in AGENT_FIELDS:
                fields["custom_fields." + field] = agent
        elif (held.GATEWAY, key) in whole:
            agent = {(held.GATEWAY_AGENT, key)}
            fields["status"] = agent
            for field in GATEWAY_AGENT_FIELDS:
                fields["custom_fields." + field] = agent
        return whole, fields

    def _connections_of_port(self, row):
        """The connections whose cable ends on the port or whose LAG it is a member of."""
        found = set()
        cable = self.cables.get(_nested_id(row.get("cable")))
        if cable is not None and cable.get("label"):
            found.add(cable["label"])
        lag = self.inventory.key_of_id("lag", _nested_id(row.get("lag")))
        if lag is not None and lag[1]:
            found.add(lag[1])
        return found

    def vlan_tokens(self, vlan_ids):
        tokens = set()
        for vlan_id in vlan_ids:
            key = self.inventory.key_of_id("vlan", vlan_id)
            if key is not None:
                tokens |= self._vlan(key, self.inventory.records["vlan"].get(key) or {})[0]
        return tokens

    def _port_vlan_tokens(self, row, connections):
        ids = [_nested_id(row.get("untagged_vlan"))] + [_nested_id(v) for v in row.get("tagged_vlans") or []]
        tokens = self.vlan_tokens([i for i in ids if i is not None])
        tokens.update((held.PORT_VLANS, name) for name in connections)
        return tokens

    def _interface(self, key, row):
        device = key[0]
        connections = self._connections_of_port(row)
        whole = self.device_tokens(device) | set((held.CONNECTION, name) for name in connections)
        fields = dict((field, self._port_vlan_tokens(row, connections)) for field in VLAN_FIELDS)
        if self._is_switch(device):
            device_type = _nested(self.inventory.records["device"].get(device, {}).get("device_type"), "slug")
            profile = {(held.PROFILE, device_type)}
            for field in PROFILE_FIELDS:
                fields[field] = profile
            for field in PORT_AGENT_FIELDS:
                fields[field] = {(held.AGENT, device)}
        return whole, fields

    def _lag(self, key, row):
        device, connection = key
        whole = self.device_tokens(device) | {(held.CONNECTION, connection)}
        vlans = self._port_vlan_tokens(row, {connection})
        fields = dict((field, vlans) for field in VLAN_FIELDS)
        # A bond on a server is numbered after its switches' PortChannels.
        switches = [d for d in self.lag_devices.get(connection, ()) if self._is_switch(d)]
        fields["name"] = set((held.PORT_CHANNEL, switch) for switch in switches or [device])
        if self._is_switch(device):
            for field in LAG_AGENT_FIELDS:
                fields[field] = {(held.AGENT, device)}
        return whole, fields

    def _subinterface(self, key, row):
        whole = self.device_tokens(key[0]) | self._vrf_tokens(row)
        attachment = (row.get("custom_fields") or {}).get("hedgehog_external_attachment")
        if attachment:
            whole.add((held.EXTERNAL_ATTACHMENT, attachment))
        return whole, {}

    def _cable(self, key, row):
        whole = set()
        agents = set()
        if row.get("label"):
            whole.add((held.CONNECTION, row["label"]))
        if key and key[0] != "cable":
            for device, _port in key:
                whole |= self.device_tokens(device)
                if self._is_switch(device):
                    agents.add((held.AGENT, device))
        return whole, dict((field, agents) for field in CABLE_AGENT_FIELDS) if agents else {}

    def _mac_address(self, key, row):
        """A switch's boot MAC, on its management port: ``((device, port), mac)``."""
        port = key[0] if key and isinstance(key[0], tuple) else None
        return (self.device_tokens(port[0]) if port else set()), {}

    def _inventory_item(self, key, row):
        """A transceiver its switch's agent reports, keyed ``(device, name)``."""
        device = key[0] if key else None
        return (self.device_tokens(device) | {(held.AGENT, device)} if device else set()), {}

    # -- IPAM ---------------------------------------------------------------------------

    def _vrf_name_tokens(self, name):
        if not name or is_underlay_vrf(self.spaces, name):
            # The underlay is every switch's: its rows carry their own device and connection tokens.
            return set()
        namespace = namespace_of_vrf(self.spaces, name)
        if namespace is not None:
            # A VRF the namespaces share tells none of them: its prefixes name theirs in a custom field.
            return {(held.IPV4_NAMESPACE, namespace)} if namespace else set()
        if name.startswith(EXTERNAL_PREFIX):
            return {(held.EXTERNAL, name[len(EXTERNAL_PREFIX):])}
        return {(held.VPC, name)}

    def _vrf_tokens(self, row):
        vrf = row.get("vrf")
        key = self.inventory.key_of_id("vrf", _nested_id(vrf)) if vrf else None
        return self._vrf_name_tokens(key if isinstance(key, str) else _nested(vrf, "name"))

    @staticmethod
    def _description_tokens(description):
        """A link's addresses carry their connection's name; an external attachment's, ``<name>: External <e>``."""
        tokens = set()
        if _word(description):
            tokens.add((held.CONNECTION, description))
        if isinstance(description, str) and EXTERNAL_MARK in description:
            tokens.add((held.EXTERNAL_ATTACHMENT, description.split(":", 1)[0]))
        return tokens

    def _assigned_tokens(self, row):
        object_id = row.get("assigned_object_id")
        if row.get("assigned_object_type") != "dcim.interface" or object_id is None:
            return set()
        for kind in ("interface", "subinterface", "lag"):
            key = self.inventory.key_of_id(kind, object_id)
            if key is not None:
                port = key if kind != "lag" else (key[0], (self.inventory.records["lag"].get(key) or {}).get("name"))
                return self.device_tokens(key[0]) | {(held.IP_SLOT, tuple(port))}
        return set()

    def _ip_address(self, key, row):
        whole = self._vrf_tokens(row) | self._description_tokens(row.get("description"))
        whole |= self._assigned_tokens(row)
        if _nested(row.get("status"), "value") == "dhcp" or row.get("status") == "dhcp":
            whole.add((held.DHCP, key[0] or ""))
        return whole, {}

    def _prefix(self, key, row):
        whole = self._vrf_tokens(row) | self._description_tokens(row.get("description"))
        namespaces = (row.get("custom_fields") or {}).get("hedgehog_ipv4_namespace") or ""
        whole.update((held.IPV4_NAMESPACE, name) for name in namespaces.split(",") if name)
        vlan = _nested_id(row.get("vlan"))
        if vlan is not None:
            whole |= self.vlan_tokens([vlan])
        vni = set((held.VNI, name) for family, name in self._vrf_tokens(row) if family == held.VPC)
        return whole, {"custom_fields.hedgehog_subnet": vni}

    def _ip_range(self, key, row):
        return self._vrf_tokens(row), {}

    def _vrf(self, key, row):
        whole = self._vrf_name_tokens(key if isinstance(key, str) else row.get("name"))
        custom = row.get("custom_fields") or {}
        peerings = set()
        for entry in custom.get("hedgehog_peerings") or []:
            if isinstance(entry, dict) and entry.get("kind") and entry.get("name"):
                peerings.add((entry["kind"], entry["name"]))
        name = row.get("name") or ""
        return whole, {"custom_fields.hedgehog_peerings": peerings,
                       "custom_fields.hedgehog_vni": {(held.VNI, name)}}

    def _namespace_tokens(self, group_name):
        prefix = vlan_group_name(self.fabric, "")
        if not isinstance(group_name, str) or not group_name.startswith(prefix):
            return set()
        namespace = group_name[len(prefix):]
        if namespace.startswith(EXTERNAL_PREFIX):
            return {(held.EXTERNAL, namespace[len(EXTERNAL_PREFIX):])}
        return {(held.VLAN_NAMESPACE, namespace)}

    def _vlan(self, key, row):
        whole = self._namespace_tokens(key[0] if key else None)
        description = row.get("description") or ""
        vpc = None
        if description.startswith(VLAN_DESCRIPTION):
            vpc = description[len(VLAN_DESCRIPTION):].split("/", 1)[0]
            whole.add((held.VPC, vpc))
        return whole, {"custom_fields.hedgehog_vni": {(held.VNI, vpc)} if vpc else set()}

    def _vlan_group(self, key, row):
        return self._namespace_tokens(key), {}
