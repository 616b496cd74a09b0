"""Hardware wiring without SwitchProfiles: the built-in profiles, a user's profile directory, and which wins.

A planned fabric's wiring (as hhfab reads it) names profiles such as
celestica-ds3000 but carries no SwitchProfile objects; the sync takes them from
the built-in profiles (every profile the supported releases ship) or from the
directory in ``switch_profiles_dir``, and a profile in the source wins over both.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import yaml

import sync_helpers as h

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profile_catalog import PROFILES

FABRIC = "lab"
SITE = "lab"
SWITCHES = {  # name: (role, profile, ASN, last octet)
    "spine-01": ("spine", "celestica-ds4000", 65100, 2),
    "leaf-01": ("server-leaf", "celestica-ds3000", 65101, 3),
    "leaf-02": ("server-leaf", "supermicro-sse-c4632sb", 65102, 4),
    "leaf-03": ("server-leaf", "dell-s5248f-on", 65103, 5),
}
TEMPLATE_COUNTS = {"celestica-ds4000": 34, "celestica-ds3000": 34, "supermicro-sse-c4632sb": 34, "dell-s5248f-on": 57}
MODELS = {"celestica-ds4000": ("Celestica", "Celestica DS4000"), "celestica-ds3000": ("Celestica", "Celestica DS3000"),
          "supermicro-sse-c4632sb": ("Supermicro", "Supermicro SSE-C4632SB"),
          "dell-s5248f-on": ("Dell", "Dell S5248F-ON")}


def _switch(name):
    role, profile, asn, octet = SWITCHES[name]
    spec = {"role": role, "profile": profile, "asn": asn, "ip": "172.30.0.%d/21" % octet,
            "protocolIP": "172.30.8.%d/32" % octet, "description": "%s on %s" % (name, profile)}
    if role != "spine":
        spec["vtepIP"] = "172.30.12.%d/32" % octet
    if name == "leaf-01":
        spec["portBreakouts"] = {"E1/5": "4x25G"}
    return {"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Switch",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def _connection(name, spec):
    return {"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Connection",
            "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def _fabric_link(spine_port, leaf_port, index):
    return {"spine": {"port": spine_port, "ip": "172.30.128.%d/31" % (2 * index)},
            "leaf": {"port": leaf_port, "ip": "172.30.128.%d/31" % (2 * index + 1)}}


def _unbundled(server, switch_port):
    return _connection("%s--unbundled--%s" % (server, switch_port.split("/")[0]), {"unbundled": {"link": {
        "server": {"port": "%s/enp2s1" % server}, "switch": {"port": switch_port}}}})


def write_wiring(directory, extra=()):
    """A hydrated hardware wiring directory without SwitchProfiles (plus ``extra`` objects)."""
    directory.mkdir(parents=True, exist_ok=True)
    switches = [_switch(name) for name in SWITCHES]
    servers = [{"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "Server",
                "metadata": {"name": "server-%02d" % n, "namespace": "default"}, "spec": {}} for n in (1, 2, 3)]
    connections = [
        _connection("spine-01--fabric--%s" % leaf, {"fabric": {"links": [
            _fabric_link("spine-01/E1/%d" % index, "%s/%s" % (leaf, port), index - 1)]}})
        for index, (leaf, port) in enumerate((("leaf-01", "E1/1"), ("leaf-02", "E1/1"), ("leaf-03", "E1/49")), start=1)
    ] + [
        _unbundled("server-01", "leaf-01/E1/5/2"),  # a breakout sub-port
        _unbundled("server-02", "leaf-03/E1/1"),  # a port of a port group
        _unbundled("server-03", "leaf-02/E1/33"),  # the 10G port
    ]
    (directory / "switches.yaml").write_text(yaml.safe_dump_all(switches), encoding="utf-8")
    (directory / "servers.yaml").write_text(yaml.safe_dump_all(servers), encoding="utf-8")
    (directory / "connections.yaml").write_text(yaml.safe_dump_all(connections), encoding="utf-8")
    if extra:
        (directory / "extra.yaml").write_text(yaml.safe_dump_all(list(extra)), encoding="utf-8")
    return directory


def profile_object(name, display, **port_changes):
    """A copy of a built-in profile under another display name, with ports changed."""
    obj = copy.deepcopy(PROFILES[name])
    obj["spec"]["displayName"] = display
    for port, fields in port_changes.items():
        obj["spec"]["ports"][port.replace("_", "/")].update(fields)
    return obj


def _device_types(nb):
    return dict((t["slug"], t) for t in h.api_list(nb, "dcim/device-types"))


def _resync_writes_nothing(nb, config, first):
    before_log = h.change_count(nb)
    again, _run = h.sync(config)
    assert again["changed"] is False, h.write_ops(again)
    assert again["requests"]["netbox"]["writes"] == 0
    assert h.change_count(nb) == before_log
    assert again["warnings"] == first["warnings"]


def test_hardware_wiring_without_profiles_syncs_from_the_builtin_ones(fresh_netbox, tmp_path):
    nb = fresh_netbox
    config = h.config_for(nb, write_wiring(tmp_path / "wiring"), fabric=FABRIC, site=SITE)
    first, run = h.sync(config)
    assert first["result"] == "success", first["warnings"]
    assert sorted(run.snapshot.switches) == sorted(SWITCHES)

    types = _device_types(nb)
    for profile, count in TEMPLATE_COUNTS.items():
        assert (types[profile]["manufacturer"]["name"], types[profile]["model"]) == MODELS[profile]
        assert h.api_count(nb, "dcim/interface-templates", device_type_id=types[profile]["id"]) == count
        facts = types[profile]["custom_fields"]["hedgehog_switch_profile"]
        assert facts["nos_type"] == "sonic-bcm-base" and facts["switch_silicon"] == PROFILES[profile]["spec"][
            "switchSilicon"]
    devices = dict((d["name"], d) for d in h.api_list(nb, "dcim/devices", site=SITE))
    for name, (_role, profile, _asn, _octet) in SWITCHES.items():
        assert devices[name]["device_type"]["slug"] == profile
        assert devices[name]["platform"]["slug"] == "sonic-bcm-base"
    # Ports from the templates, the loopbacks, and leaf-01's four breakout sub-ports of E1/5.
    assert h.api_count(nb, "dcim/interfaces", device="leaf-01") == 34 + 2 + 4
    assert h.api_count(nb, "dcim/interfaces", device="spine-01") == 34 + 1
    assert h.api_count(nb, "dcim/interfaces", device="leaf-03") == 57 + 2

    sub_port = h.interface(nb, "leaf-01", "E1/5/2")
    assert (sub_port["type"]["value"], sub_port["description"]) == ("25gbase-x-sfp28", "Ethernet17")
    label, ends = h.cable_ends(nb, sub_port["cable"]["id"])
    assert (label, ends) == ("server-01--unbundled--leaf-01", [("leaf-01", "E1/5/2"), ("server-01", "enp2s1")])
    ten_gig = h.interface(nb, "leaf-02", "E1/33")
    assert (ten_gig["type"]["value"], ten_gig["label"], ten_gig["description"]) == (
        "10gbase-x-sfpp", "33", "Ethernet128")
    # A breakout-capable port left whole is its base NOS name; a broken-out one keeps its breakout name.
    assert h.interface(nb, "leaf-01", "E1/1")["description"] == "Ethernet0"
    assert h.interface(nb, "leaf-01", "E1/5")["description"] == "1/5"
    assert h.interface(nb, "leaf-03", "E1/1")["type"]["value"] == "25gbase-x-sfp28"
    _label, ends = h.cable_ends(nb, h.interface(nb, "leaf-03", "E1/49")["cable"]["id"])
    assert ends == [("leaf-03", "E1/49"), ("spine-01", "E1/3")]

    _resync_writes_nothing(nb, config, first)


def test_a_profile_in_the_source_wins_over_the_users_which_wins_over_the_builtin_one(fresh_netbox, tmp_path):
    nb = fresh_netbox
    source_profile = profile_object("dell-s5248f-on", "Source S5248F-ON")
    wiring = write_wiring(tmp_path / "wiring", extra=[source_profile])
    users = tmp_path / "profiles"
    users.mkdir()
    (users / "lab.yaml").write_text(yaml.safe_dump_all([
        profile_object("celestica-ds3000", "Lab DS3000", E1_33={"label": "SFP-1"}),
        profile_object("dell-s5248f-on", "User S5248F-ON"),
    ]), encoding="utf-8")
    broken = users / "broken.yaml"
    broken.write_text(yaml.safe_dump({"apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "SwitchProfile",
                                      "metadata": {"name": "half-done"}, "spec": {"displayName": "Half"}}),
                      encoding="utf-8")
    config = h.config_for(nb, wiring, fabric=FABRIC, site=SITE, switch_profiles_dir=str(users))
    first, run = h.sync(config)

    assert first["result"] == "partial"
    assert first["problems"] == [{"kind": "SwitchProfile", "name": "half-done",
                                  "cause": "in %s: spec.ports is empty" % broken}]
    assert sorted(run.snapshot.switches) == sorted(SWITCHES)
    types = _device_types(nb)
    assert types["celestica-ds3000"]["model"] == "Lab DS3000"  # the user's over the built-in
    assert types["dell-s5248f-on"]["model"] == "Source S5248F-ON"  # the source's over the user's
    assert types["supermicro-sse-c4632sb"]["model"] == "Supermicro SSE-C4632SB"  # built in
    assert "half-done" not in types
    templates = h.api_list(nb, "dcim/interface-templates", device_type_id=types["celestica-ds3000"]["id"],
                           name="E1/33")
    assert [t["label"] for t in templates] == ["SFP-1"]
    assert h.interface(nb, "leaf-01", "E1/33")["label"] == "SFP-1"

    _resync_writes_nothing(nb, config, first)


def test_the_role_passes_the_profile_directory_from_the_inventory(fresh_netbox, tmp_path):
    nb = fresh_netbox
    wiring = write_wiring(tmp_path / "wiring")
    users = tmp_path / "profiles"
    users.mkdir()
    (users / "lab.yaml").write_text(yaml.safe_dump(profile_object("celestica-ds4000", "Lab DS4000")), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(h.REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(h.REPO_ROOT / ".ansible" / "collections"), NETBOX_API=nb.url,
               NETBOX_TOKEN=nb.token)
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "inventory", "playbooks/sync.yml",
         "-e", "fabric=vlab-wiring", "-e", "hedgehog_wiring_dir=%s" % wiring,
         "-e", "hedgehog_switch_profiles_dir=%s" % users],
        cwd=h.REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    types = _device_types(nb)
    assert types["celestica-ds4000"]["model"] == "Lab DS4000"
    assert types["celestica-ds3000"]["model"] == "Celestica DS3000"
    assert h.api_count(nb, "dcim/devices", site="vlab-plan") == len(SWITCHES) + 3


HARDWARE = "hhfab-hardware-hydrated"
HARDWARE_TYPES = {"ds3000-01": "celestica-ds3000", "ds3000-02": "celestica-ds3000", "ds4000-01": "celestica-ds4000",
                  "ds4000-02": "celestica-ds4000", "s5248-01": "dell-s5248f-on", "sse-c4632-01": "supermicro-sse-c4632sb"}


def _without_the_static_external(directory):
    """The hardware lab minus its static External, whose link subnet is also its prefix (a case of its own)."""
    path = directory / "include" / "externals.yaml"
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8"))
                 if d and "ext-static" not in d["metadata"]["name"]]
    path.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    return directory


def test_an_hhfab_hardware_fabric_lands_with_its_breakouts_and_mtu(fresh_netbox, tmp_path):
    """hhfab's hardware lab: five switch models from the built-in profiles, breakouts of 4x25G, 4x10G, 2x50G and
    4x100G, and a gateway whose ports carry the MTU of its spec."""
    nb = fresh_netbox
    directory = _without_the_static_external(h.copy_fixture(HARDWARE, tmp_path))
    config = h.config_for(nb, directory, fabric="lab", site="LAB")

    first, run = h.sync(config)

    assert first["result"] == "success", first["warnings"]
    assert first["warnings"] == [h.plain_http(nb)]
    devices = dict((d["name"], d) for d in h.api_list(nb, "dcim/devices", site="lab"))
    assert dict((name, devices[name]["device_type"]["slug"]) for name in HARDWARE_TYPES) == HARDWARE_TYPES
    assert sorted(run.snapshot.gateways) == ["gateway-1"]

    def sub_ports(switch, port):
        rows = h.api_list(nb, "dcim/interfaces", device=switch, name__isw=port + "/")
        return [(row["name"], row["type"]["value"], row["custom_fields"]["hedgehog_fabric"]) for row in rows]

    assert sub_ports("ds3000-01", "E1/1") == [("E1/1/%d" % n, "25gbase-x-sfp28", "lab") for n in range(1, 5)]
    assert sub_ports("ds3000-01", "E1/2") == [("E1/2/%d" % n, "10gbase-x-sfpp", "lab") for n in range(1, 5)]
    assert [name for name, _type, _owner in sub_ports("ds3000-02", "E1/2")] == ["E1/2/1", "E1/2/2"]
    assert [name for name, _type, _owner in sub_ports("ds4000-01", "E1/1")] == ["E1/1/%d" % n for n in range(1, 5)]
    # A 1x100G "breakout" is the port itself: no sub-port.
    assert sub_ports("ds4000-01", "E1/20") == []
    for port in ("enp2s1", "enp2s2"):
        gateway_port = h.interface(nb, "gateway-1", port)
        assert (gateway_port["mtu"], gateway_port["custom_fields"]["hedgehog_fabric"]) == (9100, "lab")

    _resync_writes_nothing(nb, config, first)
