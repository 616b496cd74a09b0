# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric's run lease: a compare-and-set on its record, so one fabric never has two runs at once.

The lease is written with If-Match on the record's ETag (NetBox 4.6+), so two
controllers (two AWX nodes, cron and a manual run) that read the same free
lease cannot both take it; a lease whose time ran out is taken over.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import LeaseHeldError, NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.anchor import CLUSTERS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import lease_is_live


def iso(stamp):
    return stamp.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def holder_id():
    """Who holds a lease: host, process, and the AWX job when there is one."""
    job = os.environ.get("JOB_ID") or os.environ.get("AWX_JOB_ID") or os.environ.get("TOWER_JOB_ID")
    base = "%s:%d" % (socket.gethostname(), os.getpid())
    if job:
        base += ":awx-job-%s" % job
    return "%s:%s" % (base, uuid.uuid4().hex[:8])


def take_lease(client, anchor_id, fabric, holder, started, ttl, fields):
    """Take the lease on the record (writing ``fields`` with it), or raise LeaseHeldError.

    Returns the record as it was read before the lease was written.
    """
    current, etag = client.read_one(CLUSTERS, anchor_id)
    lease = (current.get("custom_fields") or {}).get(record.LEASE) or {}
    if lease_is_live(lease, started) and lease.get("holder") != holder:
        raise LeaseHeldError(
            "already running since %s (held by %s until %s); this run did nothing"
            % (lease.get("since"), lease.get("holder"), lease.get("until")),
            fabric=fabric, holder=lease.get("holder"), since=lease.get("since"), until=lease.get("until"))
    lease = {"holder": holder, "since": iso(started), "until": iso(started + timedelta(seconds=ttl))}
    try:
        client.patch_one(CLUSTERS, anchor_id, {"custom_fields": dict(fields, **{record.LEASE: lease})},
                         if_match=etag)
    except NetBoxAPIError as exc:
        if exc.status == 412:
            raise LeaseHeldError("another run took the lease a moment ago; this run did nothing",
                                 fabric=fabric) from exc
        raise
    return current
