"""The pure parts of change-driven runs: digests, the record's basis, sorting the change log, kept hand edits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.basis import Basis, IdRanges, to_ranges
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.changelog import (
    OWNED_TYPES,
    SETTLE_SECONDS,
    SHARED_TYPES,
    WATCHED_TYPES,
    settled_mark,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.drift import Edit, edit_text, sort_changes
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.fingerprint import (
    desired_digest,
    outcome_options,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.keep import KeptEdits
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.repair import NeedFull, RepairScope
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.mapping.objects import Desired, DesiredState, Ref

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)


def state(*objects):
    desired = DesiredState("fab")
    for obj in objects:
        desired.add(obj)
    return desired


def device(description="VS-01", **extra):
    fields = {"name": "leaf-01", "site": Ref("site", "s"), "description": description,
              "custom_fields": {"hedgehog_asn": 65101}}
    fields.update(extra)
    return Desired("device", "leaf-01", fields, label="device leaf-01")


def port(mtu=None, name="E1/1"):
    return Desired("interface", ("leaf-01", name), {"device": Ref("device", "leaf-01"), "name": name, "mtu": mtu},
                   component=True)


# -- digests -------------------------------------------------------------------------------


def test_the_desired_digest_changes_with_any_field_and_not_with_the_order_objects_were_made():
    base = desired_digest(state(device(), port()))
    assert desired_digest(state(port(), device())) == base
    assert desired_digest(state(device(), port(mtu=9000))) != base
    assert desired_digest(state(device(description="VS-02"), port())) != base
    # A reference counts by the object it names.
    assert desired_digest(state(device(site=Ref("site", "t")), port())) != base
    # Objects of one kind count in key order, not in the order the source listed them.
    two = desired_digest(state(port(name="E1/1"), port(name="E1/2")))
    assert desired_digest(state(port(name="E1/2"), port(name="E1/1"))) == two
    assert desired_digest(state(port(name="E1/2"), port(name="E1/1", mtu=9000))) != two
    # A field's value moved to another object is a change.
    assert desired_digest(state(port(name="E1/1", mtu=9000), port(name="E1/2"))) != desired_digest(
        state(port(name="E1/1"), port(name="E1/2", mtu=9000)))


def test_outcome_options_leave_out_credentials_and_tuning():
    config = FabricConfig(fabric="fab", netbox_url="http://nb", netbox_token="SECRET", netbox_workers=7)
    options = outcome_options(config)
    assert options == {"site": "fab", "tenant": None, "source_fabric": None, "underlay_vrf": None,
                       "ipv4_namespace_vrf": None, "switch_profiles_dir": None, "prune": "delete",
                       "orphan_grace": 604800, "max_delete_ratio": 0.3, "force": False, "adopt": [],
                       "agent_stale_after": 120, "dhcp_leases": False, "hand_edits": "repair"}
    assert "SECRET" not in repr(options)


def test_the_kinds_adopt_names_compare_equal_to_what_the_record_kept():
    """The record's JSON gives a list back; a set in another order must not read as a changed option."""
    config = FabricConfig(fabric="fab", netbox_url="http://nb", netbox_token="t", adopt="interface,device")
    assert outcome_options(config)["adopt"] == ["device", "interface"]
    again = FabricConfig(fabric="fab", netbox_url="http://nb", netbox_token="t", adopt=["device", "interface"])
    assert outcome_options(again) == outcome_options(config)


def test_an_object_several_fabrics_share_digests_apart_from_one_the_fabric_owns():
    owned = Desired("vrf", "blue", {"name": "blue"})
    shared = Desired("vrf", "blue", {"name": "blue"}, shared=True)
    assert desired_digest(state(owned)) != desired_digest(state(shared))


# -- the basis ------------------------------------------------------------------------------------


def test_ids_are_kept_as_runs_of_consecutive_ids():
    runs = to_ranges([7, 3, 4, 5, 10, 9, 5])
    assert runs == [[3, 5], [7, 7], [9, 10]]
    ids = IdRanges(runs)
    assert [i for i in range(1, 12) if i in ids] == [3, 4, 5, 7, 9, 10]


