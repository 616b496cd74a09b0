"""pytest fixtures for bootstrap.yml with cron (registered as a plugin by tests/conftest.py).

- ``sync_user``: the name of a throwaway unprivileged user for the cron runs, one per test (its home is
  the state folder of the first bootstrap that makes it). bootstrap.yml makes it (as it makes
  ``hedgehog-sync`` by default); the fixture deletes it after the test. ``throwaway_user`` is the same
  for fixtures of a wider scope.
- ``install_tree``: a folder under /tmp that any user may enter (pytest's own temp folders are
  root's alone) holding a stand-in venv: ``venv/bin/ansible-playbook`` is a script that records its
  arguments. The run-as user must be able to read what its runs use, so the tests schedule from here.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

STUB_PLAYBOOK = """#!/bin/sh
# Stands in for ansible-playbook: records its arguments.
printf '%s\\n' "$*" >> "{calls}"
"""


def _user_exists(name: str) -> bool:
    return subprocess.run(["getent", "passwd", name], capture_output=True, check=False).returncode == 0


@contextmanager
def throwaway_user():
    if os.geteuid() != 0:
        pytest.skip("bootstrap.yml makes a system user for the cron runs, which needs root")
    name = "hhnbs-%s" % secrets.token_hex(4)
    try:
        yield name
    finally:
        if _user_exists(name):
            subprocess.run(["userdel", name], capture_output=True, check=False)


@pytest.fixture
def sync_user():
    with throwaway_user() as name:
        yield name


def new_install_tree() -> Path:
    """A fresh install tree (see the module's docstring); the caller removes it."""
    root = Path(tempfile.mkdtemp(prefix="hhnbs-cron-", dir="/tmp"))
    root.chmod(0o755)
    venv_bin = root / "venv" / "bin"
    venv_bin.mkdir(parents=True)
    (root / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    stub = venv_bin / "ansible-playbook"
    stub.write_text(STUB_PLAYBOOK.replace("{calls}", str(root / "calls")))
    stub.chmod(0o755)
    return root


@pytest.fixture
def install_tree():
    root = new_install_tree()
    yield root
    shutil.rmtree(root, ignore_errors=True)
