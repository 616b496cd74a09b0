"""The status model: one function, first match wins."""

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record import fields, lease, status

NOW = datetime(2026, 11, 29, 12, 0, 0, tzinfo=timezone.utc)


def ago(seconds):
    return (NOW - timedelta(seconds=seconds)).isoformat()


def compute(**overrides):
    values = dict(configured=True, enabled=True, lease=None, last_attempt=ago(60), last_success=ago(60),
                  last_result="success", interval=300, now=NOW)
    values.update(overrides)
    return status.compute_status(**values)


@pytest.mark.parametrize("overrides, expected", [
    ({}, "in_sync"),
    ({"configured": False, "enabled": False}, "not_configured"),
    ({"enabled": False, "last_result": "failed"}, "disabled"),
    ({"lease": {"until": (NOW + timedelta(seconds=30)).isoformat()}, "last_result": "failed"}, "syncing"),
    ({"lease": {"until": ago(1)}}, "in_sync"),
    ({"last_attempt": None, "last_success": None, "last_result": None}, "never_synced"),
    # A fabric whose only runs failed is in error, not "never synced".
    ({"last_success": None, "last_result": "failed"}, "error"),
    # A failure after an older success still shows the failure.
    ({"last_attempt": ago(10), "last_success": ago(400), "last_result": "failed"}, "error"),
    ({"last_success": ago(300 + 120 + 1), "last_attempt": ago(300 + 121)}, "out_of_sync"),
    ({"last_success": ago(300 + 119)}, "in_sync"),
    # A run that skipped or refused objects is not a clean one.
    ({"last_result": "partial"}, "partial"),
    # Staleness wins over partial: the problems are old news.
    ({"last_result": "partial", "last_success": ago(300 + 120 + 1)}, "out_of_sync"),
    ({"interval": 3600, "last_success": ago(3600 + 900 + 1)}, "out_of_sync"),
    ({"interval": 3600, "last_success": ago(3600 + 899)}, "in_sync"),
])
def test_compute_status(overrides, expected):
    assert compute(**overrides) == expected


def test_statuses_are_the_documented_set():
    assert fields.STATUSES == ("not_configured", "disabled", "syncing", "never_synced", "error",
                               "out_of_sync", "partial", "in_sync")


def test_status_of_record_reads_the_custom_fields():
    fields = {"hedgehog_sync_enabled": True, "hedgehog_sync_interval": 60, "hedgehog_last_attempt": ago(500),
              "hedgehog_last_success": ago(500), "hedgehog_last_result": "success"}
    assert status.status_of_record(fields, configured=True, now=NOW) == "out_of_sync"
    fields["hedgehog_sync_enabled"] = False
    assert status.status_of_record(fields, configured=True, now=NOW) == "disabled"


@pytest.mark.parametrize("seconds, text", [
    (45, "in 45 s"), (-180, "3 min overdue"), (7200, "in 2 h"), (-3 * 86400, "3 d overdue"), (0, "in 0 s"),
])
def test_humanize_delta(seconds, text):
    assert status.humanize_delta(seconds) == text


def test_next_run_from_last_attempt():
    due, text = status.next_run(ago(255), 300, NOW)
    assert due == NOW + timedelta(seconds=45)
    assert text == "in 45 s"
    assert status.next_run(None, 300, NOW) == (None, "due now")


def test_holder_names_the_awx_job(monkeypatch):
    monkeypatch.setenv("JOB_ID", "4242")
    assert ":awx-job-4242:" in lease.holder_id()
    assert lease.holder_id() != lease.holder_id()
