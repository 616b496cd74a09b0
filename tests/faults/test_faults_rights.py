"""NetBox tokens with too few rights, during a run that changes the fabric (a new server, an edited one, a removed
connection).

The tokens are real NetBox tokens, made through its REST API: a read-only
token of the admin user, and a token of a user whose permission allows
view, add and change on every object type but not delete. NetBox itself
answers 403; the fault proxy only passes the requests on and counts them.
"""

from __future__ import annotations

import secrets

from faults.conftest import (
    REFERENCE_CHANGES,
    TALLY,
    config,
    judged,
    last_error,
    make_change,
    named,
    record,
    recover,
    run,
    status,
)

from faults import snapshot
from integration import sync_helpers as h

PERMISSION_DENIED = "You do not have permission to perform this action"


# -- tokens -------------------------------------------------------------------------------------


def _post(nb, endpoint, body):
    response = nb.api.http_session.post(
        "%s/api/%s/" % (nb.url, endpoint), json=body,
        headers={"Authorization": "Token %s" % nb.token, "Accept": "application/json"})
    assert response.status_code == 201, (endpoint, response.status_code, response.text)
    return response.json()


def _token_of(nb, user_id, write_enabled=True):
    """A new v2 token of the user: NetBox shows its secret only in the answer that made it."""
    made = _post(nb, "users/tokens", {"user": user_id, "write_enabled": write_enabled,
                                      "description": "fault suite: a token with too few rights"})
    return "nbt_%s.%s" % (made["key"], made["token"])


def read_only_token(nb):
    admin = h.api_list(nb, "users/users", username=nb.username)[0]
    return _token_of(nb, admin["id"], write_enabled=False)


def no_delete_token(nb):
    """A token of a user that may view, add and change every object type, but delete none."""
    # NetBox's password rules want a numeral and both cases, which a random string may lack.
    user = _post(nb, "users/users", {"username": "sync-no-delete", "password": secrets.token_urlsafe(16) + "Aa1"})
    object_types = ["%s.%s" % (row["app_label"], row["model"]) for row in h.api_list(nb, "core/object-types")]
    _post(nb, "users/permissions", {"name": "sync without delete", "enabled": True, "object_types": object_types,
                                    "actions": ["view", "add", "change"], "users": [user["id"]]})
    return _token_of(nb, user["id"])


def refused(proxy, method=None, path=None):
    """The requests NetBox itself answered 403 (the proxy only passed them on)."""
    return [entry for entry in proxy.requests(method, path) if entry[2] == 403]


# -- judgements ----------------------------------------------------------------------------------


def held_deletions(reference_pair):
    """The keys the reference deleted: what a token that may not delete leaves in NetBox."""
    reference_before, reference_after = reference_pair
    return sorted(key for key in reference_before.rows if key not in reference_after.rows)


def judged_with_held_deletions(nb, before, reference_pair, held):
    """NetBox against the reference, but for ``held``: each is still there as before (same id, same fields), and
    what NetBox derives from them is as before too; anything else that differs is counted like any other case's."""
    after = snapshot.read(nb)
    expected = _with_held(reference_pair[1], before, held)
    unexplained = snapshot.judge(before, after, reference_pair[0], expected)
    for name, number in unexplained.counts().items():
        TALLY["clobbered" if name == "extra" else name] += number
    assert unexplained.clean, unexplained.explain()
    # Against the plain reference, the held objects are the only objects too many, and nothing is lost.
    verdict = snapshot.judge(before, after, *reference_pair)
    assert sorted(verdict.extra) == sorted("%s %s" % key for key in held), verdict.explain()
    assert verdict.lost == [] and verdict.duplicated == [], verdict.explain()
    return after


def _with_held(reference_after, before, held):
    """The reference with ``held`` not deleted, as NetBox shows that: their rows as before; the port at a held
    cable's far end still on that cable; a held port's device still counting it; the sync's tag counting them."""
    rows = dict(reference_after.rows)
    for key in held:
        rows[key] = before.rows[key]
    held_ids = set(before.rows[key]["id"] for key in held)
    for key, row in reference_after.rows.items():
        old = before.rows.get(key)
        if key[0] == "dcim/interfaces" and old and (old.get("cable") or {}).get("id") in held_ids:
            rows[key] = dict(row, cable=old["cable"], cable_end=old["cable_end"])
    for endpoint, name in held:
        if endpoint == "dcim/interfaces":
            device = ("dcim/devices", before.rows[(endpoint, name)]["device"]["name"])
            rows[device] = dict(rows[device], interface_count=rows[device]["interface_count"] + 1)
    tag = ("extras/tags", "hedgehog-sync")
    rows[tag] = dict(rows[tag], tagged_items=rows[tag]["tagged_items"] + len(held))
    return snapshot.Reading(rows=rows)


# -- small lookups ---------------------------------------------------------------------------------


def anchor_id(nb):
    """The id of the fabric's record (its cluster)."""
    return h.api_list(nb, "virtualization/clusters", name="vlab")[0]["id"]


