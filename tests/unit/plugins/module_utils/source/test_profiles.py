"""Built-in switch profiles (every profile the supported releases ship) and profiles from a user's directory.

The facts checked here are read off githedgehog/fabric's definitions
(pkg/ctrl/switchprofile at v0.126.0) and its generated docs/profiles.md.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml

from testbed import generator
from testbed.paths import FIXTURES

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import (
    build_snapshot,
    resolve_switch_port,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profile_catalog import PROFILES
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import (
    BUILTIN_PROFILES,
    fallback_profiles,
    profile_faults,
    read_profile_dir,
)


SHIPPED = [
    "celestica-ds2000", "celestica-ds2000-clsp", "celestica-ds3000", "celestica-ds3000-clsp", "celestica-ds4000",
    "celestica-ds4000-clsp", "celestica-ds4101", "celestica-ds4101-clsp", "celestica-ds5000", "celestica-ds5000-clsp",
    "cumulus-vx", "dell-s5232f-on", "dell-s5248f-on", "dell-z9332f-on", "edgecore-dcs203", "edgecore-dcs204",
    "edgecore-dcs240", "edgecore-dcs501", "edgecore-eps202", "edgecore-eps203", "supermicro-sse-c4632sb", "vs",
    "vs-clsp",
]


class _Switch:
    name = "leaf-01"

    def __init__(self, breakouts=None):
        self.port_breakouts = breakouts or {}


# -- every built-in profile -------------------------------------------------------------


def test_every_profile_the_releases_ship_is_built_in():
    assert sorted(BUILTIN_PROFILES) == SHIPPED


@pytest.mark.parametrize("name", SHIPPED)
def test_a_builtin_profile_is_whole(name):
    profile = BUILTIN_PROFILES[name]
    assert profile_faults(profile) == []
    assert profile.display_name and profile.silicon and profile.nos_type and profile.platform
    management = [port for port in profile.ports.values() if port.management]
    assert [port.name for port in management] == ["M1"] and management[0].nos == "Management0"
    data_ports = [port for port in profile.ports.values() if not port.management]
    assert data_ports and all(port.nos or port.base_nos for port in data_ports)
    assert len(set(port.nos for port in data_ports)) == len(data_ports)  # NOS names are unique
    assert len(set(port.label for port in data_ports)) == len(data_ports)
    assert all(profile.speed_of(port.name) for port in data_ports)  # every port has a speed
    for port in data_ports:
        for mode, offsets in profile.breakout_modes(port.name).items():
            assert len(offsets) == int(mode.split("x")[0]), (port.name, mode)


def test_the_objects_are_switchprofiles_as_the_controller_serves_them():
    for name, obj in PROFILES.items():
        assert obj["apiVersion"] == "wiring.githedgehog.com/v1beta1" and obj["kind"] == "SwitchProfile"
        assert obj["metadata"] == {"name": name, "namespace": "default"}


# -- what the fabric's definitions say about a few of them ------------------------------


def test_celestica_ds3000():
    ds3000 = BUILTIN_PROFILES["celestica-ds3000"]
    assert (ds3000.display_name, ds3000.other_names) == ("Celestica DS3000", ["Celestica Seastone2"])
    assert (ds3000.silicon, ds3000.nos_type, ds3000.platform) == (
        "Broadcom TD3-X7 3.2T", "sonic-bcm-base", "x86_64-cel_seastone_2-r0")
    assert ds3000.features == {"subinterfaces": True, "acls": True, "l2vni": True, "l3vni": True, "roce": True,
                               "mclag": True, "eslag": True}
    assert len(ds3000.ports) == 34
    first = ds3000.ports["E1/1"]
    assert (first.nos, first.base_nos, first.label, first.profile) == ("1/1", "Ethernet0", "1", "QSFP28-100G")
    assert ds3000.ports["E1/32"].base_nos == "Ethernet124"
    assert ds3000.default_breakout("E1/1") == "1x100G"
    assert ds3000.breakout_modes("E1/1") == {
        "1x100G": ["0"], "1x40G": ["0"], "1x50G": ["0"], "2x50G": ["0", "2"], "4x25G": ["0", "1", "2", "3"],
        "4x10G": ["0", "1", "2", "3"]}
    last = ds3000.ports["E1/33"]
    assert (last.nos, last.base_nos, last.label, last.profile) == ("Ethernet128", "", "33", "SFP28-10G")
    assert ds3000.speed_of("E1/33") == "10G" and ds3000.breakout_modes("E1/33") == {}
    assert ds3000.port_profiles["SFP28-10G"] == {"speed": {"default": "10G", "supported": ["1G", "10G"]}}
    assert resolve_switch_port(ds3000, _Switch({"E1/5": "4x25G"}), "E1/5/4") == "E1/5/4"


def test_supermicro_sse_c4632sb_is_the_ds3000_hardware_under_its_own_name():
    supermicro, ds3000 = BUILTIN_PROFILES["supermicro-sse-c4632sb"], BUILTIN_PROFILES["celestica-ds3000"]
    assert (supermicro.display_name, supermicro.other_names) == ("Supermicro SSE-C4632SB", [])
    assert (supermicro.silicon, supermicro.nos_type, supermicro.platform) == (
        ds3000.silicon, ds3000.nos_type, "x86_64-cel_seastone_2-r0")
    assert supermicro.ports == ds3000.ports and supermicro.port_profiles == ds3000.port_profiles


def test_cumulus_vx():
    vx = BUILTIN_PROFILES["cumulus-vx"]
    assert (vx.display_name, vx.silicon, vx.nos_type, vx.platform) == (
        "Cumulus VX", "vs", "cumulus-vx", "x86_64-kvm_x86_64-r0")
    assert len(vx.ports) == 34
    assert (vx.ports["E1/1"].nos, vx.ports["E1/33"].nos) == ("Ethernet0", "Ethernet32")
    assert vx.speed_of("E1/1") == "100G" and vx.speed_of("E1/33") == "10G"
    assert all(not vx.breakout_modes(port) for port in vx.ports)


def test_celestica_ds4000_has_eight_way_breakouts_and_its_pipelines():
    ds4000 = BUILTIN_PROFILES["celestica-ds4000"]
    assert ds4000.silicon == "Broadcom TH3" and ds4000.features == {"acls": True, "roce": True}
    assert (ds4000.ports["E1/32"].base_nos, ds4000.ports["E1/33"].nos) == ("Ethernet248", "Ethernet256")
    assert ds4000.breakout_modes("E1/1")["4x100G"] == ["0", "2", "4", "6"]
    assert len(ds4000.breakout_modes("E1/1")["8x50G"]) == 8
    spec = PROFILES["celestica-ds4000"]["spec"]
    assert spec["maxPorts"] == 144 and spec["pipelines"]["1"] == {"maxPorts": 18}
    assert spec["ports"]["E1/5"]["pipeline"] == "2"


def test_dell_s5248f_on_groups_its_sfp28_ports_and_breaks_out_its_qsfp28_ports():
    dell = BUILTIN_PROFILES["dell-s5248f-on"]
    assert (dell.ports["E1/1"].nos, dell.ports["E1/1"].group, dell.speed_of("E1/1")) == ("Ethernet0", "1", "25G")
    assert dell.ports["E1/48"].group == "12" and dell.port_groups["12"] == {"nos": "12", "profile": "SFP28-25G"}
    assert (dell.ports["E1/49"].nos, dell.ports["E1/49"].base_nos) == ("1/49", "Ethernet48")
    assert sorted(dell.breakout_modes("E1/56")) == ["1x100G", "1x10G", "1x25G", "1x40G", "1x50G", "2x50G", "4x10G",
                                                    "4x25G"]


def test_vs_is_the_dell_s5248f_on_without_its_breakout_ports():
    vs, dell = BUILTIN_PROFILES["vs"], BUILTIN_PROFILES["dell-s5248f-on"]
    assert (vs.silicon, vs.nos_type) == ("vs", "sonic-bcm-vs")
    assert vs.ports == dict((name, port) for name, port in dell.ports.items() if not port.base_nos)
    assert list(vs.port_profiles) == ["SFP28-25G"]


# -- the hand-written test data agrees with the generated profiles ----------------------


@pytest.mark.parametrize("fixture", ["vlab", "vlab-mclag", "vlab-gateway"])
def test_the_fixtures_profiles_agree_with_the_builtin_ones(fixture):
    with open(os.path.join(FIXTURES, fixture, "switchprofiles.yaml"), encoding="utf-8") as handle:
        items = yaml.safe_load(handle)["items"]
    assert items
    for item in items:
        builtin = PROFILES[item["metadata"]["name"]]["spec"]
        for key in ("ports", "portGroups", "portProfiles", "switchSilicon", "nosType", "platform", "features"):
            assert item["spec"].get(key) == builtin.get(key), (item["metadata"]["name"], key)


def test_the_testbed_generators_profiles_agree_with_the_builtin_ones():
    for name, spec in generator.PROFILE_SPECS.items():
        builtin = PROFILES[name]["spec"]
        for key in ("ports", "portGroups", "portProfiles"):
            assert spec.get(key) == builtin.get(key), (name, key)


# -- a user's directory -----------------------------------------------------------------


def profile_object(name, display="Lab switch", **spec):
    obj = copy.deepcopy(PROFILES["celestica-ds3000"])
    obj["metadata"] = {"name": name}
    obj["spec"]["displayName"] = display
    obj["spec"].update(spec)
    return obj


def write(path, *documents):
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    return str(path)


def problems(found):
    return [(p.kind, p.name, p.cause) for p in found]


def test_profiles_load_from_several_files_one_or_many_per_file_and_lists(tmp_path):
    write(tmp_path / "one.yaml", profile_object("lab-a"), profile_object("lab-b"))
    (tmp_path / "more").mkdir()
    write(tmp_path / "more" / "list.yml", {"apiVersion": "v1", "kind": "List", "items": [profile_object("lab-c")]})
    write(tmp_path / "other.yaml", {"kind": "Switch", "metadata": {"name": "leaf-01"}, "spec": {}})
    (tmp_path / "notes.txt").write_text("not yaml: [", encoding="utf-8")
    profiles, found = read_profile_dir(str(tmp_path), fabric="lab")
    assert found == []
    assert sorted(profiles) == ["lab-a", "lab-b", "lab-c"]
    assert profiles["lab-a"].display_name == "Lab switch" and profiles["lab-a"].ports["E1/1"].base_nos == "Ethernet0"


def test_bad_profiles_are_problems_naming_the_file_and_the_profile_and_the_rest_load(tmp_path):
    empty = write(tmp_path / "a-empty.yaml", profile_object("no-ports", ports={}))
    dangling = profile_object("dangling")
    dangling["spec"]["ports"]["E1/2"]["profile"] = "QSFP99"
    dangling_path = write(tmp_path / "b-dangling.yaml", dangling, profile_object("good"))
    broken = tmp_path / "c-broken.yaml"
    broken.write_text("kind: SwitchProfile\nmetadata: {name: [\n", encoding="utf-8")
    again = write(tmp_path / "d-again.yaml", profile_object("good", display="Second"))
    unnamed = write(tmp_path / "e-unnamed.yaml", {"kind": "SwitchProfile", "spec": {}})
    profiles, found = read_profile_dir(str(tmp_path))
    assert sorted(profiles) == ["good"] and profiles["good"].display_name == "Lab switch"
    causes = problems(found)
    assert causes[0] == ("SwitchProfile", "no-ports", "in %s: spec.ports is empty" % empty)
    assert causes[1] == ("SwitchProfile", "dangling",
                         "in %s: port E1/2: port profile QSFP99 does not exist" % dangling_path)
    assert causes[2][:2] == ("SwitchProfile", str(broken))
    assert causes[2][2].startswith("cannot read the switch profile file: ")
    assert causes[3] == ("SwitchProfile", "good", "in %s: also defined in %s, which is used" % (again, dangling_path))
    assert causes[4] == ("SwitchProfile", "(unnamed)", "in %s: metadata.name is missing" % unnamed)
    assert len(causes) == 5


def test_a_breakout_whose_offsets_do_not_add_up_is_refused(tmp_path):
    odd = profile_object("odd")
    odd["spec"]["portProfiles"]["QSFP28-100G"]["breakout"]["supported"]["4x25G"]["offsets"] = ["0", "1"]
    path = write(tmp_path / "odd.yaml", odd)
    profiles, found = read_profile_dir(str(tmp_path))
    assert profiles == {}
    assert problems(found) == [("SwitchProfile", "odd", "in %s: port profile QSFP28-100G: breakout 4x25G has 2 "
                                                        "offset(s)" % path)]


def test_a_missing_directory_is_a_configuration_error_naming_the_fabric(tmp_path):
    with pytest.raises(ConfigError) as caught:
        read_profile_dir(str(tmp_path / "nowhere"), fabric="lab")
    assert str(caught.value) == "fabric lab: switch profile directory %s does not exist" % (tmp_path / "nowhere")


def test_a_users_profile_wins_over_the_builtin_one_and_the_sources_over_both(tmp_path):
    write(tmp_path / "mine.yaml", profile_object("celestica-ds3000", display="My DS3000"),
          profile_object("dell-s5248f-on", display="My S5248"))
    profiles, found = fallback_profiles(str(tmp_path), fabric="lab")
    assert found == []
    assert profiles["celestica-ds3000"].display_name == "My DS3000"
    assert profiles["edgecore-dcs203"] is BUILTIN_PROFILES["edgecore-dcs203"]
    assert BUILTIN_PROFILES["celestica-ds3000"].display_name == "Celestica DS3000"  # the built-ins are untouched

    data = SourceData("test")
    data.add("SwitchProfile", [profile_object("dell-s5248f-on", display="Source S5248")])
    data.add("Switch", [
        {"kind": "Switch", "metadata": {"name": name}, "spec": {
            "role": "server-leaf", "profile": profile, "asn": 65101, "ip": "172.30.0.%d/21" % index,
            "protocolIP": "172.30.8.%d/32" % index}}
        for index, (name, profile) in enumerate((("leaf-01", "celestica-ds3000"), ("leaf-02", "dell-s5248f-on"),
                                                 ("leaf-03", "edgecore-dcs203")), start=1)])
    snapshot = build_snapshot("lab", data, profiles)
    assert snapshot.problems == []
    assert snapshot.profiles["celestica-ds3000"].display_name == "My DS3000"
    assert snapshot.profiles["dell-s5248f-on"].display_name == "Source S5248"
    assert snapshot.profiles["edgecore-dcs203"].display_name == "Edgecore DCS203"


def test_without_a_directory_the_builtin_profiles_are_the_fallback():
    assert fallback_profiles(None) == (BUILTIN_PROFILES, [])


def test_the_directorys_problems_are_the_snapshots_problems(tmp_path):
    write(tmp_path / "bad.yaml", profile_object("broken", ports={}))
    profiles, found = fallback_profiles(str(tmp_path))
    snapshot = build_snapshot("lab", SourceData("test"), profiles, found)
    assert problems(snapshot.problems) == [("SwitchProfile", "broken", "in %s: spec.ports is empty"
                                            % (tmp_path / "bad.yaml"))]
