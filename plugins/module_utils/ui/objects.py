# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What NetBox's own UI gets for the fabrics: table config, custom links, saved filters, event rules, export template.

Pure data: every builder returns the objects as NetBox's REST API takes them,
keyed by the field that names them. Most of these models take no tags or
custom fields, so each carries the marker in its description (custom links,
which have none, in a Jinja comment of their text): only marked objects are
ever changed or removed.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.anchor import CLUSTER_TYPE_SLUG as CLUSTER_TYPE
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import slugify
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    FABRIC_FIELD,
    LLDP_MISMATCH_FIELD,
    ORPHAN_TAG,
    OWNED_TYPES,
    SYNC_TAG,
)

MARK = "hedgehog.netbox_sync"
DESCRIBED = " (made by %s)" % MARK
JINJA_MARK = "{# %s #}" % MARK
CLUSTER = "virtualization.cluster"

TABLE_CONFIG_NAME = "Hedgehog fabrics"
EXPORT_TEMPLATE_NAME = "Hedgehog cabling (CSV)"
NOTIFICATION_GROUP = "Hedgehog fabric alerts"
FABRICS_FILTER = "hedgehog-fabrics"
UNHEALTHY = ("error", "out_of_sync")

# Cables that disagree with LLDP, as the sync marks them: planned, with what LLDP saw
# ("spine-02 E1/1 sees ..."). NetBox takes no lookup (__empty, __ic) on a custom field,
# only its value, which this field's loose filter logic matches anywhere in the text.
# A filter is made only when NetBox has every custom field it names (bootstrap makes
# the sync's own), since NetBox ignores a filter on an unknown field and would list
# every planned cable.
LLDP_MISMATCH_FILTER = {"status": ["planned"], "cf_" + LLDP_MISMATCH_FIELD: ["sees"]}

# Object lists where a fabric's orphans can show up (those with a list view).
ORPHAN_TYPES = tuple(t for t in OWNED_TYPES if t not in ("virtualization.cluster", "vpn.l2vpntermination"))

# The kinds in the order they are made (later ones name earlier ones) and the
# fields bootstrap keeps equal; everything else (a group's members) is the user's.
KINDS = (
    {"kind": "custom_link", "endpoint": "extras/custom-links", "key": "name",
     "fields": ("object_types", "enabled", "link_text", "link_url", "weight", "group_name", "button_class",
                "new_window")},
    {"kind": "saved_filter", "endpoint": "extras/saved-filters", "key": "slug",
     "fields": ("name", "object_types", "description", "weight", "enabled", "shared", "parameters")},
    {"kind": "export_template", "endpoint": "extras/export-templates", "key": "name",
     "fields": ("object_types", "description", "template_code", "mime_type", "file_name", "file_extension",
                "as_attachment")},
    # Table config names need not be unique: only marked ones are matched.
    {"kind": "table_config", "endpoint": "extras/table-configs", "key": "name", "unique": False,
     "fields": ("object_type", "table", "description", "weight", "enabled", "shared", "columns", "ordering")},
    {"kind": "notification_group", "endpoint": "extras/notification-groups", "key": "name",
     "fields": ("description",)},
    {"kind": "event_rule", "endpoint": "extras/event-rules", "key": "name",
     "fields": ("object_types", "enabled", "event_types", "conditions", "action_type", "action_object_type",
                "action_object_id", "description", "tags")},
)
KIND_BY_NAME = dict((spec["kind"], spec) for spec in KINDS)


def is_marked(kind, row):
    """Whether bootstrap made this object: its description (a custom link's text) carries the marker."""
    text = row.get("link_text") if kind == "custom_link" else row.get("description")
    return MARK in str(text or "")


def filter_slug(fabric, what):
    return "hedgehog-%s-%s" % (slugify(fabric), what)


# -- custom links ----------------------------------------------------------------------

def _on_fabric(body):
    """Jinja that renders ``body`` only on a Hedgehog fabric's record: NetBox hides a link whose text is empty."""
    return "%s{%% if object.type.slug == '%s' %%}%s{%% endif %%}" % (JINJA_MARK, CLUSTER_TYPE, body)


# The age as status.yml words it (humanize_delta), computed when the page renders.
AGE_TEXT = _on_fabric(
    "{% set last = object.cf.hedgehog_last_success %}"
    "{% if last %}{% set s = [(last.now(last.tzinfo) - last).total_seconds() | int, 0] | max %}"
    "synced {% if s < 120 %}{{ s }} s{% elif s < 7200 %}{{ s // 60 }} min"
    "{% elif s < 172800 %}{{ s // 3600 }} h{% else %}{{ s // 86400 }} d{% endif %} ago"
    "{% else %}never synced{% endif %}")

# A device's fabric is its cluster; a cable's is the cluster of the device at its A end.
OWNER_DEVICE = ("{% set d = object.a_terminations[0].parent_object if object.a_terminations is defined "
                "and object.a_terminations else object %}")
