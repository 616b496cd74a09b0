"""Errors: an unreachable API, a refused token, a wrong CA fail clearly (fabric and endpoint named) and write nothing.

NetBox tokens: v1 and v2 (``nbt_``) both work; a bad one fails clearly.
"""

from __future__ import annotations

import socket

import pytest
import yaml

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.errors import (
    ConfigError,
    KubernetesAPIError,
    NetBoxAPIError,
)

# The first request the engine makes (discovery), where a refused token or a wrong CA shows at once.
FIRST_ENDPOINT = "/apis"
# The first list of a kind the run cannot do without: a 403 on the optional kinds before it only leaves them incomplete.
FIRST_WIRING_LIST = "/apis/wiring.githedgehog.com/v1beta1/namespaces/default/switches"


def _closed_port():
    """A local port nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fails_before_netbox(netbox, config, error_type, *fragments):
    """Run, expect ``error_type`` with every fragment in its message, and no request to NetBox at all."""
    before = h.change_count(netbox)
    client = h.client_for(config)
    with pytest.raises(error_type) as caught:
        h.sync(config, client=client)
    message = str(caught.value)
    assert message.startswith("fabric vlab: "), message
    for fragment in fragments:
        assert fragment in message, message
    assert client.request_counts()["total"] == 0
    assert h.change_count(netbox) == before
    return caught.value


def _kubeconfig(kube, tmp_path, **cluster):
    """The stand-in's kubeconfig with some of its cluster settings replaced."""
    config = yaml.safe_load(kube.kubeconfig_path.read_text())
    config["clusters"][0]["cluster"].update(cluster)
    path = tmp_path / "kubeconfig-edited"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_an_unreachable_kubernetes_api(netbox, kube_standin_factory, tmp_path):
    kube = kube_standin_factory([h.VLAB])
    port = _closed_port()
    path = _kubeconfig(kube, tmp_path, server="https://127.0.0.1:%d" % port)
    error = _fails_before_netbox(netbox, h.config_for(netbox, None, k8s_auth={"kubeconfig": path}),
                                 KubernetesAPIError, "stayed unavailable", "cannot reach", "Connection refused")
    # Without discovery nothing can be read.
    assert error.endpoint == FIRST_ENDPOINT
    assert "cannot reach %s" % FIRST_ENDPOINT in str(error)


def test_a_refused_kubernetes_token(netbox, kube_standin_factory, tmp_path):
    kube = kube_standin_factory([h.VLAB])
    path = kube.write_kubeconfig(tmp_path / "kubeconfig-bad-token", token="not-the-token")
    error = _fails_before_netbox(netbox, h.config_for(netbox, None, k8s_auth={"kubeconfig": str(path)}),
                                 KubernetesAPIError, "refused the credentials (HTTP 401)", FIRST_ENDPOINT)
    assert error.status == 401
    # Not retried: a wrong token does not get better.
    assert kube.requests.total == 1


