"""One fabric out of a multi-fabric source: the nodes around the switches go with the fabric they serve, and
each object names its fabric when the Fabric objects could not be read."""

from __future__ import annotations

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.topology import select_fabric
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData


def obj(kind, name, fabric=None):
    spec = {"topology": {"fabric": fabric}} if fabric else {}
    return {"kind": kind, "metadata": {"name": name}, "spec": spec}


def source():
    data = SourceData("test")
    data.add("Fabric", [obj("Fabric", "default"), obj("Fabric", "b")])
    data.add("Gateway", [obj("Gateway", "gw-a"), obj("Gateway", "gw-b", fabric="b")])
    data.add("GatewayAgent", [obj("GatewayAgent", "gw-a"), obj("GatewayAgent", "gw-b")])
    # A FabNode of each gateway, and one whose Gateway object is missing (a gateway node of no fabric yet).
    data.add("FabNode", [obj("FabNode", "gw-a"), obj("FabNode", "gw-b"), obj("FabNode", "gw-new")])
    data.add("ControlNode", [obj("ControlNode", "control-1")])
    return data


def names(data, kind):
    return sorted(item["metadata"]["name"] for item in data.items(kind))


def test_the_default_fabric_has_the_control_node_its_gateways_and_the_nodes_of_no_fabric():
    data = select_fabric(source(), "default")
    assert names(data, "ControlNode") == ["control-1"]
    assert names(data, "Gateway") == names(data, "GatewayAgent") == ["gw-a"]
    assert names(data, "FabNode") == ["gw-a", "gw-new"]
    assert data.counts["FabNode"] == 2


def test_another_fabric_has_its_gateways_nodes_only():
    data = select_fabric(source(), "b")
    assert names(data, "ControlNode") == []
    assert names(data, "Gateway") == names(data, "GatewayAgent") == names(data, "FabNode") == ["gw-b"]
    assert data.counts["ControlNode"] == 0


def test_without_source_fabric_every_node_stays():
    data = select_fabric(source(), None)
    assert names(data, "FabNode") == ["gw-a", "gw-b", "gw-new"]
    assert names(data, "ControlNode") == ["control-1"]


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
