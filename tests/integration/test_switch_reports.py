"""What the switches report lands in the real NetBox: LLDP-checked cables, port state, optics, the nodes around.

Every test starts from the VLAB synced at a moment its agents report (a saved
copy of NetBox, restored in about a second), edits a private copy of the
fixture, syncs, and asserts the NetBox objects and that a second run writes
nothing.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import LLDP_MISMATCH_FIELD
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import detail, fabric_status
from testbed import generator
from testbed.paths import FIXTURES

# The fixtures' agents last reported at 10:00Z: a minute later they are fresh.
NOW = datetime(2026, 8, 20, 10, 1, tzinfo=timezone.utc)
STALE = "2026-08-20T09:40:00Z"

# spine-02's cables to leaf-01 and leaf-02 are swapped at the spine (generator.VLAB_MISWIRED).
MISWIRED = {
    ("leaf-01", "E1/6"): ("spine-02--fabric--leaf-01",
                          "spine-02 E1/1 sees leaf-02 E1/7 (Ethernet6); leaf-01 E1/6 sees spine-02 E1/3 (Ethernet2)"),
    ("leaf-02", "E1/7"): ("spine-02--fabric--leaf-02",
                          "spine-02 E1/3 sees leaf-01 E1/6 (Ethernet5); leaf-02 E1/7 sees spine-02 E1/1 (Ethernet0)"),
}


@pytest.fixture
def vlab_live(fresh_netbox, netbox_testbed):
    """A NetBox holding the VLAB as a sync leaves it while every agent reports."""
    def build():
        result, _run = h.sync(h.config_for(fresh_netbox, h.VLAB), now=NOW)
        # The miswired pair is a finding about the fabric, not a problem of the sync.
        assert result["result"] == "success", result["warnings"]
    h.restore_synced(netbox_testbed, "vlab-live", build, inputs=(h.VLAB,))
    return fresh_netbox


@pytest.fixture
def fabric(tmp_path):
    """A private copy of the VLAB fixture to edit."""
    return h.copy_fixture("vlab", tmp_path)


def run(netbox, source, now=NOW, **options):
    result, _run = h.sync(h.config_for(netbox, source, **options), now=now)
    return result


def settles(netbox, source, now=NOW, **options):
    """The next run has nothing to write."""
    result = run(netbox, source, now=now, **options)
    assert h.write_ops(result) == {}
    assert result["requests"]["netbox"]["writes"] == 0
    return result


def cable_findings(result):
    return sorted(f["name"] for f in result["findings"] if f["kind"] == "cable")


def agent_change(switch, change):
    """An edit of the Agents list: ``change(state)`` on ``switch``'s status.state."""
    def edit(items):
        for item in items:
            if item["metadata"]["name"] == switch:
                change(item["status"]["state"])
        return items
    return edit


def port_change(switch, port, **values):
    def change(state):
        state["interfaces"][port].update(values)
    return agent_change(switch, change)


def heartbeat(switches, stamp):
    def edit(items):
        for item in items:
            if item["metadata"]["name"] in switches:
                item["status"]["lastHeartbeat"] = stamp
        return items
    return edit


def cable_of(netbox, device, port):
    cable = h.interface(netbox, device, port)["cable"]
    return h.api_get(netbox, "dcim/cables/%d" % cable["id"])


def port(netbox, device, name):
    return h.interface(netbox, device, name)


def switch_spec(switch, **fields):
    def edit(items):
        for item in items:
            if item["metadata"]["name"] == switch:
                item["spec"].update(fields)
        return items
    return edit


# -- cabling against LLDP ------------------------------------------------------------------------


