"""pytest fixtures for the Kubernetes API stand-in (registered as a plugin by tests/conftest.py).

- ``kube_standin_factory``: builds and starts stand-ins on free ports, stops them at teardown.
  It takes the KubeStandin options, the served-API fields (testbed.kube_api.ServedApi) among them::

      make([VLAB], groups={WIRING: ["v1beta2", "v1beta1"]})   # served at two versions, v1beta2 preferred
      make([VLAB], groups={GATEWAY: []})                       # the gateway group is not installed
      make([VLAB], kinds={"Switch": ["v1beta2"]})              # one CRD moved on, the rest of wiring did not
      make([VLAB], forbidden={"Agent"})                        # RBAC: 403 on agents, still in discovery
      make([VLAB], broken={"Catalog"})                         # discovery lists catalogs, their paths 404
      make([VLAB], aggregated_discovery=())                    # a server without aggregated discovery
      make([VLAB], release="24.09")                            # what a 24.09 control node serves

- ``kube_release``: ``make("24.09")`` -> a stand-in serving ``tests/fixtures/release-24.09`` with
  that release's API and Kubernetes version (``RELEASE_FIXTURES`` lists them).
- ``kube_vlab``: one stand-in per test module serving ``tests/fixtures/vlab``. It is shared, so a
  test that sets fault switches or changes objects puts them back (``faults.clear()``,
  ``reload()``, ``set_api()``).
- ``kube_discovery_cache``: a fresh discovery cache for the test.

The kubernetes client and kubernetes.core cache discovery in ``$TMPDIR/osrcp-*.json`` and
``k8srcp-*.json`` keyed by host and port, and kubectl under ``$KUBECACHEDIR``; a port reused by a
later stand-in that serves other kinds would otherwise be answered from a stale cache. The folder
is a short one under the system temp dir, not under pytest's deep tmp_path: it becomes TMPDIR for
child processes too, and ansible-core puts a unix socket there, whose path may not pass 107 bytes.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import pytest

from testbed.generator import RELEASE_SHAPES
from testbed.kube_standin import KubeStandin
from testbed.paths import FIXTURES, TESTS_DIR

VLAB_FIXTURES = FIXTURES / "vlab"
# Release name (testbed.releases) -> the fixture directory of a fabric as that release stores it.
RELEASE_FIXTURES = {name: FIXTURES / f"release-{name}" for name in RELEASE_SHAPES}


@contextlib.contextmanager
def isolated_discovery_cache():
    """A fresh folder that every client's discovery cache, in this process and in child processes, uses."""
    cache_dir = Path(tempfile.mkdtemp(prefix="kube-dc-"))
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("TMPDIR", str(cache_dir))
            # tempfile caches its answer on first use, so the environment alone would not reach this process.
            monkeypatch.setattr(tempfile, "tempdir", str(cache_dir))
            monkeypatch.setenv("KUBECACHEDIR", str(cache_dir / "kubectl"))
            yield cache_dir
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)


@pytest.fixture
def kube_discovery_cache():
    """A discovery cache folder of this test's own (also exported as TMPDIR and KUBECACHEDIR)."""
    with isolated_discovery_cache() as cache_dir:
        yield cache_dir


@pytest.fixture
def kube_standin_factory(tmp_path: Path, kube_discovery_cache: Path):
    """``make(fixture_dirs=(), **KubeStandin options)`` -> a started stand-in on a free port."""
    started: list[KubeStandin] = []

    def make(fixture_dirs=(), **options) -> KubeStandin:
        options.setdefault("state_dir", tmp_path / f"kube-standin-{len(started)}")
        options.setdefault("port", 0)
        standin = KubeStandin(fixture_dirs=fixture_dirs, **options)
        standin.start()
        started.append(standin)
        return standin

    yield make
    for standin in reversed(started):
        standin.stop()


@pytest.fixture
def kube_release(kube_standin_factory):
    """``make(release, **options)`` -> a stand-in serving that release's fixture the way its API server does."""

    def make(release: str, **options) -> KubeStandin:
        fixture = RELEASE_FIXTURES.get(release)
        if fixture is None:
            raise ValueError(f"no release fixture for {release!r}; there are {sorted(RELEASE_FIXTURES)}")
        return kube_standin_factory([fixture], release=release, **options)

    return make


@pytest.fixture(scope="module")
def kube_vlab(tmp_path_factory: pytest.TempPathFactory):
    """A stand-in serving the VLAB fixtures, shared by one test module."""
    if not VLAB_FIXTURES.is_dir():
        pytest.skip(f"no VLAB fixtures at {VLAB_FIXTURES.relative_to(TESTS_DIR.parent)}")
    # pytest picks its temp root on first use, from TMPDIR: pick it before TMPDIR points into the
    # cache folder removed below, or every later test of the session loses its tmp_path.
    tmp_path_factory.getbasetemp()
    with isolated_discovery_cache():
        standin = KubeStandin(fixture_dirs=[VLAB_FIXTURES], state_dir=tmp_path_factory.mktemp("kube-vlab"), port=0)
        with standin:
            yield standin
