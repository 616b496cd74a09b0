"""The fabrics the benchmark syncs, and the ~1% change applied to one between two runs."""

from __future__ import annotations

import copy
import dataclasses
import random
import uuid

from testbed.generator import PRESETS, FabricSpec, generate_fabric, port_refs

# The named sizes; XL is opt-in because it roughly triples the run time.
SIZES = {
    "vlab": PRESETS["vlab"],
    "L": PRESETS["L"],
    "XL": PRESETS["XL"],
}
DEFAULT_SIZES = ("vlab", "L")

# What a resync after "1% changed" changes: ports moved, servers removed, servers added, in equal parts.
WIRING_KINDS = ("Switch", "Server", "Connection")


def spec_for(name, overrides=None):
    """A FabricSpec for a named size, with generator fields overridden (``{"servers_per_leaf": 8}``)."""
    base = SIZES.get(name, FabricSpec())
    fields = set(f.name for f in dataclasses.fields(FabricSpec))
    unknown = set(overrides or {}) - fields
    if unknown:
        raise ValueError("unknown fabric option(s): %s" % ", ".join(sorted(unknown)))
    return dataclasses.replace(base, **(overrides or {}))


def generate(spec):
    return generate_fabric(spec)


def fleet_spec(index):
    """The ``index``-th VLAB-sized fabric of a fleet: its own addresses, so many fit one NetBox."""
    return dataclasses.replace(
        PRESETS["vlab"], mgmt_subnet="10.%d.0.0/21" % (100 + index), protocol_subnet="10.%d.8.0/22" % (100 + index),
        vtep_subnet="10.%d.12.0/22" % (100 + index), fabric_subnet="10.%d.128.0/17" % (100 + index),
        ipv4_subnet="10.%d.0.0/16" % (20 + index))


def fleet(count, big="L"):
    """(fabric, size, objects) of a fleet: ``count`` VLAB-sized fabrics and one of size ``big``."""
    members = [("fleet-%02d" % i, "vlab", generate(fleet_spec(i))) for i in range(1, count + 1)]
    if big:
        members.append(("fleet-%s" % big.lower(), big, generate(spec_for(big))))
    return members


# Kinds whose status carries an agent's heartbeat.
AGENT_KINDS = ("Agent", "GatewayAgent")


def agents_reporting_at(objects, stamp):
    """The fabric's agents with their heartbeat at ``stamp`` (an ISO time): a fabric whose switches report.

    The objects are changed in place and returned as a list, to put into the stand-in's store.
    """
    found = []
    for obj in objects:
        if obj["kind"] in AGENT_KINDS:
            obj.setdefault("status", {})["lastHeartbeat"] = stamp
            found.append(obj)
    return found


def describe(objects):
    counts = {}
    for obj in objects:
        counts[obj["kind"]] = counts.get(obj["kind"], 0) + 1
    return counts


class _Fabric:
    """Indexes over a list of API objects, enough to move ports and add or remove servers."""

    def __init__(self, objects):
        self.objects = objects
        self.by_kind = {}
        for obj in objects:
            self.by_kind.setdefault(obj["kind"], []).append(obj)
        self.profiles = dict((o["metadata"]["name"], o) for o in self.by_kind.get("SwitchProfile", []))
        self.switches = dict((o["metadata"]["name"], o) for o in self.by_kind.get("Switch", []))
        self.used = set()
        for conn in self.by_kind.get("Connection", []):
            self.used.update(port_refs(conn["spec"]))

    def free_ports(self, switch):
        profile = self.profiles.get(self.switches[switch]["spec"].get("profile"))
        if profile is None:
            return []
        ports = []
        for name, port in sorted(profile["spec"].get("ports", {}).items(), key=lambda kv: _port_order(kv[0])):
            # Management and breakout-capable cages would need more than a port reference.
            if port.get("management") or port.get("profile") or not name.startswith("E"):
                continue
            if "%s/%s" % (switch, name) not in self.used:
                ports.append(name)
        return ports

    def leaves(self):
        return sorted(name for name, sw in self.switches.items() if "leaf" in sw["spec"].get("role", ""))


def _port_order(name):
    return tuple(int(part) if part.isdigit() else 0 for part in name[1:].split("/"))


def _server_of(conn):
    for port in port_refs(conn["spec"]):
        device = port.split("/", 1)[0]
        if device.startswith("server"):
            return device
    return None