def test_a_miswired_link_is_flagged_on_its_cables_and_in_the_findings(vlab_live, fabric):
    result = run(vlab_live, fabric)
    # NetBox holds the cables as they are: the run is complete, the fabric is what needs a look.
    assert (result["result"], result["problems"]) == ("success", [])
    assert result["cabling"] == {"cables": 22, "judged": 12, "disagree": 2}
    assert h.write_ops(result) == {}
    findings = sorted((f["name"], f["cause"]) for f in result["findings"])
    assert findings == [
        ("cable spine-02--fabric--leaf-01 leaf-01/E1/6-spine-02/E1/1",
         "LLDP disagrees with the wiring, which joins spine-02 E1/1 and leaf-01 E1/6: "
         + MISWIRED[("leaf-01", "E1/6")][1]),
        ("cable spine-02--fabric--leaf-02 leaf-02/E1/7-spine-02/E1/3",
         "LLDP disagrees with the wiring, which joins spine-02 E1/3 and leaf-02 E1/7: "
         + MISWIRED[("leaf-02", "E1/7")][1]),
    ]
    # Ansible shows them as warnings, after the notices about the run itself (plain HTTP here).
    assert result["warnings"][-2:] == ["%s: %s" % finding for finding in findings]
    for (device, name), (connection, seen) in MISWIRED.items():
        cable = cable_of(vlab_live, device, name)
        assert cable["label"] == connection
        assert (cable["status"]["value"], cable["custom_fields"][LLDP_MISMATCH_FIELD]) == ("planned", seen)
    # The filter a NetBox user saves: the fabric's cables LLDP disagrees with.
    flagged = h.api_list(vlab_live, "dcim/cables", cf_hedgehog_fabric="vlab", status="planned")
    assert sorted(c["id"] for c in flagged) == sorted(cable_of(vlab_live, *end)["id"] for end in MISWIRED)
    others = h.api_list(vlab_live, "dcim/cables", cf_hedgehog_fabric="vlab", status="connected")
    assert len(others) == 20
    assert all(c["custom_fields"][LLDP_MISMATCH_FIELD] is None for c in others)


def test_the_record_and_status_say_how_many_cables_disagree(vlab_live, fabric):
    # A recorded run reads the wall clock: give the agents a heartbeat of now.
    now = datetime.now(timezone.utc).replace(microsecond=0)
    h.edit_objects(fabric, "Agent", heartbeat(("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02"),
                                              now.isoformat().replace("+00:00", "Z")))
    result = h.recorded_sync(h.config_for(vlab_live, fabric))
    assert result["cabling"]["disagree"] == 2
    # The fabric synced whole: in sync, no problem; the cables have a count of their own.
    assert (result["result"], result["status"]) == ("success", "in_sync")
    client = h.client_for(h.config_for(vlab_live, fabric))
    row = fabric_status(client, [{"name": "vlab", "sync_interval": 300}])[0]
    assert row["cables_disagreeing"] == 2
    assert "Cabling:       2 cables disagree with LLDP" in detail(row)
    record = h.api_list(vlab_live, "virtualization/clusters", name="vlab")[0]
    assert record["custom_fields"]["hedgehog_cables_disagreeing"] == 2
    assert (record["custom_fields"]["hedgehog_problem_count"], record["custom_fields"]["hedgehog_last_error"]) == (
        0, None)
    assert (row["status"], row["problem_count"]) == ("in_sync", 0)
    journal = h.api_list(vlab_live, "extras/journal-entries", assigned_object_id=record["id"])
    assert len(journal) == 1 and journal[0]["kind"]["value"] == "success"
    lines = journal[0]["comments"].splitlines()
    at = lines.index("Cabling: 2 cables disagree with LLDP.")
    # Each flagged cable under it, as Markdown-escaped text.
    assert [line.startswith("- cable spine-02--fabric--leaf-0") for line in lines[at + 1:at + 3]] == [True, True]
    assert "Problems" not in journal[0]["comments"]


def test_fixing_the_cables_clears_the_flag(vlab_live, fabric):
    # Cabled as the wiring says: each of the four ports sees the far end the wiring names.
    sees = {("spine-02", "E1/1"): ("leaf-01", "Ethernet5"), ("spine-02", "E1/3"): ("leaf-02", "Ethernet6"),
            ("leaf-01", "E1/6"): ("spine-02", "Ethernet0"), ("leaf-02", "E1/7"): ("spine-02", "Ethernet2")}
    for (switch, name), (far, far_port) in sees.items():
        h.edit_objects(fabric, "Agent", agent_change(switch, lambda state, name=name, far=far, far_port=far_port:
                                                     state["interfaces"][name]["lldpNeighbors"][0].update(
                                                         sysName=far, portID=far_port)))
    result = run(vlab_live, fabric)
    assert result["result"] == "success", result["warnings"]
    assert result["cabling"] == {"cables": 22, "judged": 12, "disagree": 0}
    assert h.write_ops(result) == {"cable": {"update": 2}}
    for device, name in MISWIRED:
        cable = cable_of(vlab_live, device, name)
        assert (cable["status"]["value"], cable["custom_fields"][LLDP_MISMATCH_FIELD]) == ("connected", None)
    settles(vlab_live, fabric)


