"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest

import sync_helpers as h


@pytest.fixture
def vlab_nb(fresh_netbox, netbox_testbed):
    """A NetBox of this test's own that holds the VLAB fabric as a first sync leaves it."""
    h.restore_vlab(netbox_testbed, fresh_netbox)
    return fresh_netbox
