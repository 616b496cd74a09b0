"""The run's stop switch: deadline, a stop asked from another thread, the phase it names; the parent watch."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import (
    ParentWatch,
    RunControl,
    handle_signals,
    process_start,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import RunStopped


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_run_past_its_deadline_stops_at_its_next_check_and_names_the_phase():
    clock = Clock()
    control = RunControl("fab", timeout=60, clock=clock)
    control.enter("read_netbox")
    clock.now += 61
    with pytest.raises(RunStopped) as caught:
        control.check()
    assert str(caught.value) == ("fabric fab: the run stopped in phase read_netbox after 61 s: it passed its deadline "
                                 "of 60 s (run_timeout); none of the fabric's objects were written")
    assert caught.value.phase == "read_netbox"


def test_a_stop_in_apply_says_the_writes_stay_and_the_first_reason_wins():
    control = RunControl("fab", timeout=None)
    control.enter("apply")
    control.stop("it lost its lease")
    control.stop("it was stopped by SIGTERM")
    with pytest.raises(RunStopped) as caught:
        control.check()
    assert "it lost its lease; what it wrote stays and the next run writes the rest" in str(caught.value)


def test_no_deadline_never_stops():
    clock = Clock()
    control = RunControl("fab", timeout=0, clock=clock)
    clock.now += 10 ** 6
    control.check()


def test_a_signal_stops_the_main_thread_where_it_is_but_only_notes_it_while_the_outcome_is_recorded():
    control = RunControl("fab")
    restore = handle_signals(control, signals=(signal.SIGUSR1,))
    try:
        control.enter("apply")
        with pytest.raises(RunStopped) as caught:
            os.kill(os.getpid(), signal.SIGUSR1)
            signal.sigtimedwait([], 0)  # let the handler run
        assert "stopped by SIGUSR1" in str(caught.value)
        control.finishing = True
        os.kill(os.getpid(), signal.SIGUSR1)
    finally:
        restore()
    assert control.reason == "it was stopped by SIGUSR1"


# The watcher: it builds its watch, says what it sees, waits for the word to look again, says it again.
WATCHER = ("import os, sys; sys.path[:0] = %r\n"
           "from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.control import ParentWatch\n"
           "watch = ParentWatch()\n"
           "print(watch.gone(), flush=True)\n"
           "os.read(int(sys.argv[1]), 1)\n"
           "print(watch.gone(), flush=True)\n") % (sys.path,)
# The watcher's parent: it starts the watcher and ends when told to, leaving the watcher behind.
STARTER = ("import subprocess, sys\n"
           "fd = int(sys.argv[2])\n"
           "subprocess.Popen([sys.executable, '-c', sys.argv[1], str(fd)], pass_fds=(fd,), stdin=subprocess.DEVNULL)\n"
           "sys.stdin.readline()\n")


def _line(stream, bound=30.0):
    """The next line of ``stream``, waiting at most ``bound`` seconds for it."""
    ready, _w, _x = select.select([stream], [], [], bound)
    assert ready, "no line within %s s" % bound
    return stream.readline().decode().rstrip("\n")


def test_the_parent_watch_sees_a_gone_parent():
    look_again, tell = os.pipe()
    starter = subprocess.Popen([sys.executable, "-c", STARTER, WATCHER, str(look_again)], pass_fds=(look_again,),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
    os.close(look_again)
    try:
        # While the starter runs, nothing is gone.
        assert _line(starter.stdout) == "None"
        starter.stdin.write(b"\n")
        starter.stdin.close()
        assert starter.wait(timeout=30) == 0
        # The starter has ended (and is reaped): the watcher sees its parent gone, named by its command.
        os.write(tell, b"x")
        assert _line(starter.stdout) == "the process that started it (%s -c, pid %d) is gone" % (
            os.path.basename(sys.executable), starter.pid)
    finally:
        os.close(tell)
        starter.stdout.close()
        if starter.poll() is None:
            starter.kill()
    assert process_start(os.getpid()) is not None
    assert ParentWatch().gone() is None


def test_an_unexpected_exception_is_named_by_type_phase_and_line_never_its_text():
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import as_sync_error

    def read_missing():
        return {}["CONTENT-OF-A-FILE"]

    with pytest.raises(KeyError) as caught:
        read_missing()
    error = as_sync_error(caught.value, "fab", "snapshot")
    assert str(error).startswith("fabric fab: unexpected KeyError in phase snapshot")
    assert "CONTENT-OF-A-FILE" not in str(error) and "this is a bug" in str(error)


def test_progress_is_the_phase_alone_until_the_writes_start_then_done_of_total_rate_and_time_left():
    clock = Clock()
    control = RunControl("fab", clock=clock)
    control.enter("read_netbox")
    assert control.progress.report(control.phase) == {"phase": "read_netbox"}

    control.enter("apply")
    control.progress.expect(900)
    clock.now += 8
    control.progress.advance(range(120))
    # Written twice (early and late fields), an object counts once.
    control.progress.advance(range(100))
    assert control.progress.report(control.phase) == {
        "phase": "apply", "done": 120, "total": 900, "rate": 15.0, "seconds_left": 52}


def test_progress_with_nothing_written_yet_knows_no_time_left():
    clock = Clock()
    control = RunControl("fab", clock=clock)
    control.progress.expect(10)
    clock.now += 3
    assert control.progress.report("apply") == {"phase": "apply", "done": 0, "total": 10, "rate": 0.0,
                                                "seconds_left": None}
