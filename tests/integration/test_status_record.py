"""The fabric's record in a real NetBox: status, lease, retries, journal, against the Kubernetes stand-in."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

import sync_helpers as h

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    KubernetesAPIError,
    LeaseHeldError,
    NetBoxAPIError,
    SyncError,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.markdown import unescape
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
    """One successful recorded run into an empty NetBox, and the NetBox it left, saved."""
    result = recorded(netbox.emptied(), standin).execute().as_dict()
    assert result["result"] == "success", result["warnings"]
    return {"result": result, "checkpoint": netbox.checkpoint("status-record")}


@pytest.fixture
def nb(synced):
    """The NetBox that one successful run left: each test starts from its record, whatever others did."""
    return synced["checkpoint"].back()


def test_a_run_records_its_outcome_and_a_journal_entry(nb, synced):
    netbox = nb
    fields = record_fields(netbox)
    assert fields["hedgehog_last_result"] == "success"
    assert fields["hedgehog_last_success"] == fields["hedgehog_last_attempt"]
    assert fields["hedgehog_last_error"] is None
    assert fields["hedgehog_lease"] is None
    assert fields["hedgehog_status"] == "in_sync" == synced["result"]["status"]
    assert fields["hedgehog_source_release"] == "26.03.0"
    assert fields["hedgehog_last_counts"]["device"]["create"] == 12
    journal = list(netbox.api.extras.journal_entries.filter(assigned_object_type="virtualization.cluster"))
    assert [entry.kind.value for entry in journal] == ["success"]
    # The switches and servers, and the control node.
    assert "device: 12 create" in journal[0].comments


def test_an_unchanged_rerun_writes_nothing_to_the_fabric(nb, standin):
    netbox = nb
    result = recorded(netbox, standin).execute().as_dict()
    assert result["changed"] is False
    assert result["requests"]["netbox"]["writes"] == 0
    # The record itself: take the lease, write the outcome, add a journal entry.
    assert result["requests"]["status_record"]["writes"] == 3


def test_a_broken_source_makes_error_with_the_cause_and_fixing_it_makes_in_sync(nb, standin):
    netbox = nb
    with pytest.raises(KubernetesAPIError) as failure:
        recorded(netbox, standin, k8s_auth={"kubeconfig": str(standin.kubeconfig_path), "api_key": "wrong"}).execute()
    assert "401" in str(failure.value) and FABRIC in str(failure.value)
    fields = record_fields(netbox)
    assert fields["hedgehog_last_result"] == "failed"
    # The record holds Markdown: the cause's parentheses come back escaped.
    assert "(HTTP 401) at /apis:" in unescape(fields["hedgehog_last_error"])
    assert fields["hedgehog_last_success"] < fields["hedgehog_last_attempt"]
    assert fields["hedgehog_status"] == "error" == status_row(netbox)["status"]
    assert "wrong" not in json.dumps(fields)

    result = recorded(netbox, standin).execute().as_dict()
    assert result["status"] == "in_sync"
    fields = record_fields(netbox)
    assert fields["hedgehog_last_error"] is None
    assert status_row(netbox)["status"] == "in_sync"


def test_an_aged_last_success_is_out_of_sync(nb):
    success = datetime.fromisoformat(record_fields(nb)["hedgehog_last_success"].replace("Z", "+00:00"))
    # The interval (300 s) and the grace (120 s) are over a second later...
    row = status_row(nb, now=success + timedelta(seconds=300 + 121))
    assert (row["status"], row["next_run_text"]) == ("out_of_sync", "2 min overdue")
    # ...and not a second before.
    row = status_row(nb, now=success + timedelta(seconds=300 + 120))
    assert (row["status"], row["next_run_text"]) == ("in_sync", "2 min overdue")


def test_a_held_lease_makes_a_second_run_exit_without_writing(nb, standin):
    netbox = nb
    client = NetBoxClient(netbox.url, netbox.token)
    anchor = find_anchor(client, FABRIC)
    now = datetime.now(timezone.utc)
    # Live for a day: the runs below start long before it ends, however slow the machine.
    lease = {"holder": "other-controller:1", "since": now.isoformat(), "until": (now + timedelta(days=1)).isoformat()}
    client.patch_one("virtualization/clusters", anchor["id"], {"custom_fields": {"hedgehog_lease": lease}})
    assert status_row(netbox)["status"] == "syncing"

    run = recorded(netbox, standin)
    with pytest.raises(LeaseHeldError) as held:
        run.execute()
    assert "already running since" in str(held.value) and "other-controller:1" in str(held.value)
    assert run.client.request_counts()["writes"] == 0

    # An expired lease (a run that died) is taken over.
    lease["until"] = (now - timedelta(days=1)).isoformat()
    client.patch_one("virtualization/clusters", anchor["id"], {"custom_fields": {"hedgehog_lease": lease}})
    result = recorded(netbox, standin).execute().as_dict()
    assert result["status"] == "in_sync"
    assert record_fields(netbox)["hedgehog_lease"] is None


def test_a_held_lease_stops_the_read_of_the_source_begun_beside_it(nb, standin):
    """The lease is taken while the fabric is read: a run that finds it held reads no further."""
    netbox = nb
    _hold_the_lease(netbox)
    standin.requests.reset()
    # Each Kubernetes answer takes 3 s: the lease is found held long before the first one is in.
    standin.faults.set_latency(3.0)
    try:
        run = recorded(netbox, standin)
        with pytest.raises(LeaseHeldError):
            run.execute()
    finally:
        standin.faults.clear()
    # A whole read is discovery and a list per kind; this one stopped before its second request.
    assert standin.requests.count() == 1
    assert run.client.request_counts()["writes"] == 0
    assert run.control.phase == "record"


def test_a_503_burst_from_kubernetes_is_retried_to_success(nb, standin):
    netbox = nb
    standin.requests.reset()
    burst = standin.faults.fail(status=503, nth=1, count=3)
    try:
        result = recorded(netbox, standin).execute().as_dict()
    finally:
        standin.faults.clear()
    assert result["result"] == "success"
    assert burst.fired == 3
    # Every request was counted on both sides, the three refused ones too.
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


def test_a_503_burst_from_netbox_is_retried_to_success(nb, standin):
    netbox = nb
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
    # Every request the run counted went through the proxy: the clients count each attempt, the three 503s too.
    counts = result["requests"]
    assert len(_Flaky.served) == counts["netbox"]["total"] + counts["status_record"]["total"]


def test_netbox_that_stays_down_fails_clearly(nb, standin):
    netbox = nb
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
    # A recorded run starts by looking up the fabric's record.
    assert FABRIC in message and "503" in message and "/api/virtualization/clusters/" in message
    assert len(_Flaky.served) == 3


# -- two runs at once ---------------------------------------------------------------------------


class _RacingClient(NetBoxClient):
    """The engine's client, holding on after its first read of the fabric's record until the other run
    has read it too: both then try to take the lease on the same ETag. The one that takes it holds on until
    the other has ended (``lost``), so the other's second read finds the lease taken however short the
    winner's run is (a run that finds nothing changed ends in a moment)."""

    def __init__(self, *args, barrier, lost, **kwargs):
        super().__init__(*args, **kwargs)
        self.barrier = barrier
        self.lost = lost
        self.waited = False
        self.took = False

    def write_one(self, endpoint, object_id, data, if_match=None):
        answer = super().write_one(endpoint, object_id, data, if_match=if_match)
        if if_match and not self.took:
            self.took = True
            self.lost.wait(timeout=120)
        return answer

    def read_one(self, endpoint, object_id):
        answer = super().read_one(endpoint, object_id)
        if endpoint.strip("/") == "virtualization/clusters" and not self.waited:
            self.waited = True
            self.barrier.wait(timeout=600)
        return answer


