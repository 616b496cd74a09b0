"""Prune policies: delete (the default, see the change tests), mark then delete after the grace, keep."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import sync_helpers as h

GRACE = 3600
# Long after the fixture's agents last reported: the switches are offline at every run here, as in the saved VLAB.
START = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
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
    start = START

    marked, _run = h.sync(config, now=start)

    # leaf-01 E1/3 is the switch's, not the server's: it loses the VPC's VLAN like any port whose attachment went.
    assert h.write_ops(marked) == {"device": {"mark": 1}, "cable": {"mark": 1}, "interface": {"update": 1}}
    assert h.interface(vlab_nb, "leaf-01", "E1/3")["mode"] is None
    server = _server(vlab_nb)
    assert server["status"]["value"] == "offline"
    assert _tags(server) == ["hedgehog-orphan", "hedgehog-sync"]
    assert server["custom_fields"]["hedgehog_orphaned_since"] == "2026-12-01T12:00:00Z"
    cable = _cable(vlab_nb)
    assert _marked(cable) == ("decommissioning", ["hedgehog-orphan", "hedgehog-sync"], "2026-12-01T12:00:00Z")
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
    later, _run = h.sync(config, now=START + timedelta(days=365))
    assert later["requests"]["netbox"]["writes"] == 0
    assert _server(vlab_nb)["status"]["value"] == "active"
    assert _tags(_server(vlab_nb)) == ["hedgehog-sync"]


# -- every kind mark knows -------------------------------------------------------------------------

LINK = "spine-01--fabric--leaf-01"
SUBNET = "10.0.106.0/24"


def _with_second_subnet(kube):
    vpc = h.standin_object(kube, "VPC", "vpc-06")
    vpc["spec"]["subnets"]["subnet-02"] = {
        "subnet": SUBNET, "gateway": "10.0.106.1", "vlan": 1106,
        "dhcp": {"enable": True, "range": {"start": "10.0.106.10", "end": "10.0.106.99"}}}
    kube.store.put(vpc)


def _one(nb, endpoint, **params):
    rows = h.api_list(nb, endpoint, **params)
    assert len(rows) == 1, (endpoint, params, rows)
    return rows[0]


def _marked(row, status_field="status"):
    """(its status or enabled, its tags, its orphan stamp)."""
    state = row[status_field]["value"] if status_field == "status" else row[status_field]
    return state, _tags(row), row["custom_fields"]["hedgehog_orphaned_since"]


def test_mark_covers_addresses_prefixes_ranges_vlans_ports_and_cables(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    _with_second_subnet(kube)
    config = h.config_for(vlab_nb, kube, prune="mark", orphan_grace=GRACE)
    added, _run = h.sync(config, now=START)
    assert h.write_ops(added) == {"vlan": {"create": 1}, "prefix": {"create": 1}, "ip_range": {"create": 1},
                                  "ip_address": {"create": 1}}
    # The subnet goes again, and so do a fabric link (two cables, their /31s and addresses) and server-03's
    # connection (its cable and its port; the server stays).
    kube.reload()
    h.standin_delete(kube, "Connection", LINK)
    h.standin_delete(kube, "VPCAttachment", ATTACHMENT)
    h.standin_delete(kube, "Connection", CONNECTION)

    marked, _run = h.sync(config, now=START + timedelta(seconds=60))

    print(h.write_ops(marked))
    stamp = "2026-12-01T12:01:00Z"
    vrf = _one(vlab_nb, "ipam/vrfs", name="vpc-06")["id"]
    assert _marked(_one(vlab_nb, "ipam/vlans", vid=1106, cf_hedgehog_fabric="vlab")) == (
        "deprecated", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    assert _marked(_one(vlab_nb, "ipam/prefixes", prefix=SUBNET, vrf_id=vrf)) == (
        "deprecated", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    assert _marked(_one(vlab_nb, "ipam/ip-ranges", start_address="10.0.106.10", vrf_id=vrf)) == (
        "deprecated", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    assert _marked(_one(vlab_nb, "ipam/ip-addresses", address="10.0.106.1/24", vrf_id=vrf)) == (
        "deprecated", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    for prefix in ("172.30.128.0/31", "172.30.128.2/31"):
        assert _marked(_one(vlab_nb, "ipam/prefixes", prefix=prefix, cf_hedgehog_fabric="vlab")) == (
            "deprecated", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    for address in ("172.30.128.0/31", "172.30.128.1/31", "172.30.128.2/31", "172.30.128.3/31"):
        assert _marked(_one(vlab_nb, "ipam/ip-addresses", address=address, cf_hedgehog_fabric="vlab")) == (
            "deprecated", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    assert _marked(h.interface(vlab_nb, SERVER, "enp2s1"), "enabled") == (
        False, ["hedgehog-orphan", "hedgehog-sync"], stamp)
    for label in (LINK, CONNECTION):
        for cable in h.api_list(vlab_nb, "dcim/cables", label=label):
            assert _marked(cable) == ("decommissioning", ["hedgehog-orphan", "hedgehog-sync"], stamp)
    assert _server(vlab_nb)["status"]["value"] == "active"

    # Within the grace nothing moves; past it, all of it goes.
    waiting, _run = h.sync(config, now=START + timedelta(seconds=GRACE))
    assert waiting["requests"]["netbox"]["writes"] == 0
    gone, _run = h.sync(config, now=START + timedelta(seconds=GRACE + 120))
    print(h.write_ops(gone))
    assert h.api_list(vlab_nb, "ipam/prefixes", prefix=SUBNET) == []
    assert h.api_list(vlab_nb, "ipam/vlans", vid=1106) == []
    assert h.api_list(vlab_nb, "dcim/cables", label=LINK) == []
    assert h.api_count(vlab_nb, "dcim/interfaces", device=SERVER) == 0
    settled, _run = h.sync(config, now=START + timedelta(seconds=GRACE + 180))
    assert settled["requests"]["netbox"]["writes"] == 0
