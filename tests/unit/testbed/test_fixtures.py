"""The CRD fixtures and the fabric generator describe consistent fabrics.

The checker here is written against the API rules (hedgehog-crds.md), not against the generator,
so that it also catches a generator that is consistently wrong. Run with
``PYTHONPATH=tests python -m pytest tests/unit/testbed/test_fixtures.py``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re

import pytest
import yaml

from testbed import generator, hhfab_wiring
from testbed.paths import FIXTURES

FIXTURES_DIR = str(FIXTURES)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
RELEASE_FIXTURES = tuple(f"release-{r}" for r in generator.RELEASE_SHAPES)
FABRIC_FIXTURES = ("vlab", "vlab-mclag", "vlab-gateway") + RELEASE_FIXTURES
USER_KINDS = {"Switch", "SwitchGroup", "SwitchProfile", "Server", "Connection", "VLANNamespace", "IPv4Namespace", "VPC",
              "VPCAttachment", "VPCPeering", "External", "ExternalAttachment", "ExternalPeering", "Gateway"}
FAB_KINDS = {"Fabricator", "ControlNode", "FabNode"}
SERVER_FACING = {"unbundled", "bundled", "eslag", "mclag"}


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


def _yaml_files(directory):
    return sorted(os.path.join(directory, n) for n in os.listdir(directory) if n.endswith((".yaml", ".yml")))


def _load_dir(directory):
    objects = []
    for path in _yaml_files(directory):
        with open(path, encoding="utf-8") as handle:
            documents = list(yaml.load_all(handle, Loader=_LOADER))
        assert len(documents) == 1, f"{path} holds {len(documents)} YAML documents"
        document = documents[0]
        assert document["apiVersion"] == "v1" and document["kind"] == "List", path
        objects.extend(document["items"])
    return objects


def _fixture(name):
    return _load_dir(os.path.join(FIXTURES_DIR, name))


class Fabric:
    """Objects indexed by kind and name."""

    def __init__(self, objects):
        self.objects = objects
        self.by_kind = {}
        for obj in objects:
            self.by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj

    def __getitem__(self, kind):
        return self.by_kind.get(kind, {})

    def count(self, kind):
        return len(self[kind])


# ---------------------------------------------------------------------------------------------
# The checker
# ---------------------------------------------------------------------------------------------


def _ip(value):
    return ipaddress.ip_interface(value)


def _config(fab):
    """Address plan from the Fabricator (or the VLAB defaults when there is none)."""
    fabricator = fab["Fabricator"].get("default")
    cfg = fabricator["spec"]["config"] if fabricator else {}
    control, fabric = cfg.get("control", {}), cfg.get("fabric", {})
    return {
        "mgmt": ipaddress.ip_network(control.get("managementSubnet", "172.30.0.0/21")),
        "dhcp_start": ipaddress.ip_address(fabric.get("managementDHCPStart", "172.30.4.0")),
        "protocol": ipaddress.ip_network(fabric.get("protocolSubnet", "172.30.8.0/22")),
        "vtep": ipaddress.ip_network(fabric.get("vtepSubnet", "172.30.12.0/22")),
        "fabric": ipaddress.ip_network(fabric.get("fabricSubnet", "172.30.128.0/17")),
        "spine_asn": fabric.get("spineASN", 65100),
        "leaf_asns": (fabric.get("leafASNStart", 65101), fabric.get("leafASNEnd", 65533)),
    }


def profile_ports(profile, breakouts):
    """API port names of a switch, from its SwitchProfile object and its portBreakouts."""
    spec = profile["spec"]
    names = set()
    for name, port in spec["ports"].items():
        pprofile_name = spec["portGroups"][port["group"]]["profile"] if port.get("group") else port.get("profile")
        pprofile = spec.get("portProfiles", {}).get(pprofile_name, {})
        names.add(name)
        if "breakout" in pprofile:
            mode = breakouts.get(name, pprofile["breakout"]["default"])
            count = len(pprofile["breakout"]["supported"][mode]["offsets"])
            names.update(f"{name}/{k}" for k in range(1, count + 1))
    return names


def _canonical_port(ref):
    # "E1/4" and "E1/4/1" are the same port.
    return ref[:-2] if re.fullmatch(r".+/E\d+/\d+/1", ref) else ref


def _conn_type(conn):
    keys = [k for k, v in conn["spec"].items() if v is not None]
    return keys


def _endpoint_refs(conn):
    """(side key, '<device>/<port>') of every endpoint in a connection."""
    (field,) = _conn_type(conn)
    body = conn["spec"][field]
    links = []
    if "link" in body:
        links.append(body["link"])
    for key in ("links", "peerLinks", "sessionLinks"):
        links.extend(body.get(key, []))
    return [(side, end["port"]) for link in links for side, end in link.items()]


class Checker:
    def __init__(self, objects):
        self.fab = Fabric(objects)
        self.cfg = _config(self.fab)
        self.problems = []

    def bad(self, message):
        self.problems.append(message)

    def run(self):
        for check in (self.metadata, self.switches, self.connections, self.ip_uniqueness, self.vpcs,
                      self.attachments, self.dhcp, self.agents, self.catalogs, self.gateways, self.externals,
                      self.peerings):
            check()
        return self.problems

    # -- metadata ---------------------------------------------------------------------------
    def metadata(self):
        seen = set()
        for obj in self.fab.objects:
            meta, kind = obj["metadata"], obj["kind"]
            key = (kind, meta["name"])
            if key in seen:
                self.bad(f"duplicate {key}")
            seen.add(key)
            want_ns = "fab" if kind in FAB_KINDS else "default"
            if meta.get("namespace") != want_ns:
                self.bad(f"{key} is in namespace {meta.get('namespace')}")
            if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*", meta["name"]):
                self.bad(f"{key} name is not an RFC 1123 subdomain")
            if kind in USER_KINDS and obj.get("status") != {}:
                self.bad(f"{key} status should be empty")
            if kind in ("VPC", "External", "IPv4Namespace") and len(meta["name"]) > 11:
                self.bad(f"{key} name is longer than 11 characters")
            for label, value in (meta.get("labels") or {}).items():
                if len(value) > 63:
                    self.bad(f"{key} label {label} value is longer than 63 characters")

    # -- switches -----------------------------------------------------------------------------
    def switches(self):
        fab, cfg = self.fab, self.cfg
        leaf_asns = {}
        for name, sw in fab["Switch"].items():
            spec = sw["spec"]
            if spec["profile"] not in fab["SwitchProfile"]:
                self.bad(f"switch {name} profile {spec['profile']} missing")
            for group in spec.get("groups", []):
                if group not in fab["SwitchGroup"]:
                    self.bad(f"switch {name} group {group} missing")
            red = spec.get("redundancy", {})
            if red and (red.get("group") not in spec.get("groups", []) or red.get("type") not in ("eslag", "mclag")):
                self.bad(f"switch {name} redundancy {red} is not one of its groups")
            for ns in spec["vlanNamespaces"]:
                if ns not in fab["VLANNamespace"]:
                    self.bad(f"switch {name} VLAN namespace {ns} missing")
            self._switch_labels(name, sw)
            mgmt = _ip(spec["ip"])
            if mgmt.network != cfg["mgmt"] or mgmt.ip >= cfg["dhcp_start"]:
                self.bad(f"switch {name} management IP {mgmt} outside {cfg['mgmt']} below the DHCP range")
            if _ip(spec["protocolIP"]).network.prefixlen != 32 or _ip(spec["protocolIP"]).ip not in cfg["protocol"]:
                self.bad(f"switch {name} protocol IP {spec['protocolIP']}")
            if spec["role"] == "spine":
                if "vtepIP" in spec or spec["asn"] != cfg["spine_asn"]:
                    self.bad(f"spine {name} has a VTEP or a non-spine ASN")
                continue
            if _ip(spec["vtepIP"]).ip not in cfg["vtep"]:
                self.bad(f"leaf {name} VTEP {spec['vtepIP']} outside {cfg['vtep']}")
            if not cfg["leaf_asns"][0] <= spec["asn"] <= cfg["leaf_asns"][1]:
                self.bad(f"leaf {name} ASN {spec['asn']} outside the leaf range")
            # An MCLAG pair shares its ASN (and VTEP); everything else is unique.
            owner = red.get("group") if red.get("type") == "mclag" else name
            if leaf_asns.setdefault(spec["asn"], owner) != owner:
                self.bad(f"leaf ASN {spec['asn']} used twice")

    def _switch_labels(self, name, sw):
        spec, labels = sw["spec"], sw["metadata"].get("labels", {})
        want = {"fabric.githedgehog.com/profile": spec["profile"]}
        want.update({f"switchgroup.fabric.githedgehog.com/{g}": "true" for g in spec.get("groups", [])})
        want.update({f"vlanns.fabric.githedgehog.com/{ns}": "true" for ns in spec["vlanNamespaces"]})
        if labels != want:
            self.bad(f"switch {name} labels {labels} != {want}")

    # -- connections --------------------------------------------------------------------------
    def connections(self):
        fab = self.fab
        used = {}
        devices = {"switch": fab["Switch"], "server": fab["Server"], "gateway": fab["Gateway"]}
        for name, conn in fab["Connection"].items():
            types = _conn_type(conn)
            if len(types) != 1:
                self.bad(f"connection {name} sets {types}")
                continue
            for side, ref in _endpoint_refs(conn):
                self._check_endpoint(name, side, ref, devices)
                canonical = _canonical_port(ref)
                if canonical in used:
                    self.bad(f"port {ref} used by {used[canonical]} and {name}")
                used[canonical] = name
            self._connection_labels(name, conn)

    def _check_endpoint(self, conn, side, ref, devices):
        device, port = ref.split("/", 1)
        # Before Beta-1 a management connection wired the control node to each switch's M1.
        management = self.fab["Connection"][conn]["spec"].get("management") is not None
        kind = {"server": "server", "gateway": "gateway"}.get(side, "switch")
        if device not in devices[kind]:
            self.bad(f"connection {conn} {side} {ref}: no {kind} {device}")
            return
        if kind == "switch":
            sw = devices["switch"][device]
            profile = self.fab["SwitchProfile"].get(sw["spec"]["profile"])
            if profile and port not in profile_ports(profile, sw["spec"].get("portBreakouts", {})):
                self.bad(f"connection {conn}: {ref} is not a port of profile {profile['metadata']['name']}")
            if port == "M1" and not management:
                self.bad(f"connection {conn} uses the management port {ref}")

    def _connection_labels(self, name, conn):
        (field,) = _conn_type(conn)
        labels = conn["metadata"].get("labels")
        if field in ("mclag", "mclagDomain") and not labels:
            return  # 26.01+ strips every fabric label from MCLAG objects
        ctype = {"mclagDomain": "mclag-domain", "vpcLoopback": "vpc-loopback"}.get(field, field)
        want = {"fabric.githedgehog.com/connection-type": ctype}
        for side, ref in _endpoint_refs(conn):
            device = ref.split("/", 1)[0]
            if side == "server":
                want[f"server.fabric.githedgehog.com/{device}"] = "true"
            elif side != "gateway":
                want[f"switch.fabric.githedgehog.com/{device}"] = "true"
        if labels != want:
            self.bad(f"connection {name} labels {labels} != {want}")

    # -- addresses ----------------------------------------------------------------------------
    def ip_uniqueness(self):
        fab, cfg = self.fab, self.cfg
        owners = {}

        def claim(ip, owner, shared=None):
            ip = _ip(ip).ip
            if owners.setdefault(ip, shared or owner) != (shared or owner):
                self.bad(f"IP {ip} used by {owners[ip]} and {owner}")

        for name, sw in fab["Switch"].items():
            red = sw["spec"].get("redundancy", {})
            claim(sw["spec"]["ip"], name)
            claim(sw["spec"]["protocolIP"], name)
            if "vtepIP" in sw["spec"]:
                claim(sw["spec"]["vtepIP"], name, red.get("group") if red.get("type") == "mclag" else None)
        for name, gw in fab["Gateway"].items():
            claim(gw["spec"]["protocolIP"], name)
            claim(gw["spec"]["vtepIP"], name)
        for node in list(fab["ControlNode"].values()) + list(fab["FabNode"].values()):
            claim(node["spec"]["management"]["ip"], node["metadata"]["name"])
        for name, conn in fab["Connection"].items():
            (field,) = _conn_type(conn)
            if field not in ("fabric", "mesh", "gateway"):
                continue
            for link in conn["spec"][field]["links"]:
                ends = [end["ip"] for end in link.values()]
                nets = {_ip(ip).network for ip in ends}
                if len(nets) != 1 or next(iter(nets)).prefixlen != 31 or not next(iter(nets)).subnet_of(cfg["fabric"]):
                    self.bad(f"connection {name} link {ends} is not one /31 of {cfg['fabric']}")
                for ip in ends:
                    claim(ip, name)

    # -- VPCs ---------------------------------------------------------------------------------
    def vpcs(self):
        fab = self.fab
        vlans, cidrs = {}, []
        for name, vpc in fab["VPC"].items():
            spec = vpc["spec"]
            ipns = fab["IPv4Namespace"].get(spec["ipv4Namespace"])
            vlanns = fab["VLANNamespace"].get(spec["vlanNamespace"])
            if not ipns or not vlanns:
                self.bad(f"VPC {name} namespaces missing")
                continue
            ipns_nets = [ipaddress.ip_network(s) for s in ipns["spec"]["subnets"]]
            ranges = vlanns["spec"]["ranges"]
            for sname, subnet in spec["subnets"].items():
                cidr = ipaddress.ip_network(subnet["subnet"])
                cidrs.append((cidr, f"{name}/{sname}"))
                if not any(cidr.subnet_of(n) for n in ipns_nets):
                    self.bad(f"VPC subnet {name}/{sname} {cidr} outside its IPv4 namespace")
                if not any(r["from"] <= subnet["vlan"] <= r["to"] for r in ranges):
                    self.bad(f"VPC subnet {name}/{sname} VLAN {subnet['vlan']} outside its VLAN namespace")
                if vlans.setdefault(subnet["vlan"], f"{name}/{sname}") != f"{name}/{sname}":
                    self.bad(f"VLAN {subnet['vlan']} used twice")
                dhcp = subnet.get("dhcp", {})
                inside = [subnet["gateway"]] + ([dhcp["range"]["start"], dhcp["range"]["end"]] if dhcp.get("enable") else [])
                if any(ipaddress.ip_address(a) not in cidr for a in inside):
                    self.bad(f"VPC subnet {name}/{sname} gateway or DHCP range outside {cidr}")
            want = {"fabric.githedgehog.com/ipv4ns": spec["ipv4Namespace"], "fabric.githedgehog.com/vlanns": spec["vlanNamespace"]}
            if vpc["metadata"].get("labels") != want:
                self.bad(f"VPC {name} labels")
        cidrs.sort()
        for (a, an), (b, bn) in zip(cidrs, cidrs[1:]):
            if a.overlaps(b):
                self.bad(f"VPC subnets {an} and {bn} overlap")

    def attachments(self):
        fab = self.fab
        for name, att in fab["VPCAttachment"].items():
            spec = att["spec"]
            conn = fab["Connection"].get(spec["connection"])
            vpc, subnet = (spec["subnet"].split("/", 1) + ["default"])[:2]
            if not conn or _conn_type(conn)[0] not in SERVER_FACING:
                self.bad(f"attachment {name}: connection {spec['connection']} is not a server connection")
            if subnet not in fab["VPC"].get(vpc, {}).get("spec", {}).get("subnets", {}):
                self.bad(f"attachment {name}: no VPC subnet {spec['subnet']}")
            want = {"fabric.githedgehog.com/vpc": vpc, "fabric.githedgehog.com/subnet": subnet,
                    "fabric.githedgehog.com/connection": spec["connection"]}
            if att["metadata"].get("labels") != want:
                self.bad(f"attachment {name} labels")

    def dhcp(self):
        fab = self.fab
        if fab["DHCPSubnet"] and "management" not in fab["DHCPSubnet"]:
            self.bad("no management DHCPSubnet")
        for name, vpc in fab["VPC"].items():
            for sname, subnet in vpc["spec"]["subnets"].items():
                if not subnet.get("dhcp", {}).get("enable"):
                    continue
                dhcp = fab["DHCPSubnet"].get(f"{name}--{sname}")
                if not dhcp:
                    self.bad(f"no DHCPSubnet {name}--{sname}")
                    continue
                cidr = ipaddress.ip_network(subnet["subnet"])
                if dhcp["spec"]["cidrBlock"] != str(cidr) or dhcp["spec"]["circuitID"] != f"vlan{subnet['vlan']}":
                    self.bad(f"DHCPSubnet {name}--{sname} does not match its VPC subnet")
                for mac, lease in dhcp["status"].get("allocated", {}).items():
                    if ipaddress.ip_address(lease["ip"]) not in cidr or not re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac):
                        self.bad(f"DHCPSubnet {name}--{sname} lease {mac} {lease['ip']}")

    # -- agents and catalogs --------------------------------------------------------------------
    def agents(self):
        fab = self.fab
        if not fab["Agent"]:
            return
        if set(fab["Agent"]) != set(fab["Switch"]):
            self.bad("agents and switches differ")
        for name, agent in fab["Agent"].items():
            sw = fab["Switch"].get(name)
            if not sw:
                continue
            if agent["spec"]["switch"] != sw["spec"] or agent["metadata"].get("labels") != sw["metadata"].get("labels"):
                self.bad(f"agent {name} does not mirror its switch")
            self._agent_portchannels(name, agent)

    def _agent_portchannels(self, name, agent):
        pcs = agent["spec"].get("catalog", {}).get("portChannelIDs", {})
        for conn_name, conn in self.fab["Connection"].items():
            (field,) = _conn_type(conn)
            devices = {end[1].split("/", 1)[0] for end in _endpoint_refs(conn)}
            if field in ("bundled", "eslag") and name in devices and conn_name not in pcs:
                self.bad(f"agent {name} has no PortChannel ID for {conn_name}")
        if len(set(pcs.values())) != len(pcs) or any(not 1 <= v <= 249 for v in pcs.values()):
            self.bad(f"agent {name} PortChannel IDs {pcs} are not unique in 1..249")

    def catalogs(self):
        fab = self.fab
        if not fab["Catalog"]:
            return
        vnis = fab["Catalog"].get("vpcs", {}).get("spec", {}).get("vpcVNIs", {})
        for vpc in fab["VPC"]:
            if vpc not in vnis:
                self.bad(f"no VNI for VPC {vpc}")
        if len(set(vnis.values())) != len(vnis):
            self.bad("VNIs are not unique")
        for name, sw in fab["Switch"].items():
            if f"switch.{name}" not in fab["Catalog"]:
                self.bad(f"no catalog switch.{name}")
            group = sw["spec"].get("redundancy", {}).get("group")
            if group and f"redundancy.{group}" not in fab["Catalog"]:
                self.bad(f"no catalog redundancy.{group}")

    # -- gateways, externals, peerings --------------------------------------------------------
    def gateways(self):
        fab = self.fab
        for name, gw in fab["Gateway"].items():
            for group in gw["spec"].get("groups", []):
                if group["name"] not in fab["GatewayGroup"]:
                    self.bad(f"gateway {name} group {group['name']} missing")
            links = [conn["spec"]["gateway"]["links"] for conn in fab["Connection"].values() if "gateway" in conn["spec"]]
            mine = [link for group in links for link in group if link["gateway"]["port"].split("/", 1)[0] == name]
            for link in mine:
                iface = link["gateway"]["port"].split("/", 1)[1]
                switch_side = link.get("switch") or link.get("spine")
                if gw["spec"]["interfaces"].get(iface, {}).get("ips") != [link["gateway"]["ip"]]:
                    self.bad(f"gateway {name} interface {iface} does not carry {link['gateway']['ip']}")
                neighbours = {(n["source"], n["ip"]) for n in gw["spec"].get("neighbors", [])}
                if (iface, switch_side["ip"].split("/")[0]) not in neighbours:
                    self.bad(f"gateway {name} has no BGP neighbour on {iface}")

    def externals(self):
        fab = self.fab
        for name, att in fab["ExternalAttachment"].items():
            conn = fab["Connection"].get(att["spec"]["connection"])
            if att["spec"]["external"] not in fab["External"] or not conn or "external" not in conn["spec"]:
                self.bad(f"external attachment {name} references are broken")
        for name, peering in fab["ExternalPeering"].items():
            permit = peering["spec"]["permit"]
            if permit["vpc"]["name"] not in fab["VPC"] or permit["external"]["name"] not in fab["External"]:
                self.bad(f"external peering {name} references are broken")

    def peerings(self):
        fab = self.fab
        for name, peering in fab["VPCPeering"].items():
            for permit in peering["spec"]["permit"]:
                if len(permit) != 2 or any(v not in fab["VPC"] for v in permit):
                    self.bad(f"VPC peering {name} does not name two VPCs")
        for name, peering in fab["GatewayPeering"].items():
            if peering["spec"]["gatewayGroup"] not in fab["GatewayGroup"]:
                self.bad(f"gateway peering {name} group missing")
            if any(v not in fab["VPC"] for v in peering["spec"]["peering"]):
                self.bad(f"gateway peering {name} names a missing VPC")
        for name, info in fab["VPCInfo"].items():
            owner = info["metadata"]["ownerReferences"][0]
            if owner["uid"] != fab["VPC"].get(owner["name"], {}).get("metadata", {}).get("uid"):
                self.bad(f"VPCInfo {name} owner does not match its VPC")


def check(objects):
    return Checker(objects).run()


# ---------------------------------------------------------------------------------------------
# Fixtures on disk
# ---------------------------------------------------------------------------------------------


def _fixture_dirs():
    return [d for d in sorted(os.listdir(FIXTURES_DIR))
            if os.path.isdir(os.path.join(FIXTURES_DIR, d)) and d != "standin"]


@pytest.mark.parametrize("name", generator.FIXTURES)
def test_every_fixture_file_is_one_list_document(name):
    directory = os.path.join(FIXTURES_DIR, name)
    assert _yaml_files(directory), f"{name} has no YAML files"
    objects = _load_dir(directory)
    for path in _yaml_files(directory):
        kinds = {o["kind"] for o in _load_dir_file(path)}
        assert len(kinds) == 1, f"{path} mixes kinds {kinds}"
        assert os.path.basename(path) == generator.KIND_FILES[kinds.pop()] + ".yaml"
    assert objects


def _load_dir_file(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LOADER)["items"]


def test_only_known_fixture_directories():
    assert set(_fixture_dirs()) == set(generator.FIXTURES) | set(generator.hhfab_fixture_names())


@pytest.mark.parametrize("name", FABRIC_FIXTURES)
def test_fixture_is_consistent(name):
    assert check(_fixture(name)) == []


@pytest.mark.parametrize("name", generator.FIXTURES)
def test_fixture_is_what_the_generator_writes(name):
    # The fixtures are written by the generator (python -m testbed.generator --fixtures tests/fixtures);
    # this keeps the two from drifting.
    on_disk = sorted(_fixture(name), key=lambda o: (o["kind"], o["metadata"]["name"]))
    fresh = sorted(generator.fixture_objects(name), key=lambda o: (o["kind"], o["metadata"]["name"]))
    assert on_disk == fresh


@pytest.mark.parametrize("name", generator.hhfab_fixture_names())
def test_hhfab_fixture_is_what_the_generator_writes(name):
    # hhfab work directories are compared file by file and byte by byte: their layout (comments,
    # document separators, key order) is part of what they test.
    on_disk = hhfab_wiring.read_workdir(os.path.join(FIXTURES_DIR, name)).files
    assert on_disk == generator.hhfab_fixture(name).files


def test_mclag_agent_missing_lacks_one_agent_and_nothing_else():
    objects = _fixture("mclag-agent-missing")
    fab = Fabric(objects)
    assert check(objects) == ["agents and switches differ"]
    assert sorted(fab["Agent"]) == ["leaf-01", "spine-01", "spine-02"] and generator.MCLAG_AGENT_MISSING == "leaf-02"
    assert fab["Switch"]["leaf-02"]["spec"]["redundancy"] == {"group": "mclag-1", "type": "mclag"}
    assert fab["Switch"]["leaf-01"]["spec"]["asn"] == fab["Switch"]["leaf-02"]["spec"]["asn"]
    # The port channel numbers of the pair are still in the Catalog and in the other peer's Agent.
    lags = {"server-01--mclag--leaf-01--leaf-02": 1, "server-02--mclag--leaf-01--leaf-02": 2,
            "server-04--bundled--leaf-02": 3}
    assert fab["Catalog"]["redundancy.mclag-1"]["spec"]["portChannelIDs"] == lags
    assert fab["Agent"]["leaf-01"]["spec"]["catalog"]["portChannelIDs"] == lags
    assert "switch.leaf-02" in fab["Catalog"]
    domain = fab["Connection"]["leaf-01--mclag-domain--leaf-02"]["spec"]["mclagDomain"]
    assert len(domain["peerLinks"]) == 2 and len(domain["sessionLinks"]) == 2


def test_vlab_has_the_counts_of_the_current_default():
    fab = Fabric(_fixture("vlab"))
    kinds = ("Switch", "Server", "Connection", "VPC", "VPCAttachment", "Agent", "SwitchGroup", "SwitchProfile",
             "VLANNamespace", "IPv4Namespace", "Fabricator")
    counts = {k: fab.count(k) for k in kinds}
    assert counts == {"Switch": 5, "Server": 6, "Connection": 12, "VPC": 6, "VPCAttachment": 6, "Agent": 5,
                      "SwitchGroup": 2, "SwitchProfile": 1, "VLANNamespace": 1, "IPv4Namespace": 1, "Fabricator": 1}
    assert set(fab["DHCPSubnet"]) == {"management"} | {f"vpc-0{n}--subnet-01" for n in range(1, 7)}
    assert set(fab["Catalog"]) >= {"vpcs", "connections", "redundancy.eslag-1", "switch.leaf-03", "switch.spine-01"}
    assert fab["Fabricator"]["default"]["status"]["release"] == "26.03.0"


# The tables of hedgehog-crds.md section 8.1, written out by hand.
VLAB_SWITCHES = {
    # name: (role, description, mgmt IP, protocol IP, VTEP IP, ASN, boot MAC, redundancy group)
    "spine-01": ("spine", "VS-04", "172.30.0.6/21", "172.30.8.0/32", None, 65100, "0c:20:12:ff:03:00", None),
    "spine-02": ("spine", "VS-05", "172.30.0.7/21", "172.30.8.1/32", None, 65100, "0c:20:12:ff:04:00", None),
    "leaf-01": ("server-leaf", "VS-01 ESLAG 1", "172.30.0.8/21", "172.30.8.2/32", "172.30.12.0/32", 65101, "0c:20:12:ff:00:00", "eslag-1"),
    "leaf-02": ("server-leaf", "VS-02 ESLAG 1", "172.30.0.9/21", "172.30.8.3/32", "172.30.12.1/32", 65102, "0c:20:12:ff:01:00", "eslag-1"),
    "leaf-03": ("server-leaf", "VS-03", "172.30.0.10/21", "172.30.8.4/32", "172.30.12.2/32", 65103, "0c:20:12:ff:02:00", None),
}
VLAB_SERVER_LINKS = {
    "server-01--eslag--leaf-01--leaf-02": [("server-01/enp2s1", "leaf-01/E1/1"), ("server-01/enp2s2", "leaf-02/E1/1")],
    "server-02--eslag--leaf-01--leaf-02": [("server-02/enp2s1", "leaf-01/E1/2"), ("server-02/enp2s2", "leaf-02/E1/2")],
    "server-03--unbundled--leaf-01": [("server-03/enp2s1", "leaf-01/E1/3")],
    "server-04--bundled--leaf-02": [("server-04/enp2s1", "leaf-02/E1/3"), ("server-04/enp2s2", "leaf-02/E1/4")],
    "server-05--unbundled--leaf-03": [("server-05/enp2s1", "leaf-03/E1/1")],
    "server-06--bundled--leaf-03": [("server-06/enp2s1", "leaf-03/E1/2"), ("server-06/enp2s2", "leaf-03/E1/3")],
}
VLAB_FABRIC_LINKS = {
    # spine port, leaf port, spine IP; connections in name order take consecutive /31s
    "spine-01--fabric--leaf-01": [("E1/1", "E1/4", "172.30.128.0/31"), ("E1/2", "E1/5", "172.30.128.2/31")],
    "spine-01--fabric--leaf-02": [("E1/3", "E1/5", "172.30.128.4/31"), ("E1/4", "E1/6", "172.30.128.6/31")],
    "spine-01--fabric--leaf-03": [("E1/5", "E1/4", "172.30.128.8/31"), ("E1/6", "E1/5", "172.30.128.10/31")],
    "spine-02--fabric--leaf-01": [("E1/1", "E1/6", "172.30.128.12/31"), ("E1/2", "E1/7", "172.30.128.14/31")],
    "spine-02--fabric--leaf-02": [("E1/3", "E1/7", "172.30.128.16/31"), ("E1/4", "E1/8", "172.30.128.18/31")],
    "spine-02--fabric--leaf-03": [("E1/5", "E1/6", "172.30.128.20/31"), ("E1/6", "E1/7", "172.30.128.22/31")],
}


def test_vlab_switches_are_hydrated_as_hhfab_does():
    fab = Fabric(_fixture("vlab"))
    for name, (role, descr, ip, proto, vtep, asn, mac, group) in VLAB_SWITCHES.items():
        spec = fab["Switch"][name]["spec"]
        assert (spec["role"], spec["description"], spec["ip"], spec["protocolIP"], spec.get("vtepIP"), spec["asn"],
                spec["boot"]["mac"], spec["profile"]) == (role, descr, ip, proto, vtep, asn, mac, "vs")
        assert spec["redundancy"] == ({"group": group, "type": "eslag"} if group else {})


def test_vlab_connections_have_the_documented_ports_and_ips():
    fab = Fabric(_fixture("vlab"))
    assert set(fab["Connection"]) == set(VLAB_SERVER_LINKS) | set(VLAB_FABRIC_LINKS)
    for name, links in VLAB_SERVER_LINKS.items():
        body = next(iter(fab["Connection"][name]["spec"].values()))
        got = [(link["server"]["port"], link["switch"]["port"]) for link in body.get("links", [body.get("link")])]
        assert got == links, name
    for name, links in VLAB_FABRIC_LINKS.items():
        spine, leaf = name.split("--fabric--")
        got = [(l["spine"]["port"], l["leaf"]["port"], l["spine"]["ip"], l["leaf"]["ip"]) for l in fab["Connection"][name]["spec"]["fabric"]["links"]]
        want = [(f"{spine}/{sp}", f"{leaf}/{lp}", ip, str(ipaddress.ip_interface(ip).ip + 1) + "/31") for sp, lp, ip in links]
        assert got == want, name


def test_vlab_servers_vpcs_and_attachments_follow_setup_vpcs():
    fab = Fabric(_fixture("vlab"))
    assert fab["Server"]["server-01"]["spec"]["description"] == "S-01 ESLAG leaf-01 leaf-02"
    assert fab["Server"]["server-03"]["spec"]["description"] == "S-03 Unbundled leaf-01"
    assert fab["Server"]["server-04"]["spec"]["description"] == "S-04 Bundled leaf-02"
    for n in range(1, 7):
        subnet = fab["VPC"][f"vpc-0{n}"]["spec"]["subnets"]["subnet-01"]
        assert (subnet["subnet"], subnet["vlan"], subnet["gateway"], subnet["dhcp"]["enable"]) == (f"10.0.{n}.0/24", 1000 + n, f"10.0.{n}.1", True)
        assert subnet["dhcp"]["range"] == {"start": f"10.0.{n}.2", "end": f"10.0.{n}.255"}
        conn = next(c for c in VLAB_SERVER_LINKS if c.startswith(f"server-0{n}--"))
        assert fab["VPCAttachment"][f"{conn}--vpc-0{n}--subnet-01"]["spec"] == {"connection": conn, "subnet": f"vpc-0{n}/subnet-01"}


def test_vlab_switch_profile_is_the_real_vs_profile():
    profile = Fabric(_fixture("vlab"))["SwitchProfile"]["vs"]
    spec = profile["spec"]
    assert profile["metadata"]["annotations"] == {"fabric.githedgehog.com/ports": "48xSFP28-25G"}
    assert (spec["displayName"], spec["nosType"], spec["platform"], spec["switchSilicon"]) == (
        "Virtual Switch", "sonic-bcm-vs", "x86_64-kvm_x86_64-r0", "vs")
    assert spec["ports"]["M1"] == {"nos": "Management0", "management": True, "oniePortName": "eth0"}
    assert len(spec["ports"]) == 49
    for n in range(1, 49):
        assert spec["ports"][f"E1/{n}"] == {"nos": f"Ethernet{n - 1}", "label": str(n), "group": str((n - 1) // 4 + 1)}
    assert set(spec["portGroups"]) == {str(g) for g in range(1, 13)}
    assert spec["portProfiles"] == {"SFP28-25G": {"speed": {"default": "25G", "supported": ["10G", "25G"]}}}
    assert spec["features"] == {"subinterfaces": True, "l2vni": True, "l3vni": True, "roce": True, "mclag": True, "eslag": True}


def test_vlab_agents_carry_status_with_current_keys():
    fab = Fabric(_fixture("vlab"))
    status = fab["Agent"]["leaf-01"]["status"]
    assert status["lastHeartbeat"] and status["lastAppliedGen"] == fab["Agent"]["leaf-01"]["metadata"]["generation"]
    assert status["state"]["nos"]["serialNumber"] and status["state"]["nos"]["softwareVersion"] == "4.5.2-Enterprise_Base"
    e1_4 = status["state"]["interfaces"]["E1/4"]
    assert (e1_4["admin"], e1_4["oper"], e1_4["speed"]) == ("up", "up", "25G")
    assert e1_4["lldpNeighbors"][0]["sysName"] == "spine-01" and "chassis" in e1_4["lldpNeighbors"][0]
    assert "E1/4" in status["state"]["transceivers"] and "transceiver" not in e1_4
    assert status["conditions"][0]["type"] == "Applied"
    assert fab["Agent"]["leaf-03"]["status"]["rebootRequired"] is True
    pcs = fab["Agent"]["leaf-02"]["spec"]["catalog"]["portChannelIDs"]
    assert pcs == {"server-01--eslag--leaf-01--leaf-02": 1, "server-02--eslag--leaf-01--leaf-02": 2, "server-04--bundled--leaf-02": 3}
    assert "PortChannel3" in fab["Agent"]["leaf-02"]["status"]["state"]["interfaces"]


def _lldp_far_ends(fab):
    """{(switch, port): '<device>/<port>' its LLDP neighbour names}, the far port by its API name."""
    api_names = {}
    for name, sw in fab["Switch"].items():
        profile = generator.PROFILE_SPECS[sw["spec"]["profile"]]
        breakouts = sw["spec"].get("portBreakouts")
        api_names[name] = dict((generator.nos_port_name(profile, port, breakouts), port)
                               for port in generator.profile_port_names(profile, breakouts) if port != "M1")
    seen = {}
    for name, agent in fab["Agent"].items():
        for port, iface in agent["status"]["state"]["interfaces"].items():
            for neighbour in iface.get("lldpNeighbors", []):
                far = neighbour["sysName"]
                seen[(name, port)] = "%s/%s" % (far, api_names[far][neighbour["portID"]])
    return seen


def test_vlab_lldp_sees_the_wiring_but_for_the_miswired_pair():
    fab = Fabric(_fixture("vlab"))
    wired = {}
    for conn in fab["Connection"].values():
        for link in (conn["spec"].get("fabric") or {}).get("links", []):
            spine, leaf = link["spine"]["port"], link["leaf"]["port"]
            wired[tuple(spine.split("/", 1))], wired[tuple(leaf.split("/", 1))] = leaf, spine
    seen = _lldp_far_ends(fab)
    assert set(seen) == set(wired)
    # spine-02's cables to leaf-01 E1/6 and leaf-02 E1/7 are swapped at the spine (generator.VLAB_MISWIRED).
    assert dict((end, far) for end, far in seen.items() if wired[end] != far) == {
        ("spine-02", "E1/1"): "leaf-02/E1/7", ("spine-02", "E1/3"): "leaf-01/E1/6",
        ("leaf-01", "E1/6"): "spine-02/E1/3", ("leaf-02", "E1/7"): "spine-02/E1/1"}
    bgp = fab["Agent"]["spine-02"]["status"]["state"]["bgpNeighbors"]["default"]
    assert sorted(peer["state"] for peer in bgp.values()) == ["active"] * 2 + ["established"] * 4


def test_vlab_mesh_joins_the_leaves_with_lldp_on_every_mesh_link():
    fab = Fabric(_fixture("vlab-mesh"))
    assert sorted(fab["Switch"]) == ["leaf-01", "leaf-02", "leaf-03"]
    mesh = dict((name, conn["spec"]["mesh"]["links"]) for name, conn in fab["Connection"].items()
                if "mesh" in conn["spec"])
    assert sorted(mesh) == ["leaf-01--mesh--leaf-02", "leaf-01--mesh--leaf-03", "leaf-02--mesh--leaf-03"]
    seen = _lldp_far_ends(fab)
    for links in mesh.values():
        for link in links:
            one, two = link["leaf1"]["port"], link["leaf2"]["port"]
            assert seen[tuple(one.split("/", 1))] == two and seen[tuple(two.split("/", 1))] == one


def test_gateway_agents_report_a_heartbeat_for_each_gateway():
    fab = Fabric(_fixture("vlab-gateway"))
    assert sorted(fab["GatewayAgent"]) == sorted(fab["Gateway"]) == ["gateway-1", "gateway-2"]
    agent = fab["GatewayAgent"]["gateway-1"]
    assert agent["apiVersion"] == "gwint.githedgehog.com/v1alpha1"
    assert agent["status"]["lastHeartbeat"] == "2026-08-20T10:00:00Z"
    assert agent["status"]["lastAppliedGen"] == agent["metadata"]["generation"] == 2
    assert agent["spec"]["gateway"] == fab["Gateway"]["gateway-1"]["spec"]


def _strings(node):
    if isinstance(node, dict):
        return {s for value in node.values() for s in _strings(value)}
    if isinstance(node, list):
        return {s for value in node for s in _strings(value)}
    return {node} if isinstance(node, str) else set()


def test_vlab_agent_specs_hold_the_planted_secrets():
    fab = Fabric(_fixture("vlab"))
    for agent in fab["Agent"].values():
        assert set(generator.VLAB_AGENT_SECRETS.values()) <= _strings(agent["spec"])
        assert not {s for s in _strings(agent["status"]) if "HHFAKE" in s}
    assert set(generator.VLAB_FABRICATOR_SECRETS.values()) <= _strings(fab["Fabricator"]["default"]["spec"])
    with open(os.path.join(FIXTURES_DIR, "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    for secret in generator.all_secret_strings():
        assert secret.strip().splitlines()[0] in readme


# -- old status keys ----------------------------------------------------------------------------


def _agent_facts(status):
    """The facts a reader takes from an Agent status, whichever key names it was written with."""
    state = status["state"]
    facts = {"heartbeat": status["lastHeartbeat"], "version": status["version"], "applied": status["lastAppliedGen"],
             "reboot": status.get("rebootRequired", False), "serial": state["nos"]["serialNumber"],
             "software": state["nos"]["softwareVersion"], "interfaces": {}, "transceivers": {}}
    for name, iface in state["interfaces"].items():
        lldp = [(n.get("sysName", n.get("systemName")), n.get("chassis", n.get("chassisID")), n["portID"])
                for n in iface.get("lldpNeighbors", [])]
        facts["interfaces"][name] = (iface.get("admin", iface.get("adminStatus")), iface.get("oper", iface.get("operStatus")),
                                     iface.get("speed"), iface.get("change", iface.get("lastChanged")), lldp)
        if "transceiver" in iface:
            facts["transceivers"][name] = (iface["transceiver"]["serialNumber"], iface["transceiver"]["vendorPart"])
    for name, tr in state.get("transceivers", {}).items():
        facts["transceivers"][name] = (tr["serial"], tr["vendorPart"])
    return facts


def test_agent_oldkeys_carry_the_same_facts_with_old_names():
    new = Fabric(_fixture("vlab"))["Agent"]
    old = Fabric(_fixture("agent-oldkeys"))["Agent"]
    assert set(old) == set(new)
    for name in new:
        state = old[name]["status"]["state"]
        assert "transceivers" not in state and "bfdPeers" not in state
        iface = state["interfaces"]["M1"]
        assert {"adminStatus", "operStatus", "lastChanged"} <= set(iface) and not {"admin", "oper", "change"} & set(iface)
        assert old[name]["spec"] == new[name]["spec"]
        assert _agent_facts(old[name]["status"]) == _agent_facts(new[name]["status"])


# -- the previous default and the gateway fabric -------------------------------------------------


def test_vlab_mclag_is_the_previous_default():
    fab = Fabric(_fixture("vlab-mclag"))
    switches = fab["Switch"]
    assert sorted(switches) == ["leaf-01", "leaf-02", "leaf-03", "leaf-04", "leaf-05", "spine-01", "spine-02"]
    assert switches["leaf-01"]["spec"]["redundancy"] == {"group": "mclag-1", "type": "mclag"}
    assert switches["leaf-01"]["spec"]["asn"] == switches["leaf-02"]["spec"]["asn"]
    assert switches["leaf-01"]["spec"]["vtepIP"] == switches["leaf-02"]["spec"]["vtepIP"]
    assert switches["leaf-03"]["spec"]["redundancy"] == {"group": "eslag-1", "type": "eslag"}
    assert switches["leaf-05"]["spec"]["redundancy"] == {}
    assert fab.count("Server") == 10
    domain = fab["Connection"]["leaf-01--mclag-domain--leaf-02"]["spec"]["mclagDomain"]
    assert len(domain["sessionLinks"]) == 2 and len(domain["peerLinks"]) == 2
    kinds = {}
    for conn in fab["Connection"].values():
        (field,) = _conn_type(conn)
        kinds[field] = kinds.get(field, 0) + 1
    assert kinds == {"mclagDomain": 1, "mclag": 2, "unbundled": 3, "bundled": 3, "eslag": 2, "fabric": 10, "vpcLoopback": 5}
    for leaf in ("leaf-01", "leaf-02", "leaf-03", "leaf-04", "leaf-05"):
        assert len(fab["Connection"][f"{leaf}--vpc-loopback"]["spec"]["vpcLoopback"]["links"]) == 2
    assert fab["Connection"]["server-01--mclag--leaf-01--leaf-02"]["metadata"]["labels"]  # labelled before 26.01
    assert fab.count("VPC") == 10 and fab.count("VPCAttachment") == 10 and fab.count("Gateway") == 0


def test_vlab_mclag_has_pre_25_04_agent_status_and_no_release():
    fab = Fabric(_fixture("vlab-mclag"))
    state = fab["Agent"]["leaf-03"]["status"]["state"]
    iface = next(i for i in state["interfaces"].values() if i.get("lldpNeighbors"))
    assert {"adminStatus", "operStatus", "lastChanged"} <= set(iface)
    assert {"systemName", "chassisID"} <= set(iface["lldpNeighbors"][0])
    assert "inBitsPerSecond" in iface["counters"] and "transceiver" in iface
    assert "transceivers" not in state and "rebootRequired" not in fab["Agent"]["leaf-03"]["status"]
    fabricator = fab["Fabricator"]["default"]["status"]
    assert "release" not in fabricator and fabricator["versions"]["fabric"]["controller"] == "v0.81.1"
    assert "server-01--mclag--leaf-01--leaf-02" in fab["Agent"]["leaf-01"]["spec"]["catalog"]["portChannelIDs"]


def test_vlab_gateway_adds_gateways_externals_and_peerings():
    fab = Fabric(_fixture("vlab-gateway"))
    assert sorted(fab["Gateway"]) == ["gateway-1", "gateway-2"] and list(fab["GatewayGroup"]) == ["default"]
    gw1 = fab["Gateway"]["gateway-1"]["spec"]
    assert (gw1["asn"], gw1["protocolIP"], gw1["vtepIP"], gw1["vtepMAC"]) == (65534, "172.30.8.5/32", "172.30.12.3/32", "CA:FE:BA:BE:01:01")
    assert gw1["groups"] == [{"name": "default"}]
    # Two gateway nodes take .6 and .7, so the switches shift up by two.
    assert fab["Switch"]["spine-01"]["spec"]["ip"] == "172.30.0.8/21" and fab["Switch"]["leaf-03"]["spec"]["ip"] == "172.30.0.12/21"
    conns = fab["Connection"]
    for spine in ("spine-01", "spine-02"):
        for gw, port in (("gateway-1", "E1/7"), ("gateway-2", "E1/8")):
            link = conns[f"{spine}--gateway--{gw}"]["spec"]["gateway"]["links"][0]
            switch_side = link.get("switch") or link.get("spine")
            assert switch_side["port"] == f"{spine}/{port}"
            assert link["gateway"]["port"] == f"{gw}/enp2s{spine[-1]}"
    sides = sorted(next(k for k in link if k != "gateway") for c in conns.values() if "gateway" in c["spec"] for link in c["spec"]["gateway"]["links"])
    assert sides == ["spine", "switch", "switch", "switch"]
    assert set(fab["VPCPeering"]) == {"vpc-01--vpc-02"} and set(fab["GatewayPeering"]) == {"vpc-03--vpc-04"}
    assert set(fab["ExternalPeering"]) == {"vpc-05--ext-bgp-01"}
    assert fab["ExternalAttachment"]["leaf-03--ext-bgp-01"]["spec"]["connection"] == "leaf-03--external"
    assert "ext-bgp-01" in fab["Agent"]["leaf-03"]["spec"]["externals"]
    assert fab.count("VPCInfo") == 6 and fab.count("FabNode") == 2


# -- one fabric as each release stores it ----------------------------------------------------

RELEASES = generator.RELEASE_SHAPES


def _release(name):
    return Fabric(_fixture(f"release-{name}"))


def _since(release, first):
    return RELEASES.index(release) >= RELEASES.index(first)


@pytest.mark.parametrize("release", RELEASES)
def test_release_fixture_api_versions_and_kinds(release):
    fab = _release(release)
    versions = {o["apiVersion"] for o in fab.objects}
    if release == "pre-beta-1":
        assert versions == {f"{g}.githedgehog.com/v1alpha2" for g in ("wiring", "vpc", "agent", "dhcp")}
    else:
        expected = {f"{g}.githedgehog.com/v1beta1" for g in ("wiring", "vpc", "agent", "dhcp", "fabricator")}
        if _since(release, "26.01"):
            expected.update(("gateway.githedgehog.com/v1alpha1", "gwint.githedgehog.com/v1alpha1"))
        assert versions == expected
    kinds = set(fab.by_kind)
    assert ({"Gateway", "GatewayGroup", "GatewayPeering", "VPCInfo", "FabNode", "GatewayAgent"} <= kinds) == _since(
        release, "26.01")
    assert not ({"Gateway", "GatewayPeering"} & kinds) or _since(release, "26.01")
    assert ("ControlAgent" in kinds) == (release == "pre-beta-1")
    assert ({"Fabricator", "ControlNode"} <= kinds) == (release != "pre-beta-1")


@pytest.mark.parametrize("release", RELEASES)
def test_release_fixture_is_served_whole_by_its_release_api(release):
    from testbed import kube_api, releases

    seen = {}
    for obj in _release(release).objects:
        group, version = kube_api.split_api_version(obj["apiVersion"])
        seen.setdefault((group, obj["kind"]), set()).add(version)
    served = kube_api.served_resources(kube_api.ApiCatalog(), seen, (), releases.served_api(release))
    for (group, kind), versions in seen.items():
        for version in versions:
            served_kinds = {t.kind for t in served[group][version]}
            assert kind in served_kinds, f"{release} does not serve {kind} at {group}/{version}"
    assert ("gateway.githedgehog.com" in served) == _since(release, "26.01")


@pytest.mark.parametrize("release", RELEASES)
def test_release_fixture_fabricator_tells_the_release(release):
    fab = _release(release)
    if release == "pre-beta-1":
        return
    status = fab["Fabricator"]["default"]["status"]
    era = generator.ERAS[release]
    assert status["versions"]["fabric"]["controller"] == era.fabric_version
    assert status["versions"]["platform"]["k3s"] == era.k3s
    # status.release arrived in 26.02; before it only the component versions tell the release.
    assert status.get("release") == ("26.03.0" if release == "26.03" else None)


@pytest.mark.parametrize("release", RELEASES)
def test_release_fixture_agent_status_keys(release):
    fab = _release(release)
    status = fab["Agent"]["leaf-05"]["status"]
    state = status["state"]
    uplink = next(i for i in state["interfaces"].values() if i.get("lldpNeighbors"))
    neighbour = uplink["lldpNeighbors"][0]
    new_keys = _since(release, "25.05")
    assert ({"admin", "oper", "change"} <= set(uplink)) == new_keys
    assert ({"adminStatus", "operStatus", "lastChanged", "transceiver"} <= set(uplink)) == (not new_keys)
    assert ("sysName" in neighbour) == new_keys and ("systemName" in neighbour) == (not new_keys)
    assert ("transceivers" in state) == new_keys
    assert ("name" in neighbour) == _since(release, "25.03")
    assert ("inBits" in uplink["counters"]) == (_since(release, "25.03") and not new_keys)
    assert ("bootID" in status) == _since(release, "25.03")
    assert ("configDBVersion" in state["nos"]) == _since(release, "25.03")
    assert ("configDbVersion" in state["nos"]) == (not _since(release, "25.03"))
    assert (status.get("rebootRequired") is True) == _since(release, "25.05")
    assert ("bfdPeers" in state) == _since(release, "26.03")
    assert any("linkFlapCount" in i for i in state["interfaces"].values()) == _since(release, "26.03")


def test_release_26_03_has_the_fields_added_since_26_01():
    fab = _release("26.03")
    leaf = fab["Switch"]["leaf-05"]["spec"]
    assert leaf["portFECs"] == {"E1/5": "rs", "E1/6": "auto"}
    assert leaf["linkFlapErrDisable"] == {"flapThreshold": 3, "samplingInterval": 30, "recoveryInterval": 300}
    bgp = fab["ExternalAttachment"]["leaf-05--ext-bgp-01"]["spec"]
    assert [st["seq"] for st in bgp["inboundACL"]["statements"]] == [10, 20]
    acl = fab["GatewayPeering"]["vpc-03--vpc-04"]["spec"]["acl"]
    assert acl["default"] == "deny-unless-exposed" and [r["action"] for r in acl["rules"]] == ["allow", "deny"]
    interfaces = fab["Agent"]["leaf-05"]["status"]["state"]["interfaces"]
    disabled = {name: i for name, i in interfaces.items() if i.get("errDisabled")}
    assert len(disabled) == 1
    (port, iface), = disabled.items()
    assert (iface["oper"], iface["linkFlapCount"], "lldpNeighbors" in iface) == ("down", 4, False)
    assert sorted(i["linkFlapCount"] for i in interfaces.values() if "linkFlapCount" in i) == [0, 0, 0, 4]
    state = fab["Agent"]["leaf-05"]["status"]["state"]
    assert sorted(n["state"] for n in state["bgpNeighbors"]["default"].values()) == ["active"] + ["established"] * 3
    assert sorted(p["state"] for p in state["bfdPeers"]["default"].values()) == ["down"] + ["up"] * 3
    # The upgraded fabric keeps its MCLAG objects, unlabelled and no longer configured.
    conns = fab["Connection"]
    assert conns["leaf-01--mclag-domain--leaf-02"]["spec"]["mclagDomain"]["peerLinks"]
    assert "labels" not in conns["server-01--mclag--leaf-01--leaf-02"]["metadata"]
    assert fab["Switch"]["leaf-01"]["spec"]["redundancy"] == {"group": "mclag-1", "type": "mclag"}
    port_channels = fab["Agent"]["leaf-01"]["spec"]["catalog"].get("portChannelIDs", {})
    assert "server-01--mclag--leaf-01--leaf-02" not in port_channels


@pytest.mark.parametrize("release", RELEASES)
def test_release_fixture_fields_by_release(release):
    fab = _release(release)
    leaf = fab["Switch"]["leaf-05"]["spec"]
    assert ("boot" in leaf) == (release != "pre-beta-1")
    assert ({"location", "locationSig"} <= set(leaf)) == (release == "pre-beta-1")
    assert ("ecmp" in leaf) == _since(release, "25.03")
    assert ("portFECs" in leaf) == _since(release, "26.03")
    profile = fab["SwitchProfile"]["vs"]["spec"]
    assert ("switchSilicon" in profile) == _since(release, "25.03")
    assert ("nosType" in profile) == (release != "pre-beta-1")
    assert ("l2vni" in profile["features"]) == _since(release, "25.03")
    assert ("vxlan" in profile["features"]) == (not _since(release, "25.03"))
    # Before 25.02 the vs profile still had the S5248F-ON's eight QSFP28 breakout ports.
    assert len(profile["ports"]) == (49 if _since(release, "25.03") else 57)
    conn_types = {}
    for conn in fab["Connection"].values():
        (field,) = _conn_type(conn)
        conn_types[field] = conn_types.get(field, 0) + 1
    assert conn_types.get("vpcLoopback", 0) == (0 if _since(release, "25.05") else 5)
    assert conn_types.get("management", 0) == (7 if release == "pre-beta-1" else 0)
    assert conn_types.get("gateway", 0) == (2 if _since(release, "26.01") else 0)
    assert (conn_types["mclag"], conn_types["mclagDomain"]) == (2, 1)
    mclag_labelled = bool(fab["Connection"]["server-01--mclag--leaf-01--leaf-02"]["metadata"].get("labels"))
    assert mclag_labelled == (not _since(release, "26.03"))
    for conn in fab["Connection"].values():
        for link in (conn["spec"].get("gateway") or {}).get("links", []):
            assert set(link) == {"switch", "gateway"}
    static = fab["External"].get("ext-static")
    assert bool(static) == _since(release, "26.01")
    if static:
        assert static["spec"]["static"]["prefixes"] == ["192.168.200.0/24", "192.168.201.0/24"]
        attachment = fab["ExternalAttachment"]["leaf-05--ext-static"]["spec"]
        assert (attachment["switch"], attachment["neighbor"], attachment["static"]["vlan"]) == ({}, {}, 20)
    vpc_peerings = {"vpc-01--vpc-02"} if _since(release, "26.01") else {"vpc-01--vpc-02", "vpc-03--vpc-04"}
    assert set(fab["VPCPeering"]) == vpc_peerings
    assert set(fab["GatewayPeering"]) == ({"vpc-03--vpc-04"} if _since(release, "26.01") else set())
    assert set(fab["ExternalPeering"]) == {"vpc-05--ext-bgp-01"}
    management = fab["DHCPSubnet"]["management"]["spec"]
    assert ("ztpBaseURL" in management) == _since(release, "26.01")
    assert ("leaseTimeSeconds" in management) == _since(release, "25.03")
    offers = [lease for subnet in fab["DHCPSubnet"].values() for lease in subnet["status"]["allocated"].values()
              if lease.get("discover")]
    assert bool(offers) == _since(release, "25.05")


def test_release_fixtures_are_one_fabric_across_upgrades():
    """Names, uids and addresses of what every release has stay the same from release to release."""
    def identity(fab):
        switches = {n: (s["metadata"]["uid"], s["spec"]["ip"], s["spec"]["asn"], s["spec"].get("vtepIP"))
                    for n, s in fab["Switch"].items()}
        servers = {n: s["metadata"]["uid"] for n, s in fab["Server"].items() if n != "control-1"}
        links = {n: c["spec"]["fabric"] for n, c in fab["Connection"].items() if "fabric" in c["spec"]}
        return switches, servers, links

    first = identity(_release(RELEASES[0]))
    for release in RELEASES[1:]:
        assert identity(_release(release)) == first, release
    gateway = _release("26.01")["Gateway"]["gateway-1"]["spec"]
    # The gateway came later, so it took the next free addresses.
    assert gateway["protocolIP"] == "172.30.8.7/32" and gateway["vtepIP"] == "172.30.12.4/32"


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def _kinds(objects):
    counts = {}
    for obj in objects:
        counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
    return counts


@pytest.fixture(scope="module")
def large_fabric():
    return generator.generate_fabric(generator.PRESETS["L"])


@pytest.mark.parametrize("preset", ["vlab", "medium", "vlab-mclag", "vlab-gateway"])
def test_generated_fabric_is_consistent(preset):
    assert check(generator.generate_fabric(generator.PRESETS[preset])) == []


def test_large_fabric_has_the_requested_size(large_fabric):
    fab = Fabric(large_fabric)
    roles = [sw["spec"]["role"] for sw in fab["Switch"].values()]
    assert roles.count("spine") == 4 and roles.count("server-leaf") == 32
    assert fab.count("Server") == 512 and fab.count("VPC") == 128
    assert sum(len(v["spec"]["subnets"]) for v in fab["VPC"].values()) == 256
    server_conns = [c for c in fab["Connection"].values() if _conn_type(c)[0] in SERVER_FACING]
    assert fab.count("VPCAttachment") == len(server_conns) == 512
    groups = {sw["spec"]["redundancy"].get("group") for sw in fab["Switch"].values()} - {None}
    assert len(groups) == 16


def test_large_fabric_is_consistent(large_fabric):
    assert check(large_fabric) == []


def test_large_fabric_spines_break_out_their_ports(large_fabric):
    fab = Fabric(large_fabric)
    spine = fab["Switch"]["spine-01"]["spec"]
    assert spine["profile"] == "celestica-ds4101" and set(spine["portBreakouts"].values()) == {"8x100G"}
    assert "celestica-ds4101" in fab["SwitchProfile"]


def test_xl_fabric_has_the_requested_size():
    fab = Fabric(generator.generate_fabric(generator.PRESETS["XL"]))
    roles = [sw["spec"]["role"] for sw in fab["Switch"].values()]
    assert roles.count("spine") == 8 and roles.count("server-leaf") == 128
    assert fab.count("Server") == 2048 and fab.count("VPC") == 512 and fab.count("VPCAttachment") == 2048


def test_generator_is_deterministic_for_a_seed():
    spec = generator.PRESETS["medium"]
    assert generator.generate_fabric(spec) == generator.generate_fabric(spec)
    other = generator.generate_fabric(dataclasses.replace(spec, seed=7))
    assert other != generator.generate_fabric(spec)
    wiring = [(o["kind"], o["metadata"]["name"], o.get("spec")) for o in other if o["kind"] in ("Switch", "Connection", "VPC")]
    assert wiring == [(o["kind"], o["metadata"]["name"], o.get("spec")) for o in generator.generate_fabric(spec)
                      if o["kind"] in ("Switch", "Connection", "VPC")]


def test_two_fabrics_side_by_side_share_no_names_or_addresses():
    first = Fabric(generator.generate_fabric(generator.PRESETS["medium"]))
    second_spec = dataclasses.replace(
        generator.PRESETS["medium"], name_prefix="fab2-", mgmt_subnet="172.31.0.0/21", protocol_subnet="172.31.8.0/22",
        vtep_subnet="172.31.12.0/22", fabric_subnet="172.31.128.0/17", ipv4_subnet="10.1.0.0/16")
    second_objects = generator.generate_fabric(second_spec)
    assert check(second_objects) == []
    second = Fabric(second_objects)
    for kind in ("Switch", "Server", "Connection", "VPC", "VPCAttachment", "SwitchGroup", "DHCPSubnet", "ControlNode"):
        shared = set(first[kind]) & set(second[kind]) - {"management"}
        assert not shared, f"{kind} names clash: {sorted(shared)[:3]}"
    assert not _addresses(first) & _addresses(second)


def _addresses(fab):
    found = set()
    for sw in fab["Switch"].values():
        found.update(_ip(sw["spec"][k]).ip for k in ("ip", "protocolIP", "vtepIP") if k in sw["spec"])
    for vpc in fab["VPC"].values():
        found.update(ipaddress.ip_network(s["subnet"]) for s in vpc["spec"]["subnets"].values())
    return found


def test_top_down_uplinks_take_the_highest_leaf_ports():
    objects = generator.generate_fabric(dataclasses.replace(generator.PRESETS["vlab"], uplink_ports="top-down"))
    assert check(objects) == []
    link = Fabric(objects)["Connection"]["spine-01--fabric--leaf-01"]["spec"]["fabric"]["links"][0]
    assert link["leaf"]["port"] == "leaf-01/E1/48"


def test_a_fabric_that_does_not_fit_fails_clearly():
    with pytest.raises(ValueError, match="no free port"):
        generator.generate_fabric(generator.FabricSpec(spines=4, leaves=2, eslag_pairs=1, servers_per_leaf=40, vpcs=1))
    with pytest.raises(ValueError, match="larger --ipv4-subnet"):
        generator.generate_fabric(generator.FabricSpec(vpcs=300, subnets_per_vpc=1, ipv4_subnet="10.0.0.0/16"))
    with pytest.raises(ValueError, match="MCLAG"):
        generator.generate_fabric(generator.FabricSpec(leaves=5, mclag_pairs=1))


def test_the_ipv4_namespace_widens_to_fit_the_vpcs():
    namespace = Fabric(generator.generate_fabric(generator.FabricSpec(vpcs=300)))["IPv4Namespace"]["default"]
    assert namespace["spec"]["subnets"] == ["10.0.0.0/15"]


def _break(objects, kind, name, mutate):
    broken = [dict(o) for o in objects]
    target = next(o for o in broken if o["kind"] == kind and o["metadata"]["name"] == name)
    copy = yaml.safe_load(yaml.safe_dump(target))
    mutate(copy)
    return [copy if o is target else o for o in broken]


@pytest.mark.parametrize("kind,name,mutate,problem", [
    ("Connection", "server-03--unbundled--leaf-01",
     lambda o: o["spec"]["unbundled"]["link"]["switch"].update(port="leaf-01/E1/4"), "used by"),
    ("Connection", "server-03--unbundled--leaf-01",
     lambda o: o["spec"]["unbundled"]["link"]["switch"].update(port="leaf-01/E1/49"), "is not a port of profile"),
    ("VPC", "vpc-01", lambda o: o["spec"]["subnets"]["subnet-01"].update(vlan=3000), "outside its VLAN namespace"),
    ("VPC", "vpc-02", lambda o: o["spec"]["subnets"]["subnet-01"].update(vlan=1001), "used twice"),
    ("VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01",
     lambda o: o["spec"].update(subnet="vpc-03/subnet-09"), "no VPC subnet"),
    ("Connection", "spine-01--fabric--leaf-01",
     lambda o: o["spec"]["fabric"]["links"][0]["leaf"].update(ip="172.30.128.4/31"), "/31"),
    ("Switch", "leaf-02", lambda o: o["spec"].update(asn=65101), "ASN 65101 used twice"),
    ("Switch", "leaf-02", lambda o: o["spec"].update(profile="dell-s5248f-on"), "profile dell-s5248f-on missing"),
])
def test_the_checker_catches_broken_fabrics(kind, name, mutate, problem):
    objects = _break(_fixture("vlab"), kind, name, mutate)
    assert any(problem in p for p in check(objects)), check(objects)


def test_the_checker_treats_a_bare_breakout_port_as_its_first_sub_port():
    objects = generator.generate_fabric(generator.PRESETS["L"])
    conn = next(o for o in objects if o["metadata"]["name"] == "spine-01--fabric--leaf-01")
    assert conn["spec"]["fabric"]["links"][0]["spine"]["port"] == "spine-01/E1/1/1"
    other = next(o for o in objects if o["metadata"]["name"] == "spine-01--fabric--leaf-02")
    other["spec"]["fabric"]["links"][0]["spine"]["port"] = "spine-01/E1/1"
    assert any("used by" in p for p in check(objects))


def test_write_fabric_round_trips(tmp_path):
    objects = generator.generate_fabric(generator.PRESETS["vlab-gateway"])
    paths = generator.write_fabric(objects, str(tmp_path))
    assert {os.path.basename(p) for p in paths} == {generator.KIND_FILES[k] + ".yaml" for k in _kinds(objects)}
    loaded = _load_dir(str(tmp_path))
    assert sorted(loaded, key=lambda o: (o["kind"], o["metadata"]["name"])) == sorted(objects, key=lambda o: (o["kind"], o["metadata"]["name"]))


def test_cli_writes_a_fabric(tmp_path, capsys):
    out = tmp_path / "fabric"
    assert generator.main(["--preset", "vlab", "--servers-per-leaf", "4", "--name-prefix", "x-", "--out", str(out)]) == 0
    fab = Fabric(_load_dir(str(out)))
    assert fab.count("Server") == 12 and "x-leaf-01" in fab["Switch"]
    assert "wrote" in capsys.readouterr().out
    assert generator.main(["--leaves", "2", "--eslag-pairs", "2", "--out", str(tmp_path / "bad")]) == 2
