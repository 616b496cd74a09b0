"""The floor: only the bulk writes a plan needs, one request after the other, and nothing else.

It takes a plan made by the engine in check mode and sends, on a bare ``requests``
session: the missing tags and custom fields, deletions up the dependency order, then
per kind the creates and updates down it, the one read that learns the ids of the
ports NetBox made from the device types' templates, and the late fields (primary
IPs). The payloads are the engine's, with the same change-log message, so NetBox does
the same work; what is left out is everything around the writes (reading the source
and NetBox, planning, parallel chunks, retries, isolating refused objects).
"""

from __future__ import annotations

from collections import Counter

import requests

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import CUSTOM_FIELDS, TAGS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import chunk_values
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, SPECS


class Floor:
    def __init__(self, url, token, chunk_size=200, changelog_message=None, timeout=600):
        self.url = url.rstrip("/")
        self.chunk_size = max(1, int(chunk_size))
        self.changelog_message = changelog_message
        self.timeout = timeout
        self.session = requests.Session()
        scheme = "Bearer" if token.startswith("nbt_") else "Token"
        self.session.headers.update({"Authorization": "%s %s" % (scheme, token), "Accept": "application/json"})
        self.counts = Counter()
        self.written = 0
        self.ids = {}
        self.tags = {}

    def request_counts(self):
        counts = dict(self.counts)
        counts["total"] = sum(self.counts.values())
        counts["writes"] = sum(v for k, v in self.counts.items() if k != "GET")
        return counts

    def _call(self, method, endpoint, body=None, params=None):
        self.counts[method] += 1
        response = self.session.request(method, "%s/api/%s/" % (self.url, endpoint), json=body, params=params,
                                        timeout=self.timeout)
        if response.status_code >= 400:
            raise RuntimeError("floor: NetBox refused %s %s (HTTP %d): %s"
                               % (method, endpoint, response.status_code, response.text[:500]))
        return response.json() if response.content else None

    def _write(self, method, endpoint, objects):
        rows = []
        for start in range(0, len(objects), self.chunk_size):
            chunk = objects[start:start + self.chunk_size]
            if method != "DELETE" and self.changelog_message:
                chunk = [dict(obj, changelog_message=self.changelog_message) for obj in chunk]
            rows.extend(self._call(method, endpoint, body=chunk) or [])
            self.written += len(chunk)
        return rows

    # -- references -----------------------------------------------------------

    def _resolve(self, value):
        if isinstance(value, Ref):
            if value.kind == "tag":
                return self.tags[value.key]
            return self.ids[value.kind][value.key]
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if isinstance(value, dict):
            return dict((k, self._resolve(v)) for k, v in value.items())
        return value

    def _id(self, action):
        known = self.ids.get(action.kind, {}).get(action.key)
        return known if known is not None else (action.record or {}).get("id")

    # -- the writes ---------------------------------------------------------------

    def apply(self, plan, inventory, schema):
        self.ids = dict((kind, dict(inventory.ids.get(kind, {}))) for kind in ORDER)
        self.tags = dict(schema.tag_ids)
        self._schema(schema)
        for kind in reversed(ORDER):
            actions = plan.select("delete", kind)
            if actions:
                self._write("DELETE", SPECS[kind].endpoint, [{"id": a.record["id"]} for a in actions])
        for kind in ORDER:
            self._update(kind, [a for op in ("mark", "release") for a in plan.select(op, kind)])
        for kind in ORDER:
            self._create(kind, plan.select("create", kind))
            if kind == "device":
                self._learn_ports(plan.select("create", "device"))
            self._update(kind, plan.select("update", kind, late=False))
        for kind in ORDER:
            self._update(kind, plan.select("update", kind, late=True))

    def _schema(self, schema):
        missing = [tag for tag in TAGS if tag["slug"] not in self.tags]
        if missing:
            for row in self._write("POST", "extras/tags", missing):
                self.tags[row["slug"]] = row["id"]
        if not schema.ready:
            self._write("POST", "extras/custom-fields", list(CUSTOM_FIELDS))

    def _create(self, kind, actions):
        if not actions:
            return
        payloads = []
        for action in actions:
            fields = dict(action.changes)
            for late in (action.desired.late if action.desired else {}):
                fields.pop(late, None)
            payloads.append(self._resolve(fields))
        rows = self._write("POST", SPECS[kind].endpoint, payloads)
        for action, row in zip(actions, rows):
            self.ids[kind][action.key] = row["id"]
            if kind == "lag":
                self.ids["interface"][(action.key[0], row["name"])] = row["id"]

    def _update(self, kind, actions):
        if not actions:
            return
        payloads = [dict(self._resolve(action.changes), id=self._id(action)) for action in actions]
        self._write("PATCH", SPECS[kind].endpoint, payloads)

    def _learn_ports(self, created):
        device_ids = [self.ids["device"][a.key] for a in created]
        for group in chunk_values(device_ids, "device_id"):
            params = {"device_id": group, "fields": "id,name,device", "limit": 0}
            page = self._call("GET", "dcim/interfaces", params=params)
            while True:
                for row in page.get("results") or []:
                    self.ids["interface"].setdefault((row["device"]["name"], row["name"]), row["id"])
                if not page.get("next"):
                    break
                self.counts["GET"] += 1
                page = self.session.get(page["next"], timeout=self.timeout).json()
