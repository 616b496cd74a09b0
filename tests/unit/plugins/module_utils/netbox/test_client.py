"""The NetBox client's retry and error handling against a scripted HTTP session (no network).

Which faults are retried (connection errors, 429, 502-504), which fail at once
(400, 403, 404), what every request counts as, and how both token versions
are sent.
"""

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import NetBoxAPIError
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.netbox.client import (
    NetBoxClient,
    auth_header,
    chunk_values,
    parse_version,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff


class Response:
    def __init__(self, status, body=None):
        self.status_code = status
        self.content = b"" if body is None else json.dumps(body).encode()
        self.text = self.content.decode()
        self.headers = {}
        self._body = body

    def json(self):
        if self._body is None:
            raise ValueError("no body")
        return self._body

    def iter_content(self, size):
        for start in range(0, len(self.content), size):
            yield self.content[start:start + size]

    def close(self):
        pass


class Session:
    """Answers each request with the next scripted item: a Response or an exception to raise."""

    def __init__(self, *script):
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):
        self.calls.append((method, url, kwargs.get("params"), kwargs.get("json")))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item


def client(*script, retries=3):
    sleeps = []
    nb = NetBoxClient("http://netbox.invalid/", "0123456789abcdef0123456789abcdef01234567", fabric="fab",
                      backoff=Backoff(retries=retries, delay=1, sleep=sleeps.append, rand=lambda: 1.0))
    nb.session = Session(*script)
    nb._version = (4, 7, 3)
    nb.sleeps = sleeps
    return nb


@pytest.mark.parametrize("fault", [Response(503), Response(502), Response(504), Response(429),
                                   requests.ConnectionError("refused"), requests.Timeout("slow")],
                         ids=["503", "502", "504", "429", "connection", "timeout"])
def test_transient_faults_are_retried(fault):
    nb = client(fault, fault, Response(200, {"results": [{"id": 1}], "next": None}))
    assert nb.list("dcim/devices") == [{"id": 1}]
    assert nb.sleeps == [1.0, 2.0]
    assert nb.request_counts() == {"GET": 3, "total": 3, "writes": 0}


def test_a_fault_that_outlasts_the_retries_names_the_fabric_and_endpoint():
    nb = client(*[Response(503)] * 4)
    with pytest.raises(NetBoxAPIError) as caught:
        nb.request("GET", "dcim/devices")
    assert str(caught.value) == ("fabric fab: NetBox stayed unavailable: NetBox answered HTTP 503 at "
                                 "http://netbox.invalid/api/dcim/devices/")
    assert caught.value.endpoint == "dcim/devices" and caught.value.status == 503
    assert len(nb.session.calls) == 4


@pytest.mark.parametrize("status, body, text", [
    (400, {"name": ["This field is required."]}, "NetBox rejected POST dcim/devices (HTTP 400)"),
    (403, {"detail": "Invalid v1 token"}, "NetBox refused the token (HTTP 403) for POST dcim/devices: Invalid v1 token"),
    (404, {"detail": "Not found."}, "NetBox rejected POST dcim/devices (HTTP 404)"),
])
def test_refusals_fail_at_once_with_the_cause(status, body, text):
    nb = client(Response(status, body))
    with pytest.raises(NetBoxAPIError) as caught:
        nb.create("dcim/devices", [{"name": "x"}])
    assert text in str(caught.value)
    assert caught.value.body == body
    assert nb.sleeps == []
    assert nb.request_counts() == {"POST": 1, "total": 1, "writes": 1}


def test_writes_are_counted_by_method_and_stamped_with_the_change_message():
    nb = client(Response(201, [{"id": 1}]), Response(200, [{"id": 1}]), Response(204))
    nb.changelog_message = "hedgehog.netbox_sync: fabric fab"
    nb.create("dcim/sites", [{"name": "S"}])
    nb.update("dcim/sites", [{"id": 1, "name": "T"}])
    nb.delete("dcim/sites", [1])
    assert nb.session.calls[0][3] == [{"name": "S", "changelog_message": "hedgehog.netbox_sync: fabric fab"}]
    assert nb.session.calls[2][3] == [{"id": 1}]
    assert nb.request_counts() == {"POST": 1, "PATCH": 1, "DELETE": 1, "total": 3, "writes": 3}


