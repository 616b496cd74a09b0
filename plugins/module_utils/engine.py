# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One fabric, one run: source -> snapshot -> desired -> plan -> apply -> result.

Each stage is a function of the one before; only reading the source and
reading/writing NetBox do I/O. The engine takes plain values (a config.FabricConfig)
and never touches Ansible. A RunControl bounds the run: every phase and every
request checks it, so a run past its deadline (or asked to stop) ends at its
next request, naming the phase.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import RunControl
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.heap import collector_held
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.desired import build_desired
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.topology import select_fabric
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.inventory import InventoryReader
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.schema import ensure_schema
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.apply import Applier
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.dependants import hold_for_unowned_dependants
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.guards import check_deletions, hold_dependents
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import ALL_OPS, Plan, make_plan
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.report import build_diff
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import PARTIAL, SUCCESS, RunResult
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.bounds import reject_oversized
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kubernetes import read_kubernetes
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import fallback_profiles


class Timer:
    def __init__(self, control=None):
        self.phases = {}
        self.control = control
        self._started = time.monotonic()

    def phase(self, name, func, *args, **kwargs):
        if self.control is not None:
            self.control.enter(name)
        return self.measure(name, func, *args, **kwargs)

    def measure(self, name, func, *args, **kwargs):
        """``phase`` without entering it: work done beside the run's own phase (in another thread)."""
        start = time.monotonic()
        try:
            return func(*args, **kwargs)
        finally:
            self.phases[name] = round(self.phases.get(name, 0) + time.monotonic() - start, 3)

    def total(self):
        return round(time.monotonic() - self._started, 3)


def read_source(config, checkpoint=None):
    kind = config.source_kind
    if kind == "files":
        return read_wiring_dir(config.wiring_dir, fabric=config.fabric, hydrate=config.wiring_hydrate)
    if kind == "kubernetes":
        return read_kubernetes(config.k8s_auth, fabric=config.fabric, page_size=config.k8s_page_size,
                               backoff=config.backoff(), timeout=config.k8s_timeout, checkpoint=checkpoint,
                               max_pages=config.max_pages, max_response_bytes=config.max_response_bytes)
    raise ConfigError("no source: set wiring_dir, or kubeconfig / host for the fabric's Kubernetes API",
                      fabric=config.fabric)


def open_netbox(config):
    return NetBoxClient(config.netbox_url, config.netbox_token, validate_certs=config.netbox_validate_certs,
                        ca_cert=config.netbox_ca_cert, backoff=config.backoff(), fabric=config.fabric,
                        workers=config.netbox_workers, max_pages=config.max_pages,
                        max_response_bytes=config.max_response_bytes)


class Scope:
    """What a targeted run reconciles: some desired objects, and the NetBox rows it read for them.

    ``desired`` holds the objects to reconcile (``only``) and those they refer to;
    ``rows`` the current rows of the edited objects per kind; ``prune_ids`` the
    ids of edited rows the fabric owns but no longer wants; ``owned_total`` the
    fabric's size, for the deletion ratio guard.
    """

    def __init__(self, desired, rows, only, prune_ids=(), owned_total=0):
        self.desired = desired
        self.rows = rows
        self.only = frozenset(only)
        self.prune_ids = frozenset(prune_ids)
        self.owned_total = owned_total


