"""Retries: only transient faults, jittered, bounded in attempts and in time."""

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError, TransientError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def time(self):
        return self.now


def flaky(failures, error=None):
    calls = []

    def func():
        calls.append(1)
        if len(calls) <= failures:
            raise error or TransientError("HTTP 503", status=503)
        return "ok"

    func.calls = calls
    return func


def backoff(clock, **options):
    options.setdefault("rand", lambda: 1.0)
    return Backoff(sleep=clock.sleep, clock=clock.time, **options)


def test_transient_faults_are_retried_to_success_with_growing_delays():
    clock = Clock()
    func = flaky(3)
    assert backoff(clock, retries=5, delay=1, backoff=2).call(func) == "ok"
    assert len(func.calls) == 4
    assert clock.sleeps == [1, 2, 4]


def test_retries_are_bounded_in_count():
    clock = Clock()
    func = flaky(10)
    with pytest.raises(TransientError):
        backoff(clock, retries=3, delay=1).call(func)
    assert len(func.calls) == 4


def test_retries_are_bounded_in_time():
    clock = Clock()
    func = flaky(10)
    with pytest.raises(TransientError):
        backoff(clock, retries=50, delay=10, backoff=2, max_delay=10, max_time=35).call(func)
    assert sum(clock.sleeps) <= 35
    assert len(func.calls) == 4


def test_other_errors_fail_fast():
    clock = Clock()
    func = flaky(1, NetBoxAPIError("HTTP 400", status=400))
    with pytest.raises(NetBoxAPIError):
        backoff(clock).call(func)
    assert len(func.calls) == 1
    assert clock.sleeps == []


def test_sleeps_are_jittered_below_the_ceiling():
    clock = Clock()
    draws = iter([0.5, 0.25, 0.0])
    backoff(clock, retries=3, delay=4, rand=lambda: next(draws)).call(flaky(3))
    assert clock.sleeps == [2.0, 2.0, 0.0]
