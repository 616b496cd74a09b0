"""Deletions held for unowned dependants: which ports of a device being deleted are someone else's."""

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.inventory import Inventory
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.dependants import (
    hold_for_unowned_dependants,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.reconcile.plan import Action, Plan

FABRIC = "fab"


class FakeClient:
    """The two reads the check makes: the interface templates of device types, and IP addresses (none here)."""

    def __init__(self, templates):
        self.templates = templates
        self.reads = []

    def list_by(self, endpoint, param, values, params=None, fields=None, pool=None):
        self.reads.append((endpoint, param, sorted(values)))
        if endpoint == "dcim/interface-templates":
            return [row for row in self.templates if row["device_type"]["id"] in values]
        return []


def _port(object_id, name, owner=None):
    return {"id": object_id, "name": name, "device": {"id": 10, "name": "leaf-01"},
            "custom_fields": {"hedgehog_fabric": owner}}


def _deleting_leaf(*ports):
    """A plan deleting leaf-01 (device type 3), whose desired state (and so its templates) is gone."""
    inventory = Inventory(FABRIC)
    device = {"id": 10, "name": "leaf-01", "device_type": {"id": 3, "slug": "vs"},
              "custom_fields": {"hedgehog_fabric": FABRIC}}
    inventory.add("device", "leaf-01", device)
    for port in ports:
        inventory.add("interface", ("leaf-01", port["name"]), port)
    plan = Plan(FABRIC)
    plan.add(Action("delete", "device", "leaf-01", "device leaf-01", record=device))
    return plan, inventory


def test_ports_made_from_the_device_type_go_with_their_device():
    """Unmarked, they belong to the fabric through the device: the deletion is not held for them."""
    plan, inventory = _deleting_leaf(_port(31, "E1/1"), _port(32, "E1/2"), _port(33, "Loopback1", owner=FABRIC))
    client = FakeClient([{"name": "E1/1", "device_type": {"id": 3}}, {"name": "E1/2", "device_type": {"id": 3}}])
    assert hold_for_unowned_dependants(plan, inventory, client, FABRIC) == 0
    assert [a.op for a in plan.actions] == ["delete"] and plan.problems == []
    assert ("dcim/interface-templates", "device_type_id", [3]) in client.reads


def test_a_port_added_by_hand_holds_the_deletion_of_its_device():
    plan, inventory = _deleting_leaf(_port(31, "E1/1"), _port(34, "mgmt-by-hand"))
    client = FakeClient([{"name": "E1/1", "device_type": {"id": 3}}])
    assert hold_for_unowned_dependants(plan, inventory, client, FABRIC) == 1
    (action,) = plan.actions
    assert action.op == "kept"
    assert action.reason == ("not deleted: NetBox would delete 1 object(s) the fabric does not own with it "
                             "(interface mgmt-by-hand); move or remove them and the next run deletes it")
    assert [problem.text for problem in plan.problems] == ["device leaf-01: " + action.reason]
