"""Change-driven runs against the real NetBox: nothing changed, hand edits, and every reason to reconcile in full.

Each test starts from the VLAB synced into an empty NetBox, runs the sync once
with its record (the run that records the basis the next one starts from), and
looks at what the next run reads, writes and says. Hand edits are made by
another NetBox user with a token of their own, through the REST API, as a
person's script or the UI would make them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes import resync
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.report import detail, fabric_status
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.version import COLLECTION_VERSION

# What a run that finds nothing changed asks of NetBox: one read of the change log, and for the record the
# anchor's lookup, its read and lease, the outcome with the lease's release (a compare-and-set write on the ETag
# the lease's write answered with: no read) and the journal entry.
UNCHANGED_SYNC_REQUESTS = {"GET": 1, "total": 1, "writes": 0}
RECORD_REQUESTS = {"GET": 2, "PATCH": 2, "POST": 1, "total": 5, "writes": 3}
# What a full reconcile of the VLAB with nothing to write reads: every model, and the change log since the mark.
FULL_SYNC_GETS = 31


@pytest.fixture
def kube(kube_standin_factory):
    return kube_standin_factory([h.VLAB])


@pytest.fixture
def recorded(vlab_nb, kube):
    """The config of a fabric whose last recorded run was complete: the next run may find nothing changed."""
    config = h.config_for(vlab_nb, kube)
    first = h.recorded_sync(config)
    assert first["result"] == "success", first["warnings"]
    assert (first["path"], first["reason"]) == ("full", "no complete run of this version is recorded yet")
    return config


@pytest.fixture
def alice(vlab_nb):
    """Another NetBox user, with a token of her own and the right to edit the fabric's kinds of objects."""
    return h.other_user(vlab_nb, "alice")


def run(config, **options):
    return h.recorded_sync(h.with_options(config, **options))


def _record(netbox):
    return h.api_list(netbox, "virtualization/clusters", name="vlab")[0]


def _full_because(result, reason, gets=FULL_SYNC_GETS):
    assert result["result"] == "success", result["warnings"]
    assert (result["path"], result["reason"]) == ("full", reason)
    # A full run reads every model again, and writes nothing when nothing differs.
    assert result["requests"]["netbox"] == {"GET": gets, "total": gets, "writes": 0}


# -- nothing changed -------------------------------------------------------------------------


def test_nothing_changed_reads_the_change_log_once_and_writes_only_the_outcome(vlab_nb, recorded):
    before = h.change_count(vlab_nb)
    for _run in range(2):  # the first after a run that wrote, and one after a run that wrote only its outcome
        result = run(recorded)
        assert (result["path"], result["reason"], result["result"]) == ("unchanged", None, "success")
        assert result["requests"]["netbox"] == UNCHANGED_SYNC_REQUESTS
        assert result["requests"]["status_record"] == RECORD_REQUESTS
        assert result["changed"] is False and result["hand_edits"] == []
        # The switches and servers, and the control node.
        assert result["summary"]["device"]["unchanged"] == 12 and h.write_ops(result) == {}
    logged = h.changes_since(vlab_nb, before)
    assert set(kind for _action, kind, _obj in logged) == {"virtualization.cluster", "extras.journalentry"}
    fields = _record(vlab_nb)["custom_fields"]
    assert fields["hedgehog_last_path"] == "unchanged"
    assert fields["hedgehog_status"] == "in_sync"


def test_another_fabrics_changes_are_none_of_its_business(vlab_nb, recorded, tmp_path):
    other = h.copy_fixture("vlab", tmp_path)
    result = h.recorded_sync(h.config_for(vlab_nb, other, fabric="other", site="OTHER", tenant="other"))
    assert result["result"] in ("success", "partial")
    assert h.api_count(vlab_nb, "dcim/devices", cf_hedgehog_fabric="other") == 12

    again = run(recorded)
    assert again["path"] == "unchanged" and again["hand_edits"] == []
    assert again["requests"]["netbox"] == UNCHANGED_SYNC_REQUESTS


# -- hand edits ---------------------------------------------------------------------------------