def _run_in_thread(run, outcomes, lost=None):
    def target():
        try:
            outcomes[run] = run.execute().as_dict()
        except LeaseHeldError as held:
            outcomes[run] = held
            if lost is not None:
                lost.set()
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_two_runs_at_once_one_syncs_and_the_other_loses_the_if_match_race(nb, standin):
    netbox = nb
    barrier = threading.Barrier(2)
    lost = threading.Event()
    runs = [RecordedRun(config(netbox, standin, sync_interval=300),
                        client=_RacingClient(netbox.url, netbox.token, fabric=FABRIC, barrier=barrier, lost=lost))
            for _run in range(2)]
    before = h.change_count(netbox)
    outcomes = {}

    for thread in [_run_in_thread(run, outcomes, lost) for run in runs]:
        thread.join(timeout=900)

    assert sorted(type(outcome).__name__ for outcome in outcomes.values()) == ["LeaseHeldError", "dict"]
    (winner,) = [run for run in runs if isinstance(outcomes[run], dict)]
    (loser,) = [run for run in runs if run is not winner]
    assert outcomes[winner]["status"] == "in_sync"
    # The loser read the same free lease, and NetBox refused its write on the old ETag (412); read again, the
    # lease is the winner's.
    lost = outcomes[loser]
    assert lost.holder == winner.holder.id
    assert str(lost) == "fabric %s: already running since %s (held by %s until %s); this run did nothing" % (
        FABRIC, lost.since, winner.holder.id, lost.until)
    assert loser.client.request_counts()["writes"] == 1
    # What NetBox logged: the winner's writes alone (lease, then outcome and journal entry side by side).
    assert sorted(change[:2] for change in h.changes_since(netbox, before)) == [
        ("create", "extras.journalentry"), ("update", "virtualization.cluster"), ("update", "virtualization.cluster")]
    assert record_fields(netbox)["hedgehog_lease"] is None


