"""The generated switch profile data is what scripts/switch-profiles writes, and nothing typed by hand.

Without the fabric source the data is checked against its own digest and
re-rendered byte for byte; with ``HHNBS_FABRIC_SRC`` (a clone of
githedgehog/fabric that holds the pinned tags, or a directory of ``<tag>/``
source trees) it is regenerated from the source and compared byte for byte.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from switchprofiles import generate
from switchprofiles.render import digest_of, render
from switchprofiles.upstream import PINS, Pin, trees_for

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import profile_catalog
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.profile_catalog import (
    DIGEST,
    ORIGINS,
    PROFILES,
    SOURCES,
)

CATALOG_FILE = Path(profile_catalog.__file__)
FABRIC_SOURCE = os.environ.get("HHNBS_FABRIC_SRC", "")


def committed_text():
    return CATALOG_FILE.read_text(encoding="utf-8")


def test_the_digest_is_the_one_of_the_data():
    assert digest_of(SOURCES, ORIGINS, PROFILES) == DIGEST


def test_a_hand_edit_of_the_data_changes_the_digest():
    edited = copy.deepcopy(PROFILES)
    edited["celestica-ds3000"]["spec"]["ports"]["E1/1"]["baseNOSName"] = "Ethernet1"
    assert digest_of(SOURCES, ORIGINS, edited) != DIGEST
    assert digest_of(SOURCES, dict(ORIGINS, vs="v0.58.0"), PROFILES) != DIGEST


def test_the_module_is_exactly_what_the_script_writes_for_its_data():
    pins = [Pin(release=s["release"], tag=s["tag"], commit=s["commit"]) for s in SOURCES]
    assert render(pins, PROFILES, ORIGINS) == committed_text()


def test_the_data_is_read_from_the_tags_the_script_pins():
    assert [(s["release"], s["tag"], s["commit"]) for s in SOURCES] == [tuple(pin) for pin in PINS]
    assert set(ORIGINS) == set(PROFILES)
    assert set(ORIGINS.values()) <= set(pin.tag for pin in PINS)


def test_the_header_names_the_newest_tag_and_commit():
    newest = PINS[-1]
    assert "from githedgehog/fabric %s (%s)" % (newest.tag, newest.commit) in committed_text().splitlines()[3]


def test_no_line_is_longer_than_the_repository_allows():
    assert max(len(line) for line in committed_text().splitlines()) <= 120


@pytest.mark.skipif(not FABRIC_SOURCE, reason="HHNBS_FABRIC_SRC names no githedgehog/fabric source")
def test_regenerating_from_the_fabric_source_gives_the_committed_module():
    assert generate(trees_for(FABRIC_SOURCE)) == committed_text()
