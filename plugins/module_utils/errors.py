# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed errors of the sync engine.

The engine raises these and never calls into Ansible; the module wrapper turns
them into one failure with ``msg`` and the ``details`` of the error.
"""

from __future__ import annotations

import os
import traceback


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


class RunStopped(SyncError):
    """The run stopped before its end: its deadline passed, a signal came, it lost its lease, or its starter is gone."""

    def __init__(self, message, fabric=None, phase=None, reason=None):
        super().__init__(message, fabric=fabric, details={"phase": phase, "reason": reason})
        self.phase = phase
        self.reason = reason


class UnexpectedError(SyncError):
    """An exception the engine did not raise on purpose (a bug), named by its type, phase and place in the code.

    Its message never carries the exception's own text: that may quote the
    content of a file or an object, and the record, the journal and the module's
    output are read by many.
    """

    def __init__(self, message, fabric=None, phase=None, exception_type=None, where=None):
        super().__init__(message, fabric=fabric, details={"phase": phase, "exception": exception_type,
                                                          "where": where})
        self.phase = phase


def as_sync_error(error, fabric, phase):
    """``error`` as a SyncError naming the fabric: typed errors as they are, anything else as a bug.

    A bug is named by its type, the phase and the line of the collection's code
    it came from; its message is left out, as it may quote a file's content.
    """
    if isinstance(error, SyncError):
        if error.fabric is None:
            error.fabric = fabric
        return error
    where = _where(error)
    return UnexpectedError("unexpected %s in phase %s%s; this is a bug of hedgehog.netbox_sync, please report it"
                           % (type(error).__name__, phase, " at %s" % where if where else ""),
                           fabric=fabric, phase=phase, exception_type=type(error).__name__, where=where)


def _where(error):
    """``module_utils/model/records.py:61``: the innermost line of the collection's own code in the traceback."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        path = frame.filename.replace(os.sep, "/")
        if "/netbox_sync/plugins/" in path:
            found = "%s:%d" % (path.split("/netbox_sync/plugins/", 1)[1], frame.lineno)
    return found
