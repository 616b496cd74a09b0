"""The one rule for a fabric's name: the function, the filter the roles use, and the engine's config."""

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.filter.fabric_name_problem import FilterModule
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.names import fabric_name_problem

CHARACTERS = "may hold only letters, digits, '.', '_' and '-', and must start with a letter or a digit"
# Shared with the cron wrapper's test, which must refuse the same names.
BAD_NAMES = {
    "vlab\n": "fabric name 'vlab\\n' " + CHARACTERS,
    "../x": "fabric name '../x' " + CHARACTERS,
    "a/b": "fabric name 'a/b' " + CHARACTERS,
    "x" * 64: "fabric name '%s' is 64 characters long; at most 63 are allowed" % ("x" * 64),
    ".hidden": "fabric name '.hidden' " + CHARACTERS,
    "-e": "fabric name '-e' " + CHARACTERS,
    "vlab 2": "fabric name 'vlab 2' " + CHARACTERS,
    "vlab\r": "fabric name 'vlab\\r' " + CHARACTERS,
    "": "a fabric name is required (got '')",
}
GOOD_NAMES = ("vlab", "dc1", "DC-1.east_2", "x" * 63, "9")


@pytest.mark.parametrize("name", BAD_NAMES)
def test_a_bad_name_is_refused_with_a_message_that_quotes_it(name):
    assert fabric_name_problem(name) == BAD_NAMES[name]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_a_good_name_has_no_problem(name):
    assert fabric_name_problem(name) == ""


@pytest.mark.parametrize("value", [None, 7, ["vlab"]])
def test_a_name_that_is_not_a_string_is_refused(value):
    assert fabric_name_problem(value) == "a fabric name is required (got %r)" % (value,)


def test_the_roles_filter_is_the_same_rule():
    problem = FilterModule().filters()["fabric_name_problem"]
    for name in list(BAD_NAMES) + list(GOOD_NAMES):
        assert problem(name) == fabric_name_problem(name)


@pytest.mark.parametrize("name", ["vlab\n", "../x", "a/b", "x" * 64])
def test_the_engine_refuses_a_bad_name_before_anything_else(name):
    with pytest.raises(ConfigError) as refused:
        FabricConfig(fabric=name, netbox_url="https://netbox.example", netbox_token="t", wiring_dir="/nonexistent")
    assert str(refused.value) == BAD_NAMES[name]


def test_the_engine_takes_a_good_name():
    config = FabricConfig(fabric="vlab", netbox_url="https://netbox.example", netbox_token="t")
    assert (config.fabric, config.site) == ("vlab", "vlab")
