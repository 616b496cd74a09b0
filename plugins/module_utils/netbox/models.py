# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One row per NetBox model the sync writes: endpoint, fields, key, lookup, dependencies, ownership.

Adding a kind is adding a row here (and a mapper that makes its desired
objects). ``ORDER`` is derived from the rows' dependencies: creates and
updates run down it, deletions run up it.
"""

from __future__ import annotations

from collections import OrderedDict

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox import keys
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.lookups import (
    ByValues,
    CablesWithEnds,
    DeviceInterfaces,
    OwnedAndCandidates,
    OwnedAndGroups,
    OwnedAndOnInterfaces,
    TemplatesOfTypes,
    device_scope,
    site_scope,
)


class ModelSpec:
    """One kind of NetBox object as the sync handles it."""

    def __init__(self, kind, endpoint, fields, key, lookup, depends=(), owned=True, plain_key=None, mark=None,
                 object_type=None, key_fields=(), parent=None, also=None, relocatable=None, extends=None,
                 derived_from=()):
        self.kind = kind
        self.endpoint = endpoint
        self.fields = tuple(fields)
        # row, inventory -> the key the desired state uses for the same object.
        self.key = key
        # row -> that key read off the row alone (before the inventory exists).
        self.plain_key = plain_key or key
        self.lookup = lookup
        # Kinds whose objects this kind refers to: they are written first.
        self.depends = tuple(depends)
        # Shared objects (manufacturers, roles, ASNs, ...) are created when
        # missing and otherwise left alone: other fabrics and people use them.
        self.owned = owned
        # prune: mark -> the field values that say "left the fabric".
        self.mark = mark or {}
        self.object_type = object_type
        self.key_fields = tuple(key_fields)
        # (kind, field): NetBox deletes these objects with that parent.
        self.parent = parent
        # key -> the part of the key that stays when the object moves to another address
        # space (a VRF): an owned row under an old key is moved, not replaced.
        self.relocatable = relocatable
        # (kind, field): a shared object that changes its parent for everyone (a device type's
        # interface templates): made only on parents the sync made itself.
        self.extends = extends
        # (kind, (key, name) -> key): each object is also known as one of that kind (a LAG is
        # an interface to whatever refers to an interface by name: cables, IPs, its members).
        self.also = also
        # Source kinds these objects come from alone (transceivers from the Agents): while a read
        # of one is incomplete, none of them is removed.
        self.derived_from = tuple(derived_from)

    def alias(self, key, name):
        """(kind, key) this object is also known by, or None."""
        if not self.also:
            return None
        kind, key_of = self.also
        return kind, key_of(key, name)

    def read_fields(self):
        extra = ("id", "tags", "custom_fields") if self.owned else ("id",)
        return tuple(dict.fromkeys(extra + self.key_fields + self.fields))


def interface_kind(row):
    """Which of the sync's interface kinds a row of ``dcim/interfaces`` is."""
    custom = row.get("custom_fields") or {}
    if (row.get("type") or {}).get("value") == "lag" and custom.get("hedgehog_connection"):
        # A LAG the sync made for a connection; one someone else made is just an interface.
        return "lag"
    if custom.get("hedgehog_external_attachment"):
        return "subinterface"
    if custom.get("hedgehog_connection") and (row.get("type") or {}).get("value") == "virtual":
        return "subinterface"  # a staticExternal's VLAN subinterface
    return "interface"


def _slugs(key, obj):
    return obj.fields["slug"]


def _field_value(name):
    return lambda obj: obj.fields[name]


_SHARED = dict(owned=False, lookup=ByValues("slug", _slugs))
_INTERFACES = DeviceInterfaces(interface_kind)

