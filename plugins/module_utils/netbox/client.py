# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's NetBox client: field-limited paged reads, bulk writes, retries, request accounting.

pynetbox opens the session (v1 ``Token`` and v2 ``Bearer nbt_`` tokens) and
reads the server's version; list reads and bulk writes go through that session
directly, as plain dicts, because the sync handles tens of thousands of rows
and record objects would cost memory and time for nothing.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter, namedtuple
from datetime import timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    NetBoxAPIError,
    TransientError,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff

try:
    import requests
    from requests.adapters import HTTPAdapter
    HAS_REQUESTS = True
except ImportError:
    HAS_REQUESTS = False

try:
    import pynetbox
    HAS_PYNETBOX = True
except ImportError:
    HAS_PYNETBOX = False

TRANSIENT_STATUS = frozenset((429, 502, 503, 504))
WRITE_METHODS = frozenset(("POST", "PATCH", "PUT", "DELETE"))
DEFAULT_MAX_PAGES = 10000
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
READ_CHUNK = 1024 * 1024

# One answer of NetBox, its body read (within the size cap).
Reply = namedtuple("Reply", "status_code headers content")
DEFAULT_TIMEOUT = (10, 300)
# gunicorn refuses request lines over 4094 bytes by default.
MAX_QUERY_LENGTH = 3500
MAX_BODY_IN_ERROR = 2000
# A unique object made at the same moment by another run comes back refused:
# "already exists" or a model constraint's "must be unique" (400), "Duplicate IP
# address" (400), or an IntegrityError NetBox did not catch (500).
DUPLICATE = re.compile(r"already exists|must be unique|duplicate", re.IGNORECASE)


def auth_header(token):
    """v2 tokens (``nbt_<key>.<secret>``) are Bearer tokens; v1 tokens use the ``Token`` scheme."""
    if token.startswith("nbt_"):
        return "Bearer %s" % token
    return "Token %s" % token


def parse_version(text):
    parts = []
    for piece in str(text or "").split("-", maxsplit=1)[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts + [0] * (3 - len(parts)))[:3]


def chunk_values(values, param, limit=MAX_QUERY_LENGTH):
    """Split filter values into groups whose query string stays under ``limit`` characters."""
    groups, current, length = [], [], 0
    for value in values:
        cost = len(param) + len(str(value)) + 2
        if current and length + cost > limit:
            groups.append(current)
            current, length = [], 0
        current.append(value)
        length += cost
    if current:
        groups.append(current)
    return groups


