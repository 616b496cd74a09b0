"""Idempotence and changes: a second run writes nothing; a change in the fabric changes exactly its objects.

Each test starts from the VLAB synced into an empty NetBox (a saved copy,
restored in about a second) and changes the objects the Kubernetes stand-in
serves between runs.
"""

from __future__ import annotations

import pytest

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import SPECS


@pytest.fixture
def kube(kube_standin_factory):
    return kube_standin_factory([h.VLAB])


def _changed_run(vlab_nb, kube):
    """A run after a change in the fabric, with NetBox before and after it."""
    before = h.state_of(vlab_nb)
    result, run = h.sync(h.config_for(vlab_nb, kube))
    assert result["result"] == "success", result["warnings"]
    after = h.state_of(vlab_nb)
    return result, run, h.state_diff(before, after)


def _settles(vlab_nb, kube):
    """The run after a change has nothing left to do."""
    result, _run = h.sync(h.config_for(vlab_nb, kube))
    assert h.write_ops(result) == {}
    assert result["requests"]["netbox"]["writes"] == 0


def test_second_run_changes_nothing_and_writes_nothing(vlab_nb, kube):
    before_log = h.change_count(vlab_nb)
    before = h.state_of(vlab_nb)
    result, _run = h.sync(h.config_for(vlab_nb, kube))
    assert result["changed"] is False
    assert result["result"] == "success"
    assert h.write_ops(result) == {}
    assert "schema" not in result["summary"]
    counts = result["requests"]["netbox"]
    assert counts["writes"] == 0
    assert set(counts) <= {"GET", "total", "writes"}
    # List reads per model (a few models take two), never per object: the VLAB alone has 400 objects.
    assert counts["GET"] <= len(SPECS) + 10
    assert "apply" not in result["timings"]
    assert h.change_count(vlab_nb) == before_log
    assert h.state_of(vlab_nb) == before
    unchanged = dict((kind, ops["unchanged"]) for kind, ops in result["summary"].items())
    assert unchanged["device"] == 12
    assert unchanged["cable"] == 22
    assert unchanged["ip_address"] == 44


def test_second_recorded_run_writes_only_the_fabric_record(vlab_nb, kube):
    """With the status record, the sync's own writes stay zero; the record's are counted apart."""
    config = h.config_for(vlab_nb, kube)
    h.recorded_sync(config)  # the first recorded run makes the record
    before = h.change_count(vlab_nb)
    result = h.recorded_sync(config)
    assert result["changed"] is False
    assert result["requests"]["netbox"]["writes"] == 0
    assert result["requests"]["status_record"]["writes"] > 0
    assert result["status"] == "in_sync"
    logged = h.changes_since(vlab_nb, before)
    assert logged
    assert set(kind for _action, kind, _obj in logged) <= {"virtualization.cluster", "extras.journalentry"}


@pytest.mark.parametrize("connection, link, old_port, new_port, members", [
    ("server-03--unbundled--leaf-01", None, "leaf-01/E1/3", "leaf-01/E1/10", False),
    ("server-04--bundled--leaf-02", 1, "leaf-02/E1/4", "leaf-02/E1/10", True),
], ids=["unbundled", "bundled"])
def test_moving_a_port_moves_its_cable_and_nothing_else(vlab_nb, kube, connection, link, old_port, new_port, members):
    obj = h.standin_object(kube, "Connection", connection)
    body = next(iter(obj["spec"].values()))
    switch_end = body["link"]["switch"] if link is None else body["links"][link]["switch"]
    assert switch_end["port"] == old_port
    switch_end["port"] = new_port
    kube.store.put(obj)

    result, _run, diff = _changed_run(vlab_nb, kube)

    old = old_port.replace("/", " ", 1)
    new = new_port.replace("/", " ", 1)
    # The new port takes over what the old one had (LAG membership, or the
    # VPC's VLAN on an unbundled port), the old one goes back to defaults.
    assert h.write_ops(result) == {"cable": {"create": 1, "delete": 1}, "interface": {"update": 2}}
    assert len(diff["removed"]) == 1 and diff["removed"][0].startswith("dcim/cables: ")
    assert len(diff["added"]) == 1 and diff["added"][0].startswith("dcim/cables: ")
    server_port = "server-03 enp2s1" if link is None else "server-04 enp2s2"
    # NetBox saves an interface when a cable comes or goes: those three, nothing else.
    assert diff["touched"] == sorted("dcim/interfaces: %s" % port for port in (old, new, server_port))

    device, port = new_port.split("/", 1)
    moved = h.interface(vlab_nb, device, port)
    label, ends = h.cable_ends(vlab_nb, moved["cable"]["id"])
    assert label == connection
    assert ends == sorted([(device, port), tuple(server_port.split(" "))])
    assert h.interface(vlab_nb, device, old_port.split("/", 1)[1])["cable"] is None
    if members:
        lag = h.api_list(vlab_nb, "dcim/interfaces", device=device, cf_hedgehog_connection=connection)[0]
        assert moved["lag"]["id"] == lag["id"]
        assert sorted(p["name"] for p in h.api_list(vlab_nb, "dcim/interfaces", lag_id=lag["id"])) == ["E1/10", "E1/3"]
        assert h.interface(vlab_nb, device, "E1/4")["lag"] is None
    else:
        assert moved["mode"]["value"] == "tagged"
        assert [v["vid"] for v in moved["tagged_vlans"]] == [1003]
        assert h.interface(vlab_nb, device, "E1/3")["mode"] is None
    _settles(vlab_nb, kube)


