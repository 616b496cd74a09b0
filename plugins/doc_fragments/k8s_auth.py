# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to the fabric's kubeconfig file, or the kubeconfig itself as a dictionary
        (the names and environment variables follow M(kubernetes.core.k8s_info)).
      - If not set, the environment variable E(K8S_AUTH_KUBECONFIG) is used.
      - There is no fall-back to C(~/.kube/config), so one fabric's run never reads another fabric's API.
    type: raw
  context:
    description:
      - The kubeconfig context to use. If not set, E(K8S_AUTH_CONTEXT), then the kubeconfig's current context.
    type: str
  host:
    description:
      - URL of the fabric's Kubernetes API, used with O(api_key) instead of a kubeconfig,
        or to override the kubeconfig's server. If not set, E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - Bearer token for the Kubernetes API. If not set, E(K8S_AUTH_API_KEY). Never logged.
    type: str
  ca_cert:
    description:
      - CA certificate that signed the API server's certificate. If not set, E(K8S_AUTH_SSL_CA_CERT).
    type: path
    aliases: [ssl_ca_cert]
  client_cert:
    description:
      - Client certificate for the Kubernetes API. If not set, E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Key of the client certificate. If not set, E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  validate_certs:
    description:
      - Whether to verify the Kubernetes API server's certificate. Verification stays on unless this says
        otherwise; a missing CA never turns it off. If not set, E(K8S_AUTH_VERIFY_SSL).
    type: bool
    aliases: [verify_ssl]
  proxy:
    description:
      - HTTP proxy for the Kubernetes API. If not set, E(K8S_AUTH_PROXY).
    type: str
"""
