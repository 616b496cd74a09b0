# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a fabric from its Kubernetes API: discovery, then paged lists of every Hedgehog kind.

Discovery (aggregated when the server offers it, else the legacy documents)
says which versions each group serves; each kind is read at the newest version
this collection knows (``source/discovery.py``). A kind discovery does not serve
is not installed and reads as empty, which is how older releases look; a kind
served only at unknown versions is never read as empty: the wiring kinds stop
the run, the others are left incomplete. Each kind is listed with ``limit`` and
``continue`` so a big fabric never comes back as one huge response; a 410 (the
continue token outlived the server's compaction) restarts that kind's list; a
404 on a kind discovery serves, or a 403 on an optional kind, leaves it
incomplete. Every answer, discovery's too, is read up to ``max_response_mb``,
and a list stops the run past ``max_pages`` pages. Every request is bounded by the
connect and read timeouts, and checks the run's control first (its deadline).
"""

from __future__ import annotations

import json
import ssl

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils import options
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    ConfigError,
    KubernetesAPIError,
    TransientError,
)
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.retry import Backoff
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source import discovery
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.base import SourceData
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.files import YAML_ERRORS, yaml_error
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kinds import (
    KINDS,
    KNOWN_VERSIONS,
    WIRING_GROUP,
    WIRING_KINDS,
)

try:
    import urllib3
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.rest import ApiException
    from kubernetes.config.config_exception import ConfigException
    HAS_KUBERNETES = True
except ImportError:
    HAS_KUBERNETES = False

    class ApiException(Exception):  # stand-in so the except clauses below stay valid
        status = None

    class ConfigException(Exception):
        pass

DEFAULT_PAGE_SIZE = options.default("k8s_page_size")
DEFAULT_MAX_PAGES = options.default("max_pages")
DEFAULT_MAX_RESPONSE_BYTES = options.default("max_response_mb") * 1024 * 1024
READ_CHUNK = 1024 * 1024
DEFAULT_TIMEOUT = (10, 60)
TRANSIENT_STATUS = frozenset((429, 500, 502, 503, 504))
MAX_LIST_RESTARTS = 2
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


class _ListExpired(Exception):
    """The server dropped the snapshot a continue token pointed into (HTTP 410)."""


def build_configuration(auth, fabric=None):
    """A ``kubernetes.client.Configuration`` from kubernetes.core-style auth options.

    There is deliberately no fall-back to ``~/.kube/config``: a fabric names its
    own API, so one fabric's run can never read another fabric's cluster.
    """
    if not HAS_KUBERNETES:
        raise ConfigError("the kubernetes Python client is required to read a fabric's API", fabric=fabric)
    configuration = k8s_client.Configuration()
    kubeconfig = auth.get("kubeconfig")
    try:
        if isinstance(kubeconfig, dict):
            k8s_config.load_kube_config_from_dict(
                config_dict=kubeconfig, context=auth.get("context"),
                client_configuration=configuration, persist_config=False)
        elif kubeconfig:
            k8s_config.load_kube_config(
                config_file=kubeconfig, context=auth.get("context"),
                client_configuration=configuration, persist_config=False)
        elif not auth.get("host"):
            raise ConfigError("no Kubernetes API given: set kubeconfig, or host with api_key", fabric=fabric)
    except YAML_ERRORS as exc:
        raise ConfigError("cannot load kubeconfig %s: not valid YAML at %s" % (
            kubeconfig if isinstance(kubeconfig, str) else "(inline)", yaml_error(exc)), fabric=fabric) from exc
    except (ConfigException, OSError, ValueError, TypeError) as exc:
        raise ConfigError("cannot load kubeconfig: %s" % exc, fabric=fabric) from exc
    if auth.get("host"):
        configuration.host = auth["host"]
    if auth.get("api_key"):
        configuration.api_key = {"authorization": "Bearer %s" % auth["api_key"]}
        # The kubeconfig loader installs a hook that puts the kubeconfig's own
        # token back before every request; an explicit api_key must win.
        configuration.refresh_api_key_hook = None
    if auth.get("ca_cert"):
        configuration.ssl_ca_cert = auth["ca_cert"]
    if auth.get("client_cert"):
        configuration.cert_file = auth["client_cert"]
    if auth.get("client_key"):
        configuration.key_file = auth["client_key"]
    if auth.get("validate_certs") is not None:
        configuration.verify_ssl = bool(auth["validate_certs"])
    if auth.get("proxy"):
        configuration.proxy = auth["proxy"]
    # Retries happen in one place (our Backoff), so urllib3 must not retry
    # behind our back and hide faults from the request count.
    configuration.retries = 0
    return configuration


def _cause_of(exc):
    reason = getattr(exc, "reason", None)
    return reason if reason is not None else exc


class KubernetesSource:
    """Discovers the Hedgehog groups of one fabric's API and lists every kind."""

    def __init__(self, auth, fabric=None, page_size=DEFAULT_PAGE_SIZE, timeout=DEFAULT_TIMEOUT, backoff=None,
                 api_client=None, checkpoint=None, max_pages=DEFAULT_MAX_PAGES,
                 max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES):
        self.fabric = fabric
        self.page_size = int(page_size)
        self.max_pages = max(1, int(max_pages))
        self.max_response_bytes = int(max_response_bytes)
        self.timeout = timeout
        self.backoff = backoff or Backoff()
        self.checkpoint = checkpoint
        self.host = None
        if api_client is None:
            configuration = build_configuration(auth, fabric=fabric)
            self.host = configuration.host
            api_client = k8s_client.ApiClient(configuration)
        self.api = k8s_client.CustomObjectsApi(api_client)
        self.apis = k8s_client.ApisApi(api_client)
        self.requests = 0

    def read(self, kinds=KINDS):
        data = SourceData("kubernetes:%s" % (self.host or "api"))
        served = self.discover()
        data.api = dict((group, {"served": versions, "read": None})
                        for group, versions in served.summary(sorted(set(kind.group for kind in kinds))).items())
        for kind in kinds:
            placement = served.place(kind)
            if placement.state == discovery.READ:
                data.api[kind.group]["read"] = placement.version
                self._read_kind(data, kind, placement.version)
            elif placement.state == discovery.ABSENT:
                self._absent(data, kind, placement)
            else:
                self._unreadable(data, kind, placement)
        data.requests = self.requests
        return data

    def _read_kind(self, data, kind, version):
        try:
            data.add(kind.kind, self._list_kind(kind, version))
        except KubernetesAPIError as exc:
            if kind.kind in WIRING_KINDS or exc.status in (401, None):
                raise
            # A 403 is the account's rights, which stay until someone changes them;
            # a 404 on a kind discovery serves is a CRD going away under the read.
            data.mark_incomplete(kind.kind, exc.message, lasting=exc.status == 403)
        except TransientError as exc:
            # Wiring is the core of the fabric: without it the run stops.
            # Other kinds are left incomplete, which blocks every deletion.
            if kind.kind in WIRING_KINDS:
                raise
            data.mark_incomplete(kind.kind, exc.message)

    def _absent(self, data, kind, placement):
        """A kind discovery does not serve: empty, which is how an older release looks; never for wiring."""
        if kind.kind in WIRING_KINDS:
            raise KubernetesAPIError(
                "%s: is this a Hedgehog fabric's control node? (the %s kinds are the fabric's wiring)"
                % (placement.cause, WIRING_GROUP), fabric=self.fabric, endpoint="/apis", status=None)
        data.add(kind.kind, [])

    def _unreadable(self, data, kind, placement):
        """Served only at versions this collection does not know, or discovery did not tell: never empty."""
        if kind.kind in WIRING_KINDS:
            raise KubernetesAPIError("%s; nothing was written" % placement.cause, fabric=self.fabric,
                                     endpoint="/apis/%s" % kind.group, status=None,
                                     details={"group": kind.group, "known_versions": list(KNOWN_VERSIONS[kind.group])})
        data.mark_incomplete(kind.kind, placement.cause, lasting=placement.state == discovery.UNSUPPORTED)

    # -- discovery -------------------------------------------------------------------

    def discover(self):
        """The served groups, versions and resources, from the aggregated document or the legacy ones."""
        body = self.backoff.call(self._get_discovery)
        try:
            if discovery.is_aggregated(body):
                versions, resources = discovery.aggregated_groups(body)
                return discovery.ServedApi(versions, resources, form="aggregated")
            return discovery.ServedApi(discovery.group_versions(body), load=self._load_resources, form="legacy")
        except discovery.DiscoveryError as exc:
            raise KubernetesAPIError("unexpected discovery document at /apis: %s" % exc, fabric=self.fabric,
                                     endpoint="/apis") from exc

    def _get_discovery(self):
        """``/apis``: client-go's Accept header asks for the aggregated form, which older servers do not have."""
        def call():
            try:
                return self.apis.get_api_versions(_headers={"Accept": discovery.DISCOVERY_ACCEPT},
                                                  _preload_content=False, _request_timeout=self.timeout)
            except TypeError:
                # Clients before per-request headers: the legacy form only.
                return self.apis.get_api_versions(_preload_content=False, _request_timeout=self.timeout)
        body = self._request("/apis", call)
        if body is None:
            raise KubernetesAPIError("the server has no API discovery at /apis (HTTP 404): is this a Kubernetes "
                                     "API server?", fabric=self.fabric, endpoint="/apis", status=404)
        return body

    def _load_resources(self, group, version):
        """One group version's resources (legacy discovery); a failure leaves that version undecided."""
        endpoint = "/apis/%s/%s" % (group, version)
        try:
            body = self.backoff.call(self._request, endpoint, lambda: self.api.get_api_resources(
                group, version, _preload_content=False, _request_timeout=self.timeout))
        except TransientError as exc:
            raise discovery.DiscoveryError(exc.message) from exc
        except KubernetesAPIError as exc:
            if exc.status == 401:
                raise
            raise discovery.DiscoveryError(str(exc.message)) from exc
        if body is None:
            raise discovery.DiscoveryError("%s answers 404 although /apis lists it" % endpoint)
        return discovery.resource_names(body)

    # -- lists -----------------------------------------------------------------------

    def _list_kind(self, kind, version):
        for _restart in range(MAX_LIST_RESTARTS + 1):
            try:
                return self._list_pages(kind, version)
            except _ListExpired:
                continue
        raise KubernetesAPIError(
            "listing %s kept expiring (HTTP 410) after %d restarts" % (kind.plural, MAX_LIST_RESTARTS),
            fabric=self.fabric, endpoint=self._endpoint(kind, version), status=410)

    def _list_pages(self, kind, version):
        items = []
        token = None
        for _page in range(self.max_pages):
            page = self.backoff.call(self._get_page, kind, version, token)
            items.extend(_without_bookkeeping(item) for item in page.get("items") or [])
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return items
        raise KubernetesAPIError("listing %s took more than max_pages (%d) pages" % (kind.plural, self.max_pages),
                                 fabric=self.fabric, endpoint=self._endpoint(kind, version))

    def _endpoint(self, kind, version):
        return "/apis/%s/%s/namespaces/%s/%s" % (kind.group, version, kind.namespace, kind.plural)

    def _get_page(self, kind, version, token):
        """One list request; a 404 means the kind went away after discovery served it."""
        endpoint = self._endpoint(kind, version)
        page = self._request(endpoint, lambda: self.api.list_namespaced_custom_object(
            kind.group, version, kind.namespace, kind.plural,
            limit=self.page_size, _continue=token,
            _preload_content=False, _request_timeout=self.timeout))
        if page is None:
            raise KubernetesAPIError(
                "HTTP 404 from %s although discovery serves %s.%s at %s: the kind is left incomplete, not empty"
                % (endpoint, kind.plural, kind.group, version), fabric=self.fabric, endpoint=endpoint, status=404)
        if not isinstance(page.get("items", []), list):
            raise TransientError("unexpected list body from %s" % endpoint, endpoint=endpoint)
        return page

    def _request(self, endpoint, call):
        """One GET through the client: its JSON body, None on a 404; faults become typed errors."""
        if self.checkpoint is not None:
            self.checkpoint()
        self.requests += 1
        try:
            body = self._read_body(call(), endpoint)
        except ApiException as exc:
            return self._api_failure(exc, endpoint)
        except urllib3.exceptions.HTTPError as exc:
            cause = _cause_of(exc)
            if isinstance(cause, (ssl.SSLError, urllib3.exceptions.SSLError)):
                raise KubernetesAPIError(
                    "TLS verification of %s failed: %s (check ca_cert)" % (endpoint, cause),
                    fabric=self.fabric, endpoint=endpoint) from exc
            raise TransientError("cannot reach %s: %s" % (endpoint, cause), endpoint=endpoint, cause=exc) from exc
        try:
            document = json.loads(body)
        except ValueError as exc:
            # A cut-off body (truncated page) is worth one more try; if it keeps
            # happening the kind is left incomplete and nothing gets deleted.
            raise TransientError("truncated or malformed answer from %s" % endpoint, endpoint=endpoint) from exc
        if not isinstance(document, dict):
            raise TransientError("unexpected answer from %s" % endpoint, endpoint=endpoint)
        return document

    def _read_body(self, response, endpoint):
        try:
            body = _read_capped(response, self.max_response_bytes)
        finally:
            response.release_conn()
        if body is None:
            raise KubernetesAPIError("the answer at %s is larger than max_response_mb (%d MiB)"
                                     % (endpoint, self.max_response_bytes // (1024 * 1024)),
                                     fabric=self.fabric, endpoint=endpoint)
        return body

    def _api_failure(self, exc, endpoint):
        status = exc.status
        if status == 404:
            return None
        if status == 410:
            raise _ListExpired()
        if status in TRANSIENT_STATUS:
            raise TransientError("HTTP %s from %s" % (status, endpoint), endpoint=endpoint, status=status) from exc
        if status == 401:
            message = "the Kubernetes API refused the credentials (HTTP 401) at %s: check api_key or kubeconfig"
        elif status == 403:
            message = "the Kubernetes API forbids listing (HTTP 403) at %s: the account needs get/list on Hedgehog kinds"
        else:
            message = "HTTP %s from %%s: %s" % (status, exc.reason)
        raise KubernetesAPIError(message % endpoint, fabric=self.fabric, endpoint=endpoint, status=status) from exc


def _read_capped(response, limit):
    """A urllib3 response's body, or None once it grows past ``limit`` bytes."""
    announced = response.headers.get("Content-Length") if response.headers else None
    if announced and announced.isdigit() and int(announced) > limit:
        return None
    chunks, size = [], 0
    for chunk in response.stream(READ_CHUNK):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _without_bookkeeping(item):
    """An object without the server's field-ownership records and kubectl's copy of the last apply.

    Nothing reads them, and on a cluster written by server-side apply they are
    often bigger than the object itself.
    """
    metadata = item.get("metadata") if isinstance(item, dict) else None
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
    return item


def read_kubernetes(auth, fabric=None, page_size=DEFAULT_PAGE_SIZE, backoff=None, timeout=DEFAULT_TIMEOUT,
                    checkpoint=None, max_pages=DEFAULT_MAX_PAGES, max_response_bytes=DEFAULT_MAX_RESPONSE_BYTES):
    """Read every kind of one fabric; transient faults exhausted become a clear error."""
    source = KubernetesSource(auth, fabric=fabric, page_size=page_size, backoff=backoff, timeout=timeout,
                              checkpoint=checkpoint, max_pages=max_pages, max_response_bytes=max_response_bytes)
    try:
        return source.read()
    except TransientError as exc:
        raise KubernetesAPIError(
            "the Kubernetes API stayed unavailable: %s" % exc.message, fabric=fabric,
            endpoint=exc.endpoint, status=exc.status) from exc
