# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Carry out a plan against NetBox: bulk writes in dependency order, bad objects isolated.

Deletions go first, up the dependency order (a moved port frees its old cable
before the new one is made); then creates and updates go down it; fields that
point at later kinds (a device's primary IP) come last. A chunk NetBox rejects
is narrowed down to the objects it names, which are reported while the rest
lands; a write the token has no permission for (HTTP 403) is held whole, each
object named with the permission it needs. Whatever depended on a failed object
is skipped with its own problem.

Writes are safe to repeat after an answer that never came: a create looks its
objects up by their natural keys before it is sent again (``NetBoxClient.create``
with this module's finder), a shared object another run made a moment ago is
read and used, and a deletion NetBox already carried out counts as done.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import DUPLICATE
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.inventory import InventoryReader
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import owner_of
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem

# Statuses that mean "these objects were refused", as opposed to "NetBox is broken".
REFUSED = (400, 404, 409)
GONE = re.compile(r"does not exist", re.IGNORECASE)
# A write the token has no right to: NetBox's permission of the action (add, change, delete) on the object type.
FORBIDDEN = 403
PERMISSION = {"create": "add", "update": "change", "delete": "delete"}


class Unresolved(Exception):
    def __init__(self, ref):
        super().__init__("%s %s" % (ref.kind, ref.key))
        self.ref = ref


class Applier:
    def __init__(self, client, plan, inventory, tag_ids, chunk_size=200, workers=3, progress=None):
        self.client = client
        # Told of every chunk written, for the record of a long run (control.Progress).
        self.progress = progress
        self.plan = plan
        self.inventory = inventory
        self.tag_ids = tag_ids
        self.chunk_size = max(1, int(chunk_size))
        self.workers = max(1, int(workers))
        self.problems = []
        self.failed = set()
        self.done = Counter()
        # Finds rows by their natural keys (after a create that got no answer, or a duplicate).
        self.reader = InventoryReader(client, plan.fabric, True)

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
        if self.progress is not None:
            # Objects, as the run's summary counts them: a late field of a created object is its creation.
            self.progress.expect(len(set((action.kind, action.key) for action in self.plan.writes())))
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
        for action, ok in self._in_chunks(items, lambda ids: self.client.delete(endpoint, ids),
                                          recover=self._already_gone):
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
        actions = dict((id(payload), action) for action, payload in items)
        find = self._finder(spec, actions)
        for action, row in self._in_chunks(items, lambda objs: self.client.create(spec.endpoint, objs, find=find),
                                           recover=self._found_made(spec, find)):
            if not row:
                continue
            self.done[(kind, "create")] += 1
            self._learn(spec, action.key, row)

    def _finder(self, spec, actions):
        """``find(payloads)``: per payload, the row NetBox holds under its action's key (ours, or shared), or None."""
        def find(payloads):
            wanted = OrderedDict((actions[id(p)].key, actions[id(p)].desired) for p in payloads)
            keyed = {}
            for row in spec.lookup.find(self.reader, spec, wanted, self.inventory):
                key = spec.key(row, self.inventory)
                if key in wanted and (not spec.owned or owner_of(row) == self.plan.fabric):
                    keyed.setdefault(key, row)
            return [keyed.get(actions[id(p)].key) for p in payloads]
        return find

    def _found_made(self, spec, find):
        """A create refused as a duplicate: the row NetBox holds under the same key is used.

        A shared object another run made a moment ago is used as it is. One of the
        fabric's own is the create of an earlier run whose answer never came (a run
        killed mid-write, its request forwarded by a proxy after this run read
        NetBox): it is brought to what the plan wants, so nothing of the earlier
        run's state is left behind.
        """
        def recover(chunk, exc):
            if not DUPLICATE.search(str(exc.body)):
                return None
            found = find([payload for _action, payload in chunk])
            ours = [(payload, row) for (_action, payload), row in zip(chunk, found) if row]
            if not spec.owned or not ours:
                return found
            try:
                updated = iter(self.client.update(spec.endpoint, [dict(payload, id=row["id"]) for payload, row in ours]))
            except NetBoxAPIError as exc_update:
                if exc_update.status not in REFUSED:
                    raise
                return None
            return [next(updated) if row else None for row in found]
        return recover

    @staticmethod
    def _already_gone(chunk, exc):
        """A refused deletion: objects NetBox says do not exist are gone already, which is what was wanted."""
        gone = set(_named_ids(exc.body, GONE))
        if not gone:
            return None
        return [True if object_id in gone else None for _action, object_id in chunk]

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

    def _in_chunks(self, items, write, recover=None):
        chunks = [items[i:i + self.chunk_size] for i in range(0, len(items), self.chunk_size)]
        if not chunks:
            return []
        if self.workers == 1 or len(chunks) == 1:
            results = [self._write_chunk(chunk, write, recover) for chunk in chunks]
        else:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(chunks))) as pool:
                results = list(pool.map(lambda chunk: self._write_chunk(chunk, write, recover), chunks))
        return [pair for result in results for pair in result]

    def _write_chunk(self, chunk, write, recover=None):
        """Write a chunk; on refusal, split it so only the objects NetBox named are left out.

        ``recover(chunk, error)`` may settle a refused chunk first: per item a
        result (the object is as wanted after all) or None (still to write).
        """
        try:
            rows = write([payload for _action, payload in chunk])
        except NetBoxAPIError as exc:
            if exc.status == FORBIDDEN:
                return self._forbidden(chunk, exc)
            if exc.status not in REFUSED and not (recover and exc.status == 500):
                raise
            settled = recover(chunk, exc) if recover else None
            if settled is None or not any(settled):
                if exc.status not in REFUSED:
                    raise
                return self._isolate(chunk, write, exc)
            results = [(action, result) for (action, _payload), result in zip(chunk, settled) if result]
            rest = [item for item, result in zip(chunk, settled) if not result]
            return results + (self._write_chunk(rest, write) if rest else [])
        if not isinstance(rows, list):
            rows = [True] * len(chunk)
        if self.progress is not None:
            self.progress.advance((action.kind, action.key) for action, _payload in chunk)
        return list(zip([action for action, _payload in chunk], rows))

    def _forbidden(self, chunk, exc):
        """A write the token has no permission for: the whole chunk is held, as NetBox has it.

        NetBox answers 403 when the token is not write-enabled or its user may
        not do the action on the object type: every part of the chunk would be
        refused alike, so it is not split. The next run whose token has the
        permission writes what was held.
        """
        detail = str(exc.body.get("detail") if isinstance(exc.body, dict) else exc.body).rstrip(".")
        for action, _payload in chunk:
            doing = action.op if action.op in PERMISSION else "update"
            self._fail(action, "NetBox refused to %s it with fabric %s's token (HTTP %d at %s: %s): the token needs "
                       "the %s permission there; it is held until a run whose token has it"
                       % (doing, self.plan.fabric, exc.status, exc.endpoint, detail, PERMISSION[doing]))
        return [(action, None) for action, _payload in chunk]

    def _isolate(self, chunk, write, exc):
        errors = _item_errors(exc.body, len(chunk))
        if len(chunk) == 1:
            action = chunk[0][0]
            reason = _reason(errors[0] if errors and errors[0] else exc.body)
            self._fail(action, "NetBox refused it: %s (HTTP %s)" % (reason, exc.status))
            return [(action, None)]
        if errors is not None and any(errors):
            # NetBox names the refused items by position: keep them out, retry the rest.
            results = []
            good = []
            for (action, payload), error in zip(chunk, errors):
                if error:
                    self._fail(action, "NetBox refused it: %s (HTTP %s)" % (_reason(error), exc.status))
                    results.append((action, None))
                else:
                    good.append((action, payload))
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


def _item_errors(body, size):
    """Per item of a refused bulk write, its error or None; None when NetBox did not say which.

    NetBox 4.x lists them under ``errors`` with each item's ``index``; older
    releases answered a list in the order of the items.
    """
    if isinstance(body, list) and len(body) == size:
        return [error or None for error in body]
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        errors = [None] * size
        for entry in body["errors"]:
            if isinstance(entry, dict) and isinstance(entry.get("index"), int) and 0 <= entry["index"] < size:
                errors[entry["index"]] = entry.get("errors") or entry
        return errors
    return None


def _named_ids(body, pattern):
    """The ids a refused bulk write names with an error matching ``pattern`` (NetBox 4.x: ``errors[].id``)."""
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    return [entry.get("id") for entry in body["errors"]
            if isinstance(entry, dict) and pattern.search(str(entry.get("errors")))]


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
