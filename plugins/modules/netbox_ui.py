#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: netbox_ui
short_description: Make NetBox's own UI show the Hedgehog fabrics' sync status
version_added: 0.1.0
description:
  - Creates and keeps equal what lets a NetBox user see and reach the fabrics from NetBox's web UI, with what
    NetBox 4.7 offers; removes it again with O(state=absent) or part by part.
  - O(record_layout) orders the custom fields of each fabric's record (the Cluster of type C(Hedgehog Fabric))
    so that status and last error come first and the JSON counts last.
  - O(table_config) adds the shared table config C(Hedgehog fabrics) to the Clusters list - sync status, last
    success, age, last changes, problems.
  - O(custom_links) adds the record's age and a C(Fabric) menu (orphaned devices, devices in its site that no
    fabric owns, the cabling as CSV, the topology), a C(Fabric <name>) button on every device and cable leading to
    its fabric's record and, with O(awx), a button to the sync job template's launch page in AWX.
  - O(saved_filters) adds shared saved filters - every fabric, the unhealthy ones, those with problems, and per
    fabric its orphans, the unowned devices and cables in its site (where conflicts are) and, once NetBox has the
    custom fields that O(lldp_filter) names, the cables that disagree with LLDP.
  - O(notifications) adds a notification group (without members - who is told is yours to choose) and two event
    rules that notify it when a fabric's health turns to V(error) or V(out_of_sync) and when it is V(in_sync)
    again.
  - O(export_template) adds the export template C(Hedgehog cabling (CSV)) on cables.
  - O(topology) lays each fabric out in layers in the netbox-topology-views plugin, and sets its icons for the
    Hedgehog roles, when NetBox runs the plugin; nothing otherwise.
  - Objects of models that take tags carry the tag C(hedgehog-sync); every object carries the marker
    C(hedgehog.netbox_sync) in its description (a custom link in a Jinja comment of its text). Only marked objects
    are changed or removed; one of the same name without the marker is reported and left alone.
author:
  - Hedgehog NetBox sync contributors (@githedgehog)
requirements:
  - pynetbox >= 7.6.0
  - requests
extends_documentation_fragment:
  - hedgehog.netbox_sync.netbox_auth
