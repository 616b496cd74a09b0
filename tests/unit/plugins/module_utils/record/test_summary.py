"""The record's one-line summary of a run: what moved, then the problems."""

import pytest

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.summary import run_summary, totals


@pytest.mark.parametrize("summary, warnings, expected", [
    ({"device": {"create": 11, "unchanged": 2}, "cable": {"create": 1, "update": 3}}, ["a", "b"],
     "12 created, 3 updated, 2 problems"),
    ({"device": {"unchanged": 20, "conflict": 1}}, ["device leaf-01: it is in conflict"], "no changes, 1 problem"),
    ({"device": {"unchanged": 20}}, [], "no changes"),
    ({}, [], "no changes"),
    ({"ip_address": {"delete": 2, "mark": 1, "release": 4}}, [], "2 deleted, 1 marked orphan, 4 released"),
])
def test_the_summary_names_what_moved_and_the_problems(summary, warnings, expected):
    assert run_summary(summary, len(warnings)) == expected


def test_totals_add_every_kind_and_ignore_what_does_not_write():
    assert totals({"device": {"create": 2, "conflict": 5}, "cable": {"create": 3, "blocked": 1}}) == {
        "create": 5, "update": 0, "delete": 0, "mark": 0, "release": 0}
