"""Ownership: what the sync did not make it leaves alone, unless told to adopt it; fabrics never touch each other."""

from __future__ import annotations

import dataclasses

import sync_helpers as h
from testbed import generator

# A second fabric in the same site: other names, other subnets.
OTHER_FABRIC = generator.FabricSpec(
    name_prefix="b-", mgmt_subnet="172.31.0.0/21", protocol_subnet="172.31.8.0/22", vtep_subnet="172.31.12.0/22",
    fabric_subnet="172.31.128.0/17", ipv4_subnet="10.1.0.0/16")


def _hand_made_leaf(nb):
    """A leaf-01 someone made by hand in the fabric's site before the first sync."""
    api = nb.api
    site = api.dcim.sites.create(name=h.VLAB_SITE, slug="vlab", status="active")
    maker = api.dcim.manufacturers.create(name="Acme", slug="acme")
    model = api.dcim.device_types.create(manufacturer=maker.id, model="Acme 48", slug="acme-48")
    role = api.dcim.device_roles.create(name="Hand made", slug="hand-made", color="aaaaaa")
    tag = api.extras.tags.create(name="racked-by-ops", slug="racked-by-ops")
    device = api.dcim.devices.create(name="leaf-01", site=site.id, device_type=model.id, role=role.id,
                                     status="planned", serial="HAND-1", description="racked by hand",
                                     tags=[tag.id])
    return device.id, tag.id


def _device(nb, device_id):
    return h.api_get(nb, "dcim/devices/%d" % device_id)


def _untouched(nb, device_id, before):
    """Same record as ``before``; custom fields the sync created since show up empty."""
    now = _device(nb, device_id)
    assert set(now["custom_fields"].values()) <= {None}
    assert dict(now, custom_fields={}) == dict(before, custom_fields={})


def test_a_hand_made_device_is_a_conflict_left_untouched_and_adopted_only_with_adopt(fresh_netbox):
    nb = fresh_netbox
    leaf_id, tag_id = _hand_made_leaf(nb)
    before = _device(nb, leaf_id)

    result, _run = h.sync(h.config_for(nb, h.VLAB))

    assert result["result"] == "partial"
    assert result["summary"]["device"]["conflict"] == 1
    assert result["summary"]["device"]["create"] == 11
    conflict = [p for p in result["problems"] if p["name"] == "device leaf-01"]
    assert len(conflict) == 1
    assert "not owned by fabric vlab" in conflict[0]["cause"] and "adopt" in conflict[0]["cause"]
    assert any(w.startswith("device leaf-01: ") for w in result["warnings"])
    _untouched(nb, leaf_id, before)
    # What hangs off leaf-01 waits for it, with the reason; the rest of the fabric landed.
    assert result["summary"]["cable"]["blocked"] == 7
    assert result["summary"]["cable"]["create"] == 22 - 7
    blocked = [p for p in result["problems"] if p["name"].startswith("IP 172.30.0.8/21")]
    assert blocked and "leaf-01" in blocked[0]["cause"]
    assert h.owned_counts(nb, "vlab")["device"] == 11
    assert h.api_count(nb, "dcim/interfaces", device_id=leaf_id) == 0

    # Still a conflict on the next run, and still no write to it (or anything else).
    again, _run = h.sync(h.config_for(nb, h.VLAB))
    assert again["summary"]["device"]["conflict"] == 1
    assert again["requests"]["netbox"]["writes"] == 0
    _untouched(nb, leaf_id, before)

    adopted, _run = h.sync(h.config_for(nb, h.VLAB, adopt=True))

    assert adopted["result"] == "success", adopted["warnings"]
    assert adopted["summary"]["device"]["update"] == 1
    assert adopted["summary"]["device"]["conflict"] == 0
    leaf = _device(nb, leaf_id)
    assert leaf["id"] == leaf_id
    assert leaf["custom_fields"]["hedgehog_fabric"] == "vlab"
    # Tags merge: ours (the sync's mark and its SwitchGroup's) added, the hand-made one kept.
    assert sorted(t["slug"] for t in leaf["tags"]) == ["hedgehog-switchgroup-eslag-1", "hedgehog-sync", "racked-by-ops"]
    assert leaf["device_type"]["slug"] == "vs"
    assert leaf["primary_ip4"]["address"] == "172.30.0.8/21"
    assert h.owned_counts(nb, "vlab")["cable"] == 22
    label, ends = h.cable_ends(nb, h.interface(nb, "leaf-01", "E1/1")["cable"]["id"])
    assert (label, ends) == ("server-01--eslag--leaf-01--leaf-02", [("leaf-01", "E1/1"), ("server-01", "enp2s1")])

    settled, _run = h.sync(h.config_for(nb, h.VLAB))
    assert settled["requests"]["netbox"]["writes"] == 0, h.write_ops(settled)
    assert tag_id in [t["id"] for t in _device(nb, leaf_id)["tags"]]