def test_a_missing_neighbour_flags_the_cable(vlab_live, fabric):
    # leaf-03 E1/4 is up, but LLDP sees nobody where the wiring puts spine-01 E1/5.
    h.edit_objects(fabric, "Agent", agent_change("leaf-03", lambda s: s["interfaces"]["E1/4"].pop("lldpNeighbors")))
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"cable": {"update": 1}}
    cable = cable_of(vlab_live, "leaf-03", "E1/4")
    assert cable["status"]["value"] == "planned"
    assert cable["custom_fields"][LLDP_MISMATCH_FIELD] == "leaf-03 E1/4 sees no LLDP neighbour"
    assert result["cabling"]["disagree"] == 3
    finding = next(f for f in result["findings"] if "leaf-03 E1/4 sees no LLDP neighbour" in f["cause"])
    assert "spine-01--fabric--leaf-03" in finding["name"]
    assert "spine-01 E1/5 and leaf-03 E1/4" in finding["cause"]
    settles(vlab_live, fabric)


def test_a_stale_agent_is_not_judged(vlab_live, fabric):
    # With spine-02 and both leaves of the miswired pair silent, nobody can tell about those two cables.
    h.edit_objects(fabric, "Agent", heartbeat(("spine-02", "leaf-01", "leaf-02"), STALE))
    result = run(vlab_live, fabric)
    assert cable_findings(result) == []
    # spine-01's six cables, and leaf-03's two to spine-02; the four between spine-02 and leaf-01/02 are not judged.
    assert result["cabling"] == {"cables": 22, "judged": 8, "disagree": 0}
    assert h.write_ops(result) == {"device": {"update": 3}, "cable": {"update": 2}}
    for device, name in MISWIRED:
        cable = cable_of(vlab_live, device, name)
        assert (cable["status"]["value"], cable["custom_fields"][LLDP_MISMATCH_FIELD]) == ("connected", None)
    assert h.api_list(vlab_live, "dcim/devices", name="spine-02")[0]["status"]["value"] == "offline"
    settles(vlab_live, fabric)


def test_one_stale_end_leaves_the_verdict_to_the_other(vlab_live, fabric):
    h.edit_objects(fabric, "Agent", heartbeat(("spine-02",), STALE))
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"device": {"update": 1}, "cable": {"update": 2}}
    assert cable_of(vlab_live, "leaf-01", "E1/6")["custom_fields"][LLDP_MISMATCH_FIELD] == (
        "leaf-01 E1/6 sees spine-02 E1/3 (Ethernet2)")
    assert len(cable_findings(result)) == 2
    settles(vlab_live, fabric)


# -- ports as the switch runs them -------------------------------------------------------------------


def test_the_vlab_ports_as_the_switches_run_them(vlab_live):
    uplink = port(vlab_live, "leaf-01", "E1/4")
    assert (uplink["speed"], uplink["enabled"]) == (25000000, True)
    assert uplink["custom_fields"]["hedgehog_oper_status"] == "up"
    unused = port(vlab_live, "leaf-01", "E1/40")
    assert (unused["speed"], unused["enabled"], unused["custom_fields"]["hedgehog_oper_status"]) == (
        25000000, False, "down")
    management = port(vlab_live, "leaf-01", "M1")
    assert (management["speed"], management["custom_fields"]["hedgehog_oper_status"]) == (None, "up")
    lag = h.api_list(vlab_live, "dcim/interfaces", device="leaf-02", name="PortChannel3")[0]
    # server-04's bundle: two 25G members.
    assert (lag["speed"], lag["enabled"], lag["custom_fields"]["hedgehog_oper_status"]) == (50000000, True, "up")


