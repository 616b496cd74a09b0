"""The VLAB fixture, read from the Kubernetes stand-in, lands in a real NetBox exactly as the fabric says.

One sync per module into an empty NetBox, saved; every test starts from that NetBox.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

import sync_helpers as h

SWITCHES = ("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02")
SERVERS = ("server-01", "server-02", "server-03", "server-04", "server-05", "server-06")
VS_PORTS = ["M1"] + ["E1/%d" % n for n in range(1, 49)]


@pytest.fixture(scope="module")
def landed(netbox, kube_vlab):
    """The first sync of the VLAB into an empty NetBox, its result, and the NetBox it left, saved."""
    kube_vlab.requests.reset()
    result, run = h.sync(h.config_for(netbox.emptied(), kube_vlab))
    return {"result": result, "run": run, "served": kube_vlab.requests.snapshot(),
            "checkpoint": netbox.checkpoint("landing")}


@pytest.fixture
def nb(landed):
    """The NetBox the first sync left, whatever the tests before this one wrote."""
    return landed["checkpoint"].back()


def _devices(nb):
    return dict((d["name"], d) for d in h.api_list(nb, "dcim/devices", site="vlab"))


def test_first_run_succeeds_and_reports_what_it_made(landed):
    result = landed["result"]
    assert result["result"] == "success", result["warnings"]
    assert result["changed"] is True
    assert result["problems"] == []
    assert result["source"]["origin"].startswith("kubernetes:")
    assert result["source"]["incomplete"] == {}
    # What the engine counted is what the stand-in served: the discovery at /apis/ once, then one list per
    # kind, every kind fitting one page.
    served = landed["served"]["requests"]
    lists = [row for row in served if row["verb"] == "list"]
    assert [row for row in served if row["verb"] != "list"] == [{"verb": "get", "path": "/apis/", "count": 1}]
    assert [row["count"] for row in lists] == [1] * len(lists)
    assert result["requests"]["kubernetes"] == 1 + len(lists)
    # One bulk POST per kind made: the schema's tags and custom fields (2), and the 24 kinds of the fabric's
    # objects and what they need, each within one chunk of 200. PATCHes: the switch ports' NOS names (245,
    # two chunks), then the late fields: the switches' M1 MACs (5 ports) and the devices' primary IPs (6).
    netbox = result["requests"]["netbox"]
    assert (netbox["POST"], netbox["PATCH"], netbox["writes"]) == (2 + 24, 2 + 1 + 1, 30)
    creates = dict((kind, ops["create"]) for kind, ops in result["summary"].items() if kind != "schema")
    # The switches, servers and the control node.
    assert creates["device"] == 12
    assert creates["lag"] == 10
    assert creates["cable"] == 22
    # Underlay addresses and /31s, plus each VPC subnet's gateway and prefix and the IPv4 namespace.
    assert creates["ip_address"] == 37 + 6 + 1  # and the control node's management address
    assert creates["prefix"] == 12 + 6 + 1
    # The sync's 2 tags and its 33 custom fields, on an empty NetBox.
    assert result["summary"]["schema"] == {"create": 2 + 33, "update": 0}
    for phase in ("read_source", "snapshot", "desired", "read_netbox", "plan", "apply", "total"):
        assert phase in result["timings"]


def test_devices_switches_and_servers(nb):
    devices = _devices(nb)
    assert sorted(devices) == sorted(SWITCHES + SERVERS + ("control-1",))
    roles = Counter(d["role"]["slug"] for d in devices.values())
    assert roles == {"spine": 2, "server-leaf": 3, "server": 6, "control-node": 1}
    for name in SWITCHES:
        assert devices[name]["device_type"]["slug"] == "vs"
        assert devices[name]["platform"]["slug"] == "sonic-bcm-vs"
    for name in SERVERS:
        assert devices[name]["device_type"]["slug"] == "hedgehog-server"
    assert devices["server-01"]["description"] == "S-01 ESLAG leaf-01 leaf-02"
    assert devices["leaf-01"]["description"] == "VS-01 ESLAG 1"
    # No boot serial in the wiring: the agent's NOS serial.
    assert devices["leaf-01"]["serial"] == "HHVSFF0000"
    assert all(devices[name]["status"]["value"] == "active" for name in SERVERS)
    # The fixture's agents last reported on 2026-08-20: long stale now.
    for name in SWITCHES:
        assert devices[name]["status"]["value"] == "offline", name
        assert devices[name]["custom_fields"]["hedgehog_last_heartbeat"] == "2026-08-20T10:00:00Z"


def test_every_device_is_in_the_fabric_cluster(nb):
    cluster = h.api_list(nb, "virtualization/clusters", name="vlab")
    assert len(cluster) == 1
    assert cluster[0]["type"]["slug"] == "hedgehog-fabric"
    assert cluster[0]["scope"]["name"] == "VLAB"
    assert all(d["cluster"]["id"] == cluster[0]["id"] for d in _devices(nb).values())


def test_every_owned_object_carries_the_marker(nb):
    counts = h.owned_counts(nb, "vlab")
    for kind, endpoint in h.OWNED_ENDPOINTS.items():
        rows = h.api_list(nb, endpoint, fields="id,tags,custom_fields", cf_hedgehog_fabric="vlab")
        assert len(rows) == counts[kind]
        for row in rows:
            assert "hedgehog-sync" in [t["slug"] for t in row["tags"]], (endpoint, row["id"])
    assert counts["device"] == 12
    assert counts["cable"] == 22
    assert counts["ip_address"] == 44
    assert counts["prefix"] == 19
    assert counts["cluster"] == 1


def test_every_port_of_the_vs_profile_exists_and_its_template_carries_the_nos_name(nb):
    templates = dict((t["name"], t) for t in h.api_list(nb, "dcim/interface-templates", device_type="vs"))
    assert sorted(templates) == sorted(VS_PORTS)
    assert templates["M1"]["description"] == "Management0"
    for number in range(1, 49):
        assert templates["E1/%d" % number]["description"] == "Ethernet%d" % (number - 1)
    for switch in SWITCHES:
        ports = dict((i["name"], i) for i in h.api_list(nb, "dcim/interfaces", device=switch)
                     if i["name"] in VS_PORTS)
        assert sorted(ports) == sorted(VS_PORTS), switch
        assert ports["M1"]["mgmt_only"] is True
        assert ports["M1"]["type"]["value"] == "1000base-t"
        for number in range(1, 49):
            port = ports["E1/%d" % number]
            assert port["mgmt_only"] is False
            assert port["type"]["value"] == "25gbase-x-sfp28"
            assert port["label"] == str(number)


def test_ports_made_from_the_device_type_are_written_once_and_get_no_marker_of_their_own(landed):
    """They belong to the fabric through their device: no marker, no tag; the first sync writes each once,
    with its NOS name and the speed its switch runs (NetBox copies neither from the template)."""
    nb = landed["checkpoint"].back()
    rows = h.api_list(nb, "dcim/interfaces", site="vlab", fields="id,name,device,lag,custom_fields,tags")
    switch_ports = [i for i in rows if i["device"]["name"] in SWITCHES and i["name"] in VS_PORTS]
    assert len(switch_ports) == 5 * 49
    assert len([i for i in switch_ports if i["lag"]]) == 8
    # One update per switch port, whatever a connection also says about it (a LAG, VLANs): the same write; each
    # switch's M1 once more for its boot MAC, which exists only once the port does. The servers' ports and the
    # control node's two are made.
    assert landed["result"]["applied"]["interface"] == {"create": 18 + 2, "update": 5 * 49 + 5}
    for port in switch_ports:
        assert port["custom_fields"]["hedgehog_fabric"] is None and port["tags"] == [], port["name"]


def test_interface_counts(nb):
    interfaces = h.api_list(nb, "dcim/interfaces", site="vlab", fields="id,name,device,type,cable")
    # 49 ports per switch, server ports of the connections, protocol loopbacks,
    # VTEP loopbacks on the leaves, LAGs and bonds, the control node's management and external ports.
    assert len(interfaces) == 5 * 49 + 10 + 5 + 3 + 10 + 2
    in_use = [i for i in interfaces if i["cable"]]
    assert len(in_use) == 44
    switch_in_use = Counter(i["device"]["name"] for i in in_use if i["device"]["name"] in SWITCHES)
    assert switch_in_use == {"spine-01": 6, "spine-02": 6, "leaf-01": 7, "leaf-02": 8, "leaf-03": 7}
    server_ports = Counter(i["device"]["name"] for i in interfaces
                           if i["device"]["name"] in SERVERS and i["type"]["value"] != "lag")
    assert server_ports == {"server-01": 2, "server-02": 2, "server-03": 1, "server-04": 2, "server-05": 1,
                            "server-06": 2}
    loopbacks = [(i["device"]["name"], i["name"]) for i in interfaces if i["name"].startswith("Loopback")]
    assert len(loopbacks) == 8
    assert ("spine-01", "Loopback2") not in loopbacks  # spines have no VTEP


def test_lags_and_their_members(nb):
    lags = h.api_list(nb, "dcim/interfaces", site="vlab", type="lag")
    assert len(lags) == 10
    by_device = Counter(lag["device"]["name"] for lag in lags)
    assert by_device == {"leaf-01": 2, "leaf-02": 3, "leaf-03": 1, "server-01": 1, "server-02": 1,
                         "server-04": 1, "server-06": 1}
    members = {}
    for lag in lags:
        ports = h.api_list(nb, "dcim/interfaces", lag_id=lag["id"], fields="name")
        members[(lag["device"]["name"], lag["custom_fields"]["hedgehog_connection"])] = (
            lag["name"], sorted(p["name"] for p in ports))
    assert members[("leaf-02", "server-04--bundled--leaf-02")] == ("PortChannel3", ["E1/3", "E1/4"])
    assert members[("server-04", "server-04--bundled--leaf-02")] == ("bond3", ["enp2s1", "enp2s2"])
    eslag = "server-01--eslag--leaf-01--leaf-02"
    assert members[("leaf-01", eslag)] == ("PortChannel1", ["E1/1"])
    assert members[("leaf-02", eslag)] == ("PortChannel1", ["E1/1"])
    assert members[("server-01", eslag)] == ("bond1", ["enp2s1", "enp2s2"])
    assert members[("leaf-03", "server-06--bundled--leaf-03")] == ("PortChannel1", ["E1/2", "E1/3"])
    # Unbundled connections make no LAG.
    assert not [key for key in members if "unbundled" in key[1]]


def test_cables_one_per_link_labelled_with_the_connection(nb):
    cables = h.api_list(nb, "dcim/cables", site="vlab")
    assert len(cables) == 22
    types = Counter(c["custom_fields"]["hedgehog_connection_type"] for c in cables)
    assert types == {"fabric": 12, "eslag": 4, "bundled": 4, "unbundled": 2}
    assert all(c["status"]["value"] == "connected" for c in cables)

    port = h.interface(nb, "leaf-01", "E1/1")
    label, ends = h.cable_ends(nb, port["cable"]["id"])
    assert label == "server-01--eslag--leaf-01--leaf-02"
    assert ends == [("leaf-01", "E1/1"), ("server-01", "enp2s1")]

    label, ends = h.cable_ends(nb, h.interface(nb, "spine-02", "E1/6")["cable"]["id"])
    assert label == "spine-02--fabric--leaf-03"
    assert ends == [("leaf-03", "E1/7"), ("spine-02", "E1/6")]


def test_ip_addresses(nb):
    """The underlay's addresses, all in the fabric's own VRF: nothing in NetBox's global table."""
    assert h.api_list(nb, "ipam/ip-addresses", cf_hedgehog_fabric="vlab", vrf_id="null") == []
    assert h.api_list(nb, "ipam/prefixes", cf_hedgehog_fabric="vlab", vrf_id="null") == []
    underlay = h.api_list(nb, "ipam/vrfs", name="vlab/underlay")
    assert [(v["name"], v["custom_fields"]["hedgehog_fabric"], v["enforce_unique"]) for v in underlay] == [
        ("vlab/underlay", "vlab", True)]
    ips = h.api_list(nb, "ipam/ip-addresses", vrf_id=underlay[0]["id"])
    assert len(ips) == 38
    on = Counter()
    for ip in ips:
        name = ip["assigned_object"]["name"]
        on["M1" if name == "M1" else name if name.startswith(("Loopback", "enp2s1")) else "link"] += 1
    # The control node's management address is on its enp2s1.
    assert on == {"M1": 5, "Loopback1": 5, "Loopback2": 3, "link": 24, "enp2s1": 1}
    roles = Counter((ip["role"] or {}).get("value") for ip in ips)
    assert roles == {"loopback": 5, "vip": 3, None: 30}
    leaf01 = dict((ip["assigned_object"]["name"], ip["address"]) for ip in ips
                  if ip["assigned_object"]["device"]["name"] == "leaf-01")
    assert leaf01["M1"] == "172.30.0.8/21"
    assert leaf01["Loopback1"] == "172.30.8.2/32"
    assert leaf01["Loopback2"] == "172.30.12.0/32"