def test_foreign_tags_and_unowned_neighbours_survive_syncs(vlab_nb, kube_standin_factory):
    nb = vlab_nb
    api = nb.api
    tag = api.extras.tags.create(name="monitored", slug="monitored")
    spine = api.dcim.devices.get(name="spine-01")
    spine.tags = [t.id for t in spine.tags] + [tag.id]
    spine.description = "edited by hand"
    spine.save()
    site = api.dcim.sites.get(slug="vlab")
    pdu = api.dcim.devices.create(name="pdu-01", site=site.id, device_type=spine.device_type.id,
                                  role=spine.role.id, status="active")
    note_ip = api.ipam.ip_addresses.create(address="172.30.0.200/21", description="jump host")

    kube = kube_standin_factory([h.VLAB])
    # A run that also deletes (a server left) must not take the neighbours with it.
    h.standin_delete(kube, "VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01")
    h.standin_delete(kube, "Connection", "server-03--unbundled--leaf-01")
    h.standin_delete(kube, "Server", "server-03")
    result, _run = h.sync(h.config_for(nb, kube))

    assert result["summary"]["device"]["delete"] == 1
    # The owned field goes back to the fabric's value; the foreign tag stays.
    assert result["summary"]["device"]["update"] == 1
    spine_now = h.api_get(nb, "dcim/devices/%d" % spine.id)
    assert spine_now["description"] == "VS-04"
    assert sorted(t["slug"] for t in spine_now["tags"]) == ["hedgehog-sync", "monitored"]
    assert h.api_get(nb, "dcim/devices/%d" % pdu.id)["name"] == "pdu-01"
    assert h.api_get(nb, "ipam/ip-addresses/%d" % note_ip.id)["description"] == "jump host"

    again, _run = h.sync(h.config_for(nb, kube))
    assert again["requests"]["netbox"]["writes"] == 0


def _other_fabric(tmp_path, **changes):
    directory = tmp_path / "vlab2"
    generator.write_fabric(generator.generate_fabric(dataclasses.replace(OTHER_FABRIC, **changes)), directory)
    return directory


