# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cabling checked against LLDP: does each cable of the wiring join the ports the switches see joined?

Each end of a cable that is a switch port is judged by that switch's agent:
the LLDP neighbours it reports on the port must name the far end's device and
port (a switch's port by its NOS name, ``Ethernet6``, or its API name; a
server's or gateway's by the port ID or description its LLDP sends). An end
is not judged when its switch's agent is stale or never reported, when the
port is not up (a down link carries no LLDP; its ports show that it is down),
or when it sees no neighbour while the far end is a server or a gateway (they
need not run LLDP). A switch port that is up and sees no neighbour where the
wiring puts another switch is a missing neighbour: Hedgehog switches always
send LLDP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import List

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping import health
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import nos_port_names

_MAC = re.compile(r"^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$", re.IGNORECASE)


@dataclass
class EndView:
    """What LLDP on one end of a cable says about the other end."""

    device: str
    port: str
    agrees: bool
    seen: str = ""

    @property
    def text(self):
        return "%s %s sees %s" % (self.device, self.port, self.seen or "no LLDP neighbour")


@dataclass
class Verdict:
    views: List[EndView] = field(default_factory=list)

    @property
    def judged(self):
        return bool(self.views)

    @property
    def disagreements(self):
        return [view for view in self.views if not view.agrees]

    @property
    def disagrees(self):
        return bool(self.disagreements)

    def mismatch_text(self):
        """What LLDP saw where it disagrees, for the cable's custom field; None when it agrees or could not tell."""
        return "; ".join(view.text for view in self.disagreements) or None


@dataclass
class CablingReport:
    """How the fabric's cables fared against LLDP in one run."""

    cables: int = 0
    judged: int = 0
    disagree: int = 0

    def as_dict(self):
        return {"cables": self.cables, "judged": self.judged, "disagree": self.disagree}


class LldpCheck:
    """Judges cables by the LLDP neighbours of the fabric's switches whose agents report now."""

    def __init__(self, snapshot, now, stale_after):
        self.snapshot = snapshot
        self.fresh = set(name for name, agent in snapshot.agents.items() if health.is_fresh(agent, now, stale_after))
        self._nos_names = {}
        self.report = CablingReport()

    def nos_names(self, device):
        if device not in self._nos_names:
            switch = self.snapshot.switches[device]
            self._nos_names[device] = nos_port_names(self.snapshot.profiles[switch.profile], switch)
        return self._nos_names[device]

    def judge(self, end_a, end_b):
        """The Verdict on a cable between two (device, interface) ends, counted in the run's report."""
        verdict = Verdict([view for view in (self._view(end_a, end_b), self._view(end_b, end_a)) if view is not None])
        self.report.cables += 1
        self.report.judged += int(verdict.judged)
        self.report.disagree += int(verdict.disagrees)
        return verdict

    def _view(self, mine, far):
        device, port = mine
        if device not in self.fresh:
            return None
        report = self.snapshot.agents[device].interfaces.get(port)
        if report is None or report.oper != "up":
            return None
        if not report.neighbours:
            if far[0] in self.snapshot.switches and far[0] != device:
                return EndView(device, port, agrees=False)
            return None
        if any(self._names(neighbour, far) for neighbour in report.neighbours):
            return EndView(device, port, agrees=True)
        seen = " and ".join(sorted(self._describe(neighbour) for neighbour in report.neighbours))
        return EndView(device, port, agrees=False, seen=seen)

    def _names(self, neighbour, far):
        """Whether an LLDP neighbour is the far end ``(device, interface)``."""
        device, port = far
        if device not in (neighbour.sys_name, neighbour.sys_name.split(".", 1)[0]):
            return False
        if device in self.snapshot.switches:
            return port in (self.nos_names(device).get(neighbour.port_id), neighbour.port_id)
        # A server's LLDP may send the port's MAC as its ID: then the device is all it tells.
        return port in (neighbour.port_id, neighbour.port_descr) or bool(_MAC.match(neighbour.port_id))

    def _describe(self, neighbour):
        name = neighbour.sys_name or "an unnamed system"
        device = name.split(".", 1)[0]
        if device in self.snapshot.switches:
            port = self.nos_names(device).get(neighbour.port_id)
            if port:
                return "%s %s (%s)" % (device, port, neighbour.port_id)
        return "%s port %s" % (name, neighbour.port_id or neighbour.port_descr or "(none)")
