"""pytest fixtures for the real NetBox of the test bed (registered as a plugin by tests/conftest.py).

- ``netbox_testbed`` (session): the test bed, brought up when it is not up. A test bed that cannot
  come up fails the tests that need it, with the cause; nothing is skipped.
- ``netbox`` (module): a fresh empty NetBox database for the test module, with ``url``, ``token``,
  ``token_v2`` and a ready ``pynetbox.api`` as ``api``. Tests in one module share that database.
- ``fresh_netbox`` (function): the same, reset for this one test. There is one served database, so
  this also empties what a module-scoped ``netbox`` holds: do not mix the two in one module unless
  the module expects it.

"Empty" means as after migrations: the admin user and the two API tokens, nothing else.
"""

from __future__ import annotations

import dataclasses

import pytest

from testbed.netbox import NetBoxTestbed, TestbedError

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


def _reset(testbed: NetBoxTestbed) -> None:
    try:
        testbed.reset()
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


@pytest.fixture(scope="module")
def netbox(netbox_testbed: NetBoxTestbed) -> NetBoxHandle:
    """A fresh empty NetBox for this test module."""
    _reset(netbox_testbed)
    return _handle(netbox_testbed)


@pytest.fixture
def fresh_netbox(netbox_testbed: NetBoxTestbed) -> NetBoxHandle:
    """A fresh empty NetBox for this one test."""
    _reset(netbox_testbed)
    return _handle(netbox_testbed)
