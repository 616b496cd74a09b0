"""Helpers for tests that talk to the Kubernetes API stand-in with the unmodified clients."""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import subprocess
import threading
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import kubernetes.watch
import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
AGGREGATED_V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
# What client-go (kubectl 1.30 to 1.35) sends to /api and /apis.
AGGREGATED_ACCEPT = f"{AGGREGATED_V2},{AGGREGATED_V2BETA1},application/json"


def api_client(standin, token: str | None = None) -> k8s_client.ApiClient:
    """A client from the stand-in's kubeconfig, or with another bearer token."""
    if token is None:
        return k8s_config.new_client_from_config(str(standin.kubeconfig_path))
    configuration = k8s_client.Configuration()
    configuration.host = standin.url
    configuration.ssl_ca_cert = str(standin.ca_file)
    configuration.api_key = {"authorization": token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    return k8s_client.ApiClient(configuration)


def custom_objects(standin, token: str | None = None) -> k8s_client.CustomObjectsApi:
    return k8s_client.CustomObjectsApi(api_client(standin, token))


class Reply(NamedTuple):
    status: int
    headers: dict
    body: object  # parsed JSON, or bytes when the answer is not JSON


def raw(url: str, ca_file, path: str, token: str | None, method: str = "GET", accept=None, body=None,
        headers=None) -> Reply:
    """One HTTPS request, bypassing every client library."""
    parts = urlsplit(url)
    context = ssl.create_default_context(cafile=str(ca_file))
    conn = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=10)
    sent = dict(headers or {})
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if accept:
        sent["Accept"] = accept
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        received, data = dict(response.getheaders()), response.read()
        if received.get("Content-Type", "").startswith("application/json"):
            data = json.loads(data)
        return Reply(response.status, received, data)
    finally:
        conn.close()


def get(standin, path: str, token: str | None = "", **kwargs) -> Reply:
    """GET from the stand-in, with its token unless told otherwise (None: no token)."""
    return raw(standin.url, standin.ca_file, path, standin.token if token == "" else token, **kwargs)


def names(items) -> set[str]:
    return {f"{i['metadata'].get('namespace', '')}/{i['metadata']['name']}".lstrip("/") for i in items}


KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")


def kubectl(kube, *args, context: str | None = None) -> subprocess.CompletedProcess:
    command = [KUBECTL, "--kubeconfig", str(kube.kubeconfig_path)]
    if context:
        command += ["--context", context]
    return subprocess.run(command + list(args), capture_output=True, text=True, timeout=60, check=False)


def wait_for(path: Path, process, timeout: float = 30.0) -> None:
    """Wait for a stand-in process to write ``path`` (its ready file), failing fast if it exits."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"stand-in exited with {process.returncode}: {process.stdout.read().decode()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {path} after {timeout} s")
        time.sleep(0.05)


def watch_events(kube, start_watch, change, last, bound: float = 30.0) -> list[dict]:
    """The events ``start_watch(watch, timeout_seconds)`` streams, up to and with the one ``last(event)`` picks.

    ``change()`` runs in a thread once the stand-in has the watch request, so the watch sees every change
    whatever the machine's speed; the watch ends at its last event, or after ``bound`` seconds without it.
    """
    watches = kube.requests.count(verb="watch")

    def change_once_watched():
        deadline = time.monotonic() + bound
        while kube.requests.count(verb="watch") == watches and time.monotonic() < deadline:
            time.sleep(0.01)
        change()

    changer = threading.Thread(target=change_once_watched)
    changer.start()
    watch = kubernetes.watch.Watch()
    events = []
    try:
        for event in start_watch(watch, int(bound)):
            events.append(event)
            if last(event):
                watch.stop()
    finally:
        changer.join()
    return events
