# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A change-driven run: reconcile nothing, only what others edited, or everything, and say why.

The fabric's record keeps a basis of the last complete run (``basis.py``). When
the desired state, the options and the versions are what the basis says, and
NetBox's change log since its mark shows no change by anyone else to what the
fabric owns or uses, NetBox still holds what the last run left: the run reads
no more and writes only its outcome. Hand edits of owned objects are read and
put back one by one (or kept, with ``hand_edits: keep``). Whatever leaves room
for doubt is reconciled in full, with the reason in the result.
"""

from __future__ import annotations

from datetime import timedelta

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.basis import Basis, to_ranges
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.changelog import (
    OWN_LIMIT,
    ChangeLog,
    ChangeLogError,
    settled_mark,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.drift import sort_changes
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.fingerprint import (
    desired_digest,
    outcome_options,
    source_facts,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.keep import KeptEdits
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.repair import (
    NeedFull,
    RepairScope,
    locate,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import MODELS, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.schema import SchemaState
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    FABRIC_FIELD,
    ORPHANED_SINCE_FIELD,
    owner_of,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import WRITE_OPS, normalize
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import parse_time
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import SUCCESS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.version import COLLECTION_VERSION

# The anchor's fields the sync owns: when they differ from what the last run left, someone edited the record.
ANCHOR_FIELDS = ("name", "type", "scope_type", "scope_id", "status")
# Plan ops that leave an object the fabric's.
KEEPS_OWNERSHIP = ("create", "update", "unchanged", "mark", "kept")


def iso(stamp):
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z") if stamp else None


def anchor_values(row):
    """The anchor's own fields and marker, as plain values."""
    values = dict((field, normalize(row.get(field))) for field in ANCHOR_FIELDS)
    values["marker"] = owner_of(row)
    return values


