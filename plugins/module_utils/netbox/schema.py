# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make sure the tags and custom fields the sync relies on exist (two reads when they do).

Two first runs on an empty NetBox make them at the same moment: the one whose
create comes second reads what the other made and goes on.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import CUSTOM_FIELDS, TAGS


class SchemaState:
    """Tag ids by slug, and whether every custom field exists (owned reads filter on one)."""

    def __init__(self):
        self.tag_ids = {}
        self.ready = False
        self.created = {"tag": 0, "custom_field": 0}
        self.updated = {"custom_field": 0}

    @property
    def changed(self):
        return any(self.created.values()) or any(self.updated.values())


def ensure_schema(client, check_mode=False, custom_fields=CUSTOM_FIELDS):
    state = SchemaState()
    tags = dict((row["slug"], row["id"]) for row in client.list_by(
        "extras/tags", "slug", [t["slug"] for t in TAGS], fields=("id", "slug")))
    missing_tags = [t for t in TAGS if t["slug"] not in tags]
    fields = dict((row["name"], row) for row in client.list_by(
        "extras/custom-fields", "name", [f["name"] for f in custom_fields], fields=("id", "name", "object_types")))
    missing_fields = [f for f in custom_fields if f["name"] not in fields]
    widen = []
    for spec in custom_fields:
        row = fields.get(spec["name"])
        if row is not None and not set(spec["object_types"]) <= set(row.get("object_types") or []):
            widen.append({"id": row["id"], "object_types": sorted(set(spec["object_types"]) | set(row["object_types"]))})
    state.created["tag"] = len(missing_tags)
    state.created["custom_field"] = len(missing_fields)
    state.updated["custom_field"] = len(widen)
    if not check_mode:
        if missing_tags:
            for row in client.create_or_read("extras/tags", missing_tags, "slug"):
                tags[row["slug"]] = row["id"]
        if missing_fields:
            client.create_or_read("extras/custom-fields", missing_fields, "name")
        if widen:
            client.update("extras/custom-fields", widen)
        state.ready = True
    else:
        state.ready = not missing_fields
    state.tag_ids = tags
    return state
