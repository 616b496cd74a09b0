"""A small HTTP proxy in front of the test bed's NetBox that injects faults by rule.

The fault tests point the sync at it instead of NetBox. Each rule matches
requests by method and path (a regular expression) and fires on the nth to
the (nth + count - 1)th of them (count 0: every one from the nth on):

- ``fail``: answer ``status`` without forwarding (NetBox never saw it);
- ``fail_after``: forward, let NetBox commit, then answer ``status`` (a proxy
  that gave up after the upstream did the work);
- ``drop`` / ``drop_after``: close the connection without an answer, before or
  after forwarding;
- ``truncate``: forward, then send the head of the body under the full
  Content-Length and close (a cut-off answer);
- ``delay``: wait ``delay`` seconds, then forward;
- ``hook``: call ``hook(method, path)`` first (wait at a barrier, note that
  the request came), then forward; what the hook returns, if not None, is
  the action to take after all;
- ``hook_after``: forward, call ``hook(method, path)`` (kill NetBox, kill the
  client), then close the connection without an answer.

``log`` lists every request as (method, path, what happened). Responses of
NetBox pass through unchanged; the Host header is NetBox's own, so links it
builds point at NetBox, as behind a real proxy that rewrites nothing.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Callable, Optional
from urllib.parse import urlsplit

from testbed.serving import QuietServer

ACTIONS = ("fail", "fail_after", "drop", "drop_after", "truncate", "delay", "hook", "hook_after")
HOP_HEADERS = frozenset(("connection", "keep-alive", "transfer-encoding", "content-length", "host",
                         "proxy-connection", "te", "trailer", "upgrade"))


@dataclass
class ProxyRule:
    action: str
    method: Optional[str] = None
    path: Optional[str] = None
    nth: int = 1
    count: int = 1
    status: int = 503
    delay: float = 0.0
    hook: Optional[Callable] = None
    seen: int = 0
    fired: int = 0

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError("unknown proxy action %r; expected one of %s" % (self.action, ", ".join(ACTIONS)))

    def observe(self, method, path):
        if (self.method and method != self.method) or (self.path and not re.search(self.path, path)):
            return False
        self.seen += 1
        last = None if self.count == 0 else self.nth + self.count - 1
        if self.seen >= self.nth and (last is None or self.seen <= last):
            self.fired += 1
            return True
        return False


@dataclass
class Forwarded:
    status: int
    reason: str
    headers: list
    body: bytes = field(repr=False)


class FaultProxy:
    """``with FaultProxy(netbox_url) as proxy: proxy.add("fail_after", method="POST", path="dcim/devices")``."""

    def __init__(self, upstream, timeout=300):
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.timeout = timeout
        self.rules = []
        self.log = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._server = None
        self._thread = None

    # -- life cycle ---------------------------------------------------------------

    def start(self):
        handler = type("FaultProxyHandler", (_Handler,), {"proxy": self})
        self._server = QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    # -- rules ----------------------------------------------------------------------

    def add(self, action, **options):
        rule = ProxyRule(action, **options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        with self._lock:
            self.rules = []

    def rule_for(self, method, path):
        fired = None
        with self._lock:
            for rule in self.rules:
                if rule.observe(method, path) and fired is None:
                    fired = rule
        return fired

    def record(self, method, path, outcome):
        with self._lock:
            self.log.append((method, path, outcome))

    def settle(self, timeout=60, leaving=0):
        """Waits until no more than ``leaving`` requests are in flight (a hook waiting on the others leaves
        its own): one the proxy still forwards after its client was killed reaches NetBox all the same, as
        it would through a real proxy."""
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight <= leaving, timeout):
                raise AssertionError("the fault proxy still forwards %d request(s) after %d s" % (self._in_flight, timeout))

    def _enter(self):
        with self._lock:
            self._in_flight += 1

    def _leave(self):
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def requests(self, method=None, path=None):
        """Logged requests, narrowed by method and a path pattern."""
        with self._lock:
            return [entry for entry in self.log
                    if (method is None or entry[0] == method) and (path is None or re.search(path, entry[1]))]

    # -- forwarding -------------------------------------------------------------------

    def forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self.timeout)
        try:
            sent = dict((k, v) for k, v in headers.items() if k.lower() not in HOP_HEADERS)
            sent["Host"] = "%s:%d" % (self.upstream_host, self.upstream_port)
            if body is not None:
                sent["Content-Length"] = str(len(body))
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            content = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_HEADERS]
            return Forwarded(answer.status, answer.reason, kept, content)
        finally:
            connection.close()


class _Handler(BaseHTTPRequestHandler):
    proxy: FaultProxy = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else None

    def _handle(self):
        self.proxy._enter()
        try:
            self._relay()
        finally:
            self.proxy._leave()

    def _relay(self):
        body = self._body()
        method, path = self.command, self.path
        rule = self.proxy.rule_for(method, path)
        action = rule.action if rule else None
        if action == "hook":
            action = rule.hook(method, path)
        if action == "delay":
            time.sleep(rule.delay)
        if action == "fail":
            return self._answer(method, path, rule.status, b'{"detail": "injected by the fault proxy"}', "fail")
        if action == "drop":
            return self._hang_up(method, path, "drop")
        try:
            forwarded = self.proxy.forward(method, path, self.headers, body)
        except OSError as exc:
            # NetBox is gone (killed): what a proxy in front of it says.
            return self._answer(method, path, 502, b'{"detail": "upstream unreachable"}',
                                "502 upstream %s" % exc.__class__.__name__)
        if action == "fail_after":
            return self._answer(method, path, rule.status, b'{"detail": "injected by the fault proxy"}',
                                "fail_after %d (upstream %d)" % (rule.status, forwarded.status))
        if action == "drop_after":
            return self._hang_up(method, path, "drop_after (upstream %d)" % forwarded.status)
        if action == "hook_after":
            rule.hook(method, path)
            return self._hang_up(method, path, "hook_after (upstream %d)" % forwarded.status)
        if action == "truncate":
            return self._cut(method, path, forwarded)
        self._send(forwarded.status, forwarded.reason, forwarded.headers, forwarded.body)
        self.proxy.record(method, path, forwarded.status)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    def _send(self, status, reason, headers, body, length=None):
        self.send_response(status, reason)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _answer(self, method, path, status, body, outcome):
        self._send(status, None, [("Content-Type", "application/json")], body)
        self.proxy.record(method, path, outcome)

    def _hang_up(self, method, path, outcome):
        self.close_connection = True
        self.proxy.record(method, path, outcome)

    def _cut(self, method, path, forwarded):
        self.close_connection = True
        self._send(forwarded.status, forwarded.reason, forwarded.headers, forwarded.body[:len(forwarded.body) // 2],
                   length=len(forwarded.body))
        self.proxy.record(method, path, "truncate (upstream %d)" % forwarded.status)
