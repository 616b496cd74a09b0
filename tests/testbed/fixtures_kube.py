"""pytest fixtures for the Kubernetes API stand-in (registered as a plugin by tests/conftest.py).

- ``kube_standin_factory``: builds and starts stand-ins on free ports, stops them at teardown.
- ``kube_vlab``: one stand-in per test module serving ``tests/fixtures/vlab``. It is shared, so a
  test that sets fault switches or changes objects puts them back (``faults.clear()``,
  ``reload()``).
- ``kube_discovery_cache``: a fresh discovery cache for the test.

The kubernetes client and kubernetes.core cache discovery in ``$TMPDIR/osrcp-*.json`` and
``k8srcp-*.json`` keyed by host and port, and kubectl under ``$KUBECACHEDIR``; a port reused by a
later stand-in that serves other kinds would otherwise be answered from a stale cache.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from testbed.kube_standin import KubeStandin

TESTS_DIR = Path(__file__).resolve().parent.parent
VLAB_FIXTURES = TESTS_DIR / "fixtures" / "vlab"


def isolate_discovery_cache(monkeypatch: pytest.MonkeyPatch, cache_dir: Path) -> Path:
    """Send every client's discovery cache, in this process and in child processes, to ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("TMPDIR", str(cache_dir))
    # tempfile caches its answer on first use, so the environment alone would not reach this process.
    monkeypatch.setattr(tempfile, "tempdir", str(cache_dir))
    monkeypatch.setenv("KUBECACHEDIR", str(cache_dir / "kubectl"))
    return cache_dir


@pytest.fixture
def kube_discovery_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A discovery cache folder of this test's own (also exported as TMPDIR and KUBECACHEDIR)."""
    return isolate_discovery_cache(monkeypatch, tmp_path / "kube-discovery-cache")


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


@pytest.fixture(scope="module")
def kube_vlab(tmp_path_factory: pytest.TempPathFactory):
    """A stand-in serving the VLAB fixtures, shared by one test module."""
    if not VLAB_FIXTURES.is_dir():
        pytest.skip(f"no VLAB fixtures at {VLAB_FIXTURES.relative_to(TESTS_DIR.parent)}")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_discovery_cache(monkeypatch, tmp_path_factory.mktemp("kube-vlab-discovery-cache"))
        standin = KubeStandin(fixture_dirs=[VLAB_FIXTURES], state_dir=tmp_path_factory.mktemp("kube-vlab"), port=0)
        with standin:
            yield standin
