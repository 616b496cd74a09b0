# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Switch ports as the switch runs them: speed, FEC, breakout, enabled and oper state.

Speed and FEC are the switch's configuration (``portSpeeds``,
``portGroupSpeeds``, ``portFECs``, the profile's defaults); enabled and the
oper state are what the switch's agent last reported. Only facts that change
when something happens to the port are kept: counters, flap counts and change
times move on every heartbeat and are never written.
"""

from __future__ import annotations

import re

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import BadObject
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import resolve_switch_port
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import OPER_STATUS_FIELD

_SPEED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([MGT])(?:b(?:ps)?)?\s*$", re.IGNORECASE)
_KBPS = {"M": 1000, "G": 1000 * 1000, "T": 1000 * 1000 * 1000}


def speed_kbps(text):
    """``"25G"`` -> 25000000 (NetBox keeps interface speeds in Kbps); None for anything else."""
    match = _SPEED.match(str(text or ""))
    if not match:
        return None
    return int(round(float(match.group(1)) * _KBPS[match.group(2).upper()]))


def _by_interface(profile, switch, settings):
    """A per-port setting of the switch spec, keyed by NetBox interface name; ports it cannot name are left out."""
    found = {}
    for port, value in settings.items():
        try:
            found[resolve_switch_port(profile, switch, port)] = value
        except BadObject:
            continue
    return found


class SwitchPorts:
    """The facts of one switch's ports, from its spec, its profile and its agent's last report."""

    def __init__(self, snapshot, switch):
        self.switch = switch
        self.profile = snapshot.profiles[switch.profile]
        self.agent = snapshot.agents.get(switch.name)
        self.speeds = _by_interface(self.profile, switch, switch.port_speeds)
        self.fecs = _by_interface(self.profile, switch, switch.port_fecs)

    def report(self, name):
        return self.agent.interfaces.get(name) if self.agent is not None else None

    def configured_speed(self, name, lane_speed=""):
        """``portSpeeds``, else the port group's ``portGroupSpeeds``, else the profile's (or the lane's) default."""
        if name in self.speeds:
            return self.speeds[name]
        info = self.profile.ports.get(name)
        if info is not None and info.group and info.group in self.switch.port_group_speeds:
            return self.switch.port_group_speeds[info.group]
        if lane_speed:
            return lane_speed
        return self.profile.speed_of(name) if info is not None and not info.management else ""

    def breakout(self, name):
        """``4x25G``, with the agent's state of it (``4x25G (Completed)``), for a breakout-capable port."""
        if not self.profile.breakout_modes(name):
            return None
        mode = self.switch.port_breakouts.get(name) or self.profile.default_breakout(name)
        reported = self.agent.breakouts.get(name) if self.agent is not None else None
        if reported is not None and reported.status:
            return "%s (%s)" % (reported.mode or mode, reported.status)
        return mode or None

    def facts(self, name, lane_speed="", parent=None):
        """The fields a port's desired state gets: speed, and enabled and oper state once the agent reported it."""
        fields = {"speed": speed_kbps(self.configured_speed(name, lane_speed))}
        custom = {"hedgehog_fec": self.fecs.get(name) or None, "hedgehog_breakout": self.breakout(name)}
        if parent is not None:
            custom["hedgehog_breakout_parent"] = Ref("interface", (self.switch.name, parent))
        report = self.report(name)
        if report is not None:
            fields["enabled"] = report.enabled
            custom[OPER_STATUS_FIELD] = report.oper_state or None
        fields["custom_fields"] = custom
        return fields

    def lag_facts(self, lag_name, members):
        """A LAG's speed as the switch reports it (its own, else its members' together), enabled and oper state."""
        report = self.report(lag_name)
        fields = {}
        speed = speed_kbps(report.speed) if report is not None else None
        if speed is None and self.agent is not None:
            speeds = [speed_kbps(self.report(member).speed) for member in members if self.report(member) is not None]
            speed = sum(speeds) if speeds and None not in speeds else None
        if speed is not None:
            fields["speed"] = speed
        if report is not None:
            fields["enabled"] = report.enabled
            fields["custom_fields"] = {OPER_STATUS_FIELD: report.oper_state or None}
        return fields


def switch_ports(snapshot):
    """SwitchPorts of every switch, by name."""
    return dict((name, SwitchPorts(snapshot, switch)) for name, switch in snapshot.switches.items())
