# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  record_status:
    description:
      - Keep the fabric's record in NetBox (a Cluster of type C(Hedgehog Fabric) named after the fabric)
        - last attempt, last success, last result, last error, duration, counts, release, computed status -
        take its run lease first, and add a journal entry per run.
      - These writes are counted apart from the sync's (C(requests.status_record)).
    type: bool
    default: true
  sync_enabled:
    description:
      - Whether scheduled runs are on for the fabric; mirrored into its record (status V(disabled) when off).
        A run that is started anyway always syncs.
    type: bool
    default: true
  sync_interval:
    description:
      - Seconds between scheduled runs; mirrored into the record, where it decides when the fabric is V(out_of_sync).
    type: int
    default: 300
  lease_ttl:
    description:
      - Seconds the run lease lasts unrenewed. A run renews its lease every quarter of this while it works, so the
        lease of a run that died runs out soon by itself and the next run takes it over; a run on the same host
        takes over at once the lease of a process that is gone. At least 10.
    type: int
    default: 120
  metrics_file:
    description:
      - Write the fabric's metrics in the Prometheus text format to this file after every run, failed ones
        included (for node_exporter's textfile collector; use one file per fabric). Needs O(record_status=true).
      - Metrics (all labelled C(fabric)) - C(hedgehog_netbox_sync_last_success_timestamp_seconds),
        C(_last_attempt_timestamp_seconds), C(_last_duration_seconds), C(_last_result{result}), C(_status{status}),
        C(_objects_changed{kind,action}), C(_problems).
    type: path
"""
