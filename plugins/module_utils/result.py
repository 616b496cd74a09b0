# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The outcome of one run, typed; ``as_dict`` is what the module returns.

The engine makes it; the record extends it (``with_record``) with the
fabric's status and the requests its own writes took, instead of editing it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import List, Optional

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import WRITE_OPS

SUCCESS = "success"
PARTIAL = "partial"
FAILED = "failed"
RESULTS = (SUCCESS, PARTIAL, FAILED)


@dataclass(frozen=True)
class RunResult:
    fabric: str
    check_mode: bool
    changed: bool
    # success, or partial when objects were skipped or refused or a read was incomplete.
    outcome: str
    release: str
    source: dict
    # Objects per NetBox kind and action, as planned (an object counts once).
    summary: dict
    problems: List[Problem]
    # NetBox requests by method (with total and writes) and Kubernetes requests.
    requests: dict
    timings: dict
    # Writes that NetBox accepted, per kind and action (None when nothing was applied).
    applied: Optional[dict] = None
    diff: Optional[list] = None
    status: Optional[str] = None
    # How the run reconciled: "full", "repair" (only objects others edited) or "unchanged"
    # (nothing changed on either side), and why a full reconcile was needed.
    path: str = "full"
    reason: Optional[str] = None
    # Objects the fabric owns that someone else changed since the last run: what, who, when, and what was done.
    hand_edits: List[dict] = field(default_factory=list)
    # Warnings about the run itself (an unverified connection), not about the fabric's objects.
    notices: List[str] = field(default_factory=list)
    # The cables against LLDP: {"cables": n, "judged": n, "disagree": n}.
    cabling: Optional[dict] = None
    # What is wrong with the fabric itself (cables LLDP disagrees with): shown, but not problems of the run.
    findings: List[Problem] = field(default_factory=list)

    @property
    def changes(self):
        """The summary's write actions only: what a person wants to know changed."""
        return dict((kind, dict((op, n) for op, n in ops.items() if n and op in WRITE_OPS))
                    for kind, ops in self.summary.items() if any(ops.get(op) for op in WRITE_OPS))

    @property
    def warnings(self):
        return self.notices + [problem.text for problem in self.problems + self.findings]

    def with_record(self, status, sync_requests, record_requests):
        """This result as the record saw it: the status it computed, and its own requests apart."""
        requests = dict(self.requests, netbox=sync_requests, status_record=record_requests)
        return dataclasses.replace(self, status=status, requests=requests)

    def as_dict(self):
        result = {
            "changed": self.changed,
            "result": self.outcome,
            "fabric": self.fabric,
            "check_mode": self.check_mode,
            "release": self.release,
            "source": self.source,
            "summary": self.summary,
            "changes": self.changes,
            "problems": [problem.as_dict() for problem in self.problems],
            "cabling": self.cabling or {"cables": 0, "judged": 0, "disagree": 0},
            "findings": [finding.as_dict() for finding in self.findings],
            "warnings": self.warnings,
            "requests": self.requests,
            "timings": self.timings,
            "path": self.path,
            "reason": self.reason,
            "hand_edits": self.hand_edits,
        }
        if self.applied is not None:
            result["applied"] = self.applied
        if self.diff is not None:
            result["diff"] = self.diff
        if self.status is not None:
            result["status"] = self.status
        return result
