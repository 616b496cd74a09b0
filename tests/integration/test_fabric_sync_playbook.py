"""The operator's path: ansible-playbook -i inventory playbooks/sync.yml -e fabric=vlab, against the stand-in.

--check first (nothing written), then a run that lands the fabric, then a run that changes nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import sync_helpers as h

ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
PLAYBOOK_TIMEOUT = 600


def _playbook(nb, kube, *args):
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": str(h.REPO_ROOT / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(h.REPO_ROOT / ".ansible" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "K8S_AUTH_KUBECONFIG": str(kube.kubeconfig_path),
        "NETBOX_API": nb.url,
        "NETBOX_TOKEN": nb.token,
    })
    completed = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "inventory", "playbooks/sync.yml", *args],
        cwd=h.REPO_ROOT, env=env, capture_output=True, text=True, timeout=PLAYBOOK_TIMEOUT, check=False)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    return output


def _recap(output, host):
    """The PLAY RECAP counters of ``host``."""
    line = re.search(r"^%s\s+:\s+(.*)$" % re.escape(host), output, re.MULTILINE)
    assert line, output
    return dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", line.group(1)))


def test_sync_playbook_lands_the_fabric_and_a_second_run_changes_nothing(fresh_netbox, kube_standin_factory):
    nb = fresh_netbox
    kube = kube_standin_factory([h.VLAB])

    checked = _playbook(nb, kube, "-e", "fabric=vlab", "--check", "--diff")
    assert _recap(checked, "vlab")["changed"] == 1
    assert "device leaf-01 (create)" in checked
    assert h.change_count(nb) == 0

    first = _playbook(nb, kube, "-e", "fabric=vlab")
    assert _recap(first, "vlab")["changed"] == 1
    assert _recap(first, "vlab")["failed"] == 0
    assert re.search(r"vlab: success, [1-9]\d* NetBox write\(s\)", first), first
    # The switches, the servers and the control node.
    assert h.owned_counts(nb, "vlab")["device"] == 12
    assert h.owned_counts(nb, "vlab")["cable"] == 22
    record = h.api_list(nb, "virtualization/clusters", name="vlab")[0]
    assert record["custom_fields"]["hedgehog_last_result"] == "success"

    second = _playbook(nb, kube, "-e", "fabric=vlab")
    assert _recap(second, "vlab")["changed"] == 0
    assert "vlab: success, 0 NetBox write(s)" in second

    # Every enabled fabric: the same answer for vlab; the disabled planning fabric is left out.
    everything = _playbook(nb, kube, "-e", "fabric=all")
    assert _recap(everything, "vlab")["changed"] == 0
    assert _recap(everything, "vlab-wiring")["changed"] == 0
    assert "vlab-wiring: success" not in everything
    assert h.api_count(nb, "dcim/sites", slug="vlab-plan") == 0
