# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the sync engine.

The engine raises these and never calls into Ansible; the module wrapper turns
them into one failure with ``msg`` and the ``details`` of the error.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, message, fabric=None, details=None):
        super().__init__(message)
        self.message = message
        self.fabric = fabric
        self.details = dict(details or {})

    def __str__(self):
        if self.fabric and not self.message.startswith("fabric "):
            return "fabric %s: %s" % (self.fabric, self.message)
        return self.message


class ConfigError(SyncError):
    """The options do not describe a usable fabric (no source, bad combination)."""


class SourceError(SyncError):
    """Reading the fabric failed (Kubernetes API or wiring files)."""


class KubernetesAPIError(SourceError):
    """The Kubernetes API refused or failed a request."""

    def __init__(self, message, fabric=None, endpoint=None, status=None, details=None):
        details = dict(details or {})
        details.update({"endpoint": endpoint, "status": status})
        super().__init__(message, fabric=fabric, details=details)
        self.endpoint = endpoint
        self.status = status


class NetBoxAPIError(SyncError):
    """NetBox refused or failed a request."""

    def __init__(self, message, fabric=None, endpoint=None, status=None, body=None, details=None):
        details = dict(details or {})
        details.update({"endpoint": endpoint, "status": status})
        if body is not None:
            details["body"] = body
        super().__init__(message, fabric=fabric, details=details)
        self.endpoint = endpoint
        self.status = status
        self.body = body


class TransientError(SyncError):
    """A fault worth retrying: connection errors, timeouts, 429, 502, 503, 504."""

    def __init__(self, message, endpoint=None, status=None, cause=None):
        super().__init__(message, details={"endpoint": endpoint, "status": status})
        self.endpoint = endpoint
        self.status = status
        self.cause = cause


class ConflictError(SyncError):
    """NetBox holds an object the sync needs, and it is not the fabric's: nothing was written."""


class GuardError(SyncError):
    """A deletion guard tripped: nothing was deleted."""


class LeaseHeldError(SyncError):
    """Another run holds the fabric's lease."""

    def __init__(self, message, fabric=None, holder=None, since=None, until=None):
        super().__init__(message, fabric=fabric, details={"holder": holder, "since": since, "until": until})
        self.holder = holder
        self.since = since
        self.until = until