def _hold_the_lease(netbox, holder="other-controller:1"):
    client = NetBoxClient(netbox.url, netbox.token)
    anchor = find_anchor(client, FABRIC)
    now = datetime.now(timezone.utc)
    lease = {"holder": holder, "since": now.isoformat(), "until": (now + timedelta(days=1)).isoformat()}
    client.patch_one("virtualization/clusters", anchor["id"], {"custom_fields": {"hedgehog_lease": lease}})
    return lease


def test_a_long_run_shows_its_progress_on_its_record_while_it_works(netbox, standin):
    """A first sync writes hundreds of objects: status.yml's row shows how far it got, as often as asked."""
    netbox = netbox.emptied()
    run = RecordedRun(config(netbox, standin, sync_interval=300), tick=0.05, progress_every=0.2)
    outcomes = {}
    thread = _run_in_thread(run, outcomes)
    seen = []
    while thread.is_alive():
        row = status_row(netbox)
        if row["progress"] and row["progress"] not in seen:
            assert row["status"] == "syncing"
            seen.append(row["progress"])
    thread.join()
    result = outcomes[run]

    assert result["result"] == "success"
    # Every object the plan writes (the schema is made before, and is no object of the fabric).
    planned = sum(n for kind, ops in result["summary"].items() if kind != "schema" for op, n in ops.items()
                  if op in ("create", "update", "delete", "mark", "release"))
    writing = [p for p in seen if p["phase"] == "apply"]
    assert writing, seen
    assert all(p["total"] == planned and 0 <= p["done"] <= planned for p in writing), (planned, writing)
    assert [p["done"] for p in writing] == sorted(p["done"] for p in writing)
    assert any(p["done"] > 0 and p["seconds_left"] is not None and p["rate"] > 0 for p in writing)
    # Once the run ended its progress went with its lease.
    assert record_fields(netbox)["hedgehog_lease"] is None
    assert status_row(netbox)["progress"] is None


