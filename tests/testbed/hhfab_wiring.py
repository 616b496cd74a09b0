"""Hedgehog fabrics as hhfab writes them: a work directory with ``fab.yaml`` and ``include/*.yaml``.

The live fixtures (``generator.generate_fabric``) are what the Kubernetes API serves after hydration,
the webhooks and the controllers. A user who plans a fabric has something else: the work directory of
``hhfab``, and this module writes that. Facts from githedgehog/fabricator at fee55670 (2026-08-08,
hhfab v0.48 + 49; the paths below are in that repository unless they name another):

Work directory (``pkg/hhfab/cmdconfig.go``, ``Init``): ``fab.yaml`` (the ``Fabricator`` and its
``ControlNode`` and ``FabNode`` objects), ``.registry.yaml`` (``prefix``/``repo`` of the artifact
registry), ``include/`` (wiring; ``hhfab init -w FILE`` copies files there as they are) and the
empty ``result/``. hhfab reads every ``include/*.yaml`` and skips other names (``loadWiring`` in
``pkg/hhfab/hydrate.go``); each file is a stream of YAML documents.

``fab.yaml`` (``pkg/fab/initconfig.tmpl.yaml`` rendered by ``pkg/fab/initconfig.go``) names no
subnet, ASN or address: the address plan is ``pkg/fab/defaults.go`` ``DefaultConfig`` merged under
whatever the file sets (``pkg/fab/fabutil.go`` ``GetFabAndNodes``): management 172.30.0.0/21 with
the control VIP 172.30.0.1 and switch DHCP from 172.30.4.0, protocol 172.30.8.0/22, VTEP
172.30.12.0/22, fabric links 172.30.128.0/17, dummy 172.30.90.0/24, spine ASN 65100, leaf ASNs
65101-65533, gateway ASN 65534.

``hhfab vlab gen`` (``pkg/hhfab/vlabbuilder.go`` ``VLABBuilderDefault.Build``; defaults in
``cmd/hhfab/main.go``): 2 spines with 2 links to every leaf, one ESLAG group of 2 leaves and 1 orphan
leaf, per group 2 ESLAG servers, 1 unbundled server on its first leaf and 1 bundled server (2 links)
on its second, per orphan 1 unbundled and 1 bundled server; with ``--mesh-links-count N`` no spines
and N links between every two leaves. Switch ports are handed out per switch from ``E1/1`` upward in
creation order (leaves with their servers first, then every spine with its links to leaf-01, leaf-02,
... and its gateway links, then the mesh links); server ports are ``enp2s1``, ``enp2s2``, ...;
boot MACs ``0c:20:12:ff:NN:00`` count switches from 0 in creation order, descriptions ``VS-NN`` from
1. Connection names follow ``ConnectionSpec.GenerateName`` (githedgehog/fabric
``api/wiring/v1beta1/connection_types.go``). The result goes to ``include/vlab.generated.yaml``
unhydrated: no switch ``asn``, ``ip``, ``protocolIP``, ``vtepIP``, no link ``ip``.

The file layout is ``apiutil.PrintInclude`` (``pkg/util/apiutil/include.go``, ``printer.go``): kinds
in a fixed order (VLANNamespace, IPv4Namespace, SwitchGroup, Switch, Server, Connection, External,
ExternalAttachment, VPC, VPCAttachment, VPCPeering, ExternalPeering, GatewayGroup, Gateway, VPCInfo,
GatewayPeering), objects of a kind sorted by namespace and name (the controller-runtime fake client
lists them so), a ``#\\n# <Kind>List\\n#`` comment before the first object of each kind, ``---``
before every object but the first (so a kind's comment ends the previous document), and each object
as ``apiVersion``, ``kind``, ``metadata`` (name, namespace, labels and annotations when set; fabric
labels removed) and ``spec``, marshalled by ``sigs.k8s.io/yaml`` (Go's JSON field rules, so empty
structs print as ``{}``; go-yaml v2 key order, which compares runs of digits as numbers). Objects the
builder makes carry no namespace except Gateway and GatewayGroup (``default``).

Hydration (``pkg/hhfab/hydrate.go``): ``hhfab build`` / ``vlab up`` / ``validate`` take
``--hydrate-mode`` ``never`` | ``if-not-present`` (default) | ``override`` and hydrate in memory only,
nothing is written back. ``getHydration`` counts, per control node and FabNode its management IP, per
switch ``ip``, ``protocolIP``, ``asn`` and (leaves) ``vtepIP``, per fabric, mesh and gateway link both
IPs, per gateway ``asn``, ``protocolIP`` and ``vtepIP``: none set is ``none``, all set ``full``, else
``partial``. ``never`` needs ``full``; ``if-not-present`` keeps ``full``, hydrates ``none`` and refuses
``partial`` ("wiring is already partially hydrated"); ``override`` hydrates whatever it finds.
``hydrate`` then assigns, each counter moving on by one address per use:

1. Management IPs start 4 addresses after the control VIP (which must be the subnet's first host):
   control nodes sorted by name, then FabNodes sorted by name, then the switches; each with the
   management prefix length. Control nodes and FabNodes also get a ``/31`` from the dummy subnet's
   network address, two addresses apart.
2. Switches sorted: spines first, then by role name (``border-leaf`` < ``mixed-leaf`` <
   ``server-leaf``), then by name. Each gets the next management IP and the next protocol IP
   (``/32``, from the protocol subnet's network address). A spine gets the spine ASN. The second
   switch of a legacy MCLAG group (in this order) takes the first one's ASN and VTEP IP; every other
   leaf gets the next leaf ASN and the next VTEP IP (``/32``, from the VTEP subnet's network address).
3. Connections sorted by name; each link of a fabric (``spine`` then ``leaf``), mesh (``leaf1`` then
   ``leaf2``) or gateway (``switch`` then ``gateway``) connection takes the next two addresses of the
   fabric subnet as ``/31``. A gateway link also sets the gateway interface's ``ips`` and ``mtu``
   (9100) and appends a BGP neighbour (source interface, the switch side's IP, the switch's ASN).
4. Gateways sorted by name: the gateway ASN, the next protocol IP, the next VTEP IP, VTEP MAC
   ``CA:FE:BA:BE:01:<n>`` counting from 01, VTEP MTU 9036.

``hydrate`` here follows those rules on the objects read from a work directory; it returns copies and
keeps the input as it was.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import ipaddress
import os

import yaml

from testbed import generator

WIRING = generator.WIRING
VPC_API = generator.VPC_API
GATEWAY_API = generator.GATEWAY_API
FAB_API = generator.FAB_API

INCLUDE_DIR = "include"
FAB_CONFIG_FILE = "fab.yaml"
REGISTRY_CONFIG_FILE = ".registry.yaml"
VLAB_GENERATED_FILE = "vlab.generated.yaml"

# apiutil.PrintInclude prints these kinds, in this order, and no others.
PRINT_ORDER = ("VLANNamespace", "IPv4Namespace", "SwitchGroup", "Switch", "Server", "Connection", "External",
               "ExternalAttachment", "VPC", "VPCAttachment", "VPCPeering", "ExternalPeering", "GatewayGroup",
               "Gateway", "VPCInfo", "GatewayPeering")

# pkg/fab/defaults.go DefaultConfig: what hydration uses when fab.yaml does not say otherwise.
DEFAULT_PLAN = {
    "managementSubnet": "172.30.0.0/21",
    "controlVIP": "172.30.0.1/32",
    "dummySubnet": "172.30.90.0/24",
    "managementDHCPStart": "172.30.4.0",
    "managementDHCPEnd": "172.30.7.254",
    "spineASN": 65100,
    "leafASNStart": 65101,
    "leafASNEnd": 65533,
    "protocolSubnet": "172.30.8.0/22",
    "vtepSubnet": "172.30.12.0/22",
    "fabricSubnet": "172.30.128.0/17",
    "gatewayASN": 65534,
}
GATEWAY_LINK_MTU = generator.MTU
GATEWAY_VTEP_MTU = generator.SERVER_FACING_MTU
GATEWAY_VTEP_MAC = "CA:FE:BA:BE:01:{:02x}"
LEAF_ROLES = ("server-leaf", "border-leaf", "mixed-leaf")
# The two ends of a link that carry IPs, in the order hydration numbers them.
_LINK_SIDES = {"fabric": ("spine", "leaf"), "mesh": ("leaf1", "leaf2"), "gateway": ("switch", "gateway")}
SWITCH_ROLES = ("spine",) + LEAF_ROLES

HYDRATE_NEVER = "never"
HYDRATE_IF_NOT_PRESENT = "if-not-present"
HYDRATE_OVERRIDE = "override"

# Credentials planted in every fab.yaml (hhfab init writes one hash and its keys for the control
# node user and both switch users). They are fake, carry HHFAKE and must never reach NetBox.
INIT_PASSWORD_HASH = generator.VLAB_FABRICATOR_SECRETS["control_password_hash"]
INIT_AUTHORIZED_KEY = generator.VLAB_FABRICATOR_SECRETS["control_ssh_key"]


class HydrationError(ValueError):
    """hhfab would refuse this work directory."""


# ---------------------------------------------------------------------------------------------
# fab.yaml (hhfab init)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InitOptions:
    """The ``hhfab init`` flags a fab.yaml is written with.

    The defaults are the shape of ``hhfab init --dev`` (password and key set, password login on),
    with the fixture's fake hash and key where ``--dev`` puts the public development ones; that is
    exactly what ``hhfab init --passwd HASH --keys KEY --ctrl-no-pass-auth=false`` writes.
    """

    password_hash: str = INIT_PASSWORD_HASH
    authorized_keys: tuple = (INIT_AUTHORIZED_KEY,)
    no_pass_auth: bool = False
    gateways: int = 0  # --gw / --gateways N: FabNodes gateway-1..N and gateway.enable


def render_fab_yaml(options, node_addresses=None):
    """fab.yaml as ``hhfab init`` writes it for ``options``.

    ``node_addresses`` ({node name: (management IP, dummy IP)}) adds what hydration assigns to the
    control node and the FabNodes, for a work directory that carries its hydration on disk.
    """
    node_addresses = node_addresses or {}
    lines = _fabricator_lines(options) + ["---"] + _control_node_lines(node_addresses.get("control-1"))
    for index in range(1, options.gateways + 1):
        lines += ["", "---"] + _gateway_node_lines(f"gateway-{index}", node_addresses.get(f"gateway-{index}"))
    if options.gateways:
        lines.append("")
    return "\n".join(lines) + "\n"


def _fabricator_lines(options):
    # The template's text for these inputs, blank and whitespace-only lines included: the
    # conditionals that render nothing leave their indentation behind.
    lines = [
        "# Fabricator object and at least one ControlNode are required",
        "# For more configuration options see https://docs.githedgehog.com",
        "",
        "# For generating password hash use `openssl passwd -5`",
        "",
        f"apiVersion: {FAB_API}",
        "kind: Fabricator",
        "metadata:",
        "  name: default",
        "  namespace: fab",
        "spec:",
        "  config:",
        "    control:",
        "      #tlsSAN: # IPs and DNS names that will be used to access API",
        '      #  - "fabric.local"',
        "      # join token that will be used for the first control node installation and joining other nodes to "
        "the cluster",
        "      # if it wasn't set the random one will be generated, but if first control node is already installed, "
        "it could be",
        "      # retrieved from the control node file /var/lib/rancher/k3s/server/token",
        "      #joinToken: super-secret-join-token",
        "",
        f"      noPassAuth: {'true' if options.no_pass_auth else 'false'} # disable SSH password authentication "
        "(requires authorizedKeys below)",
        "",
        "      defaultUser: # user 'core' on all control nodes",
    ]
    lines += _user_credential_lines(options, "        ")
    lines += [
        "",
        "    fabric:",
        '      mode: spine-leaf # "spine-leaf"',
        "      ",
        "      ",
        "      includeBCM: true",
        "      ",
        "      ",
        "      defaultSwitchUsers:",
        "        admin: # at least one user with name 'admin' and role 'admin'",
        "          role: admin",
    ]
    lines += _user_credential_lines(options, "          ")
    lines += ["        op: # optional read-only user", "          role: operator"]
    lines += _user_credential_lines(options, "          ")
    lines += ["    observability:", '      defaults: ""', "      ", "    "]
    if options.gateways:
        lines += ["    gateway:", "      enable: true"]
    lines.append("")
    return lines


def _user_credential_lines(options, indent):
    lines = [f'{indent}password: "{options.password_hash}" # password hash', f"{indent}authorizedKeys:"]
    lines += [f'{indent}  - "{key}"' for key in options.authorized_keys]
    return lines


def _control_node_lines(addresses):
    lines = [
        f"apiVersion: {FAB_API}",
        "kind: ControlNode",
        "metadata:",
        "  name: control-1",
        "  namespace: fab",
        "spec:",
        "  bootstrap:",
        '   disk: "/dev/sda" # disk to install OS on, e.g. "sda" or "nvme0n1"',
        "  external:",
        "    interface: enp2s0 # interface for external",
        "    ip: dhcp # IP address for external interface",
        "  management:",
        "    interface: enp2s1 # interface for management",
    ]
    return lines + _hydrated_node_lines(addresses)


def _gateway_node_lines(name, addresses):
    lines = [
        f"apiVersion: {FAB_API}",
        "kind: FabNode",
        "metadata:",
        f"  name: {name}",
        "  namespace: fab",
        "spec:",
        "  roles:",
        "    - gateway",
        "  bootstrap:",
        '   disk: "/dev/sda" # disk to install OS on, e.g. "sda" or "nvme0n1"',
        "  management:",
        "    interface: enp2s0 # interface for management",
    ]
    return lines + _hydrated_node_lines(addresses)


def _hydrated_node_lines(addresses):
    if not addresses:
        return []
    management_ip, dummy_ip = addresses
    return [f"    ip: {management_ip}", "  dummy:", f"    ip: {dummy_ip}"]


def render_registry_yaml():
    """.registry.yaml as ``hhfab init`` writes it with the default registry."""
    return "prefix: githedgehog\nrepo: ghcr.io\n"


# ---------------------------------------------------------------------------------------------
# Objects as the hhfab builders make them
# ---------------------------------------------------------------------------------------------


def api_object(api, kind, name, spec, namespace=None, annotations=None):
    """One object the way hhfab holds it before printing: no status, no fabric labels."""
    metadata = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": api, "kind": kind, "metadata": metadata, "spec": spec}


def switch_object(name, role, description, profile, boot, groups=(), redundancy=None, **ports):
    """A Switch as a builder makes it; ``ports`` are portBreakouts, portGroupSpeeds, ... when set.

    Go marshals the structs ``boot``, ``redundancy`` and ``ecmp`` even when they are empty.
    """
    spec = {"role": role, "description": description, "profile": profile, "boot": dict(boot),
            "redundancy": dict(redundancy or {}), "ecmp": {}}
    if groups:
        spec["groups"] = list(groups)
    spec.update({key: dict(value) for key, value in ports.items() if value})
    return api_object(WIRING, "Switch", name, spec)


def connection_name(spec):
    """The name ``ConnectionSpec.GenerateName`` gives: ``<left>--<type>[--<right>...]``."""
    (field, body), = spec.items()
    links = body.get("links") or [body["link"]]
    device = _device_of
    if field in ("unbundled", "bundled"):
        left, right = device(links[0]["server"]), [device(links[0]["switch"])]
    elif field == "eslag":
        left, right = device(links[0]["server"]), [device(link["switch"]) for link in links]
    elif field in ("fabric", "mesh", "gateway"):
        first, second = _LINK_SIDES[field]
        left, right = device(links[0][first]), [device(links[0][second])]
    elif field == "vpcLoopback":
        left, right = device(links[0]["switch1"]), []
    elif field in ("external", "staticExternal"):
        left, right = device(links[0]["switch"]), []
    else:
        raise ValueError(f"no generated name for a {field} connection")
    ctype = {"vpcLoopback": "vpc-loopback", "staticExternal": "static-external"}.get(field, field)
    return "--".join([left, ctype] + right)


def _device_of(end):
    return end["port"].split("/", 1)[0]


def connection_object(spec):
    return api_object(WIRING, "Connection", connection_name(spec), spec)


@dataclasses.dataclass(frozen=True)
class VlabGen:
    """The ``hhfab vlab gen`` flags; zero values mean hhfab's defaults (see ``effective``)."""

    spines: int = 0
    fabric_links: int = 0
    mesh_links: int = 0
    eslag_leaf_groups: tuple = ()
    orphan_leaves: int = 0
    eslag_servers: int = 2
    unbundled_servers: int = 1
    bundled_servers: int = 1
    gateway_uplinks: int = 0
    gateway_workers: int = 8
    profile: str = generator.VS_PROFILE

    def effective(self):
        """The flags after ``Build`` filled in its defaults."""
        if self.mesh_links and (self.fabric_links or self.spines):
            raise ValueError("mesh links exclude spines and fabric links")
        values = dataclasses.asdict(self)
        if not self.mesh_links:
            values["spines"] = self.spines or 2
            values["fabric_links"] = self.fabric_links or 2
        if not self.orphan_leaves and not self.eslag_leaf_groups:
            values["eslag_leaf_groups"], values["orphan_leaves"] = (2,), 1
        if any(not 2 <= size <= 4 for size in values["eslag_leaf_groups"]):
            raise ValueError("an ESLAG leaf group has 2 to 4 leaves")
        return VlabGen(**values)


