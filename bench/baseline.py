"""The code the benchmark compares with: another commit's collection, unpacked beside the work folder.

``git archive`` of the commit's plugins (and galaxy.yml) into ``<work>/baseline/<commit>``,
with the ``ansible_collections/hedgehog/netbox_sync`` link a child process imports it by.
Nothing in the repository or its git metadata changes.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path


def resolve(repo, ref):
    """The full commit id of ``ref`` (``merge-base:BRANCH`` for where this branch left BRANCH)."""
    if ref.startswith("merge-base:"):
        out = subprocess.run(["git", "-C", str(repo), "merge-base", "HEAD", ref.split(":", 1)[1]],
                             capture_output=True, text=True, check=True)
    else:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", ref + "^{commit}"],
                             capture_output=True, text=True, check=True)
    return out.stdout.strip()


def prepare(repo, ref, work):
    """(commit, collections folder) of the baseline code, unpacked once per commit."""
    commit = resolve(repo, ref)
    root = Path(work) / "baseline" / commit[:12]
    link = root / "collections" / "ansible_collections" / "hedgehog" / "netbox_sync"
    if not link.exists():
        tree = root / "tree"
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", commit, "plugins", "galaxy.yml"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tree, filter="data")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(tree, target_is_directory=True)
    return commit, root / "collections"
