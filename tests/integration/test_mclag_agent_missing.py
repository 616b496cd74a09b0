"""An MCLAG pair whose second switch has no Agent (25.03), served by the Kubernetes stand-in.

Both peers name their LAGs ``PortChannel<N>`` (a redundancy group numbers its port channels once for all
its members), with or without the Catalogs; the VTEP the pair shares sits on the first switch, and the
second switch's Loopback2 says where.
"""

from __future__ import annotations

import sync_helpers as h
import wiring_checks as w
from testbed.paths import FIXTURES

MCLAG_AGENT_MISSING = FIXTURES / "mclag-agent-missing"
SITE = "MCLAG"
LAG_NAMES = {
    ("server-01", "server-01--mclag--leaf-01--leaf-02"): "bond1",
    ("leaf-01", "server-01--mclag--leaf-01--leaf-02"): "PortChannel1",
    ("leaf-02", "server-01--mclag--leaf-01--leaf-02"): "PortChannel1",
    ("server-02", "server-02--mclag--leaf-01--leaf-02"): "bond2",
    ("leaf-01", "server-02--mclag--leaf-01--leaf-02"): "PortChannel2",
    ("leaf-02", "server-02--mclag--leaf-01--leaf-02"): "PortChannel2",
    ("server-04", "server-04--bundled--leaf-02"): "bond3",
    ("leaf-02", "server-04--bundled--leaf-02"): "PortChannel3",
}


def test_an_mclag_pair_with_one_agent_missing_names_its_lags_one_way(fresh_netbox, kube_standin_factory):
    nb = fresh_netbox
    kube = kube_standin_factory([MCLAG_AGENT_MISSING])
    config = h.config_for(nb, kube, fabric="mclag", site=SITE)
    result, _run = h.sync(config)
    assert result["result"] == "success", result["warnings"]
    wiring = w.Wiring(MCLAG_AGENT_MISSING)
    lags = w.assert_wiring_landed(nb, wiring, "mclag", SITE)
    assert dict((key, name) for key, (name, _members) in lags.items()) == LAG_NAMES
    assert lags[("leaf-02", "server-01--mclag--leaf-01--leaf-02")][1] == ["E1/5"]
    domain = sorted(ends for label, ends in w.netbox_cables(nb, "mclag") if label == "leaf-01--mclag-domain--leaf-02")
    assert len(domain) == 4

    vteps = h.api_list(nb, "ipam/ip-addresses", address="172.30.12.0/32")
    assert [(ip["assigned_object"]["device"]["name"], ip["assigned_object"]["name"]) for ip in vteps] == [
        ("leaf-01", "Loopback2")]
    assert h.interface(nb, "leaf-01", "Loopback2")["description"] == "VTEP IP"
    assert h.interface(nb, "leaf-02", "Loopback2")["description"] == (
        "VTEP IP 172.30.12.0/32, shared with leaf-01, whose Loopback2 holds it")
    w.assert_second_run_writes_nothing(nb, config)

    # Without the Catalogs, leaf-01's agent still numbers the group's port channels: no LAG or port moves
    # (only the VNIs, which come from the Catalogs alone, leave the VPCs).
    for name in wiring.of("Catalog"):
        h.standin_delete(kube, "Catalog", name)
    result, _run = h.sync(config)
    assert h.write_ops(result) == {"vrf": {"update": 4}, "vlan": {"update": 4}, "prefix": {"update": 4}}
    lags = w.assert_wiring_landed(nb, wiring, "mclag", SITE)
    assert dict((key, name) for key, (name, _members) in lags.items()) == LAG_NAMES