def cable_key(reading, end):
    """The snapshot key of the one cable with ``end`` among its ends."""
    found = [key for endpoint, key in reading.rows if endpoint == "dcim/cables" and end in key]
    assert len(found) == 1, found
    return found[0]


# -- the cases ------------------------------------------------------------------------------------


def test_a_read_only_token_takes_no_lease_writes_nothing_and_says_so(case, nb, kube, proxy, reference):
    """A token with ``write_enabled: false``: the first write is the lease on the fabric's record, and NetBox refuses
    it; the run fails naming that, leaves no lease, and the next run with a full token makes the change."""
    before = snapshot.read(nb)
    record_before = record(nb)
    token = read_only_token(nb)
    changes_before = h.change_count(nb)
    make_change(kube)
    outcome = run(config(nb, kube, via=proxy, token=token))
    lease_refusals = refused(proxy, "PATCH", r"^/api/virtualization/clusters/\d+/$")
    # The lease, then the outcome of the failed run: both refused by NetBox; nothing else was written.
    assert len(lease_refusals) == 2, proxy.log
    assert [entry for entry in proxy.log if entry[0] != "GET" and entry[2] != 403] == [], proxy.log
    assert outcome.error is not None and outcome.error.status == 403, outcome
    named(outcome, "fabric vlab: cannot take the run's lease: NetBox refused to write the fabric's record",
          "HTTP 403", "PATCH virtualization/clusters/%d" % anchor_id(nb), PERMISSION_DENIED,
          "the token must be write-enabled", "nothing of the fabric was written", secret=token)
    assert any(w.startswith("the fabric's record could not be written: fabric vlab: NetBox refused the token "
                            "(HTTP 403)") for w in outcome.warnings), outcome.warnings
    # Nothing written at all: the record as it was (no lease), NetBox's change log as it was.
    assert record(nb) == record_before
    assert record_before["hedgehog_lease"] is None
    assert h.change_count(nb) == changes_before
    assert status(nb) != "syncing"
    judged(nb, before, (before, before))
    recover(nb, kube, expect_changes=REFERENCE_CHANGES)
    judged(nb, before, reference)


def test_a_token_that_may_not_delete_holds_the_deletions_for_the_next_run(case, nb, kube, proxy, reference):
    """A user that may view, add and change but not delete: the creates and updates land, each deletion is refused
    by NetBox and held as NetBox has it (the run is partial, naming them); the next run with a full token deletes
    exactly those."""
    held = held_deletions(reference)
    assert held == [("dcim/cables", cable_key(reference[0], "server-03/enp2s1")),
                    ("dcim/interfaces", "server-03/enp2s1")], held
    before = snapshot.read(nb)
    token = no_delete_token(nb)
    make_change(kube)
    outcome = run(config(nb, kube, via=proxy, token=token))
    # NetBox refused one bulk DELETE per kind (not split: it would refuse every part alike) and accepted every
    # other write, the lease and the outcome on the record included.
    assert [entry[:2] for entry in refused(proxy)] == [
        ("DELETE", "/api/dcim/cables/"), ("DELETE", "/api/dcim/interfaces/")], proxy.log
    assert len(proxy.requests("DELETE")) == 2, proxy.log
    assert outcome.result is not None and outcome.result["result"] == "partial", outcome
    assert outcome.result["applied"] == {"device": {"create": 1, "update": 1}, "interface": {"create": 1, "update": 1},
                                         "cable": {"create": 1}}, outcome.result["applied"]
    problems = outcome.result["problems"]
    assert [(p["kind"], p["name"]) for p in problems] == [
        ("cable", "cable leaf-01/E1/3-server-03/enp2s1"), ("interface", "interface server-03/enp2s1")], problems
    # What the module shows as warnings: the notice of plain HTTP, then the two held deletions.
    assert outcome.result["warnings"][1:] == ["%s: %s" % (p["name"], p["cause"]) for p in problems], outcome
    for problem, endpoint in zip(problems, ("dcim/cables", "dcim/interfaces")):
        named(problem["cause"], "NetBox refused to delete it with fabric vlab's token (HTTP 403 at %s: %s)"
              % (endpoint, PERMISSION_DENIED), "the token needs the delete permission there",
              "held until a run whose token has it", secret=token)
    fields = record(nb)
    assert fields["hedgehog_lease"] is None
    assert fields["hedgehog_last_result"] == "partial" and fields["hedgehog_problem_count"] == 2
    assert "HTTP 403 at dcim/cables" in last_error(fields) and "HTTP 403 at dcim/interfaces" in last_error(fields)
    assert status(nb) != "syncing"
    after = judged_with_held_deletions(nb, before, reference, held)
    for key in held:
        assert after.rows[key] == before.rows[key], key
    recover(nb, kube, expect_changes={"cable": {"delete": 1}, "interface": {"delete": 1}})
    judged(nb, before, reference)
