"""The overlay half of the mapping, without NetBox: fixture -> snapshot -> desired objects.

Every test reads a fixture directory into a SourceData, may edit its raw
objects in memory, and looks at the records, the problems and the desired
objects that come out.
"""

from __future__ import annotations

import copy
import os
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.dcim import agent_facts
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.desired import build_desired
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, DesiredState, Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.parse import fabricator_release
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.inventory import Inventory
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import make_plan
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import BUILTIN_PROFILES
from testbed.paths import FIXTURES

# The fixtures' agents report at 10:00Z; a minute later they are fresh.
VLAB_NOW = datetime(2026, 8, 20, 10, 1, tzinfo=timezone.utc)
MCLAG_NOW = datetime(2025, 7, 21, 10, 1, tzinfo=timezone.utc)
SECRET_MARK = "HHFAKE"


_LOADED = {}


UNDERLAY = "vlab/underlay"
NAMESPACE_VRF = "vlab/ipv4ns/default"


def load(name):
    """A private copy of a fixture's SourceData (parsed once: the agents' YAML is large)."""
    if name not in _LOADED:
        _LOADED[name] = read_wiring_dir(os.path.join(FIXTURES, name), fabric="vlab")
    return copy.deepcopy(_LOADED[name])


def config(**options):
    return FabricConfig(fabric="vlab", site="VLAB", netbox_url="http://netbox.invalid", netbox_token="t", **options)


def desired_of(data, now=VLAB_NOW, **options):
    snapshot = build_snapshot("vlab", data, BUILTIN_PROFILES)
    return snapshot, build_desired(snapshot, config(**options), now=now)


def raw(data, kind, name):
    return next(obj for obj in data.objects[kind] if obj["metadata"]["name"] == name)


def drop(data, kind, name):
    data.objects[kind] = [obj for obj in data.objects[kind] if obj["metadata"]["name"] != name]


def problems(snapshot):
    return [(p.kind, p.name, p.cause) for p in snapshot.problems]


def vlan_ref(vid, namespace="default"):
    return Ref("vlan", ("vlab/%s" % namespace, vid))


@pytest.fixture
def vlab():
    return load("vlab")


# -- the VLAB as it lands --------------------------------------------------------------


def test_vlab_overlay_records(vlab):
    snapshot = build_snapshot("vlab", vlab, BUILTIN_PROFILES)
    assert problems(snapshot) == []
    model = snapshot.ipam
    assert sorted(model.vpcs) == ["vpc-%02d" % n for n in range(1, 7)]
    assert len(model.attachments) == 6
    vpc = model.vpcs["vpc-01"]
    assert (vpc.mode, vpc.ipv4_namespace, vpc.vlan_namespace, vpc.vni) == ("l2vni", "default", "default", 100)
    subnet = vpc.subnets["subnet-01"]
    assert (subnet.cidr, subnet.gateway, subnet.vlan, subnet.vni) == ("10.0.1.0/24", "10.0.1.1", 1001, 101)
    assert (subnet.dhcp.enable, subnet.dhcp.start, subnet.dhcp.end) == (True, "10.0.1.2", "10.0.1.255")
    assert model.vlan_namespaces["default"].ranges == [(1000, 2999)]
    assert model.ipv4_namespaces["default"].subnets == ["10.0.0.0/16"]


def test_vlab_desired_counts(vlab):
    _snapshot, state = desired_of(vlab)
    assert state.problems == []
    # The fixture's miswired pair of cables (see test_ports_and_cabling).
    assert [f.kind for f in state.findings] == ["cable", "cable"]
    counts = state.counts()
    assert (counts["vlan_group"], counts["vrf"], counts["vlan"], counts["ip_range"]) == (1, 8, 6, 6)
    assert sorted(name for name in state.of("vrf") if not name.startswith("vpc-")) == [NAMESPACE_VRF, UNDERLAY]
    in_vpcs = [key for key in state.of("prefix") if key[0].startswith("vpc-")]
    assert len(in_vpcs) == 6
    # Nothing in NetBox's global table: fabrics on one address plan never meet.
    assert [key for kind in ("prefix", "ip_address", "ip_range") for key in state.of(kind) if key[0] is None] == []
    assert len([k for k, o in state.of("prefix").items() if o.fields["status"] == "container"]) == 1
    gateways = [o for o in state.of("ip_address").values() if o.fields.get("role") == "anycast"]
    assert len(gateways) == 6
    assert "subinterface" not in counts  # no externals in the plain VLAB


