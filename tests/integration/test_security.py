"""What the collection trusts and what it refuses, against the real NetBox.

The NetBox token goes to the configured NetBox only, whatever its answers say; objects the
fabric does not own are never changed or deleted, not even as a side effect; and a
connection that is not private and verified is said out loud, or refused.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import yaml

import sync_helpers as h

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import ConfigError, ConflictError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient

PAGE = 40


class _Recorder(BaseHTTPRequestHandler):
    """A host that must never be asked anything: it records each request's path and headers."""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.seen.append((self.path, dict(self.headers)))
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args):
        pass


class _Proxy(BaseHTTPRequestHandler):
    """NetBox behind a reverse proxy that pages at PAGE rows and rewrites ``next`` to another host."""

    def do_GET(self):  # noqa: N802
        parts = urlsplit(self.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if query.get("limit") in ("0", None):
            query["limit"] = str(PAGE)
        request = urllib.request.Request(self.server.upstream + parts.path + "?" + urlencode(query),
                                         headers={"Authorization": self.headers["Authorization"],
                                                  "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, body = answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            status, body = exc.code, json.loads(exc.read() or b"{}")
        if isinstance(body, dict) and body.get("next"):
            moved = urlsplit(body["next"])
            body["next"] = urlunsplit(("http", self.server.elsewhere, moved.path, moved.query, ""))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def _serve(handler, **attributes):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(server, name, value)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_next_link_to_another_host_never_gets_the_token(vlab_nb):
    nb = vlab_nb
    recorder = _serve(_Recorder, seen=[])
    proxy = _serve(_Proxy, upstream=nb.url, elsewhere="127.0.0.1:%d" % recorder.server_port)
    try:
        client = NetBoxClient("http://127.0.0.1:%d" % proxy.server_port, nb.token, fabric="vlab")
        # Every port of the fabric's site (most of them belong to the fabric through their device, unmarked).
        ports = client.list("dcim/interfaces", {"site": "vlab"}, ("id", "name"))
    finally:
        proxy.shutdown()
        recorder.shutdown()
    assert recorder.seen == []
    assert len(ports) == h.api_count(nb, "dcim/interfaces", site="vlab")
    assert len(ports) > 2 * PAGE  # it really paged
    # Every page and nothing else: the version comes with the first answer, not from a status read.
    assert client.request_counts()["GET"] == -(-len(ports) // PAGE)


def test_an_unowned_cluster_of_the_fabrics_name_is_left_alone(fresh_netbox):
    nb = fresh_netbox
    api = nb.api
    kind = api.virtualization.cluster_types.create(name="Lab", slug="lab")
    cluster = api.virtualization.clusters.create(name="vlab", type=kind.id, status="active")
    before = h.api_get(nb, "virtualization/clusters/%d" % cluster.id)
    changes = h.change_count(nb)

    with pytest.raises(ConflictError) as caught:
        h.recorded_sync(h.config_for(nb, h.VLAB))

    assert str(caught.value) == (
        "fabric vlab: NetBox already has a cluster named vlab (id %d) that is not this fabric's record (it carries "
        "no hedgehog_fabric marker of vlab); it is left alone and nothing was written: rename it, or give the "
        "fabric another name" % cluster.id)
    assert h.change_count(nb) == changes
    assert h.api_get(nb, "virtualization/clusters/%d" % cluster.id) == before


def test_an_unowned_address_on_an_owned_port_holds_the_ports_deletion(vlab_nb, kube_standin_factory):
    nb = vlab_nb
    port = h.interface(nb, "server-03", "enp2s1")
    mine = nb.api.ipam.ip_addresses.create(address="192.0.2.10/24", description="out-of-band by hand",
                                           assigned_object_type="dcim.interface", assigned_object_id=port["id"])
    kube = kube_standin_factory([h.VLAB])
    for kind, name in (("VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01"),
                       ("Connection", "server-03--unbundled--leaf-01"), ("Server", "server-03")):
        h.standin_delete(kube, kind, name)

    result, _run = h.sync(h.config_for(nb, kube))

    assert result["summary"]["device"]["delete"] == 0
    assert result["summary"]["device"]["kept"] == 1
    assert result["result"] == "partial"
    problem = next(p for p in result["problems"] if p["name"] == "device server-03")
    assert problem["cause"] == ("not deleted: NetBox would delete 1 object(s) the fabric does not own with it (IP "
                                "192.0.2.10/24 on enp2s1); move or remove them and the next run deletes it")
    assert h.api_get(nb, "ipam/ip-addresses/%d" % mine.id)["description"] == "out-of-band by hand"
    assert h.api_count(nb, "dcim/devices", name="server-03") == 1

    mine.delete()
    later, _run = h.sync(h.config_for(nb, kube))
    assert later["summary"]["device"]["delete"] == 1
    assert h.api_count(nb, "dcim/devices", name="server-03") == 0


def test_adopt_is_per_kind_and_an_adopted_object_is_given_back_not_deleted(fresh_netbox, kube_standin_factory):
    nb = fresh_netbox
    api = nb.api
    site = api.dcim.sites.create(name=h.VLAB_SITE, slug="vlab", status="active")
    maker = api.dcim.manufacturers.create(name="Acme", slug="acme")
    model = api.dcim.device_types.create(manufacturer=maker.id, model="Acme 48", slug="acme-48")
    role = api.dcim.device_roles.create(name="Hand made", slug="hand-made", color="aaaaaa")
    server = api.dcim.devices.create(name="server-03", site=site.id, device_type=model.id, role=role.id,
                                     status="active", serial="HAND-3", comments="racked by ops")

    only_cables, _run = h.sync(h.config_for(nb, h.VLAB, adopt=["cable"]))
    assert only_cables["summary"]["device"]["conflict"] == 1

    adopted, _run = h.sync(h.config_for(nb, h.VLAB, adopt=["device"]))
    assert adopted["summary"]["device"]["conflict"] == 0
    row = h.api_get(nb, "dcim/devices/%d" % server.id)
    assert (row["custom_fields"]["hedgehog_fabric"], row["custom_fields"]["hedgehog_adopted"]) == ("vlab", True)

    kube = kube_standin_factory([h.VLAB])
    for kind, name in (("VPCAttachment", "server-03--unbundled--leaf-01--vpc-03--subnet-01"),
                       ("Connection", "server-03--unbundled--leaf-01"), ("Server", "server-03")):
        h.standin_delete(kube, kind, name)
    left, _run = h.sync(h.config_for(nb, kube, adopt=["device"]))
    assert left["summary"]["device"]["release"] == 1 and left["summary"]["device"]["delete"] == 0
    row = h.api_get(nb, "dcim/devices/%d" % server.id)
    assert (row["custom_fields"]["hedgehog_fabric"], row["custom_fields"]["hedgehog_adopted"]) == (None, None)
    # What the fabric did not manage stays as it was; the device keeps its id.
    assert row["comments"] == "racked by ops"
    assert [t["slug"] for t in row["tags"]] == []


def test_templates_are_added_only_to_device_types_the_sync_made(fresh_netbox):
    nb = fresh_netbox
    api = nb.api
    maker = api.dcim.manufacturers.create(name="Hedgehog", slug="hedgehog")
    shared = api.dcim.device_types.create(manufacturer=maker.id, model="VS by the inventory team", slug="vs")
    templates_before = h.api_count(nb, "dcim/interface-templates", device_type_id=shared.id)

    result, _run = h.sync(h.config_for(nb, h.VLAB))

    assert result["summary"]["interface_template"]["create"] == 0
    assert result["summary"]["interface_template"]["kept"] > 0
    assert h.api_count(nb, "dcim/interface-templates", device_type_id=shared.id) == templates_before
    # The switches still get their ports, made one by one as the fabric's own.
    assert h.interface(nb, "leaf-01", "E1/1")["custom_fields"]["hedgehog_fabric"] == "vlab"
    again, _run = h.sync(h.config_for(nb, h.VLAB))
    assert again["requests"]["netbox"]["writes"] == 0


def test_plain_http_is_a_warning_and_require_tls_refuses_before_any_request(fresh_netbox):
    nb = fresh_netbox
    assert nb.url.startswith("http://")
    result, _run = h.sync(h.config_for(nb, h.VLAB))
    assert result["warnings"][0] == ("NetBox is reached over plain HTTP (%s): the token travels in clear text"
                                     % nb.url)
    assert result["result"] == "success"  # a notice, not a problem of the fabric

    changes = h.change_count(nb)
    with pytest.raises(ConfigError) as caught:
        h.recorded_sync(h.config_for(nb, h.VLAB, require_tls=True))
    assert "refusing to connect (require_tls): NetBox is reached over plain HTTP" in str(caught.value)
    assert h.change_count(nb) == changes


def test_a_gateway_peering_of_thousands_of_sides_is_a_problem_not_a_hang(fresh_netbox, tmp_path):
    directory = h.copy_fixture("vlab", tmp_path)
    sides = dict(("vpc-%04d" % n, {"expose": [{"ips": [{"cidr": "10.9.%d.0/24" % (n % 250)}]}]}) for n in range(8000))
    (directory / "gatewaypeerings.yaml").write_text(json.dumps({
        "apiVersion": "v1", "kind": "List", "items": [{
            "apiVersion": "gateway.githedgehog.com/v1alpha1", "kind": "GatewayPeering",
            "metadata": {"name": "everyone", "namespace": "default"}, "spec": {"peering": sides}}]}))
    result, _run = h.sync(h.config_for(fresh_netbox, directory))
    assert result["result"] == "partial"
    assert [(p["kind"], p["name"], p["cause"]) for p in result["problems"]
            if p["name"] == "everyone"] == [
        ("GatewayPeering", "everyone", "spec.peering must name exactly two VPCs or externals, not 8000")]
    assert result["summary"]["device"]["create"] == 12  # the rest lands: switches, servers, the control node


def test_a_dict_kubeconfig_and_the_tokens_appear_nowhere(fresh_netbox, kube_standin_factory, tmp_path, run_playbook):
    """-vvv output, the result, the record, the journal and the metrics of a playbook run hold no secret."""
    nb = fresh_netbox
    kube = kube_standin_factory([h.VLAB])
    kubeconfig = yaml.safe_load(kube.kubeconfig_path.read_text())
    kube_token = kubeconfig["users"][0]["user"]["token"]
    metrics = tmp_path / "metrics"
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"hedgehog_fabrics": {"hosts": {"vlab": {
        "hedgehog_kubeconfig": kubeconfig, "hedgehog_site": h.VLAB_SITE, "hedgehog_metrics_dir": str(metrics),
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}}}))
    run = run_playbook("sync.yml", inventory, extra_vars={"fabric": "vlab"},
                       env={"NETBOX_API": nb.url, "NETBOX_TOKEN": nb.token}, args=("-vvv",))
    output = run.stdout + run.stderr
    assert "vlab: success" in output  # it really synced
    record = h.api_list(nb, "virtualization/clusters", name="vlab")[0]
    journal = h.api_list(nb, "extras/journal-entries", assigned_object_id=record["id"])
    texts = [output, json.dumps(record), json.dumps(journal)] + [p.read_text() for p in metrics.iterdir()]
    for secret in (kube_token, nb.token, kubeconfig["users"][0]["user"].get("client-key-data", kube_token)):
        assert all(secret not in text for text in texts)
    assert record["custom_fields"]["hedgehog_source"] == "kubeconfig:(inline)"
