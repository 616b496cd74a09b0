"""Malformed CRDs: each is skipped with a warning naming its kind, its name and the cause; the rest syncs.

The single cases are planned in check mode against an empty NetBox (they write nothing, so the
next one finds it empty still and costs no new one); the runs that write each start from a NetBox
of their own.
"""

from __future__ import annotations

import copy

import pytest

import sync_helpers as h


def _edit(kind, name, change):
    def edit(directory):
        def apply(items):
            target = next(o for o in items if o["metadata"]["name"] == name)
            change(target)
            return items
        h.edit_objects(directory, kind, apply)
    return edit


def _switch_port(connection_type, index=None, value=None):
    def change(obj):
        body = obj["spec"][connection_type]
        link = body["link"] if index is None else body["links"][index]
        link["switch"]["port"] = value
    return change


def _add_server_on_used_port(directory):
    def servers(items):
        extra = copy.deepcopy(items[0])
        extra["metadata"] = {"name": "server-07", "namespace": "default"}
        extra["spec"] = {"description": "S-07 on a taken port"}
        return items + [extra]

    def connections(items):
        extra = copy.deepcopy(next(o for o in items if o["metadata"]["name"] == "server-03--unbundled--leaf-01"))
        extra["metadata"] = {"name": "server-07--unbundled--leaf-01", "namespace": "default"}
        extra["spec"]["unbundled"]["link"] = {"server": {"port": "server-07/enp2s1"},
                                              "switch": {"port": "leaf-01/E1/1"}}
        return items + [extra]

    h.edit_objects(directory, "Server", servers)
    h.edit_objects(directory, "Connection", connections)


def _missing_server_port(obj):
    del obj["spec"]["unbundled"]["link"]["server"]


def _unknown_type(obj):
    obj["spec"] = {"superlink": obj["spec"]["unbundled"]}


def _mistyped_asn(obj):
    obj["spec"]["asn"] = "65103"


def _dangling_server(obj):
    obj["spec"]["unbundled"]["link"]["server"]["port"] = "server-99/enp2s1"


# (id, edit, kind, name, cause, devices planned, cables planned)
CASES = [
    ("missing-field", _edit("Connection", "server-05--unbundled--leaf-03", _missing_server_port),
     "Connection", "server-05--unbundled--leaf-03", "missing spec.unbundled.link.server.port", 11, 21),
    ("mistyped-field", _edit("Switch", "leaf-03", _mistyped_asn),
     "Switch", "leaf-03", "spec.asn must be an integer, got '65103'", 10, 15),
    ("port-not-in-profile", _edit("Connection", "server-03--unbundled--leaf-01",
                                  _switch_port("unbundled", value="leaf-01/E1/99")),
     "Connection", "server-03--unbundled--leaf-01", "port leaf-01/E1/99 does not exist in switch profile vs", 11, 21),
    # A type of the usual two-ended shape keeps its cable, and says so.
    ("unknown-connection-type", _edit("Connection", "server-05--unbundled--leaf-03", _unknown_type),
     "Connection", "server-05--unbundled--leaf-03", "unknown connection type 'superlink' (a newer Hedgehog release?): "
     "only its 1 cable(s) are synced", 11, 22),
    ("unknown-server", _edit("Connection", "server-03--unbundled--leaf-01", _dangling_server),
     "Connection", "server-03--unbundled--leaf-01", "references server server-99, which does not exist", 11, 21),
    ("unknown-switch", _edit("Connection", "server-05--unbundled--leaf-03",
                             _switch_port("unbundled", value="leaf-09/E1/1")),
     "Connection", "server-05--unbundled--leaf-03", "references switch leaf-09, which does not exist", 11, 21),
    # NetBox holds the port for neither (it is empty): both claimants are refused, each naming the other.
    ("port-used-twice", _add_server_on_used_port,
     "Connection", "server-07--unbundled--leaf-01",
     "port leaf-01/E1/1 is also claimed by Connection server-01--eslag--leaf-01--leaf-02, and NetBox holds it for "
     "neither", 12, 20),
    ("port-twice-in-one-connection", _edit("Connection", "server-04--bundled--leaf-02",
                                           _switch_port("bundled", 1, "leaf-02/E1/3")),
     "Connection", "server-04--bundled--leaf-02", "port leaf-02/E1/3 appears twice in the connection", 11, 20),
]


