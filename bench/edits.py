"""Hand edits for the benchmark: another NetBox user, with a token of their own, changes one owned object."""

from __future__ import annotations

import requests

EDITOR = "bench-editor"
EDITABLE_TYPES = ("dcim.device", "dcim.interface", "ipam.ipaddress")


class Editor:
    """A second NetBox user, made with the admin token on a fresh database."""

    def __init__(self, url, admin_token):
        self.url = url.rstrip("/")
        self.admin = self._session(admin_token)
        user = self._post(self.admin, "users/users", {"username": EDITOR, "password": "Bench-Editor-Passw0rd-1"})
        self._post(self.admin, "users/permissions", {"name": "bench edits", "object_types": list(EDITABLE_TYPES),
                                                     "actions": ["view", "change"], "users": [user["id"]]})
        token = self._post(self.admin, "users/tokens", {"user": user["id"], "version": 1, "write_enabled": True})
        self.session = self._session(token["token"])

    @staticmethod
    def _session(token):
        session = requests.Session()
        session.headers.update({"Authorization": "Token %s" % token, "Accept": "application/json",
                                "Content-Type": "application/json"})
        return session

    def _api(self, path):
        return "%s/api/%s/" % (self.url, path.strip("/"))

    def _post(self, session, path, body):
        response = session.post(self._api(path), json=body, timeout=60)
        response.raise_for_status()
        return response.json()

    def edit_one_device(self, fabric, description):
        """Change the description of the fabric's first server; what was edited, for the report."""
        response = self.session.get(self._api("dcim/devices"), timeout=60, params={
            "cf_hedgehog_fabric": fabric, "role": "server", "ordering": "name", "limit": 1,
            "fields": "id,name,description"})
        response.raise_for_status()
        device = response.json()["results"][0]
        patched = self.session.patch(self._api("dcim/devices/%d" % device["id"]), json={"description": description},
                                     timeout=60)
        patched.raise_for_status()
        return {"object": "device %s" % device["name"], "field": "description", "was": device["description"],
                "set_to": description, "by": EDITOR}
