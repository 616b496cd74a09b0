"""Last known good: what a source object that cannot be used made in NetBox stays exactly as NetBox has it.

Every test starts from the VLAB synced into the real NetBox, breaks or doubles one thing in a
copy of its wiring, syncs, and compares every object the fabric owns before and after: a
skipped object's ports, LAGs, VLANs, cables, addresses and agent facts are neither removed nor
cleared nor rewritten; an object two source objects claim stays with the one NetBox shows holding
it, and the problem names the newcomer and the holder (never decided by name order).
"""

from __future__ import annotations

import copy

import pytest
import yaml

import sync_helpers as h


def _edit(kind, name, change):
    def edit(directory):
        def apply(items):
            change(next(o for o in items if o["metadata"]["name"] == name))
            return items
        h.edit_objects(directory, kind, apply)
    return edit


def _set(path, value):
    """A change that sets one field, given as a list of keys from the object down."""
    def change(obj):
        target = obj
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return change


def _sync_edited(nb, tmp_path, *edits):
    directory = h.copy_fixture("vlab", tmp_path)
    for edit in edits:
        edit(directory)
    before = h.fabric_rows(nb, "vlab")
    result, _run = h.sync(h.config_for(nb, directory))
    return result, before, h.fabric_rows(nb, "vlab")


def _held(result):
    """{cause: text} of the result's held-change problems."""
    return dict((p["name"], p["cause"]) for p in result["problems"] if p["kind"] == "held")


def _lag_of(nb, device, port):
    lag = h.interface(nb, device, port)["lag"]
    return lag["name"] if lag else None


def _vlans_of(nb, device, port):
    row = h.interface(nb, device, port)
    return ((row["mode"] or {}).get("value"), (row["untagged_vlan"] or {}).get("vid"),
            sorted(v["vid"] for v in row["tagged_vlans"]))


# (id, edit, kind and name of the bad object, its cause, a fact that must survive: (reader, expected))
BAD = [
    ("bundled-connection", _edit("Connection", "server-04--bundled--leaf-02", _set(
        ["spec", "bundled", "links", 0, "switch", "port"], None)),
     ("Connection", "server-04--bundled--leaf-02"), "missing spec.bundled.links[0].switch.port",
     (lambda nb: [_lag_of(nb, "leaf-02", "E1/3"), _lag_of(nb, "leaf-02", "E1/4")], ["PortChannel3", "PortChannel3"])),
    ("unbundled-connection", _edit("Connection", "server-03--unbundled--leaf-01", _set(
        ["spec", "unbundled", "link", "switch", "port"], "leaf-01")),
     ("Connection", "server-03--unbundled--leaf-01"), "spec.unbundled.link.switch.port 'leaf-01' is not of the form",
     (lambda nb: _vlans_of(nb, "leaf-01", "E1/3"), ("tagged", None, [1003]))),
    ("vpc", _edit("VPC", "vpc-01", _set(["spec", "permit"], [["nope"]])),
     ("VPC", "vpc-01"), "spec.permit[0] names unknown subnet(s) nope",
     (lambda nb: [_vlans_of(nb, "leaf-01", "PortChannel1"), _vlans_of(nb, "leaf-02", "PortChannel1")],
      [("tagged", None, [1001]), ("tagged", None, [1001])])),
    ("attachment", _edit("VPCAttachment", "server-01--eslag--leaf-01--leaf-02--vpc-01--subnet-01",
                         _set(["spec", "nativeVLAN"], "yes")),
     ("VPCAttachment", "server-01--eslag--leaf-01--leaf-02--vpc-01--subnet-01"), "spec.nativeVLAN must be true or false",
     (lambda nb: _vlans_of(nb, "leaf-01", "PortChannel1"), ("tagged", None, [1001]))),
    ("vlan-namespace", _edit("VLANNamespace", "default", _set(["spec", "ranges"], [{"from": 10, "to": 5}])),
     ("VLANNamespace", "default"), "spec.ranges[0]: 10-5 is empty",
     (lambda nb: [_vlans_of(nb, "leaf-01", "PortChannel1"), _vlans_of(nb, "leaf-01", "E1/3")],
      [("tagged", None, [1001]), ("tagged", None, [1003])])),
    ("ipv4-namespace", _edit("IPv4Namespace", "default", _set(["spec", "subnets"], ["10.0.0.0/33"])),
     ("IPv4Namespace", "default"), "spec.subnets[0] is not a network",
     (lambda nb: [_vlans_of(nb, "leaf-02", "PortChannel1"), _vlans_of(nb, "leaf-03", "E1/1")],
      [("tagged", None, [1001]), ("tagged", None, [1005])])),
    ("server", _edit("Server", "server-04", _set(["spec"], "S-04")),
     ("Server", "server-04"), "spec must be a mapping, got str",
     (lambda nb: [_lag_of(nb, "leaf-02", "E1/3"), _lag_of(nb, "leaf-02", "E1/4")], ["PortChannel3", "PortChannel3"])),
    # An odd part of a report is skipped (a state that is no mapping); a status that is none is a bad Agent.
    ("agent", _edit("Agent", "leaf-01", _set(["status"], "broken")),
     ("Agent", "leaf-01"), "status must be a mapping, got str",
     (lambda nb: h.api_list(nb, "dcim/devices", name="leaf-01")[0]["custom_fields"]["hedgehog_agent_version"],
      "v0.129.1")),
]