FABRIC_RECORD_TEXT = (JINJA_MARK + OWNER_DEVICE + "{% if object.cf.hedgehog_fabric and d.cluster "
                      "and d.cluster.type.slug == '" + CLUSTER_TYPE + "' %}Fabric {{ d.cluster.name }}{% endif %}")
FABRIC_RECORD_URL = OWNER_DEVICE + "{{ d.cluster.get_absolute_url() }}"


def _link(name, object_types, text, url, weight, group_name="", button_class="default", new_window=False):
    return {"name": name, "object_types": list(object_types), "enabled": True, "link_text": text,
            "link_url": url, "weight": weight, "group_name": group_name, "button_class": button_class,
            "new_window": new_window}


def awx_launch_url(awx):
    """The job template's launch page in AWX's API browser; by id when known, else by AWX's named URL."""
    template = awx.get("job_template_id") or quote("%s++%s" % (awx["job_template"], awx["organization"]), safe="")
    # awx.awx takes a bare host name for https, and so does CONTROLLER_HOST.
    url = awx["url"] if "://" in awx["url"] else "https://" + awx["url"]
    return "%s/api/v2/job_templates/%s/launch/" % (url.rstrip("/"), template)


def custom_links(awx=None, export_template=True, topology_group_ids=None):
    """The fabric record's age and menu, the way from a device or cable to its fabric, and AWX's launch page."""
    links = [
        _link("Sync age", (CLUSTER,), AGE_TEXT, "{{ object.get_absolute_url() }}journal/", 100),
        _link("Fabric record", ("dcim.device", "dcim.cable"), FABRIC_RECORD_TEXT, FABRIC_RECORD_URL, 100,
              button_class="green"),
        _link("Fabric orphans", (CLUSTER,), _on_fabric("Orphaned devices"),
              "/dcim/devices/?%s={{ object.name | urlencode }}&tag=%s" % ("cf_" + FABRIC_FIELD, ORPHAN_TAG),
              110, group_name="Fabric"),
        _link("Fabric unowned objects", (CLUSTER,), _on_fabric("Devices in its site no fabric owns"),
              "/dcim/devices/?site_id={{ object.scope_id }}&cf_%s__empty=true" % FABRIC_FIELD, 120,
              group_name="Fabric"),
    ]
    if export_template:
        links.append(_link("Fabric cabling (CSV)", (CLUSTER,), _on_fabric("Cabling (CSV)"),
                           "/dcim/cables/?cf_%s={{ object.name | urlencode }}&export=%s"
                           % (FABRIC_FIELD, quote(EXPORT_TEMPLATE_NAME)), 130, group_name="Fabric"))
    if topology_group_ids:
        links.append(_link("Fabric topology", (CLUSTER,), _on_fabric("Topology"), topology_url(topology_group_ids),
                           140, group_name="Fabric"))
    if awx and awx.get("url"):
        links.append(_link("Sync in AWX", (CLUSTER,), _on_fabric("Sync in AWX"), awx_launch_url(awx), 90,
                           button_class="blue", new_window=True))
    return links


def topology_url(group_ids):
    """The plugin's picture of the fabric's devices, laid out by the fabric's coordinate group."""
    groups = "{%% set groups = %s %%}" % dict(sorted(group_ids.items()))
    return (groups + "/plugins/netbox_topology_views/topology/?cf_%s={{ object.name | urlencode }}"
            "&group={{ groups.get(object.name, '') }}&node_label_items=devicename&show_cables=True&draw_init=True" % FABRIC_FIELD)


# -- table config ----------------------------------------------------------------------

def table_config(with_age=True):
    """The Clusters list as a fabric operator reads it: status, last success, age, changes, problems."""
    columns = ["name", "cf_hedgehog_status", "cf_hedgehog_last_success"]
    if with_age:
        columns.append("cl_Sync age")
    columns += ["cf_hedgehog_last_summary", "cf_hedgehog_problem_count", "scope", "device_count"]
    return {"name": TABLE_CONFIG_NAME, "object_type": CLUSTER, "table": "ClusterTable",
            "description": "Sync status of every Hedgehog fabric" + DESCRIBED, "weight": 100, "enabled": True,
            "shared": True, "columns": columns, "ordering": ["name"]}


# -- saved filters ---------------------------------------------------------------------

def _filter(slug, name, object_types, parameters, description, weight=100):
    return {"slug": slug, "name": name, "object_types": list(object_types), "description": description + DESCRIBED,
            "weight": weight, "enabled": True, "shared": True, "parameters": parameters}