@pytest.mark.parametrize("edit, kind, name, cause, devices, cables", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_malformed_object_is_skipped_with_its_warning(fresh_netbox, tmp_path, edit, kind, name, cause, devices,
                                                           cables):
    directory = h.copy_fixture("vlab", tmp_path)
    edit(directory)

    result, run = h.sync(h.config_for(fresh_netbox, directory), check_mode=True)

    assert result["result"] == "partial"
    mine = [p for p in result["problems"] if (p["kind"], p["name"]) == (kind, name)]
    assert len(mine) == 1, result["problems"]
    assert cause in mine[0]["cause"]
    assert len([w for w in result["warnings"] if w.startswith("%s %s: " % (kind, name)) and cause in w]) == 1
    # Whatever needs the skipped object is skipped too, each with a warning of its own (or named by it), and
    # nothing else is.
    for problem in result["problems"]:
        if (problem["kind"], problem["name"]) != (kind, name):
            assert "does not exist or was skipped" in problem["cause"] or name in problem["cause"], problem
    # The control node lands whatever the wiring's state.
    assert result["summary"]["device"]["create"] == devices + 1
    assert result["summary"]["cable"]["create"] == cables
    assert len(run.snapshot.switches) + len(run.snapshot.servers) == devices


def test_all_malformations_at_once_the_rest_lands(fresh_netbox, tmp_path):
    nb = fresh_netbox
    directory = h.copy_fixture("vlab", tmp_path)
    for case in CASES:
        if case[0] not in ("unknown-server", "unknown-switch", "port-twice-in-one-connection"):
            case[1](directory)  # the others edit objects already edited here

    result, _run = h.sync(h.config_for(nb, directory))

    assert result["result"] == "partial"
    named = set((p["kind"], p["name"]) for p in result["problems"])
    for case in CASES:
        if case[0] not in ("unknown-server", "unknown-switch", "port-twice-in-one-connection"):
            assert (case[2], case[3]) in named
    devices = sorted(d["name"] for d in h.api_list(nb, "dcim/devices", cf_hedgehog_fabric="vlab"))
    assert "leaf-03" not in devices and "server-07" in devices and len(devices) == 12
    # Cables of the connections that are fine: server-02 (ESLAG), server-04 (bundled), spines to leaf-01/02.
    # server-01 and server-07 both claim leaf-01 E1/1 and NetBox held it for neither: neither got it.
    assert h.owned_counts(nb, "vlab")["cable"] == 2 + 2 + 8
    assert h.interface(nb, "leaf-01", "E1/1")["cable"] is None

    again, _run = h.sync(h.config_for(nb, directory))
    assert again["requests"]["netbox"]["writes"] == 0
    assert again["warnings"] == result["warnings"]


def _add_servers(directory, *names):
    """New servers, each on an unbundled connection to a free port of leaf-01."""
    def servers(items):
        for name in names:
            extra = copy.deepcopy(items[0])
            extra["metadata"] = {"name": name, "namespace": "default"}
            extra["spec"] = {"description": "new"}
            items.append(extra)
        return items

    def connections(items):
        template = next(o for o in items if o["metadata"]["name"] == "server-03--unbundled--leaf-01")
        for number, name in enumerate(names, 20):
            extra = copy.deepcopy(template)
            extra["metadata"] = {"name": name + "--unbundled--leaf-01", "namespace": "default"}
            extra["spec"]["unbundled"]["link"] = {"server": {"port": name + "/enp2s1"},
                                                  "switch": {"port": "leaf-01/E1/%d" % number}}
            items.append(extra)
        return items

    h.edit_objects(directory, "Server", servers)
    h.edit_objects(directory, "Connection", connections)


def test_an_object_netbox_refuses_is_isolated_and_the_rest_lands(fresh_netbox, netbox_testbed, tmp_path):
    """A Kubernetes name may be longer than NetBox allows a device name: that device alone is refused."""
    nb = fresh_netbox
    h.restore_vlab(netbox_testbed, nb)
    directory = h.copy_fixture("vlab", tmp_path)
    too_long = "server-" + "x" * 60
    _add_servers(directory, too_long, "server-08")

    result, _run = h.sync(h.config_for(nb, directory))

    assert result["result"] == "partial"
    assert result["applied"] == {"device": {"create": 1}, "interface": {"create": 1}, "cable": {"create": 1}}
    by_name = dict((p["name"], p["cause"]) for p in result["problems"])
    refused = by_name["device %s" % too_long]
    assert refused.startswith("NetBox refused it: ") and "no more than 64 characters" in refused
    assert by_name["interface %s enp2s1" % too_long] == "needs device %s, which could not be written" % too_long
    assert [name for name in by_name if name.startswith("cable ")] == [
        "cable %s--unbundled--leaf-01 leaf-01/E1/20-%s/enp2s1" % (too_long, too_long)]
    # The other new server, in the same bulk request as the refused one, landed with its cable.
    label, ends = h.cable_ends(nb, h.interface(nb, "server-08", "enp2s1")["cable"]["id"])
    assert (label, ends) == ("server-08--unbundled--leaf-01", [("leaf-01", "E1/21"), ("server-08", "enp2s1")])
    assert h.api_count(nb, "dcim/devices", cf_hedgehog_fabric="vlab") == 13
