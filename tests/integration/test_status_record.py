"""The fabric's record in a real NetBox: status, lease, retries, journal, against the Kubernetes stand-in."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    KubernetesAPIError,
    LeaseHeldError,
    NetBoxAPIError,
    SyncError,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import fabric_status
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun, find_anchor

VLAB = Path(__file__).resolve().parents[1] / "fixtures" / "vlab"
FABRIC = "vlab"


def config(netbox, standin, **overrides):
    values = dict(fabric=FABRIC, site="VLAB", netbox_url=netbox.url, netbox_token=netbox.token,
                  k8s_auth={"kubeconfig": str(standin.kubeconfig_path)}, retries=3, retry_delay=0.05,
                  retry_max_delay=0.2, retry_max_time=10)
    values.update(overrides)
    return FabricConfig(**values)


def recorded(netbox, standin, **overrides):
    return RecordedRun(config(netbox, standin, **dict({"sync_interval": 300}, **overrides)))


def record_fields(netbox):
    client = NetBoxClient(netbox.url, netbox.token)
    return find_anchor(client, FABRIC)["custom_fields"]


def status_row(netbox, now=None):
    client = NetBoxClient(netbox.url, netbox.token)
    return fabric_status(client, [{"name": FABRIC, "sync_interval": 300}], now=now)[0]


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    from testbed.kube_standin import KubeStandin

    with KubeStandin(fixture_dirs=[VLAB], state_dir=tmp_path_factory.mktemp("kube"), port=0) as server:
        yield server


@pytest.fixture(scope="module")
def synced(netbox, standin):
    """One successful recorded run; the tests below build on its record."""
    result = recorded(netbox, standin).execute().as_dict()
    assert result["result"] == "success", result["warnings"]
    return result


def test_a_run_records_its_outcome_and_a_journal_entry(netbox, synced):
    fields = record_fields(netbox)
    assert fields["hedgehog_last_result"] == "success"
    assert fields["hedgehog_last_success"] == fields["hedgehog_last_attempt"]
    assert fields["hedgehog_last_error"] is None
    assert fields["hedgehog_lease"] is None
    assert fields["hedgehog_status"] == "in_sync" == synced["status"]
    assert fields["hedgehog_source_release"] == "26.03.0"
    assert fields["hedgehog_last_counts"]["device"]["create"] == 11
    journal = list(netbox.api.extras.journal_entries.filter(assigned_object_type="virtualization.cluster"))
    assert journal and journal[-1].kind.value == "success"
    assert "device: 11 create" in journal[-1].comments


def test_an_unchanged_rerun_writes_nothing_to_the_fabric(netbox, standin, synced):
    result = recorded(netbox, standin).execute().as_dict()
    assert result["changed"] is False
    assert result["requests"]["netbox"]["writes"] == 0
    # The record itself: take the lease, write the outcome, add a journal entry.
    assert result["requests"]["status_record"]["writes"] == 3


def test_a_broken_source_makes_error_with_the_cause_and_fixing_it_makes_in_sync(netbox, standin, synced):
    with pytest.raises(KubernetesAPIError) as failure:
        recorded(netbox, standin, k8s_auth={"kubeconfig": str(standin.kubeconfig_path), "api_key": "wrong"}).execute()
    assert "401" in str(failure.value) and FABRIC in str(failure.value)
    fields = record_fields(netbox)
    assert fields["hedgehog_last_result"] == "failed"
    assert "401" in fields["hedgehog_last_error"] and "/apis/wiring.githedgehog.com" in fields["hedgehog_last_error"]
    assert fields["hedgehog_last_success"] < fields["hedgehog_last_attempt"]
    assert fields["hedgehog_status"] == "error" == status_row(netbox)["status"]
    assert "wrong" not in json.dumps(fields)

    result = recorded(netbox, standin).execute().as_dict()
    assert result["status"] == "in_sync"
    fields = record_fields(netbox)
    assert fields["hedgehog_last_error"] is None
    assert status_row(netbox)["status"] == "in_sync"


def test_an_aged_last_success_is_out_of_sync(netbox, synced):
    later = datetime.now(timezone.utc) + timedelta(seconds=300 + 121)
    row = status_row(netbox, now=later)
    assert row["status"] == "out_of_sync"
    assert row["next_run_text"].endswith("overdue")


def test_a_held_lease_makes_a_second_run_exit_without_writing(netbox, standin, synced):
    client = NetBoxClient(netbox.url, netbox.token)
    anchor = find_anchor(client, FABRIC)
    now = datetime.now(timezone.utc)
    lease = {"holder": "other-controller:1", "since": now.isoformat(), "until": (now + timedelta(minutes=5)).isoformat()}
    client.patch_one("virtualization/clusters", anchor["id"], {"custom_fields": {"hedgehog_lease": lease}})
    assert status_row(netbox)["status"] == "syncing"

    run = recorded(netbox, standin)
    with pytest.raises(LeaseHeldError) as held:
        run.execute()
    assert "already running since" in str(held.value) and "other-controller:1" in str(held.value)
    assert run.client.request_counts()["writes"] == 0

    # An expired lease (a run that died) is taken over.
    lease["until"] = (now - timedelta(seconds=1)).isoformat()
    client.patch_one("virtualization/clusters", anchor["id"], {"custom_fields": {"hedgehog_lease": lease}})
    result = recorded(netbox, standin).execute().as_dict()
    assert result["status"] == "in_sync"
    assert record_fields(netbox)["hedgehog_lease"] is None


def test_a_503_burst_from_kubernetes_is_retried_to_success(netbox, standin, synced):
    standin.requests.reset()
    standin.faults.fail(status=503, nth=1, count=3)
    try:
        result = recorded(netbox, standin).execute().as_dict()
    finally:
        standin.faults.clear()
    assert result["result"] == "success"
    assert result["requests"]["kubernetes"] == standin.requests.total


class _Flaky(BaseHTTPRequestHandler):
    """A proxy in front of NetBox that answers 503 to the first requests, like a restarting upstream."""

    upstream = ""
    failures = 0
    served = []

    def _forward(self):
        type(self).served.append(self.command)
        if type(self).failures > 0:
            type(self).failures -= 1
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in ("host", "content-length"))
        answer = requests.request(self.command, self.upstream + self.path, data=body, headers=headers, timeout=120)
        self.send_response(answer.status_code)
        for key, value in answer.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PATCH = do_DELETE = _forward

    def log_message(self, *args):
        pass


def test_a_503_burst_from_netbox_is_retried_to_success(netbox, standin, synced):
    _Flaky.upstream, _Flaky.failures, _Flaky.served = netbox.url, 3, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d" % server.server_address[1]
        result = recorded(netbox, standin, netbox_url=url).execute().as_dict()
    finally:
        server.shutdown()
    assert result["result"] == "success"
    assert _Flaky.failures == 0
    assert len(_Flaky.served) >= 3 + result["requests"]["netbox"]["total"]


def test_netbox_that_stays_down_fails_clearly(netbox, standin, synced):
    _Flaky.upstream, _Flaky.failures, _Flaky.served = netbox.url, 10 ** 6, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = "http://127.0.0.1:%d" % server.server_address[1]
        with pytest.raises(NetBoxAPIError) as failure:
            recorded(netbox, standin, netbox_url=url, retries=2).execute()
    finally:
        server.shutdown()
    message = str(failure.value)
    assert FABRIC in message and "503" in message and "/api/status/" in message
    assert len(_Flaky.served) == 3


def test_a_bug_ends_the_run_recorded_with_its_type_and_phase_and_the_lease_released(
        netbox, standin, synced, monkeypatch, tmp_path):
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import engine

    secret = "nbt_leaky.SecretThatMustNotBeRecorded"

    def broken_plan(*_args, **_kwargs):
        raise KeyError(secret)

    monkeypatch.setattr(engine, "make_plan", broken_plan)
    metrics_file = tmp_path / "vlab.prom"
    with pytest.raises(SyncError) as failure:
        recorded(netbox, standin, metrics_file=str(metrics_file)).execute()
    assert str(failure.value) == ("fabric vlab: unexpected KeyError in the plan phase (a bug in the sync; the run "
                                  "stopped there)")
    assert failure.value.__cause__ is None
    fields = record_fields(netbox)
    assert fields["hedgehog_lease"] is None
    assert fields["hedgehog_last_result"] == "failed"
    assert fields["hedgehog_status"] == "error"
    assert "unexpected KeyError in the plan phase" in fields["hedgehog_last_error"]
    entries = netbox.api.extras.journal_entries.filter(assigned_object_type="virtualization.cluster")
    newest = max(entries, key=lambda entry: entry.id)
    assert newest.kind.value == "danger" and "unexpected KeyError" in newest.comments
    assert secret not in json.dumps(fields) + newest.comments + metrics_file.read_text()
    assert 'hedgehog_netbox_sync_status{fabric="vlab",status="error"} 1' in metrics_file.read_text()
    # The next run, without the bug, takes no lease over: there is none, and the fabric recovers.
    monkeypatch.undo()
    assert recorded(netbox, standin).execute().as_dict()["result"] == "success"
    assert record_fields(netbox)["hedgehog_status"] == "in_sync"