def _humanize(seconds):
    seconds = int(seconds)
    if seconds >= 7200:
        return "%d h" % (seconds // 3600)
    if seconds >= 120:
        return "%d min" % (seconds // 60)
    return "%d s" % seconds


class Resync:
    """Carries out one recorded run of ``run`` (a SyncRun) against the record's basis."""

    def __init__(self, run, record_row, own_from, load_schema, last_result=None):
        self.run = run
        self.config = run.config
        self.client = run.client
        self.record_row = record_row
        self.basis = Basis.from_record(((record_row or {}).get("custom_fields") or {}).get(record.BASIS))
        self.last_result = last_result
        # Where this run's own writes start in the client's list (the lease is the record's).
        self.own_from = own_from
        self.load_schema = load_schema
        self.changelog = ChangeLog(self.client)
        self.kept = KeptEdits(self.basis.kept if self.basis else ())
        self.listed = None
        self.before_writes = None
        # Why the change log leaves room for doubt (None: none).
        self.log_doubt = None
        self.looked_back = False
        self.edits = []
        self.digest = None
        self.next_basis = None

    # -- the run ----------------------------------------------------------------------

    def look_back(self, timed=None):
        """NetBox's side: what others changed since the basis's mark. It needs nothing of the source, so a
        recorded run does it while the source is read; ``timed`` (name, func, *args) measures each read."""
        timed = timed or self.run.timer.phase
        if self.basis is not None and self.basis.mark is not None and not self.basis.full_next:
            try:
                self.listed = timed("changelog", self.changelog.read_since, self.basis.mark)
            except ChangeLogError as exc:
                self.log_doubt = str(exc)
        if self.listed is not None:
            found = sort_changes(self.listed, self.basis, skip_requests=self.basis.own,
                                 skip_ids=self._ids(self.basis.seen))
            self.log_doubt = found.full_reason
            self.edits = found.edits
            self.before_writes = max([row["id"] for row in self.listed] + [self.basis.mark])
        else:
            self.before_writes = timed("changelog", self.changelog.newest)
        if self.edits:
            data = timed("changelog", self.changelog.data, [edit.change_id for edit in self.edits])
            for edit in self.edits:
                edit.before, edit.after = data.get(edit.change_id, ({}, {}))
        self.looked_back = True

    def execute(self):
        """The run, once the source is read (``run.prepare``) and NetBox's side looked at (``look_back``); each is
        done here when it was not yet."""
        run = self.run
        run.kept = self.kept
        if run.desired is None:
            run.prepare()
        if not self.looked_back:
            self.look_back()
        self.digest = desired_digest(run.desired, source_facts(run))
        reason = self._reason_from_record() or self._doubt_in_source() or self.log_doubt
        run.hand_edits = self.edits
        if reason is None and self.edits:
            try:
                result = self._repair()
            except NeedFull as exc:
                reason = str(exc)
        if reason is not None:
            result = self._full(reason)
        elif not self.edits:
            result = run.unchanged()
        self.next_basis = self._next_basis(result)
        return result

    @staticmethod
    def _ids(runs):
        return set(i for first, last in runs or [] for i in range(first, last + 1))

    # -- why a full reconcile ---------------------------------------------------------------

    def _reason_from_record(self):
        """Why this run cannot trust the last one, as far as the record and the desired state tell."""
        config, basis = self.config, self.basis
        if config.full:
            return "a full reconcile was asked for (full=true)"
        if basis is None:
            return "no complete run of this version is recorded yet"
        if basis.full_next:
            return basis.full_next
        if self.last_result not in (SUCCESS, None):
            return "the last run was %s" % self.last_result
        if basis.version != COLLECTION_VERSION:
            return "the collection changed from %s to %s" % (basis.version or "?", COLLECTION_VERSION)
        netbox = self._netbox_version()
        if basis.netbox != netbox:
            return "NetBox changed from %s to %s" % (basis.netbox or "?", netbox)
        options = outcome_options(config)
        changed = sorted(name for name in set(options) | set(basis.options)
                         if options.get(name) != basis.options.get(name))
        if changed:
            return "options changed: %s" % ", ".join(changed)
        interval = config.full_resync_interval
        last_full = parse_time(basis.full_at)
        if not interval:
            return "every run reconciles in full (full_resync_interval 0)"
        if last_full is None or (self.run.now - last_full).total_seconds() >= interval:
            return "the last full reconcile was %s ago (full_resync_interval %d s)" % (
                _humanize((self.run.now - last_full).total_seconds()) if last_full else "never", interval)
        until = parse_time(basis.until)
        if until is not None and self.run.now >= until:
            return "orphaned objects reach the end of orphan_grace"
        if self.record_row is not None and anchor_values(self.record_row) != basis.anchor:
            return "the fabric's record (cluster %s) was edited" % self.config.fabric
        if self.digest != basis.desired:
            return "the fabric changed since the last run"
        return None

    def _doubt_in_source(self):
        """Why what this run read leaves room for doubt (None: none): a kind read only in part, a held change, a
        problem. A full reconcile is what holds what must be held and names each problem."""
        run = self.run
        if run.source.incomplete:
            return "the source could not be read whole (%s)" % ", ".join(sorted(run.source.incomplete))
        if run.snapshot.held or run.desired.contests:
            return "some of the fabric's changes are held"
        problems = len(run.snapshot.problems) + len(run.desired.problems)
        if problems:
            return "the fabric has %d problem(s)" % problems
        return None

    def _netbox_version(self):
        version = self.client.version
        return "%d.%d" % tuple(version[:2])

    # -- the two ways to reconcile --------------------------------------------------------------

    def _schema_from_basis(self):
        """The tags and custom fields as the last run left them (the change log shows none changed since)."""
        schema = SchemaState()
        schema.tag_ids = dict(self.basis.tags)
        schema.ready = True
        return schema

    def _repair(self):
        run = self.run
        scoper = RepairScope(self.client, self.changelog, run.desired, self.basis)
        placed = run.timer.phase("read_netbox", scoper.place, self.edits)
        scope = scoper.scope(placed)
        run.path, run.reason = "repair", None
        run.schema = self._schema_from_basis()
        located = dict((item.edit.change_id, (item.kind, item.key)) for item in placed)
        run.review = lambda plan, inventory: self._review(plan, lambda edit: located.get(edit.change_id))
        return run.reconcile(scope)

    def _full(self, reason):
        run = self.run
        run.path, run.reason = "full", reason
        if run.schema is None:
            run.schema = run.timer.phase("schema", self.load_schema)
        run.review = lambda plan, inventory: self._review(plan, lambda edit: locate(inventory, edit))
        return run.reconcile()

    def _review(self, plan, where):
        """Name each hand edit (object, managed fields), apply the policy, and say what the run does about it."""
        actions = dict(((a.kind, a.key), a) for a in plan.actions if not a.late)
        reported = []
        for edit in self.edits:
            slot = where(edit)
            obj = self.run.desired.get(*slot) if slot else None
            action = actions.get(slot) if slot else None
            if slot is not None:
                edit.kind, edit.key = slot
                edit.label = obj.label if obj is not None else "%s %s" % (slot[0], _show(slot[1]))
            edit.fields = self._managed(edit, obj)
            if edit.action == "update" and not edit.fields:
                continue  # only fields the sync does not manage changed
            edit.outcome = self._apply_policy(edit, obj, action)
            reported.append(edit)
        self.edits[:] = reported
        self.run.hand_edits = reported

    @staticmethod
    def _managed(edit, obj):
        changed = edit.changed()
        if obj is None:
            spec_fields = set()
            for spec in MODELS:
                if spec.object_type == edit.object_type:
                    spec_fields.update(spec.fields)
            return [f for f in changed if f.split(".", 1)[0] in spec_fields or f == "tags"]
        custom = set(obj.fields.get("custom_fields") or {}) | {FABRIC_FIELD, ORPHANED_SINCE_FIELD}
        return [f for f in changed if f in obj.fields or f == "tags"
                or (f.startswith("custom_fields.") and f.split(".", 1)[1] in custom)]

    def _apply_policy(self, edit, obj, action):
        if action is not None and action.op in ("blocked", "conflict"):
            return "not repaired: %s" % action.reason
        if action is None or action.op not in WRITE_OPS:
            return "nothing to repair"
        if self.config.hand_edits == "keep" and action.op == "update" and obj is not None and edit.action == "update":
            fields = [f for f in action.changes if f != "custom_fields"]
            fields += ["custom_fields.%s" % name for name in (action.changes.get("custom_fields") or {})]
            self.kept.keep(action.kind, obj, fields, edit.user, edit.time)
            action.op, action.reason = "kept", "hand edit by %s kept (hand_edits: keep)" % (edit.user or "someone")
            return "kept"
        return {"create": "recreated", "delete": "deleted", "update": "repaired"}.get(action.op, action.op)

    # -- what the next run starts from -------------------------------------------------------------

    def _next_basis(self, result):
        run, basis = self.run, self.basis
        old = basis or Basis()
        nxt = Basis(version=COLLECTION_VERSION, netbox=self._netbox_version(), desired=self.digest,
                    options=outcome_options(self.config))
        if run.path == "full":
            self.kept.retain(run.desired)
            nxt.full_at = iso(run.now)
            nxt.owned, nxt.shared = self._ownership()
            nxt.anchor = self._anchor_after()
            nxt.until = self._orphan_deadline()
            nxt.tags = dict(run.schema.tag_ids)
        else:
            nxt.full_at, nxt.owned, nxt.shared = old.full_at, dict(old.owned), dict(old.shared)
            nxt.anchor, nxt.until, nxt.tags = dict(old.anchor), old.until, dict(old.tags)
            if run.path == "repair":
                nxt.owned = self._with_created(nxt.owned)
        nxt.kept = self.kept.as_record()
        self._settle(nxt)
        if result.outcome != SUCCESS:
            # A partial run leaves doubt: the next one reconciles in full (the record's last result says so too).
            nxt.full_next = "the last run was %s" % result.outcome
        return nxt

    def _ownership(self):
        """Ids of the objects the fabric owns and of the shared ones it uses, per object type, as ranges."""
        run = self.run
        inventory, plan = run.inventory, run.plan
        owned, shared = {}, {}
        for action in plan.actions:
            spec = SPECS[action.kind]
            if action.op not in KEEPS_OWNERSHIP or action.kind == "cluster" or not spec.object_type:
                continue
            object_id = inventory.id_of(action.kind, action.key) or (action.record or {}).get("id")
            if object_id is None:
                continue
            ours = spec.owned and not (action.desired is not None and action.desired.shared)
            (owned if ours else shared).setdefault(spec.object_type, set()).add(object_id)
        return (dict((t, to_ranges(ids)) for t, ids in owned.items()),
                dict((t, to_ranges(ids)) for t, ids in shared.items()))

    def _with_created(self, owned):
        run = self.run
        merged = dict((t, [list(r) for r in runs]) for t, runs in owned.items())
        for action in run.plan.actions:
            spec = SPECS[action.kind]
            if action.op == "create" and spec.owned and spec.object_type and not action.desired.shared:
                object_id = run.inventory.id_of(action.kind, action.key)
                if object_id is not None:
                    ids = self._ids(merged.get(spec.object_type)) | {object_id}
                    merged[spec.object_type] = to_ranges(ids)
        return merged

    def _anchor_after(self):
        run = self.run
        obj = run.desired.get("cluster", self.config.fabric)
        values = dict((field, self._resolved(obj.fields.get(field))) for field in ANCHOR_FIELDS)
        values["marker"] = self.config.fabric
        return values

    def _resolved(self, value):
        if isinstance(value, Ref):
            return self.run.inventory.id_of(value.kind, value.key)
        return value

    def _orphan_deadline(self):
        """When the first object marked as orphaned reaches the end of its grace (None: none waits)."""
        run, grace = self.run, self.config.orphan_grace
        deadlines = []
        for action in run.plan.actions:
            if action.op == "mark":
                deadlines.append(run.now + timedelta(seconds=grace))
            elif action.op == "kept" and (action.reason or "").startswith("orphaned since"):
                since = parse_time(((action.record or {}).get("custom_fields") or {}).get(ORPHANED_SINCE_FIELD))
                if since is not None:
                    deadlines.append(since + timedelta(seconds=grace))
        return iso(min(deadlines)) if deadlines else None

    def _settle(self, nxt):
        """Move the change-log mark past what this run accounted for; keep its own writes' ids past the mark."""
        old = self.basis or Basis()
        own_now = [request_id for request_id, _at in self.client.own_requests(self.own_from)]
        tail = set(old.own)
        handled = set(edit.change_id for edit in self.edits) | self._ids(old.seen)
        server_now = self.client.server_now()
        if not own_now:
            listed = self.listed or []
            mark = settled_mark(listed, old.mark if self.listed is not None else self.before_writes, server_now)
            rows, examined_upto = listed, None
        else:
            ours = set(own_now) | tail
            after = self.run.timer.phase("changelog", self.changelog.after, self.before_writes)
            foreign = [row["id"] for row in after if row.get("request_id") not in ours and row["id"] not in handled]
            # Others' changes during the run were not examined: the mark stops before the first of them.
            examined_upto = min(foreign) if foreign else None
            mark = settled_mark([row for row in after if examined_upto is None or row["id"] < examined_upto],
                                self.before_writes, server_now)
            rows = (self.listed or []) + after
            tail |= set(own_now)
        if mark is None:
            nxt.full_next = "NetBox's change log shows nothing to start from"
        nxt.mark = mark
        nxt.settled_at = iso(server_now)
        above = [row for row in rows if mark is not None and row["id"] > mark]
        nxt.own = sorted(set(row.get("request_id") for row in above if row.get("request_id") in tail))
        nxt.seen = to_ranges(row["id"] for row in above if row.get("request_id") not in tail
                             and (examined_upto is None or row["id"] < examined_upto))
        if len(nxt.own) > OWN_LIMIT:
            nxt.full_next = "the last run's own changes could not be told apart from others' in NetBox's change log"


def _show(key):
    if isinstance(key, tuple):
        return "/".join(str(part) for part in key if part is not None)
    return str(key)
