"""Discovery documents -> where each kind is read: at a known version, absent, unsupported or undecided."""

from __future__ import annotations

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import discovery
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import KINDS_BY_NAME

VPC = KINDS_BY_NAME["VPC"]
SWITCH = KINDS_BY_NAME["Switch"]
GATEWAY_GROUP = KINDS_BY_NAME["GatewayGroup"]


def legacy(**groups):
    """An APIGroupList: group=[versions] (first preferred)."""
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
        {"name": name.replace("_", "."), "versions": [{"groupVersion": "%s/%s" % (name, v), "version": v}
                                                      for v in versions],
         "preferredVersion": {"version": versions[0]}} for name, versions in groups.items()]}


def aggregated(groups):
    """An APIGroupDiscoveryList from {group: {version: [resources]}}."""
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "items": [
        {"metadata": {"name": group}, "versions": [
            {"version": version, "resources": [{"resource": r, "verbs": ["get", "list"]} for r in resources]}
            for version, resources in versions.items()]} for group, versions in groups.items()]}


def test_the_accept_header_asks_for_aggregated_v2_then_v2beta1_then_legacy():
    assert discovery.DISCOVERY_ACCEPT == (
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
        "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")


def test_a_legacy_group_list_keeps_the_preferred_version_first():
    body = {"groups": [{"name": "vpc.githedgehog.com", "versions": [{"version": "v1beta1"}, {"version": "v1beta2"}],
                        "preferredVersion": {"version": "v1beta2"}}]}
    assert discovery.group_versions(body) == {"vpc.githedgehog.com": ["v1beta2", "v1beta1"]}
    with pytest.raises(discovery.DiscoveryError):
        discovery.group_versions({"kind": "Status"})


def test_a_kind_is_read_at_the_newest_version_this_collection_knows():
    served = discovery.ServedApi(*discovery.aggregated_groups(aggregated(
        {"vpc.githedgehog.com": {"v1beta2": ["vpcs"], "v1beta1": ["vpcs", "vpcattachments"]}})))
    assert served.place(VPC) == ("read", "v1beta1", "")


def test_a_group_served_only_at_unknown_versions_is_unsupported_and_named():
    served = discovery.ServedApi(*discovery.aggregated_groups(aggregated(
        {"vpc.githedgehog.com": {"v1beta2": ["vpcs"], "v1alpha3": ["vpcs"]}})))
    placement = served.place(VPC)
    assert placement.state == discovery.UNSUPPORTED and placement.version is None
    assert placement.cause == ("the Kubernetes API serves vpc.githedgehog.com only at v1beta2, v1alpha3, and this "
                               "collection reads v1beta1: a Hedgehog release it does not support")


def test_one_kind_moved_to_an_unknown_version_is_named_by_itself():
    served = discovery.ServedApi(*discovery.aggregated_groups(aggregated(
        {"wiring.githedgehog.com": {"v1beta2": ["switches"], "v1beta1": ["servers", "connections"]}})))
    assert served.place(KINDS_BY_NAME["Server"]).version == "v1beta1"
    placement = served.place(SWITCH)
    assert placement.state == discovery.UNSUPPORTED
    assert placement.cause.startswith("the Kubernetes API serves switches.wiring.githedgehog.com only at v1beta2, "
                                      "and this collection reads v1beta1")


def test_absent_only_when_discovery_says_so():
    served = discovery.ServedApi(*discovery.aggregated_groups(aggregated(
        {"gateway.githedgehog.com": {"v1alpha1": ["gateways", "peerings", "vpcinfos"]}})))
    assert served.place(GATEWAY_GROUP) == ("absent", None, "gatewaygroups.gateway.githedgehog.com is not installed")
    assert served.place(VPC) == ("absent", None, "the API group vpc.githedgehog.com is not installed")


def test_legacy_discovery_loads_only_the_versions_a_placement_needs():
    loaded = []

    def load(group, version):
        loaded.append((group, version))
        return {"v1beta1": {"vpcs"}, "v1": {"ipv4namespaces"}}[version]

    served = discovery.ServedApi(discovery.group_versions(legacy(**{"vpc.githedgehog.com": ["v1", "v1beta1"]})),
                                 load=load, form="legacy")
    assert served.place(VPC).version == "v1beta1"
    assert loaded == [("vpc.githedgehog.com", "v1beta1")]
    # Not at the known version: the unknown ones tell whether it moved (unsupported) or is not installed.
    assert served.place(KINDS_BY_NAME["IPv4Namespace"]).state == discovery.UNSUPPORTED
    assert served.place(KINDS_BY_NAME["External"]).state == discovery.ABSENT
    assert loaded == [("vpc.githedgehog.com", "v1beta1"), ("vpc.githedgehog.com", "v1")]


def test_a_version_whose_resources_cannot_be_read_is_never_empty():
    def load(group, version):
        raise discovery.DiscoveryError("HTTP 503 from /apis/%s/%s" % (group, version))

    served = discovery.ServedApi({"vpc.githedgehog.com": ["v1beta1"], "wiring.githedgehog.com": ["v1beta2"]},
                                 load=load, form="legacy")
    placement = served.place(VPC)
    assert placement.state == discovery.UNDECIDED
    assert placement.cause == ("the discovery of vpc.githedgehog.com at v1beta1 could not be read: HTTP 503 from "
                               "/apis/vpc.githedgehog.com/v1beta1")
    # An unknown version that cannot be read may hold the kind: unsupported, not absent.
    assert served.place(SWITCH).state == discovery.UNSUPPORTED


def test_kinds_read_only_objects_of_their_group_at_known_versions():
    assert SWITCH.reads("wiring.githedgehog.com/v1beta1")
    assert not SWITCH.reads("wiring.githedgehog.com/v1alpha2")
    assert not SWITCH.reads("vpc.githedgehog.com/v1beta1")
    assert KINDS_BY_NAME["Gateway"].version == "v1alpha1"