def test_a_port_going_down_and_up_is_one_write_each(vlab_live, fabric):
    before = h.change_count(vlab_live)
    h.edit_objects(fabric, "Agent", port_change("leaf-03", "E1/1", oper="down"))
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"interface": {"update": 1}}
    assert result["requests"]["netbox"]["writes"] == 1
    assert [change[:2] for change in h.changes_since(vlab_live, before)] == [("update", "dcim.interface")]
    assert port(vlab_live, "leaf-03", "E1/1")["custom_fields"]["hedgehog_oper_status"] == "down"
    settles(vlab_live, fabric)

    h.edit_objects(fabric, "Agent", port_change("leaf-03", "E1/1", oper="up"))
    assert h.write_ops(run(vlab_live, fabric)) == {"interface": {"update": 1}}
    assert port(vlab_live, "leaf-03", "E1/1")["custom_fields"]["hedgehog_oper_status"] == "up"
    settles(vlab_live, fabric)


def test_err_disabled_and_admin_down_are_the_ports_state(vlab_live, fabric):
    h.edit_objects(fabric, "Agent", port_change("leaf-03", "E1/2", oper="down", errDisabled=True, linkFlapCount=4))
    h.edit_objects(fabric, "Agent", port_change("leaf-03", "E1/3", enabled=False, admin="down", oper="down"))
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"interface": {"update": 2}}
    assert port(vlab_live, "leaf-03", "E1/2")["custom_fields"]["hedgehog_oper_status"] == "err-disabled"
    shut = port(vlab_live, "leaf-03", "E1/3")
    assert (shut["enabled"], shut["custom_fields"]["hedgehog_oper_status"]) == (False, "down")
    settles(vlab_live, fabric)


def test_counters_flap_counts_and_times_are_never_written(vlab_live, fabric):
    def churn(state):
        for name, iface in state["interfaces"].items():
            iface["change"] = "2026-08-20T09:59:59Z"
            iface["linkFlapCount"] = 7
            for counter in iface.get("counters", {}):
                if isinstance(iface["counters"][counter], (int, float)):
                    iface["counters"][counter] += 1
        for transceiver in state.get("transceivers", {}).values():
            transceiver["temp"] = 51.5
            transceiver["voltage"] = 3.21
    for switch in ("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02"):
        h.edit_objects(fabric, "Agent", agent_change(switch, churn))
    h.edit_objects(fabric, "Agent", heartbeat(("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02"),
                                              "2026-08-20T10:00:45Z"))
    settles(vlab_live, fabric, now=NOW + timedelta(seconds=30))


def test_a_speed_change_writes_the_ports_speed(vlab_live, fabric):
    # One port, and a port group (ports 5-8 of the vs profile's group 2).
    h.edit_objects(fabric, "Switch", switch_spec("leaf-03", portSpeeds={"E1/40": "10G"}, portGroupSpeeds={"2": "10G"}))
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"interface": {"update": 5}}
    for name in ("E1/40", "E1/5", "E1/6", "E1/7", "E1/8"):
        assert port(vlab_live, "leaf-03", name)["speed"] == 10000000, name
    assert port(vlab_live, "leaf-03", "E1/9")["speed"] == 25000000
    settles(vlab_live, fabric)


def test_a_fec_change_writes_the_ports_fec(vlab_live, fabric):
    h.edit_objects(fabric, "Switch", switch_spec("leaf-03", portFECs={"E1/4": "rs"}))
    assert h.write_ops(run(vlab_live, fabric)) == {"interface": {"update": 1}}
    assert port(vlab_live, "leaf-03", "E1/4")["custom_fields"]["hedgehog_fec"] == "rs"
    settles(vlab_live, fabric)
    h.edit_objects(fabric, "Switch", switch_spec("leaf-03", portFECs={"E1/4": "fc"}))
    assert h.write_ops(run(vlab_live, fabric)) == {"interface": {"update": 1}}
    assert port(vlab_live, "leaf-03", "E1/4")["custom_fields"]["hedgehog_fec"] == "fc"
    h.edit_objects(fabric, "Switch", switch_spec("leaf-03", portFECs={}))
    assert h.write_ops(run(vlab_live, fabric)) == {"interface": {"update": 1}}
    assert port(vlab_live, "leaf-03", "E1/4")["custom_fields"]["hedgehog_fec"] is None
    settles(vlab_live, fabric)