def test_primary_ipv4_is_the_management_ip_on_m1(nb):
    devices = _devices(nb)
    spine = devices["spine-01"]
    assert spine["primary_ip4"]["address"] == "172.30.0.6/21"
    ip = h.api_get(nb, "ipam/ip-addresses/%d" % spine["primary_ip4"]["id"])
    assert ip["assigned_object"]["device"]["name"] == "spine-01"
    assert ip["assigned_object"]["name"] == "M1"
    for name in SWITCHES:
        assert devices[name]["primary_ip4"] is not None, name
    for name in SERVERS:
        assert devices[name]["primary_ip4"] is None, name


def test_link_prefix_and_its_two_ends(nb):
    prefixes = h.api_list(nb, "ipam/prefixes", cf_hedgehog_fabric="vlab", mask_length=31)
    assert len(prefixes) == 12
    assert all(p["prefix"].endswith("/31") for p in prefixes)
    assert all(p["scope"]["name"] == "VLAB" for p in prefixes)
    prefix = next(p for p in prefixes if p["prefix"] == "172.30.128.0/31")
    assert prefix["description"] == "spine-01--fabric--leaf-01"
    ends = dict((ip["address"], (ip["assigned_object"]["device"]["name"], ip["assigned_object"]["name"]))
                for ip in h.api_list(nb, "ipam/ip-addresses", parent="172.30.128.0/31"))
    assert ends == {"172.30.128.0/31": ("spine-01", "E1/1"), "172.30.128.1/31": ("leaf-01", "E1/4")}


