# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make NetBox's UI show the fabrics, part by part, or take every part away again.

Parts: the record's layout, custom links, saved filters, the cabling export
template, the Clusters table config, notifications (a group and two event
rules) and the topology plugin's layers (when it is installed). A part turned
off is removed; the notification group stays while only notifications are
off, since its members are the administrators' choice (``state: absent``
removes it too). Apart from these shared parts, a run with ``dashboard`` only
adds the fabrics widget to the token's own user's dashboard (or removes it).
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import CUSTOM_FIELDS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.schema import ensure_schema
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.fields import STATUS_FIELDS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui import objects
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.dashboard import ensure_widget
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.layout import field_layout, layout_changes
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.reconcile import UiApplier
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.topology import Topology, plugin_version

PARTS = ("record_layout", "custom_links", "saved_filters", "export_template", "table_config", "notifications",
         "topology")


class UiOptions:
    """What to make: ``fabrics`` as [{name, site}], the parts on or off, AWX's address, the LLDP filter."""

    def __init__(self, fabrics=(), state="present", parts=None, notification_group=objects.NOTIFICATION_GROUP,
                 awx=None, lldp_filter=None, dashboard=False):
        self.fabrics = [{"name": f["name"], "site": f.get("site") or f["name"]} for f in fabrics]
        self.present = state == "present"
        wanted = dict((part, True) for part in PARTS)
        wanted.update(parts or {})
        self.parts = dict((part, self.present and bool(wanted[part])) for part in PARTS)
        self.notification_group = notification_group
        self.awx = awx if awx and awx.get("url") else None
        self.lldp_filter = lldp_filter if lldp_filter is not None else objects.LLDP_MISMATCH_FILTER
        self.dashboard = dashboard


class UiRun:
    def __init__(self, client, options, check_mode=False):
        self.client = client
        self.options = options
        self.check_mode = check_mode
        self.applier = UiApplier(client, check_mode)
        self.result = {"changed": False, "changes": {}, "notes": [], "warnings": []}

    def execute(self):
        if self.options.dashboard:
            self._dashboard()
        else:
            self._shared_parts()
        self.result["changed"] = bool(self.result["changes"])
        self.result["warnings"].extend(self.applier.conflicts())
        return self.result

    def _shared_parts(self):
        parts = self.options.parts
        if self.options.present:
            schema = ensure_schema(self.client, self.check_mode, custom_fields=CUSTOM_FIELDS + STATUS_FIELDS)
            if schema.changed:
                self._record("schema", {"create": sum(schema.created.values()), "update": sum(schema.updated.values())})
        self._layout(parts["record_layout"])
        topology_ids = self._topology(parts["topology"])
        self._objects(parts, topology_ids)

    def _record(self, what, change):
        if change:
            self.result["changes"][what] = change

    def _layout(self, enabled):
        wanted = field_layout(enabled)
        rows = self.client.list_by("extras/custom-fields", "name", list(wanted),
                                   fields=("id", "name", "group_name", "weight", "ui_visible"))
        changes = layout_changes(wanted, rows)
        if changes and not self.check_mode:
            self.client.update("extras/custom-fields", [dict(c["after"], id=c["id"]) for c in changes])
        self._record("record_layout", {"update": sorted(c["name"] for c in changes)} if changes else None)
        self.layout_diff = [{"before_header": "custom field %s (layout)" % c["name"], "before": c["before"],
                             "after_header": "custom field %s (layout)" % c["name"], "after": c["after"]}
                            for c in changes]

    def _topology(self, enabled):
        version = plugin_version(self.client)
        self.result["topology_plugin"] = version
        if version is None:
            if enabled:
                self.result["notes"].append("netbox-topology-views is not installed: no topology layers")
            return {}
        topology = Topology(self.client, self.check_mode)
        ids = topology.apply([f["name"] for f in self.options.fabrics], present=enabled)
        self._record("topology", topology.changes)
        return ids

    def _lldp_filter(self):
        """The LLDP filter when NetBox has the custom fields it names, else None (and a note why)."""
        names = objects.custom_fields_named(self.options.lldp_filter)
        rows = self.client.list_by("extras/custom-fields", "name", names, fields=("id", "name")) if names else []
        found = set(row["name"] for row in rows)
        missing = [name for name in names if name not in found]
        if missing:
            self.result["notes"].append("no custom field %s yet (cabling verification): no LLDP saved filters"
                                        % ", ".join(missing))
            return None
        return self.options.lldp_filter

    def _objects(self, parts, topology_ids):
        kinds = objects.KIND_BY_NAME
        links = objects.custom_links(self.options.awx, export_template=parts["export_template"],
                                     topology_group_ids=topology_ids) if parts["custom_links"] else []
        self.applier.upsert(kinds["custom_link"], links)
        filters = objects.saved_filters(self.options.fabrics, self._lldp_filter()) if parts["saved_filters"] else []
        self.applier.upsert(kinds["saved_filter"], filters)
        self.applier.upsert(kinds["export_template"], [objects.export_template()] if parts["export_template"] else [])
        tables = [objects.table_config(with_age=parts["custom_links"])] if parts["table_config"] else []
        self.applier.upsert(kinds["table_config"], tables)
        group_ids = {}
        if parts["notifications"] or not self.options.present:
            groups = [objects.notification_group(self.options.notification_group)] if parts["notifications"] else []
            group_ids = self.applier.upsert(kinds["notification_group"], groups)
        group_id = group_ids.get(self.options.notification_group)
        rules = objects.event_rules(group_id) if parts["notifications"] else []
        self.applier.upsert(kinds["event_rule"], rules)
        self.applier.remove_stale()
        for kind, moves in self.applier.summary().items():
            self._record(kind, moves)
        self.result["diff"] = self.layout_diff + self.applier.diff()

    def _table_config_id(self):
        """The shared table config's id, so the widget shows its columns (None before bootstrap made it)."""
        spec = objects.KIND_BY_NAME["table_config"]
        return next((row["id"] for row in self.applier.read(spec)
                     if row["name"] == objects.TABLE_CONFIG_NAME and objects.is_marked("table_config", row)), None)

    def _dashboard(self):
        present = self.options.present
        table_config_id = self._table_config_id() if present else None
        outcome = ensure_widget(self.client, present, table_config_id=table_config_id, check_mode=self.check_mode)
        self.result["dashboard"] = outcome
        self._record("dashboard", {outcome: ["widget " + objects.TABLE_CONFIG_NAME]} if outcome else None)


def apply_ui(client, options, check_mode=False):
    return UiRun(client, options, check_mode).execute()