class _VlabBuilder:
    """The objects of ``hhfab vlab gen`` in the order it creates them."""

    def __init__(self, flags, gateway_nodes):
        self.flags = flags
        self.gateways = sorted(gateway_nodes)
        self.objects = []
        self.next_port = {}
        self.switch_index = 0  # boot MACs count from 0, descriptions from 1

    def build(self):
        flags = self.flags
        self.objects.append(api_object(WIRING, "VLANNamespace", "default", {"ranges": [{"from": 1000, "to": 2999}]}))
        self.objects.append(api_object(VPC_API, "IPv4Namespace", "default", {"subnets": ["10.0.0.0/16"]}))
        self._add_gateways()
        self.objects.append(api_object(WIRING, "SwitchGroup", "empty", {}))
        counters = {"leaf": 1, "server": 1}
        for group, size in enumerate(flags.eslag_leaf_groups, start=1):
            self._add_eslag_group(group, size, counters)
        for _unused in range(flags.orphan_leaves):
            self._add_orphan(counters)
        leaves = [f"leaf-{n:02d}" for n in range(1, counters["leaf"])]
        for spine in range(1, flags.spines + 1):
            self._add_spine(spine, leaves)
        if flags.mesh_links:
            self._add_mesh(leaves)
        return self.objects

    # -- ports and names ------------------------------------------------------------------
    def switch_port(self, switch):
        # vlabbuilder's nextSwitchPort: one by one up to E1/48, then in steps of 4 (E1/49, E1/53, ...).
        index = self.next_port.get(switch, 0)
        self.next_port[switch] = index + (4 if index >= 48 else 1)
        return f"{switch}/E1/{index + 1}"

    def server_port(self, server):
        index = self.next_port.get(server, 0) + 1
        self.next_port[server] = index
        return f"{server}/enp2s{index}"

    def _switch(self, name, role, description, group=None):
        boot = {"mac": f"0c:20:12:ff:{self.switch_index:02x}:00"}
        self.switch_index += 1
        redundancy = {"group": group, "type": "eslag"} if group else None
        self.objects.append(switch_object(name, role, description, self.flags.profile, boot,
                                          groups=[group] if group else (), redundancy=redundancy))

    def _server(self, counters, description):
        number = counters["server"]
        counters["server"] += 1
        name = f"server-{number:02d}"
        self.objects.append(api_object(WIRING, "Server", name, {"description": f"S-{number:02d} {description}"}))
        return name

    def _connect(self, spec):
        self.objects.append(connection_object(spec))

    # -- topology ---------------------------------------------------------------------------
    def _add_eslag_group(self, group, size, counters):
        name = f"eslag-{group}"
        self.objects.append(api_object(WIRING, "SwitchGroup", name, {}))
        leaves = [f"leaf-{counters['leaf'] + i:02d}" for i in range(size)]
        for leaf in leaves:
            self._switch(leaf, "server-leaf", f"VS-{self.switch_index + 1:02d} ESLAG {group}", name)
        counters["leaf"] += size
        for _unused in range(self.flags.eslag_servers):
            server = self._server(counters, f"ESLAG {' '.join(leaves)}")
            links = [self._server_link(server, leaf) for leaf in leaves]
            self._connect({"eslag": {"links": links}})
        self._add_single_homed(counters, leaves[0], leaves[1])

    def _add_orphan(self, counters):
        leaf = f"leaf-{counters['leaf']:02d}"
        counters["leaf"] += 1
        self._switch(leaf, "server-leaf", f"VS-{self.switch_index + 1:02d}")
        self._add_single_homed(counters, leaf, leaf)

    def _add_single_homed(self, counters, unbundled_leaf, bundled_leaf):
        for _unused in range(self.flags.unbundled_servers):
            server = self._server(counters, f"Unbundled {unbundled_leaf}")
            self._connect({"unbundled": {"link": self._server_link(server, unbundled_leaf)}})
        for _unused in range(self.flags.bundled_servers):
            server = self._server(counters, f"Bundled {bundled_leaf}")
            links = [self._server_link(server, bundled_leaf) for _link in range(2)]
            self._connect({"bundled": {"links": links}})

    def _server_link(self, server, switch):
        return {"server": {"port": self.server_port(server)}, "switch": {"port": self.switch_port(switch)}}

    def _add_spine(self, spine_id, leaves):
        spine = f"spine-{spine_id:02d}"
        self._switch(spine, "spine", f"VS-{self.switch_index + 1:02d}")
        for leaf in leaves:
            links = [{"spine": {"port": self.switch_port(spine)}, "leaf": {"port": self.switch_port(leaf)}}
                     for _unused in range(self.flags.fabric_links)]
            self._connect({"fabric": {"links": links}})
        if spine_id <= self._gateway_uplinks():
            for gateway in self.gateways:
                link = {"switch": {"port": self.switch_port(spine)}, "gateway": {"port": f"{gateway}/enp2s{spine_id}"}}
                self._connect({"gateway": {"links": [link]}})

    def _add_mesh(self, leaves):
        for first_index, first in enumerate(leaves):
            for second in leaves[first_index + 1:]:
                links = [{"leaf1": {"port": self.switch_port(first)}, "leaf2": {"port": self.switch_port(second)}}
                         for _unused in range(self.flags.mesh_links)]
                self._connect({"mesh": {"links": links}})
        for uplink, leaf in enumerate(leaves[:self._gateway_uplinks()], start=1):
            for gateway in self.gateways:
                link = {"switch": {"port": self.switch_port(leaf)}, "gateway": {"port": f"{gateway}/enp2s{uplink}"}}
                self._connect({"gateway": {"links": [link]}})

    def _gateway_uplinks(self):
        if not self.gateways:
            return 0
        if self.flags.gateway_uplinks:
            return self.flags.gateway_uplinks
        leaves = sum(self.flags.eslag_leaf_groups) + self.flags.orphan_leaves
        return min(2, self.flags.spines or leaves)

    def _add_gateways(self):
        if not self.gateways:
            return
        self.objects.append(api_object(GATEWAY_API, "GatewayGroup", "default", {}, namespace="default"))
        interfaces = {f"enp2s{i}": {} for i in range(1, self._gateway_uplinks() + 1)}
        for gateway in self.gateways:
            spec = {"groups": [{"name": "default"}], "interfaces": copy.deepcopy(interfaces),
                    "workers": self.flags.gateway_workers, "logs": {"default": "info"}, "profiling": {}}
            self.objects.append(api_object(GATEWAY_API, "Gateway", gateway, spec, namespace="default"))


