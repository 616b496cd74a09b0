"""Bad input is bounded: big, deep or aliased objects cost a problem, never the controller's memory."""

from __future__ import annotations

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import ipam
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import BadObject
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.bounds import oversized, reject_oversized
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import file_objects, read_wiring_dir

SECRET = "HHFAKE-secret-on-the-broken-line"


def connection(links):
    return {"kind": "Connection", "metadata": {"name": "c1"}, "spec": {"fabric": {"links": links}}}


def test_a_list_past_max_list_items_names_the_field_and_the_limit():
    assert oversized(connection([{}] * 3), 3) is None
    assert oversized(connection([{}] * 4), 3) == "spec.fabric.links has 4 entries, more than max_list_items 3"


def test_a_mapping_past_the_limit_and_deep_nesting_are_refused():
    assert oversized({"spec": {"peering": dict(("vpc-%d" % n, {}) for n in range(5))}}, 4) == (
        "spec.peering has 5 entries, more than max_list_items 4")
    deep = value = {}
    for _level in range(40):
        value["a"] = {}
        value = value["a"]
    assert "nests deeper than 32 levels" in oversized({"spec": deep}, 100)


def test_an_oversized_object_is_skipped_as_a_problem_and_the_rest_kept():
    data = SourceData("test")
    data.add("Connection", [connection([{}] * 2), dict(connection([{}] * 50), metadata={"name": "big"})])
    reject_oversized(data, 10)
    assert [obj["metadata"]["name"] for obj in data.items("Connection")] == ["c1"]
    assert [(p.kind, p.name, p.cause) for p in data.rejected] == [
        ("Connection", "big", "spec.fabric.links has 50 entries, more than max_list_items 10")]


def test_an_oversized_object_holds_what_it_made_in_netbox():
    data = SourceData("test")
    data.add("Connection", [dict(connection([{}] * 50), metadata={"name": "big"})])
    snapshot = build_snapshot("fab", reject_oversized(data, 10))
    assert [(p.kind, p.name) for p in snapshot.problems] == [("Connection", "big")]
    assert snapshot.held == {("connection", "big"): "Connection big"}


def test_a_gateway_peering_joins_exactly_two_sides():
    sides = dict(("vpc-%d" % n, {"expose": [{"ips": [{"cidr": "10.0.%d.0/24" % n}]}]}) for n in range(8000))
    with pytest.raises(BadObject) as caught:
        ipam.parse_gateway_peering({"metadata": {"name": "p"}, "spec": {"peering": sides}})
    assert str(caught.value) == "spec.peering must name exactly two VPCs or externals, not 8000"


def test_yaml_aliases_are_refused_before_they_expand(tmp_path):
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 8):
        bomb.append("%s: &%s [%s]" % (chr(97 + level), chr(97 + level), ", ".join(["*%s" % chr(96 + level)] * 10)))
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb) + "\n")
    with pytest.raises(SourceError) as caught:
        file_objects(str(tmp_path / "bomb.yaml"), reject=None)
    # The place named is the anchored node's, the first an alias reuses.
    assert "bomb.yaml is not valid: line 1, column 4" in caught.value.message
    assert caught.value.message.endswith("YAML aliases are not allowed")


def test_a_yaml_error_names_the_file_and_line_but_never_quotes_it(tmp_path):
    (tmp_path / "switches.yaml").write_text("kind: Switch\nmetadata: {name: leaf-01}\nspec:\n  password: %s: x\n"
                                            % SECRET)
    with pytest.raises(SourceError) as caught:
        read_wiring_dir(str(tmp_path), fabric="f1")
    text = str(caught.value)
    assert SECRET not in text
    assert text == ("fabric f1: wiring file %s is not valid: line 4, column 45: mapping values are not allowed in "
                    "this context" % (tmp_path / "switches.yaml"))


def test_a_wiring_file_past_the_size_limit_is_refused_without_reading_it(tmp_path):
    (tmp_path / "big.yaml").write_text("kind: Switch\n" + "# padding\n" * 20000)
    with pytest.raises(SourceError) as caught:
        read_wiring_dir(str(tmp_path), fabric="f1", max_file_bytes=100000)
    assert "big.yaml is 0 MiB, more than max_response_mb (0 MiB)" in str(caught.value)
