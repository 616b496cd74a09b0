"""A cron entry's command, run again and again against the real NetBox of the test bed.

bootstrap.yml writes the entry into a temp cron file; the test then runs the entry's command as
cron would (a bare environment, once per "minute" of a faked clock) while the fabric's source,
the Kubernetes API stand-in, changes in between. Each run must advance the fabric's last success
in its NetBox record, follow the source, and never duplicate an object.
"""

from __future__ import annotations

import copy
import datetime
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

VLAB = Path(__file__).resolve().parents[1] / "fixtures" / "vlab"
T0 = 1_767_607_200
INTERVAL = 120


def _object(kube, kind, name):
    for obj in kube.store.objects():
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return copy.deepcopy(obj)
    raise AssertionError("the stand-in serves no %s %s" % (kind, name))


def _delete(kube, obj):
    kube.store.delete(obj["kind"], obj["metadata"].get("namespace"), obj["metadata"]["name"],
                      group=obj["apiVersion"].split("/")[0])


def _fresh(obj):
    """The object as one would apply it again: without what the server filled in."""
    obj = copy.deepcopy(obj)
    for key in ("uid", "resourceVersion", "creationTimestamp", "generation"):
        obj["metadata"].pop(key, None)
    return obj


class Fabric:
    def __init__(self, netbox, root: Path, entry: str, tmpdir: str):
        self.netbox = netbox
        self.root = root
        self.entry = entry
        self.tmpdir = tmpdir
        self.ticks = 0

    def tick(self, at: int) -> subprocess.CompletedProcess:
        """cron's minute at fake time ``at``: the entry's command with cron's bare environment."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.root), "LANG": "C.UTF-8", "SHELL": "/bin/sh",
               "TMPDIR": self.tmpdir, "HEDGEHOG_SYNC_NOW": str(at)}
        self.ticks += 1
        return subprocess.run(["/bin/sh", "-c", self.entry], env=env, capture_output=True, text=True, timeout=600,
                              check=False)

    def record(self) -> dict:
        (cluster,) = self.netbox.api.virtualization.clusters.filter(name="vlab")
        return dict(cluster.custom_fields, id=cluster.id)

    def last_success(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.record()["hedgehog_last_success"].replace("Z", "+00:00"))

    def names(self, endpoint: str) -> list[str]:
        app, model = endpoint.split(".")
        if endpoint == "dcim.interfaces":
            # The ports of the fabric's devices: those NetBox made from a device type carry no marker of their own.
            devices = [row.id for row in self.netbox.api.dcim.devices.filter(cf_hedgehog_fabric="vlab")]
            rows = self.netbox.api.dcim.interfaces.filter(device_id=devices) if devices else []
        else:
            rows = getattr(getattr(self.netbox.api, app), model).filter(cf_hedgehog_fabric="vlab")
        return sorted(str(row) for row in rows)

    def counts(self) -> dict:
        return {e: len(self.names(e)) for e in ("dcim.devices", "dcim.interfaces", "dcim.cables", "ipam.ip_addresses")}

    def journal(self) -> int:
        return len(list(self.netbox.api.extras.journal_entries.filter(assigned_object_type="virtualization.cluster",
                                                                      assigned_object_id=self.record()["id"])))

    def log(self) -> str:
        return (self.root / "log" / "vlab.log").read_text()


@pytest.fixture
def fabric(netbox, kube_standin_factory, kube_discovery_cache, tmp_path, run_playbook):
    kube = kube_standin_factory([VLAB])
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"hedgehog_fabrics": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "hosts": {"vlab": {"hedgehog_kubeconfig": str(kube.kubeconfig_path), "hedgehog_site": "VLAB",
                           "hedgehog_sync_interval": INTERVAL}}}}}}))
    (tmp_path / "cron.d").mkdir()
    (tmp_path / "bin").mkdir()
    # Root, not the default unprivileged user: the test bed's venv and collections live in root's home,
    # which no other user may enter (bootstrap would refuse, and say so).
    run_playbook("bootstrap.yml", inventory, {
        "schedule_cron_run_as": "root",
        "schedule_cron_file": str(tmp_path / "cron.d" / "hedgehog-netbox-sync"),
        "schedule_cron_wrapper": str(tmp_path / "bin" / "hedgehog-netbox-sync-run"),
        "schedule_cron_config": str(tmp_path / "etc" / "runner.conf"),
        "schedule_cron_env_file": str(tmp_path / "etc" / "netbox.env"),
        "schedule_cron_state_dir": str(tmp_path / "state"),
        "schedule_cron_log_dir": str(tmp_path / "log"),
    }, env={"NETBOX_API": netbox.url, "NETBOX_TOKEN": netbox.token_v2})
    line = (tmp_path / "cron.d" / "hedgehog-netbox-sync").read_text().splitlines()[1]
    minute, hour, day, month, weekday, user, command = line.split(None, 6)
    assert (minute, hour, day, month, weekday, user) == ("*", "*", "*", "*", "*", "root")
    assert netbox.token_v2 not in line
    handle = Fabric(netbox, tmp_path, command, str(kube_discovery_cache))
    handle.kube = kube
    return handle


def _synced(fabric, at, before=None):
    done = fabric.tick(at)
    assert done.returncode == 0, fabric.log()[-4000:]
    assert (done.stdout, done.stderr) == ("", "")
    success = fabric.last_success()
    if before is not None:
        assert success > before
    assert fabric.record()["hedgehog_last_result"] == "success"
    return success


def test_the_entry_syncs_each_time_it_is_due_following_the_source(fabric):
    first = _synced(fabric, T0)
    counts = fabric.counts()
    devices = fabric.names("dcim.devices")
    # The VLAB: 12 devices (its control node too), their 275 interfaces, 22 cables, 44 addresses; each device once.
    assert counts == {"dcim.devices": 12, "dcim.interfaces": 275, "dcim.cables": 22, "ipam.ip_addresses": 44}
    assert len(set(devices)) == len(devices)

    # Not due a minute later: nothing runs, nothing changes.
    assert fabric.tick(T0 + 60).returncode == 0
    assert fabric.last_success() == first and fabric.journal() == 1

    # Due again, the source unchanged: a new success, the same objects.
    second = _synced(fabric, T0 + INTERVAL + 5, first)
    assert fabric.counts() == counts

    # A changed field reaches NetBox.
    server = _object(fabric.kube, "Server", "server-05")
    server["spec"]["description"] = "S-05 moved to rack 7"
    fabric.kube.store.put(server)
    third = _synced(fabric, T0 + 2 * INTERVAL + 2, second)
    assert fabric.netbox.api.dcim.devices.get(name="server-05").description == "S-05 moved to rack 7"
    assert fabric.counts() == counts

    # A server that leaves the fabric leaves NetBox, with its cables.
    gone = [_object(fabric.kube, kind, name) for kind, name in (
        ("VPCAttachment", "server-04--bundled--leaf-02--vpc-04--subnet-01"),
        ("Connection", "server-04--bundled--leaf-02"), ("Server", "server-04"))]
    for obj in gone:
        _delete(fabric.kube, obj)
    fourth = _synced(fabric, T0 + 3 * INTERVAL + 1, third)
    assert fabric.names("dcim.devices") == sorted(set(devices) - {"server-04"})
    assert fabric.counts()["dcim.cables"] == counts["dcim.cables"] - 2

    # ... and comes back once, not twice.
    for obj in reversed(gone):
        fabric.kube.store.put(_fresh(obj))
    _synced(fabric, T0 + 4 * INTERVAL + 3, fourth)
    assert fabric.names("dcim.devices") == devices
    assert fabric.counts() == counts

    assert fabric.journal() == 5
    log = fabric.log()
    assert log.count("fabric=vlab start") == 5 and log.count("fabric=vlab end rc=0") == 5
    assert fabric.netbox.token_v2 not in log
    assert len(re.findall(r"late=\d+s", log)) == 5
    assert os.stat(fabric.root / "etc" / "netbox.env").st_mode & 0o077 == 0