def vlab_gen_objects(flags=VlabGen(), gateway_nodes=()):
    """The objects ``hhfab vlab gen`` writes (unhydrated) for these flags and gateway FabNodes."""
    return _VlabBuilder(flags.effective(), gateway_nodes).build()


# ---------------------------------------------------------------------------------------------
# Printing (apiutil.PrintInclude)
# ---------------------------------------------------------------------------------------------


def _goyaml_key_less(left, right):
    """go-yaml v2's map key order for string keys: letters after other characters, digit runs by value."""
    for i, (a, b) in enumerate(zip(left, right)):
        if a == b:
            continue
        a_letter, b_letter = a.isalpha(), b.isalpha()
        if a_letter and b_letter:
            return a < b
        if a_letter or b_letter:
            return b_letter
        a_value, b_value = _leading_zero_carry(left, i, a, b)
        a_end, a_value = _digit_run(left, i, a_value)
        b_end, b_value = _digit_run(right, i, b_value)
        if a_value != b_value:
            return a_value < b_value
        if a_end != b_end:
            return a_end < b_end
        return a < b
    return len(left) < len(right)


def _leading_zero_carry(text, index, a, b):
    # A zero inside a number that has a non-zero digit before it counts as part of that number.
    if a == "0" or b == "0":
        for j in range(index - 1, -1, -1):
            if not text[j].isdigit():
                break
            if text[j] != "0":
                return 1, 1
    return 0, 0