def test_two_fabrics_in_one_site_never_touch_each_other(vlab_nb, tmp_path):
    nb = vlab_nb
    other = _other_fabric(tmp_path)
    vlab_before = h.state_of(nb, fabric="vlab", endpoints=list(h.OWNED_ENDPOINTS.values()))
    vlab_counts = h.owned_counts(nb, "vlab")

    first, _run = h.sync(h.config_for(nb, other, fabric="vlab2"))

    assert first["result"] == "success", first["warnings"]
    assert first["summary"]["device"]["create"] == 12
    assert first["summary"]["device"]["delete"] == 0
    assert h.state_of(nb, fabric="vlab", endpoints=list(h.OWNED_ENDPOINTS.values())) == vlab_before
    assert h.owned_counts(nb, "vlab2") == dict(vlab_counts)
    devices = h.api_list(nb, "dcim/devices", site="vlab", fields="name,cluster")
    assert len(devices) == 24
    assert set(d["cluster"]["name"] for d in devices if d["name"].startswith("b-")) == {"vlab2"}
    other_before = h.state_of(nb, fabric="vlab2", endpoints=list(h.OWNED_ENDPOINTS.values()))

    # Re-syncs of each: nothing to do, nothing written, nothing of the other touched.
    for fabric, source in (("vlab", h.VLAB), ("vlab2", other)):
        before_log = h.change_count(nb)
        again, _run = h.sync(h.config_for(nb, source, fabric=fabric))
        assert again["changed"] is False, (fabric, h.write_ops(again))
        assert again["requests"]["netbox"]["writes"] == 0
        assert h.change_count(nb) == before_log
    assert h.state_of(nb, fabric="vlab", endpoints=list(h.OWNED_ENDPOINTS.values())) == vlab_before
    assert h.state_of(nb, fabric="vlab2", endpoints=list(h.OWNED_ENDPOINTS.values())) == other_before

    # A fabric that shrinks deletes only its own objects.
    smaller = _other_fabric(tmp_path / "smaller", servers_per_leaf=1)
    shrunk, _run = h.sync(h.config_for(nb, smaller, fabric="vlab2", max_delete_ratio=0.9))
    # Its 3 leaves had 2 servers each, now 1: 3 servers go.
    assert shrunk["summary"]["device"]["delete"] == 3
    assert h.state_of(nb, fabric="vlab", endpoints=list(h.OWNED_ENDPOINTS.values())) == vlab_before


def test_a_fabric_never_takes_another_fabrics_objects_even_with_adopt(vlab_nb):
    """The same wiring under another fabric name, in the same site: every collision is a conflict."""
    nb = vlab_nb
    vlab_before = h.state_of(nb, fabric="vlab", endpoints=list(h.OWNED_ENDPOINTS.values()))

    result, _run = h.sync(h.config_for(nb, h.VLAB, fabric="vlab-copy", adopt=True))

    assert result["result"] == "partial"
    assert result["summary"]["device"]["conflict"] == 12
    assert result["summary"]["device"]["create"] == 0
    causes = set(p["cause"] for p in result["problems"] if p["name"].startswith("device "))
    assert causes == {"it belongs to fabric vlab"}
    assert h.state_of(nb, fabric="vlab", endpoints=list(h.OWNED_ENDPOINTS.values())) == vlab_before


def _slugs(row):
    return sorted(t["slug"] for t in row["tags"])


def test_template_ports_stay_the_same_ports_when_their_lag_goes(vlab_nb, kube_standin_factory):
    """A switch port NetBox made from the device type's template belongs to the fabric through its device (no
    marker or tag of its own; it carries the speed the switch runs and the state its agent reports); when its
    LAG goes it leaves the LAG as the same port, never made again, and the LAG is deleted."""
    nb = vlab_nb
    members = dict((name, h.interface(nb, "leaf-02", name)) for name in ("E1/3", "E1/4"))
    for port in members.values():
        assert (port["custom_fields"]["hedgehog_fabric"], _slugs(port), port["lag"]["name"]) == (
            None, [], "PortChannel3")
    unused = h.interface(nb, "leaf-02", "E1/40")
    assert (unused["custom_fields"]["hedgehog_fabric"], unused["lag"]) == (None, None)

    kube = kube_standin_factory([h.VLAB])
    h.standin_delete(kube, "VPCAttachment", "server-04--bundled--leaf-02--vpc-04--subnet-01")
    h.standin_delete(kube, "Connection", "server-04--bundled--leaf-02")
    h.standin_delete(kube, "Server", "server-04")
    result, _run = h.sync(h.config_for(nb, kube))

    assert result["result"] == "success"
    for name, before in members.items():
        after = h.interface(nb, "leaf-02", name)
        assert after["id"] == before["id"]
        assert (after["custom_fields"]["hedgehog_fabric"], after["lag"]) == (None, None), name
        assert (after["description"], after["type"]["value"]) == (before["description"], before["type"]["value"])
    assert h.api_list(nb, "dcim/interfaces", device="leaf-02", name="PortChannel3") == []
    again, _run = h.sync(h.config_for(nb, kube))
    assert again["requests"]["netbox"]["writes"] == 0


