# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A picture of each fabric in the netbox-topology-views plugin, where NetBox runs it.

The plugin draws devices and their cables; by itself it places them by a
physics simulation. Each fabric gets a coordinate group that lays its devices
out in layers from the roles the sync writes (control nodes and gateways,
spines, leaves, servers, top to bottom, by name from left to right), and each Hedgehog role
an icon. Nothing is done when the plugin is not installed.

The plugin's API sets role icons but cannot read them back, so a digest of
the icons (of the roles NetBox has) a fabric's group was last laid out with
is written into its description: a run whose description is current sends
no icons, and a role the sync adds later gets its icon on the next run.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import FABRIC_FIELD, SYNC_TAG
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.objects import DESCRIBED, MARK

PLUGIN = "netbox_topology_views"
API = "plugins/netbox_topology_views"
GROUPS = API + "/coordinate-groups"
COORDINATES = API + "/coordinate"
IMAGES_SAVE = API + "/images/save"
IMAGE_URL = "/static/netbox_topology_views/img/%s.svg"

# Layer (top to bottom) and icon of each role the sync makes.
ROLES = {
    "control-node": (0, "server"),
    "gateway": (0, "router"),
    "spine": (1, "core-switch"),
    "server-leaf": (2, "access-switch"),
    "border-leaf": (2, "distribution-switch"),
    "mixed-leaf": (2, "switch"),
    "virtual-edge": (2, "switch"),
    "server": (3, "server"),
}
OTHER_LAYER = 3
LAYER_HEIGHT = 220
NODE_SPACING = 170


def plugin_version(client):
    """The plugin's version when NetBox runs it, else None."""
    return ((client.status() or {}).get("plugins") or {}).get(PLUGIN)


def group_name(fabric):
    return "Hedgehog %s" % fabric


def group_description(fabric, icons):
    """Names the icons the group was laid out with by a digest (a description holds 255 characters)."""
    digest = hashlib.sha1(json.dumps(sorted(icons.items())).encode()).hexdigest()[:8]
    return "Fabric %s in layers: gateways, spines, leaves, servers; icons %s%s" % (fabric, digest, DESCRIBED)


def icons_of(roles):
    """The plugin's icon of each Hedgehog role NetBox has, by role id (a role the sync adds later changes this)."""
    return dict((str(role["id"]), IMAGE_URL % ROLES[role["slug"]][1]) for role in roles if role["slug"] in ROLES)


def layout(devices):
    """``{device id: (x, y)}``: one row per layer, centred, by name within the row."""
    rows = {}
    for device in devices:
        layer = ROLES.get(device["role"], (OTHER_LAYER, None))[0]
        rows.setdefault(layer, []).append(device)
    places = {}
    for layer, members in rows.items():
        members.sort(key=lambda d: d["name"] or "")
        middle = (len(members) - 1) / 2.0
        for index, device in enumerate(members):
            places[device["id"]] = (int(round((index - middle) * NODE_SPACING)), layer * LAYER_HEIGHT)
    return places


def _devices(client, fabric):
    rows = client.list("dcim/devices", {"cf_" + FABRIC_FIELD: fabric}, ("id", "name", "role"))
    return [{"id": row["id"], "name": row.get("name"), "role": (row.get("role") or {}).get("slug")} for row in rows]


def _id_of(value):
    """The plugin's serializers give a device as its id, not nested."""
    return value["id"] if isinstance(value, dict) else value


class Topology:
    """Coordinate groups, coordinates and role icons; ``changes`` says what a run did (or would do)."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode
        self.changes = {}
        self.icons = {}

    def _count(self, what, number=1):
        if number:
            self.changes[what] = self.changes.get(what, 0) + number

    def apply(self, fabrics, present=True):
        """Makes every fabric's group equal (or removes them all); returns ``{fabric: group id}``."""
        self.icons = icons_of(self.client.list_by("dcim/device-roles", "slug", list(ROLES), fields=("id", "slug")))
        groups = dict((row["name"], row) for row in self.client.list(GROUPS, None, ("id", "name", "description"))
                      if MARK in (row.get("description") or ""))
        wanted = dict((group_name(f), f) for f in fabrics) if present else {}
        stale = [row["id"] for name, row in sorted(groups.items()) if name not in wanted]
        if stale and not self.check_mode:
            # A group's coordinates go with it.
            self.client.delete(GROUPS, stale)
        self._count("delete_group", len(stale))
        ids = {}
        for name, fabric in sorted(wanted.items()):
            ids[fabric] = self._group(fabric, groups.get(name))
        return ids

    def _group(self, fabric, row):
        description = group_description(fabric, self.icons)
        if row is None:
            self._count("create_group")
            self._set_icons()
            if self.check_mode:
                # Not made yet: id 0 stands in for it, so the plan still names the fabric's topology link.
                return 0
            row = self.client.create(GROUPS, [{"name": group_name(fabric), "description": description,
                                               "tags": [{"slug": SYNC_TAG}]}])[0]
        elif row.get("description") != description:
            self._count("update_group")
            self._set_icons()
            if not self.check_mode:
                self.client.update(GROUPS, [{"id": row["id"], "description": description}])
        self._coordinates(fabric, row["id"])
        return row["id"]

    def _set_icons(self):
        if self.changes.get("icons") or not self.icons:
            return
        self._count("icons")
        if not self.check_mode:
            self.client.request("POST", IMAGES_SAVE, body=self.icons)

    def _coordinates(self, fabric, group_id):
        places = layout(_devices(self.client, fabric))
        have = dict((_id_of(row["device"]), row) for row in self.client.list(
            COORDINATES, {"group": group_id}, ("id", "device", "x", "y")))
        create = [{"group": group_id, "device": device, "x": x, "y": y}
                  for device, (x, y) in sorted(places.items()) if device not in have]
        update = [{"id": have[device]["id"], "x": x, "y": y} for device, (x, y) in sorted(places.items())
                  if device in have and (have[device]["x"], have[device]["y"]) != (x, y)]
        delete = [row["id"] for device, row in sorted(have.items()) if device not in places]
        self._count("create_coordinate", len(create))
        self._count("update_coordinate", len(update))
        self._count("delete_coordinate", len(delete))
        if self.check_mode:
            return
        if create:
            self.client.create(COORDINATES, create)
        if update:
            self.client.update(COORDINATES, update)
        if delete:
            self.client.delete(COORDINATES, delete)