def test_a_basis_of_another_format_or_shape_is_no_basis():
    basis = Basis(version="0.1.0", desired="d", mark=12, owned={"dcim.device": [[1, 3]]})
    again = Basis.from_record(basis.as_record())
    assert again == basis and again.owned_total() == 3
    assert Basis.from_record(dict(basis.as_record(), format=0)) is None
    assert Basis.from_record({"format": 1, "mark": [1], "desired": "d", "owned": 5}) is not None
    assert Basis.from_record("not a dict") is None and Basis.from_record(None) is None


# -- the change log, sorted out ---------------------------------------------------------------------


def row(change_id, object_type, object_id, action="update", user="alice", request="r-%d", repr_="x"):
    return {"id": change_id, "changed_object_type": object_type, "changed_object_id": object_id,
            "action": {"value": action, "label": action}, "user_name": user, "request_id": request % change_id if "%" in request else request,
            "time": "2026-12-06T11:59:00Z", "object_repr": repr_}


BASIS = Basis(owned={"dcim.device": [[10, 20]], "dcim.interface": [[100, 199]]},
              shared={"dcim.devicerole": [[5, 5]], "ipam.vrf": [[40, 40]]})


def test_only_changes_to_the_fabrics_objects_are_hand_edits():
    found = sort_changes([
        row(1, "dcim.device", 11), row(2, "dcim.device", 21), row(3, "dcim.interface", 150, "delete"),
        row(4, "ipam.vrf", 11), row(5, "dcim.devicerole", 6), row(6, "dcim.devicerole", 5, "create"),
    ], BASIS)
    assert [(e.object_type, e.object_id, e.action) for e in found.edits] == [
        ("dcim.device", 11, "update"), ("dcim.interface", 150, "delete")]
    assert found.full_reason is None and found.ignored == 4


def test_own_requests_and_changes_seen_before_are_skipped():
    rows = [row(1, "dcim.device", 11, request="mine"), row(2, "dcim.device", 12), row(3, "dcim.device", 13)]
    found = sort_changes(rows, BASIS, skip_requests={"mine"}, skip_ids={3})
    assert [e.object_id for e in found.edits] == [12]


@pytest.mark.parametrize("changed, reason", [
    (row(1, "extras.customfield", 1, repr_="ASN"), "extras.customfield ASN was updated by alice at "),
    (row(1, "extras.tag", 1, "delete", repr_="hedgehog-sync"), "extras.tag hedgehog-sync was deleted by alice at "),
    (row(1, "dcim.devicerole", 5, repr_="Spine"),
     "shared object dcim.devicerole Spine, which the fabric uses, was updated by alice at "),
    (row(1, "ipam.vrf", 40, "delete", repr_="blue"),
     "shared object ipam.vrf blue, which the fabric uses, was deleted by alice at "),
    (row(1, "dcim.device", 15, "delete", repr_="leaf-01"), "device leaf-01 was deleted by alice at "),
], ids=["custom field", "tag", "shared object", "shared vrf", "device deleted"])
def test_what_only_a_full_reconcile_handles(changed, reason):
    assert sort_changes([changed], BASIS).full_reason.startswith(reason)


def test_too_many_hand_edits_are_a_full_reconcile():
    found = sort_changes([row(i, "dcim.interface", 100 + i % 100) for i in range(1, 202)], BASIS)
    assert found.full_reason == "201 changes to the fabric's objects by others since the last run"


def test_the_watched_types_are_the_owned_shared_and_schema_ones_without_the_anchor():
    assert "virtualization.cluster" not in WATCHED_TYPES
    assert {"dcim.device", "dcim.interface", "dcim.cable", "ipam.ipaddress", "ipam.prefix", "ipam.iprange",
            "ipam.vlan", "ipam.vlangroup", "ipam.vrf", "dcim.macaddress", "dcim.inventoryitem"} == set(OWNED_TYPES)
    assert {"dcim.site", "dcim.devicetype", "dcim.interfacetemplate", "ipam.asn", "virtualization.clustertype",
            "tenancy.tenant", "dcim.inventoryitemrole", "extras.tag"} <= set(SHARED_TYPES)
    assert {"extras.customfield", "extras.tag"} <= set(WATCHED_TYPES)
    # SwitchGroup tags are shared objects and schema alike: listed once.
    assert len(WATCHED_TYPES) == len(set(WATCHED_TYPES))