def test_vpc_01_subnet_vlan_gateway_and_range(vlab):
    _snapshot, state = desired_of(vlab)
    vrf = state.get("vrf", "vpc-01").fields
    assert vrf["name"] == "vpc-01"
    custom = vrf["custom_fields"]
    assert custom["hedgehog_vpc_mode"] == "l2vni"
    assert custom["hedgehog_vni"] == 100
    assert (custom["hedgehog_ipv4_namespace"], custom["hedgehog_vlan_namespace"]) == ("default", "default")
    assert custom["hedgehog_vrf_spec"] == {"default_isolated": False, "default_restricted": False, "permit": [],
                                           "static_routes": []}
    prefix = state.get("prefix", ("vpc-01", "10.0.1.0/24")).fields
    assert prefix["vrf"] == Ref("vrf", "vpc-01")
    assert prefix["vlan"] == vlan_ref(1001)
    assert prefix["custom_fields"]["hedgehog_subnet"]["vni"] == 101
    vlan = state.get("vlan", ("vlab/default", 1001)).fields
    assert (vlan["vid"], vlan["name"], vlan["group"]) == (1001, "vpc-01/subnet-01", Ref("vlan_group", "vlab/default"))
    assert vlan["custom_fields"]["hedgehog_vni"] == 101
    gateway = state.get("ip_address", ("vpc-01", "10.0.1.1/24")).fields
    assert (gateway["role"], gateway["vrf"], gateway["status"]) == ("anycast", Ref("vrf", "vpc-01"), "active")
    span = state.get("ip_range", ("vpc-01", "10.0.1.0/24")).fields
    assert (span["start_address"], span["end_address"]) == ("10.0.1.2/24", "10.0.1.255/24")
    group = state.get("vlan_group", "vlab/default").fields
    assert group["scope_type"] == "virtualization.cluster"
    assert group["scope_id"] == Ref("cluster", "vlab")
    assert group["vid_ranges"] == [[1000, 2999]]
    container = state.get("prefix", (NAMESPACE_VRF, "10.0.0.0/16")).fields
    assert (container["status"], container["vrf"]) == ("container", Ref("vrf", NAMESPACE_VRF))
    assert container["custom_fields"] == {"hedgehog_ipv4_namespace": "default"}


def test_eslag_lags_on_both_leaves_carry_the_vlan(vlab):
    _snapshot, state = desired_of(vlab)
    for leaf in ("leaf-01", "leaf-02"):
        lag = state.get("lag", (leaf, "server-01--eslag--leaf-01--leaf-02")).fields
        assert lag["name"] == "PortChannel1"
        assert (lag["mode"], lag["tagged_vlans"], lag["untagged_vlan"]) == ("tagged", [vlan_ref(1001)], None)
    # The member ports themselves stay plain.
    member = state.get("interface", ("leaf-01", "E1/1")).fields
    assert member["lag"] == Ref("lag", ("leaf-01", "server-01--eslag--leaf-01--leaf-02"))
    assert (member["mode"], member["tagged_vlans"]) == (None, [])
    # Unbundled: the switch port itself; the server's bond is not touched.
    port = state.get("interface", ("leaf-01", "E1/3")).fields
    assert (port["mode"], port["tagged_vlans"]) == ("tagged", [vlan_ref(1003)])
    assert "mode" not in state.get("lag", ("server-01", "server-01--eslag--leaf-01--leaf-02")).fields
    assigned = [key for kind in ("lag", "interface") for key, obj in state.of(kind).items() if obj.fields.get("mode")]
    assert len(assigned) == 8


def test_native_vlan_is_untagged(vlab):
    attachment = raw(vlab, "VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01")
    attachment["spec"]["nativeVLAN"] = True
    _snapshot, state = desired_of(vlab)
    port = state.get("interface", ("leaf-01", "E1/3")).fields
    assert (port["mode"], port["untagged_vlan"], port["tagged_vlans"]) == ("access", vlan_ref(1003), [])
    # A second, tagged attachment on the same connection: a trunk with a native VLAN.
    extra = copy.deepcopy(attachment)
    extra["metadata"]["name"] = "server-03--unbundled--leaf-01--vpc-04--subnet-01"
    extra["spec"] = {"connection": "server-03--unbundled--leaf-01", "subnet": "vpc-04/subnet-01"}
    vlab.objects["VPCAttachment"].append(extra)
    _snapshot, state = desired_of(vlab)
    port = state.get("interface", ("leaf-01", "E1/3")).fields
    assert (port["mode"], port["untagged_vlan"], port["tagged_vlans"]) == ("tagged", vlan_ref(1003), [vlan_ref(1004)])


