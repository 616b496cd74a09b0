"""Check mode writes nothing at all and plans exactly what the real run then does; diff mode shows it, bounded."""

from __future__ import annotations

import sync_helpers as h


def test_check_on_an_empty_netbox_writes_nothing_not_even_the_schema(fresh_netbox):
    nb = fresh_netbox
    config = h.config_for(nb, h.VLAB, diff_limit=10)
    assert h.change_count(nb) == 0

    checked, run = h.sync(config, check_mode=True, want_diff=True)

    assert checked["check_mode"] is True
    assert checked["changed"] is True
    assert checked["requests"]["netbox"]["writes"] == 0
    assert "applied" not in checked
    assert h.change_count(nb) == 0
    for endpoint in ("extras/custom-fields", "extras/tags", "dcim/sites", "dcim/devices", "virtualization/clusters"):
        assert h.api_count(nb, endpoint) == 0, endpoint
    # The sync's 2 tags (hedgehog-sync, hedgehog-orphan) and its 33 custom fields, none there yet.
    assert checked["summary"]["schema"] == {"create": 2 + 33, "update": 0}
    assert checked["summary"]["device"]["create"] == 12  # switches, servers and the control node

    # The diff: ten objects in full, then one summary line per kind and action.
    diff = checked["diff"]
    full = [entry for entry in diff if entry["before_header"] != "summary"]
    lines = [entry["after"] for entry in diff if entry["before_header"] == "summary"]
    assert len(full) == 10
    assert all(entry["before"] == {} and entry["after"] for entry in full)
    # The first ten writes of the plan, in its order: what the devices need comes first.
    assert [entry["after_header"] for entry in full] == [
        "tag hedgehog-switchgroup-empty (create)", "tag hedgehog-switchgroup-eslag-1 (create)",  # the SwitchGroups
        "site vlab (create)",
        "manufacturer hedgehog (create)", "manufacturer generic (create)", "manufacturer hedgehog-optics (create)",
        "platform sonic-bcm-vs (create)",
        "device_role server (create)", "device_role server-leaf (create)", "device_role spine (create)"]
    # Lines count actions: a switch's create and its late primary-IP update are two.
    assert lines == ["... and %d more %s(s) of %s\n" % line for line in (
        (4, "create", "asn"),  # the spines share one, each leaf has its own
        (22, "create", "cable"),
        (1, "create", "cluster"),  # the fabric's record
        (1, "create", "cluster_type"),
        (12, "create", "device"),  # 5 switches, 6 servers and the control node
        (6, "update", "device"),  # the late primary IP of the 5 switches and the control node
        (1, "create", "device_role"),  # control-node; the other three are above
        (3, "create", "device_type"),
        (20, "create", "interface"),  # Loopback1 x 5, Loopback2 x 3, 10 server ports, the control node's 2
        (250, "update", "interface"),  # each switch port's NOS name (5 x 49), each switch's M1 MAC (5)
        (49, "create", "interface_template"),  # the vs switch type's ports
        (34, "create", "inventory_item"),  # the transceivers the agents report: 7 + 8 + 7 + 6 + 6
        (1, "create", "inventory_item_role"),
        (44, "create", "ip_address"),  # 37 underlay, 6 VPC subnet gateways, the control node's management
        (6, "create", "ip_range"),  # one per VPC subnet
        (10, "create", "lag"),
        (5, "create", "mac_address"),  # each switch's M1
        (19, "create", "prefix"),  # 12 underlay /31s, 6 VPC subnets, the IPv4 namespace
        (1, "create", "rir"),
        (6, "create", "vlan"),  # one per VPC subnet
        (1, "create", "vlan_group"),
        (8, "create", "vrf"),  # 6 VPCs, the underlay and the IPv4 namespace
    )]
    applied, applied_run = h.sync(config)

    assert applied["changed"] is True
    assert applied["summary"] == checked["summary"]
    assert applied["result"] == checked["result"] == "success"
    # Every write the check planned was made (a switch's late primary IP is a write of its own).
    assert _actions(applied_run) == _actions(run)
    assert applied["applied"] == _actions(run)


def _actions(run):
    counts = {}
    for action in run.plan.writes():
        ops = counts.setdefault(action.kind, {})
        ops[action.op] = ops.get(action.op, 0) + 1
    return counts


def test_recorded_check_run_writes_no_status_either(fresh_netbox):
    nb = fresh_netbox
    result = h.recorded_sync(h.config_for(nb, h.VLAB), check_mode=True)
    assert result["check_mode"] is True
    assert "status" not in result
    assert h.change_count(nb) == 0
    assert h.api_count(nb, "virtualization/clusters") == 0


def test_check_after_a_change_plans_what_the_run_then_applies(vlab_nb, kube_standin_factory):
    nb = vlab_nb
    kube = kube_standin_factory([h.VLAB])
    obj = h.standin_object(kube, "Connection", "server-04--bundled--leaf-02")
    obj["spec"]["bundled"]["links"][1]["switch"]["port"] = "leaf-02/E1/10"
    kube.store.put(obj)
    server = h.standin_object(kube, "Server", "server-05")
    server["spec"]["description"] = "S-05 in rack 7"
    kube.store.put(server)
    config = h.config_for(nb, kube)
    before_log = h.change_count(nb)
    before = h.state_of(nb)

    checked, _run = h.sync(config, check_mode=True, want_diff=True)

    assert h.change_count(nb) == before_log
    assert h.state_of(nb) == before
    assert checked["requests"]["netbox"]["writes"] == 0
    assert h.write_ops(checked) == {"device": {"update": 1}, "interface": {"update": 2},
                                    "cable": {"create": 1, "delete": 1}}
    diff = dict((entry["before_header"], entry) for entry in checked["diff"])
    assert len(diff) == 5
    device = diff["device server-05 (update)"]
    assert device["before"] == {"description": h.fixture_object("Server", "server-05")["spec"]["description"]}
    assert device["after"] == {"description": "S-05 in rack 7"}
    joined = diff["interface leaf-02 E1/10 (update)"]
    assert joined["after"]["lag"] == "<lag leaf-02/server-04--bundled--leaf-02>"
    assert diff["interface leaf-02 E1/4 (update)"]["after"]["lag"] is None

    applied, _run = h.sync(config)

    assert applied["summary"] == checked["summary"]
    assert applied["applied"] == h.write_ops(checked)
    assert h.change_count(nb) > before_log