# -- optics ------------------------------------------------------------------------------------------------


def _transceivers(netbox, device):
    return dict((item["name"], item) for item in h.api_list(netbox, "dcim/inventory-items", device=device,
                                                            cf_hedgehog_fabric="vlab"))


def test_the_transceivers_are_inventory_items_on_their_ports(vlab_live):
    items = _transceivers(vlab_live, "leaf-01")
    agent = h.fixture_object("Agent", "leaf-01")["status"]["state"]["transceivers"]
    assert sorted(items) == sorted("%s transceiver" % p for p in agent)
    item = items["E1/1 transceiver"]
    assert (item["manufacturer"]["name"], item["part_id"], item["serial"]) == (
        "Hedgehog Optics", "HH-25G-SR", agent["E1/1"]["serial"])
    assert (item["role"]["slug"], item["discovered"], item["component_type"]) == (
        "transceiver", True, "dcim.interface")
    assert item["component"]["name"] == "E1/1" and item["component"]["device"]["name"] == "leaf-01"
    assert item["description"] == "SFP28 LC 25GBASE-SR, rev A1"


def test_a_transceiver_swap_changes_its_item_and_one_that_goes_takes_its_item(vlab_live, fabric):
    def swap(state):
        state["transceivers"]["E1/1"].update(serial="NEW0001", vendor="Other Optics", vendorPart="OO-25G-LR",
                                             cable="25GBASE-LR")
        del state["transceivers"]["E1/2"]
        state["transceivers"]["E1/40"] = dict(state["transceivers"]["E1/3"], serial="SPARE40")
    h.edit_objects(fabric, "Agent", agent_change("leaf-01", swap))
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"manufacturer": {"create": 1},
                                   "inventory_item": {"create": 1, "update": 1, "delete": 1}}
    items = _transceivers(vlab_live, "leaf-01")
    assert "E1/2 transceiver" not in items
    swapped = items["E1/1 transceiver"]
    assert (swapped["manufacturer"]["name"], swapped["part_id"], swapped["serial"]) == (
        "Other Optics", "OO-25G-LR", "NEW0001")
    assert swapped["description"] == "SFP28 LC 25GBASE-LR, rev A1"
    assert items["E1/40 transceiver"]["component"]["name"] == "E1/40"
    settles(vlab_live, fabric)


# -- breakouts ---------------------------------------------------------------------------------------------


def test_breakout_sub_ports_carry_their_parent_speed_and_state(fresh_netbox, tmp_path):
    spec = generator.FabricSpec(spines=1, leaves=2, eslag_pairs=1, servers_per_leaf=1, vpcs=1,
                                spine_profile=generator.BIG_SPINE_PROFILE)
    source = tmp_path / "breakout"
    generator.write_fabric(generator.generate_fabric(spec), source)
    result = run(fresh_netbox, source)
    assert result["result"] == "success", result["warnings"]
    # Both leaves' two uplinks sit on spine-01 E1/1's eight 100G lanes.
    parent = port(fresh_netbox, "spine-01", "E1/1")
    assert (parent["speed"], parent["custom_fields"]["hedgehog_breakout"]) == (None, "8x100G (Completed)")
    for lane in range(1, 9):
        sub = port(fresh_netbox, "spine-01", "E1/1/%d" % lane)
        assert sub["custom_fields"]["hedgehog_breakout_parent"]["id"] == parent["id"]
        assert (sub["speed"], sub["description"]) == (100000000, "Ethernet%d" % (lane - 1))
    # An unused port in the profile's default mode, two 400G lanes; a port that cannot break out is whole.
    default = port(fresh_netbox, "spine-01", "E1/2")
    assert (default["speed"], default["custom_fields"]["hedgehog_breakout"]) == (None, "2x400G (Completed)")
    assert port(fresh_netbox, "spine-01", "E1/2/2")["speed"] == 400000000
    whole = port(fresh_netbox, "spine-01", "E1/33")
    assert (whole["speed"], whole["custom_fields"]["hedgehog_breakout"]) == (10000000, None)
    lane = port(fresh_netbox, "spine-01", "E1/1/1")
    assert lane["custom_fields"]["hedgehog_oper_status"] == "up"
    assert result["cabling"]["disagree"] == 0 and result["cabling"]["judged"] == 4
    cable = h.api_get(fresh_netbox, "dcim/cables/%d" % lane["cable"]["id"])
    assert (cable["status"]["value"], cable["custom_fields"][LLDP_MISMATCH_FIELD]) == ("connected", None)
    settles(fresh_netbox, source)

    def failing(state):
        state["breakouts"]["E1/1"]["status"] = "Failed"
    h.edit_objects(source, "Agent", agent_change("spine-01", failing))
    assert h.write_ops(run(fresh_netbox, source)) == {"interface": {"update": 1}}
    assert port(fresh_netbox, "spine-01", "E1/1")["custom_fields"]["hedgehog_breakout"] == "8x100G (Failed)"
    settles(fresh_netbox, source)


