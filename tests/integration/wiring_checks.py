"""What a fabric's wiring says NetBox must hold, read from the raw YAML, and the checks against NetBox.

The expectations come from the wiring files alone (not from the engine's records): every link is a
cable between its two ports, every bundled, ESLAG and MCLAG connection is a LAG per switch and a bond
on the server with exactly the connection's ports as members, every broken-out port has its sub-ports.
A port of a broken-out cage is ``E1/55/1``; ``E1/55`` on a broken-out cage is its first lane, and a lane
of a cage left whole (``1x100G``) is the cage itself.
"""

from __future__ import annotations

import os

import yaml

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import slugify

# Connection type -> the keys of a link's two ends.
LINK_ENDS = {
    "unbundled": ("server", "switch"), "bundled": ("server", "switch"), "eslag": ("server", "switch"),
    "mclag": ("server", "switch"), "fabric": ("spine", "leaf"), "mesh": ("leaf1", "leaf2"),
    "gateway": ("switch", "gateway"), "vpcLoopback": ("switch1", "switch2"),
    "mclagDomain": ("switch1", "switch2"),
}
LAG_TYPES = ("bundled", "eslag", "mclag")


class Wiring:
    """The raw objects of a wiring directory: an hhfab work directory (include/*.yaml) or a live-form one."""

    def __init__(self, directory):
        include = os.path.join(directory, "include")
        folder = include if os.path.isdir(include) else directory
        self.objects = []
        for name in sorted(os.listdir(folder)):
            if name.endswith(".yaml") and not name.startswith("."):
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    for document in yaml.safe_load_all(handle):
                        if isinstance(document, dict) and document.get("kind", "").endswith("List"):
                            self.objects.extend(document["items"])
                        elif isinstance(document, dict):
                            self.objects.append(document)

    def of(self, kind):
        return dict((o["metadata"]["name"], o) for o in self.objects if o.get("kind") == kind)

    def breakouts(self, switch):
        return self.of("Switch")[switch]["spec"].get("portBreakouts") or {}

    def interface(self, port):
        """``device/port`` -> (device, NetBox interface name)."""
        device, _sep, name = port.partition("/")
        if device not in self.of("Switch"):
            return device, name
        breakouts = self.breakouts(device)
        base, _sep, lane = name.rpartition("/")
        if name.count("/") == 2 and _lanes(breakouts.get(base)) == 1 and lane == "1":
            return device, base
        if name.count("/") == 1 and _lanes(breakouts.get(name)) > 1:
            return device, name + "/1"
        return device, name

    def connections(self):
        """name -> (type, [(end a, end b)]) of every connection that joins two ports."""
        found = {}
        for name, obj in self.of("Connection").items():
            (ctype, body), = obj["spec"].items()
            if ctype not in LINK_ENDS:
                continue
            if ctype == "unbundled":
                links = [body["link"]]
            elif ctype == "mclagDomain":
                links = body.get("peerLinks", []) + body.get("sessionLinks", [])
            else:
                links = body["links"]
            side_a, side_b = LINK_ENDS[ctype]
            found[name] = (ctype, [(self.interface(link[side_a]["port"]), self.interface(link[side_b]["port"]))
                                   for link in links])
        return found

    def cables(self):
        """{(label, (end, end))} of every link."""
        return set((name, tuple(sorted(pair))) for name, (_ctype, pairs) in self.connections().items()
                   for pair in pairs)

    def lag_members(self):
        """{(device, connection): sorted member ports} of every LAG and bond."""
        found = {}
        for name, (ctype, pairs) in self.connections().items():
            if ctype not in LAG_TYPES:
                continue
            for server_end, switch_end in pairs:
                for device, port in (server_end, switch_end):
                    found.setdefault((device, name), []).append(port)
        return dict((key, sorted(ports)) for key, ports in found.items())

    def sub_ports(self):
        """{(switch, cage): [sub-port names]} of every cage broken out into more than one lane."""
        found = {}
        for switch in self.of("Switch"):
            for cage, mode in self.breakouts(switch).items():
                lanes = _lanes(mode)
                if lanes > 1:
                    found[(switch, cage)] = ["%s/%d" % (cage, index) for index in range(1, lanes + 1)]
        return found


def _lanes(mode):
    return int(mode.split("x", 1)[0]) if mode and "x" in mode else 1


# -- NetBox ------------------------------------------------------------------------------------------


def netbox_cables(netbox, fabric):
    found = set()
    for cable in h.api_list(netbox, "dcim/cables", cf_hedgehog_fabric=fabric):
        ends = [(term["object"]["device"]["name"], term["object"]["name"])
                for side in ("a_terminations", "b_terminations") for term in cable[side]]
        found.add((cable["label"], tuple(sorted(ends))))
    return found


def netbox_lags(netbox, site):
    """{(device, connection): (LAG name, sorted member names)} of the site's LAGs."""
    members = {}
    for port in h.api_list(netbox, "dcim/interfaces", site=slugify(site), fields="name,lag"):
        if port.get("lag"):
            members.setdefault(port["lag"]["id"], []).append(port["name"])
    found = {}
    for lag in h.api_list(netbox, "dcim/interfaces", site=slugify(site), type="lag"):
        key = (lag["device"]["name"], lag["custom_fields"]["hedgehog_connection"])
        found[key] = (lag["name"], sorted(members.get(lag["id"], [])))
    return found


def netbox_sub_ports(netbox, site, cages):
    """{(switch, cage): sorted names of the switch's interfaces under ``cage/``} for each (switch, cage)."""
    names = {}
    for port in h.api_list(netbox, "dcim/interfaces", site=slugify(site), fields="name,device"):
        names.setdefault(port["device"]["name"], []).append(port["name"])
    # Subinterfaces (``E1/1/1.100``) of an ExternalAttachment are not lanes.
    return dict(((switch, cage), sorted(n for n in names.get(switch, []) if n.startswith(cage + "/") and "." not in n))
                for switch, cage in cages)


def assert_wiring_landed(netbox, wiring, fabric, site):
    """Every link a cable between the right ports, every LAG with its members, every breakout sub-port."""
    assert netbox_cables(netbox, fabric) == wiring.cables()
    lags = netbox_lags(netbox, site)
    assert dict((key, members) for key, (_name, members) in lags.items()) == wiring.lag_members()
    expected = wiring.sub_ports()
    assert netbox_sub_ports(netbox, site, expected) == dict((key, sorted(ports)) for key, ports in expected.items())
    return lags


def assert_second_run_writes_nothing(netbox, config):
    before = h.change_count(netbox)
    result, _run = h.sync(config)
    assert result["changed"] is False, h.write_ops(result)
    assert h.write_ops(result) == {}
    assert result["requests"]["netbox"]["writes"] == 0
    assert h.change_count(netbox) == before, h.changes_since(netbox, before)
    return result
