# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what NetBox holds for one fabric: the owned objects, and the candidates desired keys could collide with.

Each model's row in ``models.py`` says how its rows are found (its lookup) and
keyed. NetBox spends its time serialising rows, one request per gunicorn
worker, so the reads that need nothing found by another read (every model's
owned rows) start together at the beginning, and the big lists (ports, cable
ends) are split over the workers.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import MODELS, ORDER, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import FABRIC_FIELD, owner_of


class Inventory:
    """Current NetBox records per kind and key, and the id index used to resolve references."""

    def __init__(self, fabric):
        self.fabric = fabric
        self.records = dict((kind, {}) for kind in ORDER)
        self.ids = dict((kind, {}) for kind in ORDER)
        self.keys_by_id = dict((kind, {}) for kind in ORDER)
        self.duplicates = []
        # (kind, id) -> the desired key of an owned row renamed by hand (its name in NetBox is not its key).
        self.rekeyed = {}

    def add(self, kind, key, row):
        if key in self.records[kind]:
            if self.records[kind][key].get("id") != row.get("id"):
                self.duplicates.append((kind, key, row.get("id")))
            return
        self.records[kind][key] = row
        self.register(kind, key, row.get("id"))

    def register(self, kind, key, object_id):
        if object_id is None:
            return
        self.ids.setdefault(kind, {})[key] = object_id
        self.keys_by_id.setdefault(kind, {})[object_id] = key

    def id_of(self, kind, key):
        return self.ids.get(kind, {}).get(key)

    def key_of_id(self, kind, object_id):
        return self.keys_by_id.get(kind, {}).get(object_id)

    def owned(self, kind):
        return dict((key, row) for key, row in self.records[kind].items() if owner_of(row) == self.fabric)


class InventoryReader:
    """Reads the inventory of one fabric for one desired state."""

    def __init__(self, client, fabric, schema_ready, adopt=frozenset(), workers=1, scope=None):
        self.client = client
        self.fabric = fabric
        self.schema_ready = schema_ready
        self.adopt = adopt
        self.workers = max(1, int(workers))
        # A targeted read: ``{kind: rows}`` already read for the objects others edited
        # stand for the kinds' owned rows; the rest is found by the desired keys alone.
        self.scope = scope
        # What the lookups share within one read (the device interfaces, read once for three kinds).
        self.shared = {}
        self.pool = None
        self.desired = None
        self._owned_reads = {}

    def read(self, desired):
        inventory = Inventory(self.fabric)
        self.desired = desired
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            self.pool, self.shared = pool, {}
            self._owned_reads = self._start_owned_reads(pool)
            try:
                for kind in ORDER:
                    spec = SPECS[kind]
                    _add_rows(inventory, spec, spec.lookup(self, spec, desired.of(kind), inventory))
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
            finally:
                self.pool, self.shared, self._owned_reads = None, {}, {}
        return inventory

    def specs_on(self, endpoint):
        """Every model read from ``endpoint`` (ports, LAGs and subinterfaces share one)."""
        return [spec for spec in MODELS if spec.endpoint == endpoint]

    def _start_owned_reads(self, pool):
        """Every owned model's rows, requested at once; devices first, as the port read waits for them."""
        if not self.schema_ready or self.scope is not None:
            return {}
        kinds = [kind for kind in ORDER if SPECS[kind].owned and SPECS[kind].lookup.prefetch_owned]
        kinds.sort(key=lambda kind: kind != "device")
        return dict((kind, pool.submit(self._list_owned, SPECS[kind])) for kind in kinds)

    def _list_owned(self, spec):
        return self.client.list(spec.endpoint, {"cf_%s" % FABRIC_FIELD: self.fabric}, spec.read_fields())

    def owned_rows(self, spec):
        """The model's rows that carry the fabric's marker (none before the marker's custom field exists)."""
        if not self.schema_ready:
            return []
        if self.scope is not None:
            return list(self.scope.get(spec.kind, ()))
        started = self._owned_reads.pop(spec.kind, None)
        return started.result() if started is not None else self._list_owned(spec)


def _add_rows(inventory, spec, rows):
    for row in rows:
        key = inventory.rekeyed.get((spec.kind, row.get("id"))) or spec.key(row, inventory)
        if key is not None:
            inventory.add(spec.kind, key, row)
    if spec.also:
        for key, row in inventory.records[spec.kind].items():
            inventory.register(*spec.alias(key, row.get("name")), row.get("id"))
