# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NetBox's change log as the sync reads it: what changed since the mark, and where the mark moves to.

NetBox files every change under the id of the request that made it (the
``X-Request-ID`` of the answer), whoever sent it. The sync keeps the ids of its
own write requests, so it tells its own changes from everyone else's by
request, not by user (a person may run the sync with the token they edit
with) and not by the change message (NetBox cannot filter on it, and anyone
can type it).

The mark is the id of a change such that every change up to it is accounted
for. It is only moved past changes older than ``SETTLE_SECONDS``: a change
another client's transaction has numbered but not yet committed is invisible
for that long, and a mark past it would skip it for good. The sync's own
changes newer than that stay listed, and are recognised by their request ids.
"""

from __future__ import annotations

from datetime import timedelta

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import MODELS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import parse_time

CHANGES = "core/object-changes"
SCHEMA_TYPES = ("extras.customfield", "extras.tag")
# The fabric's anchor is the home of its record, written by every run; its own
# fields are compared on the record itself, so its changes are not listed.
ANCHOR_TYPE = "virtualization.cluster"
OWNED_TYPES = tuple(sorted(set(spec.object_type for spec in MODELS if spec.owned and spec.object_type != ANCHOR_TYPE)))
SHARED_TYPES = tuple(sorted(set(spec.object_type for spec in MODELS if not spec.owned)))
# SwitchGroup tags are shared objects and schema alike: watched once.
WATCHED_TYPES = tuple(dict.fromkeys(OWNED_TYPES + SHARED_TYPES + SCHEMA_TYPES))
LIGHT_FIELDS = ("id", "time", "user_name", "request_id", "action", "changed_object_type", "changed_object_id",
                "related_object_type", "related_object_id", "object_repr")
SETTLE_SECONDS = 10
# Request ids carried on the record from one run to the next, at most.
OWN_LIMIT = 300


class ChangeLogError(Exception):
    """The change log cannot vouch for the time since the mark (pruned, unreadable)."""


def action_of(row):
    action = row.get("action")
    return action.get("value") if isinstance(action, dict) else action


class ChangeLog:
    """The watched part of NetBox's change log."""

    def __init__(self, client):
        self.client = client

    def newest(self):
        """The id of the newest watched change, or of the newest change at all when none is watched (None: none)."""
        rows, _count = self.client.page(CHANGES, {"changed_object_type": list(WATCHED_TYPES), "ordering": "-id"},
                                        fields=("id",))
        if not rows:
            rows, _count = self.client.page(CHANGES, {"ordering": "-id"}, fields=("id",))
        return rows[0]["id"] if rows else None

    def exists(self, change_id):
        rows, _count = self.client.page(CHANGES, {"id": change_id}, fields=("id",))
        return bool(rows)

    def since(self, mark):
        """Every watched change from ``mark`` on (the mark's own first), oldest first."""
        return self.client.list(CHANGES, {"changed_object_type": list(WATCHED_TYPES)}, fields=LIGHT_FIELDS,
                                start=mark)

    def after(self, mark):
        """Every watched change after ``mark``, with what tells the sync's own apart."""
        return self.client.list(CHANGES, {"changed_object_type": list(WATCHED_TYPES)}, fields=LIGHT_FIELDS,
                                start=(mark or 0) + 1)

    def read_since(self, mark):
        """``since``, checked to reach back to the mark; raises ChangeLogError when it does not."""
        try:
            rows = self.since(mark)
            if rows and rows[0].get("id") == mark:
                return rows[1:]
            # The mark may be a change of another type (a fabric with no watched change yet), or gone.
            present = self.exists(mark)
        except NetBoxAPIError as exc:
            raise ChangeLogError("NetBox's change log cannot be read (%s)" % exc.message) from exc
        if not present:
            raise ChangeLogError("NetBox's change log no longer holds change %d, where the last run left off "
                                 "(pruned after CHANGELOG_RETENTION days?)" % mark)
        return [row for row in rows if row.get("id") != mark]

    def data(self, ids):
        """Before and after of the given changes: ``{change id: (prechange, postchange)}``."""
        rows = self.client.list_by(CHANGES, "id", list(ids), fields=("id", "prechange_data", "postchange_data"))
        return dict((row["id"], (row.get("prechange_data") or {}, row.get("postchange_data") or {})) for row in rows)

    def terminations(self, request_ids):
        """The cable ends a request deleted: ``{cable termination id: interface id}``."""
        ends = {}
        for request_id in sorted(set(request_ids)):
            rows = self.client.list(CHANGES, {"request_id": request_id, "changed_object_type": "dcim.cabletermination",
                                              "action": "delete"}, fields=("changed_object_id", "prechange_data"))
            for row in rows:
                data = row.get("prechange_data") or {}
                if data.get("termination_type") is not None:
                    ends[row["changed_object_id"]] = data.get("termination_id")
        return ends


def settled_mark(rows, mark, server_now):
    """The newest listed change old enough to settle on (``mark`` when none is)."""
    if server_now is None:
        return mark
    cut = server_now - timedelta(seconds=SETTLE_SECONDS)
    settled = mark
    for row in rows:
        stamp = parse_time(row.get("time"))
        if stamp is not None and stamp <= cut and (settled is None or row["id"] > settled):
            settled = row["id"]
    return settled