options:
  state:
    description:
      - V(present) makes the parts that are on equal and removes those that are off; V(absent) removes every part,
        the notification group and its members included, and puts the record's fields back in their sync layout.
    type: str
    choices: [present, absent]
    default: present
  fabrics:
    description:
      - The fabrics, for the saved filters and topology of each. Saved filters and coordinate groups of fabrics not
        listed are removed.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The fabric's name.
        type: str
        required: true
      site:
        description: The fabric's NetBox site (default - the fabric's name), for its unowned-objects filter.
        type: str
  record_layout:
    description: Lay the record's custom fields out for people.
    type: bool
    default: true
  table_config:
    description: The shared table config of the Clusters list.
    type: bool
    default: true
  custom_links:
    description: The custom links on the record, on devices and on cables.
    type: bool
    default: true
  saved_filters:
    description: The shared saved filters.
    type: bool
    default: true
  notifications:
    description:
      - The notification group and its event rules. Turned off, the rules are removed and the group with its
        members stays.
    type: bool
    default: true
  notification_group:
    description: Name of the notification group.
    type: str
    default: Hedgehog fabric alerts
  export_template:
    description: The cabling export template.
    type: bool
    default: true
  topology:
    description: The topology plugin's layers and icons, when NetBox runs netbox-topology-views.
    type: bool
    default: true
  awx:
    description:
      - Where the fabrics' sync job template is in AWX; with O(awx.url) set, each record gets a button to it.
    type: dict
    suboptions:
      url:
        description: The AWX controller, for example C(https://awx.example.com).
        type: str
      job_template:
        description: The job template's name.
        type: str
        default: hedgehog-netbox-sync
      organization:
        description: The job template's organization (AWX names a template by name and organization).
        type: str
        default: Default
      job_template_id:
        description: The job template's id; the link uses it instead of the name when given.
        type: int
  lldp_filter:
    description:
      - The saved-filter parameters that select a fabric's cables that disagree with LLDP (cabling verification).
      - "By default C({status: [planned], cf_hedgehog_lldp_mismatch: [sees]}), the cables a sync set to planned with
        what LLDP saw. The filters are made only when every custom field named here exists (the module makes the
        sync's own)."
    type: dict
  dashboard:
    description:
      - Instead of the shared parts, only add a C(Hedgehog fabrics) widget (the Clusters of every fabric, with the
        table config's columns) to the dashboard of the token's own user; with O(state=absent) only remove it.
      - NetBox's API changes only its caller's dashboard, so each user runs this with their own token (see
        C(playbooks/dashboard.yml)). The user must have opened NetBox's home page once (NetBox makes the dashboard
        then).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Computes every change and writes nothing.
  diff_mode:
    support: full
    description: Before and after of every created, updated or deleted object.
"""

EXAMPLES = r"""
- name: Show the fabrics in NetBox's UI
  hedgehog.netbox_sync.netbox_ui:
    fabrics:
      - name: dc1
        site: DC1
    awx:
      url: https://awx.example.com

- name: Everything but the notifications
  hedgehog.netbox_sync.netbox_ui:
    fabrics: [{name: dc1}]
    notifications: false

- name: Add the fabrics widget to my own dashboard (my token); nothing else
  hedgehog.netbox_sync.netbox_ui:
    netbox_token: "{{ my_token }}"
    dashboard: true

- name: Take it all away again
  hedgehog.netbox_sync.netbox_ui:
    state: absent
"""

RETURN = r"""
changes:
  description: Per part or kind what was (or in check mode would be) created, updated or deleted, by name.
  returned: always
  type: dict
  sample:
    custom_link: {create: ["Fabric record", "Sync age"]}
    saved_filter: {create: ["hedgehog-dc1-orphans"], delete: ["hedgehog-old-orphans"]}
    record_layout: {update: ["hedgehog_status"]}
notes:
  description: Parts left out and why (the topology plugin is not installed, no LLDP custom field yet).
  returned: always
  type: list
  elements: str
topology_plugin:
  description: The version of netbox-topology-views NetBox runs, or null.
  returned: unless O(dashboard) is true
  type: str
dashboard:
  description: What happened to the token's user's widget - added, updated, removed, or null for nothing.
  returned: when O(dashboard) is true
  type: str
diff:
  description: Before and after of each changed object.
  returned: when diff mode is on
  type: list
  elements: dict
"""

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SyncError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.module import NetboxSyncModule, argument_spec
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.apply import PARTS, UiOptions, apply_ui

SPEC = dict(
    state={"type": "str", "choices": ["present", "absent"], "default": "present"},
    fabrics={"type": "list", "elements": "dict", "default": [],
             "options": {"name": {"type": "str", "required": True}, "site": {"type": "str"}}},
    notification_group={"type": "str", "default": "Hedgehog fabric alerts"},
    awx={"type": "dict", "options": {
        "url": {"type": "str"}, "job_template": {"type": "str", "default": "hedgehog-netbox-sync"},
        "organization": {"type": "str", "default": "Default"}, "job_template_id": {"type": "int"}}},
    lldp_filter={"type": "dict"},
    dashboard={"type": "bool", "default": False},
    **dict((part, {"type": "bool", "default": True}) for part in PARTS)
)


def main():
    module = NetboxSyncModule(argument_spec=argument_spec("netbox_auth", **SPEC), supports_check_mode=True)
    params = module.params
    options = UiOptions(fabrics=params["fabrics"], state=params["state"], parts=dict((p, params[p]) for p in PARTS),
                        notification_group=params["notification_group"], awx=params["awx"],
                        lldp_filter=params["lldp_filter"], dashboard=params["dashboard"])
    try:
        result = apply_ui(module.netbox_client(), options, check_mode=module.check_mode)
    except SyncError as error:
        module.fail_from_error(error)
    diff = result.pop("diff", [])
    if module.diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