def test_asn_and_redundancy_custom_fields(nb):
    devices = _devices(nb)
    assert devices["leaf-01"]["custom_fields"]["hedgehog_asn"] == 65101
    assert devices["leaf-03"]["custom_fields"]["hedgehog_asn"] == 65103
    assert devices["spine-01"]["custom_fields"]["hedgehog_asn"] == 65100
    assert devices["spine-02"]["custom_fields"]["hedgehog_asn"] == 65100
    for name in ("leaf-01", "leaf-02"):
        assert devices[name]["custom_fields"]["hedgehog_redundancy_group"] == "eslag-1"
        assert devices[name]["custom_fields"]["hedgehog_redundancy_type"] == "eslag"
    assert devices["leaf-03"]["custom_fields"]["hedgehog_redundancy_group"] is None
    asns = sorted(a["asn"] for a in h.api_list(nb, "ipam/asns"))
    assert asns == [65100, 65101, 65102, 65103]


def test_vpcs_land_as_vrfs_with_their_subnets(nb):
    """The overlay in brief (its own tests are elsewhere): a VRF, prefix, VLAN and gateway per VPC subnet."""
    vrfs = dict((v["name"], v) for v in h.api_list(nb, "ipam/vrfs", cf_hedgehog_fabric="vlab"))
    assert sorted(vrfs) == ["vlab/ipv4ns/default", "vlab/underlay"] + ["vpc-0%d" % n for n in range(1, 7)]
    subnet = h.api_list(nb, "ipam/prefixes", vrf_id=vrfs["vpc-01"]["id"])
    assert [p["prefix"] for p in subnet] == ["10.0.1.0/24"]
    gateway = h.api_list(nb, "ipam/ip-addresses", vrf_id=vrfs["vpc-01"]["id"])
    assert [ip["address"] for ip in gateway] == ["10.0.1.1/24"]
    assert 1001 in [v["vid"] for v in h.api_list(nb, "ipam/vlans", cf_hedgehog_fabric="vlab")]


def test_no_secret_of_the_agents_reaches_netbox(nb):
    rows = h.api_list(nb, "core/object-changes", fields="postchange_data")
    assert rows
    assert "HHFAKE" not in json.dumps(rows)


def test_wiring_files_of_the_same_fabric_change_nothing(nb):
    """The files source and the Kubernetes source of one fabric agree object by object."""
    before = h.change_count(nb)
    result, _run = h.sync(h.config_for(nb, h.VLAB))
    assert result["changed"] is False, h.write_ops(result)
    assert result["requests"]["netbox"]["writes"] == 0
    assert h.change_count(nb) == before
