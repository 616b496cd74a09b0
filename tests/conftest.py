"""Shared pytest set-up: the test bed package and its fixtures."""

import os
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

pytest_plugins = [
    "testbed.fixtures_netbox",
    "testbed.fixtures_kube",
]
