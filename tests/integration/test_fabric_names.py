"""A fabric name that could split a cron line or escape a folder is refused wherever a name enters.

The module, role fabric_sync (before it builds the metrics file's path from the host name) and the
scheduling roles share one rule; none of these runs gets as far as NetBox, so none needs it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from testbed.fixtures_awx import REPO_ROOT, playbook_env

CHARACTERS = "may hold only letters, digits, '.', '_' and '-', and must start with a letter or a digit"
REFUSED = {
    "vlab\n": "fabric name 'vlab\\\\n' " + CHARACTERS,
    "../x": "fabric name '../x' " + CHARACTERS,
    "a/b": "fabric name 'a/b' " + CHARACTERS,
    "x" * 64: "fabric name '%s' is 64 characters long; at most 63 are allowed" % ("x" * 64),
}


def _inventory(path, hosts):
    path.write_text(yaml.safe_dump({"all": {"children": {"hedgehog_fabrics": {
        "vars": {"ansible_connection": "local"}, "hosts": hosts}}}}))
    return path


def _files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("name", REFUSED)
def test_sync_refuses_a_host_name_before_building_the_metrics_path_from_it(tmp_path, run_playbook, name):
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    inventory = _inventory(tmp_path / "inventory.yml", {name: {
        "hedgehog_metrics_dir": str(metrics), "hedgehog_wiring_dir": str(tmp_path),
        "netbox_url": "http://127.0.0.1:9", "netbox_token": "unused"}})

    run = run_playbook("sync.yml", inventory, {"fabric": "all"}, check=False)

    assert run.returncode == 2
    assert "TASK [hedgehog.netbox_sync.fabric_sync : Check the fabric's name]" in run.stdout
    assert '"msg": "%s"' % REFUSED[name] in run.stdout
    assert "Sync the fabric into NetBox" not in run.stdout
    assert _files_under(tmp_path) == ["inventory.yml", "metrics"]


def test_the_module_refuses_a_bad_name_and_writes_no_metrics(tmp_path):
    metrics = tmp_path / "metrics"
    arguments = {"fabric": "a/b", "wiring_dir": str(tmp_path), "netbox_url": "http://127.0.0.1:9",
                 "netbox_token": "unused", "metrics_file": str(metrics / "hedgehog_netbox_sync_a/b.prom")}
    done = subprocess.run([str(Path(sys.executable).parent / "ansible"), "localhost",
                           "-m", "hedgehog.netbox_sync.fabric_sync", "-a", json.dumps(arguments)],
                          cwd=REPO_ROOT, env=playbook_env(),
                          capture_output=True, text=True, timeout=300, check=False)

    assert done.returncode == 2, done.stdout + done.stderr
    assert '"msg": "fabric name \'a/b\' %s"' % CHARACTERS in done.stdout
    assert '"error": "ConfigError"' in done.stdout
    assert not metrics.exists()


def test_bootstrap_refuses_a_name_with_a_newline_and_writes_no_cron_line(tmp_path, run_playbook):
    (tmp_path / "cron.d").mkdir()
    cron_file = tmp_path / "cron.d" / "hedgehog-netbox-sync"
    inventory = _inventory(tmp_path / "inventory.yml", {"vlab\n": {}, "ok": {}})

    run = run_playbook("bootstrap.yml", inventory, {"schedule_cron_file": str(cron_file),
                                                    "schedule_cron_wrapper": str(tmp_path / "run"),
                                                    "schedule_cron_config": str(tmp_path / "etc" / "runner.conf"),
                                                    "schedule_cron_env_file": str(tmp_path / "etc" / "netbox.env"),
                                                    "schedule_cron_state_dir": str(tmp_path / "state"),
                                                    "schedule_cron_log_dir": str(tmp_path / "log")}, check=False)

    assert run.returncode == 2
    assert '"msg": "%s"' % REFUSED["vlab\n"] in run.stdout
    assert not cron_file.exists()
    assert _files_under(tmp_path) == ["cron.d", "inventory.yml"]
