"""The test bed's NetBox is a real one: HTTP CRUD, both token versions, auth errors, reset, bulk."""

from __future__ import annotations

import pynetbox
import pytest
import requests


def _get(url: str, path: str, auth: str | None) -> requests.Response:
    headers = {"Accept": "application/json"}
    if auth:
        headers["Authorization"] = auth
    return requests.get(url + path, headers=headers, timeout=30)


def _device_prerequisites(api, suffix: str):
    site = api.dcim.sites.create(name="site-" + suffix, slug="site-" + suffix, status="active")
    maker = api.dcim.manufacturers.create(name="Maker " + suffix, slug="maker-" + suffix)
    dtype = api.dcim.device_types.create(manufacturer=maker.id, model="Model " + suffix, slug="model-" + suffix)
    role = api.dcim.device_roles.create(name="Role " + suffix, slug="role-" + suffix, color="00ff00")
    return site, maker, dtype, role


def test_pynetbox_creates_and_reads_back_a_device(netbox):
    site, maker, dtype, role = _device_prerequisites(netbox.api, "crud")
    device = netbox.api.dcim.devices.create(
        name="leaf-01", device_type=dtype.id, role=role.id, site=site.id, status="active", serial="SN-1"
    )

    got = netbox.api.dcim.devices.get(device.id)
    assert got.name == "leaf-01"
    assert got.serial == "SN-1"
    assert got.site.id == site.id
    assert got.device_type.id == dtype.id
    assert got.device_type.manufacturer.id == maker.id
    assert got.role.id == role.id
    assert [d.name for d in netbox.api.dcim.devices.filter(site_id=site.id)] == ["leaf-01"]


def test_status_reports_the_expected_netbox(netbox):
    status = netbox.api.status()
    assert status["netbox-version"] == netbox.testbed.settings.netbox_version


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_both_token_versions_authenticate(netbox, version):
    auth = "Token " + netbox.token if version == "v1" else "Bearer " + netbox.token_v2
    assert _get(netbox.url, "/api/status/", auth).status_code == 200
    # A write too: a read-only token would pass the status check.
    api = netbox.api_with(netbox.token if version == "v1" else netbox.token_v2)
    tag = api.extras.tags.create(name="token-" + version, slug="token-" + version)
    assert tag.id


def test_v2_token_has_the_nbt_form(netbox):
    key, dot, secret = netbox.token_v2.removeprefix("nbt_").partition(".")
    assert netbox.token_v2.startswith("nbt_") and dot == "."
    assert len(key) == 12 and len(secret) == 40
    assert len(netbox.token) == 40 and int(netbox.token, 16) >= 0


@pytest.mark.parametrize(
    "auth",
    [
        "Token " + "0" * 40,
        "Bearer nbt_aaaaaaaaaaaa." + "b" * 40,
    ],
    ids=["bad-v1", "bad-v2"],
)
def test_a_bad_token_is_refused(netbox, auth):
    assert _get(netbox.url, "/api/status/", auth).status_code == 403


def test_a_bad_token_raises_in_pynetbox(netbox):
    api = netbox.api_with("1" * 40)
    with pytest.raises(pynetbox.RequestError) as excinfo:
        api.dcim.sites.count()
    assert excinfo.value.req.status_code == 403


def test_bulk_post_creates_several_objects_in_one_request(netbox):
    body = [{"name": "bulk-%d" % i, "slug": "bulk-%d" % i} for i in range(5)]
    response = requests.post(
        netbox.url + "/api/dcim/sites/",
        json=body,
        headers={"Authorization": "Token " + netbox.token, "Accept": "application/json"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert [s["name"] for s in created] == [b["name"] for b in body]
    assert all(isinstance(s["id"], int) for s in created)
    assert len(list(netbox.api.dcim.sites.filter(name__isw="bulk-"))) == 5


def test_pynetbox_bulk_create_of_a_list(netbox):
    created = netbox.api.dcim.manufacturers.create([{"name": "Bulk %d" % i, "slug": "bulk-%d" % i} for i in range(3)])
    assert sorted(m.name for m in created) == ["Bulk 0", "Bulk 1", "Bulk 2"]


def test_reset_gives_an_empty_database(fresh_netbox):
    api = fresh_netbox.api
    _device_prerequisites(api, "reset")
    assert api.dcim.sites.count() == 1

    fresh_netbox.testbed.reset()

    assert api.dcim.sites.count() == 0
    assert api.dcim.manufacturers.count() == 0
    assert api.extras.tags.count() == 0
    # The admin and both tokens come with every clone.
    assert [u.username for u in api.users.users.all()] == [fresh_netbox.username]
    assert _get(fresh_netbox.url, "/api/status/", "Bearer " + fresh_netbox.token_v2).status_code == 200
    # And nothing in the change log: what the fixtures take for an empty NetBox.
    assert fresh_netbox.change_mark() == (0, None)