def test_removing_an_attachment_clears_the_lag(vlab):
    drop(vlab, "VPCAttachment", "server-01--eslag--leaf-01--leaf-02--vpc-01--subnet-01")
    _snapshot, state = desired_of(vlab)
    for leaf in ("leaf-01", "leaf-02"):
        lag = state.get("lag", (leaf, "server-01--eslag--leaf-01--leaf-02")).fields
        assert (lag["mode"], lag["untagged_vlan"], lag["tagged_vlans"]) == (None, None, [])
    # The VPC itself stays.
    assert state.get("vlan", ("vlab/default", 1001)) is not None


def test_removing_a_vpc_drops_its_objects_and_attachment(vlab):
    drop(vlab, "VPC", "vpc-03")
    snapshot, state = desired_of(vlab)
    assert problems(snapshot) == [("VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01",
                                   "VPC vpc-03 does not exist or was skipped")]
    assert state.get("vrf", "vpc-03") is None
    assert state.get("vlan", ("vlab/default", 1003)) is None
    assert state.get("prefix", ("vpc-03", "10.0.3.0/24")) is None
    assert state.get("ip_address", ("vpc-03", "10.0.3.1/24")) is None
    assert state.get("ip_range", ("vpc-03", "10.0.3.0/24")) is None
    assert state.get("interface", ("leaf-01", "E1/3")).fields["mode"] is None
    assert state.counts()["vrf"] == 7


# -- bad objects become problems, the rest still maps ---------------------------------------


@pytest.mark.parametrize("edit, kind, name, cause", [
    (lambda d: raw(d, "VPC", "vpc-02")["spec"]["subnets"]["subnet-01"].update(vlan=3500),
     "VPC", "vpc-02/subnet-01", "VLAN 3500 is outside VLANNamespace default; the subnet is skipped"),
    (lambda d: raw(d, "VPC", "vpc-02")["spec"].update(vlanNamespace="other"),
     "VPC", "vpc-02", "spec.vlanNamespace 'other' does not exist or was skipped"),
    (lambda d: raw(d, "VPC", "vpc-02")["spec"]["subnets"]["subnet-01"].update(subnet="10.0.2.7/24"),
     "VPC", "vpc-02", "spec.subnets.subnet-01.subnet is not a network: '10.0.2.7/24'"),
    (lambda d: raw(d, "VPC", "vpc-02")["spec"]["subnets"]["subnet-01"].update(gateway="10.9.9.9"),
     "VPC", "vpc-02", "spec.subnets.subnet-01.gateway 10.9.9.9 is outside 10.0.2.0/24"),
    (lambda d: raw(d, "VPC", "vpc-02")["spec"]["subnets"]["subnet-01"].update(vlan="1002"),
     "VPC", "vpc-02", "spec.subnets.subnet-01.vlan must be an integer, got '1002'"),
    (lambda d: raw(d, "VPCAttachment", "server-02--eslag--leaf-01--leaf-02--vpc-02--subnet-01")["spec"].update(
        connection="spine-01--fabric--leaf-01"),
     "VPCAttachment", "server-02--eslag--leaf-01--leaf-02--vpc-02--subnet-01",
     "connection spine-01--fabric--leaf-01 is of type fabric; only server connections take VPCs"),
    (lambda d: raw(d, "VPCAttachment", "server-02--eslag--leaf-01--leaf-02--vpc-02--subnet-01")["spec"].update(
        connection="nowhere"),
     "VPCAttachment", "server-02--eslag--leaf-01--leaf-02--vpc-02--subnet-01",
     "connection nowhere does not exist or was skipped"),
    (lambda d: raw(d, "VPCAttachment", "server-02--eslag--leaf-01--leaf-02--vpc-02--subnet-01")["spec"].update(
        subnet="vpc-02/nope"),
     "VPCAttachment", "server-02--eslag--leaf-01--leaf-02--vpc-02--subnet-01",
     "VPC vpc-02 has no subnet nope (or it was skipped)"),
    (lambda d: raw(d, "VLANNamespace", "default")["spec"].update(ranges=[{"from": 10, "to": 5}]),
     "VLANNamespace", "default", "spec.ranges[0]: 10-5 is empty"),
])
def test_bad_objects_are_problems(vlab, edit, kind, name, cause):
    edit(vlab)
    snapshot, state = desired_of(vlab)
    assert (kind, name, cause) in problems(snapshot)
    # Whatever else there is still maps.
    assert state.get("vrf", "vpc-01") is not None or kind == "VLANNamespace"
    assert state.get("device", "leaf-01") is not None


