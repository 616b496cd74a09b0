# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-fabric metrics in the Prometheus text format, for node_exporter's textfile collector.

One file per fabric, replaced atomically (written beside, then renamed), so the
collector never reads half a file.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import WRITE_OPS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields as record
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.status import parse_time
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import FAILED, RESULTS

PREFIX = "hedgehog_netbox_sync"


def _escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels):
    return "{%s}" % ",".join('%s="%s"' % (k, _escape(v)) for k, v in sorted(labels.items()))


class _Writer:
    def __init__(self):
        self.lines = []

    def metric(self, name, help_text, samples, kind="gauge"):
        self.lines.append("# HELP %s_%s %s" % (PREFIX, name, help_text))
        self.lines.append("# TYPE %s_%s %s" % (PREFIX, name, kind))
        for labels, value in samples:
            self.lines.append("%s_%s%s %s" % (PREFIX, name, _labels(**labels), _number(value)))


def _number(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(round(value, 3))
    return str(value)


def _timestamp(value):
    stamp = parse_time(value)
    return stamp.timestamp() if stamp else 0


def render(fabric, record_fields, status, result=None):
    """The fabric's metrics: from its record (last success survives a failed run) and this run's result."""
    fields = record_fields or {}
    last_result = fields.get(record.LAST_RESULT) or FAILED
    out = _Writer()
    out.metric("last_success_timestamp_seconds", "Unix time of the fabric's last successful sync (0: never).",
               [({"fabric": fabric}, _timestamp(fields.get(record.LAST_SUCCESS)))])
    out.metric("last_attempt_timestamp_seconds", "Unix time of the fabric's last sync attempt.",
               [({"fabric": fabric}, _timestamp(fields.get(record.LAST_ATTEMPT)))])
    out.metric("last_duration_seconds", "Seconds the fabric's last sync took.",
               [({"fabric": fabric}, float(fields.get(record.LAST_DURATION) or 0))])
    out.metric("last_result", "1 for the result of the fabric's last sync (success, partial, failed).",
               [({"fabric": fabric, "result": name}, name == last_result) for name in RESULTS])
    out.metric("status", "1 for the fabric's computed status.",
               [({"fabric": fabric, "status": name}, name == status) for name in record.STATUSES])
    changed = []
    if result is not None:
        for kind, ops in sorted(result.summary.items()):
            for op in WRITE_OPS:
                if ops.get(op):
                    changed.append(({"fabric": fabric, "kind": kind, "action": op}, ops[op]))
    problems = fields.get(record.PROBLEM_COUNT) or 0
    out.metric("objects_changed", "Objects the fabric's last sync changed, by NetBox kind and action.", changed)
    out.metric("problems", "Source objects skipped or NetBox writes refused in the fabric's last sync.",
               [({"fabric": fabric}, problems)])
    disagreeing = fields.get(record.CABLES_DISAGREEING)
    out.metric("cables_disagreeing", "Cables whose ends LLDP sees elsewhere at the fabric's last sync (absent: none "
               "could be judged).", [({"fabric": fabric}, disagreeing)] if disagreeing is not None else [])
    return "\n".join(out.lines) + "\n"


def write_atomic(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError:
        if os.path.exists(temp):
            os.unlink(temp)
        raise
