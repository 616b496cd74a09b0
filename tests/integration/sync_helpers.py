"""Shared helpers of the fabric_sync integration tests: configs, runs, fixture copies and looks at NetBox.

The tests run the engine in-process against the real NetBox of the test bed;
only the playbook test goes through ansible-playbook.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import requests
import yaml

from testbed.netbox import SAVED_PREFIX, TestbedError

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import KINDS_BY_NAME
from testbed.paths import FIXTURES, REPO_ROOT

VLAB = FIXTURES / "vlab"
VLAB_SITE = "VLAB"

WRITE_OPS = ("create", "update", "delete", "mark", "release")

# NetBox models the sync owns, by the name the engine's summary uses.
OWNED_ENDPOINTS = {
    "cluster": "virtualization/clusters",
    "device": "dcim/devices",
    "interface": "dcim/interfaces",
    "cable": "dcim/cables",
    "ip_address": "ipam/ip-addresses",
    "prefix": "ipam/prefixes",
}
# Shared models: made when missing, never owned, never deleted.
SHARED_ENDPOINTS = {
    "site": "dcim/sites",
    "manufacturer": "dcim/manufacturers",
    "platform": "dcim/platforms",
    "device_role": "dcim/device-roles",
    "device_type": "dcim/device-types",
    "interface_template": "dcim/interface-templates",
    "rir": "ipam/rirs",
    "asn": "ipam/asns",
    "cluster_type": "virtualization/cluster-types",
    "tag": "extras/tags",
    "custom_field": "extras/custom-fields",
}

# Fast retries: the test bed answers at once or not at all.
FAST_RETRIES = {"retries": 2, "retry_delay": 0.05, "retry_max_delay": 0.1, "retry_max_time": 5.0}


# -- configuration and runs ---------------------------------------------------------


def config_for(netbox, source, fabric="vlab", site=VLAB_SITE, token=None, **options):
    """A FabricConfig reading ``source``: a wiring directory (path) or a Kubernetes stand-in."""
    values = dict(FAST_RETRIES)
    values.update(options)
    if isinstance(source, (str, Path)):
        values["wiring_dir"] = str(source)
    elif source is not None:
        values.setdefault("k8s_auth", {"kubeconfig": str(source.kubeconfig_path)})
    return FabricConfig(fabric=fabric, site=site, netbox_url=netbox.url, netbox_token=token or netbox.token,
                        **values)


def sync(config, check_mode=False, want_diff=False, now=None, client=None):
    """One run; returns (result, the SyncRun) so a test can look at every stage."""
    run = SyncRun(config, check_mode=check_mode, want_diff=want_diff, client=client, now=now)
    return run.execute().as_dict(), run


def recorded_sync(config, check_mode=False):
    return RecordedRun(config, check_mode=check_mode).execute().as_dict()


def with_options(config, **options):
    return dataclasses.replace(config, **options)


# The kinds of objects another user may edit in the tests: the fabric's own, the shared ones, and the schema.
EDITABLE_TYPES = ("dcim.device", "dcim.interface", "dcim.cable", "dcim.devicerole", "ipam.ipaddress", "ipam.prefix",
                  "ipam.vlan", "ipam.vrf", "extras.customfield", "extras.tag")


class Writer:
    """A NetBox user writing through the REST API with a token of their own, as a person's script would."""

    def __init__(self, netbox, token):
        self.netbox = netbox
        self.session = requests.Session()
        self.session.headers.update({"Authorization": "Token %s" % token, "Accept": "application/json",
                                     "Content-Type": "application/json"})

    def _url(self, path):
        return "%s/api/%s/" % (self.netbox.url, path.strip("/"))

    def patch(self, path, body):
        response = self.session.patch(self._url(path), json=body, timeout=60)
        assert response.status_code == 200, response.text
        return response.json()

    def delete(self, path):
        response = self.session.delete(self._url(path), timeout=60)
        assert response.status_code == 204, response.text