def test_two_native_vlans_on_one_connection_are_both_refused(vlab):
    first = raw(vlab, "VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01")
    first["spec"]["nativeVLAN"] = True
    second = copy.deepcopy(first)
    second["metadata"]["name"] = "a-native"  # sorts first: name order decides nothing
    second["spec"]["subnet"] = "vpc-04/subnet-01"
    vlab.objects["VPCAttachment"].append(second)
    snapshot, state = desired_of(vlab)
    assert [(c.resource, c.claimants) for c in snapshot.contests] == [
        ("the native VLAN of connection server-03--unbundled--leaf-01",
         [("VPCAttachment", "a-native"), ("VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01")])]
    assert snapshot.held == {("port-vlans", "server-03--unbundled--leaf-01"): "VPCAttachment a-native"}
    # The port's VLANs are not derived from either: the plan keeps what NetBox has.
    assert state.get("interface", ("leaf-01", "E1/3")).fields["untagged_vlan"] is None


def test_one_vlan_two_subnets_claim_is_decided_by_no_name_order(vlab):
    raw(vlab, "VPC", "vpc-02")["spec"]["subnets"]["subnet-01"].update(vlan=1001)
    snapshot, state = desired_of(vlab)
    assert [(c.resource, c.claimants, c.slot) for c in snapshot.contests] == [
        ("VLAN 1001 of VLANNamespace default", [("VPC", "vpc-01/subnet-01"), ("VPC", "vpc-02/subnet-01")],
         ("vlan", ("default", 1001)))]
    assert {("vpc", "vpc-01"), ("vpc", "vpc-02")} <= set(snapshot.held)
    assert "subnet-01" not in snapshot.ipam.vpcs["vpc-01"].subnets
    assert state.get("vlan", vlan_ref(1001).key) is None


def test_a_missing_namespace_without_vpcs_is_no_problem():
    data = load("vlab")
    data.objects["VPC"] = []
    data.objects["VPCAttachment"] = []
    snapshot, state = desired_of(data)
    assert problems(snapshot) == []
    assert sorted(state.of("vrf")) == [NAMESPACE_VRF, UNDERLAY]
    # Ports go back to no VLAN.
    lag = state.get("lag", ("leaf-01", "server-01--eslag--leaf-01--leaf-02")).fields
    assert lag["mode"] is None


def test_vpc_facts_isolation_permit_routes_static_leases_and_host_bgp(vlab):
    spec = raw(vlab, "VPC", "vpc-01")["spec"]
    spec.update(mode="l3vni", defaultIsolated=True, permit=[["subnet-01", "subnet-02"]],
                staticRoutes=[{"prefix": "192.168.0.0/16", "nextHops": ["10.0.1.10"]}])
    spec["subnets"]["subnet-01"]["dhcp"]["static"] = {"02:00:00:00:00:AA": {"ip": "10.0.1.50"}}
    spec["subnets"]["subnet-01"]["restricted"] = True
    spec["subnets"]["subnet-02"] = {"subnet": "10.0.101.0/24", "vlan": 1101, "isolated": False}
    spec["subnets"]["bgp"] = {"subnet": "10.0.102.0/24", "hostBGP": True}
    snapshot, state = desired_of(vlab)
    assert problems(snapshot) == []
    custom = state.get("vrf", "vpc-01").fields["custom_fields"]
    assert custom["hedgehog_vpc_mode"] == "l3vni"
    assert custom["hedgehog_vrf_spec"] == {
        "default_isolated": True, "default_restricted": False, "permit": [["subnet-01", "subnet-02"]],
        "static_routes": [{"prefix": "192.168.0.0/16", "next_hops": ["10.0.1.10"]}]}
    facts = state.get("prefix", ("vpc-01", "10.0.1.0/24")).fields["custom_fields"]["hedgehog_subnet"]
    assert (facts["isolated"], facts["restricted"]) == (True, True)  # inherited, own
    assert state.get("prefix", ("vpc-01", "10.0.101.0/24")).fields["custom_fields"]["hedgehog_subnet"]["isolated"] is False
    lease = state.get("ip_address", ("vpc-01", "10.0.1.50/24")).fields
    assert (lease["status"], lease["custom_fields"]) == ("reserved", {"hedgehog_mac": "02:00:00:00:00:aa"})
    # Host BGP: a prefix, no VLAN, no gateway.
    host_bgp = state.get("prefix", ("vpc-01", "10.0.102.0/24")).fields
    assert host_bgp["vlan"] is None and host_bgp["custom_fields"]["hedgehog_subnet"]["host_bgp"] is True
    assert state.get("ip_address", ("vpc-01", "10.0.102.1/24")) is None
    assert state.get("ip_range", ("vpc-01", "10.0.101.0/24")) is None  # no DHCP there


