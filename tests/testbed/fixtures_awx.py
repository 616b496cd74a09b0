"""pytest fixtures for the AWX API stand-in (registered as a plugin by tests/conftest.py).

- ``awx_standin``: a fresh stand-in for the test, served over HTTP from a thread, stopped after it.
- ``awx_standin_factory``: ``make(**AwxStandin options)`` for a test that needs its own settings
  (TLS, a username and password, other playbooks).
- ``run_playbook``: ``run(playbook, inventory, extra_vars=None, env=None, check=True)`` runs one of
  the collection's playbooks with ansible-playbook, as a user would from the repo root, and returns
  a ``PlaybookRun`` (return code, output, the recap's counts per host).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testbed.awx_standin import AwxStandin
from testbed.paths import REPO_ROOT

COLLECTIONS_PATH = REPO_ROOT / ".ansible" / "collections"
RECAP_LINE = re.compile(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", re.MULTILINE)


@pytest.fixture
def awx_standin_factory(tmp_path: Path):
    started: list[AwxStandin] = []

    def make(**options) -> AwxStandin:
        options.setdefault("state_dir", tmp_path / ("awx-standin-%d" % len(started)))
        standin = AwxStandin(**options).start()
        started.append(standin)
        return standin

    yield make
    for standin in reversed(started):
        standin.stop()


@pytest.fixture
def awx_standin(awx_standin_factory) -> AwxStandin:
    """An empty AWX (the Default organization, managed credential types and default EEs) for this test."""
    return awx_standin_factory()


@dataclasses.dataclass
class PlaybookRun:
    argv: list
    returncode: int
    stdout: str
    stderr: str

    @property
    def recap(self) -> dict:
        """``{host: {"ok": n, "changed": n, "failed": n, ...}}`` from the PLAY RECAP."""
        hosts = {}
        for host, counts in RECAP_LINE.findall(self.stdout.split("PLAY RECAP")[-1]):
            hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
        return hosts

    def changed(self, host: str = "localhost") -> int:
        return self.recap[host]["changed"]

    def changed_tasks(self) -> list[str]:
        """The tasks that changed something, in the order they ran (a looped task once)."""
        return [block.split("]", 1)[0] for block in self.stdout.split("\nTASK [")[1:]
                if re.search(r"(?m)^changed: \[", block)]

    def debug_msg(self, task: str):
        """The ``msg`` that the debug task named ``task`` printed (parsed from its JSON)."""
        after = self.stdout.split("TASK [%s]" % task, 1)[1]
        body = after[after.index("=> {"):].split("\n}\n", 1)[0][3:] + "\n}"
        msg = json.loads(body)["msg"]
        return json.loads(msg) if isinstance(msg, str) and msg[:1] in "[{" else msg


def playbook_env(extra=None) -> dict:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PATH": "%s%s%s" % (Path(sys.executable).parent, os.pathsep, os.environ.get("PATH", "")),
    })
    for name in ("CONTROLLER_HOST", "CONTROLLER_OAUTH_TOKEN", "CONTROLLER_USERNAME", "CONTROLLER_PASSWORD",
                 "CONTROLLER_VERIFY_SSL"):
        env.pop(name, None)
    env.update(extra or {})
    return env


def playbook_runner():
    """``run(playbook, inventory, extra_vars=None, env=None, check=True, args=())``: runs
    playbooks/<playbook> of this collection with ansible-playbook from the repo root."""

    def run(playbook: str, inventory, extra_vars=None, env=None, check: bool = True, args=()) -> PlaybookRun:
        argv = [str(Path(sys.executable).parent / "ansible-playbook"), str(REPO_ROOT / "playbooks" / playbook),
                "-i", str(inventory)]
        for key, value in (extra_vars or {}).items():
            argv += ["-e", json.dumps({key: value})]
        argv += list(args)
        done = subprocess.run(argv, cwd=REPO_ROOT, env=playbook_env(env), capture_output=True, text=True,
                              timeout=900, check=False)
        result = PlaybookRun(argv, done.returncode, done.stdout, done.stderr)
        if check and done.returncode != 0:
            message = "%s failed (exit %d):\n%s\n%s" % (
                playbook, done.returncode, done.stdout[-6000:], done.stderr[-3000:])
            pytest.fail(message, pytrace=False)
        return result

    return run


@pytest.fixture
def run_playbook():
    """Runs playbooks/<name> of this collection with ansible-playbook from the repo root."""
    return playbook_runner()
