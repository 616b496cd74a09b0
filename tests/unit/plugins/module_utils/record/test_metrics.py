"""Prometheus text for node_exporter's textfile collector."""

import re

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import metrics
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import RunResult

FIELDS = {"hedgehog_last_success": "2026-11-29T12:00:00Z", "hedgehog_last_attempt": "2026-11-29T12:05:00Z",
          "hedgehog_last_duration": 1.5, "hedgehog_last_result": "failed"}


def run_result(summary, problems=()):
    return RunResult(fabric="dc1", check_mode=False, changed=True, outcome="partial", release="", source={},
                     summary=summary, problems=list(problems), requests={}, timings={})


LINE = re.compile(r'^hedgehog_netbox_sync_[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$')


def test_every_sample_line_is_valid_exposition_format():
    result = run_result({"device": {"create": 2, "update": 0}}, [Problem("Switch", "s1", "bad")])
    text = metrics.render("dc1", FIELDS, "error", result)
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or LINE.match(line), line


def test_a_failed_run_keeps_the_last_success_time():
    text = metrics.render("dc1", FIELDS, "error")
    assert 'hedgehog_netbox_sync_last_success_timestamp_seconds{fabric="dc1"} 1795953600.0' in text
    assert 'hedgehog_netbox_sync_last_result{fabric="dc1",result="failed"} 1' in text
    assert 'hedgehog_netbox_sync_status{fabric="dc1",status="error"} 1' in text
    assert 'hedgehog_netbox_sync_status{fabric="dc1",status="in_sync"} 0' in text


def test_problems_come_from_the_record_so_a_failed_run_keeps_them():
    text = metrics.render("dc1", dict(FIELDS, hedgehog_problem_count=7), "partial")
    assert 'hedgehog_netbox_sync_problems{fabric="dc1"} 7' in text
    assert 'hedgehog_netbox_sync_status{fabric="dc1",status="partial"} 1' in text


def test_changes_by_kind_and_action():
    result = run_result({"device": {"create": 2, "update": 0}, "cable": {"delete": 3}})
    text = metrics.render("dc1", FIELDS, "in_sync", result)
    assert 'hedgehog_netbox_sync_objects_changed{action="create",fabric="dc1",kind="device"} 2' in text
    assert 'hedgehog_netbox_sync_objects_changed{action="delete",fabric="dc1",kind="cable"} 3' in text
    assert 'action="update",fabric="dc1",kind="device"' not in text


def test_write_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "sub" / "dc1.prom"
    metrics.write_atomic(str(path), "a 1\n")
    metrics.write_atomic(str(path), "a 2\n")
    assert path.read_text() == "a 2\n"
    assert [p.name for p in path.parent.iterdir()] == ["dc1.prom"]


def test_cables_lldp_disagrees_with_only_once_a_switch_could_judge():
    assert 'hedgehog_netbox_sync_cables_disagreeing{fabric="dc1"} 2' in metrics.render(
        "dc1", dict(FIELDS, hedgehog_cables_disagreeing=2), "in_sync")
    assert 'hedgehog_netbox_sync_cables_disagreeing{fabric="dc1"} 0' in metrics.render(
        "dc1", dict(FIELDS, hedgehog_cables_disagreeing=0), "in_sync")
    text = metrics.render("dc1", dict(FIELDS, hedgehog_cables_disagreeing=None), "in_sync")
    assert "hedgehog_netbox_sync_cables_disagreeing{" not in text
    assert "# TYPE hedgehog_netbox_sync_cables_disagreeing gauge" in text
