#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fabric_sync
short_description: Make NetBox equal to a Hedgehog fabric
version_added: 0.1.0
description:
  - Reads one Hedgehog Open Network Fabric from its Kubernetes API (or from a directory of wiring YAML files)
    and reconciles it into NetBox core models (site, device types with their ports, devices, interfaces,
    LAGs, cables, ASNs, management, loopback and link IPs, /31 link prefixes).
  - Reads NetBox in a few field-limited lists, compares only the fields it manages, and writes in bulk;
    a run with nothing to change makes no write at all.
  - With O(record_status=true), a run whose fabric, options and versions are unchanged since the last complete run,
    and in whose NetBox nobody else changed the fabric's objects since (NetBox's change log says), reads nothing more
    and writes only its outcome; objects others edited are handled one by one (O(hand_edits)); anything uncertain
    is reconciled in full, with the reason in RV(reason).
  - Touches only objects carrying the fabric's marker (custom field C(hedgehog_fabric) and tag C(hedgehog-sync));
    anything else that collides with the fabric is reported as a conflict and left alone unless O(adopt=true).
  - Malformed source objects are skipped with a warning naming the kind, the object and the cause;
    the rest of the fabric still syncs and the result is V(partial).
author:
  - Hedgehog NetBox sync contributors (@githedgehog)
requirements:
  - kubernetes >= 24.2.0 (for a Kubernetes source)
  - pynetbox >= 7.6.0
  - requests
  - PyYAML
extends_documentation_fragment:
  - hedgehog.netbox_sync.netbox_auth
  - hedgehog.netbox_sync.k8s_auth
  - hedgehog.netbox_sync.sync_options
  - hedgehog.netbox_sync.record_options
attributes:
  check_mode:
    support: full
    description: Computes the whole plan and writes nothing, not even the tags and custom fields the sync needs.
  diff_mode:
    support: full
    description: Before and after of each changed object, bounded by O(diff_limit).
notes:
  - Transient faults (connection errors, timeouts, HTTP 429, 502, 503, 504) are retried with jittered
    exponential backoff; every other error fails the task with a message naming the fabric, the endpoint
    and the cause. A create whose answer was lost is looked up before it is sent again.
  - Whatever ends a run early (an error, a bug, O(run_timeout), SIGTERM/SIGINT/SIGHUP, a lost lease, or the
    ansible-playbook process that started it being killed) is recorded on the fabric's record as V(failed)
    with its cause, the run lease is released and the metrics are written; the task fails without a traceback.
"""

EXAMPLES = r"""
- name: Sync a fabric from its control node's API
  hedgehog.netbox_sync.fabric_sync:
    fabric: dc1
    site: DC1
    kubeconfig: /etc/hedgehog/dc1.kubeconfig
    netbox_url: https://netbox.example.com
    netbox_token: "{{ vault_netbox_token }}"

- name: Sync with host and token instead of a kubeconfig, marking removed objects instead of deleting them
  hedgehog.netbox_sync.fabric_sync:
    fabric: dc2
    host: https://172.30.0.1:6443
    api_key: "{{ vault_dc2_token }}"
    ca_cert: /etc/hedgehog/dc2-ca.crt
    prune: mark
    orphan_grace: 86400

- name: Plan a fabric that is not deployed yet, from its wiring files (NETBOX_API and NETBOX_TOKEN from the environment)
  hedgehog.netbox_sync.fabric_sync:
    fabric: lab
    wiring_dir: /srv/wiring/lab
  check_mode: true
  diff: true
"""

RETURN = r"""
changed:
  description: Whether NetBox was (or, in check mode, would be) changed.
  returned: always
  type: bool
result:
  description: V(success), or V(partial) when some source objects were skipped, some kinds could not be read
    whole, some changes were held or some writes refused.
  returned: always
  type: str
  sample: success
fabric:
  description: The fabric's name.
  returned: always
  type: str
release:
  description: The fabric's release from C(Fabricator.status.release), when readable.
  returned: always
  type: str
  sample: "26.03.0"
summary:
  description:
    - Actions per NetBox kind (device, interface, lag, cable, ip_address, prefix, ...) with the number of
      objects to create, update, delete, mark, release, left unchanged, in conflict, blocked, or kept.
  returned: always
  type: dict
  sample: {"device": {"create": 11, "update": 0, "delete": 0, "unchanged": 0, "conflict": 0}}
changes:
  description: The non-zero write actions of RV(summary) only, per kind (empty when nothing changed).
  returned: always
  type: dict
  sample: {"cable": {"create": 1, "delete": 1}}
applied:
  description:
    - Writes NetBox accepted, per kind and action (absent in check mode). A new switch's primary IP is set by a
      write of its own after its IP exists, so it counts here as an update while RV(summary), which counts
      objects, counts the switch once as created.
  returned: when something was written
  type: dict
problems:
  description: Every skipped or refused object, with its kind, name and cause.
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "Connection", "name": "server-09--unbundled--leaf-01", "cause": "references server server-09, which does not exist or was skipped"}]
cabling:
  description:
    - How the fabric's cables fared against the LLDP neighbours its switches report - C(cables) in the fabric,
      C(judged) by at least one switch whose agent reports now, and C(disagree), the ones LLDP contradicts
      (set to V(planned) in NetBox, and each a finding in RV(findings)).
  returned: always
  type: dict
  sample: {"cables": 22, "judged": 22, "disagree": 2}
