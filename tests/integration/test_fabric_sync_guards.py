"""Deletion guards: on doubtful grounds nothing is deleted, nothing at all is written, and the message says why.

Every test starts from the VLAB synced into NetBox, then serves a fabric from
the Kubernetes stand-in that would make the run delete something.
"""

from __future__ import annotations

import pytest

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import GuardError, KubernetesAPIError


def _without_server(kube, number):
    """The fabric minus one server with its connection and VPC attachment."""
    connection = next(o["metadata"]["name"] for o in h.fixture_objects("Connection")
                      if o["metadata"]["name"].startswith("server-%02d--" % number))
    for attachment in h.fixture_objects("VPCAttachment"):
        if attachment["spec"]["connection"] == connection:
            h.standin_delete(kube, "VPCAttachment", attachment["metadata"]["name"])
    h.standin_delete(kube, "Connection", connection)
    h.standin_delete(kube, "Server", "server-%02d" % number)


def _refused(vlab_nb, config, match):
    """Run, expect the guard, and show that NetBox saw no write at all."""
    before_log = h.change_count(vlab_nb)
    before = h.state_of(vlab_nb)
    client = h.client_for(config)
    with pytest.raises(GuardError, match=match) as caught:
        h.sync(config, client=client)
    assert client.request_counts()["writes"] == 0
    assert h.change_count(vlab_nb) == before_log
    assert h.state_of(vlab_nb) == before
    assert str(caught.value).startswith("fabric %s: refusing to delete " % config.fabric)
    return caught.value


@pytest.mark.parametrize("fault", ["error", "cut-json", "short-body"])
def test_an_incomplete_read_blocks_every_deletion_even_with_force(vlab_nb, kube_standin_factory, fault):
    kube = kube_standin_factory([h.VLAB])
    _without_server(kube, 3)
    # Catalogs are not wiring: a failed read of them is survivable, but the fabric's state is then unknown.
    if fault == "error":
        kube.faults.fail(500, count=0, path="/catalogs")
    else:
        kube.faults.truncate(count=0, mode=fault, path="/catalogs")

    error = _refused(vlab_nb, h.config_for(vlab_nb, kube), r"the read of Catalog failed or was cut short")
    assert error.details["guard"] == "incomplete_source"
    assert "catalogs" in str(error)
    _refused(vlab_nb, h.config_for(vlab_nb, kube, force=True), r"the read of Catalog failed")

    # With the read whole again the deletion goes through.
    kube.faults.clear()
    result, _run = h.sync(h.config_for(vlab_nb, kube))
    assert result["summary"]["device"]["delete"] == 1


def test_a_failed_read_holds_only_what_depends_on_it(vlab_nb, kube_standin_factory):
    """The Fabricator tells the release, nothing of the devices: a renamed server's description is written."""
    kube = kube_standin_factory([h.VLAB])
    server = h.standin_object(kube, "Server", "server-05")
    server["spec"]["description"] = "S-05 renamed"
    kube.store.put(server)
    kube.faults.fail(503, count=0, path="/fabricators")

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert result["result"] == "partial"
    assert list(result["source"]["incomplete"]) == ["Fabricator"]
    assert [(p["kind"], p["name"]) for p in result["problems"]] == [("source", "Fabricator")]
    assert "HTTP 503 from /apis/fabricator.githedgehog.com/v1beta1/namespaces/fab/fabricators" in (
        result["problems"][0]["cause"])
    assert h.write_ops(result) == {"device": {"update": 1}}
    assert h.api_list(vlab_nb, "dcim/devices", name="server-05")[0]["description"] == "S-05 renamed"

    kube.faults.clear()
    result, _run = h.sync(h.config_for(vlab_nb, kube))
    assert result["result"] == "success"
    assert h.write_ops(result) == {}