def _edit_by_hand(nb, endpoint, lookup, fields):
    (row,) = h.api_list(nb, endpoint, fields="id", **lookup)
    response = nb.api.http_session.patch("%s/api/%s/%d/" % (nb.url, endpoint, row["id"]), json=fields,
                                         headers={"Authorization": "Token %s" % nb.token})
    response.raise_for_status()
    return row["id"]


def _value(row, field):
    value = row[field]
    return value["value"] if isinstance(value, dict) and "value" in value else value


def test_shared_objects_are_made_when_missing_and_never_updated(vlab_nb):
    """Hand edits of the site, manufacturer, platform, role, device type, its templates, the RIR, the ASNs
    and the cluster type stay: they are everyone's, the sync only makes them when they are missing."""
    nb = vlab_nb
    vs_type = h.api_list(nb, "dcim/device-types", slug="vs")[0]["id"]
    edits = [
        ("dcim/sites", {"slug": "vlab"}, {"status": "planned"}),
        ("dcim/manufacturers", {"slug": "hedgehog"}, {"name": "Hedgehog (by hand)"}),
        ("dcim/platforms", {"slug": "sonic-bcm-vs"}, {"name": "SONiC VS (by hand)"}),
        ("dcim/device-roles", {"slug": "server-leaf"}, {"color": "123456"}),
        ("dcim/device-types", {"slug": "vs"}, {"u_height": 2}),
        ("dcim/interface-templates", {"device_type_id": vs_type, "name": "E1/1"}, {"description": "by hand"}),
        ("ipam/rirs", {}, {"is_private": False}),
        ("ipam/asns", {"asn": 65101}, {"description": "by hand"}),
        ("virtualization/cluster-types", {"slug": "hedgehog-fabric"}, {"name": "Fabric (by hand)"}),
    ]
    edited = [(endpoint, _edit_by_hand(nb, endpoint, lookup, fields), fields) for endpoint, lookup, fields in edits]
    before_log = h.change_count(nb)

    result, _run = h.sync(h.config_for(nb, h.VLAB))

    assert result["result"] == "success", result["warnings"]
    assert h.write_ops(result) == {}
    assert h.change_count(nb) == before_log
    for endpoint, row_id, fields in edited:
        row = h.api_get(nb, "%s/%d" % (endpoint, row_id))
        assert dict((field, _value(row, field)) for field in fields) == fields, endpoint


def test_a_tenant_goes_on_every_device_and_vrf_and_comes_off_again(vlab_nb):
    nb = vlab_nb
    with_tenant, _run = h.sync(h.config_for(nb, h.VLAB, tenant="Network Ops"))

    assert with_tenant["result"] == "success", with_tenant["warnings"]
    (tenant,) = h.api_list(nb, "tenancy/tenants")
    assert (tenant["name"], tenant["slug"]) == ("Network Ops", "network-ops")
    devices = h.api_list(nb, "dcim/devices", cf_hedgehog_fabric="vlab")
    vrfs = h.api_list(nb, "ipam/vrfs", cf_hedgehog_fabric="vlab")
    assert (len(devices), len(vrfs)) == (12, 8)
    assert set(row["tenant"]["slug"] for row in devices + vrfs) == {"network-ops"}
    again, _run = h.sync(h.config_for(nb, h.VLAB, tenant="Network Ops"))
    assert again["requests"]["netbox"]["writes"] == 0

    without, _run = h.sync(h.config_for(nb, h.VLAB))

    assert h.write_ops(without) == {"device": {"update": 12}, "vrf": {"update": 8}}
    assert [row["tenant"] for row in h.api_list(nb, "dcim/devices", cf_hedgehog_fabric="vlab")] == [None] * 12
    # The tenant is shared: it stays.
    assert [row["slug"] for row in h.api_list(nb, "tenancy/tenants")] == ["network-ops"]
