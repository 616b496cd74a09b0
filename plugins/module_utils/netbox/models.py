# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the sync knows about each NetBox model it writes: endpoint, fields, key, ownership.

The order of ``SPECS`` is the dependency order: creates and updates run down
it, deletions run up it.
"""

from __future__ import annotations

from collections import OrderedDict

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.schema import FABRIC_FIELD


class ModelSpec:
    """One kind of NetBox object as the sync handles it."""

    def __init__(self, kind, endpoint, fields, owned=True, read="owned", mark=None, object_type=None,
                 key_fields=()):
        self.kind = kind
        self.endpoint = endpoint
        self.fields = tuple(fields)
        # Shared objects (manufacturers, roles, ASNs, ...) are created when
        # missing and otherwise left alone: other fabrics and people use them.
        self.owned = owned
        self.read = read
        # prune: mark -> the field values that say "left the fabric".
        self.mark = mark or {}
        self.object_type = object_type
        self.key_fields = tuple(key_fields)

    def read_fields(self):
        extra = ("id", "tags", "custom_fields") if self.owned else ("id",)
        return tuple(dict.fromkeys(extra + self.key_fields + self.fields))


def _specs(*specs):
    return OrderedDict((spec.kind, spec) for spec in specs)


SPECS = _specs(
    ModelSpec("tenant", "tenancy/tenants", ("name", "slug"), owned=False, read="slug"),
    ModelSpec("site", "dcim/sites", ("name", "slug", "status"), owned=False, read="slug"),
    ModelSpec("manufacturer", "dcim/manufacturers", ("name", "slug"), owned=False, read="slug"),
    ModelSpec("platform", "dcim/platforms", ("name", "slug"), owned=False, read="slug"),
    ModelSpec("device_role", "dcim/device-roles", ("name", "slug", "color"), owned=False, read="slug"),
    ModelSpec("device_type", "dcim/device-types", ("manufacturer", "model", "slug", "u_height", "custom_fields"),
              owned=False, read="slug"),
    ModelSpec("interface_template", "dcim/interface-templates",
              ("device_type", "name", "type", "mgmt_only", "label", "description"), owned=False, read="device_type"),
    ModelSpec("rir", "ipam/rirs", ("name", "slug", "is_private"), owned=False, read="slug"),
    ModelSpec("asn", "ipam/asns", ("asn", "rir"), owned=False, read="asn"),
    ModelSpec("cluster_type", "virtualization/cluster-types", ("name", "slug"), owned=False, read="slug"),
    ModelSpec("cluster", "virtualization/clusters", ("name", "type", "scope_type", "scope_id", "status"),
              read="name", object_type="virtualization.cluster"),
    ModelSpec("vlan_group", "ipam/vlan-groups",
              ("name", "slug", "scope_type", "scope_id", "vid_ranges", "description", "custom_fields"),
              read="name", object_type="ipam.vlangroup"),
    ModelSpec("vrf", "ipam/vrfs", ("name", "description", "enforce_unique", "tenant", "custom_fields"),
              read="name", object_type="ipam.vrf"),
    ModelSpec("vlan", "ipam/vlans", ("group", "vid", "name", "status", "description", "custom_fields"),
              read="vlan", mark={"status": "deprecated"}, object_type="ipam.vlan"),
    ModelSpec("device", "dcim/devices",
              ("name", "device_type", "role", "site", "cluster", "status", "description", "serial", "platform",
               "tenant", "primary_ip4", "custom_fields"),
              read="name", mark={"status": "offline"}, object_type="dcim.device"),
    ModelSpec("lag", "dcim/interfaces", ("device", "name", "type", "description", "mtu", "enabled", "custom_fields",
                                         "mode", "untagged_vlan", "tagged_vlans"),
              read="device", mark={"enabled": False}, object_type="dcim.interface"),
    ModelSpec("interface", "dcim/interfaces",
              ("device", "name", "type", "description", "mtu", "lag", "enabled", "custom_fields",
               "mode", "untagged_vlan", "tagged_vlans", "mgmt_only"),
              read="device", mark={"enabled": False}, object_type="dcim.interface", key_fields=("cable",)),
    # Subinterfaces of switch ports for ExternalAttachments; after the ports, their parents.
    ModelSpec("subinterface", "dcim/interfaces",
              ("device", "name", "type", "parent", "vrf", "mode", "untagged_vlan", "description", "enabled",
               "custom_fields"),
              read="device", mark={"enabled": False}, object_type="dcim.interface"),
    ModelSpec("prefix", "ipam/prefixes", ("prefix", "vrf", "status", "scope_type", "scope_id", "description", "vlan"),
              read="prefix", mark={"status": "deprecated"}, object_type="ipam.prefix"),
    ModelSpec("ip_range", "ipam/ip-ranges", ("start_address", "end_address", "vrf", "status", "description"),
              read="ip_range", mark={"status": "deprecated"}, object_type="ipam.iprange"),
    ModelSpec("ip_address", "ipam/ip-addresses",
              ("address", "vrf", "status", "role", "assigned_object_type", "assigned_object_id", "description",
               "dns_name"),
              read="address", mark={"status": "deprecated"}, object_type="ipam.ipaddress"),
    ModelSpec("cable", "dcim/cables", ("label", "status", "custom_fields"), read="cable",
              mark={"status": "decommissioning"}, object_type="dcim.cable"),
)

ORDER = tuple(SPECS)

# Fields a component port gets back when the fabric stops describing it.
COMPONENT_DEFAULTS = {"lag": None, "mtu": None, "mode": None, "untagged_vlan": None, "tagged_vlans": []}

# Fields that define the key and so never count as a change.
KEY_ONLY_FIELDS = frozenset(("a_terminations", "b_terminations"))

# Many-to-many fields: NetBox lists them in its own order, so they compare as sets.
UNORDERED_FIELDS = frozenset(("tagged_vlans",))

# Cascades in NetBox: deleting a device deletes its interfaces.
PARENT_FIELD = {"interface": ("device", "device"), "lag": ("device", "device"), "subinterface": ("device", "device")}


def owner_of(record):
    """The fabric that owns a NetBox record, or None."""
    custom = record.get("custom_fields") or {}
    return custom.get(FABRIC_FIELD) or None
