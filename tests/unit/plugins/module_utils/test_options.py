"""Options are declared once (options.py): the doc fragments, FabricConfig and the role must agree with them."""

from __future__ import annotations

import dataclasses
import importlib
import re

import pytest
import yaml

from testbed.paths import REPO_ROOT

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig

DOC_TYPES = {"str": "str", "path": "path", "raw": "raw", "bool": "bool", "int": "int", "float": "float"}
ROLE = REPO_ROOT / "roles" / "fabric_sync"


def fragment(group):
    module = importlib.import_module("ansible_collections.hedgehog.netbox_sync.plugins.doc_fragments.%s" % group)
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)["options"]


@pytest.mark.parametrize("group", sorted(options.GROUPS))
def test_each_doc_fragment_documents_exactly_its_options(group):
    documented = fragment(group)
    assert sorted(documented) == sorted(options.GROUPS[group])
    for name, option in options.GROUPS[group].items():
        doc = documented[name]
        assert doc["type"] == DOC_TYPES[option.type], name
        assert doc.get("default") == option.default, name
        assert doc.get("choices") == (list(option.choices) if option.choices else None), name
        assert sorted(doc.get("aliases") or []) == sorted(option.aliases), name
        assert bool(doc.get("required")) == option.required, name


def test_fabric_config_has_a_field_per_option_with_its_default():
    fields = dict((f.name, f) for f in dataclasses.fields(FabricConfig))
    expected = set(options.NETBOX_AUTH) | set(options.SYNC) | set(options.RECORD) | {"k8s_auth"}
    assert set(fields) == expected
    for name, field in fields.items():
        if name in options.ALL and field.default is not dataclasses.MISSING:
            assert field.default == options.ALL[name].default, name


def test_config_from_params_fills_unset_options_with_their_defaults():
    config = FabricConfig.from_params({"fabric": "f1", "netbox_url": "http://nb", "netbox_token": "t", "prune": None,
                                       "host": "https://k8s", "context": ""})
    assert config.prune == "delete" and config.sync_interval == 300
    assert config.k8s_auth == {"host": "https://k8s"}


def test_no_secret_in_the_config_repr():
    config = FabricConfig(fabric="f1", netbox_url="http://nb", netbox_token="NBTOKEN-SECRET",
                          k8s_auth={"host": "https://k8s", "api_key": "K8S-SECRET"})
    text = repr(config)
    assert "NBTOKEN-SECRET" not in text and "K8S-SECRET" not in text
    assert "f1" in text


def test_kubeconfig_text_is_refused_without_echoing_it():
    with pytest.raises(Exception) as caught:
        FabricConfig(fabric="f1", netbox_url="http://nb", netbox_token="t",
                     k8s_auth={"kubeconfig": "apiVersion: v1\nusers:\n- user: {token: K8S-SECRET}\n"})
    assert "K8S-SECRET" not in str(caught.value) and "not its text" in str(caught.value)


def role_task_options():
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    return next(task for task in tasks if "hedgehog.netbox_sync.fabric_sync" in task)["hedgehog.netbox_sync.fabric_sync"]


def test_the_role_passes_every_option_and_states_no_default():
    passed = role_task_options()
    assert set(passed) == set(options.ALL)
    for name, option in options.ALL.items():
        if not option.var:
            continue
        empty_is_unset = ", true" if option.type in ("str", "path", "raw") else ""
        assert passed[name] == "{{ %s | default(omit%s) }}" % (option.var, empty_is_unset), name


def test_the_role_argument_spec_lists_every_variable_without_defaults():
    spec = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    variables = set(option.var for option in options.ALL.values() if option.var)
    assert variables <= set(spec)
    for name, entry in spec.items():
        assert "default" not in entry, name
    for option in options.ALL.values():
        if option.var:
            assert re.search(r"\b%s\b" % option.name, spec[option.var]["description"]), option.var
            assert bool(spec[option.var].get("no_log")) == bool(option.secret), option.var


def test_the_playbooks_fabric_defaults_are_the_module_defaults():
    defaults = yaml.safe_load((REPO_ROOT / "playbooks" / "vars" / "fabric_defaults.yml").read_text())
    assert defaults == {"hedgehog_default_sync_enabled": options.default("sync_enabled"),
                        "hedgehog_default_sync_interval": options.default("sync_interval")}


def config(**values):
    return FabricConfig(**dict({"fabric": "f1", "netbox_url": "https://nb", "netbox_token": "t"}, **values))


def test_adopt_names_kinds_and_true_means_every_owned_kind():
    assert config().adopt == frozenset()
    assert config(adopt=["device", "cable"]).adopt == frozenset(["device", "cable"])
    assert config(adopt="device,cable").adopt == frozenset(["device", "cable"])
    assert "device" in config(adopt=True).adopt and "ip_address" in config(adopt=True).adopt
    assert "site" not in config(adopt=True).adopt  # shared kinds are never owned
    with pytest.raises(Exception) as caught:
        config(adopt=["devices"])
    assert "adopt names unknown kind(s) devices" in str(caught.value)


def test_plain_http_and_unverified_connections_warn_or_are_refused():
    assert config().check_transport() == []
    loose = config(netbox_url="http://nb", netbox_validate_certs=False,
                   k8s_auth={"host": "http://k8s", "validate_certs": False})
    assert loose.check_transport() == [
        "NetBox is reached over plain HTTP (http://nb): the token travels in clear text",
        "NetBox's TLS certificate is not verified (netbox_validate_certs is off)",
        "the Kubernetes API is reached over plain HTTP (http://k8s)",
        "the Kubernetes API's TLS certificate is not verified (validate_certs is off)"]
    strict = config(netbox_url="http://nb", require_tls=True)
    with pytest.raises(Exception) as caught:
        strict.check_transport()
    assert str(caught.value).startswith("fabric f1: refusing to connect (require_tls): NetBox is reached over plain")
