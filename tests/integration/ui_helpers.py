"""Shared helpers of the NetBox UI tests: the recorded VLAB, the UI applied to it, a logged-in web session."""

from __future__ import annotations

import re

import requests

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.apply import UiOptions, apply_ui

FABRIC = "vlab"
FABRICS = [{"name": FABRIC, "site": h.VLAB_SITE}]
MEMBER = "noc-alice"
MEMBER_PASSWORD = "Noc-Alice-Testbed-1"


def restore_recorded_vlab(testbed, netbox, kube):
    """The VLAB synced by a recorded run (the fabric's record with its status fields), from a saved copy."""
    def build():
        result = h.recorded_sync(h.config_for(netbox, kube))
        assert result["result"] == "success", result["warnings"]
    h.restore_synced(testbed, "vlab_recorded", build, inputs=(h.VLAB,))


def client_of(netbox):
    return NetBoxClient(netbox.url, netbox.token)


def apply(netbox, check_mode=False, fabrics=None, **options):
    """The UI part as bootstrap makes it (for FABRICS by default); returns the result and the requests it took."""
    client = client_of(netbox)
    options["fabrics"] = FABRICS if fabrics is None else fabrics
    result = apply_ui(client, UiOptions(**options), check_mode=check_mode)
    return result, client.request_counts()


def record(netbox):
    (row,) = h.api_list(netbox, "virtualization/clusters", name=FABRIC)
    return row


def fail_a_run(netbox, kube):
    """A recorded run that Kubernetes refuses (a wrong token): the fabric's health turns to error."""
    config = h.config_for(netbox, kube, k8s_auth={"kubeconfig": str(kube.kubeconfig_path), "api_key": "wrong"})
    try:
        h.recorded_sync(config)
    except Exception as error:  # noqa: BLE001 - the refusal is the point; its type is tested elsewhere
        assert "401" in str(error)
    else:
        raise AssertionError("a run with a wrong Kubernetes token succeeded")


def web_session(netbox, username=None, password=None):
    """A requests session logged into NetBox's web UI, as a browser would be."""
    session = requests.Session()
    page = session.get(netbox.url + "/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(netbox.url + "/login/", timeout=60, headers={"Referer": netbox.url + "/login/"},
                          data={"csrfmiddlewaretoken": token, "username": username or netbox.username,
                                "password": password or netbox.password, "next": "/"})
    assert answer.status_code == 200 and "/login/" not in answer.url, "login as %s failed" % (username or "admin")
    return session


def add_member(netbox, group_name, username=MEMBER, password=MEMBER_PASSWORD):
    """A NetBox user, put into the notification group as an administrator would; returns the user's id."""
    user = netbox.api.users.users.create(username=username, password=password)
    (group,) = h.api_list(netbox, "extras/notification-groups", name=group_name)
    netbox.api.extras.notification_groups.get(group["id"]).update({"users": [user.id]})
    return user.id


def notifications(netbox, user_id):
    """The user's notifications (NetBox's API lists every user's to an administrator)."""
    return [row for row in h.api_list(netbox, "extras/notifications") if row["user"]["id"] == user_id]


def dismiss_all(netbox, user_id):
    for row in notifications(netbox, user_id):
        netbox.api.extras.notifications.get(row["id"]).delete()
