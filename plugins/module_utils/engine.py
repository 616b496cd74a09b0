# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One fabric, one run: source -> snapshot -> desired -> plan -> apply -> result.

Each stage is a function of the one before; only reading the source and
reading/writing NetBox do I/O. The engine takes plain values (a FabricConfig)
and never touches Ansible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Optional

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.desired import build_desired
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.names import fabric_name_problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.inventory import InventoryReader
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.schema import ensure_schema
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.apply import Applier
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.guards import check_deletions, hold_removals, hold_updates
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import WRITE_OPS, make_plan
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.report import build_diff
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kubernetes import read_kubernetes
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import BUILTIN_PROFILES

PRUNE_POLICIES = ("delete", "mark", "keep")


@dataclass
class FabricConfig:
    """Everything one run needs to know, as plain values."""

    fabric: str
    netbox_url: str
    netbox_token: str
    site: str = ""
    tenant: Optional[str] = None
    wiring_dir: Optional[str] = None
    k8s_auth: dict = field(default_factory=dict)
    netbox_validate_certs: bool = True
    prune: str = "delete"
    orphan_grace: int = 7 * 24 * 3600
    max_delete_ratio: float = 0.3
    force: bool = False
    adopt: bool = False
    k8s_page_size: int = 500
    netbox_chunk_size: int = 200
    netbox_workers: int = 3
    retries: int = 5
    retry_delay: float = 1.0
    retry_max_delay: float = 30.0
    retry_max_time: float = 120.0
    diff_limit: int = 100
    agent_stale_after: int = 120
    dhcp_leases: bool = False

    def __post_init__(self):
        name_problem = fabric_name_problem(self.fabric)
        if name_problem:
            raise ConfigError(name_problem)
        self.site = self.site or self.fabric
        if self.prune not in PRUNE_POLICIES:
            raise ConfigError("prune must be one of %s, not %r" % (", ".join(PRUNE_POLICIES), self.prune),
                              fabric=self.fabric)
        if not 0 <= float(self.max_delete_ratio) <= 1:
            raise ConfigError("max_delete_ratio must be between 0 and 1", fabric=self.fabric)
        if not self.netbox_url or not self.netbox_token:
            raise ConfigError("netbox_url and netbox_token are required (or NETBOX_API and NETBOX_TOKEN)",
                              fabric=self.fabric)

    @property
    def source_label(self):
        """Where the fabric is read from, for the record; never a credential."""
        if self.wiring_dir:
            return "files:%s" % self.wiring_dir
        if self.k8s_auth.get("host"):
            return "kubernetes:%s" % self.k8s_auth["host"]
        kubeconfig = self.k8s_auth.get("kubeconfig")
        if isinstance(kubeconfig, dict):
            return "kubeconfig:(inline)"
        return "kubeconfig:%s" % kubeconfig if kubeconfig else ""

    @property
    def source_kind(self):
        if self.wiring_dir:
            return "files"
        if self.k8s_auth.get("kubeconfig") or self.k8s_auth.get("host"):
            return "kubernetes"
        return None

    def backoff(self):
        return Backoff(retries=self.retries, delay=self.retry_delay, max_delay=self.retry_max_delay,
                       max_time=self.retry_max_time)


class Timer:
    def __init__(self):
        self.phases = {}
        self._started = time.monotonic()

    def phase(self, name, func, *args, **kwargs):
        start = time.monotonic()
        try:
            return func(*args, **kwargs)
        finally:
            self.phases[name] = round(self.phases.get(name, 0) + time.monotonic() - start, 3)

    def total(self):
        return round(time.monotonic() - self._started, 3)


def read_source(config):
    kind = config.source_kind
    if kind == "files":
        return read_wiring_dir(config.wiring_dir, fabric=config.fabric)
    if kind == "kubernetes":
        return read_kubernetes(config.k8s_auth, fabric=config.fabric, page_size=config.k8s_page_size,
                               backoff=config.backoff())
    raise ConfigError("no source: set wiring_dir, or kubeconfig / host for the fabric's Kubernetes API",
                      fabric=config.fabric)


def open_netbox(config):
    return NetBoxClient(config.netbox_url, config.netbox_token, validate_certs=config.netbox_validate_certs,
                        backoff=config.backoff(), fabric=config.fabric, workers=config.netbox_workers)


