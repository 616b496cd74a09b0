"""In an AWX job, role fabric_sync refuses every NETBOX_* and K8S_AUTH_* variable, which any credential
type may inject: that covers every variable the modules read, so a new one needs a prefix of those two."""

import re

import yaml

from testbed.paths import REPO_ROOT

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options


class _AnsibleLoader(yaml.SafeLoader):
    """YAML as Ansible reads it here: ``!unsafe`` marks a plain string."""


_AnsibleLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _refused_prefixes():
    tasks = yaml.safe_load((REPO_ROOT / "roles" / "fabric_sync" / "tasks" / "awx_credentials.yml").read_text())
    (refusal,) = [t for t in tasks if t["name"].startswith("Refuse NetBox or Kubernetes settings")]
    pattern = re.search(r"select\('match', '\^\(([^)]*)\)'\)", refusal["vars"]["foreign"]).group(1)
    return tuple(pattern.split("|"))


def test_every_environment_variable_the_modules_read_is_refused_in_an_awx_job():
    names = set(name for option in options.ALL.values() for name in option.env)

    assert _refused_prefixes() == ("NETBOX_", "K8S_AUTH_")
    assert "NETBOX_TOKEN" in names and "K8S_AUTH_HOST" in names
    assert sorted(name for name in names if not name.startswith(_refused_prefixes())) == []


def test_the_credential_types_inject_nothing_the_modules_read():
    variables = yaml.load((REPO_ROOT / "roles" / "schedule_awx" / "vars" / "main.yml").read_text(),
                          Loader=_AnsibleLoader)
    injected = set(variables["schedule_awx_fabric_injectors"]["env"]) | set(
        variables["schedule_awx_netbox_injectors"]["env"])

    assert sorted(injected) == ["HEDGEHOG_CREDENTIAL_FABRIC", "HEDGEHOG_K8S_API_KEY", "HEDGEHOG_K8S_CA_CERT",
                                "HEDGEHOG_K8S_HOST", "HEDGEHOG_K8S_KUBECONFIG", "HEDGEHOG_NETBOX_TOKEN",
                                "HEDGEHOG_NETBOX_URL"]
    assert not [name for name in injected if name.startswith(_refused_prefixes())]
