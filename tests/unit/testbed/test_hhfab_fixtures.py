"""The hhfab work directories (tests/fixtures/hhfab-*) are what hhfab writes and hydrates.

The expected values here are written out from the hhfab sources and hedgehog-crds.md section 8.1,
not taken from the writer, so a writer that is consistently wrong fails. The live ``vlab`` fixture
describes the same fabric as ``hhfab-vlab`` and is used as a second, independent source.
"""

from __future__ import annotations

import collections
import ipaddress
import os
import re

import pytest
import yaml

from testbed import generator, hhfab_wiring
from testbed.paths import FIXTURES, REPO_ROOT, TESTS_DIR

FIXTURES_DIR = str(FIXTURES)
SANITY_DIR = os.path.join(TESTS_DIR, "sanity")
UNHYDRATED = ("hhfab-vlab", "hhfab-mesh", "hhfab-hardware")
HYDRATED_PAIRS = [(name, f"{name}-hydrated") for name in UNHYDRATED]
SWITCH_HYDRATION = ("asn", "ip", "protocolIP", "vtepIP")


def _workdir(name):
    return hhfab_wiring.read_workdir(os.path.join(FIXTURES_DIR, name))


def _by_name(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _live(name):
    objects = []
    directory = os.path.join(FIXTURES_DIR, name)
    for file_name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, file_name), encoding="utf-8") as handle:
            objects.extend(yaml.safe_load(handle)["items"])
    return objects


def _links(conn):
    (field, body), = conn["spec"].items()
    return field, body.get("links") or [body["link"]]


def _without_link_ips(spec):
    spec = yaml.safe_load(yaml.safe_dump(spec))
    for body in spec.values():
        for link in body.get("links", []):
            for end in link.values():
                end.pop("ip", None)
    return spec


def _strip_hydration(fab_objects, wiring):
    """The objects with every value hydration sets removed (the inverse of hhfab's hydrate)."""
    fab_objects, wiring = yaml.safe_load(yaml.safe_dump(fab_objects)), yaml.safe_load(yaml.safe_dump(wiring))
    for node in fab_objects:
        if node["kind"] in ("ControlNode", "FabNode"):
            node["spec"]["management"].pop("ip", None)
            node["spec"].pop("dummy", None)
    for obj in wiring:
        if obj["kind"] == "Switch":
            for field in SWITCH_HYDRATION:
                obj["spec"].pop(field, None)
        elif obj["kind"] == "Connection":
            obj["spec"] = _without_link_ips(obj["spec"])
        elif obj["kind"] == "Gateway":
            for field in ("asn", "protocolIP", "vtepIP", "vtepMAC", "vtepMTU", "neighbors"):
                obj["spec"].pop(field, None)
            obj["spec"]["interfaces"] = {name: {} for name in obj["spec"]["interfaces"]}
    return fab_objects, wiring


# ---------------------------------------------------------------------------------------------
# Layout: the files hhfab writes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", generator.hhfab_fixture_names())
def test_a_work_directory_holds_fab_yaml_registry_and_include_files(name):
    files = _workdir(name).files
    assert {"fab.yaml", ".registry.yaml"} <= set(files)
    assert yaml.safe_load(files[".registry.yaml"]) == {"prefix": "githedgehog", "repo": "ghcr.io"}
    includes = [path for path in files if path.startswith("include/")]
    assert includes and all(path.endswith(".yaml") for path in includes)
    assert set(files) == {"fab.yaml", ".registry.yaml", *includes}


@pytest.mark.parametrize("name", generator.hhfab_fixture_names())
def test_fab_yaml_is_what_hhfab_init_writes(name):
    text = _workdir(name).files["fab.yaml"]
    assert text.startswith("# Fabricator object and at least one ControlNode are required\n")
    documents = list(yaml.safe_load_all(text))
    kinds = [d["kind"] for d in documents]
    gateways = 1 if name.startswith("hhfab-hardware") else 0
    assert kinds == ["Fabricator", "ControlNode"] + ["FabNode"] * gateways
    assert all(d["metadata"]["namespace"] == "fab" for d in documents)
    config = documents[0]["spec"]["config"]
    # hhfab init names no subnet and no ASN: the address plan comes from the fabricator's defaults.
    assert set(config) == {"control", "fabric", "observability"} | ({"gateway"} if gateways else set())
    assert config["fabric"]["mode"] == "spine-leaf" and config["fabric"]["includeBCM"] is True
    assert set(config["fabric"]["defaultSwitchUsers"]) == {"admin", "op"}
    assert config["control"]["defaultUser"]["password"] == hhfab_wiring.INIT_PASSWORD_HASH
    assert config["control"]["noPassAuth"] is bool(gateways)  # the lab as hhfab init's default, the VLAB as --dev
    # Comments and the blank lines the template leaves are kept.
    assert "      #joinToken: super-secret-join-token\n" in text and "\n      \n      includeBCM: true\n" in text


