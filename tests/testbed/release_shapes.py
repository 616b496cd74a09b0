"""One fabric as each Hedgehog release stores it: the release fixtures ``tests/fixtures/release-<name>/``.

Every release fixture is the same fabric, the VLAB default before hhfab v0.48 grown by a little
of everything a reader meets: spine-01/02; leaf-01/02 an MCLAG pair, leaf-03/04 an ESLAG pair,
leaf-05 an orphan with the BGP external ``ext-bgp-01``; 10 servers, one VPC each; VPC peerings
and an external peering. The generator builds it for the release's era (labels, port channels,
agent status keys, software versions); the changes below then give each object the fields the
release's CRD schema has. Each change names the first release that has it and where that was
read (githedgehog/fabric and githedgehog/fabricator ``config/crd/bases`` and ``api/`` at the
release tags; testbed.releases lists the tags). A fixture shows a change exactly when its release
is that release or newer.

How the fabric itself moves from release to release (what an upgrade does to it):
- up to 25.03 each leaf has the two ``vpcLoopback`` links of the loopback workaround; 25.04
  stopped supporting it and the connections are gone from 25.05;
- from 26.01 ``gateway-1`` (one Gateway, uplinked to both spines) takes over the second VPC
  peering (vpc-03/vpc-04) as a GatewayPeering, and a static External ``ext-static`` is attached
  on leaf-05's external connection;
- 26.03 no longer configures MCLAG, but the upgraded fabric keeps its MCLAG objects
  (``mclag``/``mclagDomain`` connections, leaf-01/02 redundancy ``mclag``) without their
  fabric labels, port channels or agent configuration.
"""

from __future__ import annotations

import dataclasses
import json
import uuid

from testbed import generator as gen

RELEASE_ORDER = ("pre-beta-1", "24.09", "25.01", "25.02", "25.03", "25.04", "25.05", "26.01", "26.02", "26.03")

BASE_SPEC = gen.FabricSpec(leaves=5, mclag_pairs=1, vpcs=10, externals=1, vpc_peerings=2, external_peerings=1,
                           gateways_added_later=True, stable_uids=True)
STATIC_EXTERNAL = "ext-static"


def at_least(release: str, first: str) -> bool:
    """True when ``release`` has what ``first`` introduced."""
    return RELEASE_ORDER.index(release) >= RELEASE_ORDER.index(first)


def release_spec(release: str) -> gen.FabricSpec:
    spec = dataclasses.replace(BASE_SPEC, era=release)
    if not at_least(release, "25.04"):
        spec = dataclasses.replace(spec, vpc_loopbacks=2)
    if at_least(release, "26.01"):
        spec = dataclasses.replace(spec, gateways=1, vpc_peerings=1, gateway_peerings=1)
    return spec


def release_objects(release: str) -> list[dict]:
    """Every object of the release fixture of ``release`` (one of generator.RELEASE_SHAPES)."""
    objects = gen.generate_fabric(release_spec(release))
    fabric = _Fabric(objects)
    for first, change in ADDITIONS:
        if at_least(release, first):
            change(fabric)
    for first, change in REMOVALS:
        if not at_least(release, first):
            change(fabric)
    return fabric.objects