def test_a_hand_edit_by_another_user_is_repaired_and_named(vlab_nb, recorded, alice):
    lag = h.interface(vlab_nb, "leaf-02", "PortChannel1")
    server = h.api_list(vlab_nb, "dcim/devices", name="server-03", fields="id,description")[0]
    loopback_ip = h.api_list(vlab_nb, "ipam/ip-addresses", address="172.30.8.1/32", fields="id")[0]
    alice.patch("dcim/interfaces/%d" % lag["id"], {"description": "alice was here", "mtu": 1234})
    alice.patch("dcim/devices/%d" % server["id"], {"description": "moved by alice", "comments": "rack 7"})
    alice.delete("ipam/ip-addresses/%d" % loopback_ip["id"])

    result = run(recorded)

    assert (result["path"], result["result"]) == ("repair", "success")
    edits = dict((edit["object"], edit) for edit in result["hand_edits"])
    assert sorted(edits) == ["IP 172.30.8.1/32 on spine-02 Loopback1", "LAG leaf-02 PortChannel1", "device server-03"]
    # Only fields the sync manages count: the LAG's mtu and the device's comments are the person's own.
    assert [(e["action"], e["fields"], e["user"], e["outcome"]) for e in (
        edits["LAG leaf-02 PortChannel1"], edits["device server-03"], edits["IP 172.30.8.1/32 on spine-02 Loopback1"])
    ] == [("update", ["description"], "alice", "repaired"), ("update", ["description"], "alice", "repaired"),
          ("delete", [], "alice", "recreated")]
    for edit in edits.values():
        assert datetime.fromisoformat(edit["time"].replace("Z", "+00:00")) <= datetime.now(timezone.utc)
    assert result["applied"] == {"lag": {"update": 1}, "device": {"update": 1}, "ip_address": {"create": 1}}
    # Only the edited objects and what they refer to were read: a handful of requests, not a full read. The
    # deleted IP lives in the fabric's underlay VRF: one read names it for the IP's key, one finds it as desired.
    assert result["requests"]["netbox"] == {"GET": 17, "PATCH": 2, "POST": 1, "total": 20, "writes": 3}

    assert h.interface(vlab_nb, "leaf-02", "PortChannel1")["description"] == "server-01--eslag--leaf-01--leaf-02"
    assert h.interface(vlab_nb, "leaf-02", "PortChannel1")["mtu"] == 1234
    repaired = h.api_list(vlab_nb, "dcim/devices", name="server-03", fields="description,comments")[0]
    assert repaired == {"description": "S-03 Unbundled leaf-01", "comments": "rack 7"}
    ip = h.api_list(vlab_nb, "ipam/ip-addresses", address="172.30.8.1/32")[0]
    assert ip["assigned_object"]["name"] == "Loopback1" and ip["assigned_object"]["device"]["name"] == "spine-02"

    # The journal entry and status.yml's detail name them too.
    journal = h.api_list(vlab_nb, "extras/journal-entries", assigned_object_type="virtualization.cluster",
                         ordering="-id", limit=1)[0]["comments"]
    assert "Only the objects others edited were read and handled." in journal
    assert "- LAG leaf-02 PortChannel1: description changed by alice at " in journal
    assert "- IP 172.30.8.1/32 on spine-02 Loopback1: deleted by alice at " in journal
    row = fabric_status(h.client_for(recorded), [{"name": "vlab", "sync_interval": 300}])[0]
    lines = detail(row)
    assert "Last path:     repair" in lines
    assert "Hand edits:    3 found by the run of " in "\n".join(lines)
    assert any(line.strip().startswith("device server-03: description changed by alice at ")
               and line.endswith("(repaired)") for line in lines)

    after = run(recorded)
    assert after["path"] == "unchanged" and after["requests"]["netbox"] == UNCHANGED_SYNC_REQUESTS


def test_a_hand_edit_with_the_syncs_own_token_is_still_a_hand_edit(vlab_nb, recorded):
    """Someone who runs the sync with their own token edits by hand with it too: requests tell them apart."""
    own = h.other_user(vlab_nb, None)  # the admin's own token, as the sync uses it
    server = h.api_list(vlab_nb, "dcim/devices", name="server-05", fields="id")[0]
    own.patch("dcim/devices/%d" % server["id"], {"serial": "BY-HAND"})

    result = run(recorded)

    assert result["path"] == "repair"
    assert [(e["object"], e["fields"], e["user"], e["outcome"]) for e in result["hand_edits"]] == [
        ("device server-05", ["serial"], "admin", "repaired")]
    assert h.api_list(vlab_nb, "dcim/devices", id=server["id"], fields="serial")[0]["serial"] == ""


