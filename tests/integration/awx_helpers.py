"""Shared helpers of the AWX tests: the fabrics, the API client, bootstrap runs and running a job as AWX would.

No AWX can run here; the AWX API stand-in (tests/testbed/awx_standin.py) answers as AWX does, and
``run_job`` runs playbooks/sync.yml with what AWX would hand ansible-playbook for a job of it: the
environment its credentials inject (and nothing of this process's own NetBox or Kubernetes
settings) and the job's extra variables with AWX's own ``awx_*`` variables.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests
import yaml

from testbed.awx_standin import AwxStandin
from testbed.fixtures_awx import COLLECTIONS_PATH, REPO_ROOT, PlaybookRun

NETBOX_TOKEN = "nbt_awxbootstrap1.Awx-Secret-Not-Echoed-0123456789abcdef"
K8S_TOKEN = "k8s-fabric-b-bearer-token-0123456789"
FABRICS = {
    "fab-a": {"hedgehog_sync_interval": 60},
    "fab-b": {"hedgehog_sync_interval": 420,
              "hedgehog_awx_credential_inputs": {"host": "https://172.30.0.1:6443", "api_key": K8S_TOKEN}},
    "fab-c": {"hedgehog_sync_interval": 300, "hedgehog_sync_enabled": False},
}
NETBOX_ENV = {"NETBOX_API": "https://netbox.example.com", "NETBOX_TOKEN": NETBOX_TOKEN}
# The operator's own repository, pinned to a commit.
PROJECT = {"schedule_awx_project_scm_url": "https://git.example.com/netops/fabrics.git",
           "schedule_awx_project_scm_branch": "4f2c9e1d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d"}


class Api:
    def __init__(self, standin: AwxStandin, token=None):
        self.standin = standin
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer %s" % (token or standin.token)

    def __call__(self, method, path, body=None, **params):
        response = self.session.request(method, self.standin.url + path, json=body, params=params, timeout=30)
        return response.status_code, (response.json() if response.content else None)

    def make(self, path, body):
        status, payload = self("POST", path, body)
        assert status == 201, payload
        return payload


def write_inventory(path, fabrics):
    path.write_text(yaml.safe_dump({"all": {"children": {"hedgehog_fabrics": {"hosts": fabrics}}}}))
    return path


class AwxBed:
    def __init__(self, root, standin, run_playbook):
        self.root = root
        self.standin = standin
        self.run_playbook = run_playbook

    def run(self, playbook, fabrics, extra_vars=None, env=None, check=True):
        inventory = write_inventory(self.root / "inventory.yml", fabrics)
        environ = dict(self.standin.env(), **NETBOX_ENV)
        environ.update(env or {})
        # NetBox here is a name that does not resolve: the UI part has tests of its own.
        variables = dict({"scheduler": "awx", "netbox_ui": False}, **PROJECT)
        variables.update(extra_vars or {})
        return self.run_playbook(playbook, inventory, variables, env=environ, check=check)

    def bootstrap(self, fabrics, **kwargs):
        return self.run("bootstrap.yml", fabrics, **kwargs)

    def one(self, plural, **match):
        (found,) = self.standin.objects(plural, **match)
        return found

    def schedules(self) -> dict:
        return {s["name"]: s for s in self.standin.objects("schedules")}


def run_job(standin, job_id: int, root: Path, fabrics: dict, host_vars: dict | None = None) -> PlaybookRun:
    """playbooks/sync.yml as AWX would run job ``job_id``: its inventory, environment and extra variables.

    ``fabrics`` are the inventory's hosts (the project's inventory file); each also gets
    ``host_vars`` and runs on the controller, as in the collection's example inventory.
    """
    runtime = standin.job_runtime(job_id, root / "private")
    hosts = {name: dict(values, ansible_connection="local",
                        ansible_python_interpreter="{{ ansible_playbook_python }}", **(host_vars or {}))
             for name, values in fabrics.items()}
    inventory = write_inventory(root / "job-inventory.yml", hosts)
    extra_vars = root / "extra_vars.json"
    extra_vars.write_text(json.dumps(runtime["extra_vars"]))
    # An execution environment's variables: none of this test process's NetBox or Kubernetes settings.
    env = {"PATH": "%s%s/usr/bin:/bin" % (Path(sys.executable).parent, os.pathsep), "HOME": str(root),
           "LANG": "C.UTF-8", "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
           "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
           "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_DEPRECATION_WARNINGS": "0"}
    env.update(runtime["env"])
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO_ROOT / "playbooks" / "sync.yml"),
            "-i", str(inventory), "-e", "@%s" % extra_vars]
    done = subprocess.run(argv, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    return PlaybookRun(argv, done.returncode, done.stdout, done.stderr)
