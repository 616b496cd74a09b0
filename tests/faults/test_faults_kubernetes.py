"""Kubernetes faults (the stand-in's fault switches): bursts, drops, cut pages, 403 and 410, timeouts, a deadline.

The fabric does not change in these cases, so NetBox must not change either:
a read that is retried to success writes nothing, and a kind whose read stays
incomplete holds every change that depends on it to what NetBox has (the rest of
the fabric syncs).
"""

from __future__ import annotations

import socket

import pytest

from faults import snapshot
from faults.conftest import config, judged, last_error, named, record, recover, run

AGENTS = "/apis/agent.githedgehog.com/v1beta1/namespaces/default/agents"
CATALOGS = "/apis/agent.githedgehog.com/v1beta1/namespaces/default/catalogs"
# Discovery is a run's first request to Kubernetes: a fault that hits every request is named there.
DISCOVERY = "cannot reach /apis: "
NOTHING = {}


def unchanged(nb, before):
    return judged(nb, before, (before, before))


def burst_drop_and_cut(kube):
    kube.faults.fail(status=503, nth=1, count=2)
    kube.faults.drop(nth=2, count=2, path="switches")
    kube.faults.truncate(nth=1, count=1, mode="cut-json", path="connections")


def error_cut_and_expired(kube):
    kube.faults.fail(status=500, nth=2, count=2, path="servers")
    kube.faults.truncate(nth=1, count=1, mode="short-body", path="agents")
    kube.faults.fail(status=410, nth=2, count=1, path="connections")


@pytest.mark.parametrize("faults", [burst_drop_and_cut, error_cut_and_expired])
def test_faults_that_pass_are_retried_and_write_nothing(case, nb, kube, faults):
    """503 bursts, dropped connections, cut pages, a 500, an expired continue token (410) mid-paging."""
    before = snapshot.read(nb)
    faults(kube)
    outcome = run(config(nb, kube, k8s_page_size=4))
    assert all(rule["fired"] for rule in kube.faults.snapshot()["rules"]), kube.faults.snapshot()
    assert outcome.result["result"] == "success", outcome
    assert outcome.result["requests"]["netbox"]["writes"] == 0
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)


@pytest.mark.parametrize("status, path, endpoint", [
    (503, "agents", AGENTS),
    (403, "catalogs", CATALOGS),
], ids=["agents-503", "catalogs-403"])
def test_an_optional_kind_that_stays_unreadable_is_named_and_holds_what_depends_on_it(
        case, nb, kube, status, path, endpoint):
    """The server's own description depends on no Agent or Catalog: it lands; what the kind gives is held."""
    before = snapshot.read(nb)
    server = kube.store.get("wiring.githedgehog.com", "servers", "default", "server-05")
    server = dict(server, spec=dict(server["spec"], description="lands while a kind is unreadable"))
    kube.store.put(server)
    kube.faults.fail(status=status, nth=1, count=0, path=path)
    outcome = run(config(nb, kube))
    assert outcome.result["result"] == "partial", outcome
    named(outcome, "HTTP %d" % status, endpoint)
    assert outcome.result["source"]["incomplete"]
    assert outcome.result["changes"] == {"device": {"update": 1}}, outcome.result["changes"]
    during = snapshot.read(nb)
    assert during.rows[("dcim/devices", "server-05")]["description"] == "lands while a kind is unreadable"
    # Had the faulted run cleared anything the kind gives (agent facts, VNIs), its return would write it back.
    kube.faults.clear()
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, during)


def test_a_slow_api_is_bounded_by_the_read_timeout(case, nb, kube):
    before = snapshot.read(nb)
    kube.faults.set_latency(2.0)
    outcome = run(config(nb, kube, k8s_read_timeout=0.5, retries=1))
    named(outcome, "fabric vlab: the Kubernetes API stayed unavailable", DISCOVERY, "timed out")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None and fields["hedgehog_last_result"] == "failed"
    kube.faults.clear()
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)


def test_a_slow_api_is_bounded_by_the_run_deadline(case, nb, kube):
    before = snapshot.read(nb)
    kube.faults.set_latency(1.0)
    outcome = run(config(nb, kube, run_timeout=3))
    named(outcome, "fabric vlab: the run stopped in phase read_source", "deadline of 3 s (run_timeout)",
          "none of the fabric's objects were written")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None and fields["hedgehog_last_result"] == "failed"
    assert "read_source" in last_error(fields)
    kube.faults.clear()
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)


def test_an_unreachable_api_fails_clearly_and_writes_nothing(case, nb, kube, tmp_path):
    before = snapshot.read(nb)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    broken = tmp_path / "kubeconfig"
    broken.write_text(kube.kubeconfig_path.read_text().replace("127.0.0.1:%d" % kube.port, "127.0.0.1:%d" % port))
    outcome = run(config(nb, kube, k8s_auth={"kubeconfig": str(broken)}))
    named(outcome, "fabric vlab: the Kubernetes API stayed unavailable", DISCOVERY, "Connection refused")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None and fields["hedgehog_last_result"] == "failed"
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)