def other_user(netbox, name):
    """A Writer for a new NetBox user ``name`` (made with the admin token), or for the admin's own token (None)."""
    if name is None:
        return Writer(netbox, netbox.token)
    admin = Writer(netbox, netbox.token)

    def post(path, body):
        response = admin.session.post(admin._url(path), json=body, timeout=60)
        assert response.status_code == 201, response.text
        return response.json()

    user = post("users/users", {"username": name, "password": "%s-Passw0rd-1234" % name.capitalize()})
    post("users/permissions", {"name": "%s edits" % name, "object_types": list(EDITABLE_TYPES),
                               "actions": ["view", "add", "change", "delete"], "users": [user["id"]]})
    token = post("users/tokens", {"user": user["id"], "version": 1, "write_enabled": True})["token"]
    return Writer(netbox, token)


def client_for(config):
    """A NetBox client of the engine's own, to count its requests when a run raises."""
    return NetBoxClient(config.netbox_url, config.netbox_token, fabric=config.fabric)


def plain_http(netbox):
    """The warning every run against the test bed's NetBox carries: it is served over plain HTTP."""
    return "NetBox is reached over plain HTTP (%s): the token travels in clear text" % netbox.url


def write_ops(result):
    """``{kind: {op: n}}`` of the summary's writing actions that are not zero."""
    found = {}
    for kind, ops in result["summary"].items():
        moves = dict((op, n) for op, n in ops.items() if op in WRITE_OPS and n)
        if moves:
            found[kind] = moves
    return found


def summary_without_schema(result):
    return dict((kind, dict(ops)) for kind, ops in result["summary"].items() if kind != "schema")


# -- fixture directories and stand-in objects ------------------------------------------


def copy_fixture(name, dest):
    """A private copy of ``tests/fixtures/<name>`` to edit."""
    target = Path(dest) / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _kind_file(directory, kind):
    for path in sorted(Path(directory).glob("*.yaml")):
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        items = document.get("items") or []
        if items and items[0].get("kind") == kind:
            return path, document
    raise LookupError("no %s file in %s" % (kind, directory))


class _WithoutAliases(yaml.SafeDumper):
    """Writes an object shared by two places twice: the sync refuses YAML aliases, as kubectl never writes them."""

    def ignore_aliases(self, data):
        return True


def edit_objects(directory, kind, change):
    """Rewrite the ``kind`` list of a fixture directory with ``change(items) -> items``."""
    path, document = _kind_file(directory, kind)
    document["items"] = change(document["items"])
    with open(path, "w", encoding="utf-8") as handle:
        yaml.dump(document, handle, Dumper=_WithoutAliases, sort_keys=False)


def fixture_objects(kind, directory=VLAB):
    return _kind_file(directory, kind)[1]["items"]


def fixture_object(kind, name, directory=VLAB):
    return copy.deepcopy(next(o for o in fixture_objects(kind, directory) if o["metadata"]["name"] == name))


def standin_object(standin, kind, name):
    """A copy of what the stand-in serves now, to edit and put back."""
    spec = KINDS_BY_NAME[kind]
    obj = standin.store.get(spec.group, spec.plural, spec.namespace, name)
    assert obj is not None, "the stand-in serves no %s %s" % (kind, name)
    return copy.deepcopy(obj)


def standin_delete(standin, kind, name):
    spec = KINDS_BY_NAME[kind]
    assert standin.store.delete(kind, spec.namespace, name, group=spec.group), "no %s %s to delete" % (kind, name)


# -- looks at NetBox -------------------------------------------------------------------


def api_get(netbox, endpoint, **params):
    """A raw list read (pynetbox hides ``count`` and cannot pass ``fields``)."""
    response = netbox.api.http_session.get(
        "%s/api/%s/" % (netbox.url, endpoint.strip("/")), params=params,
        headers={"Authorization": "Token %s" % netbox.token, "Accept": "application/json"})
    response.raise_for_status()
    return response.json()


def api_list(netbox, endpoint, **params):
    params.setdefault("limit", 0)
    return api_get(netbox, endpoint, **params)["results"]


def api_count(netbox, endpoint, **params):
    params["limit"] = 1
    params.setdefault("brief", 1)
    return api_get(netbox, endpoint, **params)["count"]


