"""Bugs, bad input, hand edits, races and a killed ansible-playbook.

- an exception nobody raised on purpose, a kubeconfig that is not YAML, a
  SwitchProfile with a port group that is not a mapping: one clear message,
  ``failed`` (or ``partial``) on the record, the lease released, metrics written;
- a device renamed by hand is renamed back in place; a switch renamed in the
  fabric takes its addresses along without patching ids NetBox deleted;
- YAML documents that are not objects and a description NetBox cuts are named;
- two first runs on an empty NetBox race to make the vocabulary;
- ansible-playbook killed (SIGKILL) while the module works: the module stops.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from integration import sync_helpers as h
from faults import snapshot
from faults.conftest import (
    Gate,
    config,
    finish_run,
    judged,
    last_error,
    make_change,
    named,
    record,
    recover,
    run,
    start_run,
    wait_for,
)

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import engine
from testbed.fault_proxy import FaultProxy
from testbed.paths import REPO_ROOT

NOTHING = {}
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"


def unchanged(nb, before):
    return judged(nb, before, (before, before))


# -- exceptions ------------------------------------------------------------------------------


def test_an_unexpected_exception_is_recorded_as_failed_without_its_content(case, nb, kube, tmp_path, monkeypatch):
    before = snapshot.read(nb)
    metrics = tmp_path / "vlab.prom"

    def broken(*_args, **_kwargs):
        raise KeyError("CONTENT-OF-A-FILE")

    monkeypatch.setattr(engine, "build_desired", broken)
    outcome = run(config(nb, kube, metrics_file=str(metrics)))
    named(outcome, "fabric vlab: unexpected KeyError in phase desired", "module_utils/engine.py:",
          "this is a bug", secret="CONTENT-OF-A-FILE")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None
    assert fields["hedgehog_last_result"] == "failed" and fields["hedgehog_status"] == "error"
    assert "KeyError in phase desired" in last_error(fields)
    assert "CONTENT-OF-A-FILE" not in json.dumps(fields)
    text = metrics.read_text()
    assert 'hedgehog_netbox_sync_status{fabric="vlab",status="error"} 1' in text
    assert 'hedgehog_netbox_sync_last_result{fabric="vlab",result="failed"} 1' in text
    monkeypatch.undo()
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)


def test_a_kubeconfig_that_is_not_yaml_is_named_by_its_place_not_its_content(case, nb, kube, tmp_path):
    before = snapshot.read(nb)
    broken = tmp_path / "kubeconfig"
    text = kube.kubeconfig_path.read_text()
    broken.write_text(text + "users:\n- name: extra\n  user: {token: K8S-SECRET-TOKEN\n")
    outcome = run(config(nb, kube, k8s_auth={"kubeconfig": str(broken)}))
    named(outcome, "fabric vlab: cannot load kubeconfig %s: not valid YAML at line" % broken,
          secret="K8S-SECRET-TOKEN")
    fields = record(nb)
    assert fields["hedgehog_lease"] is None and fields["hedgehog_last_result"] == "failed"
    assert "K8S-SECRET-TOKEN" not in json.dumps(fields)
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)


def test_a_switch_profile_whose_port_group_is_not_a_mapping_is_skipped_by_name(case, nb, kube):
    before = snapshot.read(nb)
    profile = h.standin_object(kube, "SwitchProfile", "vs")
    profile["metadata"] = {"name": "vs-broken", "namespace": "default"}
    profile["spec"]["portGroups"] = {"1": "SFP28-25G"}
    kube.store.put(profile)
    outcome = run(config(nb, kube))
    assert outcome.result["result"] == "partial", outcome
    named(outcome, "SwitchProfile vs-broken: spec.portGroups.1 must be a mapping, got str")
    assert record(nb)["hedgehog_lease"] is None
    unchanged(nb, before)


# -- hand edits ------------------------------------------------------------------------------


def test_a_device_renamed_by_hand_is_renamed_back_in_place(case, nb, kube):
    leaf = nb.api.dcim.devices.get(name="leaf-03")
    leaf.update({"comments": "racked by hand, row 4"})
    addresses = sorted((ip.id, ip.address) for ip in nb.api.ipam.ip_addresses.filter(device_id=leaf.id))
    assert addresses
    before = snapshot.read(nb)
    leaf.update({"name": "leaf-03-by-hand"})
    outcome = run(config(nb, kube))
    assert outcome.result["result"] == "success", outcome
    assert outcome.result["changes"] == {"device": {"update": 1}}
    again = nb.api.dcim.devices.get(leaf.id)
    assert again.name == "leaf-03" and again.comments == "racked by hand, row 4"
    assert sorted((ip.id, ip.address) for ip in nb.api.ipam.ip_addresses.filter(device_id=leaf.id)) == addresses
    recover(nb, kube, expect_changes=NOTHING)
    unchanged(nb, before)


def test_a_switch_renamed_in_the_fabric_takes_its_addresses_along(case, nb, kube):
    """leaf-03 becomes leaf-04: its device and ports go, its addresses move, and no write hits a deleted id."""
    renamed = yaml.safe_load(yaml.safe_dump(kube.store.objects()).replace("leaf-03", "leaf-04"))
    kube.store.replace_objects(renamed)
    management = nb.api.ipam.ip_addresses.get(device="leaf-03", interface="M1")
    outcome = run(config(nb, kube))
    assert outcome.result["result"] == "success", outcome
    assert outcome.result["problems"] == []
    moved = nb.api.ipam.ip_addresses.get(address=str(management.address))
    assert moved.assigned_object.device.name == "leaf-04" and moved.assigned_object.name == "M1"
    assert nb.api.dcim.devices.get(name="leaf-04").primary_ip4.address == management.address
    assert snapshot.read(nb).duplicates == []
    recover(nb, kube, expect_changes=NOTHING)


# -- input that is not what it should be ----------------------------------------------------------


def test_documents_that_are_not_objects_and_a_cut_description_are_named(case, nb, tmp_path):
    before = snapshot.read(nb)
    wiring = h.copy_fixture("vlab", tmp_path)
    h.edit_objects(wiring, "Server", lambda items: [
        dict(item, spec=dict(item["spec"], description="x" * 100000)) if item["metadata"]["name"] == "server-05"
        else item for item in items])
    (wiring / "extra.yaml").write_text("- just\n- strings\n---\nkind: SwitchList\nitems: nope\n---\n"
                                       "kind: ServerList\nitems: [plain, {kind: Note}]\n")
    outcome = run(h.config_for(nb, wiring))
    assert outcome.result["result"] == "partial", outcome
    named(outcome, "extra.yaml document 1: the document is a list, not an object",
          "extra.yaml document 2: SwitchList: items is a string, not a list",
          "extra.yaml document 3 item 1: the item is a string, not an object",
          "device server-05: its description is 100000 characters long; NetBox keeps 200, so the rest is cut")
    assert outcome.result["changes"] == {"device": {"update": 1}}
    assert nb.api.dcim.devices.get(name="server-05").description == "x" * 200
    # Nothing else changed: with the old description put back, NetBox reads as before (nested copies included).
    after = json.dumps(dict(("%s %s" % key, row) for key, row in snapshot.read(nb).rows.items()), sort_keys=True)
    assert json.loads(after.replace("x" * 200, "S-05 Unbundled leaf-03")) == json.loads(json.dumps(
        dict(("%s %s" % key, row) for key, row in before.rows.items()), sort_keys=True))


# -- races ----------------------------------------------------------------------------------------


def _tiny_fabric(tmp_path, name):
    """A fabric of one server: its first run makes the tags, custom fields, site, types and cluster."""
    server = h.fixture_object("Server", "server-01")
    server["metadata"] = {"name": "%s-server" % name, "namespace": "default"}
    wiring = tmp_path / name
    wiring.mkdir()
    (wiring / "servers.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [server]}))
    return wiring


def _barrier_hook(parties=2):
    barrier = threading.Barrier(parties, timeout=20)

    def hook(_method, _path):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return None
    return hook


@pytest.mark.parametrize("fabrics", [("race-a", "race-b"), ("race-a", "race-a")], ids=["two-fabrics", "one-fabric"])
def test_two_first_runs_on_an_empty_netbox(case, fresh_netbox, tmp_path, fabrics):
    nb = fresh_netbox
    with FaultProxy(nb.url) as proxy:
        # Both runs send each of these creates at the same moment: the vocabulary, the cluster type (the
        # fabrics' anchors), and shared objects of the fabric itself (the server's role and manufacturer).
        for path in (r"/api/extras/tags/$", r"/api/extras/custom-fields/$", r"/api/virtualization/cluster-types/$",
                     r"/api/virtualization/clusters/$", r"/api/dcim/manufacturers/$", r"/api/dcim/device-roles/$"):
            proxy.add("hook", method="POST", path=path, hook=_barrier_hook(), count=2)
        wiring = dict((fabric, _tiny_fabric(tmp_path, fabric)) for fabric in set(fabrics))
        configs = []
        for fabric in fabrics:
            cfg = h.config_for(nb, wiring[fabric], fabric=fabric, site=fabric)
            cfg.netbox_url = proxy.url
            configs.append(cfg)
        ended = [finish_run(process) for process in [start_run(cfg) for cfg in configs]]
        assert len(proxy.requests("POST", r"/api/extras/tags/$")) == 2, "the runs did not race"
    results = [e.get("result", {}).get("result") or ("skipped" if "skipped" in e else e) for e in ended]
    if fabrics[0] != fabrics[1]:
        assert results == ["success", "success"], ended
    else:
        assert sorted(results) in (["skipped", "success"], ["success", "success"]), ended
    reading = snapshot.read(nb, fabric=fabrics[0])
    assert reading.duplicates == []
    assert h.api_count(nb, "virtualization/clusters", name=fabrics[0]) == 1
    assert h.api_count(nb, "extras/tags", slug="hedgehog-sync") == 1


# -- ansible-playbook killed ------------------------------------------------------------------------


@pytest.mark.parametrize("how, cause", [(signal.SIGKILL, "is gone"), (signal.SIGTERM, "stopped by SIGTERM")],
                         ids=["SIGKILL", "SIGTERM"])
def test_the_module_stops_when_ansible_playbook_is_killed(case, nb, kube, proxy, reference, how, cause):
    """SIGKILL leaves the module orphaned (it watches for that); SIGTERM reaches it through ansible's workers.

    The killed run's first write is still in the proxy when the module stops, and a proxy forwards what it
    holds: it reaches NetBox only when the next run, which read NetBox without it, sends the same create.
    """
    before = snapshot.read(nb)
    make_change(kube)
    writing, next_run_writes = Gate(), threading.Event()

    def killed_runs_write(_method, _path):
        writing.event.set()
        next_run_writes.wait(300)
        return None

    def next_runs_write(_method, _path):
        next_run_writes.set()
        proxy.settle(120, leaving=1)
        return None

    proxy.add("hook", method="POST", path=r"/api/dcim/", hook=killed_runs_write)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=str(REPO_ROOT / ".ansible" / "collections"), ANSIBLE_NOCOLOR="1",
               K8S_AUTH_KUBECONFIG=str(kube.kubeconfig_path), NETBOX_API=proxy.url, NETBOX_TOKEN=nb.token)
    extra = json.dumps({"fabric": "vlab", "hedgehog_retries": 2, "hedgehog_retry_delay": 0.05})
    playbook = subprocess.Popen([str(ANSIBLE_PLAYBOOK), "-i", "inventory", "playbooks/sync.yml", "-e", extra],
                                cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        writing.wait(300)
        lease = record(nb)["hedgehog_lease"]
        assert lease and lease["pid"] != playbook.pid
        playbook.send_signal(how)
        # The module notices, stops at once, records the failure and gives the lease back.
        wait_for(lambda: record(nb)["hedgehog_lease"] is None, 120, "the module releasing its lease")
        wait_for(lambda: not os.path.exists("/proc/%d" % lease["pid"]), 60, "the module process ending")
    finally:
        if playbook.poll() is None:
            playbook.kill()
        playbook.wait(30)
    fields = record(nb)
    assert fields["hedgehog_last_result"] == "failed"
    assert cause in last_error(fields) and "phase apply" in last_error(fields)
    proxy.add("hook", method="POST", path=r"/api/dcim/", hook=next_runs_write)
    recover(nb, kube, via=proxy)
    # The late create reached NetBox first: the next run's own was refused as a duplicate and the row taken.
    devices = [entry for entry in proxy.log if entry[1] == "/api/dcim/devices/"]
    assert devices[:2] == [("POST", "/api/dcim/devices/", 400), ("PATCH", "/api/dcim/devices/", 200)], proxy.log
    judged(nb, before, reference)
