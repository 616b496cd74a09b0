# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One fabric's options as plain values, for the engine and the record.

Every field is an option of ``options.py`` (the Kubernetes ones gathered in
``k8s_auth``) with the default declared there; a unit test holds the two
together. Secrets never appear in its repr.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff

PRUNE_POLICIES = options.SYNC["prune"].choices


@dataclass
class FabricConfig:
    """Everything one run needs to know, as plain values."""

    fabric: str
    netbox_url: str
    netbox_token: str = field(repr=False)
    netbox_validate_certs: bool = options.default("netbox_validate_certs")
    k8s_auth: dict = field(default_factory=dict, repr=False)
    site: Optional[str] = None
    tenant: Optional[str] = None
    wiring_dir: Optional[str] = None
    prune: str = options.default("prune")
    orphan_grace: int = options.default("orphan_grace")
    max_delete_ratio: float = options.default("max_delete_ratio")
    force: bool = options.default("force")
    adopt: bool = options.default("adopt")
    k8s_page_size: int = options.default("k8s_page_size")
    k8s_connect_timeout: float = options.default("k8s_connect_timeout")
    k8s_read_timeout: float = options.default("k8s_read_timeout")
    run_timeout: Optional[int] = None
    netbox_chunk_size: int = options.default("netbox_chunk_size")
    netbox_workers: int = options.default("netbox_workers")
    retries: int = options.default("retries")
    retry_delay: float = options.default("retry_delay")
    retry_max_delay: float = options.default("retry_max_delay")
    retry_max_time: float = options.default("retry_max_time")
    diff_limit: int = options.default("diff_limit")
    agent_stale_after: int = options.default("agent_stale_after")
    dhcp_leases: bool = options.default("dhcp_leases")
    record_status: bool = options.default("record_status")
    sync_enabled: bool = options.default("sync_enabled")
    sync_interval: int = options.default("sync_interval")
    lease_ttl: int = options.default("lease_ttl")
    metrics_file: Optional[str] = None

    def __post_init__(self):
        if not self.fabric:
            raise ConfigError("a fabric name is required")
        self.site = self.site or self.fabric
        if self.prune not in PRUNE_POLICIES:
            raise ConfigError("prune must be one of %s, not %r" % (", ".join(PRUNE_POLICIES), self.prune),
                              fabric=self.fabric)
        if not 0 <= float(self.max_delete_ratio) <= 1:
            raise ConfigError("max_delete_ratio must be between 0 and 1", fabric=self.fabric)
        if self.run_timeout is not None and self.run_timeout < 0:
            raise ConfigError("run_timeout must be 0 (no deadline) or more seconds", fabric=self.fabric)
        if self.lease_ttl < 10:
            raise ConfigError("lease_ttl must be 10 seconds or more (the lease is renewed every quarter of it)",
                              fabric=self.fabric)
        if not self.netbox_url or not self.netbox_token:
            raise ConfigError("netbox_url and netbox_token are required (or NETBOX_API and NETBOX_TOKEN)",
                              fabric=self.fabric)
        kubeconfig = self.k8s_auth.get("kubeconfig")
        if isinstance(kubeconfig, str) and ("\n" in kubeconfig or kubeconfig.lstrip().startswith("{")):
            # Never echo it: a kubeconfig pasted as text carries the cluster's credentials.
            raise ConfigError("kubeconfig must be the path of a kubeconfig file or the kubeconfig as a dict, "
                              "not its text", fabric=self.fabric)

    @classmethod
    def from_params(cls, params):
        """A config from module parameters: unset ones take the declared defaults.

        AWX injects every variable of a credential type, empty ones too: an empty
        Kubernetes value means "not set", not "a context named ''".
        """
        names = set(f.name for f in dataclasses.fields(cls))
        values = dict((key, value) for key, value in params.items() if key in names and value is not None)
        values["k8s_auth"] = dict((key, params.get(key)) for key in options.K8S_AUTH_KEYS
                                  if params.get(key) not in (None, ""))
        return cls(**values)

    @property
    def source_label(self):
        """Where the fabric is read from, for the record: a path, a host or ``(inline)``, never content."""
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

    @property
    def deadline(self):
        """Seconds a run may take: ``run_timeout``, by default three quarters of the interval; None: no bound.

        Well under the interval, so a run that hangs on a slow API ends (as
        failed, naming the phase) before the next one is due.
        """
        if self.run_timeout is not None:
            return self.run_timeout or None
        return max(1, int(self.sync_interval) * 3 // 4)

    @property
    def k8s_timeout(self):
        """(connect, read) seconds for each Kubernetes request."""
        return (float(self.k8s_connect_timeout), float(self.k8s_read_timeout))

    def backoff(self):
        return Backoff(retries=self.retries, delay=self.retry_delay, max_delay=self.retry_max_delay,
                       max_time=self.retry_max_time)