@pytest.mark.parametrize("edit, bad, cause, fact", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_a_bad_object_holds_everything_derived_from_it_as_netbox_has_it(vlab_nb, tmp_path, edit, bad, cause, fact):
    read, expected = fact
    assert read(vlab_nb) == expected  # as the first sync left it

    result, before, after = _sync_edited(vlab_nb, tmp_path, edit)

    assert result["result"] == "partial"
    assert any(cause in c for c in h.problems_of(result, *bad)), result["problems"]
    assert h.write_ops(result) == {}
    assert h.rows_diff(before, after) == {"removed": [], "added": [], "changed": []}
    assert after == before
    assert read(vlab_nb) == expected
    # Each cause says what it holds, by name.
    held = _held(result)
    assert held and all(text.startswith("%s change(s) held as NetBox has them" % text.split()[0])
                        for text in held.values()), held


def test_what_a_bad_object_holds_is_only_what_depends_on_it(vlab_nb, tmp_path):
    """A bad switch holds its device, ports, cables and addresses; server-02 leaving the fabric still goes."""
    def without_server_02(directory):
        connection = "server-02--eslag--leaf-01--leaf-02"
        h.edit_objects(directory, "VPCAttachment",
                       lambda items: [o for o in items if o["spec"]["connection"] != connection])
        h.edit_objects(directory, "Connection", lambda items: [o for o in items if o["metadata"]["name"] != connection])
        h.edit_objects(directory, "Server", lambda items: [o for o in items if o["metadata"]["name"] != "server-02"])

    result, before, after = _sync_edited(vlab_nb, tmp_path, without_server_02,
                                         _edit("Switch", "leaf-03", _set(["spec", "asn"], "65103")))

    assert h.problems_of(result, "Switch", "leaf-03") == ["spec.asn must be an integer, got '65103'"]
    assert h.write_ops(result) == {"device": {"delete": 1}, "lag": {"delete": 2}, "cable": {"delete": 2},
                                   "interface": {"update": 2}}
    assert h.rows_diff(before, after) == {
        "removed": ["dcim/cables: server-02--eslag--leaf-01--leaf-02"] * 2 + [
            "dcim/devices: server-02", "dcim/interfaces: leaf-01 PortChannel2", "dcim/interfaces: leaf-02 PortChannel2",
            "dcim/interfaces: server-02 bond2", "dcim/interfaces: server-02 enp2s1", "dcim/interfaces: server-02 enp2s2"],
        "added": [],
        "changed": ["dcim/interfaces: leaf-01 E1/2 (cable, lag)", "dcim/interfaces: leaf-02 E1/2 (cable, lag)"]}
    assert result["summary"]["device"]["kept"] == 1  # leaf-03, held with its ports, cables and addresses


# -- duplicate definitions and contested resources --------------------------------------------------------


def test_a_management_ip_defined_twice_keeps_both_switches_as_netbox_has_them(vlab_nb, tmp_path):
    leaf_01 = h.fixture_object("Switch", "leaf-01")["spec"]["ip"]
    leaf_02 = h.fixture_object("Switch", "leaf-02")["spec"]["ip"]

    result, before, after = _sync_edited(vlab_nb, tmp_path, _edit("Switch", "leaf-02", _set(["spec", "ip"], leaf_01)))

    assert result["result"] == "partial"
    assert h.problems_of(result, "ip_address") == [
        "defined 2 times differently (IP %s on leaf-01 M1; IP %s on leaf-02 M1): NetBox has it as IP %s on leaf-01 "
        "M1, which keeps it; the others are refused, and all stay as NetBox has them until one is left"
        % (leaf_01, leaf_01, leaf_01)]
    assert h.write_ops(result) == {}
    assert after == before
    # leaf-02 keeps its own address and its primary IP.
    device = h.api_list(vlab_nb, "dcim/devices", name="leaf-02")[0]
    assert device["primary_ip4"]["address"] == leaf_02
    assert h.api_count(vlab_nb, "ipam/ip-addresses", address=leaf_02, cf_hedgehog_fabric="vlab") == 1


def test_a_port_claimed_by_a_newcomer_stays_with_the_connection_that_holds_it(vlab_nb, tmp_path):
    """The newcomer's name sorts before the holder's: name order decides nothing."""
    def newcomer(directory):
        def servers(items):
            return items + [{"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Server",
                             "metadata": {"name": "a-server", "namespace": "default"}, "spec": {}}]

        def connections(items):
            extra = copy.deepcopy(next(o for o in items if o["metadata"]["name"] == "server-03--unbundled--leaf-01"))
            extra["metadata"] = {"name": "a-server--unbundled--leaf-01", "namespace": "default"}
            extra["spec"]["unbundled"]["link"] = {"server": {"port": "a-server/enp2s1"},
                                                  "switch": {"port": "leaf-01/E1/1"}}
            return items + [extra]
        h.edit_objects(directory, "Server", servers)
        h.edit_objects(directory, "Connection", connections)

    result, before, after = _sync_edited(vlab_nb, tmp_path, newcomer)

    assert h.problems_of(result, "Connection") == [
        "port leaf-01/E1/1 is also claimed by Connection server-01--eslag--leaf-01--leaf-02, which holds it in "
        "NetBox and keeps it: this one is refused, and both stay as NetBox has them until one is changed"]
    assert [(p["kind"], p["name"]) for p in result["problems"] if p["kind"] != "held"] == [
        ("Connection", "a-server--unbundled--leaf-01")]
    assert h.write_ops(result) == {"device": {"create": 1}}
    assert h.rows_diff(before, after) == {"removed": [], "added": ["dcim/devices: a-server"], "changed": []}
    assert _lag_of(vlab_nb, "leaf-01", "E1/1") == "PortChannel1"
    assert _vlans_of(vlab_nb, "leaf-01", "PortChannel1") == ("tagged", None, [1001])


def test_a_vlan_claimed_by_two_subnets_stays_with_the_subnet_that_holds_it(vlab_nb, tmp_path):
    result, before, after = _sync_edited(vlab_nb, tmp_path, _edit("VPC", "vpc-02", _set(
        ["spec", "subnets", "subnet-01", "vlan"], 1001)))

    assert h.problems_of(result, "VPC") == [
        "VLAN 1001 of VLANNamespace default is also claimed by VPC vpc-01/subnet-01, which holds it in NetBox and "
        "keeps it: this one is refused, and both stay as NetBox has them until one is changed"]
    assert h.write_ops(result) == {}
    assert after == before


def test_a_server_named_like_a_switch_leaves_the_switch_as_netbox_has_it(vlab_nb, tmp_path):
    def twin(directory):
        h.edit_objects(directory, "Server", lambda items: items + [{
            "apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Server",
            "metadata": {"name": "leaf-03", "namespace": "default"}, "spec": {"description": "not a switch"}}])

    result, before, after = _sync_edited(vlab_nb, tmp_path, twin)

    assert h.problems_of(result, "Server") == [
        "device name leaf-03 is also claimed by Switch leaf-03, which holds it in NetBox and keeps it: this one is "
        "refused, and both stay as NetBox has them until one is changed"]
    # What needs leaf-03 (its connections, their attachments) is held with it, quietly: no problem of its own.
    assert [p["kind"] for p in result["problems"] if p["kind"] != "held"] == ["Server"], result["problems"]
    assert h.write_ops(result) == {}
    assert after == before


def test_an_object_defined_twice_in_the_files_is_held_and_both_are_named(vlab_nb, tmp_path):
    def twice(directory):
        other = h.fixture_object("Server", "server-05")
        other["spec"]["description"] = "S-05 as another file has it"
        with open(directory / "more-servers.yaml", "w", encoding="utf-8") as handle:
            yaml.safe_dump(other, handle)

    result, before, after = _sync_edited(vlab_nb, tmp_path, twice)

    assert h.problems_of(result, "Server", "server-05") == [
        "defined 2 times with different specs (in more-servers.yaml, servers.yaml): none of them is used, and what "
        "NetBox holds of it stays as it is until one definition is left"]
    assert h.write_ops(result) == {}
    assert after == before
