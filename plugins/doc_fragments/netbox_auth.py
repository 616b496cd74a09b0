# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  netbox_url:
    description:
      - URL of the NetBox server, for example C(https://netbox.example.com).
      - If not set, the environment variable E(NETBOX_API) is used, then E(NETBOX_URL).
    type: str
  netbox_token:
    description:
      - NetBox API token. A v2 token (C(nbt_<key>.<secret>), NetBox 4.5+) is sent as C(Bearer),
        a v1 token (40 hex characters) as C(Token).
      - If not set, the environment variable E(NETBOX_TOKEN) is used.
      - Never logged, and never part of the result, the diff or the status record.
    type: str
  netbox_validate_certs:
    description:
      - Whether to verify NetBox's TLS certificate.
      - If not set, the environment variable E(NETBOX_VALIDATE_CERTS) is used.
    type: bool
    default: true
  netbox_ca_cert:
    description:
      - CA certificate (a PEM file) that signed NetBox's certificate, for a NetBox whose CA is not in the
        system's trust store. If not set, the environment variable E(NETBOX_CA_CERT) is used.
    type: path
  require_tls:
    description:
      - Refuse to run (and write nothing) when NetBox or the Kubernetes API would be reached over plain HTTP or
        without verifying its certificate. Without it such a connection is made, with a warning in the result.
    type: bool
    default: false
"""