def saved_filters(fabrics, lldp_filter=None):
    """Shared filters: every fabric, the unhealthy ones, those with problems; per fabric its orphans,
    the unowned objects in its site (where conflicts are), and (when verified) cables that disagree with LLDP.

    ``fabrics`` are dicts with ``name`` and ``site``; ``lldp_filter`` is None when NetBox cannot filter on it.
    """
    found = [
        _filter(FABRICS_FILTER, "Hedgehog fabrics", (CLUSTER,), {"type": [CLUSTER_TYPE]},
                "Every Hedgehog fabric's record", 10),
        _filter("hedgehog-fabrics-unhealthy", "Hedgehog fabrics in error or out of sync", (CLUSTER,),
                {"type": [CLUSTER_TYPE], "cf_hedgehog_health": list(UNHEALTHY)},
                "Fabrics whose last run failed or whose runs stopped", 20),
        _filter("hedgehog-fabrics-problems", "Hedgehog fabrics with problems", (CLUSTER,),
                {"type": [CLUSTER_TYPE], "cf_hedgehog_problem_count__gt": ["0"]},
                "Fabrics whose last run skipped or refused objects (conflicts among them): see Last error", 30),
    ]
    for fabric in sorted(fabrics, key=lambda f: f["name"]):
        name = fabric["name"]
        found.append(_filter(filter_slug(name, "orphans"), "%s: orphans" % name, ORPHAN_TYPES,
                             {"cf_" + FABRIC_FIELD: [name], "tag": [ORPHAN_TAG]},
                             "Objects that left fabric %s and wait for deletion (prune: mark)" % name))
        found.append(_filter(filter_slug(name, "unowned"), "%s: unowned in its site" % name,
                             ("dcim.device", "dcim.cable"),
                             {"site": [slugify(fabric.get("site") or name)], "cf_%s__empty" % FABRIC_FIELD: ["true"]},
                             "Devices and cables in fabric %s's site that no fabric owns: a device the fabric "
                             "wants by the same name is a conflict" % name))
        if lldp_filter:
            parameters = dict(lldp_filter, **{"cf_" + FABRIC_FIELD: [name]})
            found.append(_filter(filter_slug(name, "lldp"), "%s: cables that disagree with LLDP" % name,
                                 ("dcim.cable",), parameters,
                                 "Cables of fabric %s whose far ends LLDP does not confirm" % name))
    return found


def custom_fields_named(parameters):
    """The custom fields a filter's parameters name (``cf_<name>`` and ``cf_<name>__<lookup>``)."""
    return sorted(set(re.sub(r"__.*$", "", key[3:]) for key in parameters if key.startswith("cf_")))


# -- export template -------------------------------------------------------------------

CABLING_TEMPLATE = JINJA_MARK + r"""{%- macro q(value) -%}
"{{ (value if value is not none else '') | string | replace('"', '""') }}"
{%- endmacro -%}
{%- macro end(side) -%}
{%- set first = side | first -%}
{{ q(first.parent_object if first else '') }},{{ q(side | map(attribute='name') | join(' + ')) }}
{%- endmacro -%}
device,port,far device,far port,connection,cable status
{% for cable in queryset -%}
{{ end(cable.a_terminations) }},{{ end(cable.b_terminations) }},{{ q(cable.label) }},{{ q(cable.get_status_display()) }}
{% endfor -%}
"""


def export_template():
    """The cabling of the cables listed (filter by fabric first), one CSV row per cable."""
    return {"name": EXPORT_TEMPLATE_NAME, "object_types": ["dcim.cable"],
            "description": "Device, port, far device, far port, connection and cable status, as CSV" + DESCRIBED,
            "template_code": CABLING_TEMPLATE, "mime_type": "text/csv", "file_name": "hedgehog-cabling",
            "file_extension": "csv", "as_attachment": True}


# -- notifications ---------------------------------------------------------------------

def notification_group(name=NOTIFICATION_GROUP):
    """Made without members: who is told is the NetBox administrators' choice, kept across runs."""
    return {"name": name, "description": "Told when a Hedgehog fabric fails, falls out of sync or recovers"
                                         + DESCRIBED}


HEALTH = "custom_fields.hedgehog_health"

# hedgehog_health never says "syncing", so a run's own lease does not hide the
# transition, and a fabric that keeps failing changes nothing and tells no one again.
UNHEALTHY_CONDITIONS = {"and": [
    {"attr": HEALTH, "op": "changed"},
    {"attr": HEALTH, "op": "in", "value": list(UNHEALTHY)},
]}
RECOVERED_CONDITIONS = {"and": [
    {"attr": HEALTH, "op": "changed"},
    {"attr": "snapshots.prechange." + HEALTH, "op": "in", "value": list(UNHEALTHY)},
    {"attr": HEALTH, "op": "eq", "value": "in_sync"},
]}


def event_rules(group_id):
    """Notify the group when a fabric's health turns to error or out_of_sync, and when it is in sync again."""
    def rule(name, conditions, description):
        return {"name": name, "object_types": [CLUSTER], "enabled": True, "event_types": ["object_updated"],
                "conditions": conditions, "action_type": "notification",
                "action_object_type": "extras.notificationgroup", "action_object_id": group_id,
                "description": description + DESCRIBED, "tags": [{"slug": SYNC_TAG}]}
    return [
        rule("Hedgehog fabric unhealthy", UNHEALTHY_CONDITIONS, "A fabric's sync failed or its runs stopped"),
        rule("Hedgehog fabric recovered", RECOVERED_CONDITIONS, "A failed or stale fabric is in sync again"),
    ]