def test_namespaces_reusing_a_subnet_stay_two_containers_in_vrfs_of_their_own(vlab):
    other = copy.deepcopy(raw(vlab, "IPv4Namespace", "default"))
    other["metadata"]["name"] = "tenant-b"
    other["spec"]["subnets"] = ["10.0.0.0/16", "10.1.0.0/16"]
    vlab.objects["IPv4Namespace"].append(other)
    _snapshot, state = desired_of(vlab)
    containers = dict((key, o.fields["custom_fields"]) for key, o in state.of("prefix").items()
                      if o.fields["status"] == "container")
    assert containers == {
        (NAMESPACE_VRF, "10.0.0.0/16"): {"hedgehog_ipv4_namespace": "default"},
        ("vlab/ipv4ns/tenant-b", "10.0.0.0/16"): {"hedgehog_ipv4_namespace": "tenant-b"},
        ("vlab/ipv4ns/tenant-b", "10.1.0.0/16"): {"hedgehog_ipv4_namespace": "tenant-b"},
    }


def test_namespaces_in_one_table_share_a_container(vlab):
    other = copy.deepcopy(raw(vlab, "IPv4Namespace", "default"))
    other["metadata"]["name"] = "tenant-b"
    other["spec"]["subnets"] = ["10.0.0.0/16", "10.1.0.0/16"]
    vlab.objects["IPv4Namespace"].append(other)
    _snapshot, state = desired_of(vlab, ipv4_namespace_vrf="global")
    assert state.get("prefix", (None, "10.0.0.0/16")).fields["custom_fields"] == {
        "hedgehog_ipv4_namespace": "default,tenant-b"}
    assert state.get("prefix", (None, "10.1.0.0/16")).fields["custom_fields"] == {"hedgehog_ipv4_namespace": "tenant-b"}
    assert not [name for name in state.of("vrf") if "ipv4ns" in name]


def test_the_underlay_in_the_global_table_or_a_shared_vrf(vlab):
    _snapshot, state = desired_of(vlab, underlay_vrf="global")
    assert state.get("ip_address", (None, "172.30.0.8/21")) is not None
    assert state.get("device", "leaf-01").late["primary_ip4"] == Ref("ip_address", (None, "172.30.0.8/21"))
    assert UNDERLAY not in state.of("vrf")

    _snapshot, state = desired_of(vlab, underlay_vrf="dc-underlay")
    shared = state.get("vrf", "dc-underlay")
    assert shared.shared and shared.fields["enforce_unique"] is False
    ip = state.get("ip_address", ("dc-underlay", "172.30.0.8/21")).fields
    assert ip["vrf"] == Ref("vrf", "dc-underlay")


def test_the_underlay_in_a_vrf_of_the_fabric(vlab):
    _snapshot, state = desired_of(vlab)
    vrf = state.get("vrf", UNDERLAY)
    assert not vrf.shared and vrf.fields["enforce_unique"] is True
    management = state.get("ip_address", (UNDERLAY, "172.30.0.8/21")).fields
    assert management["vrf"] == Ref("vrf", UNDERLAY)
    assert state.get("device", "leaf-01").late["primary_ip4"] == Ref("ip_address", (UNDERLAY, "172.30.0.8/21"))
    links = [key for key, o in state.of("prefix").items() if o.fields["status"] == "active" and key[0] == UNDERLAY]
    assert links and all(key[1].endswith("/31") for key in links)