def test_an_edits_fields_are_the_values_that_differ_custom_fields_one_by_one():
    edit = Edit(row(1, "dcim.device", 11))
    edit.before = {"description": "a", "comments": "", "last_updated": "t1",
                   "custom_fields": {"hedgehog_asn": 1, "x": None}}
    edit.after = {"description": "b", "comments": "", "last_updated": "t2",
                  "custom_fields": {"hedgehog_asn": 2, "x": None}}
    assert edit.changed() == ["custom_fields.hedgehog_asn", "description"]
    edit.label, edit.fields, edit.outcome = "device leaf-01", ["description"], "repaired"
    assert edit.text == "device leaf-01: description changed by alice at 2026-12-06T11:59:00Z (repaired)"
    assert edit_text(dict(edit.as_dict(), action="delete")) == \
        "device leaf-01: deleted by alice at 2026-12-06T11:59:00Z (repaired)"


def test_the_mark_settles_only_on_changes_older_than_a_running_transaction_could_hide():
    def at(change_id, seconds_ago):
        return {"id": change_id, "time": (NOW - timedelta(seconds=seconds_ago)).isoformat()}
    rows = [at(11, 60), at(12, SETTLE_SECONDS + 1), at(13, SETTLE_SECONDS - 1), at(14, 0)]
    assert settled_mark(rows, 10, NOW) == 12
    assert settled_mark(rows[2:], 10, NOW) == 10
    assert settled_mark(rows, 10, None) == 10


# -- kept hand edits -------------------------------------------------------------------------------------


def test_a_kept_field_stays_kept_until_the_fabric_changes_it():
    kept = KeptEdits()
    kept.keep("device", device(), ["description", "custom_fields.hedgehog_asn"], "alice", "2026-12-06T11:59:00Z")
    stored = KeptEdits(kept.as_record())
    assert stored.fields_kept("device", device()) == {"description", "custom_fields.hedgehog_asn"}
    # The fabric now wants another description: that field is the fabric's again, the custom field stays kept.
    assert stored.fields_kept("device", device(description="VS-09")) == {"custom_fields.hedgehog_asn"}
    assert stored.fields_kept("device", device(description="VS-09", custom_fields={"hedgehog_asn": 1})) == ()
    assert stored.as_record() == []


def test_kept_edits_of_objects_the_fabric_no_longer_has_are_forgotten():
    kept = KeptEdits()
    kept.keep("interface", port(), ["mtu"], "alice", "t")
    assert KeptEdits(kept.as_record()).fields_kept("interface", port()) == {"mtu"}
    kept.retain(state(device()))
    assert kept.as_record() == []


def test_a_device_renamed_by_hand_asks_for_the_full_reconcile_that_renames_it_back_in_place():
    class Rows:
        def list_by(self, endpoint, param, values, fields=None, params=None):
            return [{"id": 11, "name": "leaf-01-by-hand", "site": {"id": 1, "name": "s"}}]

    renamed, described = Edit(row(1, "dcim.device", 11)), Edit(row(2, "dcim.device", 11))
    renamed.before, renamed.after = {"name": "leaf-01"}, {"name": "leaf-01-by-hand"}
    described.before = {"name": "leaf-01-by-hand", "comments": ""}
    described.after = {"name": "leaf-01-by-hand", "comments": "row 4"}
    scope = RepairScope(Rows(), None, state(device()), Basis())
    # Renamed, then edited again: the last change alone no longer shows the rename.
    with pytest.raises(NeedFull, match="renamed by hand"):
        scope.place([described, renamed])
    assert [placed.key for placed in scope.place([described])] == ["leaf-01-by-hand"]