@pytest.mark.parametrize("name", generator.hhfab_fixture_names())
def test_include_files_are_yaml_streams_as_hhfab_prints_them(name):
    files = _workdir(name).files
    for path in (p for p in files if p.startswith("include/")):
        text = files[path]
        documents = list(yaml.safe_load_all(text))
        assert len(documents) > 1 and len(documents) == text.count("\n---\n") + 1, path
        assert text.startswith("#\n# ") and not text.startswith("---")
        header = None
        order = []
        for line in text.splitlines():
            if match := re.fullmatch(r"# (\w+)List", line):
                header = match.group(1)
                order.append(header)
            elif line.startswith("kind: "):
                assert line == f"kind: {header}", f"{path}: {line} under the {header}List comment"
        assert order == [k for k in hhfab_wiring.PRINT_ORDER if k in order], path
        for doc in documents:
            assert list(doc) == ["apiVersion", "kind", "metadata", "spec"] and "status" not in doc
            namespace = doc["metadata"].get("namespace")
            assert namespace == ("default" if doc["kind"] in ("Gateway", "GatewayGroup") else None), doc["metadata"]
            assert not doc["metadata"].get("labels")
        names = [(d["kind"], d["metadata"]["name"]) for d in documents]
        assert names == sorted(names, key=lambda kn: (hhfab_wiring.PRINT_ORDER.index(kn[0]), kn[1]))


@pytest.mark.parametrize("name", generator.hhfab_fixture_names())
def test_no_switch_profiles_in_hhfab_wiring(name):
    kinds = {o["kind"] for o in _workdir(name).wiring_objects()}
    assert "SwitchProfile" not in kinds and kinds <= set(hhfab_wiring.PRINT_ORDER)


@pytest.mark.parametrize("name", generator.hhfab_fixture_names())
def test_fab_yaml_holds_the_planted_credentials(name):
    # A leak test can look for these in NetBox: they must never get there.
    text = _workdir(name).files["fab.yaml"]
    assert text.count(hhfab_wiring.INIT_PASSWORD_HASH) == 3 and text.count(hhfab_wiring.INIT_AUTHORIZED_KEY) == 3
    assert all("HHFAKE" in secret for secret in (hhfab_wiring.INIT_PASSWORD_HASH, hhfab_wiring.INIT_AUTHORIZED_KEY))


