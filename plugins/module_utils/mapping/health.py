# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether an agent (a switch's, or a gateway's) still reports, from its heartbeat."""

from __future__ import annotations

from datetime import datetime, timezone

ACTIVE = "active"
OFFLINE = "offline"
# The node has not reported yet.
PLANNED = "planned"


def heartbeat(text):
    """An agent's ``lastHeartbeat`` as an aware datetime, or None."""
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def agent_status(last_heartbeat, now, stale_after):
    """``active`` while the heartbeat is at most ``stale_after`` s old, ``offline`` after, ``planned`` before one."""
    stamp = heartbeat(last_heartbeat)
    if stamp is None:
        return PLANNED
    return ACTIVE if (now - stamp).total_seconds() <= stale_after else OFFLINE


def frozen_heartbeat(last_heartbeat):
    """A stale agent's heartbeat in the form NetBox's API returns a datetime (``...Z``, whole seconds).

    Anything else would differ from what NetBox gives back and be written again on every run.
    """
    stamp = heartbeat(last_heartbeat)
    if stamp is None:
        return None
    return stamp.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def is_fresh(agent, now, stale_after):
    """True when ``agent`` (any record with ``last_heartbeat``) reports now: its facts can judge the fabric."""
    return agent is not None and agent_status(agent.last_heartbeat, now, stale_after) == ACTIVE