def change_count(netbox):
    """How many changes NetBox logged so far: any write of any client shows up here."""
    return api_count(netbox, "core/object-changes")


def changes_since(netbox, before):
    """The change-log entries after the first ``before`` ones, as (action, type, object) for messages."""
    rows = api_list(netbox, "core/object-changes", ordering="id", offset=before, limit=200,
                    fields="action,changed_object_type,object_repr")
    return [(r["action"]["value"], r["changed_object_type"], r["object_repr"]) for r in rows]


def state_of(netbox, fabric=None, endpoints=None):
    """``{(endpoint, id): (display, last_updated)}`` of every object (of ``fabric`` when given: its marked
    objects, and every port of its devices)."""
    state = {}
    for endpoint in (endpoints or list(OWNED_ENDPOINTS.values()) + list(SHARED_ENDPOINTS.values())):
        params = {"fields": "id,display,last_updated"}
        if endpoint == "dcim/interfaces":
            params["fields"] += ",device,name"
        if fabric and endpoint == "dcim/interfaces":
            # A device's ports made from its type belong to the fabric through the device, unmarked.
            params["device_id"] = [d["id"] for d in api_list(netbox, "dcim/devices", cf_hedgehog_fabric=fabric,
                                                             fields="id")] or [0]
        elif fabric and endpoint in OWNED_ENDPOINTS.values():
            params["cf_hedgehog_fabric"] = fabric
        for row in api_list(netbox, endpoint, **params):
            display = row["display"]
            if row.get("device"):
                display = "%s %s" % (row["device"]["name"], row["name"])
            state[(endpoint, row["id"])] = (display, row.get("last_updated"))
    return state


def state_diff(before, after):
    """What happened between two ``state_of`` readings: names removed, added and touched (per endpoint)."""
    def names(keys, state):
        return sorted("%s: %s" % (key[0], state[key][0]) for key in keys)
    return {
        "removed": names(set(before) - set(after), before),
        "added": names(set(after) - set(before), after),
        "touched": names([k for k in set(before) & set(after) if before[k] != after[k]], after),
    }


# Every kind of object a fabric owns, with the fields that hold what the sync derived, to compare whole:
# a NetBox that clears a field by cascade (a primary IP whose address went) does not touch last_updated.
FABRIC_ROWS = {
    "dcim/devices": "id,name,status,serial,description,primary_ip4,custom_fields,last_updated",
    "dcim/interfaces": "id,device,name,type,description,lag,mode,untagged_vlan,tagged_vlans,mtu,cable,enabled,"
                       "vrf,parent,custom_fields,last_updated",
    "dcim/cables": "id,label,status,a_terminations,b_terminations,custom_fields,last_updated",
    "ipam/ip-addresses": "id,address,vrf,status,role,assigned_object_type,assigned_object_id,description,dns_name,"
                         "custom_fields,last_updated",
    "ipam/prefixes": "id,prefix,vrf,status,vlan,description,custom_fields,last_updated",
    "ipam/ip-ranges": "id,start_address,end_address,vrf,status,description,last_updated",
    "ipam/vrfs": "id,name,description,custom_fields,last_updated",
    "ipam/vlans": "id,group,vid,name,status,description,custom_fields,last_updated",
    "ipam/vlan-groups": "id,name,vid_ranges,description,custom_fields,last_updated",
}


def fabric_rows(netbox, fabric):
    """``{(endpoint, id): row}`` of every object the fabric owns (the fabric record aside), to compare whole.

    Its ports are the ports of its devices: those NetBox made from a device type carry no marker of their own.
    """
    rows = {}
    for endpoint, fields in FABRIC_ROWS.items():
        if endpoint == "dcim/interfaces":
            devices = [object_id for kind, object_id in rows if kind == "dcim/devices"]
            found = api_list(netbox, endpoint, device_id=devices, fields=fields) if devices else []
        else:
            found = api_list(netbox, endpoint, cf_hedgehog_fabric=fabric, fields=fields)
        for row in found:
            rows[(endpoint, row["id"])] = row
    return rows