# -- the nodes around the fabric -----------------------------------------------------------------------------


def test_the_control_node_and_the_boot_macs(vlab_live):
    control = h.api_list(vlab_live, "dcim/devices", name="control-1")[0]
    assert (control["role"]["slug"], control["device_type"]["slug"]) == ("control-node", "hedgehog-control-node")
    assert control["primary_ip4"]["address"] == "172.30.0.5/21"
    management = port(vlab_live, "control-1", "enp2s1")
    assert management["mgmt_only"] is True
    external = port(vlab_live, "control-1", "enp2s0")
    # The external port takes its address from DHCP: no address to record.
    assert h.api_list(vlab_live, "ipam/ip-addresses", interface_id=external["id"]) == []
    m1 = port(vlab_live, "leaf-02", "M1")
    assert m1["primary_mac_address"]["mac_address"] == "0C:20:12:FF:01:00"
    macs = h.api_list(vlab_live, "dcim/mac-addresses", cf_hedgehog_fabric="vlab")
    assert sorted(m["mac_address"] for m in macs) == ["0C:20:12:FF:%02X:00" % n for n in range(5)]
    assert all(m["assigned_object"]["name"] == "M1" for m in macs)


def test_switch_groups_are_tags_to_filter_on(vlab_live, fabric):
    tagged = h.api_list(vlab_live, "dcim/devices", tag="hedgehog-switchgroup-eslag-1", cf_hedgehog_fabric="vlab")
    assert sorted(d["name"] for d in tagged) == ["leaf-01", "leaf-02"]
    assert h.api_list(vlab_live, "extras/tags", slug="hedgehog-switchgroup-eslag-1")[0]["name"] == "SwitchGroup eslag-1"
    # leaf-03 joins group "empty": one write, its tag added; the sync's other tags stay.
    h.edit_objects(fabric, "Switch", switch_spec("leaf-03", groups=["empty"]))
    assert h.write_ops(run(vlab_live, fabric)) == {"device": {"update": 1}}
    leaf = h.api_list(vlab_live, "dcim/devices", name="leaf-03")[0]
    assert sorted(t["slug"] for t in leaf["tags"]) == ["hedgehog-switchgroup-empty", "hedgehog-sync"]
    settles(vlab_live, fabric)
    h.edit_objects(fabric, "Switch", switch_spec("leaf-03", groups=[]))
    assert h.write_ops(run(vlab_live, fabric)) == {"device": {"update": 1}}
    leaf = h.api_list(vlab_live, "dcim/devices", name="leaf-03")[0]
    assert [t["slug"] for t in leaf["tags"]] == ["hedgehog-sync"]