def test_a_forbidden_kubernetes_account(netbox, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    config = h.config_for(netbox, None, k8s_auth={"kubeconfig": str(kube.kubeconfig_path),
                                                  "context": "hedgehog-standin-forbidden"})
    # The optional kinds read before it (SwitchProfile, SwitchGroup) are left incomplete; the wiring stops the run.
    error = _fails_before_netbox(netbox, config, KubernetesAPIError, "HTTP 403", "get/list", FIRST_WIRING_LIST)
    assert error.status == 403


def test_a_wrong_kubernetes_ca(netbox, kube_standin_factory, tmp_path):
    kube = kube_standin_factory([h.VLAB])
    stranger = kube_standin_factory([])  # its own CA, which did not sign kube's certificate
    path = _kubeconfig(kube, tmp_path, **{"certificate-authority": str(stranger.ca_file)})
    _fails_before_netbox(netbox, h.config_for(netbox, None, k8s_auth={"kubeconfig": path}),
                         KubernetesAPIError, "TLS verification of %s failed" % FIRST_ENDPOINT, "check ca_cert")
    assert kube.requests.total == 0


def test_a_missing_kubeconfig_is_a_config_error(netbox, tmp_path):
    _fails_before_netbox(netbox, h.config_for(netbox, None, k8s_auth={"kubeconfig": str(tmp_path / "nope")}),
                         ConfigError, "cannot load kubeconfig")


def test_an_unreachable_netbox(netbox):
    url = "http://127.0.0.1:%d" % _closed_port()
    config = h.config_for(netbox, h.VLAB)
    config.netbox_url = url
    with pytest.raises(NetBoxAPIError) as caught:
        h.sync(config)
    message = str(caught.value)
    # The run's first request: the tags it relies on.
    assert message.startswith("fabric vlab: NetBox stayed unavailable: cannot reach NetBox at %s/api/extras/tags/"
                              % url)


@pytest.mark.parametrize("token", ["0" * 40, "nbt_aaaaaaaaaaaa." + "b" * 40], ids=["v1", "v2"])
def test_a_bad_netbox_token(netbox, token):
    before = h.change_count(netbox)
    config = h.config_for(netbox, h.VLAB, token=token)
    client = h.client_for(config)
    with pytest.raises(NetBoxAPIError) as caught:
        h.sync(config, client=client)
    message = str(caught.value)
    assert message.startswith("fabric vlab: NetBox refused the token (HTTP 403) for GET extras/tags: "), message
    assert caught.value.status == 403
    assert client.request_counts() == {"GET": 1, "total": 1, "writes": 0}
    assert h.change_count(netbox) == before


def test_both_netbox_token_versions_work(fresh_netbox, netbox_testbed, kube_standin_factory):
    nb = fresh_netbox
    h.restore_vlab(netbox_testbed, nb)
    kube = kube_standin_factory([h.VLAB])
    assert nb.token_v2.startswith("nbt_")

    for token in (nb.token, nb.token_v2):
        again, _run = h.sync(h.config_for(nb, kube, token=token))
        assert again["changed"] is False
        assert again["requests"]["netbox"]["writes"] == 0

    server = h.standin_object(kube, "Server", "server-05")
    server["spec"]["description"] = "written with a v2 token"
    kube.store.put(server)
    before = h.change_count(nb)
    result, _run = h.sync(h.config_for(nb, kube, token=nb.token_v2))
    assert h.write_ops(result) == {"device": {"update": 1}}
    assert h.api_list(nb, "dcim/devices", name="server-05")[0]["description"] == "written with a v2 token"
    logged = h.api_list(nb, "core/object-changes", ordering="-id", limit=1)
    assert h.change_count(nb) == before + 1
    assert logged[0]["user_name"] == nb.username
    assert logged[0]["message"] == "hedgehog.netbox_sync: fabric vlab"


def test_host_token_and_ca_read_the_fabric_without_a_kubeconfig(vlab_nb, kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    auth = {"host": kube.url, "api_key": kube.token, "ca_cert": str(kube.ca_file)}

    result, _run = h.sync(h.config_for(vlab_nb, None, k8s_auth=auth))

    assert result["result"] == "success", result["warnings"]
    assert result["source"]["origin"] == "kubernetes:%s" % kube.url
    assert h.write_ops(result) == {}
    # The token is what opened the API: another one is refused.
    _fails_before_netbox(vlab_nb, h.config_for(vlab_nb, None, k8s_auth=dict(auth, api_key="wrong")),
                         KubernetesAPIError, "refused the credentials (HTTP 401)")
    # And the CA is what made TLS pass: without it the host's certificate is not trusted, never skipped.
    _fails_before_netbox(vlab_nb, h.config_for(vlab_nb, None, k8s_auth=dict(auth, ca_cert=None)),
                         KubernetesAPIError, "TLS verification of %s failed" % FIRST_ENDPOINT)


def test_no_fall_back_to_the_users_kubeconfig(netbox, kube_standin_factory, tmp_path, monkeypatch):
    """A fabric without a source is an error, even when ~/.kube/config (or $KUBECONFIG) would reach a cluster."""
    kube = kube_standin_factory([h.VLAB])
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(kube.kubeconfig_path.read_text())
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / ".kube" / "config"))

    # The engine finds no source in the options before it would build a Kubernetes client.
    _fails_before_netbox(netbox, h.config_for(netbox, None, k8s_auth={}), ConfigError,
                         "no source: set wiring_dir, or kubeconfig / host for the fabric's Kubernetes API")
    assert kube.requests.total == 0
