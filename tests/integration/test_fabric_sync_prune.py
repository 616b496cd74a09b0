"""Prune policies: delete (the default, see the change tests), mark then delete after the grace, keep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import sync_helpers as h

GRACE = 3600
SERVER = "server-03"
CONNECTION = "server-03--unbundled--leaf-01"
ATTACHMENT = "server-03--unbundled--leaf-01--vpc-03--subnet-01"


@pytest.fixture
def kube(kube_standin_factory):
    """The VLAB minus server-03 (and its connection and VPC attachment)."""
    standin = kube_standin_factory([h.VLAB])
    for kind, name in (("VPCAttachment", ATTACHMENT), ("Connection", CONNECTION), ("Server", SERVER)):
        h.standin_delete(standin, kind, name)
    return standin


def _server(vlab_nb):
    rows = h.api_list(vlab_nb, "dcim/devices", name=SERVER)
    return rows[0] if rows else None


def _cable(vlab_nb):
    rows = h.api_list(vlab_nb, "dcim/cables", label=CONNECTION)
    return rows[0] if rows else None


def _tags(row):
    return sorted(t["slug"] for t in row["tags"])


def test_mark_flags_orphans_then_deletes_them_after_the_grace(vlab_nb, kube):
    config = h.config_for(vlab_nb, kube, prune="mark", orphan_grace=GRACE)
    start = datetime.now(timezone.utc)

    marked, _run = h.sync(config, now=start)

    # leaf-01 E1/3 is the switch's, not the server's: it loses the VPC's VLAN like any port whose attachment went.
    assert h.write_ops(marked) == {"device": {"mark": 1}, "cable": {"mark": 1}, "interface": {"update": 1}}
    assert h.interface(vlab_nb, "leaf-01", "E1/3")["mode"] is None
    server = _server(vlab_nb)
    assert server["status"]["value"] == "offline"
    assert _tags(server) == ["hedgehog-orphan", "hedgehog-sync"]
    since = datetime.fromisoformat(server["custom_fields"]["hedgehog_orphaned_since"].replace("Z", "+00:00"))
    assert abs((since - start).total_seconds()) < 2
    cable = _cable(vlab_nb)
    assert cable["status"]["value"] == "decommissioning"
    assert "hedgehog-orphan" in _tags(cable)
    # Its ports went with nothing: they are the device's.
    assert h.api_count(vlab_nb, "dcim/interfaces", device=SERVER) == 1

    # Within the grace: kept as they are, nothing written.
    waiting, _run = h.sync(config, now=start + timedelta(seconds=GRACE - 60))
    assert waiting["requests"]["netbox"]["writes"] == 0
    assert waiting["summary"]["device"]["kept"] == 1
    assert waiting["summary"]["cable"]["kept"] == 1

    # Past the grace: deleted.
    gone, _run = h.sync(config, now=start + timedelta(seconds=GRACE + 60))
    assert h.write_ops(gone) == {"device": {"delete": 1}, "cable": {"delete": 1}}
    assert _server(vlab_nb) is None and _cable(vlab_nb) is None

    settled, _run = h.sync(config, now=start + timedelta(seconds=GRACE + 120))
    assert settled["requests"]["netbox"]["writes"] == 0


def test_an_orphan_that_comes_back_is_unmarked(vlab_nb, kube):
    config = h.config_for(vlab_nb, kube, prune="mark", orphan_grace=GRACE)
    h.sync(config)
    assert _server(vlab_nb)["status"]["value"] == "offline"
    kube.reload()  # the fixture files again, server-03 included

    back, _run = h.sync(config)

    assert h.write_ops(back) == {"device": {"update": 1}, "cable": {"update": 1}, "interface": {"update": 1}}
    server = _server(vlab_nb)
    assert server["status"]["value"] == "active"
    assert _tags(server) == ["hedgehog-sync"]
    assert server["custom_fields"]["hedgehog_orphaned_since"] is None
    cable = _cable(vlab_nb)
    assert cable["status"]["value"] == "connected"
    assert _tags(cable) == ["hedgehog-sync"]
    settled, _run = h.sync(config)
    assert settled["requests"]["netbox"]["writes"] == 0


def test_keep_never_deletes_nor_marks(vlab_nb, kube):
    config = h.config_for(vlab_nb, kube, prune="keep")
    # Every object, not only the marked ones: the fabric's switch ports carry no marker of their own.
    before = h.state_of(vlab_nb, endpoints=list(h.OWNED_ENDPOINTS.values()))

    kept, _run = h.sync(config)

    # Only leaf-01 E1/3 changes: the switch's port loses the VPC's VLAN.
    assert h.write_ops(kept) == {"interface": {"update": 1}}
    assert kept["summary"]["device"]["kept"] == 1
    assert kept["summary"]["cable"]["kept"] == 1
    diff = h.state_diff(before, h.state_of(vlab_nb, endpoints=list(h.OWNED_ENDPOINTS.values())))
    assert diff == {"removed": [], "added": [], "touched": ["dcim/interfaces: leaf-01 E1/3"]}
    # However long it has been gone.
    later, _run = h.sync(config, now=datetime.now(timezone.utc) + timedelta(days=365))
    assert later["requests"]["netbox"]["writes"] == 0
    assert _server(vlab_nb)["status"]["value"] == "active"
    assert _tags(_server(vlab_nb)) == ["hedgehog-sync"]