def test_hand_edits_keep_leaves_the_edit_until_the_fabric_changes_that_field(vlab_nb, recorded, alice, kube):
    server = h.api_list(vlab_nb, "dcim/devices", name="server-03", fields="id")[0]
    alice.patch("dcim/devices/%d" % server["id"], {"description": "kept by policy"})

    kept = run(recorded, hand_edits="keep")

    # The policy is an option that changes the outcome: this run reconciles in full, and keeps the edit.
    assert (kept["path"], kept["reason"]) == ("full", "options changed: hand_edits")
    assert [(e["object"], e["outcome"]) for e in kept["hand_edits"]] == [("device server-03", "kept")]
    assert kept["summary"]["device"]["kept"] == 1 and h.write_ops(kept) == {}
    assert h.api_list(vlab_nb, "dcim/devices", id=server["id"], fields="description")[0]["description"] == \
        "kept by policy"
    forced = run(recorded, hand_edits="keep", full=True)
    assert forced["reason"] == "a full reconcile was asked for (full=true)"
    assert h.write_ops(forced) == {} and forced["hand_edits"] == []
    assert h.api_list(vlab_nb, "dcim/devices", id=server["id"], fields="description")[0]["description"] == \
        "kept by policy"

    source = h.standin_object(kube, "Server", "server-03")
    source["spec"]["description"] = "S-03 changed in the fabric"
    kube.store.put(source)
    changed = run(recorded, hand_edits="keep")
    assert (changed["path"], changed["reason"]) == ("full", "the fabric changed since the last run")
    assert h.write_ops(changed) == {"device": {"update": 1}}
    assert h.api_list(vlab_nb, "dcim/devices", id=server["id"], fields="description")[0]["description"] == \
        "S-03 changed in the fabric"


# -- every reason for a full reconcile, one by one ---------------------------------------------------


def test_a_pruned_change_log_reconciles_in_full(vlab_nb, recorded):
    mark = _record(vlab_nb)["custom_fields"]["hedgehog_sync_basis"]["mark"]
    # What NetBox's housekeeping does once changes are older than CHANGELOG_RETENTION days.
    vlab_nb.testbed.db.psql("DELETE FROM core_objectchange WHERE id <= %d" % mark, db="netbox")
    # Three reads more: the missing mark looked for, and the newest change for the next mark (twice, as the
    # pruned log holds no change of a watched type).
    _full_because(run(recorded), "NetBox's change log no longer holds change %d, where the last run left off "
                                 "(pruned after CHANGELOG_RETENTION days?)" % mark, gets=FULL_SYNC_GETS + 3)
    assert run(recorded)["path"] == "unchanged"


def test_a_changed_custom_field_reconciles_in_full(vlab_nb, recorded, alice):
    field = h.api_list(vlab_nb, "extras/custom-fields", name="hedgehog_asn", fields="id")[0]
    alice.patch("extras/custom-fields/%d" % field["id"], {"description": "edited by alice"})
    result = run(recorded)
    assert result["path"] == "full"
    assert result["reason"].startswith("extras.customfield ASN was updated by alice at ")


def test_a_changed_shared_object_the_fabric_uses_reconciles_in_full(vlab_nb, recorded, alice):
    role = h.api_list(vlab_nb, "dcim/device-roles", slug="spine", fields="id")[0]
    alice.patch("dcim/device-roles/%d" % role["id"], {"color": "000000"})
    result = run(recorded)
    assert result["path"] == "full"
    assert result["reason"].startswith("shared object dcim.devicerole Spine, which the fabric uses, was updated by "
                                       "alice at ")


def test_a_partial_last_run_reconciles_in_full(vlab_nb, recorded, kube):
    switch = h.standin_object(kube, "Switch", "leaf-03")
    good = h.standin_object(kube, "Switch", "leaf-03")
    switch["spec"]["asn"] = "not a number"
    kube.store.put(switch)
    broken = run(recorded)
    assert (broken["path"], broken["reason"], broken["result"]) == (
        "full", "the fabric changed since the last run", "partial")
    kube.store.put(good)
    _full_because(run(recorded), "the last run was partial")
    assert run(recorded)["path"] == "unchanged"


def test_changed_options_reconcile_in_full(recorded):
    _full_because(run(recorded, prune="mark", orphan_grace=3600), "options changed: orphan_grace, prune")
    assert run(recorded, prune="mark", orphan_grace=3600)["path"] == "unchanged"


def test_another_version_of_the_collection_reconciles_in_full(recorded, monkeypatch):
    monkeypatch.setattr(resync, "COLLECTION_VERSION", "9.9.9")
    _full_because(run(recorded), "the collection changed from %s to 9.9.9" % COLLECTION_VERSION)
    assert run(recorded)["path"] == "unchanged"


def test_full_resync_interval_reconciles_in_full(recorded):
    later = datetime.now(timezone.utc) + timedelta(days=1, minutes=1)
    result = RecordedRun(recorded, now=later).execute().as_dict()
    _full_because(result, "the last full reconcile was 24 h ago (full_resync_interval 86400 s)")
    _full_because(run(recorded, full_resync_interval=0), "every run reconciles in full (full_resync_interval 0)")


def test_full_true_reconciles_in_full(recorded):
    result = run(recorded, full=True)
    _full_because(result, "a full reconcile was asked for (full=true)")
    assert result["requests"]["netbox"]["writes"] == 0
    assert run(recorded)["path"] == "unchanged"
