"""A wiring directory's objects and their apiVersion: read, skipped as unsupported, or a clear error."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir


def _write(directory, name, *objects):
    with open(directory / name, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(objects, handle)


def _object(kind, name, api_version):
    obj = {"kind": kind, "metadata": {"name": name}, "spec": {}}
    if api_version:
        obj["apiVersion"] = api_version
    return obj


def test_objects_at_known_versions_are_read_and_their_file_remembered(tmp_path):
    _write(tmp_path, "wiring.yaml", _object("Switch", "leaf-01", "wiring.githedgehog.com/v1beta1"),
           _object("Server", "server-01", None))
    data = read_wiring_dir(str(tmp_path), fabric="f")
    assert data.count() == {"Switch": 1, "Server": 1}
    assert data.place_of(data.items("Switch")[0]) == "wiring.yaml"
    assert data.unsupported == [] and data.incomplete == {}


def test_an_optional_object_at_an_unknown_version_is_unsupported_not_read(tmp_path):
    vpc = _object("VPC", "vpc-01", "vpc.githedgehog.com/v1beta2")
    _write(tmp_path, "vpcs.yaml", vpc, _object("VPC", "vpc-02", "vpc.githedgehog.com/v1beta1"))
    data = read_wiring_dir(str(tmp_path), fabric="f")
    assert [o["metadata"]["name"] for o in data.items("VPC")] == ["vpc-02"]
    assert data.unsupported == [("VPC", "vpc-01", "VPC vpc-01 in vpcs.yaml has apiVersion vpc.githedgehog.com/v1beta2, "
                                 "and this collection reads vpc.githedgehog.com/v1beta1: a Hedgehog release it does "
                                 "not support", vpc)]


def test_a_wiring_object_at_an_unknown_version_stops_the_read(tmp_path):
    _write(tmp_path, "old.yaml", _object("Switch", "leaf-01", "wiring.githedgehog.com/v1alpha2"))
    with pytest.raises(SourceError) as caught:
        read_wiring_dir(str(tmp_path), fabric="f")
    assert str(caught.value) == (
        "fabric f: Switch leaf-01 in old.yaml has apiVersion wiring.githedgehog.com/v1alpha2, and this collection "
        "reads wiring.githedgehog.com/v1beta1: a Hedgehog release it does not support; nothing was written")


def test_a_kind_of_another_group_is_someone_elses_and_ignored(tmp_path):
    _write(tmp_path, "other.yaml", _object("Switch", "sw", "example.com/v1"))
    data = read_wiring_dir(str(tmp_path), fabric="f")
    assert data.count() == {} and data.unsupported == []