class SyncRun:
    """The stages of one run, kept so callers (status, tests, benchmark) can look at each."""

    def __init__(self, config, check_mode=False, want_diff=False, client=None, now=None, schema=None, control=None):
        self.config = config
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.client = client
        self.now = now or datetime.now(timezone.utc)
        self.control = control or RunControl(config.fabric, timeout=config.deadline)
        self.timer = Timer(self.control)
        self.source = self.snapshot = self.desired = self.inventory = self.plan = None
        self.schema = schema
        self.applier = None
        # How this run reconciled: "full", "repair" (only what others edited) or "unchanged".
        self.path = "full"
        self.reason = None
        self.hand_edits = []
        self.kept = None
        # Called with the plan and the inventory before the guards: a caller's last word on the plan.
        self.review = None
        self.notices = []

    def execute(self):
        with collector_held():
            self.prepare()
            return self.reconcile()

    def prepare(self):
        """Read the fabric and work out what NetBox should hold."""
        config = self.config
        self.notices = config.check_transport()
        profiles, profile_problems = self.timer.phase("profiles", fallback_profiles, config.switch_profiles_dir,
                                                      config.fabric)
        source = self.timer.phase("read_source", read_source, config, self.control.check)
        self.source = reject_oversized(select_fabric(source, config.source_fabric, fabric=config.fabric),
                                       config.max_list_items)
        self.snapshot = self.timer.phase("snapshot", build_snapshot, config.fabric, self.source, profiles,
                                         profile_problems)
        self.source.release()
        self.desired = self.timer.phase("desired", build_desired, self.snapshot, config, now=self.now)
        self.connect()
        return self

    def connect(self):
        if self.client is None:
            self.client = open_netbox(self.config)
        self.client.checkpoint = self.control.check
        self.client.changelog_message = "hedgehog.netbox_sync: fabric %s" % self.config.fabric
        return self.client

    def reconcile(self, scope=None):
        """Read NetBox (all the fabric holds, or a scope of it), plan, guard and apply."""
        config = self.config
        self.connect()
        if self.schema is None:
            self.schema = self.timer.phase("schema", ensure_schema, self.client, self.check_mode)
        reader = InventoryReader(self.client, config.fabric, self.schema.ready, adopt=config.adopt,
                                 workers=config.netbox_workers, scope=scope.rows if scope else None)
        desired = scope.desired if scope else self.desired
        self.inventory = self.timer.phase("read_netbox", reader.read, desired)
        self.plan = self.timer.phase("plan", make_plan, desired, self.inventory, config.fabric,
                                     self.schema.tag_ids, adopt=config.adopt, prune=config.prune,
                                     orphan_grace=config.orphan_grace, now=self.now, kept=self.kept,
                                     only=scope.only if scope else None,
                                     prune_ids=scope.prune_ids if scope else None)
        if self.review is not None:
            self.review(self.plan, self.inventory)
        self.timer.phase("holds", hold_dependents, self.plan, self.snapshot, desired, self.inventory,
                         spaces=config)
        check_deletions(self.plan, self.inventory, self.source, config.fabric, config.max_delete_ratio,
                        force=config.force, owned_total=scope.owned_total if scope else None)
        self.timer.phase("dependants", hold_for_unowned_dependants, self.plan, self.inventory, self.client,
                         config.fabric)
        self.plan.undo_held_cascades()
        if not self.check_mode and self.plan.changed:
            self.applier = Applier(self.client, self.plan, self.inventory, self.schema.tag_ids,
                                   chunk_size=config.netbox_chunk_size, workers=config.netbox_workers,
                                   progress=self.control.progress)
            self.timer.phase("apply", self.applier.run)
        return self.result()

    def unchanged(self, reason=None):
        """Nothing changed on either side: the run reads no more and writes nothing."""
        self.path = "unchanged"
        self.reason = reason
        self.plan = Plan(self.config.fabric)
        return self.result()

    def problems(self):
        """Every skipped or refused object and every held change, from every stage."""
        # A kind that could not be read is among the snapshot's problems, with what it holds.
        found = list(self.snapshot.problems) + list(self.desired.problems)
        found.extend(Problem.about(a.kind, a.label, a.reason) for a in self.plan.actions
                     if a.op in ("conflict", "blocked"))
        found.extend(self.plan.problems)
        if self.applier is not None:
            found.extend(self.applier.problems)
        return found

    def summary(self):
        if self.path == "unchanged":
            # Confirmed by the change log rather than read: every desired object is as the last run left it.
            return dict((kind, dict(dict.fromkeys(ALL_OPS, 0), unchanged=len(objects)))
                        for kind, objects in self.desired.objects.items())
        summary = self.plan.counts()
        if self.schema is not None and self.schema.changed:
            summary["schema"] = {"create": sum(self.schema.created.values()),
                                 "update": sum(self.schema.updated.values())}
        return summary

    def result(self):
        problems = self.problems()
        return RunResult(
            fabric=self.config.fabric,
            check_mode=self.check_mode,
            changed=self.plan.changed or bool(self.schema is not None and self.schema.changed),
            outcome=PARTIAL if problems or self.source.incomplete else SUCCESS,
            release=self.snapshot.release,
            source={"origin": self.source.origin, "objects": self.source.count(),
                    "incomplete": dict(self.source.incomplete), "hydration": self.source.hydration,
                    "api": dict(self.source.api)},
            summary=self.summary(),
            problems=problems,
            requests={"netbox": self.client.request_counts(), "kubernetes": self.source.requests},
            timings=dict(self.timer.phases, total=self.timer.total()),
            applied=self.applier.counts() if self.applier is not None else None,
            diff=build_diff(self.plan, self.config.diff_limit) if self.want_diff else None,
            path=self.path,
            reason=self.reason,
            hand_edits=[edit.as_dict() for edit in self.hand_edits],
            cabling=self.desired.cabling.as_dict() if self.desired.cabling is not None else None,
            notices=list(self.notices),
            findings=list(self.desired.findings),
        )


def sync_fabric(config, check_mode=False, want_diff=False, client=None, now=None, control=None):
    """Run one sync of one fabric and return its RunResult."""
    return SyncRun(config, check_mode=check_mode, want_diff=want_diff, client=client, now=now,
                   control=control).execute()
