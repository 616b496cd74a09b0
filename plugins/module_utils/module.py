# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one wrapper around AnsibleModule; the only file here that imports Ansible's module API.

It holds an AnsibleModule rather than being one, builds the argument specs
from the options declared in ``options.py``, checks the Python libraries the
engine needs, turns options into a FabricConfig, and turns a SyncError into one
failure with ``msg`` and the error's details (never a traceback: the error
names its cause, and a traceback may quote what it was reading).
"""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import (
    HAS_PYNETBOX,
    HAS_REQUESTS,
    NetBoxClient,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import HAS_YAML
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kubernetes import HAS_KUBERNETES

# More warnings than this are summarised: a fabric with a systematic problem
# should not bury the task output.
MAX_WARNINGS = 25


def argument_spec(*groups, **extra):
    """A fresh spec from option groups (names in ``options.GROUPS``), plus a module's own options."""
    spec = {}
    for group in groups:
        for name, option in options.GROUPS[group].items():
            entry = option.spec()
            if option.env:
                entry["fallback"] = (env_fallback, list(option.env))
            spec[name] = entry
    spec.update(extra)
    return spec


def sync_argument_spec(**extra):
    return argument_spec("netbox_auth", "k8s_auth", "sync_options", "record_options", **extra)


class NetboxSyncModule:
    def __init__(self, argument_spec, module_class=AnsibleModule, **kwargs):
        self._module = module_class(argument_spec=argument_spec, **kwargs)
        self._check_libraries()

    def _check_libraries(self):
        needed = [("requests", HAS_REQUESTS), ("pynetbox", HAS_PYNETBOX), ("PyYAML", HAS_YAML)]
        if "fabric" in self.params and not self.params.get("wiring_dir"):
            needed.append(("kubernetes", HAS_KUBERNETES))
        for name, present in needed:
            if not present:
                self._module.fail_json(msg=missing_required_lib(name))

    @property
    def params(self):
        return self._module.params

    @property
    def check_mode(self):
        return self._module.check_mode

    @property
    def diff(self):
        return self._module._diff

    def warn(self, message):
        self._module.warn(message)

    def fabric_config(self):
        return FabricConfig.from_params(self.params)

    def netbox_client(self):
        """A NetBox client from the NetBox options alone (for modules that do not sync)."""
        url, token = self.params.get("netbox_url"), self.params.get("netbox_token")
        if not url or not token:
            self.fail_from_error(ConfigError("netbox_url and netbox_token are required (or NETBOX_API and NETBOX_TOKEN)"))
        return NetBoxClient(url, token, validate_certs=self.params.get("netbox_validate_certs", True),
                            ca_cert=self.params.get("netbox_ca_cert"))

    def exit_json(self, **result):
        warnings = result.pop("warnings", None) or []
        for message in warnings[:MAX_WARNINGS]:
            self.warn(message)
        if len(warnings) > MAX_WARNINGS:
            self.warn("... and %d more problems; see the result's problems list" % (len(warnings) - MAX_WARNINGS))
        self._module.exit_json(**result)

    def fail_from_error(self, error, warnings=(), **result):
        for message in warnings:
            self.warn(message)
        details = dict(getattr(error, "details", {}) or {})
        self._module.fail_json(msg=str(error), error=error.__class__.__name__, details=details, **result)
