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
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.names import fabric_name_problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import MODELS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff

PRUNE_POLICIES = options.SYNC["prune"].choices


def adopted_kinds(value, fabric=None):
    """The kinds ``adopt`` names, as a frozenset; true means every owned kind."""
    owned = [spec.kind for spec in MODELS if spec.owned]
    if value is True or (isinstance(value, str) and value.lower() in ("true", "yes", "all")):
        return frozenset(owned)
    if value in (None, False, "") or (isinstance(value, str) and value.lower() in ("false", "no")):
        return frozenset()
    kinds = [part.strip() for part in value.split(",")] if isinstance(value, str) else list(value)
    unknown = sorted(set(str(kind) for kind in kinds) - set(owned))
    if unknown:
        raise ConfigError("adopt names unknown kind(s) %s; the kinds are %s" % (", ".join(unknown), ", ".join(owned)),
                          fabric=fabric)
    return frozenset(kinds)


@dataclass
class FabricConfig:
    """Everything one run needs to know, as plain values."""

    fabric: str
    netbox_url: str
    netbox_token: str = field(repr=False)
    netbox_validate_certs: bool = options.default("netbox_validate_certs")
    netbox_ca_cert: Optional[str] = None
    require_tls: bool = options.default("require_tls")
    k8s_auth: dict = field(default_factory=dict, repr=False)
    site: Optional[str] = None
    tenant: Optional[str] = None
    wiring_dir: Optional[str] = None
    wiring_hydrate: bool = options.default("wiring_hydrate")
    switch_profiles_dir: Optional[str] = None
    source_fabric: Optional[str] = None
    underlay_vrf: Optional[str] = None
    ipv4_namespace_vrf: Optional[str] = None
    prune: str = options.default("prune")
    orphan_grace: int = options.default("orphan_grace")
    max_delete_ratio: float = options.default("max_delete_ratio")
    force: bool = options.default("force")
    adopt: frozenset = field(default_factory=frozenset)
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
    full: bool = options.default("full")
    full_resync_interval: int = options.default("full_resync_interval")
    hand_edits: str = options.default("hand_edits")
    max_pages: int = options.default("max_pages")
    max_response_mb: int = options.default("max_response_mb")
    max_list_items: int = options.default("max_list_items")
    record_status: bool = options.default("record_status")
    sync_enabled: bool = options.default("sync_enabled")
    sync_interval: int = options.default("sync_interval")
    lease_ttl: int = options.default("lease_ttl")
    metrics_file: Optional[str] = None

    def __post_init__(self):
        name_problem = fabric_name_problem(self.fabric)
        if name_problem:
            raise ConfigError(name_problem)
        self.site = self.site or self.fabric
        if self.prune not in PRUNE_POLICIES:
            raise ConfigError("prune must be one of %s, not %r" % (", ".join(PRUNE_POLICIES), self.prune),
                              fabric=self.fabric)
        if self.hand_edits not in options.SYNC["hand_edits"].choices:
            raise ConfigError("hand_edits must be repair or keep, not %r" % self.hand_edits, fabric=self.fabric)
        if int(self.full_resync_interval) < 0:
            raise ConfigError("full_resync_interval must be 0 or more seconds", fabric=self.fabric)
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
        self.adopt = adopted_kinds(self.adopt, self.fabric)
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

    @property
    def max_response_bytes(self):
        return int(self.max_response_mb) * 1024 * 1024

    def insecure_connections(self):
        """Why the run's connections are not private and verified: plain HTTP, verification turned off."""
        found = []
        if self.netbox_url.lower().startswith("http://"):
            found.append("NetBox is reached over plain HTTP (%s): the token travels in clear text" % self.netbox_url)
        if not self.netbox_validate_certs:
            found.append("NetBox's TLS certificate is not verified (netbox_validate_certs is off)")
        host = self.k8s_auth.get("host") or ""
        if self.source_kind == "kubernetes":
            if host.lower().startswith("http://"):
                found.append("the Kubernetes API is reached over plain HTTP (%s)" % host)
            if self.k8s_auth.get("validate_certs") is False:
                found.append("the Kubernetes API's TLS certificate is not verified (validate_certs is off)")
        return found

    def check_transport(self):
        """The insecure connections as warnings, or a ConfigError when ``require_tls`` refuses them."""
        found = self.insecure_connections()
        if found and self.require_tls:
            raise ConfigError("refusing to connect (require_tls): %s" % "; ".join(found), fabric=self.fabric)
        return found

    def backoff(self):
        return Backoff(retries=self.retries, delay=self.retry_delay, max_delay=self.retry_max_delay,
                       max_time=self.retry_max_time)
