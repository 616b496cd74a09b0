"""The wiring-directory source: what it reads of an hhfab work directory, hydration checked and planned.

The hhfab fixtures are what ``hhfab init`` and ``hhfab vlab gen`` leave on disk; the ``-hydrated`` twins
hold what hhfab's hydration assigns (``testbed.hhfab_wiring.hydrate``, the reference for hhfab's plan).
"""

from __future__ import annotations

import os
import shutil

import pytest
import yaml

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import SourceError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import hydration
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir, wiring_files
from testbed import hhfab_wiring
from testbed.paths import FIXTURES

VLAB_COUNTS = {"VLANNamespace": 1, "IPv4Namespace": 1, "SwitchGroup": 2, "Switch": 5, "Server": 6, "Connection": 12}
HYDRATED_KINDS = ("Switch", "Connection", "Gateway")


def copy_fixture(name, tmp_path):
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def write_yaml(path, *documents):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(documents, handle)


def switch(name, **spec):
    return {"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Switch", "metadata": {"name": name},
            "spec": dict({"role": "server-leaf", "profile": "vs"}, **spec)}


def by_name(data, kind):
    return dict((obj["metadata"]["name"], obj) for obj in data.items(kind))


# -- what is read ---------------------------------------------------------------------------


def test_an_hhfab_work_directory_is_read_as_hhfab_reads_it(tmp_path):
    workdir = copy_fixture("hhfab-vlab", tmp_path)
    # None of these is wiring to hhfab: results, other suffixes, sub-folders of include/.
    write_yaml(workdir / "result" / "wiring.yaml", switch("leaf-91"))
    write_yaml(workdir / "include" / "notes.yml", switch("leaf-92"))
    write_yaml(workdir / "include" / "old" / "wiring.yaml", switch("leaf-93"))
    write_yaml(workdir / "extra.yaml", switch("leaf-94"))
    assert (workdir / ".registry.yaml").is_file()

    assert wiring_files(str(workdir)) == [str(workdir / "include" / "vlab.generated.yaml")]
    data = read_wiring_dir(str(workdir), fabric="vlab")
    assert data.count() == VLAB_COUNTS
    # fab.yaml's Fabricator tells the address plan, not the fabric's state: it is not a source object.
    assert data.items("Fabricator") == []
    assert data.hydration == hydration.NONE


def test_several_include_files_are_one_fabric():
    data = read_wiring_dir(str(FIXTURES / "hhfab-hardware"), fabric="lab")
    assert data.count() == {
        "VLANNamespace": 1, "IPv4Namespace": 1, "SwitchGroup": 2, "GatewayGroup": 1, "Gateway": 1, "Switch": 6,
        "Server": 9, "Connection": 21, "External": 2, "ExternalAttachment": 2, "ExternalPeering": 2, "VPC": 2,
        "VPCAttachment": 9, "VPCPeering": 1}
    assert data.hydration == hydration.NONE


def test_a_plain_directory_is_read_whole_but_its_hidden_files(tmp_path):
    write_yaml(tmp_path / "switches.yaml", {"apiVersion": "v1", "kind": "List", "items": [switch("leaf-01")]})
    write_yaml(tmp_path / "more" / "b.yml", switch("leaf-02"))
    write_yaml(tmp_path / ".registry.yaml", {"prefix": "ghcr.io", "repo": "githedgehog"})
    write_yaml(tmp_path / ".git" / "x.yaml", switch("leaf-03"))
    write_yaml(tmp_path / ".hidden.yaml", switch("leaf-04"))
    data = read_wiring_dir(str(tmp_path), fabric="f")
    assert sorted(by_name(data, "Switch")) == ["leaf-01", "leaf-02"]


@pytest.mark.parametrize("name, expected", [
    ("hhfab-vlab", "none"), ("hhfab-mesh", "none"), ("hhfab-hardware", "none"),
    ("hhfab-vlab-hydrated", "full"), ("hhfab-mesh-hydrated", "full"), ("hhfab-hardware-hydrated", "full"),
    ("vlab", "full"), ("vlab-gateway", "full"), ("vlab-mclag", "full"), ("mclag-agent-missing", "full"),
])
def test_hydration_is_what_hhfab_counts(name, expected):
    assert read_wiring_dir(str(FIXTURES / name), fabric="f").hydration == expected


# -- partly hydrated wiring -------------------------------------------------------------------------


def test_partly_hydrated_wiring_is_refused_naming_every_object_and_what_it_lacks():
    with pytest.raises(SourceError) as raised:
        read_wiring_dir(str(FIXTURES / "hhfab-partial"), fabric="vlab")
    links = "links[0].spine.ip, links[0].leaf.ip, links[1].spine.ip, links[1].leaf.ip"
    assert str(raised.value) == (
        "fabric vlab: the wiring is partly hydrated, which hhfab refuses too: "
        "ControlNode control-1 lacks management.ip; "
        "Switch leaf-02 lacks ip, protocolIP, vtepIP; "
        "Switch leaf-03 lacks ip, protocolIP, asn, vtepIP; "
        "Connection spine-01--fabric--leaf-03 lacks %s; "
        "Connection spine-02--fabric--leaf-03 lacks %s. "
        "Set every switch, link and gateway address and ASN (as hhfab build assigns them, or from the live "
        "fabric) or none of them" % (links, links))
    assert raised.value.details["present"] > 0
    assert "Switch leaf-03 asn" in raised.value.details["missing"]