def test_lists_ask_for_the_largest_page_and_only_the_fields_needed_and_follow_next():
    nb = client(Response(200, {"results": [{"id": 1}], "next": "http://netbox.invalid/api/dcim/devices/?start=2"
                                                               "&fields=id%2Cname&limit=1000"}),
                Response(200, {"results": [{"id": 2}], "next": None}))
    assert nb.list("dcim/devices", {"cf_hedgehog_fabric": "fab"}, ("id", "name")) == [{"id": 1}, {"id": 2}]
    first, second = nb.session.calls
    assert first[2] == {"cf_hedgehog_fabric": "fab", "limit": 0, "fields": "id,name", "start": 0}
    assert second[1] == "http://netbox.invalid/api/dcim/devices/"
    assert second[2] == {"start": "2", "fields": "id,name", "limit": "1000"}


def test_a_next_link_to_another_host_sends_the_token_only_to_the_configured_netbox():
    """A reverse proxy that rewrites ``next`` (to plain HTTP, or another host) never gets the token."""
    nb = client(Response(200, {"results": [{"id": 1}], "next": "http://evil.example:80/api/dcim/devices/?start=2"}),
                Response(200, {"results": [{"id": 2}], "next": None}))
    assert nb.list("dcim/devices") == [{"id": 1}, {"id": 2}]
    assert [url for _method, url, _params, _body in nb.session.calls] == ["http://netbox.invalid/api/dcim/devices/"] * 2
    assert nb.session.calls[1][2] == {"start": "2"}


def test_a_next_link_to_another_endpoint_is_refused():
    nb = client(Response(200, {"results": [{"id": 1}], "next": "http://netbox.invalid/api/users/tokens/?start=2"}))
    with pytest.raises(NetBoxAPIError) as caught:
        nb.list("dcim/devices")
    assert "points at another endpoint (/api/users/tokens/)" in str(caught.value)
    assert len(nb.session.calls) == 1


def test_paging_that_never_ends_stops_at_max_pages():
    nb = client(*[Response(200, {"results": [{"id": n}], "next": "http://netbox.invalid/api/dcim/devices/?start=%d"
                                 % n}) for n in range(5)])
    nb.max_pages = 3
    with pytest.raises(NetBoxAPIError) as caught:
        nb.list("dcim/devices")
    assert str(caught.value) == ("fabric fab: listing dcim/devices took more than max_pages (3) pages; nothing was "
                                 "written")
    assert len(nb.session.calls) == 3


def test_an_answer_past_max_response_mb_is_refused():
    nb = client(Response(200, {"results": [{"id": 1, "name": "x" * 4000}], "next": None}))
    nb.max_response_bytes = 1024
    with pytest.raises(NetBoxAPIError) as caught:
        nb.list("dcim/devices")
    assert "is larger than max_response_mb" in str(caught.value)


def test_both_token_versions():
    assert auth_header("0123456789abcdef0123456789abcdef01234567") == "Token 0123456789abcdef0123456789abcdef01234567"
    assert auth_header("nbt_abcdefghijkl.secret") == "Bearer nbt_abcdefghijkl.secret"


def test_version_and_query_chunks():
    assert parse_version("4.7.3") == (4, 7, 3)
    assert parse_version("4.6-beta1") == (4, 6, 0)
    assert parse_version(None) == (0, 0, 0)
    groups = chunk_values(["leaf-%03d" % n for n in range(500)], "name", limit=200)
    assert sum(len(g) for g in groups) == 500
    assert all(sum(len("name") + len(v) + 2 for v in g) <= 200 for g in groups)


class EchoSession:
    """Answers a list request with one row per filter value it was asked for (any thread)."""

    def __init__(self):
        self.calls = []

    def request(self, method, url, **kwargs):
        values = kwargs["params"]["device_id"]
        self.calls.append(list(values))
        return Response(200, {"results": [{"id": v} for v in values], "next": None})