# -- DHCP leases -----------------------------------------------------------------------------


def test_dhcp_leases_are_off_by_default(vlab):
    _snapshot, state = desired_of(vlab)
    assert not [o for o in state.of("ip_address").values() if o.fields["status"] == "dhcp"]


def test_dhcp_leases_when_asked(vlab):
    _snapshot, state = desired_of(vlab, dhcp_leases=True)
    leases = dict((key, o.fields) for key, o in state.of("ip_address").items() if o.fields["status"] == "dhcp")
    # One server lease per VPC subnet (the pending offers are no leases) and the five switch ZTP leases.
    assert len(leases) == 11
    lease = leases[("vpc-01", "10.0.1.2/24")]
    assert (lease["dns_name"], lease["vrf"]) == ("server-01", Ref("vrf", "vpc-01"))
    assert lease["custom_fields"] == {"hedgehog_mac": "02:00:0a:37:8d:39"}
    assert ("vpc-01", "10.0.1.3/24") not in leases
    assert leases[(UNDERLAY, "172.30.4.0/21")]["dns_name"] == "leaf-01"


# -- externals, peerings, gateways ---------------------------------------------------------------


def test_gateway_fixture_externals_and_peerings():
    snapshot, state = desired_of(load("vlab-gateway"))
    assert problems(snapshot) == []
    ext = state.get("vrf", "ext.ext-bgp-01").fields["custom_fields"]
    assert ext["hedgehog_vrf_spec"] == {"inbound_community": "65102:1000", "outbound_community": "64102:1000",
                                        "static_prefixes": []}
    assert ext["hedgehog_peerings"] == [{"name": "vpc-05--ext-bgp-01", "kind": "ExternalPeering", "peer": "vpc-05",
                                         "subnets": ["subnet-01"], "prefixes": ["0.0.0.0/0"]}]
    sub = state.get("subinterface", ("leaf-03", "E1/1.10")).fields
    assert sub["parent"] == Ref("interface", ("leaf-03", "E1/1"))
    assert (sub["type"], sub["mode"], sub["vrf"]) == ("virtual", "access", Ref("vrf", "ext.ext-bgp-01"))
    assert sub["untagged_vlan"] == Ref("vlan", ("vlab/ext.ext-bgp-01", 10))
    own = state.get("ip_address", ("ext.ext-bgp-01", "100.1.10.1/24")).fields
    assert own["assigned_object_id"] == Ref("subinterface", ("leaf-03", "E1/1.10"))
    neighbour = state.get("ip_address", ("ext.ext-bgp-01", "100.1.10.6/24")).fields
    assert neighbour["custom_fields"] == {"hedgehog_peer_asn": 64102}
    assert state.get("prefix", ("ext.ext-bgp-01", "100.1.10.0/24")) is not None
    peerings = dict((name, state.get("vrf", name).fields["custom_fields"]["hedgehog_peerings"])
                    for name in ("vpc-01", "vpc-02", "vpc-03", "vpc-04", "vpc-05", "vpc-06"))
    assert peerings["vpc-01"] == [{"name": "vpc-01--vpc-02", "kind": "VPCPeering", "peer": "vpc-02",
                                   "permit": [{"subnets": "all", "peer_subnets": "all"}]}]
    assert peerings["vpc-02"][0]["peer"] == "vpc-01"
    assert peerings["vpc-03"][0]["kind"] == "GatewayPeering"
    assert peerings["vpc-03"][0]["gateway_group"] == "default"
    assert peerings["vpc-03"][0]["expose"] == [{"ips": [{"cidr": "10.0.3.0/24"}]}]
    assert peerings["vpc-05"][0]["peer"] == "ext.ext-bgp-01"
    assert peerings["vpc-06"] is None
    for gateway in ("gateway-1", "gateway-2"):
        assert state.get("device", gateway).fields["custom_fields"]["hedgehog_gateway_groups"] == "default"


def test_peering_with_a_missing_vpc_is_recorded_on_the_other_side():
    data = load("vlab-gateway")
    drop(data, "VPC", "vpc-02")
    snapshot, state = desired_of(data)
    assert ("VPCPeering", "vpc-01--vpc-02", "VPC vpc-02 does not exist or was skipped; the peering is recorded "
            "on the other side only") in problems(snapshot)
    assert state.get("vrf", "vpc-01").fields["custom_fields"]["hedgehog_peerings"][0]["peer"] == "vpc-02"