def test_gateways_with_management_addresses_and_health(fresh_netbox, tmp_path):
    source = h.copy_fixture("vlab-gateway", tmp_path)
    result = run(fresh_netbox, source)
    assert result["problems"] == []
    # Its agents' LLDP agrees with every cable (the miswired pair is the vlab fixture's alone).
    assert result["warnings"] == [h.plain_http(fresh_netbox)]
    gateway = h.api_list(fresh_netbox, "dcim/devices", name="gateway-1")[0]
    assert gateway["primary_ip4"]["address"] == "172.30.0.6/21"
    assert port(fresh_netbox, "gateway-1", "enp2s0")["mgmt_only"] is True
    assert gateway["status"]["value"] == "active"
    assert gateway["custom_fields"]["hedgehog_agent_version"] == "v0.129.1"
    assert gateway["custom_fields"]["hedgehog_applied_generation"] == 2
    assert gateway["custom_fields"]["hedgehog_last_heartbeat"] is None
    control = h.api_list(fresh_netbox, "dcim/devices", name="control-1")[0]
    assert control["primary_ip4"]["address"] == "172.30.0.5/21"
    settles(fresh_netbox, source)

    h.edit_objects(source, "GatewayAgent", heartbeat(("gateway-2",), STALE))
    assert h.write_ops(run(fresh_netbox, source)) == {"device": {"update": 1}}
    quiet = h.api_list(fresh_netbox, "dcim/devices", name="gateway-2")[0]
    assert (quiet["status"]["value"], quiet["custom_fields"]["hedgehog_last_heartbeat"]) == ("offline", STALE)
    settles(fresh_netbox, source)


def _static_external(name, port_ref, **switch):
    connection = copy.deepcopy(h.fixture_object("Connection", "server-05--unbundled--leaf-03"))
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation", "labels"):
        connection["metadata"].pop(key, None)
    connection["metadata"]["name"] = name
    body = {"link": {"switch": dict({"port": port_ref}, **switch)}}
    connection["spec"] = {"staticExternal": body}
    return connection, body


def test_a_static_external_lands_in_its_vpc(vlab_live, fabric):
    in_vpc, body = _static_external("leaf-03--static-external", "leaf-03/E1/10", ip="192.168.99.1/24",
                                    nextHop="192.168.99.254", subnets=["10.99.0.0/16", "10.98.1.0/24"], vlan=100)
    body["withinVPC"] = "vpc-01"
    plain, _body = _static_external("leaf-03--static-external-2", "leaf-03/E1/11", ip="192.168.77.1/30",
                                    nextHop="192.168.77.2", subnets=["10.77.0.0/16"])
    h.edit_objects(fabric, "Connection", lambda items: items + [in_vpc, plain])
    result = run(vlab_live, fabric)
    assert h.write_ops(result) == {"subinterface": {"create": 1}, "ip_address": {"create": 4},
                                   "prefix": {"create": 5}}
    vrf = h.api_list(vlab_live, "ipam/vrfs", name="vpc-01", cf_hedgehog_fabric="vlab")[0]
    sub = port(vlab_live, "leaf-03", "E1/10.100")
    assert (sub["parent"]["name"], sub["vrf"]["id"], sub["type"]["value"]) == ("E1/10", vrf["id"], "virtual")
    own = h.api_list(vlab_live, "ipam/ip-addresses", address="192.168.99.1/24", vrf_id=vrf["id"])[0]
    assert own["assigned_object_id"] == sub["id"]
    hop = h.api_list(vlab_live, "ipam/ip-addresses", address="192.168.99.254/24", vrf_id=vrf["id"])[0]
    assert hop["description"] == "leaf-03--static-external: next hop"
    routed = h.api_list(vlab_live, "ipam/prefixes", prefix="10.99.0.0/16", vrf_id=vrf["id"])[0]
    assert routed["description"] == "leaf-03--static-external: routed via 192.168.99.254"
    assert len(h.api_list(vlab_live, "ipam/prefixes", prefix="192.168.99.0/24", vrf_id=vrf["id"])) == 1
    # Without VLAN or VPC: on the port itself, in the switch's default VRF: the fabric's underlay VRF.
    underlay = h.api_list(vlab_live, "ipam/vrfs", name="vlab/underlay")[0]
    (plain_ip,) = h.api_list(vlab_live, "ipam/ip-addresses", address="192.168.77.1/30")
    assert (plain_ip["assigned_object_id"], plain_ip["vrf"]["id"]) == (port(vlab_live, "leaf-03", "E1/11")["id"],
                                                                       underlay["id"])
    assert len(h.api_list(vlab_live, "ipam/prefixes", prefix="10.77.0.0/16", vrf_id=underlay["id"])) == 1
    settles(vlab_live, fabric)


