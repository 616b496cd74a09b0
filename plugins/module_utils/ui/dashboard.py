# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabrics' status as a widget on a NetBox user's own dashboard.

NetBox keeps a dashboard per user and its API changes only the dashboard of
the token's own user, so this adds the widget for whoever's token runs it. The
widget is an object list of the Clusters under the saved filter of every
fabric, shown with the shared table config's columns.
"""

from __future__ import annotations

import uuid

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.objects import CLUSTER, FABRICS_FILTER

DASHBOARD = "extras/dashboard"
# A fixed id: the same widget is found again on every run, never added twice.
WIDGET_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://galaxy.ansible.com/hedgehog/netbox_sync#fabrics-widget"))
WIDGET_TITLE = "Hedgehog fabrics"
WIDGET_SIZE = {"w": 8, "h": 4}


def widget(table_config_id=None, page_size=10):
    params = {"filter": FABRICS_FILTER}
    if table_config_id:
        params["tableconfig_id"] = table_config_id
    return {"class": "extras.ObjectListWidget", "title": WIDGET_TITLE, "color": None,
            "config": {"model": CLUSTER, "page_size": page_size, "url_params": params}}


def dashboard_change(dashboard, wanted):
    """The dashboard with the widget added or corrected, or None when it is right already."""
    config = dict(dashboard.get("config") or {})
    layout = list(dashboard.get("layout") or [])
    if config.get(WIDGET_ID) == wanted and any(item.get("id") == WIDGET_ID for item in layout):
        return None
    config[WIDGET_ID] = wanted
    if not any(item.get("id") == WIDGET_ID for item in layout):
        # At the top, where a person looks first; NetBox's grid moves the others down.
        layout.insert(0, dict(WIDGET_SIZE, id=WIDGET_ID, x=0, y=0))
    return {"layout": layout, "config": config}


def dashboard_without(dashboard):
    config = dict(dashboard.get("config") or {})
    if WIDGET_ID not in config:
        return None
    config.pop(WIDGET_ID)
    return {"layout": [item for item in dashboard.get("layout") or [] if item.get("id") != WIDGET_ID],
            "config": config}


def ensure_widget(client, present, table_config_id=None, check_mode=False):
    """Adds (or removes) the widget on the token's user's dashboard; returns "added", "updated", "removed" or None."""
    dashboard = client.request("GET", DASHBOARD) or {}
    if not dashboard.get("layout") and not dashboard.get("config"):
        # No dashboard yet: NetBox makes the default one on the user's first visit; writing
        # one now would replace NetBox's default widgets with this one alone.
        if not present:
            return None
        raise ConfigError("the token's user has no NetBox dashboard yet: open NetBox's home page once as that user, "
                          "then run this again")
    if present:
        change = dashboard_change(dashboard, widget(table_config_id))
        outcome = "updated" if WIDGET_ID in (dashboard.get("config") or {}) else "added"
    else:
        change = dashboard_without(dashboard)
        outcome = "removed"
    if change is None:
        return None
    if not check_mode:
        client.request("PATCH", DASHBOARD, body=change)
    return outcome
