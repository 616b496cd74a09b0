"""What the NetBox side spent on a step: CPU of the gunicorn workers and of PostgreSQL, and requests seen.

The CPU comes from /proc (utime + stime of each process, summed over the server's
process tree), the request counts from gunicorn's access log: both are the server's
own view, so they also cover clients that count nothing themselves (netbox.netbox).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _children():
    """Parent pid -> child pids, for every process on the machine."""
    tree = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime and stime are fields 14 and 15 of stat; after the ")" they are at 11 and 12.
    return (int(fields[11]) + int(fields[12])) / float(TICKS)


def _tree(root):
    if not root:
        return []
    tree = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


class ServerProbe:
    """Samples of NetBox's gunicorn tree, PostgreSQL's postmaster tree and the access log."""

    def __init__(self, testbed):
        self.testbed = testbed
        self.access_log = Path(testbed.netbox.access_log)

    def _roots(self):
        roots = {"netbox": self.testbed.netbox.pid(), "postgres": None}
        try:
            cluster = self.testbed.postgres.cluster() or {}
            pidfile = Path(cluster.get("pgdata", "")) / "postmaster.pid"
            roots["postgres"] = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError, RuntimeError):
            pass
        return roots

    def sample(self):
        cpu = {}
        for name, root in self._roots().items():
            cpu[name] = dict((pid, _cpu_seconds(pid)) for pid in _tree(root))
        try:
            offset = self.access_log.stat().st_size
        except OSError:
            offset = 0
        return {"cpu": cpu, "log_offset": offset}

    def since(self, before):
        """CPU seconds per part and requests per method since ``before`` (a sample)."""
        after = self.sample()
        spent = {}
        for name, pids in after["cpu"].items():
            total = 0.0
            for pid, seconds in pids.items():
                if seconds is None:
                    continue
                # A worker or backend that started meanwhile counts from zero.
                total += seconds - (before["cpu"].get(name, {}).get(pid) or 0.0)
            spent[name + "_cpu_s"] = round(total, 2)
        spent["requests"] = self._requests(before["log_offset"], after["log_offset"])
        return spent

    def _requests(self, start, end):
        methods = Counter()
        if end <= start:
            return {}
        with open(self.access_log, "rb") as handle:
            handle.seek(start)
            data = handle.read(end - start)
        for line in data.decode("utf-8", "replace").splitlines():
            parts = line.split('"')
            if len(parts) > 1 and parts[1].split(" ", 1)[0].isalpha():
                methods[parts[1].split(" ", 1)[0]] += 1
        counts = dict(methods)
        counts["total"] = sum(methods.values())
        return counts
