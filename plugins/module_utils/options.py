# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every option of the collection, declared once: type, default, environment variables, secrecy.

The modules' argument specs (``module.py``), ``FabricConfig`` (``config.py``),
the retry and paging defaults and the role's pass-through all come from these
rows; the doc fragments describe them, and a unit test checks that the doc
fragments, the role and these rows agree. Plain data: no Ansible import here.
"""

from __future__ import annotations

import copy


class Option:
    """One module option."""

    __slots__ = ("name", "type", "default", "env", "secret", "choices", "aliases", "required", "var")

    def __init__(self, name, type_, default=None, env=(), secret=None, choices=None, aliases=(), required=False,
                 var=None):
        self.name = name
        # The inventory variable the fabric_sync role passes as this option (None: the role sets it itself).
        self.var = "hedgehog_%s" % name if var is None else var or None
        self.type = type_
        self.default = default
        self.env = tuple(env)
        self.secret = secret
        self.choices = choices
        self.aliases = tuple(aliases)
        self.required = required

    def spec(self):
        """The option as an argument spec entry, without its environment fall-back (the module adds that)."""
        entry = {"type": self.type}
        if self.default is not None:
            entry["default"] = copy.deepcopy(self.default)
        if self.secret is not None:
            # Explicit either way: ansible-test asks for no_log on names that look secret.
            entry["no_log"] = self.secret
        if self.choices:
            entry["choices"] = list(self.choices)
        if self.aliases:
            entry["aliases"] = list(self.aliases)
        if self.required:
            entry["required"] = True
        return entry


def _group(*options):
    return dict((option.name, option) for option in options)


# doc fragment: hedgehog.netbox_sync.netbox_auth
NETBOX_AUTH = _group(
    Option("netbox_url", "str", env=("NETBOX_API", "NETBOX_URL"), var="netbox_url"),
    Option("netbox_token", "str", env=("NETBOX_TOKEN",), secret=True, var="netbox_token"),
    Option("netbox_validate_certs", "bool", default=True, env=("NETBOX_VALIDATE_CERTS",), var="netbox_validate_certs"),
    Option("netbox_ca_cert", "path", env=("NETBOX_CA_CERT",), var="netbox_ca_cert"),
    # No environment fall-back: a variable injected into a job must not be able to turn it off.
    Option("require_tls", "bool", default=False, var="hedgehog_require_tls"),
)

# doc fragment: hedgehog.netbox_sync.k8s_auth (kubernetes.core's names and K8S_AUTH_* variables)
K8S_AUTH = _group(
    # A kubeconfig given inline carries tokens and client keys.
    Option("kubeconfig", "raw", env=("K8S_AUTH_KUBECONFIG",), secret=True),
    Option("context", "str", env=("K8S_AUTH_CONTEXT",)),
    Option("host", "str", env=("K8S_AUTH_HOST",), var="hedgehog_k8s_host"),
    Option("api_key", "str", env=("K8S_AUTH_API_KEY",), secret=True, var="hedgehog_k8s_api_key"),
    Option("ca_cert", "path", env=("K8S_AUTH_SSL_CA_CERT",), aliases=("ssl_ca_cert",), var="hedgehog_k8s_ca_cert"),
    Option("client_cert", "path", env=("K8S_AUTH_CERT_FILE",), aliases=("cert_file",),
           var="hedgehog_k8s_client_cert"),
    Option("client_key", "path", env=("K8S_AUTH_KEY_FILE",), aliases=("key_file",), secret=False,
           var="hedgehog_k8s_client_key"),
    Option("validate_certs", "bool", env=("K8S_AUTH_VERIFY_SSL",), aliases=("verify_ssl",),
           var="hedgehog_k8s_validate_certs"),
    # A proxy URL may carry a user and password.
    Option("proxy", "str", env=("K8S_AUTH_PROXY",), secret=True, var="hedgehog_k8s_proxy"),
)

# doc fragment: hedgehog.netbox_sync.sync_options
SYNC = _group(
    # The role passes the inventory host as the fabric and builds metrics_file from hedgehog_metrics_dir.
    Option("fabric", "str", required=True, var=""),
    Option("site", "str"),
    Option("tenant", "str"),
    Option("source_fabric", "str"),
    Option("underlay_vrf", "str"),
    Option("ipv4_namespace_vrf", "str"),
    Option("wiring_dir", "path"),
    Option("wiring_hydrate", "bool", default=False),
    Option("switch_profiles_dir", "path"),
    Option("prune", "str", default="delete", choices=("delete", "mark", "keep")),
    Option("orphan_grace", "int", default=604800),
    Option("max_delete_ratio", "float", default=0.3),
    Option("force", "bool", default=False),
    # A list of NetBox kinds (device, cable, ...); true, as earlier releases took it, is every kind.
    Option("adopt", "raw"),
    Option("k8s_page_size", "int", default=500),
    Option("k8s_connect_timeout", "float", default=10.0),
    Option("k8s_read_timeout", "float", default=60.0),
    # None: three quarters of sync_interval (config.FabricConfig.deadline); 0: no deadline.
    Option("run_timeout", "int"),
    Option("netbox_chunk_size", "int", default=200),
    Option("netbox_workers", "int", default=3),
    Option("retries", "int", default=5),
    Option("retry_delay", "float", default=1.0),
    Option("retry_max_delay", "float", default=30.0),
    Option("retry_max_time", "float", default=120.0),
    Option("diff_limit", "int", default=100),
    Option("agent_stale_after", "int", default=120),
    Option("dhcp_leases", "bool", default=False),
    # -e full=true on sync.yml: a run asked for by hand, not an inventory setting.
    Option("full", "bool", default=False, var="full"),
    Option("full_resync_interval", "int", default=86400),
    Option("hand_edits", "str", default="repair", choices=("repair", "keep")),
    Option("max_pages", "int", default=10000),
    Option("max_response_mb", "int", default=256),
    Option("max_list_items", "int", default=10000),
)

# doc fragment: hedgehog.netbox_sync.record_options
RECORD = _group(
    Option("record_status", "bool", default=True),
    Option("sync_enabled", "bool", default=True),
    Option("sync_interval", "int", default=300),
    Option("lease_ttl", "int", default=120),
    Option("metrics_file", "path", var=""),
)

GROUPS = {"netbox_auth": NETBOX_AUTH, "k8s_auth": K8S_AUTH, "sync_options": SYNC, "record_options": RECORD}
ALL = dict((name, option) for group in GROUPS.values() for name, option in group.items())
SECRETS = frozenset(name for name, option in ALL.items() if option.secret)
K8S_AUTH_KEYS = tuple(K8S_AUTH)


def default(name):
    """The declared default of an option (a fresh copy)."""
    return copy.deepcopy(ALL[name].default)
