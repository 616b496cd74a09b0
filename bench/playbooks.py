"""The side-by-side runs through ansible-playbook: the fabric written by netbox.netbox tasks, and by fabric_sync.

The netbox.netbox playbook is generated from the engine's desired state, so it
writes the same objects with the same fields, tag and custom field; it is written
the way that collection's users write one: a task per object, in dependency order,
names and natural keys for references, connection settings in ``module_defaults``.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time

import yaml

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.desired import build_desired
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Ref
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.vocabulary import (
    CUSTOM_FIELDS,
    FABRIC_FIELD,
    SYNC_TAG,
    TAGS,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.snapshot import build_snapshot
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.models import ORDER, SPECS
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import read_wiring_dir
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profiles import BUILTIN_PROFILES

# Module per kind; kinds not listed use netbox_<kind>, kinds mapped to None have no netbox.netbox module.
MODULES = {
    "device_role": "netbox_device_role",
    "interface_template": "netbox_device_interface_template",
    "lag": "netbox_device_interface",
    "interface": "netbox_device_interface",
    "subinterface": "netbox_device_interface",
    "ip_range": None,
    # What the switches report (optics, boot MACs, SwitchGroup tags) is left out of the comparison.
    "tag": None,
    "mac_address": None,
    "inventory_item": None,
    "inventory_item_role": None,
}
# netbox.netbox's names for fields the REST API names otherwise.
RENAMED = {
    "device": {"role": "device_role"},
    "cluster": {"type": "cluster_type"},
    "vlan": {"group": "vlan_group"},
    "subinterface": {"parent": "parent_interface"},
}
IP_ROLE_LABELS = {"loopback": "Loopback", "secondary": "Secondary", "anycast": "Anycast", "vip": "VIP",
                  "vrrp": "VRRP", "hsrp": "HSRP", "glbp": "GLBP", "carp": "CARP"}
CUSTOM_FIELD_KEYS = ("name", "type", "object_types", "label", "description", "group_name", "required",
                     "filter_logic", "search_weight", "related_object_type")


def module_of(kind):
    return MODULES.get(kind, "netbox_%s" % kind)


def desired_state(fabric, wiring_dir, netbox_url, token):
    config = FabricConfig(fabric=fabric, netbox_url=netbox_url, netbox_token=token, wiring_dir=wiring_dir)
    source = read_wiring_dir(wiring_dir, fabric=fabric)
    return build_desired(build_snapshot(fabric, source, BUILTIN_PROFILES), config)


class _Translator:
    """Desired objects -> netbox.netbox task arguments (references by name, not id)."""

    def __init__(self, desired, fabric):
        self.desired = desired
        self.fabric = fabric
        self.left_out = {}

    def ref(self, field, ref):
        kind, key = ref
        obj = self.desired.get(kind, key)
        if field == "parent":
            return key[1]
        if kind in ("interface", "subinterface"):
            return {"device": key[0], "name": key[1]}
        if kind == "lag":
            return obj.fields["name"]
        if kind in ("device", "cluster", "vrf"):
            return key
        if kind == "ip_address":
            return {"address": key[1]}
        if kind == "vlan":
            # Inside a lookup dict netbox.netbox slugifies the group's name; its slug survives that.
            return {"vid": key[1], "vlan_group": self.desired.get("vlan_group", key[0]).fields["slug"]}
        if obj is not None and "slug" in obj.fields:
            # netbox.netbox looks these up by slug; a dict keeps a name that slugifies otherwise exact.
            return {"slug": obj.fields["slug"]}
        return obj.fields.get("name", key) if obj else key

    def value(self, field, value):
        if isinstance(value, Ref):
            return self.ref(field, value)
        if isinstance(value, dict):
            return dict((k, self.value(k, v)) for k, v in value.items())
        if isinstance(value, list):
            return [self.value(field, v) for v in value]
        return value

    def data(self, obj, fields):
        data = {}
        for field, value in fields.items():
            if value is None or field in ("a_terminations", "b_terminations"):
                continue
            if field == "scope_id":
                data["scope"] = self.desired.get(value.kind, value.key).fields["name"] if isinstance(value, Ref) else value
                continue
            if field == "assigned_object_type":
                continue
            if field == "assigned_object_id":
                data["assigned_object"] = self.ref(field, value)
                continue
            if obj.kind == "ip_address" and field == "role":
                # netbox.netbox takes an IP role by its label ("Loopback", "VIP"), not its value.
                data["role"] = IP_ROLE_LABELS.get(value, value)
                continue
            data[RENAMED.get(obj.kind, {}).get(field, field)] = self.value(field, value)
        if obj.kind == "lag":
            data["custom_fields"] = dict(data.get("custom_fields") or {})
        if obj.kind == "cable":
            ends = (obj.fields["a_terminations"][0]["object_id"], obj.fields["b_terminations"][0]["object_id"])
            for side, ref in zip("ab", ends):
                data["termination_%s_type" % side] = "dcim.interface"
                data["termination_%s" % side] = self.ref("termination", ref)
        if SPECS[obj.kind].owned:
            data["tags"] = [SYNC_TAG]
            custom = dict(data.get("custom_fields") or {})
            custom[FABRIC_FIELD] = self.fabric
            data["custom_fields"] = custom
        return data

    def tasks(self, chosen=None):
        """(kind, task) pairs in dependency order; ``chosen`` limits them to some (kind, key)s."""
        tasks = [("tag", {"name": "tag %s" % t["slug"], "netbox.netbox.netbox_tag": {"data": dict(
            (k, t[k]) for k in ("name", "slug", "color", "description"))}}) for t in TAGS]
        tasks.extend(("custom_field", {"name": "custom field %s" % f["name"], "netbox.netbox.netbox_custom_field": {
            "data": dict((k, f[k]) for k in CUSTOM_FIELD_KEYS if k in f)}}) for f in CUSTOM_FIELDS)
        late = []
        for kind in ORDER:
            if module_of(kind) is None:
                self.left_out[kind] = len(self.desired.of(kind))
                continue
            for obj in self.desired.of(kind).values():
                if chosen is not None and (kind, obj.key) not in chosen:
                    continue
                data = self.data(obj, obj.fields)
                tasks.append((kind, {"name": obj.label, "netbox.netbox.%s" % module_of(kind): {"data": data}}))
                if obj.late:
                    late_data = self.data(obj, obj.late)
                    late_data.pop("tags", None)
                    late_data.pop("custom_fields", None)
                    late_data["name"] = obj.fields["name"]
                    late.append((kind + " (late)", {"name": "%s (primary IP)" % obj.label,
                                                    "netbox.netbox.%s" % module_of(kind): {"data": late_data}}))
        return tasks + late

    def full_counts(self):
        counts = {"tag": len(TAGS), "custom_field": len(CUSTOM_FIELDS)}
        for kind in ORDER:
            if module_of(kind) is None:
                continue
            objects = self.desired.of(kind)
            if objects:
                counts[kind] = len(objects)
            late = sum(1 for obj in objects.values() if obj.late)
            if late:
                counts[kind + " (late)"] = late
        return counts

    def sample(self, per_kind):
        """The first ``per_kind`` objects of each kind and everything they refer to."""
        chosen, todo = set(), []
        for kind in ORDER:
            todo.extend((kind, key) for key in list(self.desired.of(kind))[:per_kind])
        while todo:
            kind, key = todo.pop()
            obj = self.desired.get(kind, key)
            if obj is None or (kind, key) in chosen:
                continue
            chosen.add((kind, key))
            todo.extend((ref.kind, ref.key) for ref in obj.refs() if ref.kind != "tag")
            if kind == "device_type":
                # NetBox makes a device's ports from the templates that exist when the device is made.
                todo.extend(("interface_template", k) for k in self.desired.of("interface_template") if k[0] == key)
        return chosen


def netbox_netbox_playbook(desired, fabric, netbox_url, token, sample=0):
    """The playbook, the kind of each of its tasks, and the task count per kind of the whole fabric."""
    translator = _Translator(desired, fabric)
    pairs = translator.tasks(translator.sample(sample) if sample else None)
    tasks = [task for _kind, task in pairs]
    modules = set(name for task in tasks for name in task if name.startswith("netbox.netbox."))
    defaults = dict((module, {"netbox_url": netbox_url, "netbox_token": token}) for module in sorted(modules))
    play = {"name": "Fabric %s with netbox.netbox, a task per object" % fabric, "hosts": "localhost",
            "connection": "local", "gather_facts": False, "module_defaults": defaults, "tasks": tasks}
    return [play], [kind for kind, _task in pairs], translator.full_counts(), translator.left_out


def estimate_full(run, task_kinds, full_counts):
    """Wall time of the whole playbook from a sample: per kind, the mean task time times the task count."""
    durations = run.get("task_seconds") or []
    if len(durations) != len(task_kinds) or None in durations:
        return None
    per_kind = {}
    for kind, seconds in zip(task_kinds, durations):
        per_kind.setdefault(kind, []).append(seconds)
    tasks_total = 0.0
    for kind, count in full_counts.items():
        times = per_kind.get(kind)
        if times:
            tasks_total += count * sum(times) / len(times)
    overhead = max(0.0, run["wall_s"] - sum(durations))
    return {"wall_s": round(overhead + tasks_total, 1), "overhead_s": round(overhead, 1),
            "mean_task_s": dict((k, round(sum(v) / len(v), 3)) for k, v in per_kind.items())}


def fabric_sync_playbook(fabric, netbox_url, token, kubeconfig):
    task = {"name": "Sync fabric %s" % fabric, "hedgehog.netbox_sync.fabric_sync": {
        "fabric": fabric, "kubeconfig": kubeconfig, "netbox_url": netbox_url, "netbox_token": token}}
    play = {"name": "Fabric %s with hedgehog.netbox_sync" % fabric, "hosts": "localhost", "connection": "local",
            "gather_facts": False, "tasks": [task]}
    return [play], 1


def run_playbook(playbook, path, collections_path, log_path):
    """Write and run a playbook; wall time, exit code and the recap's counts."""
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump(playbook, handle, sort_keys=False, width=4096)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path, ANSIBLE_NOCOLOR="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_PIPELINING="1", ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", path]
    start = time.perf_counter()
    with open(log_path, "w", encoding="utf-8") as log, open(log_path + ".stderr", "w", encoding="utf-8") as err:
        proc = subprocess.Popen(command, stdout=log, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    recap, durations = _read_json_log(log_path)
    return {"wall_s": round(wall, 2), "rc": proc.returncode, "recap": recap, "task_seconds": durations,
            "process": {"ru_maxrss_mb": round(usage.ru_maxrss / 1024.0, 1),
                        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2)}}


def _read_json_log(log_path):
    """The recap and each task's seconds from the ansible.posix.json callback's output."""
    try:
        with open(log_path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError):
        return {}, []
    durations = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            times = task.get("task", {}).get("duration", {})
            try:
                durations.append(round((_stamp(times["end"]) - _stamp(times["start"])).total_seconds(), 3))
            except (KeyError, ValueError):
                durations.append(None)
    stats = report.get("stats", {}).get("localhost", {})
    return stats, durations


def _stamp(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
