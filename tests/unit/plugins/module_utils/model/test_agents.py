"""Agent reports -> typed records: both key spellings, every part, nothing volatile, nothing secret."""

from __future__ import annotations

import copy
import os

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model import agents
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import (
    BreakoutReport,
    LldpNeighbour,
    PortReport,
    TransceiverReport,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from testbed.generator import to_old_agent_status
from testbed.paths import FIXTURES

NEW_STATE = {
    "interfaces": {
        "E1/55/1": {"enabled": True, "admin": "up", "oper": "up", "change": "2026-08-20T09:40:00Z", "speed": "25G",
                    "fec": "rs", "auto": True, "linkFlapCount": 2,
                    "counters": {"inb": 10, "inbps": 1.5, "clear": "2026-08-20T09:40:00Z",
                                 "queues": {"0": {"db": 1, "b": 2, "wreddp": 3}}},
                    "lldpNeighbors": [{"name": "Ethernet72", "chassis": "0c:20:12:ff:04:01", "sysName": "spine-01",
                                       "sysDescr": "Hedgehog Fabric", "portID": "Ethernet0",
                                       "portDescr": "Fabric leaf-01/E1/55/1 c", "manuf": "Acme", "serial": "S1"}]},
        "E1/55/2": {"admin": "down", "oper": "down", "errDisabled": True},
    },
    "transceivers": {"E1/55": {"descr": "QSFP28", "cable": "100GBASE-SR4", "connType": "MPO", "length": 3.0,
                               "oper": "ENABLED", "temp": 40.5, "serial": "HH1", "vendor": "Acme Optics ",
                               "vendorPart": "AO-100", "vendorRev": "B", "formFactor": "QSFP28",
                               "present": "PRESENT"}},
    "breakouts": {"E1/55": {"mode": "4x25G", "status": "Completed"}},
}

# The same report as an agent before 25.04 writes it.
OLD_STATE = {
    "interfaces": {
        "E1/55/1": {"enabled": True, "adminStatus": "up", "operStatus": "up", "lastChanged": "2026-08-20T09:40:00Z",
                    "speed": "25G", "fec": "rs", "autoNegotiate": True, "linkFlapCount": 2,
                    "counters": {"inBits": 10, "inBitsPerSecond": 1.5, "lastClear": "2026-08-20T09:40:00Z",
                                 "queues": {"0": {"droppedBits": 1, "transmitBits": 2, "wredDroppedPkts": 3}}},
                    "lldpNeighbors": [{"name": "Ethernet72", "chassisID": "0c:20:12:ff:04:01", "systemName": "spine-01",
                                       "systemDescription": "Hedgehog Fabric", "portID": "Ethernet0",
                                       "portDescription": "Fabric leaf-01/E1/55/1 c", "manufacturer": "Acme",
                                       "serialNumber": "S1"}],
                    "transceiver": {"description": "QSFP28", "cableClass": "100GBASE-SR4", "connectorType": "MPO",
                                    "cableLength": 3.0, "operStatus": "ENABLED", "temperature": 40.5,
                                    "serialNumber": "HH1", "vendor": "Acme Optics ", "vendorPart": "AO-100",
                                    "vendorRev": "B", "formFactor": "QSFP28", "present": "PRESENT"}},
        "E1/55/2": {"adminStatus": "down", "operStatus": "down", "errDisabled": True},
    },
    "breakouts": {"E1/55": {"mode": "4x25G", "status": "Completed"}},
}


def test_old_key_names_become_the_current_ones_in_every_part():
    assert agents.current_state(OLD_STATE) == agents.current_state(NEW_STATE) == NEW_STATE


def test_current_state_leaves_its_input_alone():
    old = copy.deepcopy(OLD_STATE)
    agents.current_state(old)
    assert old == OLD_STATE


def test_a_transceiver_in_a_later_lane_has_no_cage_of_its_own():
    state = {"interfaces": {"E1/1/2": {"transceiver": {"serialNumber": "X"}}, "E1/3": {"transceiver": {"vendor": "V"}}}}
    assert agents.current_state(state)["transceivers"] == {"E1/3": {"vendor": "V"}}
    assert (agents.cage_of("E1/55/1"), agents.cage_of("E1/55/3"), agents.cage_of("E1/2")) == ("E1/55", None, "E1/2")


def test_a_report_keeps_what_changes_slowly_and_nothing_else():
    agent = agents.parse_agent({"metadata": {"name": "leaf-01", "generation": 3},
                                "status": {"lastHeartbeat": "2026-08-20T10:00:00Z", "state": OLD_STATE}}, "leaf-01")
    assert agent.interfaces == {
        "E1/55/1": PortReport(enabled=True, admin="up", oper="up", speed="25G", fec="rs", err_disabled=False,
                              neighbours=[LldpNeighbour(sys_name="spine-01", port_id="Ethernet0",
                                                        port_descr="Fabric leaf-01/E1/55/1 c",
                                                        chassis="0c:20:12:ff:04:01")]),
        "E1/55/2": PortReport(enabled=False, admin="down", oper="down", err_disabled=True),
    }
    assert agent.interfaces["E1/55/2"].oper_state == "err-disabled"
    assert agent.transceivers == {"E1/55": TransceiverReport(
        port="E1/55", vendor="Acme Optics", part="AO-100", serial="HH1", revision="B", form_factor="QSFP28",
        connector="MPO", cable="100GBASE-SR4", description="QSFP28", present="PRESENT")}
    assert agent.breakouts == {"E1/55": BreakoutReport(mode="4x25G", status="Completed")}
    text = repr(agent)
    for volatile in ("40.5", "linkFlapCount", "09:40:00", "1.5"):
        assert volatile not in text


def test_every_vlab_agent_reads_the_same_from_the_keys_older_agents_wrote():
    data = read_wiring_dir(os.path.join(FIXTURES, "vlab"), fabric="vlab")
    for obj in data.objects["Agent"]:
        old = copy.deepcopy(obj)
        old["status"] = to_old_agent_status(old["status"])
        name = obj["metadata"]["name"]
        assert agents.parse_agent(old, name) == agents.parse_agent(obj, name), name


def test_a_gateway_agent_reports_its_heartbeat_and_versions():
    agent = agents.parse_gateway_agent({
        "metadata": {"name": "gateway-1", "generation": 2},
        "spec": {"gateway": {"protocolIP": "172.30.8.5/32"}},
        "status": {"agentVersion": "v0.129.1", "lastHeartbeat": "2026-08-20T10:00:00Z", "lastAppliedGen": 2,
                   "state": {"dataplane": {"version": "v0.24.0"}}}}, "gateway-1")
    assert (agent.version, agent.generation, agent.applied_generation, agent.dataplane_version) == (
        "v0.129.1", 2, 2, "v0.24.0")
    assert agent.last_heartbeat == "2026-08-20T10:00:00Z"