def _yamllint_exceptions(path):
    """The ansible-test yamllint codes a fixture file trips over by being as hhfab writes it."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    codes = set()
    if len(list(yaml.safe_load_all(text))) > 1:
        codes.add("yamllint:multiple-yaml-documents")  # hhfab's files are YAML streams
    if text.endswith("\n\n"):
        codes.add("yamllint:empty-lines")  # hhfab init leaves a blank line after its last FabNode
    return codes


def test_every_fixture_file_hhfab_shapes_has_its_sanity_ignore_entries():
    # ansible-test's yamllint wants one document per .yaml file and no blank line at the end; the
    # hhfab fixtures keep hhfab's form, so each exception is listed in every ignore file, and no
    # other fixture entry is.
    wanted = set()
    for root, _dirs, names in os.walk(FIXTURES_DIR):
        for file_name in (n for n in names if n.endswith((".yaml", ".yml"))):
            path = os.path.join(root, file_name)
            wanted |= {(os.path.relpath(path, REPO_ROOT), code) for code in _yamllint_exceptions(path)}
    assert ("tests/fixtures/hhfab-hardware/fab.yaml", "yamllint:empty-lines") in wanted
    ignore_files = [n for n in os.listdir(SANITY_DIR) if re.fullmatch(r"ignore-\d+\.\d+\.txt", n)]
    assert ignore_files
    for ignore_file in ignore_files:
        with open(os.path.join(SANITY_DIR, ignore_file), encoding="utf-8") as handle:
            entries = {tuple(line.split(" #", 1)[0].split()) for line in handle if line.startswith("tests/fixtures/")}
        assert entries == wanted, ignore_file


# ---------------------------------------------------------------------------------------------
# Unhydrated, hydrated, partly hydrated
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNHYDRATED)
def test_hhfab_wiring_is_unhydrated(name):
    workdir = _workdir(name)
    present, missing = hhfab_wiring.hydration_fields(workdir.fab_objects(), workdir.wiring_objects())
    assert present == [] and missing
    assert hhfab_wiring.hydration_status(workdir.fab_objects(), workdir.wiring_objects()) == "none"
    wiring = workdir.wiring_objects()
    assert _strip_hydration(workdir.fab_objects(), wiring) == (workdir.fab_objects(), wiring)


@pytest.mark.parametrize("unhydrated,hydrated", HYDRATED_PAIRS)
def test_hydrated_fixture_is_hhfabs_hydration_of_the_unhydrated_one(unhydrated, hydrated):
    raw, done = _workdir(unhydrated), _workdir(hydrated)
    assert hhfab_wiring.hydration_status(done.fab_objects(), done.wiring_objects()) == "full"
    assert hhfab_wiring.hydrate(raw.fab_objects(), raw.wiring_objects()) == (done.fab_objects(), done.wiring_objects())
    # Hydration adds values and changes nothing else.
    assert _strip_hydration(done.fab_objects(), done.wiring_objects()) == (raw.fab_objects(), raw.wiring_objects())
    # Each object stays in the file it came from.
    assert [p for p in raw.files if p.startswith("include/")] == [p for p in done.files if p.startswith("include/")]


def test_hydration_modes_accept_and_refuse_as_hhfab_does():
    raw, done, partial = _workdir("hhfab-vlab"), _workdir("hhfab-vlab-hydrated"), _workdir("hhfab-partial")
    with pytest.raises(hhfab_wiring.HydrationError, match="not fully hydrated while hydration is disabled"):
        hhfab_wiring.hydrate(raw.fab_objects(), raw.wiring_objects(), hhfab_wiring.HYDRATE_NEVER)
    full = (done.fab_objects(), done.wiring_objects())
    assert hhfab_wiring.hydrate(*full, hhfab_wiring.HYDRATE_NEVER) == full
    assert hhfab_wiring.hydrate(*full, hhfab_wiring.HYDRATE_IF_NOT_PRESENT) == full
    assert hhfab_wiring.hydrate(*full, hhfab_wiring.HYDRATE_OVERRIDE) == full
    assert hhfab_wiring.hydrate(partial.fab_objects(), partial.wiring_objects(), hhfab_wiring.HYDRATE_OVERRIDE) == full
    with pytest.raises(ValueError, match="unknown hydration mode"):
        hhfab_wiring.hydrate(*full, "auto")


def test_partly_hydrated_wiring_is_refused_naming_what_is_missing():
    partial = _workdir("hhfab-partial")
    fab_objects, wiring = partial.fab_objects(), partial.wiring_objects()
    assert hhfab_wiring.hydration_status(fab_objects, wiring) == "partial"
    _present, missing = hhfab_wiring.hydration_fields(fab_objects, wiring)
    link_ips = [f"links[{i}].{side}.ip" for i in (0, 1) for side in ("spine", "leaf")]
    assert missing == (
        [("ControlNode", "control-1", "management.ip")]
        + [("Switch", "leaf-02", f) for f in ("ip", "protocolIP", "vtepIP")]
        + [("Switch", "leaf-03", f) for f in ("ip", "protocolIP", "asn", "vtepIP")]
        + [("Connection", "spine-01--fabric--leaf-03", f) for f in link_ips]
        + [("Connection", "spine-02--fabric--leaf-03", f) for f in link_ips])
    switches = _by_name(wiring, "Switch")
    assert switches["leaf-02"]["spec"]["asn"] == 65102 and "ip" not in switches["leaf-02"]["spec"]
    assert switches["spine-01"]["spec"]["ip"] == "172.30.0.6/21" and "asn" not in switches["leaf-03"]["spec"]
    with pytest.raises(hhfab_wiring.HydrationError, match="already partially hydrated") as refused:
        hhfab_wiring.hydrate(fab_objects, wiring)
    assert "Switch leaf-03 asn" in str(refused.value) and "Connection spine-02--fabric--leaf-03" in str(refused.value)
    # One file, as hhfab vlab gen writes it, with the hydration edited into some objects.
    assert [p for p in partial.files if p.startswith("include/")] == ["include/vlab.generated.yaml"]


# ---------------------------------------------------------------------------------------------
# The VLAB default: hhfab vlab gen, and the live fabric it becomes
# ---------------------------------------------------------------------------------------------

# hedgehog-crds.md section 8.1: (mgmt IP, protocol IP, VTEP IP, ASN) after hydration.
VLAB_HYDRATION = {
    "spine-01": ("172.30.0.6/21", "172.30.8.0/32", None, 65100),
    "spine-02": ("172.30.0.7/21", "172.30.8.1/32", None, 65100),
    "leaf-01": ("172.30.0.8/21", "172.30.8.2/32", "172.30.12.0/32", 65101),
    "leaf-02": ("172.30.0.9/21", "172.30.8.3/32", "172.30.12.1/32", 65102),
    "leaf-03": ("172.30.0.10/21", "172.30.8.4/32", "172.30.12.2/32", 65103),
}


def test_hhfab_vlab_is_the_current_vlab_default():
    wiring = _workdir("hhfab-vlab").wiring_objects()
    counts = collections.Counter(o["kind"] for o in wiring)
    assert counts == {"VLANNamespace": 1, "IPv4Namespace": 1, "SwitchGroup": 2, "Switch": 5, "Server": 6,
                      "Connection": 12}
    switches = _by_name(wiring, "Switch")
    assert switches["leaf-01"]["spec"] == {
        "boot": {"mac": "0c:20:12:ff:00:00"}, "description": "VS-01 ESLAG 1", "ecmp": {}, "groups": ["eslag-1"],
        "profile": "vs", "redundancy": {"group": "eslag-1", "type": "eslag"}, "role": "server-leaf"}
    assert switches["spine-02"]["spec"] == {"boot": {"mac": "0c:20:12:ff:04:00"}, "description": "VS-05", "ecmp": {},
                                            "profile": "vs", "redundancy": {}, "role": "spine"}
    assert "vlanNamespaces" not in switches["leaf-03"]["spec"]  # the webhook's default, not hhfab's
    link = _by_name(wiring, "Connection")["spine-02--fabric--leaf-03"]["spec"]["fabric"]["links"][1]
    assert link == {"spine": {"port": "spine-02/E1/6"}, "leaf": {"port": "leaf-03/E1/7"}}


def test_hhfab_vlab_describes_the_same_fabric_as_the_live_vlab_fixture():
    wiring, live = _workdir("hhfab-vlab").wiring_objects(), _live("vlab")
    for kind in ("VLANNamespace", "IPv4Namespace", "SwitchGroup", "Server"):
        assert {n: o["spec"] for n, o in _by_name(wiring, kind).items()} == \
            {n: o["spec"] for n, o in _by_name(live, kind).items()}, kind
    live_switches = _by_name(live, "Switch")
    for name, sw in _by_name(wiring, "Switch").items():
        not_hhfabs = SWITCH_HYDRATION + ("vlanNamespaces",)
        expected = {k: v for k, v in live_switches[name]["spec"].items() if k not in not_hhfabs}
        assert sw["spec"] == expected, name
    live_conns = _by_name(live, "Connection")
    assert set(_by_name(wiring, "Connection")) == set(live_conns)
    for name, conn in _by_name(wiring, "Connection").items():
        assert conn["spec"] == _without_link_ips(live_conns[name]["spec"]), name


def test_hhfab_vlab_hydrated_has_the_live_fixtures_addresses():
    # The live fixture follows hhfab's plan, so every address is the same.
    workdir, live = _workdir("hhfab-vlab-hydrated"), _live("vlab")
    live_switches, live_conns = _by_name(live, "Switch"), _by_name(live, "Connection")
    for name, sw in _by_name(workdir.wiring_objects(), "Switch").items():
        spec = sw["spec"]
        assert (spec["ip"], spec["protocolIP"], spec.get("vtepIP"), spec["asn"]) == VLAB_HYDRATION[name]
        assert {**spec, "vlanNamespaces": ["default"]} == live_switches[name]["spec"], name
    for name, conn in _by_name(workdir.wiring_objects(), "Connection").items():
        assert conn["spec"] == live_conns[name]["spec"], name
    control = _by_name(workdir.fab_objects(), "ControlNode")["control-1"]["spec"]
    assert control["management"]["ip"] == _by_name(live, "ControlNode")["control-1"]["spec"]["management"]["ip"]
    assert control["dummy"] == {"ip": "172.30.90.0/31"}
    ips = [link[side]["ip"] for conn in sorted(live_conns) for field, links in [_links(live_conns[conn])]
           if field == "fabric" for link in links for side in ("spine", "leaf")]
    assert ips == [f"172.30.128.{n}/31" for n in range(24)]


# ---------------------------------------------------------------------------------------------
# Mesh: hhfab vlab gen --mesh-links-count 2
# ---------------------------------------------------------------------------------------------

MESH_LINKS = {
    # leaf1 port, leaf2 port, leaf1 IP after hydration (connections sorted by name)
    "leaf-01--mesh--leaf-02": [("leaf-01/E1/4", "leaf-02/E1/5", "172.30.128.0/31"),
                               ("leaf-01/E1/5", "leaf-02/E1/6", "172.30.128.2/31")],
    "leaf-01--mesh--leaf-03": [("leaf-01/E1/6", "leaf-03/E1/4", "172.30.128.4/31"),
                               ("leaf-01/E1/7", "leaf-03/E1/5", "172.30.128.6/31")],
    "leaf-02--mesh--leaf-03": [("leaf-02/E1/7", "leaf-03/E1/6", "172.30.128.8/31"),
                               ("leaf-02/E1/8", "leaf-03/E1/7", "172.30.128.10/31")],
}
MESH_HYDRATION = {
    "leaf-01": ("172.30.0.6/21", "172.30.8.0/32", "172.30.12.0/32", 65101),
    "leaf-02": ("172.30.0.7/21", "172.30.8.1/32", "172.30.12.1/32", 65102),
    "leaf-03": ("172.30.0.8/21", "172.30.8.2/32", "172.30.12.2/32", 65103),
}


def test_hhfab_mesh_joins_three_leaves_without_spines():
    wiring = _workdir("hhfab-mesh").wiring_objects()
    switches, conns = _by_name(wiring, "Switch"), _by_name(wiring, "Connection")
    assert sorted(switches) == ["leaf-01", "leaf-02", "leaf-03"]
    assert {sw["spec"]["role"] for sw in switches.values()} == {"server-leaf"}
    types = collections.Counter(_links(c)[0] for c in conns.values())
    assert types == {"mesh": 3, "eslag": 2, "unbundled": 2, "bundled": 2}
    for name, links in MESH_LINKS.items():
        got = [(link["leaf1"]["port"], link["leaf2"]["port"]) for link in _links(conns[name])[1]]
        assert got == [(a, b) for a, b, _ip in links], name
    # The servers come first, as in the spine-leaf VLAB.
    assert _links(conns["server-06--bundled--leaf-03"])[1][1]["switch"]["port"] == "leaf-03/E1/3"


def test_hhfab_mesh_hydrated_numbers_the_mesh_links():
    wiring = _workdir("hhfab-mesh-hydrated").wiring_objects()
    for name, sw in _by_name(wiring, "Switch").items():
        spec = sw["spec"]
        assert (spec["ip"], spec["protocolIP"], spec["vtepIP"], spec["asn"]) == MESH_HYDRATION[name]
    conns = _by_name(wiring, "Connection")
    for name, links in MESH_LINKS.items():
        for link, (_a, _b, ip) in zip(_links(conns[name])[1], links):
            assert (link["leaf1"]["ip"], link["leaf2"]["ip"]) == (ip, str(ipaddress.ip_interface(ip).ip + 1) + "/31")


def test_hhfab_mesh_hydrated_is_the_live_mesh_fixture():
    # vlab-mesh is the same fabric as the API serves it: hydrated the same, with agents and VPCs.
    workdir, live = _workdir("hhfab-mesh-hydrated"), _live("vlab-mesh")
    live_switches, live_conns = _by_name(live, "Switch"), _by_name(live, "Connection")
    for name, sw in _by_name(workdir.wiring_objects(), "Switch").items():
        assert {**sw["spec"], "vlanNamespaces": ["default"]} == live_switches[name]["spec"], name
    assert set(_by_name(workdir.wiring_objects(), "Connection")) == set(live_conns)
    for name, conn in _by_name(workdir.wiring_objects(), "Connection").items():
        assert conn["spec"] == live_conns[name]["spec"], name


# ---------------------------------------------------------------------------------------------
# The hardware lab
# ---------------------------------------------------------------------------------------------


def _port_names(sw):
    spec = sw["spec"]
    return set(generator.profile_port_names(hhfab_wiring.PORT_MAPS[spec["profile"]], spec.get("portBreakouts", {})))


def _nos(wiring, ref):
    device, port = ref.split("/", 1)
    spec = _by_name(wiring, "Switch")[device]["spec"]
    return generator.nos_port_name(hhfab_wiring.PORT_MAPS[spec["profile"]], port, spec.get("portBreakouts"))


def test_hhfab_hardware_has_the_lab_switches_and_every_connection_type():
    workdir = _workdir("hhfab-hardware")
    assert sorted(workdir.files) == [".registry.yaml", "fab.yaml", "include/externals.yaml", "include/vpcs.yaml",
                                     "include/wiring.yaml"]
    wiring = workdir.wiring_objects()
    profiles = {n: (sw["spec"]["profile"], sw["spec"]["role"]) for n, sw in _by_name(wiring, "Switch").items()}
    assert profiles == {
        "ds4000-01": ("celestica-ds4000", "spine"), "ds4000-02": ("celestica-ds4000", "spine"),
        "ds3000-01": ("celestica-ds3000", "server-leaf"), "ds3000-02": ("celestica-ds3000", "server-leaf"),
        "sse-c4632-01": ("supermicro-sse-c4632sb", "border-leaf"), "s5248-01": ("dell-s5248f-on", "server-leaf")}
    types = collections.Counter(_links(c)[0] for c in _by_name(wiring, "Connection").values())
    assert types == {"fabric": 8, "gateway": 2, "eslag": 2, "bundled": 2, "unbundled": 5, "external": 1,
                     "vpcLoopback": 1}
    counts = collections.Counter(o["kind"] for o in wiring)
    assert counts == {"VLANNamespace": 1, "IPv4Namespace": 1, "SwitchGroup": 2, "Switch": 6, "Server": 9,
                      "Connection": 21, "External": 2, "ExternalAttachment": 2, "ExternalPeering": 2, "VPC": 2,
                      "VPCAttachment": 9, "VPCPeering": 1, "GatewayGroup": 1, "Gateway": 1}


def test_hhfab_hardware_names_only_real_ports_of_the_real_profiles():
    wiring = _workdir("hhfab-hardware").wiring_objects()
    switches = _by_name(wiring, "Switch")
    used = set()
    for name, conn in _by_name(wiring, "Connection").items():
        for link in _links(conn)[1]:
            for side, end in link.items():
                if side in ("server", "gateway"):
                    continue
                device, port = end["port"].split("/", 1)
                assert port in _port_names(switches[device]), f"{name}: {end['port']}"
                canonical = end["port"][:-2] if re.fullmatch(r".+/E1/\d+/1", end["port"]) else end["port"]
                assert canonical not in used, f"{end['port']} used twice"
                used.add(canonical)
    for sw in switches.values():
        port_map = hhfab_wiring.PORT_MAPS[sw["spec"]["profile"]]
        for port, mode in sw["spec"].get("portBreakouts", {}).items():
            profile = port_map["portProfiles"][port_map["ports"][port]["profile"]]
            assert mode in profile["breakout"]["supported"], (sw["metadata"]["name"], port, mode)
    # NOS names (offsets from the profiles): a whole breakout-capable port, 2x50G, 4x100G, 1x100G.
    assert _nos(wiring, "ds3000-02/E1/3") == "Ethernet8"
    assert _nos(wiring, "ds3000-02/E1/2/2") == "Ethernet6"
    assert _nos(wiring, "ds4000-01/E1/1/3") == "Ethernet4"
    assert _nos(wiring, "ds4000-02/E1/20/1") == "Ethernet152"
    assert _nos(wiring, "s5248-01/E1/55/1") == "Ethernet72"
    assert _nos(wiring, "sse-c4632-01/E1/18/2") == "Ethernet69"
    assert switches["s5248-01"]["spec"]["portGroupSpeeds"] == {"1": "10G"}


def test_hhfab_hardware_references_resolve():
    wiring = _workdir("hhfab-hardware").wiring_objects()
    conns, switches = _by_name(wiring, "Connection"), _by_name(wiring, "Switch")
    groups = set(_by_name(wiring, "SwitchGroup"))
    for sw in switches.values():
        assert set(sw["spec"].get("groups", [])) <= groups
    for name, conn in conns.items():
        field, links = _links(conn)
        if field == "eslag":
            members = {link["switch"]["port"].split("/")[0] for link in links}
            assert {switches[m]["spec"]["redundancy"]["group"] for m in members} == {"eslag-1"}, name
        if field == "gateway":
            gateway, interface = links[0]["gateway"]["port"].split("/")
            assert interface in _by_name(wiring, "Gateway")[gateway]["spec"]["interfaces"], name
    vpcs = _by_name(wiring, "VPC")
    for att in _by_name(wiring, "VPCAttachment").values():
        vpc, subnet = att["spec"]["subnet"].split("/")
        assert subnet in vpcs[vpc]["spec"]["subnets"] and _links(conns[att["spec"]["connection"]])[0] in (
            "eslag", "bundled", "unbundled")
    attached = sorted(a["spec"]["connection"] for a in _by_name(wiring, "VPCAttachment").values())
    assert attached == sorted(n for n, c in conns.items() if _links(c)[0] in ("eslag", "bundled", "unbundled"))
    for att in _by_name(wiring, "ExternalAttachment").values():
        assert att["spec"]["external"] in _by_name(wiring, "External")
        assert _links(conns[att["spec"]["connection"]])[0] == "external"


def test_hhfab_hardware_static_external_prefix_is_its_attachment_subnet():
    wiring = _workdir("hhfab-hardware").wiring_objects()
    external = _by_name(wiring, "External")["ext-static"]["spec"]
    attachment = _by_name(wiring, "ExternalAttachment")["sse-c4632-01--ext-static"]["spec"]
    assert external["static"]["prefixes"] == [str(ipaddress.ip_interface(attachment["static"]["ip"]).network)]
    assert attachment["static"] == {"remoteIP": "100.10.210.6", "vlan": 210, "ip": "100.10.210.2/24"}
    assert attachment["switch"] == {} and attachment["neighbor"] == {}  # Go prints the empty structs
    bgp = _by_name(wiring, "ExternalAttachment")["sse-c4632-01--ext-bgp"]["spec"]
    assert bgp["neighbor"] == {"asn": 64102, "ip": "100.10.100.6"} and bgp["switch"]["vlan"] == 100


# The lab after hydration: the border leaf sorts before the server leaves ("border-leaf" <
# "server-leaf"), the gateway node takes the management IP after the control node.
HARDWARE_HYDRATION = {
    "ds4000-01": ("172.30.0.7/21", "172.30.8.0/32", None, 65100),
    "ds4000-02": ("172.30.0.8/21", "172.30.8.1/32", None, 65100),
    "sse-c4632-01": ("172.30.0.9/21", "172.30.8.2/32", "172.30.12.0/32", 65101),
    "ds3000-01": ("172.30.0.10/21", "172.30.8.3/32", "172.30.12.1/32", 65102),
    "ds3000-02": ("172.30.0.11/21", "172.30.8.4/32", "172.30.12.2/32", 65103),
    "s5248-01": ("172.30.0.12/21", "172.30.8.5/32", "172.30.12.3/32", 65104),
}


def test_hhfab_hardware_hydrated_follows_hhfabs_order():
    workdir = _workdir("hhfab-hardware-hydrated")
    wiring = workdir.wiring_objects()
    for name, sw in _by_name(wiring, "Switch").items():
        spec = sw["spec"]
        assert (spec["ip"], spec["protocolIP"], spec.get("vtepIP"), spec["asn"]) == HARDWARE_HYDRATION[name], name
    nodes = {n["metadata"]["name"]: n["spec"] for n in workdir.fab_objects() if n["kind"] != "Fabricator"}
    addresses = {name: (spec["management"]["ip"], spec["dummy"]["ip"]) for name, spec in nodes.items()}
    assert addresses == {"control-1": ("172.30.0.5/21", "172.30.90.0/31"),
                         "gateway-1": ("172.30.0.6/21", "172.30.90.2/31")}
    gateway = _by_name(wiring, "Gateway")["gateway-1"]["spec"]
    assert (gateway["asn"], gateway["protocolIP"], gateway["vtepIP"], gateway["vtepMAC"], gateway["vtepMTU"]) == (
        65534, "172.30.8.6/32", "172.30.12.4/32", "CA:FE:BA:BE:01:01", 9036)
    # Connections by name: ds4000-01's four fabric connections (.0-.15), its gateway link, then ds4000-02's.
    assert gateway["interfaces"] == {"enp2s1": {"ips": ["172.30.128.17/31"], "mtu": 9100},
                                     "enp2s2": {"ips": ["172.30.128.35/31"], "mtu": 9100}}
    assert gateway["neighbors"] == [{"source": "enp2s1", "ip": "172.30.128.16", "asn": 65100},
                                    {"source": "enp2s2", "ip": "172.30.128.34", "asn": 65100}]
    link = _by_name(wiring, "Connection")["ds4000-01--fabric--sse-c4632-01"]["spec"]["fabric"]["links"][0]
    assert (link["spine"]["ip"], link["leaf"]["ip"]) == ("172.30.128.12/31", "172.30.128.13/31")


# ---------------------------------------------------------------------------------------------
# The writer's pieces
# ---------------------------------------------------------------------------------------------


def test_hydration_gives_an_mclag_pair_one_asn_and_vtep():
    switch = hhfab_wiring.switch_object
    mclag = {"group": "mclag-1", "type": "mclag"}
    wiring = [switch("spine-01", "spine", "", "vs", {}),
              switch("leaf-02", "server-leaf", "", "vs", {}, redundancy=mclag),
              switch("leaf-01", "server-leaf", "", "vs", {}, redundancy=mclag),
              switch("leaf-03", "mixed-leaf", "", "vs", {})]
    fab_objects = list(yaml.safe_load_all(hhfab_wiring.render_fab_yaml(hhfab_wiring.InitOptions())))
    _fab, hydrated = hhfab_wiring.hydrate(fab_objects, wiring)
    got = {sw["metadata"]["name"]: (sw["spec"]["ip"], sw["spec"].get("vtepIP"), sw["spec"]["asn"]) for sw in hydrated}
    assert got == {"spine-01": ("172.30.0.6/21", None, 65100),
                   "leaf-03": ("172.30.0.7/21", "172.30.12.0/32", 65101),  # mixed-leaf sorts before server-leaf
                   "leaf-01": ("172.30.0.8/21", "172.30.12.1/32", 65102),
                   "leaf-02": ("172.30.0.9/21", "172.30.12.1/32", 65102)}
    assert "asn" not in wiring[1]["spec"]  # the input is left as it was


def test_hydration_reads_the_address_plan_from_fab_yaml():
    fab_objects = list(yaml.safe_load_all(hhfab_wiring.render_fab_yaml(hhfab_wiring.InitOptions())))
    fab_objects[0]["spec"]["config"]["fabric"].update(spineASN=64512, leafASNStart=64600, protocolSubnet="10.99.0.0/24")
    wiring = [hhfab_wiring.switch_object("spine-01", "spine", "", "vs", {}),
              hhfab_wiring.switch_object("leaf-01", "server-leaf", "", "vs", {})]
    _fab, hydrated = hhfab_wiring.hydrate(fab_objects, wiring)
    assert [(s["spec"]["asn"], s["spec"]["protocolIP"], s["spec"].get("vtepIP")) for s in hydrated] == [
        (64512, "10.99.0.0/32", None), (64600, "10.99.0.1/32", "172.30.12.0/32")]


def test_connection_names_follow_generate_name():
    def name(field, *ends, single=False):
        links = [{side: {"port": port} for side, port in end} for end in ends]
        return hhfab_wiring.connection_name({field: {"link": links[0]} if single else {"links": links}})

    server, switch = "server", "switch"
    assert name("eslag", [(server, "s/a"), (switch, "l1/E1/1")], [(server, "s/b"), (switch, "l2/E1/1")]) == \
        "s--eslag--l1--l2"
    assert name("unbundled", [(server, "s/a"), (switch, "l1/E1/1")], single=True) == "s--unbundled--l1"
    assert name("mesh", [("leaf1", "a/E1/1"), ("leaf2", "b/E1/1")]) == "a--mesh--b"
    assert name("gateway", [(switch, "sp/E1/7"), ("gateway", "gw/enp2s1")]) == "sp--gateway--gw"
    assert name("vpcLoopback", [("switch1", "l/E1/1"), ("switch2", "l/E1/2")]) == "l--vpc-loopback"
    assert name("external", [(switch, "l/E1/1")], single=True) == "l--external"


def test_keys_print_in_go_yaml_order_and_strings_that_read_as_other_types_are_quoted():
    obj = hhfab_wiring.api_object(hhfab_wiring.WIRING, "Switch", "x", {
        "portBreakouts": {"E1/10": "4x25G", "E1/2": "4x25G", "E1/1": "4x25G"},
        "portGroupSpeeds": {"10": "10G", "2": "10G", "1": "25G"},
        "groups": ["_x", "1"], "description": "", "B": True, "a": 1})
    text = hhfab_wiring.render_include([obj])
    assert text.split("spec:\n", 1)[1] == (
        "  B: true\n  a: 1\n  description: \"\"\n  groups:\n  - _x\n  - \"1\"\n"
        "  portBreakouts:\n    E1/1: 4x25G\n    E1/2: 4x25G\n    E1/10: 4x25G\n"
        "  portGroupSpeeds:\n    \"1\": 25G\n    \"2\": 10G\n    \"10\": 10G\n")
    keys = ["b", "E1/10", "1", "_x", "A", "E1/2"]
    assert sorted(keys, key=hhfab_wiring.GOYAML_KEY) == ["_x", "1", "A", "E1/2", "E1/10", "b"]


def test_vlab_gen_flags_take_hhfabs_defaults_and_limits():
    defaults = hhfab_wiring.VlabGen(spines=2, fabric_links=2, eslag_leaf_groups=(2,), orphan_leaves=1)
    assert hhfab_wiring.VlabGen().effective() == defaults
    with pytest.raises(ValueError, match="mesh links exclude"):
        hhfab_wiring.VlabGen(mesh_links=2, spines=2).effective()
    with pytest.raises(ValueError, match="2 to 4 leaves"):
        hhfab_wiring.VlabGen(eslag_leaf_groups=(5,)).effective()
    # With gateway nodes: a group, a Gateway per node and a link from each of the first two spines.
    objects = hhfab_wiring.vlab_gen_objects(gateway_nodes=["gateway-1"])
    links = {o["metadata"]["name"]: o["spec"]["gateway"]["links"][0] for o in objects if "gateway" in o["spec"]}
    assert links == {
        "spine-01--gateway--gateway-1": {"switch": {"port": "spine-01/E1/7"}, "gateway": {"port": "gateway-1/enp2s1"}},
        "spine-02--gateway--gateway-1": {"switch": {"port": "spine-02/E1/7"}, "gateway": {"port": "gateway-1/enp2s2"}}}


def test_the_cli_writes_a_work_directory(tmp_path, capsys):
    out = tmp_path / "mesh"
    assert generator.main(["--hhfab", "mesh", "--hydrated", "--out", str(out)]) == 0
    assert hhfab_wiring.read_workdir(str(out)).files == _workdir("hhfab-mesh-hydrated").files
    assert "hhfab work directory mesh (hydrated)" in capsys.readouterr().out
    (out / "include" / "old.yaml").write_text("kind: Switch\n", encoding="utf-8")
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert generator.main(["--hhfab", "partial", "--out", str(out)]) == 0
    assert not (out / "include" / "old.yaml").exists() and (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    with pytest.raises(SystemExit):
        generator.main(["--hhfab", "partial", "--hydrated", "--out", str(out)])
