"""One Hedgehog fabric out of a multi-fabric source, when its Fabric objects could not be read."""

from __future__ import annotations

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.topology import select_fabric
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData


def switch(name, fabric):
    return {"kind": "Switch", "metadata": {"name": name}, "spec": {"topology": {"fabric": fabric}}}


def two_fabrics():
    data = SourceData("test")
    data.add("Switch", [switch("east-leaf", "east"), switch("west-leaf", "west")])
    return data


def test_without_fabric_objects_a_named_source_fabric_is_refused():
    with pytest.raises(ConfigError, match="source_fabric is 'east', but the source holds a single fabric"):
        select_fabric(two_fabrics(), "east", fabric="nb-east")


def test_unreadable_fabric_objects_leave_each_object_to_name_its_fabric():
    data = two_fabrics()
    data.mark_incomplete("Fabric", "the Kubernetes API forbids listing (HTTP 403)", lasting=True)
    selected = select_fabric(data, "east", fabric="nb-east")
    assert [obj["metadata"]["name"] for obj in selected.items("Switch")] == ["east-leaf"]
    assert selected.count()["Switch"] == 1