class SyncRun:
    """The stages of one run, kept so callers (status, tests, benchmark) can look at each."""

    def __init__(self, config, check_mode=False, want_diff=False, client=None, now=None, schema=None):
        self.config = config
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.client = client
        self.now = now or datetime.now(timezone.utc)
        self.timer = Timer()
        self.source = self.snapshot = self.desired = self.inventory = self.plan = None
        self.schema = schema
        self.applier = None

    def execute(self):
        config = self.config
        self.source = self.timer.phase("read_source", read_source, config)
        self.snapshot = self.timer.phase("snapshot", build_snapshot, config.fabric, self.source, BUILTIN_PROFILES)
        self.source.release()
        self.desired = self.timer.phase("desired", build_desired, self.snapshot, config, now=self.now)
        if self.client is None:
            self.client = open_netbox(config)
        self.client.changelog_message = "hedgehog.netbox_sync: fabric %s" % config.fabric
        if self.schema is None:
            self.schema = self.timer.phase("schema", ensure_schema, self.client, self.check_mode)
        reader = InventoryReader(self.client, config.fabric, self.schema.ready, adopt=config.adopt,
                                 workers=config.netbox_workers)
        self.inventory = self.timer.phase("read_netbox", reader.read, self.desired)
        self.plan = self.timer.phase("plan", make_plan, self.desired, self.inventory, config.fabric,
                                     self.schema.tag_ids, adopt=config.adopt, prune=config.prune,
                                     orphan_grace=config.orphan_grace, now=self.now)
        hold_removals(self.plan, self.snapshot)
        hold_updates(self.plan, self.snapshot)
        check_deletions(self.plan, self.inventory, self.source, config.fabric, config.max_delete_ratio,
                        force=config.force)
        if not self.check_mode and self.plan.changed:
            self.applier = Applier(self.client, self.plan, self.inventory, self.schema.tag_ids,
                                   chunk_size=config.netbox_chunk_size, workers=config.netbox_workers)
            self.timer.phase("apply", self.applier.run)
        return self.result()

    def problems(self):
        """Every skipped or refused object: source objects by their kind and name, NetBox objects by their label."""
        found = [{"kind": p.kind, "name": p.name, "cause": p.cause,
                  "text": "%s %s: %s" % (p.kind, p.name, p.cause)} for p in self.snapshot.problems]
        netbox_side = list(self.desired.problems)
        netbox_side.extend((a.kind, a.label, a.reason) for a in self.plan.actions if a.op in ("conflict", "blocked"))
        netbox_side.extend(self.plan.problems)
        if self.applier is not None:
            netbox_side.extend(self.applier.problems)
        for kind, label, cause in netbox_side:
            found.append({"kind": kind, "name": label, "cause": cause, "text": "%s: %s" % (label, cause)})
        return found

    def result(self):
        problems = self.problems()
        summary = self.plan.counts()
        if self.schema.changed:
            summary["schema"] = {"create": sum(self.schema.created.values()),
                                 "update": sum(self.schema.updated.values())}
        result = {
            "changed": self.plan.changed or self.schema.changed,
            "result": "partial" if problems or self.source.incomplete else "success",
            "fabric": self.config.fabric,
            "check_mode": self.check_mode,
            "release": self.snapshot.release,
            "source": {"origin": self.source.origin, "objects": self.source.count(),
                       "incomplete": dict(self.source.incomplete)},
            "summary": summary,
            "changes": dict((kind, dict((op, n) for op, n in ops.items() if n and op in WRITE_OPS))
                            for kind, ops in summary.items() if any(ops.get(op) for op in WRITE_OPS)),
            "problems": problems,
            "warnings": [p.pop("text") for p in problems],
            "requests": {"netbox": self.client.request_counts(), "kubernetes": self.source.requests},
            "timings": dict(self.timer.phases, total=self.timer.total()),
        }
        if self.applier is not None:
            result["applied"] = self.applier.counts()
        if self.want_diff:
            result["diff"] = build_diff(self.plan, self.config.diff_limit)
        return result


def sync_fabric(config, check_mode=False, want_diff=False, client=None, now=None):
    """Run one sync of one fabric and return its result dict."""
    return SyncRun(config, check_mode=check_mode, want_diff=want_diff, client=client, now=now).execute()
