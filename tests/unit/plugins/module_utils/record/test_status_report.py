"""The status report's words for the fabric's record: the cabling line, the result's cabling."""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.problems import Problem
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import escape
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import (
    cabling_text,
    detail,
    fabric_row,
    progress_text,
    table,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import cables_disagreeing, journal_text
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import RunResult

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def result(cabling, problems=(), findings=()):
    return RunResult(fabric="dc1", check_mode=False, changed=False, outcome="partial" if problems else "success",
                     release="", source={}, summary={}, problems=list(problems), requests={"kubernetes": 20},
                     timings={"total": 1.0}, cabling=cabling, findings=list(findings))


MISWIRED = Problem.about("cable", "cable f--fabric--l l/E1/6-s/E1/1",
                         "LLDP disagrees with the wiring, which joins s E1/1 and l E1/6: s E1/1 sees l2 E1/7 (Ethernet6)")
SKIPPED = Problem("Connection", "c-1", "references server x, which does not exist or was skipped")


def test_cabling_text():
    assert cabling_text(None) == "not checked against LLDP (no switch agent reports)"
    assert cabling_text(0) == "no cable disagrees with LLDP"
    assert cabling_text(1) == "1 cable disagrees with LLDP"
    assert cabling_text(2) == "2 cables disagree with LLDP"


def test_the_record_counts_only_what_could_be_judged():
    assert cables_disagreeing(result({"cables": 22, "judged": 12, "disagree": 2})) == 2
    assert cables_disagreeing(result({"cables": 22, "judged": 12, "disagree": 0})) == 0
    assert cables_disagreeing(result({"cables": 22, "judged": 0, "disagree": 0})) is None
    assert cables_disagreeing(result(None)) is None
    assert result(None).as_dict()["cabling"] == {"cables": 0, "judged": 0, "disagree": 0}


def test_the_detail_and_the_journal_say_it():
    anchor = {"id": 1, "custom_fields": {"hedgehog_cables_disagreeing": 2,
                                         "hedgehog_last_attempt": "2026-11-29T11:59:00Z",
                                         "hedgehog_last_success": "2026-11-29T11:59:00Z"}}
    row = fabric_row({"name": "dc1", "sync_interval": 300}, anchor, NOW)
    assert "Cabling:       2 cables disagree with LLDP" in detail(row)
    text = journal_text(result({"cables": 22, "judged": 12, "disagree": 2}), {"total": 3, "writes": 0})
    assert "Cabling: 2 cables disagree with LLDP." in text.splitlines()


def test_findings_are_shown_apart_from_the_problems():
    found = result({"cables": 22, "judged": 12, "disagree": 1}, problems=[SKIPPED], findings=[MISWIRED])
    out = found.as_dict()
    assert out["problems"] == [SKIPPED.as_dict()]
    assert out["findings"] == [{"kind": "cable", "name": "cable f--fabric--l l/E1/6-s/E1/1", "cause": MISWIRED.cause}]
    # Ansible shows both as warnings.
    assert out["warnings"] == [SKIPPED.text, MISWIRED.text]
    assert result(None).as_dict()["findings"] == []


def test_the_journal_lists_the_findings_under_cabling_and_the_problems_apart():
    text = journal_text(result({"cables": 22, "judged": 12, "disagree": 1}, findings=[MISWIRED]), {"total": 3})
    lines = text.splitlines()
    assert lines[0].startswith("Sync success in 1.0 s")
    # How the run reconciled, then what it changed.
    assert lines[1:3] == ["Full reconcile: every object read and compared.", "No change."]
    # Escaped as Markdown, as every line the journal takes from the source.
    assert lines[3:] == ["Cabling: 1 cable disagrees with LLDP.", "- " + escape(MISWIRED.text)]
    assert lines[4].endswith("sees l2 E1/7 \\(Ethernet6\\)")
    assert "Problems" not in text
    both = journal_text(result({"cables": 22, "judged": 12, "disagree": 1}, problems=[SKIPPED], findings=[MISWIRED]),
                        {"total": 3}).splitlines()
    assert both[3:] == ["Cabling: 1 cable disagrees with LLDP.", "- " + escape(MISWIRED.text), "Problems (1):",
                        "- " + escape(SKIPPED.text)]


def _syncing_row(progress):
    now = datetime(2026, 12, 6, 12, 0, 30, tzinfo=timezone.utc)
    lease = {"holder": "elsewhere:1:abc", "since": "2026-12-06T12:00:00Z", "until": "2026-12-06T12:10:00Z",
             "progress": progress}
    anchor = {"id": 7, "custom_fields": {"hedgehog_lease": lease, "hedgehog_source": "kubernetes"}}
    return fabric_row({"name": "dc1", "sync_interval": 300}, anchor, now)


def test_a_syncing_fabric_shows_its_progress_in_the_table_and_the_detail():
    row = _syncing_row({"phase": "apply", "done": 120, "total": 900, "rate": 15.0, "seconds_left": 52})
    assert row["status"] == "syncing"
    assert table([row])[1].split()[:3] == ["dc1", "syncing", "13%"]
    assert "Progress:      apply: 120 of 900 objects written, 15.0/s, about 52 s left" in detail(row)

    reading = _syncing_row({"phase": "read_kubernetes"})
    assert "Progress:      read_kubernetes" in detail(reading)
    assert table([reading])[1].split()[1] == "syncing"
    assert progress_text({"phase": "apply", "done": 0, "total": 9000, "rate": 0.0, "seconds_left": None}) == (
        "apply: 0 of 9000 objects written, 0.0/s")
    assert progress_text({"phase": "apply", "done": 10, "total": 9000, "rate": 5.0, "seconds_left": 1798}) == (
        "apply: 10 of 9000 objects written, 5.0/s, about 30 min left")


def test_progress_is_shown_only_while_the_fabric_is_syncing():
    row = _syncing_row({"phase": "apply", "done": 1, "total": 2, "rate": 1.0, "seconds_left": 1})
    ended = dict(row["lease"], until="2026-12-06T12:00:10Z")
    anchor = {"id": 7, "custom_fields": {"hedgehog_lease": ended, "hedgehog_source": "kubernetes"}}
    row = fabric_row({"name": "dc1", "sync_interval": 300}, anchor, datetime(2026, 12, 6, 12, 0, 30, tzinfo=timezone.utc))
    assert row["status"] != "syncing" and row["progress"] is None
    assert not [line for line in detail(row) if line.startswith("Progress:")]