class _Fabric:
    """The objects, with lookups by kind and name."""

    def __init__(self, objects):
        self.objects = objects

    def all(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def one(self, kind, name):
        return next(o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name)

    def add(self, obj, after_kind):
        last = max(i for i, o in enumerate(self.objects) if o["kind"] == after_kind)
        self.objects.insert(last + 1, obj)

    def drop_kinds(self, *kinds):
        self.objects[:] = [o for o in self.objects if o["kind"] not in kinds]


def _uid(kind, name, namespace=gen.NS_DEFAULT):
    return str(uuid.uuid5(gen.STABLE_UID_NAMESPACE, f"{kind}/{namespace}/{name}"))


def _pop_all(mapping, *keys):
    for key in keys:
        mapping.pop(key, None)


def _agent_interfaces(agent):
    return agent["status"]["state"]["interfaces"]


# ---------------------------------------------------------------------------------------------
# Additions: fields and objects a release introduced that the generator does not make.
# ---------------------------------------------------------------------------------------------


def add_static_external(fabric):
    """26.01 (fabric v0.115.4): External.spec.static and ExternalAttachment.spec.static.

    A static attachment keeps the ``switch`` and ``neighbor`` structs (no omitempty) empty.
    """
    bgp = fabric.one("ExternalAttachment", "leaf-05--ext-bgp-01")
    connection = bgp["spec"]["connection"]
    external = json.loads(json.dumps(fabric.one("External", "ext-bgp-01")))
    external["metadata"].update(name=STATIC_EXTERNAL, uid=_uid("External", STATIC_EXTERNAL), resourceVersion="2900")
    external["metadata"].pop("annotations", None)  # the NAT pool annotation is hhfab's, for BGP externals
    external["spec"] = {"ipv4Namespace": "default", "static": {"prefixes": ["192.168.200.0/24", "192.168.201.0/24"]}}
    fabric.add(external, "External")
    attachment = json.loads(json.dumps(bgp))
    attachment["metadata"].update(name=f"leaf-05--{STATIC_EXTERNAL}",
                                  uid=_uid("ExternalAttachment", f"leaf-05--{STATIC_EXTERNAL}"), resourceVersion="2901")
    attachment["metadata"]["labels"][gen.FABRIC_LABEL + "external"] = STATIC_EXTERNAL
    attachment["spec"] = {"external": STATIC_EXTERNAL, "connection": connection, "switch": {}, "neighbor": {},
                          "static": {"remoteIP": "100.1.20.6", "vlan": 20, "ip": "100.1.20.1/24"}}
    fabric.add(attachment, "ExternalAttachment")
    _allocate_static_external(fabric, external["spec"], attachment)


def _allocate_static_external(fabric, external_spec, attachment):
    """What the controller adds for an External created after the VPCs: the next VNI, and on the
    attaching switch the next external ID and IRB VLAN, in its Catalog and its Agent."""
    key = f"ext@{STATIC_EXTERNAL}"
    vnis = fabric.one("Catalog", "vpcs")["spec"]["vpcVNIs"]
    vni = max(vnis.values()) + gen.VPC_VNI_STEP
    vnis[key] = vni
    switch = attachment["metadata"]["name"].split("--", 1)[0]
    stored = fabric.one("Catalog", f"switch.{switch}")["spec"]
    stored["externalIDs"][STATIC_EXTERNAL] = max(stored["externalIDs"].values()) + 1
    stored["irbVLANs"][key] = max(stored["irbVLANs"].values()) + 1
    for agent in fabric.all("Agent"):
        agent["spec"].setdefault("externals", {})[STATIC_EXTERNAL] = json.loads(json.dumps(external_spec))
        if agent["metadata"]["name"] != switch:
            continue
        attachments = agent["spec"]["externalAttachments"]
        attachments[attachment["metadata"]["name"]] = json.loads(json.dumps(attachment["spec"]))
        catalog = agent["spec"]["catalog"]
        catalog["externalIDs"][STATIC_EXTERNAL] = stored["externalIDs"][STATIC_EXTERNAL]
        catalog["irbVLANs"][key] = stored["irbVLANs"][key]
        catalog["vpcVNIs"][key] = vni


def add_inbound_acl(fabric):
    """26.02 (fabric v0.120.3): ExternalAttachment.spec.inboundACL (statements from seq 10)."""
    spec = fabric.one("ExternalAttachment", "leaf-05--ext-bgp-01")["spec"]
    spec["inboundACL"] = {"statements": [
        {"seq": 10, "action": "permit", "protocol": "tcp", "srcPrefix": "any", "dstPrefix": "10.0.5.0/24",
         "portRangeBegin": 443, "portRangeEnd": 443, "tcpFilters": {"established": True}},
        {"seq": 20, "action": "deny", "protocol": "ip", "srcPrefix": "any", "dstPrefix": "any"},
    ]}


def add_gateway_peering_acl(fabric):
    """26.03 (fabric v0.129, githedgehog/docs user-guide/gateway-acls.md): GatewayPeering.spec.acl."""
    for peering in fabric.all("GatewayPeering"):
        first, second = sorted(peering["spec"]["peering"])
        peering["spec"]["acl"] = {"default": "deny-unless-exposed", "rules": [
            {"name": "web", "from": first, "to": second, "action": "allow",
             "match": {"dst": [{"vpcSubnet": f"{second}/subnet-01", "ports": ["443"]}], "proto": "tcp"}},
            {"name": "no-telnet", "action": "deny", "match": {"dst": [{"cidr": "0.0.0.0/0", "ports": ["23"]}]},
             "scope": "packet", "log": True},
        ]}


FLAP_PROTECTED = ("leaf-05", "spine-01", "spine-02")
ERR_DISABLED_PORT = ("leaf-05", "spine-02")  # leaf-05's second uplink to spine-02 flapped and was shut


def add_port_fecs_and_link_flap(fabric):
    """26.03 (fabric v0.129): Switch.spec.portFECs and linkFlapErrDisable (defaults filled in by the
    webhook); agent interface errDisabled and linkFlapCount (set on the fabric ports it watches)."""
    changes = {"leaf-05": {"portFECs": {"E1/5": "rs", "E1/6": "auto"}}}
    for name in FLAP_PROTECTED:
        changes.setdefault(name, {})["linkFlapErrDisable"] = {
            "flapThreshold": 3, "samplingInterval": 30, "recoveryInterval": 300}
    for name, fields in changes.items():
        _change_switch_spec(fabric, name, fields)
    disabled = _err_disabled_link(fabric)
    for agent in fabric.all("Agent"):
        if agent["metadata"]["name"] in FLAP_PROTECTED:
            _count_flaps(fabric, agent, disabled)


def _change_switch_spec(fabric, name, fields):
    """Set spec fields on a Switch and on every Agent's copy of it (spec.switch, spec.switches)."""
    copies = [fabric.one("Switch", name)["spec"]]
    for agent in fabric.all("Agent"):
        if agent["metadata"]["name"] == name:
            copies.append(agent["spec"]["switch"])
        if name in agent["spec"].get("switches", {}):
            copies.append(agent["spec"]["switches"][name])
    for spec in copies:
        spec.update(json.loads(json.dumps(fields)))


def _fabric_ports(fabric, switch):
    """(local port, far '<switch>/<port>', far IP) of every spine-leaf link of a switch, in connection order."""
    found = []
    for conn in fabric.all("Connection"):
        for link in (conn["spec"].get("fabric") or {}).get("links", []):
            ends = (link["spine"], link["leaf"])
            for mine, other in (ends, ends[::-1]):
                if mine["port"].split("/", 1)[0] == switch:
                    found.append((mine["port"].split("/", 1)[1], other["port"], other["ip"].split("/")[0]))
    return found


def _err_disabled_link(fabric):
    leaf, spine = ERR_DISABLED_PORT
    to_spine = [(port, far) for port, far, _ip in _fabric_ports(fabric, leaf) if far.startswith(spine + "/")]
    port, far = to_spine[-1]
    return {f"{leaf}/{port}", far}


def _count_flaps(fabric, agent, disabled):
    """Every watched fabric port reports its flap count; the shut link is down on both ends, and
    its BGP session and BFD peer with it."""
    name = agent["metadata"]["name"]
    state = agent["status"]["state"]
    for port, _far, far_ip in _fabric_ports(fabric, name):
        iface = state["interfaces"][port]
        iface["linkFlapCount"] = 0
        if f"{name}/{port}" not in disabled:
            continue
        iface["linkFlapCount"] = 4
        iface["oper"] = "down"
        iface.pop("counters", None)
        iface.pop("lldpNeighbors", None)
        if name == ERR_DISABLED_PORT[0]:
            iface["errDisabled"] = True
        neighbour = state["bgpNeighbors"]["default"][far_ip]
        neighbour["state"] = "active"
        neighbour.pop("lastEstab", None)
        state["bfdPeers"]["default"][far_ip] = {"state": "down", "fails": 4}


ADDITIONS = (
    ("26.01", add_static_external),
    ("26.02", add_inbound_acl),
    ("26.03", add_gateway_peering_acl),
    ("26.03", add_port_fecs_and_link_flap),
)


# ---------------------------------------------------------------------------------------------
# Removals: what the generator writes that a release before the named one did not have.
# ---------------------------------------------------------------------------------------------


def drop_bfd_peers(fabric):
    """26.02 (fabric v0.120.3): Agent.status.state.bfdPeers."""
    for agent in fabric.all("Agent"):
        agent["status"]["state"].pop("bfdPeers", None)


def drop_26_01_config(fabric):
    """26.01 (fabric v0.115.4): Agent spec.config spineASN, proxyExternalSubnet and gatewayBFD;
    DHCPSubnet.spec.ztpBaseURL; Fabricator fabric proxyExternalSubnet and th5WorkaroundVLANs
    (fabricator v0.45.5)."""
    for agent in fabric.all("Agent"):
        _pop_all(agent["spec"]["config"], "spineASN", "proxyExternalSubnet", "gatewayBFD")
    for subnet in fabric.all("DHCPSubnet"):
        subnet["spec"].pop("ztpBaseURL", None)
    for fab in fabric.all("Fabricator"):
        _pop_all(fab["spec"]["config"]["fabric"], "proxyExternalSubnet", "th5WorkaroundVLANs")


def drop_25_05_fields(fabric):
    """25.05 (fabric v0.96.2, fabricator v0.43.1): Agent spec.config alloy, protocolSubnet,
    vtepSubnet and fabricSubnet; DHCP leases' ``discover`` (a pending offer was not reported);
    Fabricator config.observability."""
    for agent in fabric.all("Agent"):
        _pop_all(agent["spec"]["config"], "alloy", "protocolSubnet", "vtepSubnet", "fabricSubnet")
    for subnet in fabric.all("DHCPSubnet"):
        allocated = subnet["status"]["allocated"]
        for mac in [m for m, lease in allocated.items() if lease.get("discover")]:
            del allocated[mac]
    for fab in fabric.all("Fabricator"):
        fab["spec"]["config"].pop("observability", None)


def drop_25_03_fields(fabric):
    """25.03 (fabric v0.81.1): Switch.spec.ecmp; SwitchProfile features l2vni, l3vni, roce, mclag,
    eslag (the vs profile said ``vxlan`` instead); agent counters inBits/outBits and the LLDP
    neighbour ``name``; DHCPSubnet.spec.leaseTimeSeconds; Agent spec.config gatewayASN and
    loopbackWorkaround. Fabricator config.gateway and status lastStatusCheck and versions.gateway
    came with fabricator v0.40.0."""
    for switch in fabric.all("Switch"):
        switch["spec"].pop("ecmp", None)
    for profile in fabric.all("SwitchProfile"):
        profile["spec"]["features"] = {"subinterfaces": True, "vxlan": True}
    for agent in fabric.all("Agent"):
        _pop_all(agent["spec"]["config"], "gatewayASN", "loopbackWorkaround")
        for spec in agent["spec"]["switches"].values():
            spec.pop("ecmp", None)
        agent["spec"]["switch"].pop("ecmp", None)
        agent["spec"]["switchProfile"]["features"] = {"subinterfaces": True, "vxlan": True}
        for iface in _agent_interfaces(agent).values():
            _pop_all(iface.get("counters", {}), "inBits", "outBits")
            for neighbour in iface.get("lldpNeighbors", []):
                neighbour.pop("name", None)
    for subnet in fabric.all("DHCPSubnet"):
        subnet["spec"].pop("leaseTimeSeconds", None)
    for fab in fabric.all("Fabricator"):
        fab["spec"]["config"].pop("gateway", None)
        fab["status"].pop("lastStatusCheck", None)
        fab["status"]["versions"].pop("gateway", None)


def drop_25_02_fields(fabric):
    """25.02 (fabric v0.75.3): SwitchProfile.spec.switchSilicon, and the vs profile still had the
    Dell S5248F-ON's eight QSFP28 breakout ports E1/49-56 (pkg/ctrl/switchprofile at v0.58.0);
    agent ``nos.configDBVersion`` was ``configDbVersion``."""
    for profile in fabric.all("SwitchProfile"):
        _to_24_09_profile(profile["spec"])
        annotations = profile["metadata"].get("annotations", {})
        annotations[gen.FABRIC_LABEL + "ports"] = gen._ports_summary(profile["spec"])
    for agent in fabric.all("Agent"):
        _to_24_09_profile(agent["spec"]["switchProfile"])
        nos = agent["status"]["state"]["nos"]
        nos["configDbVersion"] = nos.pop("configDBVersion")


def _to_24_09_profile(spec):
    spec.pop("switchSilicon", None)
    if spec.get("nosType") != "sonic-bcm-vs":
        return
    qsfp = "QSFP28-100G"
    for n in range(49, 57):
        spec["ports"][f"E1/{n}"] = {"nos": f"1/{n}", "baseNOSName": f"Ethernet{48 + 4 * (n - 49)}", "label": str(n),
                                    "profile": qsfp}
    modes = {"1x100G": ["0"], "1x40G": ["0"], "2x50G": ["0", "2"], "1x50G": ["0"], "4x25G": ["0", "1", "2", "3"],
             "4x10G": ["0", "1", "2", "3"], "1x25G": ["0"], "1x10G": ["0"]}
    spec["portProfiles"][qsfp] = {"breakout": {"default": "1x100G",
                                               "supported": {m: {"offsets": o} for m, o in modes.items()}}}


def drop_boot_id(fabric):
    """25.01 (fabric v0.71.6): Agent.status.bootID."""
    for agent in fabric.all("Agent"):
        agent["status"].pop("bootID", None)


def to_alpha(fabric):
    """Beta-1 (fabric v0.52.0) renamed every group's version v1alpha2 -> v1beta1; the last Alpha
    (fabric v0.43.0, hhfab v0.19.2) differs in these ways that a reader sees:
    - Switch ``location`` and ``locationSig`` (empty structs, always written) instead of ``boot``;
    - SwitchProfile without ``nosType`` and ``platform``; Agent spec.version with ``nosVersion``
      and no registry credentials; DHCPSubnet without ``defaultURL``;
    - the control node is a Server ``control-1`` of ``type: control``, wired to each switch's M1 by
      a ``management`` connection (IPs from 172.30.20.0/24, hhfab v0.19.2 pkg/fab/wiring); its agent
      is a ControlAgent; there is no Fabricator, ControlNode or FabNode.
    """
    fabric.drop_kinds("Fabricator", "ControlNode", "FabNode")
    for obj in fabric.objects:
        group, version = obj["apiVersion"].rpartition("/")[::2]
        if group and version == "v1beta1":
            obj["apiVersion"] = f"{group}/v1alpha2"
    for switch in fabric.all("Switch"):
        _alpha_switch(switch["spec"])
    for profile in fabric.all("SwitchProfile"):
        _pop_all(profile["spec"], "nosType", "platform")
    for agent in fabric.all("Agent"):
        _alpha_agent(agent)
    for subnet in fabric.all("DHCPSubnet"):
        subnet["spec"].pop("defaultURL", None)
    _add_alpha_control_node(fabric)


def _alpha_switch(spec):
    spec.pop("boot", None)
    spec["location"] = {}
    spec["locationSig"] = {}


def _alpha_agent(agent):
    spec = agent["spec"]
    _alpha_switch(spec["switch"])
    for switch_spec in spec["switches"].values():
        _alpha_switch(switch_spec)
    _pop_all(spec["switchProfile"], "nosType", "platform")
    _pop_all(spec["version"], "username", "password")
    spec["version"]["nosVersion"] = "4.2.0"
    for update in spec.get("statusUpdates", []) + agent["status"].get("statusUpdates", []):
        update["apiVersion"] = update["apiVersion"].replace("/v1beta1", "/v1alpha2")


def _add_alpha_control_node(fabric):
    template = fabric.all("Server")[0]
    control = json.loads(json.dumps(template))
    control["metadata"].update(name="control-1", uid=_uid("Server", "control-1"), resourceVersion="1000")
    control["spec"] = {"type": "control", "description": "Control node"}
    fabric.objects.insert(fabric.objects.index(template), control)
    conn_template = fabric.all("Connection")[0]
    switches = [s["metadata"]["name"] for s in fabric.all("Switch")]
    for index, switch in enumerate(sorted(switches)):
        conn = json.loads(json.dumps(conn_template))
        name = f"control-1--mgmt--{switch}"
        conn["metadata"].update(name=name, uid=_uid("Connection", name), resourceVersion=str(1100 + index))
        conn["metadata"]["labels"] = {gen.FABRIC_LABEL + "connection-type": "management",
                                      f"server.{gen.FABRIC_LABEL}control-1": "true",
                                      f"switch.{gen.FABRIC_LABEL}{switch}": "true"}
        conn["spec"] = {"management": {"link": {
            "server": {"port": f"control-1/enp2s{index + 1}", "ip": f"172.30.20.{2 * index}/31"},
            "switch": {"port": f"{switch}/M1", "ip": f"172.30.20.{2 * index + 1}/31", "oniePortName": "eth0"}}}}
        fabric.objects.insert(fabric.objects.index(conn_template), conn)
    agent_template = fabric.all("Agent")[0]
    version = agent_template["spec"]["version"]
    control_agent = {
        "apiVersion": "agent.githedgehog.com/v1alpha2", "kind": "ControlAgent",
        "metadata": {**{k: agent_template["metadata"][k] for k in ("namespace", "creationTimestamp")},
                     "name": "control-1", "uid": _uid("ControlAgent", "control-1"), "generation": 1,
                     "resourceVersion": "1200"},
        "spec": {"controlVIP": agent_template["spec"]["config"]["controlVIP"],
                 "version": {"default": version["default"], "repo": version["repo"]}},
        "status": {"version": version["default"], "lastHeartbeat": agent_template["status"]["lastHeartbeat"],
                   "lastAttemptGen": 1, "lastAppliedGen": 1,
                   "lastAttemptTime": agent_template["status"]["lastAttemptTime"],
                   "lastAppliedTime": agent_template["status"]["lastAppliedTime"],
                   "conditions": []},
    }
    fabric.objects.append(control_agent)


REMOVALS = (
    ("26.02", drop_bfd_peers),
    ("26.01", drop_26_01_config),
    ("25.05", drop_25_05_fields),
    ("25.03", drop_25_03_fields),
    ("25.02", drop_25_02_fields),
    ("25.01", drop_boot_id),
    ("24.09", to_alpha),
)