findings:
  description:
    - What is wrong with the fabric itself rather than with its sync, in the shape of RV(problems) - each cable
      LLDP disagrees with, naming both ends of the wiring and what LLDP saw. NetBox holds these cables as they
      are (V(planned)), so findings do not make the run V(partial); they are among the run's warnings.
  returned: always
  type: list
  elements: dict
  sample:
    - kind: cable
      name: cable spine-02--fabric--leaf-01 leaf-01/E1/6-spine-02/E1/1
      cause: "LLDP disagrees with the wiring, which joins spine-02 E1/1 and leaf-01 E1/6: spine-02 E1/1 sees leaf-02 E1/7"
source:
  description:
    - Where the fabric was read from (C(origin)), the number of objects per kind (C(objects)), and the kinds
      that could not be read whole, with the cause (C(incomplete)).
    - C(api) is, per API group, the versions the Kubernetes API serves (V([]) when the group is not installed)
      and the one read (V(null) when none is known to this collection); empty for a wiring directory.
    - C(hydration) for a wiring directory, whether its switch and link addresses were set (V(full)), not yet set
      as hhfab writes wiring (V(none), they land later), or given hhfab's plan by O(wiring_hydrate) (V(planned));
      null for a Kubernetes API.
  returned: always
  type: dict
  sample: {"origin": "kubernetes:https://172.30.0.1:6443", "objects": {"Switch": 5},
           "incomplete": {}, "hydration": null,
           "api": {"wiring.githedgehog.com": {"served": ["v1beta1"], "read": "v1beta1"}}}
requests:
  description: Requests made, to NetBox by HTTP method (with C(total) and C(writes)) and to Kubernetes.
  returned: always
  type: dict
  sample: {"netbox": {"GET": 21, "total": 21, "writes": 0}, "kubernetes": 20}
status:
  description: The fabric's computed status after the run (see the README's status values).
  returned: when O(record_status=true) and not in check mode
  type: str
  sample: in_sync
skipped:
  description: True when another run held the fabric's lease, so this run did nothing.
  returned: when the lease was held
  type: bool
path:
  description:
    - How the run reconciled. V(unchanged) - nothing changed in the fabric or in NetBox since the last complete run,
      nothing was read but the change log and the record. V(repair) - only the objects others edited were read
      and handled. V(full) - every object was read and compared (RV(reason) says why).
  returned: always
  type: str
  sample: unchanged
reason:
  description: Why the run reconciled in full (null otherwise).
  returned: always
  type: str
  sample: "the fabric changed since the last run"
hand_edits:
  description:
    - Changes someone else made to the fabric's objects since the last run, with the object, the managed fields
      changed (none for a deletion), who, when, and what the run did (V(repaired), V(recreated), V(kept),
      V(nothing to repair), or why not).
  returned: always
  type: list
  elements: dict
  sample: [{"object": "LAG leaf-02 PortChannel1", "type": "dcim.interface", "id": 248, "action": "update",
            "fields": ["description"], "user": "alice", "time": "2026-12-06T19:21:22Z", "outcome": "repaired"}]
timings:
  description:
    - Seconds spent per phase (read_source, snapshot, desired, changelog, schema, read_netbox, plan, holds,
      dependants, apply) and in total.
  returned: always
  type: dict
diff:
  description: Before and after per changed object, bounded by O(diff_limit).
  returned: in diff mode
  type: list
  elements: dict
"""

import os
import signal

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import (
    ParentWatch,
    RunControl,
    handle_signals,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import sync_fabric
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import LeaseHeldError, as_sync_error
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.module import NetboxSyncModule, sync_argument_spec
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun


def interrupt_self():
    """Break off what the run waits on (a request): the signal handler stops it there."""
    os.kill(os.getpid(), signal.SIGTERM)


def main():
    module = NetboxSyncModule(argument_spec=sync_argument_spec(), supports_check_mode=True)
    recorded = None
    control = RunControl(module.params["fabric"])
    held = failure = None
    try:
        config = module.fabric_config()
        control = RunControl(config.fabric, timeout=config.deadline)
        restore = handle_signals(control)
        try:
            if config.record_status:
                recorded = RecordedRun(config, check_mode=module.check_mode, want_diff=module.diff,
                                       control=control, watch=ParentWatch(), interrupt=interrupt_self)
                result = recorded.execute()
            else:
                result = sync_fabric(config, check_mode=module.check_mode, want_diff=module.diff, control=control)
        finally:
            restore()
    except LeaseHeldError as error:
        held = error
    except Exception as error:  # every ending is one clear failure
        failure = as_sync_error(error, module.params["fabric"], control.phase)
    # Out of the except clauses: no traceback rides along with the failure.
    if held is not None:
        module.exit_json(changed=False, skipped=True, result="skipped", fabric=module.params["fabric"],
                         msg=held.message, lease=held.details)
    if failure is not None:
        module.fail_from_error(failure, warnings=recorded.warnings if recorded else [])
    output = result.as_dict()
    output["warnings"] += recorded.warnings if recorded else []
    module.exit_json(**output)


if __name__ == "__main__":
    main()