def _digit_run(text, start, value):
    end = start
    while end < len(text) and text[end].isdigit():
        value = value * 10 + int(text[end])
        end += 1
    return end, value


GOYAML_KEY = functools.cmp_to_key(lambda a, b: -1 if _goyaml_key_less(a, b) else (1 if _goyaml_key_less(b, a) else 0))


def _in_goyaml_order(node):
    if isinstance(node, dict):
        return {key: _in_goyaml_order(node[key]) for key in sorted(node, key=GOYAML_KEY)}
    if isinstance(node, list):
        return [_in_goyaml_order(item) for item in node]
    return node


class _IncludeDumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _represent_str(dumper, data):
    # go-yaml double-quotes a string that would read back as another type ("1", "", "true").
    implicit = dumper.resolve(yaml.ScalarNode, data, (True, False))
    style = '"' if implicit != "tag:yaml.org,2002:str" else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_IncludeDumper.add_representer(str, _represent_str)


def _printed(obj):
    metadata = {key: obj["metadata"][key] for key in ("name", "namespace", "labels", "annotations")
                if obj["metadata"].get(key)}
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": metadata, "spec": obj["spec"]}


def render_include(objects):
    """A wiring file as ``apiutil.PrintInclude`` writes the objects (a multi-document stream)."""
    by_kind = {}
    for obj in objects:
        if obj["kind"] not in PRINT_ORDER:
            raise ValueError(f"hhfab does not print {obj['kind']} objects into wiring files")
        by_kind.setdefault(obj["kind"], []).append(obj)
    parts, printed = [], 0
    for kind in PRINT_ORDER:
        items = sorted(by_kind.get(kind, []), key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        if items:
            parts.append(f"#\n# {kind}List\n#\n")
        for obj in items:
            if printed:
                parts.append("---\n")
            printed += 1
            parts.append(yaml.dump(_in_goyaml_order(_printed(obj)), Dumper=_IncludeDumper, sort_keys=False,
                                   default_flow_style=False))
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Reading a work directory (what hhfab loads)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Workdir:
    """A work directory: file path (relative) -> text."""

    files: dict

    def fab_objects(self):
        return _documents(self.files[FAB_CONFIG_FILE])

    def wiring_objects(self):
        objects = []
        for path in sorted(self.files):
            if _is_include_yaml(path):
                objects.extend(_documents(self.files[path]))
        return objects


def _is_include_yaml(path):
    # hhfab reads the files directly in include/ whose names end in .yaml, nothing else.
    folder, name = os.path.split(path)
    return folder == INCLUDE_DIR and name.endswith(".yaml")


def _documents(text):
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def read_workdir(directory):
    """The files of a work directory on disk (fab.yaml, .registry.yaml, include/*)."""
    files = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            files[name] = _read(path)
    include = os.path.join(directory, INCLUDE_DIR)
    if os.path.isdir(include):
        for name in sorted(os.listdir(include)):
            files[f"{INCLUDE_DIR}/{name}"] = _read(os.path.join(include, name))
    return Workdir(files)


def _remove_stale_files(workdir, directory):
    if not os.path.isdir(directory):
        return
    owned = [FAB_CONFIG_FILE, REGISTRY_CONFIG_FILE]
    include = os.path.join(directory, INCLUDE_DIR)
    if os.path.isdir(include):
        owned += [f"{INCLUDE_DIR}/{name}" for name in os.listdir(include) if name.endswith(".yaml")]
    for relative in owned:
        path = os.path.join(directory, *relative.split("/"))
        if relative not in workdir.files and os.path.isfile(path):
            os.remove(path)


def _read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def write_workdir(workdir, directory):
    """Write a work directory; wiring files an earlier write left there and this one lacks go.

    Returns the paths written. Nothing else in ``directory`` is touched.
    """
    _remove_stale_files(workdir, directory)
    paths = []
    for relative, text in sorted(workdir.files.items()):
        path = os.path.join(directory, *relative.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------------------------------
# Hydration (pkg/hhfab/hydrate.go)
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class AddressPlan:
    """The fabricator config hydration reads: DEFAULT_PLAN under what fab.yaml sets."""

    management_subnet: ipaddress.IPv4Network
    control_vip: ipaddress.IPv4Address
    dummy_subnet: ipaddress.IPv4Network
    protocol_subnet: ipaddress.IPv4Network
    vtep_subnet: ipaddress.IPv4Network
    fabric_subnet: ipaddress.IPv4Network
    spine_asn: int
    leaf_asn_start: int
    gateway_asn: int


def address_plan(fab_objects):
    fabricator = next(o for o in fab_objects if o["kind"] == "Fabricator")
    config = fabricator["spec"].get("config") or {}
    control, fabric, gateway = (config.get(k) or {} for k in ("control", "fabric", "gateway"))

    def value(section, key):
        return section.get(key) or DEFAULT_PLAN[key]

    return AddressPlan(
        management_subnet=ipaddress.ip_network(value(control, "managementSubnet")),
        control_vip=ipaddress.ip_interface(value(control, "controlVIP")).ip,
        dummy_subnet=ipaddress.ip_network(value(control, "dummySubnet")),
        protocol_subnet=ipaddress.ip_network(value(fabric, "protocolSubnet")),
        vtep_subnet=ipaddress.ip_network(value(fabric, "vtepSubnet")),
        fabric_subnet=ipaddress.ip_network(value(fabric, "fabricSubnet")),
        spine_asn=value(fabric, "spineASN"),
        leaf_asn_start=value(fabric, "leafASNStart"),
        gateway_asn=gateway.get("asn") or DEFAULT_PLAN["gatewayASN"],
    )


def hydration_fields(fab_objects, wiring):
    """(present, missing): every value hhfab's getHydration counts, as (kind, name, field) tuples."""
    present, missing = [], []

    def count(key, value):
        (present if value else missing).append(key)

    for node in _nodes(fab_objects):
        count((node["kind"], node["metadata"]["name"], "management.ip"), node["spec"].get("management", {}).get("ip"))
    for sw in _of_kind(wiring, "Switch"):
        spec, name = sw["spec"], sw["metadata"]["name"]
        fields = ("ip", "protocolIP", "asn") + (("vtepIP",) if spec.get("role") in LEAF_ROLES else ())
        for field in fields:
            count(("Switch", name, field), spec.get(field))
    for conn in _of_kind(wiring, "Connection"):
        for field, body in conn["spec"].items():
            for index, link in enumerate(body.get("links", []) if field in _LINK_SIDES else []):
                for side in _LINK_SIDES[field]:
                    count(("Connection", conn["metadata"]["name"], f"links[{index}].{side}.ip"), link[side].get("ip"))
    for gw in _of_kind(wiring, "Gateway"):
        for field in ("asn", "protocolIP", "vtepIP"):
            count(("Gateway", gw["metadata"]["name"], field), gw["spec"].get(field))
    return present, missing


def hydration_status(fab_objects, wiring):
    """``none``, ``partial`` or ``full`` as hhfab's getHydration counts it."""
    present, missing = hydration_fields(fab_objects, wiring)
    if not missing:
        return "full"
    return "partial" if present else "none"


def hydrate(fab_objects, wiring, mode=HYDRATE_IF_NOT_PRESENT):
    """(fab objects, wiring) after hhfab's hydration in ``mode``; copies, the input stays as it was."""
    fab_objects, wiring = copy.deepcopy(fab_objects), copy.deepcopy(wiring)
    present, missing = hydration_fields(fab_objects, wiring)
    status = hydration_status(fab_objects, wiring)
    if mode == HYDRATE_NEVER:
        if status != "full":
            raise HydrationError("wiring is not fully hydrated while hydration is disabled; missing: "
                                 + _describe(missing))
        return fab_objects, wiring
    if mode not in (HYDRATE_IF_NOT_PRESENT, HYDRATE_OVERRIDE):
        raise ValueError(f"unknown hydration mode {mode!r}")
    if mode == HYDRATE_IF_NOT_PRESENT and status == "full":
        return fab_objects, wiring
    if mode == HYDRATE_IF_NOT_PRESENT and status == "partial":
        raise HydrationError(f"wiring is already partially hydrated ({len(present)} values set, missing: "
                             f"{_describe(missing)})")
    _assign_addresses(address_plan(fab_objects), fab_objects, wiring)
    return fab_objects, wiring


def _describe(keys):
    return ", ".join(f"{kind} {name} {field}" for kind, name, field in keys)


class _Pool:
    """Consecutive addresses from a start, as hydrate's nextXxxIP.Next() walks them."""

    def __init__(self, start):
        self.address = start

    def take(self, step=1):
        taken = self.address
        self.address += step
        return taken


def _assign_addresses(plan, fab_objects, wiring):
    mgmt = plan.management_subnet
    if plan.control_vip != mgmt.network_address + 1:
        raise HydrationError(f"control VIP {plan.control_vip} is not the first IP of the management subnet {mgmt}")
    management = _Pool(plan.control_vip + 4)  # a few addresses after the VIP are kept for later use
    dummy = _Pool(plan.dummy_subnet.network_address)
    for node in _nodes(fab_objects):
        node["spec"].setdefault("management", {})["ip"] = f"{management.take()}/{mgmt.prefixlen}"
        node["spec"].setdefault("dummy", {})["ip"] = f"{dummy.take(2)}/31"
    protocol = _Pool(plan.protocol_subnet.network_address)
    vtep = _Pool(plan.vtep_subnet.network_address)
    switch_asns = _hydrate_switches(plan, wiring, management, protocol, vtep)
    _hydrate_links(plan, wiring, switch_asns)
    _hydrate_gateways(plan, wiring, protocol, vtep)


def _nodes(fab_objects):
    # Control nodes by name, then FabNodes by name (GetFabAndNodes sorts both lists).
    controls = sorted(_of_kind(fab_objects, "ControlNode"), key=lambda o: o["metadata"]["name"])
    return controls + sorted(_of_kind(fab_objects, "FabNode"), key=lambda o: o["metadata"]["name"])


def _hydration_order(sw):
    role = sw["spec"].get("role", "")
    return (role != "spine", role, sw["metadata"]["name"])


def _hydrate_switches(plan, wiring, management, protocol, vtep):
    next_leaf_asn = plan.leaf_asn_start
    mclag_first = {}
    asns = {}
    for sw in sorted(_of_kind(wiring, "Switch"), key=_hydration_order):
        spec, name = sw["spec"], sw["metadata"]["name"]
        if spec.get("role") not in SWITCH_ROLES:
            raise HydrationError(f"switch {name} role {spec.get('role')!r} is invalid")
        spec["ip"] = f"{management.take()}/{plan.management_subnet.prefixlen}"
        spec["protocolIP"] = f"{protocol.take()}/32"
        if spec["role"] == "spine":
            spec["asn"] = plan.spine_asn
        redundancy = spec.get("redundancy") or {}
        if redundancy.get("type") == "mclag" and redundancy.get("group") in mclag_first:
            peer = mclag_first[redundancy["group"]]
            spec["asn"], spec["vtepIP"] = peer["asn"], peer["vtepIP"]
        else:
            if redundancy.get("type") == "mclag":
                mclag_first[redundancy["group"]] = spec
            if spec["role"] in LEAF_ROLES:
                spec["asn"] = next_leaf_asn
                next_leaf_asn += 1
                spec["vtepIP"] = f"{vtep.take()}/32"
        asns[name] = spec["asn"]
    return asns


def _hydrate_links(plan, wiring, switch_asns):
    addresses = _Pool(plan.fabric_subnet.network_address)
    gateways = {gw["metadata"]["name"]: gw for gw in _of_kind(wiring, "Gateway")}
    for conn in sorted(_of_kind(wiring, "Connection"), key=lambda o: o["metadata"]["name"]):
        for field, body in conn["spec"].items():
            if field not in _LINK_SIDES:
                continue
            for link in body["links"]:
                for side in _LINK_SIDES[field]:
                    link[side]["ip"] = f"{addresses.take()}/31"
                if field == "gateway":
                    _hydrate_gateway_link(link, gateways, switch_asns)


def _hydrate_gateway_link(link, gateways, switch_asns):
    gateway, interface = link["gateway"]["port"].split("/", 1)
    spec = gateways[gateway]["spec"]
    if interface not in spec.get("interfaces", {}):
        raise HydrationError(f"gateway {gateway} does not have interface {interface}")
    spec["interfaces"][interface].update(ips=[link["gateway"]["ip"]], mtu=GATEWAY_LINK_MTU)
    switch = _device_of(link["switch"])
    spec.setdefault("neighbors", []).append(
        {"source": interface, "ip": link["switch"]["ip"].split("/")[0], "asn": switch_asns[switch]})


def _hydrate_gateways(plan, wiring, protocol, vtep):
    for index, gw in enumerate(sorted(_of_kind(wiring, "Gateway"), key=lambda o: o["metadata"]["name"]), start=1):
        gw["spec"].update(asn=plan.gateway_asn, protocolIP=f"{protocol.take()}/32", vtepIP=f"{vtep.take()}/32",
                          vtepMAC=GATEWAY_VTEP_MAC.format(index), vtepMTU=GATEWAY_VTEP_MTU)


def _of_kind(objects, kind):
    return [o for o in objects if o["kind"] == kind]


def node_addresses(fab_objects):
    """{node name: (management IP, dummy IP)} of the hydrated control nodes and FabNodes."""
    return {node["metadata"]["name"]: (node["spec"]["management"]["ip"], node["spec"]["dummy"]["ip"])
            for node in _nodes(fab_objects) if node["spec"].get("management", {}).get("ip")}


# ---------------------------------------------------------------------------------------------
# Work directories
# ---------------------------------------------------------------------------------------------


def build_workdir(options, include, hydrated=False):
    """A work directory from init options and {include file name: objects}; hydrated on request.

    A hydrated directory holds what hhfab's in-memory hydration assigns (``if-not-present`` on the
    unhydrated objects) written into the same files: the addresses go into fab.yaml's nodes and the
    wiring objects, nothing else changes. hhfab itself never writes this; it is what a user who
    hydrates by hand would keep, and what ``--hydrate-mode never`` accepts.
    """
    files = {FAB_CONFIG_FILE: render_fab_yaml(options), REGISTRY_CONFIG_FILE: render_registry_yaml()}
    if hydrated:
        fab_objects, include = _hydrated_include(_documents(files[FAB_CONFIG_FILE]), include)
        files[FAB_CONFIG_FILE] = render_fab_yaml(options, node_addresses(fab_objects))
    for name, objects in include.items():
        files[f"{INCLUDE_DIR}/{name}"] = render_include(objects)
    return Workdir(files)


def _hydrated_include(fab_objects, include):
    # Hydration sees all files at once (hhfab loads them into one client); each object goes back
    # to the file it came from.
    names = list(include)
    fab_objects, flat = hydrate(fab_objects, [obj for name in names for obj in include[name]])
    hydrated, start = {}, 0
    for name in names:
        hydrated[name], start = flat[start:start + len(include[name])], start + len(include[name])
    return fab_objects, hydrated


def vlab_workdir(hydrated=False, flags=VlabGen(), options=InitOptions()):
    """``hhfab init`` + ``hhfab vlab gen``: fab.yaml and include/vlab.generated.yaml."""
    gateway_nodes = [f"gateway-{i}" for i in range(1, options.gateways + 1)]
    return build_workdir(options, {VLAB_GENERATED_FILE: vlab_gen_objects(flags, gateway_nodes)}, hydrated)


MESH_FLAGS = VlabGen(mesh_links=2)

# What the partly hydrated VLAB lacks: switches and links whose hydration was removed by hand.
PARTIAL_STRIPPED = {
    ("Switch", "leaf-02"): ("ip", "protocolIP", "vtepIP"),
    ("Switch", "leaf-03"): ("asn", "ip", "protocolIP", "vtepIP"),
    ("Connection", "spine-01--fabric--leaf-03"): ("ip",),
    ("Connection", "spine-02--fabric--leaf-03"): ("ip",),
}


def partial_workdir():
    """The VLAB with hydration on some switches and links and not on others, which hhfab refuses.

    fab.yaml is as ``hhfab init`` writes it (the control node has no address either).
    """
    options = InitOptions()
    _fab, wiring = hydrate(_documents(render_fab_yaml(options)), vlab_gen_objects())
    for obj in wiring:
        for field in PARTIAL_STRIPPED.get((obj["kind"], obj["metadata"]["name"]), ()):
            if obj["kind"] == "Switch":
                del obj["spec"][field]
            else:
                for link in obj["spec"]["fabric"]["links"]:
                    for end in link.values():
                        del end[field]
    return build_workdir(options, {VLAB_GENERATED_FILE: wiring})


# ---------------------------------------------------------------------------------------------
# The hardware lab
# ---------------------------------------------------------------------------------------------

# Port maps of the hardware profiles the lab uses: API port -> NOS name, breakout base, port group
# or port profile, and the breakout modes with their lane offsets. Facts from githedgehog/fabric
# pkg/ctrl/switchprofile/p_bcm_celestica_ds3000.go, p_bcm_celestica_ds4000.go,
# p_bcm_dell_s5248f_on.go and p_bcm_supermicro_sse_c4632.go (which reuses the DS3000 port map),
# for checking that the lab wiring names real ports; hhfab wiring carries no SwitchProfile objects.


def _lanes(count, step=1):
    return [str(step * i) for i in range(count)]


def _breakout(default, modes):
    return {"default": default, "supported": {mode: {"offsets": offsets} for mode, offsets in modes.items()}}


_QSFP28_BREAKOUTS = {"1x100G": ["0"], "1x40G": ["0"], "1x50G": ["0"], "2x50G": ["0", "2"],
                     "4x25G": _lanes(4), "4x10G": _lanes(4)}


def _ds3000_port_map(display_name):
    ports = {"M1": {"nos": "Management0", "management": True, "oniePortName": "eth0"}}
    for n in range(1, 33):
        ports[f"E1/{n}"] = {"nos": f"1/{n}", "baseNOSName": f"Ethernet{4 * (n - 1)}", "label": str(n),
                            "profile": "QSFP28-100G"}
    ports["E1/33"] = {"nos": "Ethernet128", "label": "33", "profile": "SFP28-10G"}
    profiles = {
        "SFP28-10G": {"speed": {"default": "10G", "supported": ["1G", "10G"]}},
        "QSFP28-100G": {"breakout": _breakout("1x100G", _QSFP28_BREAKOUTS), "autoNegAllowed": True},
    }
    return {"displayName": display_name, "ports": ports, "portProfiles": profiles}


def _ds4000_port_map():
    ports = {"M1": {"nos": "Management0", "management": True, "oniePortName": "eth0"}}
    for n in range(1, 33):
        ports[f"E1/{n}"] = {"nos": f"1/{n}", "baseNOSName": f"Ethernet{8 * (n - 1)}", "label": str(n),
                            "profile": "QSFPDD-400G", "pipeline": str((n - 1) // 4 + 1)}
    ports["E1/33"] = {"nos": "Ethernet256", "label": "33", "profile": "SFP28-10G"}
    modes = {"1x400G": ["0"], "1x100G": ["0"], "1x40G": ["0"], "1x25G": ["0"], "1x10G": ["0"],
             "2x200G": ["0", "4"], "2x100G": ["0", "4"], "2x40G": ["0", "4"], "4x100G": _lanes(4, 2),
             "4x25G": _lanes(4), "4x10G": _lanes(4), "8x50G": _lanes(8), "8x25G": _lanes(8), "8x10G": _lanes(8)}
    profiles = {
        "SFP28-10G": {"speed": {"default": "10G", "supported": ["1G", "10G"]}},
        "QSFPDD-400G": {"breakout": _breakout("1x400G", modes)},
    }
    return {"displayName": "Celestica DS4000", "ports": ports, "portProfiles": profiles}


def _s5248_port_map():
    ports = {"M1": {"nos": "Management0", "management": True, "oniePortName": "eth0"}}
    for n in range(1, 49):
        ports[f"E1/{n}"] = {"nos": f"Ethernet{n - 1}", "label": str(n), "group": str((n - 1) // 4 + 1)}
    for n in range(49, 57):
        ports[f"E1/{n}"] = {"nos": f"1/{n}", "baseNOSName": f"Ethernet{48 + 4 * (n - 49)}", "label": str(n),
                            "profile": "QSFP28-100G"}
    modes = {"1x100G": ["0"], "1x40G": ["0"], "2x50G": ["0", "2"], "1x50G": ["0"], "4x25G": _lanes(4),
             "4x10G": _lanes(4), "1x25G": ["0"], "1x10G": ["0"]}
    profiles = {
        "SFP28-25G": {"speed": {"default": "25G", "supported": ["10G", "25G"]}},
        "QSFP28-100G": {"breakout": _breakout("1x100G", modes)},
    }
    groups = {str(g): {"nos": str(g), "profile": "SFP28-25G"} for g in range(1, 13)}
    return {"displayName": "Dell S5248F-ON", "ports": ports, "portGroups": groups, "portProfiles": profiles}


PORT_MAPS = {
    generator.VS_PROFILE: generator.PROFILE_SPECS[generator.VS_PROFILE],
    "celestica-ds3000": _ds3000_port_map("Celestica DS3000"),
    "celestica-ds4000": _ds4000_port_map(),
    "dell-s5248f-on": _s5248_port_map(),
    "supermicro-sse-c4632sb": _ds3000_port_map("Supermicro SSE-C4632SB"),
}


def switch_profile_objects(names=None):
    """SwitchProfile objects with the port maps of PORT_MAPS, as a source that carries its profiles holds them."""
    return [api_object(WIRING, "SwitchProfile", name, copy.deepcopy(PORT_MAPS[name]))
            for name in sorted(names or PORT_MAPS)]


HARDWARE_SPINES = ("ds4000-01", "ds4000-02")
# leaf -> its two uplink ports to each spine, in spine order
HARDWARE_UPLINKS = {
    "ds3000-01": (("E1/29", "E1/30"), ("E1/31", "E1/32")),
    "ds3000-02": (("E1/29", "E1/30"), ("E1/31", "E1/32")),
    "sse-c4632-01": (("E1/29", "E1/30"), ("E1/31", "E1/32")),
    "s5248-01": (("E1/49", "E1/50"), ("E1/51", "E1/52")),
}
HARDWARE_STATIC_EXTERNAL_SUBNET = "100.10.210.0/24"


def _hardware_switches():
    spine_breakouts = {"E1/1": "4x100G", "E1/2": "4x100G", "E1/20": "1x100G"}
    eslag = {"group": "eslag-1", "type": "eslag"}
    return [
        switch_object("ds4000-01", "spine", "spine-1", "celestica-ds4000", {"serial": "LAB-DS4000-0001"},
                      portBreakouts=spine_breakouts),
        switch_object("ds4000-02", "spine", "spine-2", "celestica-ds4000", {"serial": "LAB-DS4000-0002"},
                      portBreakouts=spine_breakouts),
        switch_object("ds3000-01", "server-leaf", "leaf-1 rack 1", "celestica-ds3000", {"serial": "LAB-DS3000-0001"},
                      groups=["eslag-1"], redundancy=eslag, portBreakouts={"E1/1": "4x25G", "E1/2": "4x10G"}),
        switch_object("ds3000-02", "server-leaf", "leaf-2 rack 1", "celestica-ds3000", {"serial": "LAB-DS3000-0002"},
                      groups=["eslag-1"], redundancy=eslag, portBreakouts={"E1/1": "4x25G", "E1/2": "2x50G"}),
        switch_object("sse-c4632-01", "border-leaf", "leaf-3 border", "supermicro-sse-c4632sb",
                      {"serial": "LAB-SSEC4632-0001"}, groups=["border"],
                      portBreakouts={"E1/1": "4x10G", "E1/17": "4x25G", "E1/18": "4x25G"}),
        switch_object("s5248-01", "server-leaf", "leaf-4 rack 2", "dell-s5248f-on", {"serial": "LAB-S5248-0001"},
                      portBreakouts={"E1/55": "4x25G"}, portGroupSpeeds={"1": "10G"}),
    ]


# server -> (connection type, [switch ports]); the server side takes enp2s1, enp2s2, ...
HARDWARE_SERVERS = {
    "server-01": ("eslag", ["ds3000-01/E1/1/1", "ds3000-02/E1/1/1"]),
    "server-02": ("eslag", ["ds3000-01/E1/1/2", "ds3000-02/E1/1/2"]),
    "server-03": ("bundled", ["ds3000-01/E1/1/3", "ds3000-01/E1/1/4"]),
    "server-04": ("unbundled", ["ds3000-01/E1/2/1"]),
    "server-05": ("unbundled", ["ds3000-02/E1/2/2"]),
    "server-06": ("unbundled", ["ds3000-02/E1/3"]),  # a breakout-capable port left whole
    "server-07": ("unbundled", ["sse-c4632-01/E1/1/2"]),
    "server-08": ("bundled", ["s5248-01/E1/1", "s5248-01/E1/2"]),
    "server-09": ("unbundled", ["s5248-01/E1/55/1"]),
}


def _server_connection(server, ctype, switch_ports):
    links = [{"server": {"port": f"{server}/enp2s{i}"}, "switch": {"port": port}}
             for i, port in enumerate(switch_ports, start=1)]
    return connection_object({ctype: {"link": links[0]} if ctype == "unbundled" else {"links": links}})


def _hardware_connections():
    conns = [_server_connection(server, ctype, ports) for server, (ctype, ports) in HARDWARE_SERVERS.items()]
    for spine_index, spine in enumerate(HARDWARE_SPINES):
        for leaf_index, (leaf, uplinks) in enumerate(HARDWARE_UPLINKS.items(), start=1):
            links = [{"spine": {"port": f"{spine}/E1/{front}/{leaf_index}"}, "leaf": {"port": f"{leaf}/{port}"}}
                     for front, port in zip((1, 2), uplinks[spine_index])]
            conns.append(connection_object({"fabric": {"links": links}}))
        link = {"switch": {"port": f"{spine}/E1/20/1"}, "gateway": {"port": f"gateway-1/enp2s{spine_index + 1}"}}
        conns.append(connection_object({"gateway": {"links": [link]}}))
    conns.append(connection_object({"external": {"link": {"switch": {"port": "sse-c4632-01/E1/1/1"}}}}))
    loops = [{"switch1": {"port": f"sse-c4632-01/E1/17/{k}"}, "switch2": {"port": f"sse-c4632-01/E1/18/{k}"}}
             for k in (1, 2)]
    conns.append(connection_object({"vpcLoopback": {"links": loops}}))
    return conns


def _hardware_wiring():
    objects = [
        api_object(WIRING, "VLANNamespace", "default", {"ranges": [{"from": 1000, "to": 2999}]}),
        api_object(VPC_API, "IPv4Namespace", "default", {"subnets": ["10.20.0.0/16"]}),
        api_object(WIRING, "SwitchGroup", "eslag-1", {}),
        api_object(WIRING, "SwitchGroup", "border", {}),
        api_object(GATEWAY_API, "GatewayGroup", "default", {}, namespace="default"),
        api_object(GATEWAY_API, "Gateway", "gateway-1", {
            "groups": [{"name": "default"}], "interfaces": {"enp2s1": {}, "enp2s2": {}}, "workers": 8,
            "logs": {"default": "info"}, "profiling": {}}, namespace="default"),
    ]
    objects += _hardware_switches()
    objects += [api_object(WIRING, "Server", server, {}) for server in HARDWARE_SERVERS]
    return objects + _hardware_connections()


def _hardware_externals():
    static_ip = ipaddress.ip_network(HARDWARE_STATIC_EXTERNAL_SUBNET).network_address
    return [
        api_object(VPC_API, "External", "ext-bgp",
                   {"ipv4Namespace": "default", "inboundCommunity": "65102:5000", "outboundCommunity": "5000:65102"}),
        api_object(VPC_API, "External", "ext-static",
                   {"ipv4Namespace": "default", "static": {"prefixes": [HARDWARE_STATIC_EXTERNAL_SUBNET]}}),
        api_object(VPC_API, "ExternalAttachment", "sse-c4632-01--ext-bgp", {
            "external": "ext-bgp", "connection": "sse-c4632-01--external",
            "switch": {"vlan": 100, "ip": "100.10.100.2/24"}, "neighbor": {"asn": 64102, "ip": "100.10.100.6"}}),
        # Go marshals the switch and neighbor structs of a static attachment as {}.
        api_object(VPC_API, "ExternalAttachment", "sse-c4632-01--ext-static", {
            "external": "ext-static", "connection": "sse-c4632-01--external", "switch": {}, "neighbor": {},
            "static": {"remoteIP": str(static_ip + 6), "vlan": 210, "ip": f"{static_ip + 2}/24"}}),
        api_object(VPC_API, "ExternalPeering", "vpc-01--ext-bgp", {"permit": {
            "vpc": {"name": "vpc-01", "subnets": ["default"]},
            "external": {"name": "ext-bgp", "prefixes": [{"prefix": "0.0.0.0/0"}]}}}),
        api_object(VPC_API, "ExternalPeering", "vpc-02--ext-static", {"permit": {
            "vpc": {"name": "vpc-02", "subnets": ["default"]},
            "external": {"name": "ext-static", "prefixes": [{"prefix": HARDWARE_STATIC_EXTERNAL_SUBNET}]}}}),
    ]


# server -> VPC its connection is attached to
HARDWARE_ATTACHED_VPCS = {server: "vpc-01" if int(server[-2:]) <= 4 else "vpc-02" for server in HARDWARE_SERVERS}


def _hardware_vpcs():
    objects = []
    for number in (1, 2):
        subnet = {"subnet": f"10.20.{number}.0/24", "vlan": 1000 + number, "dhcp": {"enable": True}}
        objects.append(api_object(VPC_API, "VPC", f"vpc-0{number}", {
            "ipv4Namespace": "default", "vlanNamespace": "default", "subnets": {"default": subnet}}))
    servers = {conn["metadata"]["name"]: conn["metadata"]["name"].split("--", 1)[0] for conn in _hardware_connections()
               if conn["metadata"]["name"].startswith("server-")}
    for conn, server in servers.items():
        vpc = HARDWARE_ATTACHED_VPCS[server]
        objects.append(api_object(VPC_API, "VPCAttachment", f"{conn}--{vpc}--default",
                                  {"subnet": f"{vpc}/default", "connection": conn}))
    objects.append(api_object(VPC_API, "VPCPeering", "vpc-01--vpc-02", {"permit": [{"vpc-01": {}, "vpc-02": {}}]}))
    return objects


HARDWARE_INIT = InitOptions(no_pass_auth=True, gateways=1)


def hardware_workdir(hydrated=False):
    """A hardware lab as ``hhfab init --passwd HASH --keys KEY --gw -w wiring.yaml -w externals.yaml -w vpcs.yaml``
    leaves it: Celestica DS4000 spines, Celestica DS3000 ESLAG leaves, a Supermicro SSE-C4632SB border
    leaf and a Dell S5248F-ON leaf, a gateway, a BGP and a static external, VPCs and attachments."""
    include = {"wiring.yaml": _hardware_wiring(), "externals.yaml": _hardware_externals(),
               "vpcs.yaml": _hardware_vpcs()}
    return build_workdir(HARDWARE_INIT, include, hydrated)


# The checked-in work directories under tests/fixtures/.
WORKDIR_FIXTURES = {
    "hhfab-vlab": vlab_workdir,
    "hhfab-vlab-hydrated": lambda: vlab_workdir(hydrated=True),
    "hhfab-mesh": lambda: vlab_workdir(flags=MESH_FLAGS),
    "hhfab-mesh-hydrated": lambda: vlab_workdir(hydrated=True, flags=MESH_FLAGS),
    "hhfab-hardware": hardware_workdir,
    "hhfab-hardware-hydrated": lambda: hardware_workdir(hydrated=True),
    "hhfab-partial": partial_workdir,
}