def test_removing_a_server_removes_its_device_cables_and_lag(vlab_nb, kube):
    h.standin_delete(kube, "VPCAttachment", "server-04--bundled--leaf-02--vpc-04--subnet-01")
    h.standin_delete(kube, "Connection", "server-04--bundled--leaf-02")
    h.standin_delete(kube, "Server", "server-04")
    server = h.device_id(vlab_nb, "server-04")

    result, _run, diff = _changed_run(vlab_nb, kube)

    # The server's ports and bond go with the device; leaf-02's ports leave the LAG.
    assert h.write_ops(result) == {
        "device": {"delete": 1}, "lag": {"delete": 1}, "cable": {"delete": 2}, "interface": {"update": 2}}
    assert diff["added"] == []
    assert diff["removed"] == sorted([
        "dcim/devices: server-04", "dcim/interfaces: server-04 enp2s1", "dcim/interfaces: server-04 enp2s2",
        "dcim/interfaces: server-04 bond3", "dcim/interfaces: leaf-02 PortChannel3",
    ] + [name for name in diff["removed"] if name.startswith("dcim/cables: ")])
    assert len([name for name in diff["removed"] if name.startswith("dcim/cables: ")]) == 2
    assert diff["touched"] == ["dcim/interfaces: leaf-02 E1/3", "dcim/interfaces: leaf-02 E1/4"]
    assert h.api_list(vlab_nb, "dcim/devices", id=server) == []
    for port in ("E1/3", "E1/4"):
        row = h.interface(vlab_nb, "leaf-02", port)
        assert row["lag"] is None and row["cable"] is None
        # The port stays, the fabric's through its device, with no marker of its own.
        assert row["custom_fields"]["hedgehog_fabric"] is None
    _settles(vlab_nb, kube)


def _new_leaf(kube):
    leaf = h.standin_object(kube, "Switch", "leaf-03")
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation"):
        leaf["metadata"].pop(key, None)
    leaf["metadata"]["name"] = "leaf-04"
    leaf["spec"].update({"asn": 65104, "ip": "172.30.0.11/21", "protocolIP": "172.30.8.5/32",
                         "vtepIP": "172.30.12.3/32", "description": "VS-06", "boot": {"mac": "0c:20:12:ff:05:00"}})
    uplink = h.standin_object(kube, "Connection", "spine-01--fabric--leaf-03")
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation"):
        uplink["metadata"].pop(key, None)
    uplink["metadata"]["name"] = "spine-01--fabric--leaf-04"
    uplink["spec"]["fabric"]["links"] = [{"spine": {"port": "spine-01/E1/7", "ip": "172.30.128.24/31"},
                                         "leaf": {"port": "leaf-04/E1/4", "ip": "172.30.128.25/31"}}]
    return leaf, uplink


def test_adding_a_switch_adds_exactly_its_objects(vlab_nb, kube):
    for obj in _new_leaf(kube):
        kube.store.put(obj)

    result, _run, diff = _changed_run(vlab_nb, kube)

    # The device type's 49 ports appear with the device; each then gets its NOS name (and speed), M1
    # its boot MAC.
    assert h.write_ops(result) == {
        "asn": {"create": 1}, "device": {"create": 1}, "interface": {"create": 2, "update": 49},
        "ip_address": {"create": 5}, "prefix": {"create": 1}, "cable": {"create": 1}, "mac_address": {"create": 1}}
    assert diff["removed"] == []
    added = [name for name in diff["added"] if not name.startswith("dcim/interfaces: leaf-04 ")]
    assert len(diff["added"]) - len(added) == 51
    assert sorted(added) == sorted([
        "dcim/devices: leaf-04", "ipam/asns: AS65104", "ipam/prefixes: 172.30.128.24/31",
        "ipam/ip-addresses: 172.30.0.11/21", "ipam/ip-addresses: 172.30.8.5/32",
        "ipam/ip-addresses: 172.30.12.3/32", "ipam/ip-addresses: 172.30.128.24/31",
        "ipam/ip-addresses: 172.30.128.25/31",
    ] + [name for name in added if name.startswith("dcim/cables: ")])
    assert diff["touched"] == ["dcim/interfaces: spine-01 E1/7"]

    device = h.api_list(vlab_nb, "dcim/devices", name="leaf-04")[0]
    assert device["primary_ip4"]["address"] == "172.30.0.11/21"
    assert device["custom_fields"]["hedgehog_asn"] == 65104
    assert h.interface(vlab_nb, "leaf-04", "E1/4")["custom_fields"]["hedgehog_fabric"] is None
    label, ends = h.cable_ends(vlab_nb, h.interface(vlab_nb, "leaf-04", "E1/4")["cable"]["id"])
    assert (label, ends) == ("spine-01--fabric--leaf-04", [("leaf-04", "E1/4"), ("spine-01", "E1/7")])
    _settles(vlab_nb, kube)


def test_a_changed_field_updates_only_its_object(vlab_nb, kube):
    server = h.standin_object(kube, "Server", "server-05")
    server["spec"]["description"] = "S-05 moved to rack 7"
    kube.store.put(server)

    result, _run, diff = _changed_run(vlab_nb, kube)

    assert h.write_ops(result) == {"device": {"update": 1}}
    assert diff == {"removed": [], "added": [], "touched": ["dcim/devices: server-05"]}
    assert h.api_list(vlab_nb, "dcim/devices", name="server-05")[0]["description"] == "S-05 moved to rack 7"
    _settles(vlab_nb, kube)