MODELS = (
    # SwitchGroup tags; the sync's own tags (hedgehog-sync, hedgehog-orphan) are the schema's.
    ModelSpec("tag", "extras/tags", ("name", "slug", "color", "description"), keys.by_slug, object_type="extras.tag",
              **_SHARED),
    ModelSpec("tenant", "tenancy/tenants", ("name", "slug"), keys.by_slug, object_type="tenancy.tenant", **_SHARED),
    ModelSpec("site", "dcim/sites", ("name", "slug", "status"), keys.by_slug, object_type="dcim.site", **_SHARED),
    ModelSpec("manufacturer", "dcim/manufacturers", ("name", "slug"), keys.by_slug, object_type="dcim.manufacturer",
              **_SHARED),
    ModelSpec("platform", "dcim/platforms", ("name", "slug"), keys.by_slug, object_type="dcim.platform", **_SHARED),
    ModelSpec("device_role", "dcim/device-roles", ("name", "slug", "color"), keys.by_slug, object_type="dcim.devicerole",
              **_SHARED),
    ModelSpec("inventory_item_role", "dcim/inventory-item-roles", ("name", "slug", "color"), keys.by_slug,
              object_type="dcim.inventoryitemrole", **_SHARED),
    ModelSpec("device_type", "dcim/device-types", ("manufacturer", "model", "slug", "u_height", "custom_fields"),
              keys.by_slug, depends=("manufacturer",), key_fields=("tags",), object_type="dcim.devicetype", **_SHARED),
    ModelSpec("interface_template", "dcim/interface-templates",
              ("device_type", "name", "type", "mgmt_only", "label", "description"), keys.template_key,
              TemplatesOfTypes(), depends=("device_type",), owned=False, extends=("device_type", "device_type"),
              object_type="dcim.interfacetemplate"),
    ModelSpec("rir", "ipam/rirs", ("name", "slug", "is_private"), keys.by_slug, object_type="ipam.rir", **_SHARED),
    ModelSpec("asn", "ipam/asns", ("asn", "rir"), keys.by_asn, ByValues("asn", lambda key, obj: key),
              depends=("rir",), owned=False, object_type="ipam.asn"),
    ModelSpec("cluster_type", "virtualization/cluster-types", ("name", "slug"), keys.by_slug,
              object_type="virtualization.clustertype", **_SHARED),
    ModelSpec("cluster", "virtualization/clusters", ("name", "type", "scope_type", "scope_id", "status"),
              keys.by_name, OwnedAndCandidates("name", _field_value("name")), depends=("cluster_type", "site"),
              object_type="virtualization.cluster"),
    ModelSpec("vlan_group", "ipam/vlan-groups",
              ("name", "slug", "scope_type", "scope_id", "vid_ranges", "description", "custom_fields"),
              keys.by_name, OwnedAndCandidates("name", _field_value("name")), depends=("cluster",),
              object_type="ipam.vlangroup"),
    ModelSpec("vrf", "ipam/vrfs", ("name", "description", "enforce_unique", "tenant", "custom_fields"),
              keys.vrf_key, OwnedAndCandidates("name", _field_value("name")), depends=("tenant",),
              object_type="ipam.vrf"),
    ModelSpec("vlan", "ipam/vlans", ("group", "vid", "name", "status", "description", "custom_fields"),
              keys.vlan_key, OwnedAndGroups(), depends=("vlan_group",), mark={"status": "deprecated"},
              object_type="ipam.vlan"),
    ModelSpec("device", "dcim/devices",
              ("name", "device_type", "role", "site", "cluster", "status", "description", "serial", "platform",
               "tenant", "primary_ip4", "custom_fields"),
              keys.by_name, OwnedAndCandidates("name", _field_value("name"), scope=site_scope, renames="name"),
              depends=("device_type", "device_role", "site", "cluster", "platform", "tenant", "tag"),
              mark={"status": "offline"}, object_type="dcim.device"),
    ModelSpec("lag", "dcim/interfaces", ("device", "name", "type", "description", "mtu", "enabled", "custom_fields",
                                         "mode", "untagged_vlan", "tagged_vlans", "speed"),
              keys.lag_key, _INTERFACES, depends=("device", "vlan"), mark={"enabled": False},
              object_type="dcim.interface", parent=("device", "device"), also=("interface", keys.device_and_name)),
    ModelSpec("interface", "dcim/interfaces",
              ("device", "name", "type", "description", "mtu", "lag", "enabled", "custom_fields",
               "mode", "untagged_vlan", "tagged_vlans", "mgmt_only", "speed", "primary_mac_address"),
              keys.port_key, _INTERFACES, depends=("device", "lag", "vlan"), mark={"enabled": False},
              object_type="dcim.interface", key_fields=("cable",), parent=("device", "device")),
    # Subinterfaces of switch ports for ExternalAttachments: after the ports, their parents.
    ModelSpec("subinterface", "dcim/interfaces",
              ("device", "name", "type", "parent", "vrf", "mode", "untagged_vlan", "description", "enabled",
               "custom_fields"),
              keys.port_key, _INTERFACES, depends=("interface", "vrf", "vlan"), mark={"enabled": False},
              object_type="dcim.interface", parent=("device", "device")),
    ModelSpec("prefix", "ipam/prefixes", ("prefix", "vrf", "status", "scope_type", "scope_id", "description", "vlan"),
              keys.prefix_key, OwnedAndCandidates("prefix", _field_value("prefix")), depends=("vrf", "vlan", "site"),
              mark={"status": "deprecated"}, object_type="ipam.prefix", relocatable=keys.without_vrf),
    ModelSpec("ip_range", "ipam/ip-ranges", ("start_address", "end_address", "vrf", "status", "description"),
              keys.range_key, OwnedAndCandidates("start_address", lambda obj: obj.fields["start_address"].split("/")[0]),
              depends=("vrf",), mark={"status": "deprecated"}, object_type="ipam.iprange",
              relocatable=keys.without_vrf),
    ModelSpec("ip_address", "ipam/ip-addresses",
              ("address", "vrf", "status", "role", "assigned_object_type", "assigned_object_id", "description",
               "dns_name"),
              keys.address_key, OwnedAndCandidates("address", _field_value("address")),
              depends=("vrf", "interface", "subinterface"), mark={"status": "deprecated"},
              object_type="ipam.ipaddress", relocatable=keys.without_vrf),
    ModelSpec("cable", "dcim/cables", ("label", "status", "custom_fields"), keys.cable_key, CablesWithEnds(),
              depends=("interface",), mark={"status": "decommissioning"}, object_type="dcim.cable"),
    # A switch's boot MAC on its management port.
    ModelSpec("mac_address", "dcim/mac-addresses",
              ("mac_address", "assigned_object_type", "assigned_object_id", "description"),
              keys.mac_key, OwnedAndOnInterfaces(), depends=("interface",), object_type="dcim.macaddress"),
    # The transceivers the switches report, each linked to the port whose cage it sits in.
    ModelSpec("inventory_item", "dcim/inventory-items",
              ("device", "name", "role", "manufacturer", "part_id", "serial", "description", "discovered",
               "component_type", "component_id"),
              keys.port_key, OwnedAndCandidates("name", _field_value("name"), scope=device_scope),
              depends=("device", "interface", "inventory_item_role", "manufacturer"),
              object_type="dcim.inventoryitem", parent=("device", "device"), derived_from=("Agent",)),
)


def dependency_order(models):
    """Kinds so that each comes after what it depends on; ties keep the rows' order."""
    remaining = OrderedDict((spec.kind, set(spec.depends)) for spec in models)
    order = []
    while remaining:
        ready = next((kind for kind, needs in remaining.items() if not needs - set(order)), None)
        if ready is None:
            raise ValueError("model dependencies form a cycle: %s" % ", ".join(remaining))
        order.append(ready)
        del remaining[ready]
    return tuple(order)


SPECS = OrderedDict((spec.kind, spec) for spec in MODELS)
ORDER = dependency_order(MODELS)

# Fields a component port gets back when the fabric stops describing it.
COMPONENT_DEFAULTS = {"lag": None, "mtu": None, "mode": None, "untagged_vlan": None, "tagged_vlans": []}

# Fields that define the key and so never count as a change.
KEY_ONLY_FIELDS = frozenset(("a_terminations", "b_terminations"))

# Many-to-many fields: NetBox lists them in its own order, so they compare as sets.
UNORDERED_FIELDS = frozenset(("tagged_vlans",))

# Cascades in NetBox: deleting a parent deletes these kinds' objects.
PARENT_FIELD = dict((spec.kind, spec.parent) for spec in MODELS if spec.parent)
