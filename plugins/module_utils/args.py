# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument specs shared by the modules, each mirrored 1:1 by a doc fragment.

The shared constants are never mutated: a module builds its spec from deep
copies (``sync_argument_spec``).
"""

from __future__ import annotations

import copy

from ansible.module_utils.basic import env_fallback

# doc fragment: hedgehog.netbox_sync.netbox_auth
NETBOX_AUTH_SPEC = {
    "netbox_url": {"type": "str", "fallback": (env_fallback, ["NETBOX_API", "NETBOX_URL"])},
    "netbox_token": {"type": "str", "no_log": True, "fallback": (env_fallback, ["NETBOX_TOKEN"])},
    "netbox_validate_certs": {"type": "bool", "default": True,
                              "fallback": (env_fallback, ["NETBOX_VALIDATE_CERTS"])},
}

# doc fragment: hedgehog.netbox_sync.k8s_auth (kubernetes.core's names and K8S_AUTH_* variables)
K8S_AUTH_SPEC = {
    "kubeconfig": {"type": "raw", "fallback": (env_fallback, ["K8S_AUTH_KUBECONFIG"])},
    "context": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_CONTEXT"])},
    "host": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_HOST"])},
    "api_key": {"type": "str", "no_log": True, "fallback": (env_fallback, ["K8S_AUTH_API_KEY"])},
    "ca_cert": {"type": "path", "aliases": ["ssl_ca_cert"], "fallback": (env_fallback, ["K8S_AUTH_SSL_CA_CERT"])},
    "client_cert": {"type": "path", "aliases": ["cert_file"], "fallback": (env_fallback, ["K8S_AUTH_CERT_FILE"])},
    "client_key": {"type": "path", "aliases": ["key_file"], "no_log": False,
                   "fallback": (env_fallback, ["K8S_AUTH_KEY_FILE"])},
    "validate_certs": {"type": "bool", "aliases": ["verify_ssl"], "fallback": (env_fallback, ["K8S_AUTH_VERIFY_SSL"])},
    "proxy": {"type": "str", "fallback": (env_fallback, ["K8S_AUTH_PROXY"])},
}

# doc fragment: hedgehog.netbox_sync.sync_options
SYNC_OPTIONS_SPEC = {
    "fabric": {"type": "str", "required": True},
    "site": {"type": "str"},
    "tenant": {"type": "str"},
    "wiring_dir": {"type": "path"},
    "switch_profiles_dir": {"type": "path"},
    "prune": {"type": "str", "default": "delete", "choices": ["delete", "mark", "keep"]},
    "orphan_grace": {"type": "int", "default": 604800},
    "max_delete_ratio": {"type": "float", "default": 0.3},
    "force": {"type": "bool", "default": False},
    "adopt": {"type": "bool", "default": False},
    "k8s_page_size": {"type": "int", "default": 500},
    "netbox_chunk_size": {"type": "int", "default": 200},
    "netbox_workers": {"type": "int", "default": 3},
    "retries": {"type": "int", "default": 5},
    "retry_delay": {"type": "float", "default": 1.0},
    "retry_max_delay": {"type": "float", "default": 30.0},
    "retry_max_time": {"type": "float", "default": 120.0},
    "diff_limit": {"type": "int", "default": 100},
    "agent_stale_after": {"type": "int", "default": 120},
    "dhcp_leases": {"type": "bool", "default": False},
}

# doc fragment: hedgehog.netbox_sync.record_options
RECORD_OPTIONS_SPEC = {
    "record_status": {"type": "bool", "default": True},
    "sync_enabled": {"type": "bool", "default": True},
    "sync_interval": {"type": "int", "default": 300},
    "lease_ttl": {"type": "int", "default": 1800},
    "metrics_file": {"type": "path"},
}

K8S_AUTH_KEYS = tuple(K8S_AUTH_SPEC)


def merged_spec(*specs, **extra):
    """A fresh spec from deep copies of the shared ones, plus a module's own options."""
    spec = {}
    for part in specs:
        spec.update(copy.deepcopy(part))
    spec.update(copy.deepcopy(extra))
    return spec


def sync_argument_spec(**extra):
    return merged_spec(NETBOX_AUTH_SPEC, K8S_AUTH_SPEC, SYNC_OPTIONS_SPEC, RECORD_OPTIONS_SPEC, **extra)