def test_an_incomplete_read_clears_no_fact_it_could_not_read(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    kube.faults.fail(503, count=0, path="/catalogs")
    before_log = h.change_count(vlab_nb)
    vrfs = h.api_list(vlab_nb, "ipam/vrfs", cf_hedgehog_fabric="vlab")
    # The VPCs' VRFs carry VNIs; the namespace's and the underlay's have none to lose.
    vpc_vrfs = [v for v in vrfs if v["description"].startswith("VPC ")]
    assert len(vpc_vrfs) == 6 and all(v["custom_fields"]["hedgehog_vni"] for v in vpc_vrfs)

    result, _run = h.sync(h.config_for(vlab_nb, kube))

    assert list(result["source"]["incomplete"]) == ["Catalog"]
    assert result["result"] == "partial"
    # Without the Catalog the VPCs have no VNIs: every VRF would have lost its VNI.
    assert h.write_ops(result) == {}
    assert result["summary"]["vrf"]["kept"] == len(vpc_vrfs)
    source = [p for p in result["problems"] if p["kind"] == "source"]
    assert len(source) == 1 and "HTTP 503 from /apis/agent.githedgehog.com/v1beta1/namespaces/default/catalogs" in (
        source[0]["cause"])
    held = h.problems_of(result, "held", "Catalog")
    assert len(held) == 1 and "change(s) held as NetBox has them while it cannot be used: " in held[0], held
    assert "VRF vpc-01 (hedgehog_vni)" in held[0]
    assert h.change_count(vlab_nb) == before_log
    assert h.api_list(vlab_nb, "ipam/vrfs", cf_hedgehog_fabric="vlab") == vrfs


def test_a_failed_read_of_the_wiring_stops_the_run_before_any_write(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    _without_server(kube, 3)
    kube.faults.fail(503, count=0, path="/servers")
    config = h.config_for(vlab_nb, kube)
    before_log = h.change_count(vlab_nb)
    with pytest.raises(KubernetesAPIError) as caught:
        h.sync(config)
    assert "fabric vlab" in str(caught.value)
    assert "/apis/wiring.githedgehog.com/v1beta1/namespaces/default/servers" in str(caught.value)
    assert h.change_count(vlab_nb) == before_log


def test_an_empty_source_deletes_nothing_unless_forced(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([])
    owned = h.owned_counts(vlab_nb, "vlab")

    error = _refused(vlab_nb, h.config_for(vlab_nb, kube), r"the source has no switches, servers or connections")
    assert error.details["guard"] == "empty_source"
    assert "set force: true" in str(error)
    assert "NetBox holds %d object(s)" % error.details["owned"] in str(error)

    result, _run = h.sync(h.config_for(vlab_nb, kube, force=True))

    assert result["summary"]["device"]["delete"] == 12
    remaining = h.owned_counts(vlab_nb, "vlab")
    for kind in ("device", "interface", "cable", "ip_address", "prefix"):
        assert remaining[kind] == 0, (kind, remaining)
    assert owned["device"] == 12
    # Shared objects stay for other fabrics and people.
    assert h.api_count(vlab_nb, "dcim/device-types", slug="vs") == 1
    assert h.api_count(vlab_nb, "dcim/sites", slug="vlab") == 1


def test_a_source_that_lost_most_of_the_fabric_trips_the_ratio_guard(vlab_nb, kube_standin_factory):
    """Only the spines left: their ports, LAGs and the rest that go with the leaves and servers count too."""
    kube = kube_standin_factory([h.VLAB])
    for number in range(1, 7):
        _without_server(kube, number)
    for connection in h.fixture_objects("Connection"):
        if connection["metadata"]["name"].startswith("spine-"):
            h.standin_delete(kube, "Connection", connection["metadata"]["name"])
    for leaf in ("leaf-01", "leaf-02", "leaf-03"):
        h.standin_delete(kube, "Switch", leaf)

    error = _refused(vlab_nb, h.config_for(vlab_nb, kube), r"refusing to delete \d+ of \d+ object\(s\) \(\d+% > "
                                                           r"max_delete_ratio 30%\); set force: true")
    # Owned (carrying the marker): the record 1, VLAN group 1, VRFs 8, VLANs 6, devices 12, LAGs 10, ports 20 (8
    # loopbacks, 10 server ports, 2 of the control node), prefixes 19, IP ranges 6, addresses 44, cables 22, MACs
    # 5, transceivers 34: 188. The switches' 5 x 49 ports NetBox made from the device type belong to them and
    # count with neither. Going: the 9 devices of the 3 leaves and 6 servers, all 22 cables, 33 addresses, the
    # leaves' 3 MACs and the 12 fabric /31s (79 actions), and with the devices their marked ports (the leaves' 3
    # x 2 loopbacks, the servers' 10), the 10 LAGs and the leaves' 22 transceivers: 127.
    assert error.details == {"guard": "max_delete_ratio", "deletions": 79 + 6 + 10 + 10 + 22,
                             "owned": 1 + 1 + 8 + 6 + 12 + 10 + 20 + 19 + 6 + 44 + 22 + 5 + 34}
    assert "refusing to delete %(deletions)d of %(owned)d object(s)" % error.details in str(error)

    # A ratio above the plan's lets it through, and so does force.
    ratio = float(error.details["deletions"]) / error.details["owned"]
    checked, _run = h.sync(h.config_for(vlab_nb, kube, max_delete_ratio=min(1.0, ratio + 0.01)), check_mode=True)
    assert checked["summary"]["device"]["delete"] == 9
    result, _run = h.sync(h.config_for(vlab_nb, kube, force=True))
    assert result["summary"]["device"]["delete"] == 9
    assert sorted(d["name"] for d in h.api_list(vlab_nb, "dcim/devices", cf_hedgehog_fabric="vlab")) == [
        "control-1", "spine-01", "spine-02"]


def test_a_small_deletion_passes_the_ratio_guard(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    _without_server(kube, 4)
    # The same plan trips a ratio of zero...
    _refused(vlab_nb, h.config_for(vlab_nb, kube, max_delete_ratio=0.0), r"max_delete_ratio 0%")
    # ...and passes the default.
    result, _run = h.sync(h.config_for(vlab_nb, kube))
    assert result["summary"]["device"]["delete"] == 1