class NetBoxClient:
    """One NetBox server, as the engine uses it."""

    def __init__(self, url, token, validate_certs=True, timeout=DEFAULT_TIMEOUT, backoff=None, fabric=None,
                 workers=3, ca_cert=None, max_pages=DEFAULT_MAX_PAGES, max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES):
        if not HAS_REQUESTS:
            raise NetBoxAPIError("the requests Python library is required", fabric=fabric)
        self.url = url.rstrip("/")
        self.fabric = fabric
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.workers = max(1, int(workers))
        self.max_pages = max(1, int(max_pages))
        self.max_response_bytes = int(max_response_bytes)
        self._lock = threading.Lock()
        self.requests = Counter()
        self.session = self._open_session(token, ca_cert if validate_certs and ca_cert else validate_certs)
        self._version = None
        self.changelog_message = None
        # (request id, monotonic time of the answer) of every write: NetBox files the
        # changes a request made under its id, which is how the sync knows its own.
        self.write_requests = []
        # NetBox's clock (the Date of the last answer) and our monotonic time then.
        self._server_clock = None
        # Called before every request; raises when the run must stop (control.RunControl.check).
        self.checkpoint = None

    def _open_session(self, token, verify):
        if HAS_PYNETBOX:
            api = pynetbox.api(self.url, token=token)
            session = api.http_session
        else:
            session = requests.Session()
        # True, False, or the path of the CA that signed NetBox's certificate.
        session.verify = verify
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(4, self.workers * 2), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update({
            "Authorization": auth_header(token),
            "Accept": "application/json",
            "Content-Type": "application/json",
        })
        return session

    # -- accounting -------------------------------------------------------

    def _count(self, method):
        with self._lock:
            self.requests[method] += 1

    def request_counts(self):
        with self._lock:
            counts = dict(self.requests)
        counts["total"] = sum(counts.values())
        counts["writes"] = sum(v for k, v in counts.items() if k in WRITE_METHODS)
        return counts

    def _note(self, method, reply):
        """What an answer tells beyond its body: the API version, NetBox's clock, a write's request id."""
        headers = reply.headers or {}
        if self._version is None and headers.get("API-Version"):
            self._version = parse_version(headers["API-Version"])
        received = time.monotonic()
        date = headers.get("Date")
        if date:
            try:
                stamp = parsedate_to_datetime(date)
            except (TypeError, ValueError):
                stamp = None
            if stamp is not None:
                with self._lock:
                    self._server_clock = (stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc), received)
        request_id = headers.get("X-Request-ID")
        if method in WRITE_METHODS and request_id:
            with self._lock:
                self.write_requests.append((request_id, received))

    def server_now(self):
        """NetBox's time now, from the Date of its last answer (None before any answer)."""
        with self._lock:
            clock = self._server_clock
        if clock is None:
            return None
        stamp, received = clock
        return stamp + timedelta(seconds=time.monotonic() - received)

    def own_requests(self, since=0):
        """Request ids of the writes made so far (from position ``since``), oldest first."""
        with self._lock:
            return list(self.write_requests[since:])

    # -- transport ----------------------------------------------------------

    def _endpoint_url(self, endpoint):
        return "%s/api/%s/" % (self.url, endpoint.strip("/"))

    def _send(self, method, url, params=None, body=None, headers=None, parse=json.loads):
        """One attempt: the body as ``parse`` decodes it and the Reply, or a TransientError worth another attempt.

        A body cut short (the connection dropped mid-answer, a proxy that gave
        up) is transient like the connection error it is; a refusal (4xx, a
        500 that is not a deadlock) is returned for ``_call`` to raise.
        """
        if self.checkpoint is not None:
            self.checkpoint()
        self._count(method)
        try:
            response = self.session.request(method, url, params=params, json=body, headers=headers,
                                            timeout=self.timeout, stream=True)
            reply = Reply(response.status_code, response.headers, self._read_body(response, url))
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise TransientError("cannot reach NetBox at %s: %s" % (url, exc.__class__.__name__), endpoint=url,
                                 cause=exc) from exc
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            raise TransientError("NetBox's answer to %s %s was cut short" % (method, url), endpoint=url,
                                 cause=exc) from exc
        if reply.status_code in TRANSIENT_STATUS:
            raise TransientError("NetBox answered HTTP %d at %s" % (reply.status_code, url), endpoint=url,
                                 status=reply.status_code)
        if reply.status_code == 500 and b"deadlock detected" in reply.content:
            # Parallel bulk chunks that add interfaces to the same devices lock those
            # devices' counter rows in different orders; PostgreSQL aborts one whole
            # chunk (a bulk write is all-or-none), so sending it again is safe.
            raise TransientError("NetBox hit a database deadlock at %s" % url, endpoint=url, status=500)
        if reply.status_code >= 400 or reply.status_code == 204 or not reply.content:
            return None, reply
        try:
            return parse(reply.content), reply
        except ValueError as exc:
            raise TransientError("NetBox's answer to %s %s (HTTP %d) is not whole JSON" % (
                method, url, reply.status_code), endpoint=url, status=reply.status_code) from exc

    def _read_body(self, response, url):
        """The body, read in chunks and refused past ``max_response_bytes``."""
        announced = response.headers.get("Content-Length")
        if announced and announced.isdigit() and int(announced) > self.max_response_bytes:
            response.close()
            raise self._too_big(url)
        chunks, size = [], 0
        for chunk in response.iter_content(READ_CHUNK):
            size += len(chunk)
            if size > self.max_response_bytes:
                response.close()
                raise self._too_big(url)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_big(self, url):
        return NetBoxAPIError("NetBox's answer at %s is larger than max_response_mb (%d MiB)"
                              % (url, self.max_response_bytes // (1024 * 1024)), fabric=self.fabric, endpoint=url)

    def request(self, method, endpoint, params=None, body=None, headers=None, parse=json.loads):
        """One call with retries; returns the body as ``parse`` decodes it, raises NetBoxAPIError on refusal."""
        return self._call(method, endpoint, params, body, headers, parse)[0]

    def read_one(self, endpoint, object_id):
        """One object and its ETag (NetBox 4.6+), for a compare-and-set write with If-Match."""
        body, reply = self._call("GET", "%s/%d" % (endpoint.strip("/"), object_id))
        return body, reply.headers.get("ETag")

    def _call(self, method, endpoint, params=None, body=None, headers=None, parse=json.loads):
        url = self._endpoint_url(endpoint)
        try:
            answer, reply = self.backoff.call(self._send, method, url, params, body, headers, parse)
        except TransientError as exc:
            raise NetBoxAPIError("NetBox stayed unavailable: %s" % exc.message, fabric=self.fabric,
                                 endpoint=endpoint, status=exc.status) from exc
        self._note(method, reply)
        if reply.status_code >= 400:
            raise self._refusal(method, endpoint, reply)
        return answer, reply

    def _refusal(self, method, endpoint, reply):
        status = reply.status_code
        try:
            body = json.loads(reply.content)
        except ValueError:
            body = reply.content[:MAX_BODY_IN_ERROR].decode("utf-8", "replace")
        if status in (401, 403):
            detail = body.get("detail") if isinstance(body, dict) else body
            message = "NetBox refused the token (HTTP %d) for %s %s: %s" % (status, method, endpoint, detail)
        else:
            message = "NetBox rejected %s %s (HTTP %d): %s" % (method, endpoint, status, _short(body))
        return NetBoxAPIError(message, fabric=self.fabric, endpoint=endpoint, status=status, body=body)

    # -- reads --------------------------------------------------------------

    def status(self):
        return self.request("GET", "status")

    @property
    def version(self):
        if self._version is None:
            status = self.status() or {}
            self._version = parse_version(status.get("netbox-version"))
        return self._version

    @property
    def known_version(self):
        """The version NetBox's answers named so far (None before the first), without asking for it."""
        return self._version

    def learn_version(self, version):
        """Take the version another client of the same NetBox already learned (a request saved)."""
        if self._version is None and version is not None:
            self._version = tuple(version)

    def list(self, endpoint, params=None, fields=None, start=None):
        """Every row matching ``params``, at the server's largest page, only ``fields``.

        ``limit=0`` asks for the server's MAX_PAGE_SIZE; NetBox 4.6+ pages by
        cursor (``start``), which avoids a COUNT and an OFFSET scan per page.
        ``start`` asks for the rows from that id on, in id order.
        """
        query = dict(params or {})
        query["limit"] = 0
        if fields:
            query["fields"] = ",".join(fields)
        # The version comes with every answer (API-Version): before the first one, a
        # plain first page costs less than a status request, and the next pages
        # take the query of the links NetBox gives.
        if self._version is not None and self._version >= (4, 6, 0):
            query["start"] = start or 0
        elif start is not None:
            query.update({"id__gte": start, "ordering": "id"})
        rows = []
        for _page in range(self.max_pages):
            page = self.request("GET", endpoint, params=query, parse=parse_page)
            results = page.get("results") or []
            rows.extend(results)
            if not page.get("next") or not results:
                return rows
            query = self._next_query(endpoint, page["next"])
        raise NetBoxAPIError("listing %s took more than max_pages (%d) pages; nothing was written"
                             % (endpoint, self.max_pages), fabric=self.fabric, endpoint=endpoint)

    def _next_query(self, endpoint, next_url):
        """The query of NetBox's ``next`` link, to be sent to the configured NetBox only.

        The link names a host of NetBox's own idea (a reverse proxy may rewrite it to
        plain HTTP or another host): following it would send the token there. Only
        its query is taken; a link to another endpoint is refused.
        """
        parts = urlsplit(next_url)
        if not parts.path.rstrip("/").endswith("/api/%s" % endpoint.strip("/")):
            raise NetBoxAPIError("NetBox's next page for %s points at another endpoint (%s); refusing to follow it"
                                 % (endpoint, parts.path), fabric=self.fabric, endpoint=endpoint)
        return dict((key, values if len(values) > 1 else values[0])
                    for key, values in parse_qs(parts.query, keep_blank_values=True).items())

    def page(self, endpoint, params=None, fields=None, limit=1):
        """The first ``limit`` rows matching ``params`` and how many match in all (NetBox counts them)."""
        query = dict(params or {})
        query["limit"] = limit
        if fields:
            query["fields"] = ",".join(fields)
        page = self.request("GET", endpoint, params=query, parse=parse_page) or {}
        return page.get("results") or [], page.get("count")

    def list_by(self, endpoint, param, values, params=None, fields=None, pool=None):
        """``list`` filtered by many values of one parameter, in as few requests as the URL length allows.

        Given a thread pool, the values are dealt round-robin over at least one
        request per worker and the requests run side by side: NetBox serves a
        list on one worker, and neighbouring ids (a leaf's ports, a server's two)
        would otherwise leave one request with most of the rows.
        """
        values = sorted(set(values), key=str)
        groups = chunk_values(values, param)
        if pool is not None and len(values) > 1:
            count = max(len(groups), min(self.workers, len(values)))
            groups = [group for i in range(count) for group in chunk_values(values[i::count], param)]

        def one(group):
            query = dict(params or {})
            query[param] = group
            return self.list(endpoint, query, fields)

        rows = []
        for part in (pool.map(one, groups) if pool is not None else map(one, groups)):
            rows.extend(part)
        return rows

    # -- writes -------------------------------------------------------------

    def _stamped(self, objects):
        """Each written object carries the run's change-log message (NetBox 4.4+)."""
        if not self.changelog_message or self.version < (4, 4, 0):
            return list(objects)
        return [dict(obj, changelog_message=self.changelog_message) for obj in objects]

    def create(self, endpoint, objects, find=None):
        """Create ``objects`` (a bulk POST); the created rows, in the same order.

        A POST that failed on a timeout, a dropped connection or a 5xx may
        have been committed before the answer was lost. Before it is sent
        again, ``find(objects)`` looks the pending objects up by their natural
        keys (a row, or None, per object) and only what is still missing is
        sent: a retry never makes a second copy. Without ``find`` a POST is
        not retried after such a fault.
        """
        objects = list(objects)
        rows = [None] * len(objects)
        pending = list(range(len(objects)))

        def attempt():
            written = self._attempt_once("POST", endpoint, [objects[i] for i in pending], retry=find is not None)
            for index, row in zip(pending, written or []):
                rows[index] = row
            return rows

        def settled():
            found = find([objects[i] for i in pending])
            for index, row in zip(list(pending), found):
                if row is not None:
                    rows[index] = row
                    pending.remove(index)
            return rows if not pending else None

        if not objects:
            return []
        if find is None:
            return attempt()
        return self._call_created(endpoint, attempt, settled)

    def _attempt_once(self, method, endpoint, objects, retry):
        """One POST of ``objects``; with ``retry`` its transient faults rise for the caller's retry loop."""
        url = self._endpoint_url(endpoint)
        try:
            body, reply = self._send(method, url, body=self._stamped(objects))
        except TransientError as exc:
            if retry:
                raise
            raise NetBoxAPIError("NetBox did not confirm %s %s (%s); not sent again, as it may have been written"
                                 % (method, endpoint, exc.message), fabric=self.fabric, endpoint=endpoint,
                                 status=exc.status) from exc
        # A create's request id too: the objects it made are the sync's own, not someone else's.
        self._note(method, reply)
        if reply.status_code >= 400:
            raise self._refusal(method, endpoint, reply)
        return body if isinstance(body, list) else [body]

    def _call_created(self, endpoint, attempt, settled):
        try:
            return self.backoff.call_checked(attempt, settled)
        except TransientError as exc:
            raise NetBoxAPIError("NetBox stayed unavailable: %s" % exc.message, fabric=self.fabric,
                                 endpoint=endpoint, status=exc.status) from exc

    def create_or_read(self, endpoint, objects, unique, fields=("id",)):
        """The rows of ``objects`` (dicts with a ``unique`` field that is also a filter), created where missing.

        For the sync's vocabulary and the fabric's anchor (tags, custom fields,
        site, cluster type, cluster), which another run may make at the same
        moment: a create refused as a duplicate, or one whose answer was lost,
        reads what is there and goes on.
        """
        fields = tuple(dict.fromkeys(("id", unique) + tuple(fields)))

        def find(pending):
            rows = self.list_by(endpoint, unique, [obj[unique] for obj in pending], fields=fields)
            by_value = dict((row.get(unique), row) for row in rows)
            return [by_value.get(obj[unique]) for obj in pending]

        try:
            return self.create(endpoint, objects, find=find)
        except NetBoxAPIError as exc:
            if exc.status not in (400, 409, 500) or not DUPLICATE.search(str(exc.body)):
                raise
        found = find(objects)
        missing = [obj for obj, row in zip(objects, found) if row is None]
        created = iter(self.create(endpoint, missing, find=find) if missing else [])
        return [row if row is not None else next(created) for row in found]

    def update(self, endpoint, objects):
        return self.request("PATCH", endpoint, body=self._stamped(objects)) or []

    def delete(self, endpoint, ids):
        return self.request("DELETE", endpoint, body=[{"id": i} for i in ids])

    def patch_one(self, endpoint, object_id, data, if_match=None):
        return self.write_one(endpoint, object_id, data, if_match)[0]

    def write_one(self, endpoint, object_id, data, if_match=None):
        """``patch_one``, with the ETag NetBox gives the object as written: the If-Match of a next write of it
        that needs no read first."""
        headers = {"If-Match": if_match} if if_match else None
        body, reply = self._call("PATCH", "%s/%d" % (endpoint.strip("/"), object_id), body=self._stamped([data])[0],
                                 headers=headers)
        return body, reply.headers.get("ETag")


# What NetBox adds to every nested object for browsers; the sync reads ids, names and choice values.
LINK_KEYS = ("url", "display", "display_url", "_occupied")
# A JSON object of at most this many plain values is kept once per page, however many rows hold it.
SHARED_KEYS = 16


def parse_page(content):
    """A listed page, parsed lean: nested objects without their links, equal small ones one object.

    The ports of a big fabric repeat a few values thousands of times over a page
    (their type, their custom fields, their device). Made one object as the page is
    parsed (an object hook), an XL fabric's inventory takes about half the memory it
    takes when each is a dict of its own, and no page is ever held whole at full size.
    Nested values are read, never changed in place (the planner builds its changes
    in dicts of its own), so rows may share them. The rows themselves are not shared:
    a lookup adds its own keys to a row, so a small row that could have been made one
    with an equal object is copied.
    """
    shared = {}

    def lean(obj):
        if "id" in obj:
            for key in LINK_KEYS:
                obj.pop(key, None)
        if len(obj) > SHARED_KEYS or any(isinstance(value, (dict, list)) for value in obj.values()):
            return obj
        # The class is part of the key: True and 1 are equal in Python, not in JSON.
        return shared.setdefault(tuple((key, value.__class__, value) for key, value in obj.items()), obj)

    page = json.loads(content, object_hook=lean)
    if isinstance(page, dict) and isinstance(page.get("results"), list):
        page["results"] = [dict(row) if len(row) <= SHARED_KEYS else row for row in page["results"]]
    return page


def _short(body):
    text = str(body)
    return text if len(text) <= 500 else text[:500] + "..."