# -- mesh and old agents -----------------------------------------------------------------------------------


def test_a_mesh_fabric_lands_and_its_links_agree_with_lldp(fresh_netbox):
    source = FIXTURES / "vlab-mesh"
    result = run(fresh_netbox, source)
    assert result["result"] == "success", result["warnings"]
    # 10 server cables (their servers send no LLDP) and 6 mesh cables, all checked from both ends.
    assert result["cabling"] == {"cables": 16, "judged": 6, "disagree": 0}
    mesh = h.api_list(fresh_netbox, "dcim/cables", cf_hedgehog_connection_type="mesh")
    assert sorted(c["label"] for c in mesh) == sorted(
        ["leaf-01--mesh--leaf-02"] * 2 + ["leaf-01--mesh--leaf-03"] * 2 + ["leaf-02--mesh--leaf-03"] * 2)
    assert all(c["status"]["value"] == "connected" for c in mesh)
    link = h.interface(fresh_netbox, "leaf-01", "E1/4")
    ip = h.api_list(fresh_netbox, "ipam/ip-addresses", interface_id=link["id"])[0]
    assert ip["address"] == "172.30.128.0/31"
    assert len(h.api_list(fresh_netbox, "ipam/prefixes", prefix="172.30.128.0/31")) == 1
    roles = set(d["role"]["slug"] for d in h.api_list(fresh_netbox, "dcim/devices", cf_hedgehog_fabric="vlab"))
    assert "spine" not in roles and "server-leaf" in roles
    settles(fresh_netbox, source)


def test_old_agent_key_names_land_the_same_facts(vlab_live, fabric):
    (fabric / "agents.yaml").write_text((FIXTURES / "agent-oldkeys" / "agents.yaml").read_text())
    result = settles(vlab_live, fabric)
    assert result["cabling"] == {"cables": 22, "judged": 12, "disagree": 2}


def test_a_release_before_25_04_lands_its_optics_and_port_state(fresh_netbox):
    source = FIXTURES / "release-25.03"
    agents = h.fixture_objects("Agent", source)
    with_transceivers = sum(1 for a in agents for i in a["status"]["state"]["interfaces"].values()
                            if "transceiver" in i)
    assert with_transceivers > 0 and all("transceivers" not in a["status"]["state"] for a in agents)
    stamp = agents[0]["status"]["lastHeartbeat"]
    now = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=30)
    result = run(fresh_netbox, source, now=now)
    items = h.api_list(fresh_netbox, "dcim/inventory-items", role="transceiver")
    assert len(items) == with_transceivers
    uplink = next(p for p in h.api_list(fresh_netbox, "dcim/interfaces", device="leaf-05", cf_hedgehog_oper_status="up")
                  if p["cable"])
    assert uplink["enabled"] is True
    assert result["cabling"]["judged"] > 0 and result["cabling"]["disagree"] == 0
    settles(fresh_netbox, source, now=now)


def test_release_26_03_shows_the_err_disabled_uplink(fresh_netbox):
    source = FIXTURES / "release-26.03"
    stamp = h.fixture_objects("Agent", source)[0]["status"]["lastHeartbeat"]
    now = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=30)
    result = run(fresh_netbox, source, now=now)
    shut = h.api_list(fresh_netbox, "dcim/interfaces", device="leaf-05", cf_hedgehog_oper_status="err-disabled")
    assert len(shut) == 1
    # A down link carries no LLDP: its cable is not judged, its ports show why.
    cable = h.api_get(fresh_netbox, "dcim/cables/%d" % shut[0]["cable"]["id"])
    assert cable["status"]["value"] == "connected"
    fec = dict((p["name"], p["custom_fields"]["hedgehog_fec"]) for p in
               h.api_list(fresh_netbox, "dcim/interfaces", device="leaf-05", name=["E1/5", "E1/6"]))
    assert fec == {"E1/5": "rs", "E1/6": "auto"}
    assert result["cabling"]["disagree"] == 0
    settles(fresh_netbox, source, now=now)
