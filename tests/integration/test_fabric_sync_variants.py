"""Other fabric shapes: the old MCLAG topology of 25.03 and the current one with gateways and an external.

Each lands in an empty NetBox from the Kubernetes stand-in, and its second run writes nothing.
"""

from __future__ import annotations

from collections import Counter

import sync_helpers as h


def _land(nb, kube_standin_factory, name):
    kube = kube_standin_factory([h.FIXTURES / name])
    config = h.config_for(nb, kube, fabric=name, site=name)
    first, _run = h.sync(config)
    before_log = h.change_count(nb)
    again, _run = h.sync(config)
    assert again["changed"] is False, h.write_ops(again)
    assert again["requests"]["netbox"]["writes"] == 0
    assert h.change_count(nb) == before_log
    assert again["warnings"] == first["warnings"]
    return first


def _cable_types(nb, site):
    return Counter(c["custom_fields"]["hedgehog_connection_type"] for c in h.api_list(nb, "dcim/cables", site=site))


def test_the_mclag_topology_of_25_03_lands_and_resyncs_without_writes(fresh_netbox, kube_standin_factory):
    nb = fresh_netbox
    result = _land(nb, kube_standin_factory, "vlab-mclag")

    assert result["warnings"] == [h.plain_http(nb)]
    # 25.03 has no Fabricator.status.release: only the fabric's component version tells it.
    assert "v0.81.1" in result["release"]
    devices = dict((d["name"], d) for d in h.api_list(nb, "dcim/devices", site="vlab-mclag"))
    assert len(devices) == 18
    assert Counter(d["role"]["slug"] for d in devices.values()) == {"spine": 2, "server-leaf": 5, "server": 10,
                                                                    "control-node": 1}
    for leaf in ("leaf-01", "leaf-02"):
        assert devices[leaf]["custom_fields"]["hedgehog_redundancy_group"] == "mclag-1"
        assert devices[leaf]["custom_fields"]["hedgehog_redundancy_type"] == "mclag"
    assert devices["leaf-01"]["custom_fields"]["hedgehog_asn"] == devices["leaf-02"]["custom_fields"]["hedgehog_asn"]
    # NetBox puts an IP on one interface: the VTEP the pair shares goes on the pair's first switch.
    vteps = h.api_list(nb, "ipam/ip-addresses", address="172.30.12.0/32")
    assert [(ip["assigned_object"]["device"]["name"], ip["assigned_object"]["name"]) for ip in vteps] == [
        ("leaf-01", "Loopback2")]

    assert _cable_types(nb, "vlab-mclag") == {"fabric": 20, "vpcLoopback": 10, "bundled": 6, "mclag": 4, "eslag": 4,
                                              "mclagDomain": 4, "unbundled": 3}
    label, ends = h.cable_ends(nb, h.interface(nb, "leaf-01", "E1/3")["cable"]["id"])
    assert (label, ends) == ("leaf-01--mclag-domain--leaf-02", [("leaf-01", "E1/3"), ("leaf-02", "E1/3")])
    label, ends = h.cable_ends(nb, h.interface(nb, "leaf-01", "E1/12")["cable"]["id"])
    assert (label, ends) == ("leaf-01--vpc-loopback", [("leaf-01", "E1/12"), ("leaf-01", "E1/13")])

    lags = h.api_list(nb, "dcim/interfaces", site="vlab-mclag", type="lag")
    assert len(lags) == 18
    mclag = dict((lag["device"]["name"], lag) for lag in lags
                 if lag["custom_fields"]["hedgehog_connection"] == "server-01--mclag--leaf-01--leaf-02")
    assert sorted(mclag) == ["leaf-01", "leaf-02", "server-01"]
    for leaf in ("leaf-01", "leaf-02"):
        assert mclag[leaf]["name"] == "PortChannel1"  # from the redundancy group's catalog
        assert [p["name"] for p in h.api_list(nb, "dcim/interfaces", lag_id=mclag[leaf]["id"])] == ["E1/5"]


def test_the_gateway_variant_lands_and_resyncs_without_writes(fresh_netbox, kube_standin_factory):
    nb = fresh_netbox
    result = _land(nb, kube_standin_factory, "vlab-gateway")

    assert result["result"] == "success", result["warnings"]
    assert result["release"] == "26.03.0"
    devices = dict((d["name"], d) for d in h.api_list(nb, "dcim/devices", site="vlab-gateway"))
    roles = Counter(d["role"]["slug"] for d in devices.values())
    assert roles == {"spine": 2, "server-leaf": 3, "server": 6, "gateway": 2, "control-node": 1}
    gateway = devices["gateway-1"]
    assert gateway["device_type"]["slug"] == "hedgehog-gateway"
    assert gateway["custom_fields"]["hedgehog_asn"] == 65534
    assert gateway["custom_fields"]["hedgehog_gateway_groups"] == "default"

    # Gateway links: one cable and one /31 each, the pre-25.04 "spine" key included.
    assert _cable_types(nb, "vlab-gateway") == {"fabric": 12, "gateway": 4, "eslag": 4, "bundled": 4,
                                                "unbundled": 2}
    label, ends = h.cable_ends(nb, h.interface(nb, "spine-02", "E1/8")["cable"]["id"])
    assert (label, ends) == ("spine-02--gateway--gateway-2", [("gateway-2", "enp2s2"), ("spine-02", "E1/8")])
    link = dict((ip["address"], (ip["assigned_object"]["device"]["name"], ip["assigned_object"]["name"]))
                for ip in h.api_list(nb, "ipam/ip-addresses", parent="172.30.128.12/31"))
    assert link == {"172.30.128.12/31": ("spine-01", "E1/7"), "172.30.128.13/31": ("gateway-1", "enp2s1")}
    assert h.api_list(nb, "ipam/prefixes", prefix="172.30.128.12/31")[0]["description"] == "spine-01--gateway--gateway-1"
    loopbacks = dict((ip["assigned_object"]["name"], ip["address"])
                     for ip in h.api_list(nb, "ipam/ip-addresses", device="gateway-1")
                     if ip["assigned_object"]["name"].startswith("Loopback"))
    assert loopbacks == {"Loopback1": "172.30.8.5/32", "Loopback2": "172.30.12.3/32"}
    # The external connection has one end: no cable, and leaf-03's servers moved up a port.
    assert h.interface(nb, "leaf-03", "E1/1")["cable"] is None
    assert h.cable_ends(nb, h.interface(nb, "leaf-03", "E1/2")["cable"]["id"])[0] == "server-05--unbundled--leaf-03"