def test_external_attachment_on_a_server_connection_is_refused():
    data = load("vlab-gateway")
    raw(data, "ExternalAttachment", "leaf-03--ext-bgp-01")["spec"]["connection"] = "server-05--unbundled--leaf-03"
    snapshot, state = desired_of(data)
    assert ("ExternalAttachment", "leaf-03--ext-bgp-01",
            "connection server-05--unbundled--leaf-03 is of type unbundled, not external") in problems(snapshot)
    assert "subinterface" not in state.counts()


# -- agents ------------------------------------------------------------------------------------


def test_agent_status_follows_the_heartbeat(vlab):
    _snapshot, state = desired_of(vlab, now=VLAB_NOW)
    leaf = state.get("device", "leaf-03").fields
    assert leaf["status"] == "active"
    custom = leaf["custom_fields"]
    assert custom["hedgehog_last_heartbeat"] is None
    assert custom["hedgehog_nos_version"] == "4.5.2-Enterprise_Base"
    assert custom["hedgehog_agent_version"] == "v0.129.1"
    assert (custom["hedgehog_applied_generation"], custom["hedgehog_agent_generation"]) == (4, 4)
    assert custom["hedgehog_reboot_required"] is True
    assert leaf["serial"] == "HHVSFF0200"
    assert state.get("device", "leaf-01").fields["custom_fields"]["hedgehog_reboot_required"] is False

    stale_now = VLAB_NOW + timedelta(minutes=10)
    _snapshot, stale = desired_of(load("vlab"), now=stale_now)
    leaf = stale.get("device", "leaf-03").fields
    assert leaf["status"] == "offline"
    assert leaf["custom_fields"]["hedgehog_last_heartbeat"] == "2026-08-20T10:00:00Z"
    # Later still: the same facts, so nothing to write while the agent stays silent.
    _snapshot, later = desired_of(load("vlab"), now=stale_now + timedelta(hours=5))
    assert later.get("device", "leaf-03").fields == leaf
    # Servers have no agent: always active, no agent facts.
    server = stale.get("device", "server-01").fields
    assert server["status"] == "active" and "hedgehog_last_heartbeat" not in server.get("custom_fields", {})


def test_agent_threshold_is_an_option(vlab):
    _snapshot, state = desired_of(vlab, now=VLAB_NOW + timedelta(seconds=300), agent_stale_after=600)
    assert state.get("device", "leaf-01").fields["status"] == "active"
    _snapshot, state = desired_of(load("vlab"), now=VLAB_NOW + timedelta(seconds=300), agent_stale_after=120)
    assert state.get("device", "leaf-01").fields["status"] == "offline"


def test_agent_facts_edge_cases(vlab):
    snapshot = build_snapshot("vlab", vlab, BUILTIN_PROFILES)
    agent = snapshot.agents["leaf-01"]
    agent.last_heartbeat = ""
    assert agent_facts(agent, VLAB_NOW, 120)[0] == "planned"
    agent.last_heartbeat = "2026-08-20T10:05:00Z"  # a clock ahead of ours: still fresh
    assert agent_facts(agent, VLAB_NOW, 120)[0] == "active"
    # A switch without an agent: active, and every agent fact empty (written as empty, so stale ones go).
    assert agent_facts(None, VLAB_NOW, 120) == ("active", {
        "hedgehog_nos_version": None, "hedgehog_agent_version": None, "hedgehog_applied_generation": None,
        "hedgehog_agent_generation": None, "hedgehog_reboot_required": None, "hedgehog_last_heartbeat": None})


def test_old_agent_key_names_read_the_same(vlab):
    old = load("vlab")
    old.objects["Agent"] = load("agent-oldkeys").objects["Agent"]
    new_snapshot, new_state = desired_of(vlab)
    old_snapshot, old_state = desired_of(old)
    assert problems(old_snapshot) == []
    assert old_snapshot.agents == new_snapshot.agents
    for name in ("leaf-01", "leaf-02", "leaf-03", "spine-01", "spine-02"):
        assert old_state.get("device", name).fields == new_state.get("device", name).fields


