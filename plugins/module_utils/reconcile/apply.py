# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a plan against NetBox: bulk writes in dependency order, bad objects isolated.

Deletions go first, up the dependency order (a moved port frees its old cable
before the new one is made); then creates and updates go down it; fields that
point at later kinds (a device's primary IP) come last. A chunk NetBox rejects
is narrowed down to the objects it names, which are reported while the rest
lands; whatever depended on a failed object is skipped with its own problem.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem

# Statuses that mean "these objects were refused", as opposed to "NetBox is broken".
REFUSED = (400, 404, 409)


class Unresolved(Exception):
    def __init__(self, ref):
        super().__init__("%s %s" % (ref.kind, ref.key))
        self.ref = ref


class Applier:
    def __init__(self, client, plan, inventory, tag_ids, chunk_size=200, workers=3):
        self.client = client
        self.plan = plan
        self.inventory = inventory
        self.tag_ids = tag_ids
        self.chunk_size = max(1, int(chunk_size))
        self.workers = max(1, int(workers))
        self.problems = []
        self.failed = set()
        self.done = Counter()

    # -- references ---------------------------------------------------------------

    def resolve(self, value):
        if isinstance(value, Ref):
            object_id = self.tag_ids.get(value.key) if value.kind == "tag" else None
            if object_id is None:
                object_id = self.inventory.id_of(value.kind, value.key)
            if object_id is None:
                raise Unresolved(value)
            return object_id
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return dict((k, self.resolve(v)) for k, v in value.items())
        return value

    def _payload(self, action, fields, with_id):
        try:
            payload = self.resolve(fields)
        except Unresolved as exc:
            self._fail(action, "needs %s %s, which could not be written" % (exc.ref.kind.replace("_", " "),
                                                                            _show(exc.ref.key)))
            return None
        if with_id:
            object_id = self.inventory.id_of(action.kind, action.key) or (action.record or {}).get("id")
            if object_id is None:
                self._fail(action, "its NetBox id is unknown (the object was not created)")
                return None
            payload["id"] = object_id
        return payload

    def _fail(self, action, cause):
        self.failed.add((action.kind, action.key))
        self.problems.append(Problem.about(action.kind, action.label, cause))

    # -- the run ------------------------------------------------------------------

    def run(self):
        for kind in reversed(ORDER):
            self._delete(kind)
        for kind in ORDER:
            self._update(kind, ("mark", "release"))
        for kind in ORDER:
            self._create(kind)
            if kind == "device":
                self._learn_new_ports()
            self._update(kind, ("update",), late=False)
        for kind in ORDER:
            self._update(kind, ("update",), late=True)
        return self

    def _delete(self, kind):
        actions = self.plan.select("delete", kind)
        if not actions:
            return
        items = [(action, action.record["id"]) for action in actions]
        endpoint = SPECS[kind].endpoint
        for action, ok in self._in_chunks(items, lambda ids: self.client.delete(endpoint, ids)):
            if ok:
                self.done[(kind, "delete")] += 1

    def _create(self, kind):
        spec = SPECS[kind]
        items = []
        for action in self.plan.select("create", kind):
            fields = dict(action.changes)
            for late_field in (action.desired.late if action.desired else {}):
                fields.pop(late_field, None)
            payload = self._payload(action, fields, with_id=False)
            if payload is not None:
                items.append((action, payload))
        for action, row in self._in_chunks(items, lambda objs: self.client.create(spec.endpoint, objs)):
            if not row:
                continue
            self.done[(kind, "create")] += 1
            self._learn(spec, action.key, row)

    def _update(self, kind, ops, late=None):
        spec = SPECS[kind]
        items = []
        for op in ops:
            for action in self.plan.select(op, kind, late=late):
                if (kind, action.key) in self.failed:
                    continue
                payload = self._payload(action, action.changes, with_id=True)
                if payload is not None:
                    items.append((action, payload))
        for action, row in self._in_chunks(items, lambda objs: self.client.update(spec.endpoint, objs)):
            if row:
                self.done[(kind, action.op)] += 1
                if "name" in action.changes:
                    self._learn(spec, action.key, row)

    def _learn(self, spec, key, row):
        """A written object's id, under its key and under the key it is also known by (a renamed LAG)."""
        self.inventory.register(spec.kind, key, row.get("id"))
        alias = spec.alias(key, row.get("name"))
        if alias:
            self.inventory.register(alias[0], alias[1], row.get("id"))

    def _learn_new_ports(self):
        """NetBox made the new devices' ports from their templates: learn their ids."""
        pending = self.plan.template_rows
        if not pending:
            return
        devices = set(device for device, _name in pending)
        ids = [self.inventory.id_of("device", device) for device in devices]
        ids = [i for i in ids if i is not None]
        if not ids:
            return
        spec = SPECS["interface"]
        for row in self.client.list_by(spec.endpoint, "device_id", ids, fields=("id", "name", "device")):
            key = ((row.get("device") or {}).get("name"), row.get("name"))
            template_row = pending.get(key)
            if template_row is not None:
                template_row["id"] = row["id"]
            self.inventory.register("interface", key, row["id"])

    # -- bulk writes with isolation of refused objects ------------------------------

    def _in_chunks(self, items, write):
        chunks = [items[i:i + self.chunk_size] for i in range(0, len(items), self.chunk_size)]
        if not chunks:
            return []
        if self.workers == 1 or len(chunks) == 1:
            results = [self._write_chunk(chunk, write) for chunk in chunks]
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool:
                results = list(pool.map(lambda chunk: self._write_chunk(chunk, write), chunks))
        return [pair for result in results for pair in result]

    def _write_chunk(self, chunk, write):
        """Write a chunk; on refusal, split it so only the objects NetBox named are left out."""
        try:
            rows = write([payload for _action, payload in chunk])
        except NetBoxAPIError as exc:
            if exc.status not in REFUSED:
                raise
            return self._isolate(chunk, write, exc)
        if not isinstance(rows, list):
            rows = [True] * len(chunk)
        return list(zip([action for action, _payload in chunk], rows))

    def _isolate(self, chunk, write, exc):
        if len(chunk) == 1:
            action = chunk[0][0]
            self._fail(action, "NetBox refused it: %s" % _reason(exc.body))
            return [(action, None)]
        body = exc.body
        if isinstance(body, list) and len(body) == len(chunk) and any(body):
            # NetBox names the refused items by position: keep them out, retry the rest.
            good, bad = [], []
            for (action, payload), error in zip(chunk, body):
                (bad if error else good).append((action, payload))
            results = []
            for (action, _payload), error in zip(bad, [e for e in body if e]):
                self._fail(action, "NetBox refused it: %s" % _reason(error))
                results.append((action, None))
            if good:
                results.extend(self._write_chunk(good, write))
            return results
        middle = len(chunk) // 2
        return self._write_chunk(chunk[:middle], write) + self._write_chunk(chunk[middle:], write)

    def counts(self):
        counts = {}
        for (kind, op), number in self.done.items():
            counts.setdefault(kind, {})[op] = number
        return counts


def _reason(body):
    if isinstance(body, dict):
        parts = []
        for field, errors in body.items():
            if isinstance(errors, list):
                errors = "; ".join(str(e) for e in errors)
            parts.append("%s: %s" % (field, errors) if field not in ("detail", "non_field_errors") else str(errors))
        return ", ".join(parts)
    return str(body)[:300]


def _show(key):
    if isinstance(key, tuple):
        return "/".join(str(part) for part in key if part is not None)
    return str(key)