def mutate(objects, fraction=0.01, seed=1):
    """A copy of ``objects`` with ~``fraction`` of the wiring objects changed, and what was done.

    The change is split in three: unbundled server links moved to a free port on the same
    leaf, servers removed with their connections and VPC attachments, and new servers added,
    each with an unbundled link to a free leaf port and a VPC attachment.
    """
    objects = copy.deepcopy(objects)
    fabric = _Fabric(objects)
    rng = random.Random(seed)
    wiring = sum(len(fabric.by_kind.get(kind, [])) for kind in WIRING_KINDS)
    per_op = max(1, int(round(fraction * wiring / 3.0)))
    unbundled = [c for c in fabric.by_kind.get("Connection", []) if "unbundled" in c["spec"]]
    rng.shuffle(unbundled)
    moved = []
    for conn in unbundled:
        if len(moved) >= per_op:
            break
        link = conn["spec"]["unbundled"]["link"]
        switch, port = link["switch"]["port"].split("/", 1)
        free = fabric.free_ports(switch)
        if not free:
            continue
        new = "%s/%s" % (switch, free[-1])
        fabric.used.discard(link["switch"]["port"])
        fabric.used.add(new)
        moved.append("%s: %s/%s -> %s" % (conn["metadata"]["name"], switch, port, new))
        link["switch"]["port"] = new
    moved_names = set(m.split(":", 1)[0] for m in moved)
    servers = sorted(o["metadata"]["name"] for o in fabric.by_kind.get("Server", []))
    candidates = [s for s in servers if not any(_server_of(c) == s for c in unbundled
                                                if c["metadata"]["name"] in moved_names)]
    removed = sorted(rng.sample(candidates, min(per_op, len(candidates))))
    gone = set(removed)
    dropped_conns = set(c["metadata"]["name"] for c in fabric.by_kind.get("Connection", []) if _server_of(c) in gone)
    for conn in fabric.by_kind.get("Connection", []):
        if conn["metadata"]["name"] in dropped_conns:
            fabric.used.difference_update(port_refs(conn["spec"]))
    kept = []
    for obj in objects:
        name = obj["metadata"]["name"]
        if obj["kind"] == "Server" and name in gone:
            continue
        if obj["kind"] == "Connection" and name in dropped_conns:
            continue
        if obj["kind"] == "VPCAttachment" and obj["spec"].get("connection") in dropped_conns:
            continue
        kept.append(obj)
    added = _add_servers(kept, fabric, per_op, rng)
    changed = len(moved) + len(removed) + len(added)
    return kept, {
        "wiring_objects": wiring,
        "changed_wiring_objects": changed,
        "changed_percent": round(100.0 * changed / wiring, 2) if wiring else 0.0,
        "ports_moved": moved,
        "servers_removed": removed,
        "servers_added": added,
    }


def _add_servers(objects, fabric, count, rng):
    template_server = next((o for o in objects if o["kind"] == "Server"), None)
    template_conn = next((o for o in objects if o["kind"] == "Connection" and "unbundled" in o["spec"]), None)
    template_attach = next((o for o in objects if o["kind"] == "VPCAttachment"), None)
    if template_server is None or template_conn is None:
        return []
    added = []
    leaves = fabric.leaves()
    rng.shuffle(leaves)
    for index in range(count):
        leaf = next((name for name in leaves if fabric.free_ports(name)), None)
        if leaf is None:
            break
        port = "%s/%s" % (leaf, fabric.free_ports(leaf)[0])
        fabric.used.add(port)
        server_name = "server-bench-%02d" % (index + 1)
        conn_name = "%s--unbundled--%s" % (server_name, leaf)
        server = _renamed(template_server, server_name)
        server["spec"] = {"description": "benchmark: added by the 1%% change on %s" % leaf}
        conn = _renamed(template_conn, conn_name)
        conn["metadata"]["labels"] = {
            "fabric.githedgehog.com/connection-type": "unbundled",
            "server.fabric.githedgehog.com/%s" % server_name: "true",
            "switch.fabric.githedgehog.com/%s" % leaf: "true",
        }
        conn["spec"] = {"unbundled": {"link": {"server": {"port": "%s/enp2s1" % server_name},
                                               "switch": {"port": port}}}}
        objects.extend([server, conn])
        if template_attach is not None:
            attach = _renamed(template_attach, "%s--%s" % (conn_name, template_attach["spec"]["subnet"].replace("/", "--")))
            attach["spec"] = dict(template_attach["spec"], connection=conn_name)
            attach["metadata"]["labels"] = dict(template_attach["metadata"].get("labels") or {},
                                                **{"fabric.githedgehog.com/connection": conn_name})
            objects.append(attach)
        added.append("%s on %s" % (server_name, port))
    return added


def _renamed(obj, name):
    new = copy.deepcopy(obj)
    meta = new["metadata"]
    meta["name"] = name
    meta["uid"] = str(uuid.uuid5(uuid.NAMESPACE_DNS, name))
    meta.pop("resourceVersion", None)
    return new
