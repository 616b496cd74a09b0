#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_status
short_description: Report the sync status of Hedgehog fabrics from their records in NetBox
version_added: 0.1.0
description:
  - Reads each fabric's record (the Cluster of type C(Hedgehog Fabric) that M(hedgehog.netbox_sync.fabric_sync)
    keeps) and computes its status with the same function the sync uses, so the report and NetBox never disagree.
  - Status values, first match wins - V(not_configured) (no source), V(disabled), V(syncing) (a live run lease),
    V(never_synced) (no run yet), V(error) (the last attempt failed), V(out_of_sync) (last success older than the
    interval plus a grace of max(120 s, interval/4)), V(in_sync).
  - Read-only unless O(update_records) is set; one list request to NetBox for all fabrics.
author:
  - Hedgehog NetBox sync contributors (@githedgehog)
requirements:
  - pynetbox >= 7.6.0
  - requests
extends_documentation_fragment:
  - hedgehog.netbox_sync.netbox_auth
options:
  fabrics:
    description:
      - The fabrics to report, as the inventory describes them.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The fabric's name.
        type: str
        required: true
      configured:
        description: Whether the inventory gives the fabric a source (kubeconfig, host or wiring directory).
        type: bool
        default: true
      sync_enabled:
        description: Whether scheduled runs are on.
        type: bool
        default: true
      sync_interval:
        description: Seconds between scheduled runs.
        type: int
        default: 300
  update_records:
    description:
      - Also write each fabric's computed status into its record (C(hedgehog_status) and C(hedgehog_health)) where
        time alone changed it - a fabric whose runs stopped is V(out_of_sync) only once something writes it, and
        only then do NetBox's Clusters list and its event rules (M(hedgehog.netbox_sync.netbox_ui)) see it.
      - A fabric that is syncing now is left to its run; a record a run changed since it was read is left alone.
      - Run it on a schedule (every few minutes) for notifications of fabrics that fall out of sync.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Never writes; with O(update_records) it reports what it would write.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
"""

EXAMPLES = r"""
- name: Status of every fabric
  hedgehog.netbox_sync.fabric_status:
    fabrics:
      - name: dc1
        sync_interval: 300
      - name: dc2
        sync_enabled: false
  register: fabric_status

- name: Show the table
  ansible.builtin.debug:
    msg: "{{ fabric_status.table }}"
"""

RETURN = r"""
fabrics:
  description:
    - One entry per fabric with its computed status and record fields.
    - C(progress) is set for a fabric that is V(syncing) by a run that has worked for some seconds - its phase
      and, once it writes, C(done) of C(total) objects, C(rate) (objects per second) and C(seconds_left); the
      table's status shows the percentage and the details a line. Null otherwise.
  returned: always
  type: list
  elements: dict
  sample:
    - fabric: dc1
      status: in_sync
      interval: 300
      last_success: "2026-11-29T21:40:02Z"
      age: "45 s ago"
      last_attempt: "2026-11-29T21:40:02Z"
      last_result: success
      last_error: null
      duration: 1.6
      changes: none
      next_run_text: "in 4 min"
      last_path: unchanged
      hand_edits:
        found: "2026-11-29T21:35:02Z"
        policy: repair
        count: 1
        edits:
          - object: LAG leaf-02 PortChannel1
            type: dcim.interface
            id: 248
            action: update
            fields: [description]
            user: alice
            time: "2026-11-29T21:33:40Z"
            outcome: repaired
table:
  description: The fabrics as fixed-width lines under a header, for people.
  returned: always
  type: list
  elements: str
details:
  description: A multi-line block per fabric, including the last error, how the last run reconciled and the hand
    edits the last run that found any found (object, fields, who, when, what was done).
  returned: always
  type: dict
counts:
  description: Fabrics per status.
  returned: always
  type: dict
  sample: {"in_sync": 2, "error": 1}
updated:
  description: The records whose status O(update_records) wrote (or would write in check mode).
  returned: when O(update_records) is true
  type: list
  elements: dict
  sample:
    - fabric: dc2
      before: {status: in_sync, health: in_sync}
      after: {status: out_of_sync, health: out_of_sync}
"""

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import as_sync_error
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.module import NetboxSyncModule, argument_spec
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.health import refresh_health
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import detail, fabric_status, table

FABRIC_SPEC = {
    "name": {"type": "str", "required": True},
    "configured": {"type": "bool", "default": True},
    "sync_enabled": options.RECORD["sync_enabled"].spec(),
    "sync_interval": options.RECORD["sync_interval"].spec(),
}


def main():
    spec = argument_spec("netbox_auth", fabrics={"type": "list", "elements": "dict", "required": True,
                                                 "options": FABRIC_SPEC},
                         update_records={"type": "bool", "default": False})
    module = NetboxSyncModule(argument_spec=spec, supports_check_mode=True)
    extra = {}
    failure = None
    try:
        client = module.netbox_client()
        now = datetime.now(timezone.utc)
        rows = fabric_status(client, module.params["fabrics"], now=now)
        if module.params["update_records"]:
            extra["updated"] = refresh_health(client, module.params["fabrics"], now, check_mode=module.check_mode)
    except Exception as error:  # one clear message, whatever went wrong
        failure = as_sync_error(error, None, "status")
    if failure is not None:
        module.fail_from_error(failure)
    counts = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    module.exit_json(changed=bool(extra.get("updated")), fabrics=rows, table=table(rows), counts=counts,
                     details=dict((row["fabric"], detail(row)) for row in rows), **extra)


if __name__ == "__main__":
    main()
