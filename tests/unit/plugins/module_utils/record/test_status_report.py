"""The status report's words for the fabric's record: the cabling line, the result's cabling."""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import cabling_text, detail, fabric_row
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import cables_disagreeing, journal_text
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.result import RunResult

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)


def result(cabling):
    return RunResult(fabric="dc1", check_mode=False, changed=False, outcome="partial", release="", source={},
                     summary={}, problems=[], requests={"kubernetes": 20}, timings={"total": 1.0}, cabling=cabling)


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
