"""Paging for real: a fabric read in small Kubernetes pages with a compaction half-way through a list,
and NetBox read in many pages of a small MAX_PAGE_SIZE, by cursor (NetBox 4.6 and later) and by
offset (before 4.6).

Each sync starts from the VLAB as a first sync leaves it and reads the same fabric again: a page
lost, read twice or read out of order would show up as writes.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import sync_helpers as h
from testbed.fixtures_netbox import SMALL_PAGE

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import NetBoxClient

CONNECTIONS = "/connections"


class PageLog(NetBoxClient):
    """The engine's NetBox client, keeping the query of every list page it asks for; ``believed_version``
    makes it page as it would against that NetBox version."""

    def __init__(self, *args, believed_version=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pages = []
        if believed_version:
            self._version = believed_version

    def request(self, method, endpoint, params=None, body=None, headers=None, **kwargs):
        if method == "GET" and params and "limit" in params:
            self.pages.append((endpoint.strip("/"), dict(params)))
        return super().request(method, endpoint, params=params, body=body, headers=headers, **kwargs)

    def owned_pages(self, endpoint, fabric="vlab"):
        """The queries of the pages of the fabric's own rows of ``endpoint``."""
        return [query for path, query in self.pages
                if path == endpoint and query.get("cf_hedgehog_fabric") == fabric]


def _list_requests(kube, suffix):
    return sum(row["count"] for row in kube.requests.snapshot()["requests"]
               if row["verb"] == "list" and row["path"].endswith(suffix))


def _unchanged(result):
    assert result["result"] == "success", result["warnings"]
    assert h.write_ops(result) == {}
    assert result["requests"]["netbox"]["writes"] == 0
    assert result["summary"]["device"]["unchanged"] == 12
    assert result["summary"]["cable"]["unchanged"] == 22


def test_small_kubernetes_pages_and_a_list_expired_half_way_read_the_whole_fabric(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    connections = len(h.fixture_objects("Connection"))
    assert connections == 12
    # The second page of the connections is asked for after a compaction: its continue token is gone.
    compaction = kube.faults.compact(nth=2, path=CONNECTIONS + "$")
    kube.requests.reset()

    result, run = h.sync(h.config_for(vlab_nb, kube, k8s_page_size=2))

    assert compaction.fired == 1
    _unchanged(result)
    # One page, the page that got 410 Expired, then the list again from the start: 6 pages of 2.
    assert _list_requests(kube, CONNECTIONS) == 2 + math.ceil(connections / 2)
    assert len(run.snapshot.connections) == connections
    # Every kind came in pages of two (a kind of n objects takes ceil(n / 2) pages, an empty one one page).
    assert _list_requests(kube, "/servers") == math.ceil(len(h.fixture_objects("Server")) / 2)
    assert _list_requests(kube, "/switches") == math.ceil(len(h.fixture_objects("Switch")) / 2)


def _small_page_config(vlab_nb, small_page_netbox):
    """The VLAB's config, for the small-page server on the same database."""
    return h.config_for(SimpleNamespace(url=small_page_netbox.url, token=vlab_nb.token), h.VLAB)


def _port_pages(client):
    """{the devices of one read of their ports: the queries of its pages}, in the order they were sent."""
    reads = {}
    for path, query in client.pages:
        if path == "dcim/interfaces" and "device_id" in query:
            ids = query["device_id"] if isinstance(query["device_id"], list) else [query["device_id"]]
            reads.setdefault(tuple(sorted(int(i) for i in ids)), []).append(query)
    return reads


def _ports_of(netbox, devices):
    return h.api_count(netbox, "dcim/interfaces", device_id=list(devices))


def test_netbox_read_by_cursor_in_pages_of_a_small_max_page_size(vlab_nb, small_page_netbox):
    config = _small_page_config(vlab_nb, small_page_netbox)
    client = PageLog(config.netbox_url, config.netbox_token, fabric=config.fabric)

    result, _run = h.sync(config, client=client)

    _unchanged(result)
    reads = _port_pages(client)
    # The ports are read a few devices at a time; each read pages through all of their ports.
    assert sum(len(devices) for devices in reads) == 12
    for devices, pages in reads.items():
        assert len(pages) == max(1, math.ceil(_ports_of(vlab_nb, devices) / SMALL_PAGE)), devices
        # By cursor: each page starts past the last row of the one before, none by offset.
        starts = [int(page["start"]) for page in pages]
        assert starts[0] == 0 and starts == sorted(set(starts))
        assert [page for page in pages if "offset" in page] == []
    assert any(len(pages) > 1 for pages in reads.values())


def test_netbox_read_by_offset_as_before_4_6_in_pages_of_a_small_max_page_size(vlab_nb, small_page_netbox):
    config = _small_page_config(vlab_nb, small_page_netbox)
    client = PageLog(config.netbox_url, config.netbox_token, fabric=config.fabric, believed_version=(4, 5, 0))

    result, _run = h.sync(config, client=client)

    _unchanged(result)
    reads = _port_pages(client)
    assert sum(len(devices) for devices in reads) == 12
    for devices, pages in reads.items():
        ports = _ports_of(vlab_nb, devices)
        assert [page.get("offset") for page in pages] == [None] + [
            str(offset) for offset in range(SMALL_PAGE, ports, SMALL_PAGE)], devices
        assert [page for page in pages if "start" in page] == []
    assert any(len(pages) > 1 for pages in reads.values())
