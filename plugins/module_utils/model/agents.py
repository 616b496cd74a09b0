# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fabric's agents report: switch Agents and GatewayAgents, as typed records.

Agents before 25.04 (fabric v0.87) wrote their status with long key names and
kept each transceiver inside its interface; ``current_state`` turns such a
report into the current shape once, for every part (interfaces, counters,
queues, LLDP neighbours, transceivers), so nothing after it knows two spellings.
Only the report is read: ``spec.users`` (password hashes, SSH keys) and
``spec.version`` (registry credentials) never are.
"""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.records import (
    AgentState,
    BreakoutReport,
    GatewayAgentState,
    LldpNeighbour,
    PortReport,
    TransceiverReport,
)

# Old (before 25.04) -> current key names, per part of Agent.status.state.
OLD_INTERFACE_KEYS = {
    "adminStatus": "admin",
    "operStatus": "oper",
    "lastChanged": "change",
    "autoNegotiate": "auto",
}
OLD_COUNTER_KEYS = {
    "inBits": "inb", "inBitsPerSecond": "inbps", "inDiscards": "ind", "inErrors": "ine",
    "inPktsPerSecond": "inpbs", "inUtilization": "inu", "lastClear": "clear", "outBits": "outb",
    "outBitsPerSecond": "outbps", "outDiscards": "outd", "outErrors": "oute", "outPktsPerSecond": "outpps",
    "outUtilization": "outu",
}
OLD_QUEUE_KEYS = {
    "droppedBits": "db", "droppedPkts": "dp", "ecnMarkedBits": "ecnb", "ecnMarkedPkts": "ecnp",
    "transmitBits": "b", "transmitBitsPerSecond": "bps", "transmitPkts": "p", "transmitPktsPerSecond": "pps",
    "wredDroppedPkts": "wreddp",
}
OLD_LLDP_KEYS = {
    "chassisID": "chassis", "systemName": "sysName", "systemDescription": "sysDescr",
    "portDescription": "portDescr", "manufacturer": "manuf", "serialNumber": "serial",
}
OLD_TRANSCEIVER_KEYS = {
    "description": "descr", "cableClass": "cable", "connectorType": "connType", "cableLength": "length",
    "operStatus": "oper", "temperature": "temp", "serialNumber": "serial",
}

# The transceiver an old agent kept inside an interface moved to state.transceivers.
OLD_TRANSCEIVER_FIELD = "transceiver"


def _renamed(mapping, keys):
    return dict((keys.get(key, key), value) for key, value in mapping.items())


def _dicts(value):
    return value if isinstance(value, dict) else {}


def _current_counters(counters):
    counters = _renamed(counters, OLD_COUNTER_KEYS)
    if isinstance(counters.get("queues"), dict):
        counters["queues"] = dict((name, _renamed(_dicts(queue), OLD_QUEUE_KEYS))
                                  for name, queue in counters["queues"].items())
    return counters


def _current_interface(info):
    info = _renamed(info, OLD_INTERFACE_KEYS)
    if isinstance(info.get("counters"), dict):
        info["counters"] = _current_counters(info["counters"])
    if isinstance(info.get("lldpNeighbors"), list):
        info["lldpNeighbors"] = [_renamed(n, OLD_LLDP_KEYS) for n in info["lldpNeighbors"] if isinstance(n, dict)]
    return info


def cage_of(port):
    """The port a transceiver sits in: ``E1/55`` for ``E1/55/1``; None for the other sub-ports."""
    parts = port.split("/")
    if len(parts) == 3:
        return "/".join(parts[:2]) if parts[2] == "1" else None
    return port


def current_state(state):
    """``Agent.status.state`` with every key in the current spelling (a new dict; the input is left alone).

    The parts that are respelled are built anew and the rest is shared with the input, unchanged: a deep copy of
    every agent's counters was a third of an XL fabric's parse.
    """
    state = dict(_dicts(state))
    transceivers = dict((port, _renamed(_dicts(t), OLD_TRANSCEIVER_KEYS))
                        for port, t in _dicts(state.get("transceivers")).items())
    interfaces = {}
    for port, info in _dicts(state.get("interfaces")).items():
        if not isinstance(info, dict):
            continue
        info = _current_interface(info)
        moved = info.pop(OLD_TRANSCEIVER_FIELD, None)
        cage = cage_of(port)
        if isinstance(moved, dict) and cage is not None:
            transceivers.setdefault(cage, _renamed(moved, OLD_TRANSCEIVER_KEYS))
        interfaces[port] = info
    state["interfaces"] = interfaces
    if transceivers:
        state["transceivers"] = transceivers
    return state


def _text(value):
    return str(value).strip() if value is not None else ""


def _port_report(info):
    return PortReport(
        enabled=bool(info.get("enabled")),
        admin=_text(info.get("admin")),
        oper=_text(info.get("oper")),
        speed=_text(info.get("speed")),
        fec=_text(info.get("fec")),
        err_disabled=bool(info.get("errDisabled")),
        neighbours=[LldpNeighbour(sys_name=_text(n.get("sysName")), port_id=_text(n.get("portID")),
                                  port_descr=_text(n.get("portDescr")), chassis=_text(n.get("chassis")))
                    for n in info.get("lldpNeighbors") or [] if isinstance(n, dict)],
    )


def _transceiver(port, info):
    return TransceiverReport(
        port=port,
        vendor=_text(info.get("vendor")),
        part=_text(info.get("vendorPart")),
        serial=_text(info.get("serial")),
        revision=_text(info.get("vendorRev")),
        form_factor=_text(info.get("formFactor")),
        connector=_text(info.get("connType")),
        cable=_text(info.get("cable")),
        description=_text(info.get("descr")),
        present=_text(info.get("present")),
    )


def _integer(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _generation(obj):
    return _integer(_dicts(obj.get("metadata")).get("generation"))


def parse_agent(obj, name):
    """A switch Agent's report and its catalog's port channel numbers; raises nothing (odd parts are skipped)."""
    spec = _dicts(obj.get("spec"))
    status = _dicts(obj.get("status"))
    state = current_state(status.get("state"))
    nos = _dicts(state.get("nos"))
    port_channels = {}
    for connection, number in _dicts(_dicts(spec.get("catalog")).get("portChannelIDs")).items():
        if _integer(number) is not None:
            port_channels[str(connection)] = number
    reboot = status.get("rebootRequired")
    return AgentState(
        name=name,
        last_heartbeat=_text(status.get("lastHeartbeat")),
        version=_text(status.get("version")),
        generation=_generation(obj),
        applied_generation=_integer(status.get("lastAppliedGen")),
        reboot_required=bool(reboot) if reboot is not None else None,
        serial=_text(nos.get("serialNumber")),
        nos_version=_text(nos.get("softwareVersion")),
        manufacturer=_text(nos.get("mfgName")),
        platform_name=_text(nos.get("platformName")),
        port_channel_ids=port_channels,
        interfaces=dict((port, _port_report(info)) for port, info in state["interfaces"].items()),
        transceivers=dict((port, _transceiver(port, info)) for port, info in _dicts(state.get("transceivers")).items()
                          if isinstance(info, dict)),
        breakouts=dict((port, BreakoutReport(mode=_text(_dicts(info).get("mode")),
                                             status=_text(_dicts(info).get("status"))))
                       for port, info in _dicts(state.get("breakouts")).items()),
    )


def parse_gateway_agent(obj, name):
    """A GatewayAgent's heartbeat and versions (its spec copies the Gateway's and is not read)."""
    status = _dicts(obj.get("status"))
    dataplane = _dicts(_dicts(status.get("state")).get("dataplane"))
    return GatewayAgentState(
        name=name,
        last_heartbeat=_text(status.get("lastHeartbeat")),
        version=_text(status.get("agentVersion")),
        generation=_generation(obj),
        applied_generation=_integer(status.get("lastAppliedGen")),
        dataplane_version=_text(dataplane.get("version")),
    )