def test_mclag_fixture_maps_with_its_old_release():
    snapshot, state = desired_of(load("vlab-mclag"), now=MCLAG_NOW)
    assert problems(snapshot) == []
    assert snapshot.release == "25.03 (fabric v0.81.1)"
    assert state.counts()["vrf"] == 12
    # MCLAG servers: a LAG on each switch of the pair with the VLAN.
    mclag = [key for key, obj in state.of("lag").items() if obj.fields.get("mode") == "tagged"
             and "mclag" in key[1]]
    assert sorted(k[0] for k in mclag) == ["leaf-01", "leaf-01", "leaf-02", "leaf-02"]
    assert all(state.get("device", n).fields["status"] == "active" for n in snapshot.switches)


def test_release_fallbacks():
    assert fabricator_release({"status": {"release": "26.03.0"}}) == "26.03.0"
    assert fabricator_release({"status": {"versions": {"fabric": {"controller": "v0.87.4"}}}}) == "25.04 (fabric v0.87.4)"
    assert fabricator_release({"status": {"versions": {"fabric": {"api": "v0.200.1"}}}}) == "fabric v0.200.1"
    assert fabricator_release({"status": {}}) == ""
    assert fabricator_release({}) == ""


# -- no credential anywhere ------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["vlab", "vlab-gateway", "vlab-mclag", "agent-oldkeys"])
def test_no_secret_reaches_records_or_desired_objects(fixture):
    data = load("vlab")
    if fixture == "agent-oldkeys":
        data.objects["Agent"] = load("agent-oldkeys").objects["Agent"]
    elif fixture != "vlab":
        data = load(fixture)
    assert SECRET_MARK in repr(data.objects["Agent"])  # the fixture does plant them
    snapshot, state = desired_of(data, dhcp_leases=True)
    assert SECRET_MARK not in repr(snapshot.ipam)
    assert SECRET_MARK not in repr(snapshot.agents)
    assert SECRET_MARK not in repr(snapshot)
    for kind, objects in state.objects.items():
        for obj in objects.values():
            assert SECRET_MARK not in repr((obj.key, obj.fields, obj.late, obj.label)).upper(), (kind, obj.key)


# -- planning: tagged VLANs compare as a set ------------------------------------------------------


def test_tagged_vlans_in_another_order_are_no_change():
    state = DesiredState("vlab")
    wanted = {"name": "PortChannel1", "mode": "tagged", "tagged_vlans": [Ref("vlan", ("g", 1001)), Ref("vlan", ("g", 1002))]}
    state.add(Desired("lag", ("leaf-01", "c"), wanted))
    inventory = Inventory("vlab")
    inventory.register("vlan", ("g", 1001), 11)
    inventory.register("vlan", ("g", 1002), 12)
    row = {"id": 5, "name": "PortChannel1", "mode": {"value": "tagged", "label": "Tagged"},
           "tagged_vlans": [{"id": 12, "vid": 1002}, {"id": 11, "vid": 1001}], "tags": [{"id": 1}],
           "custom_fields": {"hedgehog_fabric": "vlab"}, "device": {"name": "leaf-01"}}
    inventory.add("lag", ("leaf-01", "c"), row)
    for key in (("g", 1001), ("g", 1002)):
        inventory.records["vlan"][key] = {"id": inventory.id_of("vlan", key), "custom_fields": {"hedgehog_fabric": "vlab"}}
    plan = make_plan(state, inventory, "vlab", {"hedgehog-sync": 1}, prune="keep")
    assert [a.op for a in plan.actions if a.kind == "lag"] == ["unchanged"]
    row["tagged_vlans"] = [{"id": 11, "vid": 1001}]
    plan = make_plan(state, inventory, "vlab", {"hedgehog-sync": 1}, prune="keep")
    assert [(a.op, sorted(a.changes)) for a in plan.actions if a.kind == "lag"] == [("update", ["tagged_vlans"])]


def test_a_description_netbox_cannot_hold_is_cut_and_said_so():
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, DesiredState

    state = DesiredState("fab")
    state.add(Desired("device", "server-05", {"name": "server-05", "description": "x" * 100000}))
    state.add(Desired("device", "server-05", {"name": "server-05", "description": "x" * 100000}))
    assert state.get("device", "server-05").fields["description"] == "x" * 200
    assert [p.text for p in state.problems] == [
        "device server-05: its description is 100000 characters long; NetBox keeps 200, so the rest is cut"]