def test_the_module_exits_skipped_while_another_run_holds_the_lease(nb, standin, tmp_path, run_playbook):
    netbox = nb
    lease = _hold_the_lease(netbox)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(json.dumps({"all": {"children": {"hedgehog_fabrics": {"hosts": {FABRIC: {
        "hedgehog_kubeconfig": str(standin.kubeconfig_path), "hedgehog_site": "VLAB",
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}}}))
    before = h.change_count(netbox)

    run = run_playbook("sync.yml", inventory, extra_vars={"fabric": FABRIC},
                       env={"NETBOX_API": netbox.url, "NETBOX_TOKEN": netbox.token})

    assert run.recap[FABRIC]["failed"] == 0 and run.recap[FABRIC]["changed"] == 0
    assert "%s: skipped, already running since %s (held by other-controller:1 until %s); this run did nothing" % (
        FABRIC, lease["since"], lease["until"]) in run.stdout
    assert h.change_count(netbox) == before
    assert record_fields(netbox)["hedgehog_lease"] == lease


# -- metrics --------------------------------------------------------------------------------------


# Long enough for the fixture's agents, whose last reports are months old, to count as reporting.
AGENTS_FRESH_FOR = 10 * 365 * 24 * 3600


def _metrics(path):
    """{sample: value} of a textfile collector file, its HELP and TYPE lines checked for every metric."""
    samples = {}
    lines = path.read_text().splitlines()
    for line in lines:
        if not line.startswith("#"):
            sample, value = line.rsplit(" ", 1)
            samples[sample] = value
    names = ("last_success_timestamp_seconds", "last_attempt_timestamp_seconds", "last_duration_seconds",
             "last_result", "status", "objects_changed", "problems", "cables_disagreeing")
    assert [line.split()[2] for line in lines if line.startswith("# TYPE")] == [
        "hedgehog_netbox_sync_" + name for name in names]
    return samples


def _stamp(value):
    return repr(float(int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())))


def test_metrics_are_written_by_a_run_and_by_a_failed_one(nb, standin, tmp_path):
    netbox = nb
    path = tmp_path / "hedgehog_netbox_sync_vlab.prom"
    server = h.standin_object(standin, "Server", "server-05")
    server["spec"]["description"] = "S-05 in rack 7"
    standin.store.put(server)
    try:
        # The fixture's agents last reported on 2026-08-20: counted fresh here, so that their LLDP judges the
        # cabling (and the switches they report on come back from offline).
        recorded(netbox, standin, metrics_file=str(path), agent_stale_after=AGENTS_FRESH_FOR).execute()
    finally:
        standin.reload()
    fields = record_fields(netbox)

    good = _metrics(path)
    assert good['hedgehog_netbox_sync_last_success_timestamp_seconds{fabric="vlab"}'] == _stamp(
        fields["hedgehog_last_success"])
    assert good['hedgehog_netbox_sync_last_attempt_timestamp_seconds{fabric="vlab"}'] == _stamp(
        fields["hedgehog_last_attempt"])
    assert [sample for sample, value in good.items() if value == "1"] == [
        'hedgehog_netbox_sync_last_result{fabric="vlab",result="success"}',
        'hedgehog_netbox_sync_status{fabric="vlab",status="in_sync"}']
    # server-05's description, the 5 switches back from offline; the miswired pair's 2 cables now planned.
    assert dict((sample, value) for sample, value in good.items() if "_objects_changed{" in sample) == {
        'hedgehog_netbox_sync_objects_changed{action="update",fabric="vlab",kind="cable"}': "2",
        'hedgehog_netbox_sync_objects_changed{action="update",fabric="vlab",kind="device"}': "6"}
    assert good['hedgehog_netbox_sync_problems{fabric="vlab"}'] == "0"
    # The VLAB's agents see its one miswired pair: the two cables of it.
    assert good['hedgehog_netbox_sync_cables_disagreeing{fabric="vlab"}'] == "2"

    with pytest.raises(KubernetesAPIError):
        recorded(netbox, standin, metrics_file=str(path), k8s_auth={
            "kubeconfig": str(standin.kubeconfig_path), "api_key": "wrong"}).execute()
    failed_fields = record_fields(netbox)

    bad = _metrics(path)
    # The last success stays the good run's; the attempt and the result are the failed one's.
    assert bad['hedgehog_netbox_sync_last_success_timestamp_seconds{fabric="vlab"}'] == _stamp(
        fields["hedgehog_last_success"])
    assert bad['hedgehog_netbox_sync_last_attempt_timestamp_seconds{fabric="vlab"}'] == _stamp(
        failed_fields["hedgehog_last_attempt"])
    assert [sample for sample, value in bad.items() if value == "1"] == [
        'hedgehog_netbox_sync_last_result{fabric="vlab",result="failed"}',
        'hedgehog_netbox_sync_status{fabric="vlab",status="error"}']
    # The failed run read no LLDP: the cabling is still the last sync's.
    assert bad['hedgehog_netbox_sync_cables_disagreeing{fabric="vlab"}'] == "2"


def test_a_bug_ends_the_run_recorded_with_its_type_and_phase_and_the_lease_released(
        nb, standin, monkeypatch, tmp_path):
    netbox = nb
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import engine

    secret = "nbt_leaky.SecretThatMustNotBeRecorded"

    def broken_plan(*_args, **_kwargs):
        raise KeyError(secret)

    monkeypatch.setattr(engine, "make_plan", broken_plan)
    metrics_file = tmp_path / "vlab.prom"
    with pytest.raises(SyncError) as failure:
        # full: a run that finds nothing changed would not plan at all.
        recorded(netbox, standin, metrics_file=str(metrics_file), full=True).execute()
    assert re.fullmatch(r"fabric vlab: unexpected KeyError in phase plan at module_utils/engine\.py:\d+; this is a bug "
                        r"of hedgehog\.netbox_sync, please report it", str(failure.value)), str(failure.value)
    assert failure.value.__cause__ is None
    fields = record_fields(netbox)
    assert fields["hedgehog_lease"] is None
    assert fields["hedgehog_last_result"] == "failed"
    assert fields["hedgehog_status"] == "error"
    assert "unexpected KeyError in phase plan" in fields["hedgehog_last_error"]
    entries = netbox.api.extras.journal_entries.filter(assigned_object_type="virtualization.cluster")
    newest = max(entries, key=lambda entry: entry.id)
    assert newest.kind.value == "danger" and "unexpected KeyError" in newest.comments
    assert secret not in json.dumps(fields) + newest.comments + metrics_file.read_text()
    assert 'hedgehog_netbox_sync_status{fabric="vlab",status="error"} 1' in metrics_file.read_text()
    # The next run, without the bug, takes no lease over: there is none, and the fabric recovers.
    monkeypatch.undo()
    assert recorded(netbox, standin).execute().as_dict()["result"] == "success"
    assert record_fields(netbox)["hedgehog_status"] == "in_sync"


def test_an_unreadable_fabricator_keeps_the_release_on_the_record(nb, standin):
    netbox = nb
    standin.faults.fail(status=503, count=0, path="/fabricators")
    try:
        result = recorded(netbox, standin).execute().as_dict()
    finally:
        standin.faults.clear()
    assert result["result"] == "partial"
    assert (result["release"], list(result["source"]["incomplete"])) == ("", ["Fabricator"])
    fields = record_fields(netbox)
    assert fields["hedgehog_source_release"] == "26.03.0"
    assert "Fabricator: HTTP 503 from /apis/fabricator.githedgehog.com/v1beta1/namespaces/fab/fabricators" in (
        fields["hedgehog_last_error"])