def rows_diff(before, after):
    """What changed between two ``fabric_rows`` readings, by endpoint and object, for assertions and messages."""
    def name(key, row):
        device = row.get("device")
        label = "%s %s" % (device["name"], row["name"]) if isinstance(device, dict) else (
            row.get("name") or row.get("address") or row.get("prefix") or row.get("label") or row.get("vid")
            or row.get("start_address"))
        return "%s: %s" % (key[0], label)

    def changed(key):
        fields = sorted(f for f in set(before[key]) | set(after[key])
                        if f != "last_updated" and before[key].get(f) != after[key].get(f))
        return "%s (%s)" % (name(key, after[key]), ", ".join(fields) or "last_updated")
    return {
        "removed": sorted(name(k, before[k]) for k in set(before) - set(after)),
        "added": sorted(name(k, after[k]) for k in set(after) - set(before)),
        "changed": sorted(changed(k) for k in set(before) & set(after) if before[k] != after[k]),
    }


def problems_of(result, kind, name=None):
    """The causes of the result's problems about ``kind`` (and ``name``)."""
    return [p["cause"] for p in result["problems"] if p["kind"] == kind and (name is None or p["name"] == name)]


def owned_counts(netbox, fabric):
    return dict((kind, api_count(netbox, endpoint, cf_hedgehog_fabric=fabric))
                for kind, endpoint in OWNED_ENDPOINTS.items())


def device_id(netbox, name, site=VLAB_SITE):
    rows = api_list(netbox, "dcim/devices", name=name, fields="id,site")
    rows = [r for r in rows if site is None or r["site"]["name"] == site]
    assert len(rows) == 1, "expected one device %s, found %d" % (name, len(rows))
    return rows[0]["id"]


def interface(netbox, device, name):
    rows = api_list(netbox, "dcim/interfaces", device=device, name=name)
    assert len(rows) == 1, "expected one interface %s %s, found %d" % (device, name, len(rows))
    return rows[0]


def cable_ends(netbox, cable_id):
    """The cable's label and its two ends as sorted (device, interface) pairs."""
    cable = api_get(netbox, "dcim/cables/%d" % cable_id)
    ends = []
    for side in ("a_terminations", "b_terminations"):
        for term in cable[side]:
            ends.append((term["object"]["device"]["name"], term["object"]["name"]))
    return cable["label"], sorted(ends)


# -- a synced NetBox, saved once per engine version ---------------------------------------

_SAVED = {}


def _content_key(testbed, *roots):
    """A digest of the engine's code, the fixtures a build reads and the empty NetBox it starts from."""
    digest = hashlib.sha1(testbed.golden.name.encode())
    for root in roots:
        root = Path(root)
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml"))
        for path in files:
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def restore_synced(testbed, name, build, inputs=()):
    """Serve the NetBox that ``build()`` makes from an empty one.

    The result is saved under a name that changes with the engine's code and
    ``inputs``, so it is built once and then restored, also by later sessions,
    until something it depends on changes.
    """
    if name in _SAVED:
        testbed.restore(_SAVED[name])
        return
    # Once per session: the code this process imported is what the copy must match.
    key = "%s_%s" % (name, _content_key(testbed, REPO_ROOT / "plugins" / "module_utils", Path(__file__), *inputs))
    try:
        testbed.restore(key)
    except TestbedError:
        testbed.reset()
        build()
        # Only this name's older copies: "vlab" must not drop "vlab_recorded"'s (and LIKE takes "_" for any
        # character).
        mine = re.compile(re.escape(SAVED_PREFIX + name) + r"_[0-9a-f]{12}")
        for stale in testbed.db.names_like(SAVED_PREFIX + name + "_"):
            if mine.fullmatch(stale):
                testbed.db.drop(stale)
        testbed.save(key)
    _SAVED[name] = key


def restore_vlab(testbed, netbox):
    """The VLAB fixture synced as fabric ``vlab`` into site VLAB, as every change test starts from."""
    def build():
        result, _run = sync(config_for(netbox, VLAB))
        assert result["result"] == "success", result["warnings"]
    restore_synced(testbed, "vlab", build, inputs=(VLAB,))