def test_one_address_in_unhydrated_wiring_makes_it_partly_hydrated(tmp_path):
    workdir = copy_fixture("hhfab-vlab", tmp_path)
    path = workdir / "include" / "vlab.generated.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  role: spine\n", "  role: spine\n  asn: 65100\n", 1), encoding="utf-8")
    with pytest.raises(SourceError, match=r"Switch leaf-01 lacks ip, protocolIP, asn, vtepIP; ") as raised:
        read_wiring_dir(str(workdir), fabric="vlab")
    # spine-01 has its ASN now, so only its addresses are missing.
    assert "Switch spine-01 lacks ip, protocolIP;" in str(raised.value)


def test_a_gateway_link_with_the_old_spine_key_counts_its_switch_side():
    data = read_wiring_dir(str(FIXTURES / "vlab-gateway"), fabric="vlab")
    present, missing = hydration.hydration_fields([], data)
    assert missing == []
    assert ("Connection", "spine-02--gateway--gateway-2", "links[0].switch.ip") in present


# -- hhfab's plan (wiring_hydrate) ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["hhfab-vlab", "hhfab-mesh", "hhfab-hardware"])
def test_hydrating_gives_exactly_what_hhfab_assigns(name):
    planned = read_wiring_dir(str(FIXTURES / name), fabric="f", hydrate=True)
    hydrated = read_wiring_dir(str(FIXTURES / ("%s-hydrated" % name)), fabric="f")
    assert planned.hydration == hydration.PLANNED
    for kind in HYDRATED_KINDS:
        assert by_name(planned, kind) == by_name(hydrated, kind), kind


def test_hydrating_follows_the_plan_fab_yaml_sets(tmp_path):
    workdir = copy_fixture("hhfab-vlab", tmp_path)
    fab_yaml = workdir / "fab.yaml"
    text = fab_yaml.read_text(encoding="utf-8")
    settings = ("      spineASN: 64900\n      leafASNStart: 64901\n      protocolSubnet: 10.99.8.0/22\n"
                "      vtepSubnet: 10.99.12.0/22\n      fabricSubnet: 10.99.128.0/17\n")
    text = text.replace("      mode: spine-leaf", settings + "      mode: spine-leaf", 1)
    text = text.replace("    control:\n", "    control:\n      managementSubnet: 10.98.0.0/24\n"
                        "      controlVIP: 10.98.0.1/32\n", 1)
    fab_yaml.write_text(text, encoding="utf-8")

    planned = read_wiring_dir(str(workdir), fabric="f", hydrate=True)
    reference = hhfab_wiring.read_workdir(str(workdir))
    _fab, expected = hhfab_wiring.hydrate(reference.fab_objects(), reference.wiring_objects())
    for kind in HYDRATED_KINDS:
        assert by_name(planned, kind) == dict((o["metadata"]["name"], o) for o in expected if o["kind"] == kind)
    spine = by_name(planned, "Switch")["spine-01"]["spec"]
    assert (spine["asn"], spine["ip"], spine["protocolIP"]) == (64900, "10.98.0.6/24", "10.99.8.0/32")


def test_hydrating_leaves_hydrated_wiring_as_it_is():
    data = read_wiring_dir(str(FIXTURES / "hhfab-vlab-hydrated"), fabric="f", hydrate=True)
    assert data.hydration == hydration.FULL


def test_hydrating_partly_hydrated_wiring_is_refused_too():
    with pytest.raises(SourceError, match="partly hydrated"):
        read_wiring_dir(str(FIXTURES / "hhfab-partial"), fabric="f", hydrate=True)


def test_hydrating_needs_the_plan_of_a_fab_yaml(tmp_path):
    shutil.copytree(FIXTURES / "hhfab-vlab" / "include", tmp_path / "include")
    with pytest.raises(SourceError) as raised:
        read_wiring_dir(str(tmp_path), fabric="f", hydrate=True)
    assert str(raised.value) == ("fabric f: wiring_hydrate needs an hhfab work directory (a fab.yaml next to "
                                 "include/): %s has none" % tmp_path)


def test_hydrating_gives_an_mclag_pair_one_asn_and_vtep(tmp_path):
    workdir = copy_fixture("hhfab-vlab", tmp_path)
    mclag = {"group": "mclag-1", "type": "mclag"}
    switches = [hhfab_wiring.switch_object("spine-01", "spine", "", "vs", {}),
                hhfab_wiring.switch_object("leaf-02", "server-leaf", "", "vs", {}, redundancy=mclag),
                hhfab_wiring.switch_object("leaf-01", "server-leaf", "", "vs", {}, redundancy=mclag),
                hhfab_wiring.switch_object("leaf-03", "mixed-leaf", "", "vs", {})]
    (workdir / "include" / "vlab.generated.yaml").write_text(hhfab_wiring.render_include(switches), encoding="utf-8")
    planned = by_name(read_wiring_dir(str(workdir), fabric="f", hydrate=True), "Switch")
    got = dict((name, (sw["spec"]["ip"], sw["spec"].get("vtepIP"), sw["spec"]["asn"])) for name, sw in planned.items())
    assert got == {"spine-01": ("172.30.0.6/21", None, 65100),
                   "leaf-03": ("172.30.0.7/21", "172.30.12.0/32", 65101),  # mixed-leaf sorts before server-leaf
                   "leaf-01": ("172.30.0.8/21", "172.30.12.1/32", 65102),
                   "leaf-02": ("172.30.0.9/21", "172.30.12.1/32", 65102)}


def test_a_long_list_of_what_lacks_what_is_cut_in_the_message_and_whole_in_the_details():
    keys = [("Switch", "leaf-%02d" % n, "ip") for n in range(1, 26)]
    text = hydration.describe(keys)
    assert text.startswith("Switch leaf-01 lacks ip; Switch leaf-02 lacks ip; ")
    assert text.endswith("Switch leaf-20 lacks ip; and 5 more objects")