def test_list_by_with_a_pool_spreads_neighbouring_values_over_the_workers():
    from concurrent.futures import ThreadPoolExecutor

    nb = client()
    nb.session = EchoSession()
    ids = list(range(1, 601))
    with ThreadPoolExecutor(max_workers=3) as pool:
        rows = nb.list_by("dcim/interfaces", "device_id", ids, pool=pool, fields=("id",))
    assert sorted(row["id"] for row in rows) == ids
    calls = nb.session.calls
    assert len(calls) == 3 and sorted(v for call in calls for v in call) == ids
    # Round-robin, not consecutive runs: each request holds ids from the whole range.
    assert all(min(call) <= 10 and max(call) >= 590 for call in calls)
    assert nb.request_counts()["GET"] == 3

    nb.session = EchoSession()
    many = list(range(100000, 101000))
    with ThreadPoolExecutor(max_workers=3) as pool:
        nb.list_by("dcim/interfaces", "device_id", many, pool=pool)
    assert len(nb.session.calls) == len(chunk_values(many, "device_id")) > 3
    assert all(sum(len("device_id") + len(str(v)) + 2 for v in call) <= 3500 for call in nb.session.calls)


def test_listed_rows_lose_the_links_of_objects_at_every_depth_and_keep_custom_fields_whole():
    row = {"id": 7, "name": "E1/1", "url": "http://netbox.invalid/api/dcim/interfaces/7/",
           "device": {"id": 1, "url": "http://netbox.invalid/api/dcim/devices/1/", "display": "leaf-01",
                      "name": "leaf-01"},
           "lag": {"id": 9, "display_url": "http://netbox.invalid/dcim/interfaces/9/", "name": "PortChannel1",
                   "_occupied": False, "device": {"id": 1, "display": "leaf-01", "name": "leaf-01"}},
           "type": {"value": "10gbase-x-sfpp", "label": "SFP+ (10GE)"},
           "tags": [{"id": 3, "url": "http://netbox.invalid/api/extras/tags/3/", "display": "t", "slug": "t"}],
           "custom_fields": {"url": "https://example.com", "display": "kept"}}
    nb = client(Response(200, {"results": [row], "next": None}))
    assert nb.list("dcim/interfaces") == [{
        "id": 7, "name": "E1/1", "device": {"id": 1, "name": "leaf-01"},
        "lag": {"id": 9, "name": "PortChannel1", "device": {"id": 1, "name": "leaf-01"}},
        "type": {"value": "10gbase-x-sfpp", "label": "SFP+ (10GE)"},
        "tags": [{"id": 3, "slug": "t"}], "custom_fields": {"url": "https://example.com", "display": "kept"}}]


def test_equal_nested_values_of_a_page_are_one_object_and_rows_are_never_shared():
    page = {"results": [
        {"id": 1, "name": "leaf-01"},
        {"id": 2, "device": {"id": 1, "name": "leaf-01"}, "type": {"value": "lag", "label": "LAG"},
         "custom_fields": {"hedgehog_fec": True}},
        {"id": 3, "device": {"id": 1, "name": "leaf-01"}, "type": {"value": "lag", "label": "LAG"},
         "custom_fields": {"hedgehog_fec": 1}},
    ], "next": None}
    nb = client(Response(200, page))
    rows = nb.list("dcim/interfaces")
    assert rows == page["results"]
    assert rows[1]["device"] is rows[2]["device"] and rows[1]["type"] is rows[2]["type"]
    # A row equal to a nested value stays a row of its own: lookups add keys to rows.
    assert rows[0] == rows[1]["device"] and rows[0] is not rows[1]["device"]
    # True and 1 are equal in Python but not in JSON: each keeps its own.
    assert json.dumps(rows[1]["custom_fields"]) == '{"hedgehog_fec": true}'
    assert json.dumps(rows[2]["custom_fields"]) == '{"hedgehog_fec": 1}'


def _answer(status, body=None, **headers):
    response = Response(status, body)
    response.headers = headers
    return response


def test_the_version_comes_with_the_first_answer_and_no_status_request_is_made():
    nb = client(_answer(200, {"results": [{"id": 1}], "next": None}, **{"API-Version": "4.7"}),
                _answer(200, {"results": [], "next": None}, **{"API-Version": "4.7"}))
    nb._version = None
    assert nb.list("dcim/sites") == [{"id": 1}]
    # Before the answer the version was unknown, so the first list was not paged by cursor.
    assert "start" not in nb.session.calls[0][2]
    assert nb.version == (4, 7, 0)
    nb.list("dcim/devices")
    assert nb.session.calls[1][2]["start"] == 0
    assert nb.request_counts() == {"GET": 2, "total": 2, "writes": 0}


