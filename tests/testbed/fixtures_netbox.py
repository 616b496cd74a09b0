"""pytest fixtures for the real NetBox of the test bed (registered as a plugin by tests/conftest.py).

- ``netbox_testbed`` (session): the test bed, brought up when it is not up. A test bed that cannot
  come up fails the tests that need it, with the cause; nothing is skipped.
- ``netbox`` (module): a fresh empty NetBox database for the test module, with ``url``, ``token``,
  ``token_v2`` and a ready ``pynetbox.api`` as ``api``. Tests in one module share that database.
- ``fresh_netbox`` (function): the same, reset for this one test. There is one served database, so
  this also empties what a module-scoped ``netbox`` holds: do not mix the two in one module unless
  the module expects it.
- ``small_page_netbox`` (session): a second NetBox server on the same database with MAX_PAGE_SIZE
  ``SMALL_PAGE``, so that a sync's reads take many pages (its ``url``; the tokens are the same).

"Empty" means as after migrations: the admin user and the two API tokens, nothing else. A database
whose change log is still empty is one already and is not cloned again.

A test module that builds a state once and lets each test start from it takes a ``checkpoint``
(``handle.checkpoint(name)``) and calls ``back()`` at the start of each test: the saved copy is
served again, so no test sees what another wrote, in whatever order they run; a test that wrote
nothing costs one request instead of a clone.
"""

from __future__ import annotations

import dataclasses

import pytest

from testbed.netbox import NetBoxTestbed, SmallPageServer, TestbedError

# Bulk requests of hundreds of objects take tens of seconds; requests has no
# timeout of its own, and a hung server should fail a test, not stall it.
HTTP_TIMEOUT = 300


@dataclasses.dataclass
class NetBoxHandle:
    """What a test needs to talk to the test bed's NetBox."""

    url: str
    token: str
    token_v2: str
    username: str
    password: str
    api: object  # pynetbox.api, typed loosely so this module imports without pynetbox
    testbed: NetBoxTestbed

    def api_with(self, token: str):
        """Another pynetbox client on the same NetBox, with another token."""
        return _make_api(self.url, token)

    def change_mark(self) -> tuple:
        """(entries in NetBox's change log, the last one's request id). Every write through the API
        adds an entry, and a restored copy brings back the mark it was saved with: the same mark
        means the same data."""
        response = self.api.http_session.get(
            "%s/api/core/object-changes/" % self.url, params={"limit": 1, "ordering": "-id", "fields": "id,request_id"},
            headers={"Authorization": "Token %s" % self.token, "Accept": "application/json"})
        response.raise_for_status()
        page = response.json()
        return page["count"], (page["results"][0]["request_id"] if page["results"] else None)

    def emptied(self) -> "NetBoxHandle":
        """The served database emptied (cloned afresh unless its change log is still empty)."""
        if not _is_empty(self):
            self.testbed.reset()
        return self

    def checkpoint(self, name: str) -> "Checkpoint":
        """Saves the served database as it is now under ``name``."""
        self.testbed.save(name)
        return Checkpoint(self, name, self.change_mark())


EMPTY_MARK = (0, None)


@dataclasses.dataclass
class Checkpoint:
    """A saved copy of the served database, with the change mark it had."""

    handle: NetBoxHandle
    name: str
    mark: tuple

    def back(self) -> NetBoxHandle:
        """Serves the saved copy again, unless nothing was written since it was served."""
        if self.handle.change_mark() != self.mark:
            self.handle.testbed.restore(self.name)
        return self.handle


def _make_api(url: str, token: str):
    import pynetbox
    import requests

    api = pynetbox.api(url, token=token)
    session = requests.Session()
    # pynetbox sends no timeout; a request adapter default is the least
    # intrusive place to give every call one.
    session.request = _with_timeout(session.request, HTTP_TIMEOUT)
    api.http_session = session
    return api


def _with_timeout(request, timeout):
    def wrapped(method, url, **kwargs):
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return wrapped


def _handle(testbed: NetBoxTestbed) -> NetBoxHandle:
    return NetBoxHandle(
        url=testbed.url,
        token=testbed.token,
        token_v2=testbed.token_v2,
        username=testbed.username,
        password=testbed.password,
        api=_make_api(testbed.url, testbed.token),
        testbed=testbed,
    )


def _is_empty(handle: NetBoxHandle) -> bool:
    import requests

    try:
        return handle.change_mark() == EMPTY_MARK
    except (requests.RequestException, ValueError, KeyError):
        return False  # a NetBox that cannot say is cloned afresh


def _reset(testbed: NetBoxTestbed) -> NetBoxHandle:
    try:
        return _handle(testbed).emptied()
    except TestbedError as e:
        pytest.fail("test bed reset failed: %s" % e, pytrace=False)


@pytest.fixture(scope="session")
def netbox_testbed() -> NetBoxTestbed:
    """The running test bed; brings it up (under a second when it runs, ~20 s when
    stopped, ~5 min the first time ever on a machine)."""
    testbed = NetBoxTestbed()
    try:
        # Always `up`, not only when NetBox answers: it also restarts a server
        # whose generated configuration is out of date, and costs ~0.5 s.
        testbed.up()
    except TestbedError as e:
        pytest.fail("the NetBox test bed cannot come up: %s" % e, pytrace=False)
    return testbed


SMALL_PAGE = 20


@pytest.fixture(scope="session")
def small_page_netbox(netbox_testbed: NetBoxTestbed):
    """A NetBox server with a MAX_PAGE_SIZE of SMALL_PAGE on the test bed's database (started once)."""
    server = SmallPageServer(netbox_testbed.netbox, SMALL_PAGE)
    try:
        server.start()
    except TestbedError as e:
        pytest.fail("the small-page NetBox cannot come up: %s" % e, pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def netbox(netbox_testbed: NetBoxTestbed) -> NetBoxHandle:
    """A fresh empty NetBox for this test module."""
    return _reset(netbox_testbed)


@pytest.fixture
def fresh_netbox(netbox_testbed: NetBoxTestbed) -> NetBoxHandle:
    """A fresh empty NetBox for this one test."""
    return _reset(netbox_testbed)
