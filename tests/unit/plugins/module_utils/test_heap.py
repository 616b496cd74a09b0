"""The cycle collector is held off for a run, and back on afterwards however the run ended."""

from __future__ import annotations

import gc

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.heap import collector_held


@pytest.fixture(autouse=True)
def collector_on():
    gc.enable()
    yield
    gc.enable()


def test_the_collector_is_off_inside_and_on_after():
    with collector_held():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_back_on_after_a_run_that_failed():
    with pytest.raises(RuntimeError):
        with collector_held():
            raise RuntimeError("the run failed")
    assert gc.isenabled()


def test_a_run_inside_another_leaves_it_held():
    with collector_held():
        with collector_held():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_caller_that_turned_the_collector_off_keeps_it_off():
    gc.disable()
    with collector_held():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_what_survives_a_run_is_left_out_of_later_collections():
    with collector_held():
        survivor = [["made during the run"]]
    # gc.get_objects() lists what the collector scans; frozen objects are not among them.
    assert not any(obj is survivor for obj in gc.get_objects())
    gc.unfreeze()
    assert any(obj is survivor for obj in gc.get_objects())