def test_each_writes_request_id_and_netboxs_clock_are_kept():
    nb = client(_answer(201, [{"id": 1}], **{"X-Request-ID": "req-1", "Date": "Sun, 06 Dec 2026 18:11:58 GMT"}),
                _answer(200, {"results": [], "next": None}, **{"X-Request-ID": "req-2"}))
    nb.create("dcim/sites", [{"name": "s"}])
    nb.list("dcim/sites")
    assert [request_id for request_id, _at in nb.own_requests()] == ["req-1"]
    clock = nb.server_now().replace(microsecond=0).isoformat()
    assert clock in ("2026-12-06T18:11:58+00:00", "2026-12-06T18:11:59+00:00")


class CutResponse(Response):
    """A 2xx answer whose JSON stops half-way (the body was cut off)."""

    def __init__(self, status=200):
        super().__init__(status, None)
        self.content = b'{"results": [{"id": 1'

    def json(self):
        raise ValueError("cut off")


def test_a_cut_off_answer_is_transient():
    nb = client(CutResponse(), requests.exceptions.ChunkedEncodingError("IncompleteRead"),
                Response(200, {"results": [{"id": 1}], "next": None}))
    assert nb.list("dcim/devices") == [{"id": 1}]
    assert nb.request_counts()["GET"] == 3


def test_a_create_that_got_no_answer_is_looked_up_and_only_the_missing_objects_are_sent_again():
    looked_up = []

    def find(pending):
        looked_up.append([obj["name"] for obj in pending])
        # NetBox committed "a" before the answer was lost; "b" is not there.
        return [{"id": 1, "name": "a"} if obj["name"] == "a" else None for obj in pending]

    nb = client(Response(502), Response(201, [{"id": 2, "name": "b"}]))
    rows = nb.create("dcim/devices", [{"name": "a"}, {"name": "b"}], find=find)
    assert rows == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]
    assert looked_up == [["a", "b"]]
    assert [call[3] for call in nb.session.calls] == [[{"name": "a"}, {"name": "b"}], [{"name": "b"}]]


def test_a_create_found_whole_after_a_timeout_is_not_sent_again():
    nb = client(requests.Timeout("read timed out"))
    rows = nb.create("dcim/devices", [{"name": "a"}], find=lambda pending: [{"id": 5, "name": "a"}])
    assert rows == [{"id": 5, "name": "a"}]
    assert nb.request_counts()["POST"] == 1


def test_a_create_without_a_finder_is_never_sent_twice():
    nb = client(Response(503))
    with pytest.raises(NetBoxAPIError) as caught:
        nb.create("extras/journal-entries", [{"comments": "x"}])
    assert "not sent again, as it may have been written" in str(caught.value)
    assert nb.request_counts()["POST"] == 1


def test_create_or_read_goes_on_with_what_another_run_made_a_moment_ago():
    duplicate = Response(400, {"detail": "1 of 2 objects could not be created.", "errors": [
        {"index": 0, "errors": {"slug": ["tag with this slug already exists."]}}]})
    listed = Response(200, {"results": [{"id": 7, "slug": "hedgehog-sync"}], "next": None})
    nb = client(duplicate, listed, Response(201, [{"id": 8, "slug": "hedgehog-orphan"}]))
    rows = nb.create_or_read("extras/tags", [{"slug": "hedgehog-sync"}, {"slug": "hedgehog-orphan"}], "slug")
    assert rows == [{"id": 7, "slug": "hedgehog-sync"}, {"id": 8, "slug": "hedgehog-orphan"}]
    assert nb.session.calls[2][3] == [{"slug": "hedgehog-orphan"}]


def test_the_checkpoint_stops_a_run_before_its_next_request():
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import RunStopped

    nb = client(Response(200, {"results": [], "next": None}))

    def stop():
        raise RunStopped("stop", phase="apply")

    nb.checkpoint = stop
    with pytest.raises(RunStopped):
        nb.list("dcim/devices")
    assert nb.session.calls == []


def test_a_client_takes_the_version_another_client_learned_and_asks_for_none():
    first = client(_answer(200, {"results": [], "next": None}, **{"API-Version": "4.7"}))
    first._version = None
    assert first.known_version is None
    first.list("dcim/sites")
    second = client()
    second._version = None
    second.learn_version(first.known_version)
    assert second.version == (4, 7, 0)
    assert second.request_counts() == {"total": 0, "writes": 0}
