"""Shared pytest set-up: import paths for the collection and the test bed, and the test bed fixtures."""

import os
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(TESTS_DIR)
# The collection is imported as ansible_collections.hedgehog.netbox_sync from a
# repo-local collections folder whose entry links back to this checkout.
COLLECTIONS_DIR = os.path.join(REPO_ROOT, ".ansible", "collections")
_LINK = os.path.join(COLLECTIONS_DIR, "ansible_collections", "hedgehog", "netbox_sync")
if not os.path.lexists(_LINK):
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    os.symlink(os.path.relpath(REPO_ROOT, os.path.dirname(_LINK)), _LINK)

# scripts/ holds the maintainers' generators (scripts/switch-profiles), tested here too.
SCRIPTS_DIR = os.path.join(REPO_ROOT, "scripts")

for path in (TESTS_DIR, COLLECTIONS_DIR, SCRIPTS_DIR):
    if path not in sys.path:
        sys.path.insert(0, path)

pytest_plugins = [
    "testbed.fixtures_netbox",
    "testbed.fixtures_kube",
    "testbed.fixtures_awx",
    "testbed.fixtures_cron",
]
