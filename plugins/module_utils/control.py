# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a run may go on: its deadline, a stop asked by a signal, a lost lease, or a starter that is gone.

The engine calls ``check()`` before every request it sends (NetBox and
Kubernetes) and at every phase, so a run that must stop does so at its next
request, names the phase it was in, and leaves the recording of its outcome
(and the release of its lease) to the code that started it. Plain Python: the
module installs the signal handlers and the parent watch; tests run without.
"""

from __future__ import annotations

import os
import signal
import threading
import time

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import RunStopped

# What a signal from outside means: AWX cancels and times out jobs with SIGINT
# then SIGTERM, cron's `timeout` sends SIGTERM, a closed terminal SIGHUP.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class RunControl:
    """The stop switch of one run, shared by its threads."""

    def __init__(self, fabric=None, timeout=None, clock=time.monotonic):
        self.fabric = fabric
        self.timeout = timeout or None
        self._clock = clock
        self._started = clock()
        self._deadline = self._started + timeout if timeout else None
        self._lock = threading.Lock()
        self._reason = None
        self.phase = "start"
        # While the run records its outcome a signal only asks it to stop
        # (raising there would lose the record); set by the recorder.
        self.finishing = False
        # Phases in which the fabric's objects may be written: a stop there leaves partial writes.
        self.writing_phases = ("apply",)
        self.progress = Progress(clock)

    def enter(self, phase):
        """The run starts ``phase``; it stops here if it must."""
        self.phase = phase
        self.check()

    def stop(self, reason):
        """Ask the run to stop at its next check (the first reason given is the one reported)."""
        with self._lock:
            if self._reason is None:
                self._reason = reason

    @property
    def reason(self):
        with self._lock:
            return self._reason

    def elapsed(self):
        return self._clock() - self._started

    def check(self):
        """Raise RunStopped when the run must stop; a no-op otherwise."""
        if self._deadline is not None and self._reason is None and self._clock() > self._deadline:
            self.stop("it passed its deadline of %d s (run_timeout)" % self.timeout)
        reason = self.reason
        if reason is not None:
            raise self.stopped(reason)

    def stopped(self, reason):
        if self.phase in self.writing_phases:
            aftermath = "what it wrote stays and the next run writes the rest"
        else:
            aftermath = "none of the fabric's objects were written"
        return RunStopped("the run stopped in phase %s after %.0f s: %s; %s" % (
            self.phase, self.elapsed(), reason, aftermath), fabric=self.fabric, phase=self.phase, reason=reason)


class Progress:
    """How far a run's writes have come: objects written of those planned, shared with the lease keeper's thread."""

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._total = None
        self._done = set()
        self._since = None

    def expect(self, total):
        """The writes start: ``total`` objects are to be written."""
        with self._lock:
            self._total = total
            self._done = set()
            self._since = self._clock()

    def advance(self, keys):
        """These objects were written (an object written twice, early and late fields, counts once)."""
        with self._lock:
            self._done.update(keys)

    def report(self, phase):
        """The run's progress as its record shows it: the phase, and once writing, done of total, rate and time left."""
        with self._lock:
            if self._total is None:
                return {"phase": phase}
            done, total = min(len(self._done), self._total), self._total
            seconds = max(self._clock() - self._since, 1e-6)
        rate = done / seconds
        left = round((total - done) / rate) if rate > 0 else None
        return {"phase": phase, "done": done, "total": total, "rate": round(rate, 1), "seconds_left": left}


def handle_signals(control, signals=STOP_SIGNALS):
    """Make a stop signal end the run cleanly: the main thread stops where it is (a blocking request too).

    Returns a function that puts the previous handlers back. During the
    recording of the outcome the signal is only noted, so the lease is still
    released and the failure recorded.
    """
    def on_signal(signum, _frame):
        name = signal.Signals(signum).name
        control.stop("it was stopped by %s" % name)
        if not control.finishing:
            raise control.stopped(control.reason)

    previous = dict((signum, signal.signal(signum, on_signal)) for signum in signals)

    def restore():
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return restore


# -- processes ------------------------------------------------------------------------


def process_start(pid):
    """The start time of process ``pid`` in clock ticks since boot (Linux), or None when it does not run.

    A pid alone can be reused; a pid with its start time names one process. A
    zombie (it ended, its parent has not reaped it yet) does not run.
    """
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ")".
    fields = stat[stat.rfind(")") + 2:].split()
    try:
        return None if fields[0] in ("Z", "X", "x") else int(fields[19])
    except (IndexError, ValueError):
        return None


def parent_of(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="ascii", errors="replace") as handle:
            stat = handle.read()
        return int(stat[stat.rfind(")") + 2:].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def command_of(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            argv = handle.read().split(b"\0")
    except OSError:
        return "?"
    words = [os.path.basename(word.decode("utf-8", "replace")) for word in argv[:2] if word]
    return " ".join(words)[:80] or "?"


class ParentWatch:
    """The processes that started this one, and whether one of them is gone.

    Under ansible-playbook a module runs as a grandchild of a worker process
    that runs in a session of its own: when ansible-playbook is killed (an AWX
    job timeout, cron's ``timeout -s KILL``) nothing tells the module, which
    would go on writing while the next run starts. A gone ansible process
    means the run was abandoned, so it stops. Processes above the topmost
    ansible one (a shell that started ``nohup ansible-playbook ... &`` and
    exited) are not watched; without any, only the direct parent is.
    """

    def __init__(self, pid=None):
        chain = []
        pid = parent_of(pid or os.getpid())
        while pid and pid > 1:
            start = process_start(pid)
            if start is None:
                break
            chain.append((pid, start, command_of(pid)))
            pid = parent_of(pid)
        topmost = max([index for index, (_pid, _start, command) in enumerate(chain) if "ansible" in command] or [0])
        self.ancestors = chain[:topmost + 1]
        self._parent = os.getppid()

    def gone(self):
        """A description of the first watched process that no longer runs, or None while all do."""
        for pid, start, command in self.ancestors:
            if process_start(pid) != start:
                return "the process that started it (%s, pid %d) is gone" % (command, pid)
        if not self.ancestors and os.getppid() != self._parent:
            return "the process that started it (pid %d) is gone" % self._parent
        return None
