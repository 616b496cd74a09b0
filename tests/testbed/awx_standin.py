"""An HTTP(S) stand-in for the AWX REST API, as AWX 24.6.1 serves it to the awx.awx collection.

No AWX can run on the test machines, so the AWX path of ``playbooks/bootstrap.yml`` is tested
against this server with the unmodified awx.awx 24.6.1 modules and lookups. It serves what those
modules call, with AWX's own rules where they decide whether a playbook works on a real AWX:

- authentication: ``Authorization: Bearer <token>`` (401 on a bad one), HTTP Basic, and the token
  exchange the modules make from a username and password (``POST /api/v2/tokens/``, ``DELETE``);
- ``/api/``, ``/api/v2/``, ``ping``, ``config``, ``me``; every response carries
  ``X-API-Product-Name: AWX`` and ``X-API-Product-Version: 24.6.1``;
- organizations, credential types, credentials, projects (with their project updates),
  inventories, inventory sources, execution environments, job templates, schedules, jobs, and the
  read-only ``unified_job_templates`` (one id sequence shared by projects, job templates and
  inventory sources, as in AWX, so a name shared between them makes lookups ambiguous there too);
- list views with ``{count, next, previous, results}``, ``page``/``page_size``/``order_by``,
  Django-style filters (``name``, ``or__id``, ``name__startswith``, ``organization__name``, ...),
  POST (201 with ``id``, ``url``, ``related``, ``summary_fields``), PATCH, PUT, DELETE (204);
- association sub-lists (``job_templates/N/credentials/``, ``schedules/N/credentials/``) with
  ``{"id": N}`` / ``{"id": N, "disassociate": true}`` and AWX's checks (one credential per
  type, prompts the template must allow);
- validation as AWX does it: unique names, credential type kinds and injector templates
  (undefined fields, ``ANSIBLE_*`` and blocked variables), credential inputs (unknown fields,
  ``$encrypted$`` echoed for secrets and kept on update), a job template's playbook from its
  project, rrules (DTSTART with a time zone, INTERVAL, no SECONDLY, COUNT <= 999, ...), survey specs
  (``job_templates/N/survey_spec/``), and prompts as AWX's ``_accept_or_ignore_variables`` and launch
  serializers treat them: a survey's answers are checked against its questions; other variables pass
  only when the template asks for variables on launch, else a schedule (a saved launch configuration)
  is refused them and a launch (``job_templates/N/launch/``) drops them into ``ignored_fields``;
  launch-time credentials replace the template's of the same type, and a job whose credential lacks a
  required input fails AWX's pre-start check;
- schedules' ``next_run``, ``dtstart``, ``dtend``, ``timezone`` and ``until`` from the rrule with
  python-dateutil, including AWX's fast-forward of MINUTELY and HOURLY rules whose DTSTART is more
  than a week old.

Where it differs from AWX (on purpose): nothing runs. Projects are "updated" at once to a revision
made from their URL and branch, with the playbooks and inventory files this stand-in was given;
schedules launch no jobs (``add_job()`` records one, with the schedule's variables and credentials,
as if the schedule had fired), launched jobs stay ``pending``, and ``next_run`` is brought forward on
read, as AWX's periodic scheduler would. ``job_runtime()`` gives what AWX would hand ansible-playbook
for a job (the environment its credentials inject, its extra variables and AWX's ``awx_*`` ones), so
a test can run the playbook as the job would. There is no RBAC (the one user is a
superuser), no activity stream, no notifications, labels or instance groups. Where this file and
AWX disagree, AWX is right.

In a test: ``with AwxStandin() as awx: ... awx.url, awx.token, awx.requests``. As a process::

    python -m testbed.awx_standin serve --port 0 --state-dir DIR [--tls]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import datetime
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import ssl
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import dateutil.rrule
from dateutil.tz import tzutc

from testbed.serving import QuietServer, clear_state_dir, serve_until_stopped

PRODUCT_NAME = "AWX"
PRODUCT_VERSION = "24.6.1"
ADMIN_PREFIX = "/__standin__"
PAGE_SIZE = 25
MAX_PAGE_SIZE = 200
ENCRYPTED = "$encrypted$"
NOT_AUTHENTICATED = "Authentication credentials were not provided. To establish a login session, visit /api/login/."
DEFAULT_PLAYBOOKS = ("playbooks/bootstrap.yml", "playbooks/schedule.yml", "playbooks/status.yml",
                     "playbooks/sync.yml")
DEFAULT_INVENTORY_FILES = ("inventory/", "inventory/hosts.yml")
# awx/main/constants.py ENV_BLOCKLIST
ENV_BLOCKLIST = frozenset((
    "VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID", "INVENTORY_UPDATE_ID",
    "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES", "CALLBACK_QUEUE", "CALLBACK_CONNECTION",
    "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS", "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH",
))
UTC_TIMEZONES = {name: tzutc() for name in ("UTC", "GMT", "Z", "z")}
# awx/main/constants.py
SURVEY_TYPE_MAPPING = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                       "integer": int, "float": (float, int)}
JOB_VARIABLE_PREFIXES = ("awx", "tower")
# Credential kinds a launch (or a saved launch configuration) may bring (awx/api/serializers.py).
LAUNCH_CREDENTIAL_KINDS = ("ssh", "vault", "cloud", "net", "kubernetes")
# The managed "OpenShift or Kubernetes API Bearer Token" type: its inputs, and what its built-in
# injector sets (awx/main/tests/unit/test_tasks.py test_k8s_credential).
KUBERNETES_BEARER_TOKEN_INPUTS = {
    "fields": [{"id": "host", "label": "OpenShift or Kubernetes API Endpoint", "type": "string"},
               {"id": "bearer_token", "label": "API authentication bearer token", "type": "string", "secret": True},
               {"id": "verify_ssl", "label": "Verify SSL", "type": "boolean", "default": True},
               {"id": "ssl_ca_cert", "label": "Certificate Authority data", "type": "string", "secret": True,
                "multiline": True}],
    "required": ["host", "bearer_token"]}
# Fields of a job template that a schedule may set only when the template prompts for them.
ASK_MAPPING = {
    "extra_data": "ask_variables_on_launch",
    "inventory": "ask_inventory_on_launch",
    "scm_branch": "ask_scm_branch_on_launch",
    "job_type": "ask_job_type_on_launch",
    "job_tags": "ask_tags_on_launch",
    "skip_tags": "ask_skip_tags_on_launch",
    "limit": "ask_limit_on_launch",
    "diff_mode": "ask_diff_mode_on_launch",
    "verbosity": "ask_verbosity_on_launch",
    "execution_environment": "ask_execution_environment_on_launch",
    "forks": "ask_forks_on_launch",
    "job_slice_count": "ask_job_slice_count_on_launch",
    "timeout": "ask_timeout_on_launch",
}


class ApiError(Exception):
    def __init__(self, status: int, body):
        super().__init__(status, body)
        self.status = status
        self.body = body if isinstance(body, dict) else {"detail": body}


def not_found() -> ApiError:
    return ApiError(404, "Not found.")


def invalid(field: str, message) -> ApiError:
    return ApiError(400, {field: message if isinstance(message, (list, dict)) else [message]})


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def iso(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Resources: which fields each has, with AWX's defaults
# ---------------------------------------------------------------------------

UJT = "unified_job_templates"


class Resource:
    """One list endpoint of the API: its writable fields, foreign keys and rules."""

    plural = ""
    type = ""
    sequence = ""
    fields: dict = {}          # writable field -> default
    read_only: dict = {}       # read-only field -> default
    foreign_keys: dict = {}    # field -> plural of the target (or UJT)
    write_only: tuple = ()     # accepted on create, never shown
    required: tuple = ("name",)
    unique: tuple = (("name",),)
    choices: dict = {}
    sub_lists: dict = {}       # name -> plural of the associated objects
    writable = True

    def __init__(self, store: Store):
        self.store = store

    # -- hooks --------------------------------------------------------------

    def validate(self, record: dict, changes: dict, creating: bool) -> None:
        """Raise ApiError when ``changes`` to ``record`` (already merged) break a rule."""

    def after_save(self, record: dict, creating: bool) -> None:
        pass

    def before_delete(self, record: dict) -> None:
        pass

    def related(self, record: dict) -> dict:
        return {}

    def summary(self, record: dict) -> dict:
        return {}

    def extra(self, record: dict) -> dict:
        """Computed read-only fields."""
        return {}

    def sub_view(self, record: dict, name: str, method: str, body, query: dict):
        raise not_found()

    # -- shared helpers -----------------------------------------------------

    def url(self, record: dict) -> str:
        return "/api/v2/%s/%d/" % (self.plural, record["id"])

    def link(self, record: dict, sub: str) -> str:
        return self.url(record) + sub + "/"

    def brief(self, record: dict) -> dict:
        return {"id": record["id"], "name": record.get("name"), "description": record.get("description", "")}

    def ordering(self):
        return ("id",)


def _fk_summary(store: Store, plural: str, object_id) -> dict | None:
    if object_id is None:
        return None
    record = store.get_record(plural, object_id)
    if record is None:
        return None
    return store.resource(plural).brief(record)


class Organizations(Resource):
    plural, type, sequence = "organizations", "organization", "organizations"
    fields = {"name": "", "description": "", "max_hosts": 0, "custom_virtualenv": None, "default_environment": None}
    foreign_keys = {"default_environment": "execution_environments"}

    def related(self, record):
        return {name: self.link(record, name) for name in (
            "execution_environments", "projects", "inventories", "job_templates", "workflow_job_templates", "users",
            "admins", "teams", "credentials", "applications", "activity_stream", "notification_templates",
            "instance_groups", "galaxy_credentials", "object_roles", "access_list")}

    def summary(self, record):
        counts = {plural: sum(1 for r in self.store.records(plural) if r.get("organization") == record["id"])
                  for plural in ("inventories", "projects", "job_templates")}
        counts.update(teams=0, users=1, admins=1, hosts=0)
        return {"related_field_counts": counts}


class CredentialTypes(Resource):
    plural, type, sequence = "credential_types", "credential_type", "credential_types"
    fields = {"name": "", "description": "", "kind": None, "inputs": {}, "injectors": {}}
    read_only = {"managed": False, "namespace": None}
    required = ("name", "kind")
    unique = (("name", "kind"),)

    def validate(self, record, changes, creating):
        if record.get("managed"):
            raise ApiError(403, "Modifications not allowed for managed credential types")
        if record["kind"] not in ("cloud", "net"):
            raise invalid("kind", "Must be 'cloud' or 'net', not %s" % record["kind"])
        in_use = not creating and any(c["credential_type"] == record["id"] for c in self.store.records("credentials"))
        if in_use and "inputs" in changes and changes["inputs"] != self.store.get_record(self.plural, record["id"])["inputs"]:
            raise ApiError(403, "Modifications to inputs are not allowed for credential types that are in use")
        _check_type_inputs(record["inputs"])
        _check_injectors(record["injectors"], record["inputs"])

    def before_delete(self, record):
        if record.get("managed"):
            raise ApiError(403, "Deletion not allowed for managed credential types")
        if any(c["credential_type"] == record["id"] for c in self.store.records("credentials")):
            raise ApiError(403, "Credential types that are in use cannot be deleted")

    def related(self, record):
        return {"credentials": self.link(record, "credentials"), "activity_stream": self.link(record, "activity_stream")}


def _defined_fields(inputs: dict) -> list[dict]:
    return [f for f in (inputs or {}).get("fields", []) if isinstance(f, dict)]


def _check_type_inputs(inputs) -> None:
    if not isinstance(inputs, dict):
        raise invalid("inputs", "Must be an object.")
    fields = inputs.get("fields", [])
    if not isinstance(fields, list):
        raise invalid("inputs", "'fields' must be an array.")
    seen = set()
    for index, field in enumerate(fields):
        if not isinstance(field, dict) or "id" not in field or "label" not in field:
            raise invalid("inputs", "$.fields[%d] needs 'id' and 'label'" % index)
        if not re.match(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$", str(field["id"])):
            raise invalid("inputs", "$.fields[%d].id: %s is not a valid variable name" % (index, field["id"]))
        if field["id"] in seen:
            raise invalid("inputs", "field IDs must be unique (%s)" % field["id"])
        seen.add(field["id"])
        if field.get("type", "string") not in ("string", "boolean"):
            raise invalid("inputs", "$.fields[%d].type must be one of ['string', 'boolean']" % index)
    for name in inputs.get("required", []):
        if name not in seen:
            raise invalid("inputs", "$.required: %s is not a defined field" % name)


def _check_injectors(injectors, inputs) -> None:
    """AWX's CredentialTypeInjectorField: schema, allowed variables, templates that render."""
    from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    if not isinstance(injectors, dict):
        raise invalid("injectors", "Must be an object.")
    extra = set(injectors) - {"file", "env", "extra_vars"}
    if extra:
        raise invalid("injectors", "Additional properties are not allowed (%s)" % ", ".join(sorted(extra)))
    files = injectors.get("file", {}) or {}
    for name in files:
        if not re.match(r"^template(\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$", name):
            raise invalid("injectors", "'%s' does not match any of the regexes: '^template(\\.[a-zA-Z_]+[a-zA-Z0-9_]*)?$'"
                          % name)
    env = injectors.get("env", {}) or {}
    for name, value in env.items():
        if not re.match(r"^[a-zA-Z_]+[a-zA-Z0-9_]*$", name):
            raise invalid("injectors", "'%s' does not match any of the regexes: '^[a-zA-Z_]+[a-zA-Z0-9_]*$'" % name)
        if name.startswith("ANSIBLE_"):
            raise invalid("injectors", "Environment variable %s may affect Ansible configuration so its use is not "
                                       "allowed in credentials." % name)
        if name in ENV_BLOCKLIST:
            raise invalid("injectors", "Environment variable %s is not allowed to be used in credentials." % name)
        if not isinstance(value, str):
            raise invalid("injectors", "%r is not of type 'string'" % (value,))

    namespace = {field["id"]: "EXAMPLE" for field in _defined_fields(inputs)}

    class _Filenames:
        pass

    tower = _Filenames()
    names = [name for name in files if name.startswith("template")]
    if "template" in names:
        if len(names) > 1:
            raise invalid("injectors", "Must use multi-file syntax when injecting multiple files")
        tower.filename = "EXAMPLE_FILENAME"
    elif names:
        tower.filename = _Filenames()
        for name in names:
            setattr(tower.filename, name.split(".")[1], "EXAMPLE_FILENAME")
    namespace["tower"] = tower
    environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    for kind, templates in (("file", files), ("env", env), ("extra_vars", injectors.get("extra_vars", {}) or {})):
        for key, template in templates.items():
            if not isinstance(template, str):
                continue
            try:
                environment.from_string(template).render(namespace)
            except UndefinedError as exc:
                raise invalid("injectors", "%s uses an undefined field (%s)" % (key, exc)) from None
            except TemplateSyntaxError as exc:
                raise invalid("injectors", "Syntax error rendering template for %s inside of %s (%s)"
                              % (key, kind, exc)) from None


class Credentials(Resource):
    plural, type, sequence = "credentials", "credential", "credentials"
    fields = {"name": "", "description": "", "organization": None, "credential_type": None, "inputs": {}}
    read_only = {"managed": False}
    foreign_keys = {"organization": "organizations", "credential_type": "credential_types"}
    write_only = ("user", "team")
    required = ("name", "credential_type")
    unique = (("organization", "name", "credential_type"),)

    def _type(self, record):
        return self.store.get_record("credential_types", record["credential_type"])

    def validate(self, record, changes, creating):
        if creating and not (record.get("organization") or record.get("user") or record.get("team")):
            raise ApiError(400, "Missing 'user', 'team', or 'organization'.")
        ctype = self._type(record)
        defined = {f["id"]: f for f in _defined_fields(ctype["inputs"])}
        secret = {name for name, f in defined.items() if f.get("secret")}
        inputs = record.get("inputs") or {}
        if not isinstance(inputs, dict):
            raise invalid("inputs", "Must be an object.")
        old = {} if creating else (self.store.get_record(self.plural, record["id"]) or {}).get("inputs", {})
        merged = {}
        for name, value in inputs.items():
            if name not in defined:
                raise invalid("inputs", "Additional properties are not allowed ('%s' was unexpected)" % name)
            if name in secret and value == ENCRYPTED:
                if creating or name not in old:
                    raise invalid("inputs", "$encrypted$ is a reserved keyword, and cannot be used for %s." % name)
                value = old[name]
            kind = defined[name].get("type", "string")
            if kind == "string" and not isinstance(value, str):
                raise invalid("inputs", {name: ["%r is not of type 'string'" % (value,)]})
            if kind == "boolean" and not isinstance(value, bool):
                raise invalid("inputs", {name: ["%r is not of type 'boolean'" % (value,)]})
            if defined[name].get("choices") and value not in defined[name]["choices"]:
                raise invalid("inputs", {name: ["%r is not one of %r" % (value, defined[name]["choices"])]})
            merged[name] = value
        record["inputs"] = merged

    def extra(self, record):
        ctype = self._type(record) or {}
        return {"kind": ctype.get("namespace") or "", "cloud": ctype.get("kind") == "cloud",
                "kubernetes": ctype.get("kind") == "kubernetes"}

    def represent_inputs(self, record):
        ctype = self._type(record) or {}
        secret = {f["id"] for f in _defined_fields(ctype.get("inputs")) if f.get("secret")}
        return {name: (ENCRYPTED if name in secret and value not in ("", None) else value)
                for name, value in (record.get("inputs") or {}).items()}

    def related(self, record):
        related = {name: self.link(record, name) for name in (
            "activity_stream", "access_list", "object_roles", "owner_users", "owner_teams", "copy", "input_sources",
            "test")}
        related["credential_type"] = "/api/v2/credential_types/%d/" % record["credential_type"]
        if record.get("organization"):
            related["organization"] = "/api/v2/organizations/%d/" % record["organization"]
        return related

    def summary(self, record):
        ctype = self._type(record) or {}
        return {"credential_type": {"id": ctype.get("id"), "name": ctype.get("name"),
                                    "description": ctype.get("description", "")},
                "owners": []}

    def brief(self, record):
        brief = super().brief(record)
        brief.update(self.extra(record), credential_type_id=record["credential_type"])
        return brief


class ExecutionEnvironments(Resource):
    plural, type, sequence = "execution_environments", "execution_environment", "execution_environments"
    fields = {"name": "", "description": "", "organization": None, "image": "", "credential": None, "pull": ""}
    read_only = {"managed": False}
    foreign_keys = {"organization": "organizations", "credential": "credentials"}
    required = ("name", "image")
    choices = {"pull": ("", "always", "missing", "never")}
    unique = ()

    def brief(self, record):
        return dict(super().brief(record), image=record["image"])


class UnifiedJobTemplate(Resource):
    sequence = "unified_job_templates"
    read_only = {"last_job_run": None, "last_job_failed": False, "next_job_run": None, "status": "never updated"}
    unique = (("organization", "name"),)

    def summary(self, record):
        summary = {}
        for field in ("organization", "inventory", "project", "execution_environment", "credential",
                      "source_project"):
            if field in self.foreign_keys and record.get(field):
                summary[field] = _fk_summary(self.store, self.foreign_keys[field], record[field])
        return summary

    def next_job_run(self, record):
        runs = [s["next_run"] for s in self.store.records("schedules")
                if s["unified_job_template"] == record["id"] and s.get("enabled") and s.get("next_run")]
        return min(runs) if runs else None


class Projects(UnifiedJobTemplate):
    plural, type = "projects", "project"
    fields = {"name": "", "description": "", "local_path": "", "scm_type": "", "scm_url": "", "scm_branch": "",
              "scm_refspec": "", "scm_clean": False, "scm_track_submodules": False, "scm_delete_on_update": False,
              "credential": None, "timeout": 0, "organization": None, "scm_update_on_launch": False,
              "scm_update_cache_timeout": 0, "allow_override": False, "custom_virtualenv": None,
              "default_environment": None, "signature_validation_credential": None}
    read_only = dict(UnifiedJobTemplate.read_only, scm_revision="", last_update_failed=False, last_updated=None)
    foreign_keys = {"organization": "organizations", "credential": "credentials",
                    "default_environment": "execution_environments",
                    "signature_validation_credential": "credentials"}
    required = ("name", "organization")
    choices = {"scm_type": ("", "git", "svn", "insights", "archive")}

    def validate(self, record, changes, creating):
        if record["scm_type"] and not record["scm_url"]:
            raise invalid("scm_url", "SCM URL is required.")
        if not record["scm_type"] and record["scm_url"]:
            raise invalid("scm_url", "Manual projects cannot have an SCM URL.")

    def after_save(self, record, creating):
        scm_changed = creating or record.pop("_scm_changed", False)
        if record["scm_type"] and scm_changed:
            update = self.store.run_project_update(record)
            record["_current_update"] = update["id"] if creating else None
        elif not record["scm_type"]:
            record["status"] = "ok"

    def extra(self, record):
        return {"next_job_run": self.next_job_run(record)}

    def related(self, record):
        related = {name: self.link(record, name) for name in (
            "teams", "playbooks", "inventory_files", "update", "project_updates", "scm_inventory_sources",
            "schedules", "activity_stream", "notification_templates_started", "notification_templates_success",
            "notification_templates_error", "access_list", "object_roles", "copy")}
        related["organization"] = "/api/v2/organizations/%d/" % record["organization"]
        if record.get("_last_update"):
            related["last_update"] = "/api/v2/project_updates/%d/" % record["_last_update"]
            related["last_job"] = related["last_update"]
        return related

    def summary(self, record):
        summary = super().summary(record)
        update = self.store.get_record("project_updates", record.get("_last_update"))
        if update:
            brief = {"id": update["id"], "name": update["name"], "description": "", "status": update["status"],
                     "failed": update["failed"]}
            summary["last_update"] = brief
            summary["last_job"] = dict(brief, finished=update["finished"])
        current = record.get("_current_update")
        if current:
            summary["current_update"] = {"id": current, "name": record["name"], "description": "",
                                         "status": "successful", "failed": False}
        return summary

    def sub_view(self, record, name, method, body, query):
        if name == "playbooks" and method == "GET":
            return 200, list(self.store.playbooks) if record["scm_type"] else []
        if name == "inventories" and method == "GET":
            return 200, list(self.store.inventory_files) if record["scm_type"] else []
        if name == "update":
            if method == "GET":
                return 200, {"can_update": bool(record["scm_type"])}
            if method == "POST":
                if not record["scm_type"]:
                    raise ApiError(405, "Method \"POST\" not allowed.")
                update = self.store.run_project_update(record)
                return 202, dict(self.store.represent("project_updates", update), project_update=update["id"])
        if name == "project_updates" and method == "GET":
            return "list", ("project_updates", lambda r: r["project"] == record["id"])
        if name == "schedules" and method == "GET":
            return "list", ("schedules", lambda r: r["unified_job_template"] == record["id"])
        raise not_found()


class Inventories(Resource):
    plural, type, sequence = "inventories", "inventory", "inventories"
    fields = {"name": "", "description": "", "organization": None, "kind": "", "host_filter": None, "variables": "",
              "prevent_instance_group_fallback": False}
    read_only = {"has_active_failures": False, "total_hosts": 0, "hosts_with_active_failures": 0, "total_groups": 0,
                 "inventory_sources_with_failures": 0, "pending_deletion": False}
    foreign_keys = {"organization": "organizations"}
    required = ("name", "organization")
    unique = (("organization", "name"),)
    choices = {"kind": ("", "smart", "constructed")}

    def before_delete(self, record):
        for source in list(self.store.records("inventory_sources")):
            if source["inventory"] == record["id"]:
                self.store.delete("inventory_sources", source["id"])

    def extra(self, record):
        sources = [s for s in self.store.records("inventory_sources") if s["inventory"] == record["id"]]
        return {"has_inventory_sources": bool(sources), "total_inventory_sources": len(sources)}

    def related(self, record):
        related = {name: self.link(record, name) for name in (
            "hosts", "groups", "root_groups", "variable_data", "script", "tree", "inventory_sources",
            "update_inventory_sources", "activity_stream", "job_templates", "ad_hoc_commands", "access_list",
            "object_roles", "instance_groups", "copy", "labels")}
        related["organization"] = "/api/v2/organizations/%d/" % record["organization"]
        return related

    def summary(self, record):
        return {"organization": _fk_summary(self.store, "organizations", record["organization"])}


class InventorySources(UnifiedJobTemplate):
    plural, type = "inventory_sources", "inventory_source"
    fields = {"name": "", "description": "", "inventory": None, "source": "", "source_path": "", "source_vars": "",
              "scm_branch": "", "credential": None, "enabled_var": "", "enabled_value": "", "host_filter": "",
              "overwrite": False, "overwrite_vars": False, "custom_virtualenv": None, "timeout": 0, "verbosity": 1,
              "limit": "", "update_on_launch": False, "update_cache_timeout": 0, "source_project": None,
              "execution_environment": None}
    read_only = dict(UnifiedJobTemplate.read_only, last_update_failed=False, last_updated=None, organization=None)
    foreign_keys = {"inventory": "inventories", "credential": "credentials", "source_project": "projects",
                    "execution_environment": "execution_environments", "organization": "organizations"}
    required = ("name", "inventory")
    unique = (("inventory", "name"),)
    choices = {"source": ("", "file", "scm", "ec2", "gce", "azure_rm", "vmware", "satellite6", "openstack", "rhv",
                          "controller", "insights", "terraform", "openshift_virtualization", "constructed"),
               "verbosity": (0, 1, 2)}

    def validate(self, record, changes, creating):
        if record["source"] == "scm":
            if not record["source_project"]:
                raise invalid("source_project", "Project required for scm type sources.")
            project = self.store.get_record("projects", record["source_project"])
            if record["source_path"] and record["source_path"] not in self.store.inventory_files:
                raise invalid("source_path", "File %s not found in project %s." % (record["source_path"], project["name"]))
        inventory = self.store.get_record("inventories", record["inventory"])
        record["organization"] = inventory["organization"]

    def related(self, record):
        related = {name: self.link(record, name) for name in (
            "update", "inventory_updates", "schedules", "activity_stream", "hosts", "groups",
            "notification_templates_started", "notification_templates_success", "notification_templates_error",
            "credentials")}
        related["inventory"] = "/api/v2/inventories/%d/" % record["inventory"]
        if record.get("source_project"):
            related["source_project"] = "/api/v2/projects/%d/" % record["source_project"]
        return related

    def sub_view(self, record, name, method, body, query):
        if name == "schedules" and method == "GET":
            return "list", ("schedules", lambda r: r["unified_job_template"] == record["id"])
        raise not_found()


class JobTemplates(UnifiedJobTemplate):
    plural, type = "job_templates", "job_template"
    ask_fields = ("ask_scm_branch_on_launch", "ask_diff_mode_on_launch", "ask_variables_on_launch",
                  "ask_limit_on_launch", "ask_tags_on_launch", "ask_skip_tags_on_launch", "ask_job_type_on_launch",
                  "ask_verbosity_on_launch", "ask_inventory_on_launch", "ask_credential_on_launch",
                  "ask_execution_environment_on_launch", "ask_labels_on_launch", "ask_forks_on_launch",
                  "ask_job_slice_count_on_launch", "ask_timeout_on_launch", "ask_instance_groups_on_launch")
    fields = dict({"name": "", "description": "", "job_type": "run", "inventory": None, "project": None,
                   "playbook": "", "scm_branch": "", "forks": 0, "limit": "", "verbosity": 0, "extra_vars": "",
                   "job_tags": "", "force_handlers": False, "skip_tags": "", "start_at_task": "", "timeout": 0,
                   "use_fact_cache": False, "organization": None, "execution_environment": None,
                   "host_config_key": "", "survey_enabled": False, "become_enabled": False, "diff_mode": False,
                   "allow_simultaneous": False, "custom_virtualenv": None, "job_slice_count": 1,
                   "webhook_service": "", "webhook_credential": None, "prevent_instance_group_fallback": False},
                  **{name: False for name in ask_fields})
    foreign_keys = {"inventory": "inventories", "project": "projects", "organization": "organizations",
                    "execution_environment": "execution_environments", "webhook_credential": "credentials"}
    choices = {"job_type": ("run", "check"), "verbosity": (0, 1, 2, 3, 4, 5), "webhook_service": ("", "github", "gitlab")}
    sub_lists = {"credentials": "credentials"}

    def validate(self, record, changes, creating):
        if not record["project"]:
            raise invalid("project", "This field is required.")
        project = self.store.get_record("projects", record["project"])
        if not record["playbook"]:
            raise invalid("playbook", "Must select playbook for project.")
        if record["playbook"] not in (self.store.playbooks if project["scm_type"] else ()):
            raise invalid("playbook", "Playbook not found for project.")
        if not record["inventory"] and not record["ask_inventory_on_launch"]:
            raise invalid("inventory", "Job Template must provide 'inventory' or allow prompting for it.")
        if record["organization"] is None:
            record["organization"] = project["organization"]
        if record["extra_vars"] not in ("", None):
            _parse_vars(record["extra_vars"], "extra_vars")

    def before_delete(self, record):
        for schedule in list(self.store.records("schedules")):
            if schedule["unified_job_template"] == record["id"]:
                self.store.delete("schedules", schedule["id"])

    def extra(self, record):
        return {"next_job_run": self.next_job_run(record)}

    def related(self, record):
        related = {name: self.link(record, name) for name in (
            "named_url", "created_by", "modified_by", "labels", "inventory", "project", "organization",
            "credentials", "last_job", "jobs", "schedules", "activity_stream", "launch", "webhook_key",
            "webhook_receiver", "notification_templates_started", "notification_templates_success",
            "notification_templates_error", "access_list", "survey_spec", "object_roles", "instance_groups",
            "slice_workflow_jobs", "copy", "callback")}
        related["inventory"] = "/api/v2/inventories/%d/" % record["inventory"] if record["inventory"] else None
        related["project"] = "/api/v2/projects/%d/" % record["project"]
        related["organization"] = "/api/v2/organizations/%d/" % record["organization"]
        if related["inventory"] is None:
            del related["inventory"]
        return related

    def summary(self, record):
        summary = super().summary(record)
        credentials = self.store.association(self.plural, record["id"], "credentials")
        summary["credentials"] = [self.store.resource("credentials").brief(self.store.get_record("credentials", c))
                                  for c in credentials]
        summary["labels"] = {"count": 0, "results": []}
        jobs = sorted((j for j in self.store.records("jobs") if j["job_template"] == record["id"]),
                      key=lambda j: j["id"], reverse=True)
        summary["recent_jobs"] = [{"id": j["id"], "status": j["status"], "finished": j["finished"],
                                   "canceled_on": None, "type": "job"} for j in jobs[:10]]
        if jobs:
            summary["last_job"] = {"id": jobs[0]["id"], "name": jobs[0]["name"], "description": "",
                                   "finished": jobs[0]["finished"], "status": jobs[0]["status"],
                                   "failed": jobs[0]["failed"]}
        summary["user_capabilities"] = {"edit": True, "delete": True, "start": True, "schedule": True, "copy": True}
        return summary

    def sub_view(self, record, name, method, body, query):
        if name == "credentials":
            return self.store.sub_list(self.plural, record, "credentials", method, body, self._credential_rule)
        if name == "schedules":
            if method == "GET":
                return "list", ("schedules", lambda r: r["unified_job_template"] == record["id"])
            if method == "POST":
                data = dict(body or {}, unified_job_template=record["id"])
                return 201, self.store.create("schedules", data)
        if name == "jobs" and method == "GET":
            return "list", ("jobs", lambda r: r["job_template"] == record["id"])
        if name == "survey_spec":
            return self._survey_spec(record, method, body)
        if name == "launch":
            return self._launch(record, method, body)
        raise not_found()

    def _survey_spec(self, record, method, body):
        """awx/api/views JobTemplateSurveySpec: GET, POST (validated, stored as sent) and DELETE."""
        if method == "GET":
            return 200, copy.deepcopy(record.get("_survey_spec") or {})
        if method == "POST":
            check_survey_spec(body)
            record["_survey_spec"] = copy.deepcopy(body)
            return 200, None
        if method == "DELETE":
            record["_survey_spec"] = {}
            return 200, None
        raise ApiError(405, "Method \"%s\" not allowed." % method)

    def _launch(self, record, method, body):
        """awx/api/views JobTemplateLaunch with JobLaunchSerializer: what is not prompted for is ignored."""
        if method == "GET":
            return 200, self._launch_info(record)
        if method != "POST":
            raise ApiError(405, "Method \"%s\" not allowed." % method)
        body = body if isinstance(body, dict) else {}
        accepted, ignored = self.store.accept_launch(record, body)
        job = self.store.create_job(record, accepted.get("extra_vars", {}), accepted.get("credentials"),
                                    launch_type="manual", user=1)
        representation = self.store.represent("jobs", job)
        return 201, dict({"job": job["id"], "ignored_fields": ignored}, **representation)

    def _launch_info(self, record):
        survey = record.get("_survey_spec") or {}
        questions = survey.get("spec", []) if record["survey_enabled"] else []
        needed = [q["variable"] for q in questions if q.get("required")]
        credentials = [self.store.get_record("credentials", c) for c in self.store.association(
            self.plural, record["id"], "credentials")]
        info = {name: record[name] for name in self.ask_fields}
        info.update(can_start_without_user_input=not needed and not any(record[a] for a in self.ask_fields),
                    passwords_needed_to_start=[], variables_needed_to_start=needed, credential_needed_to_start=False,
                    inventory_needed_to_start=not record["inventory"],
                    survey_enabled=bool(record["survey_enabled"] and "spec" in survey),
                    job_template_data={"id": record["id"], "name": record["name"],
                                       "description": record["description"]},
                    defaults={"extra_vars": record["extra_vars"],
                              "credentials": [{"id": c["id"], "name": c["name"],
                                               "credential_type": c["credential_type"], "passwords_needed": []}
                                              for c in credentials]})
        return info

    def _credential_rule(self, parent, credential):
        ctype = self.store.get_record("credential_types", credential["credential_type"])
        for other in self.store.association(self.plural, parent["id"], "credentials"):
            if self.store.get_record("credentials", other)["credential_type"] == ctype["id"]:
                return {"error": "Cannot assign multiple %s credentials." % ctype["name"]}
        if ctype["kind"] not in ("ssh", "vault", "cloud", "net", "kubernetes"):
            return {"error": "Cannot assign a Credential of kind `%s`." % ctype["kind"]}
        return None


class Schedules(Resource):
    plural, type, sequence = "schedules", "schedule", "schedules"
    fields = {"name": "", "description": "", "rrule": "", "unified_job_template": None, "enabled": True,
              "extra_data": {}, "inventory": None, "scm_branch": None, "job_type": None, "job_tags": None,
              "skip_tags": None, "limit": None, "diff_mode": None, "verbosity": None, "execution_environment": None,
              "forks": None, "job_slice_count": None, "timeout": None}
    read_only = {"dtstart": None, "dtend": None, "next_run": None}
    foreign_keys = {"unified_job_template": UJT, "inventory": "inventories",
                    "execution_environment": "execution_environments"}
    required = ("name", "rrule", "unified_job_template")
    unique = (("unified_job_template", "name"),)
    sub_lists = {"credentials": "credentials"}

    def ordering(self):
        # AWX orders schedules by next_run, latest first and unscheduled last, then by id.
        return ("-next_run", "id")

    def validate(self, record, changes, creating):
        validate_rrule(record["rrule"])
        ujt = self.store.get_record(UJT, record["unified_job_template"])
        if ujt["type"] == "project" and not ujt["scm_type"]:
            raise invalid("unified_job_template", "Manual Project cannot have a schedule set.")
        if isinstance(record["extra_data"], str):
            record["extra_data"] = _parse_vars(record["extra_data"], "extra_data") if record["extra_data"] else {}
        if not isinstance(record["extra_data"], dict):
            raise invalid("extra_data", "Input type `%s` is not a dictionary" % type(record["extra_data"]).__name__)
        if ujt["type"] != "job_template":
            return
        # AWX validates the prompts of a new schedule always (its serializer fills every prompt
        # field with a default), and of a changed one when a prompt field changes.
        prompted = set(ASK_MAPPING) & set(changes)
        if not prompted and not creating:
            return
        _accepted, _rejected, errors = accept_or_ignore_variables(ujt, record["extra_data"] or {})
        if "extra_vars" in errors:
            # Launch configs call extra_vars extra_data for historical reasons (AWX's words).
            errors["extra_data"] = errors.pop("extra_vars")
        for field, ask in ASK_MAPPING.items():
            if field == "extra_data" or record.get(field) is None:
                continue
            if record[field] != ujt.get(field) and not ujt[ask]:
                errors[field] = ["Field is not configured to prompt on launch."]
        missing = [name for name in ("project", "inventory") if not ujt.get(name) and not record.get(name)]
        if missing:
            errors["resources_needed_to_start"] = ["Job Template %s is missing or undefined." % name for name in missing]
        if errors:
            raise ApiError(400, errors)

    def after_save(self, record, creating):
        self.store.compute_schedule(record)

    def extra(self, record):
        ruleset = awx_rrulestr(record["rrule"])
        return {"timezone": rrule_timezone(ruleset), "until": rrule_until(ruleset)}

    def related(self, record):
        related = {name: self.link(record, name) for name in ("credentials", "labels", "instance_groups",
                                                              "activity_stream")}
        related["unified_jobs"] = self.link(record, "jobs")
        ujt = self.store.get_record(UJT, record["unified_job_template"])
        related["unified_job_template"] = self.store.resource_of(ujt).url(ujt)
        if ujt.get("project"):
            related["project"] = "/api/v2/projects/%d/" % ujt["project"]
        inventory = record.get("inventory") or ujt.get("inventory")
        if inventory:
            related["inventory"] = "/api/v2/inventories/%d/" % inventory
        return related

    def summary(self, record):
        ujt = self.store.get_record(UJT, record["unified_job_template"])
        summary = {"unified_job_template": {"id": ujt["id"], "name": ujt["name"], "description": ujt["description"],
                                            "unified_job_type": {"job_template": "job", "project": "project_update",
                                                                 "inventory_source": "inventory_update"}[ujt["type"]]},
                   "user_capabilities": {"edit": True, "delete": True}}
        inventory = record.get("inventory") or ujt.get("inventory")
        if inventory:
            summary["inventory"] = _fk_summary(self.store, "inventories", inventory)
        return summary

    def sub_view(self, record, name, method, body, query):
        if name == "credentials":
            return self.store.sub_list(self.plural, record, "credentials", method, body, self._credential_rule)
        if name == "jobs" and method == "GET":
            return "list", ("jobs", lambda r: r.get("schedule") == record["id"])
        raise not_found()

    def _credential_rule(self, parent, credential):
        ujt = self.store.get_record(UJT, parent["unified_job_template"])
        if ujt["type"] != "job_template":
            return {"msg": "Related template cannot accept credentials on launch."}
        if not ujt["ask_credential_on_launch"]:
            return {"msg": "Related template is not configured to accept credentials on launch."}
        ctype = self.store.get_record("credential_types", credential["credential_type"])
        for other in self.store.association(self.plural, parent["id"], "credentials"):
            if self.store.get_record("credentials", other)["credential_type"] == ctype["id"]:
                return {"msg": "This launch configuration already provides a %s credential." % ctype["name"]}
        if credential["id"] in self.store.association("job_templates", ujt["id"], "credentials"):
            return {"msg": "Related template already uses %s credential." % credential["name"]}
        return None


class ReadOnly(Resource):
    writable = False
    unique = ()


class ProjectUpdates(ReadOnly):
    plural, type, sequence = "project_updates", "project_update", "unified_jobs"

    def related(self, record):
        return {"project": "/api/v2/projects/%d/" % record["project"], "events": self.link(record, "events"),
                "stdout": self.link(record, "stdout"), "cancel": self.link(record, "cancel")}


class Jobs(ReadOnly):
    plural, type, sequence = "jobs", "job", "unified_jobs"
    sub_lists = {"credentials": "credentials"}

    def sub_view(self, record, name, method, body, query):
        if name == "credentials" and method == "GET":
            ids = set(self.store.association(self.plural, record["id"], "credentials"))
            return "list", ("credentials", lambda r: r["id"] in ids)
        raise not_found()

    def related(self, record):
        related = {"job_template": "/api/v2/job_templates/%d/" % record["job_template"],
                   "unified_job_template": "/api/v2/job_templates/%d/" % record["job_template"],
                   "stdout": self.link(record, "stdout"), "job_events": self.link(record, "job_events")}
        if record.get("schedule"):
            related["schedule"] = "/api/v2/schedules/%d/" % record["schedule"]
        return related


class Tokens(ReadOnly):
    plural, type, sequence = "tokens", "o_auth2_access_token", "tokens"


RESOURCE_CLASSES = (Organizations, CredentialTypes, Credentials, ExecutionEnvironments, Projects, Inventories,
                    InventorySources, JobTemplates, Schedules, ProjectUpdates, Jobs, Tokens)


def _parse_vars(text, field):
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        try:
            import yaml
            value = yaml.safe_load(text)
        except Exception:  # pylint: disable=broad-except  # any YAML error is the user's input error
            raise invalid(field, "Cannot parse as JSON (error: invalid syntax) or YAML.") from None
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid(field, "Input type `%s` is not a dictionary" % type(value).__name__)
    return value


# ---------------------------------------------------------------------------
# Surveys and prompts as AWX checks them
# ---------------------------------------------------------------------------


def check_survey_spec(spec) -> None:
    """awx/api/views JobTemplateSurveySpec._validate_spec_data (the parts a survey without passwords meets)."""
    if not isinstance(spec, dict):
        raise ApiError(400, {"error": "Field 'name' is missing from survey spec."})
    for field, expect, label in (("name", str, "string"), ("description", str, "string"),
                                 ("spec", list, "list of items")):
        if field not in spec:
            raise ApiError(400, {"error": "Field '%s' is missing from survey spec." % field})
        if not isinstance(spec[field], expect):
            raise ApiError(400, {"error": "Expected %s for field '%s', received %s type." % (
                label, field, type(spec[field]).__name__)})
    if not spec["spec"]:
        raise ApiError(400, {"error": "'spec' doesn't contain any items."})
    variables = set()
    for index, item in enumerate(spec["spec"]):
        if not isinstance(item, dict):
            raise ApiError(400, {"error": "Survey question %d is not a json object." % index})
        for field in ("type", "question_name", "variable", "required"):
            if field not in item:
                raise ApiError(400, {"error": "'%s' missing from survey question %d" % (field, index)})
            kind, label = (bool, "boolean") if field == "required" else (str, "string")
            if not isinstance(item[field], kind):
                raise ApiError(400, {"error": "'%s' in survey question %d expected to be %s." % (field, index, label)})
        if item["variable"] in variables:
            raise ApiError(400, {"error": "'variable' '%s' duplicated in survey question %d." % (
                item["variable"], index)})
        variables.add(item["variable"])
        if item["type"] not in SURVEY_TYPE_MAPPING:
            raise ApiError(400, {"error": "'%s' in survey question %d is not one of '%s' allowed question types." % (
                item["type"], index, ", ".join(SURVEY_TYPE_MAPPING))})
        if item["type"] in ("multiplechoice", "multiselect"):
            if "choices" not in item:
                raise ApiError(400, {"error": "Survey question %d of type %s must specify choices." % (
                    index, item["type"])})
            if "default" in item and item["default"] not in ("", None):
                defaults = item["default"].splitlines() if isinstance(item["default"], str) else item["default"]
                if any(default not in _choices(item) for default in defaults):
                    raise ApiError(400, {"error": "Default choice must be answered from the choices listed."})


def _choices(item) -> list:
    choices = item.get("choices") or []
    if isinstance(choices, str):
        choices = [choice for choice in choices.splitlines() if choice.strip() != ""]
    return list(choices)


def survey_element_errors(item: dict, data: dict, validate_required: bool = True) -> list[str]:
    """awx/main/models/mixins.py SurveyJobTemplateMixin._survey_element_validation (no password questions)."""
    variable = item["variable"]
    if variable not in data:
        return ["'%s' value missing" % variable] if item["required"] and validate_required else []
    value = data[variable]
    if item["type"] in ("text", "textarea", "password"):
        if not isinstance(value, str):
            return ["Value %s for '%s' expected to be a string." % (value, variable)]
        errors = []
        if item.get("min") not in ("", None) and len(value) < int(item["min"]):
            errors.append("'%s' value %s is too small (length is %s must be at least %s)." % (
                variable, value, len(value), item["min"]))
        if item.get("max") not in ("", None) and len(value) > int(item["max"]):
            errors.append("'%s' value %s is too large (must be no more than %s)." % (variable, value, item["max"]))
        return errors
    if item["type"] == "multiplechoice" and value not in _choices(item):
        return ["Value %s for '%s' expected to be one of %s." % (value, variable, _choices(item))]
    if item["type"] == "multiselect":
        if not isinstance(value, list):
            return ["'%s' value is expected to be a list." % variable]
        return ["Value %s for '%s' expected to be one of %s." % (choice, variable, _choices(item))
                for choice in value if choice not in _choices(item)]
    return []


def accept_or_ignore_variables(template: dict, data: dict, exclude_errors=()):
    """awx/main/models/mixins.py _accept_or_ignore_variables: (accepted, rejected, errors).

    A survey lets its own variables through (each checked against its question); with
    ask_variables_on_launch every other variable passes too; without it the others are refused, an
    error for a saved launch configuration (a schedule) and only ignored for a launch
    (``exclude_errors=("prompts",)``).
    """
    extra_vars = dict(data)
    accepted, rejected, errors = {}, {}, {}
    survey = template.get("_survey_spec") or {}
    if template.get("survey_enabled") and survey:
        survey_errors = []
        for item in survey.get("spec", []):
            key = item.get("variable")
            problems = survey_element_errors(item, data, validate_required="required" not in exclude_errors)
            if problems:
                survey_errors += problems
                if key in extra_vars:
                    rejected[key] = extra_vars.pop(key)
            elif key in extra_vars:
                accepted[key] = extra_vars.pop(key)
        if survey_errors:
            errors["variables_needed_to_start"] = survey_errors
    if template.get("ask_variables_on_launch"):
        accepted.update(extra_vars)
        extra_vars = {}
    if extra_vars:
        template_vars = _parse_vars(template["extra_vars"], "extra_vars") if template.get("extra_vars") else {}
        extra_vars = {k: v for k, v in extra_vars.items() if template_vars.get(k, object()) != v}
    if extra_vars:
        rejected.update(extra_vars)
        if "prompts" not in exclude_errors:
            errors["extra_vars"] = [
                "Variables %s are not allowed on launch. Check the Prompt on Launch setting on the Job Template "
                "to include Extra Variables." % ", ".join(str(key) for key in extra_vars)]
    return accepted, rejected, errors


# ---------------------------------------------------------------------------
# What a job gets from its credentials
# ---------------------------------------------------------------------------


def render_injectors(ctype: dict, inputs: dict, private_dir: Path) -> tuple[dict, dict]:
    """awx/main/models/credential.py CredentialType.inject_credential: (env, extra_vars) of one credential.

    Files of ``file`` injectors are written into ``private_dir`` (mode 0600) and named by
    ``tower.filename``; fields without a value render as empty strings, as in AWX's sandbox.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    if not ctype.get("injectors"):
        return _builtin_injector(ctype, inputs, private_dir), {}

    class _Namespace:
        pass

    tower = _Namespace()
    namespace = {"tower": tower}
    for name, value in inputs.items():
        if isinstance(value, bool) or len(value):
            namespace[name] = value
    for field in _defined_fields(ctype["inputs"]):
        if field.get("type") == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    for label, template in (ctype["injectors"].get("file") or {}).items():
        handle, path = tempfile.mkstemp(dir=private_dir)
        with os.fdopen(handle, "w") as stream:
            stream.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, 0o600)
        if "." not in label:
            tower.filename = path
        else:
            if not hasattr(tower, "filename"):
                tower.filename = _Namespace()
            setattr(tower.filename, label.split(".", 1)[1], path)
    env = {}
    for name, template in (ctype["injectors"].get("env") or {}).items():
        if name.startswith("ANSIBLE_") or name in ENV_BLOCKLIST:
            continue  # AWX logs and skips a prohibited variable
        env[name] = sandbox.from_string(template).render(**namespace)
    extra_vars = {name: sandbox.from_string(template).render(**namespace)
                  for name, template in (ctype["injectors"].get("extra_vars") or {}).items()}
    return env, extra_vars


def _builtin_injector(ctype: dict, inputs: dict, private_dir: Path) -> dict:
    if ctype.get("namespace") != "kubernetes_bearer_token":
        return {}
    env = {"K8S_AUTH_HOST": inputs.get("host", ""), "K8S_AUTH_API_KEY": inputs.get("bearer_token", "")}
    verify = inputs.get("verify_ssl", False)
    env["K8S_AUTH_VERIFY_SSL"] = str(bool(verify))
    if verify and inputs.get("ssl_ca_cert"):
        handle, path = tempfile.mkstemp(dir=private_dir)
        with os.fdopen(handle, "w") as stream:
            stream.write(inputs["ssl_ca_cert"])
        env["K8S_AUTH_SSL_CA_CERT"] = path
    return env


# ---------------------------------------------------------------------------
# rrules as AWX reads them
# ---------------------------------------------------------------------------


def validate_rrule(value: str) -> None:
    """awx/api/serializers.py SchedulePreviewSerializer.validate_rrule."""
    errors = []
    if not isinstance(value, str) or not value:
        raise invalid("rrule", "This field may not be blank.")
    dtstarts = re.findall(r".*?(DTSTART(;[^:]+)?\:[0-9]+T[0-9]+Z?)", value)
    naive = re.findall(r".*?(DTSTART:[0-9]+T[0-9]+) ", value)
    rules = re.findall(r".*?(RULE\:[^\s]*)", value)
    if not dtstarts:
        errors.append("Valid DTSTART required in rrule. Value should start with: DTSTART:YYYYMMDDTHHMMSSZ")
    if naive:
        errors.append("DTSTART cannot be a naive datetime.  Specify ;TZINFO= or YYYYMMDDTHHMMSSZZ.")
    if len(dtstarts) > 1:
        errors.append("Multiple DTSTART is not supported.")
    if "rrule:" not in value.lower():
        errors.append("One or more rule required in rrule.")
    if "exdate:" in value.lower():
        raise invalid("rrule", "EXDATE not allowed in rrule.")
    if "rdate:" in value.lower():
        raise invalid("rrule", "RDATE not allowed in rrule.")
    for rule in rules:
        if "interval" not in rule.lower():
            errors.append("INTERVAL required in rrule: %s" % rule)
        elif "secondly" in rule.lower():
            errors.append("SECONDLY is not supported: %s" % rule)
        if re.match(r".*?BYDAY[\:\=][0-9]+[a-zA-Z]{2}", rule):
            errors.append("BYDAY with numeric prefix not supported: %s" % rule)
        if "COUNT" in rule and "UNTIL" in rule:
            errors.append("RRULE may not contain both COUNT and UNTIL: %s" % rule)
        count = re.match(r".*?(COUNT\=[0-9]+)", rule)
        if count and int(count.group(1).split("=")[1]) > 999:
            errors.append("COUNT > 999 is unsupported: %s" % rule)
    try:
        awx_rrulestr(value)
    except Exception as exc:  # pylint: disable=broad-except  # AWX reports any parser failure the same way
        errors.append("rrule parsing failed validation: %s" % exc)
    if errors:
        raise invalid("rrule", errors)


def awx_rrulestr(rrule: str, fast_forward: bool = True, now: datetime.datetime | None = None):
    """awx/main/models/schedules.py Schedule.rrulestr: dateutil's parser, with AWX's rules."""
    ruleset = dateutil.rrule.rrulestr(rrule, tzinfos=UTC_TIMEZONES, forceset=True)
    for rule in ruleset._rrule:  # pylint: disable=protected-access  # AWX reads the same private fields
        if rule._dtstart and rule._dtstart.tzinfo is None:  # pylint: disable=protected-access
            raise ValueError("A valid TZID must be provided (e.g., America/New_York)")
    if fast_forward:
        now = now or utcnow()
        try:
            first = ruleset[0]
        except IndexError:
            return ruleset
        if (now - first).days > 7:
            for rule in ruleset._rrule:  # pylint: disable=protected-access
                if rule._freq in (dateutil.rrule.MINUTELY, dateutil.rrule.HOURLY) and not rule._count:  # pylint: disable=protected-access
                    # Hourly and minutely rules from a far-past DTSTART are slow to expand, so AWX
                    # restarts them a week ago, at the DTSTART's time of day.
                    start = (now - datetime.timedelta(days=7)).strftime("%Y%m%d")
                    return awx_rrulestr(re.sub(r"(DTSTART[^:]*):[^T]+T", r"\g<1>:%sT" % start, rrule), False, now)
    return ruleset


def rrule_timezone(ruleset) -> str:
    tzinfo = ruleset._rrule[0]._dtstart.tzinfo  # pylint: disable=protected-access
    if isinstance(tzinfo, tzutc):
        return "UTC"
    name = getattr(tzinfo, "_filename", None) or getattr(tzinfo, "key", None) or ""
    return name.split("zoneinfo/")[-1] if name else ""


def rrule_until(ruleset) -> str:
    for rule in ruleset._rrule:  # pylint: disable=protected-access
        if rule._until:  # pylint: disable=protected-access
            local = rule._until.astimezone(rule._dtstart.tzinfo)  # pylint: disable=protected-access
            return local.replace(tzinfo=None).isoformat()
    return ""


def rrule_end(ruleset):
    for rule in ruleset._rrule:  # pylint: disable=protected-access
        if not rule._until and not rule._count:  # pylint: disable=protected-access
            return None
    try:
        return ruleset[-1].astimezone(datetime.timezone.utc)
    except IndexError:
        return None


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------


class Store:
    """Every object, by resource and id, behind one lock."""

    def __init__(self, clock=utcnow, playbooks=DEFAULT_PLAYBOOKS, inventory_files=DEFAULT_INVENTORY_FILES):
        self.lock = threading.RLock()
        self.clock = clock
        self.playbooks = tuple(playbooks)
        self.inventory_files = tuple(inventory_files)
        self.resources = {cls.plural: cls(self) for cls in RESOURCE_CLASSES}
        self._records: dict[str, dict[int, dict]] = {plural: {} for plural in self.resources}
        self._sequences: dict[str, int] = {}
        self._associations: dict[tuple[str, int, str], list[int]] = {}
        self._seed()

    def _seed(self) -> None:
        """What a fresh AWX holds: the Default organization, managed credential types, the default EEs."""
        self._insert("organizations", {"name": "Default", "description": ""})
        for name, kind, namespace in (("Machine", "ssh", "ssh"), ("Source Control", "scm", "scm"),
                                      ("Vault", "vault", "vault"), ("Network", "net", "net"),
                                      ("Container Registry", "registry", "registry"),
                                      ("Ansible Galaxy/Automation Hub API Token", "galaxy", "galaxy_api_token"),
                                      ("OpenShift or Kubernetes API Bearer Token", "kubernetes",
                                       "kubernetes_bearer_token")):
            inputs = copy.deepcopy(KUBERNETES_BEARER_TOKEN_INPUTS if namespace == "kubernetes_bearer_token"
                                   else {"fields": []})
            self._insert("credential_types", {"name": name, "kind": kind, "namespace": namespace, "managed": True,
                                              "inputs": inputs, "injectors": {}})
        self._insert("execution_environments", {"name": "AWX EE (%s)" % PRODUCT_VERSION,
                                                "image": "quay.io/ansible/awx-ee:%s" % PRODUCT_VERSION,
                                                "pull": "missing"})
        self._insert("execution_environments", {"name": "Control Plane Execution Environment",
                                                "image": "quay.io/ansible/awx-ee:%s" % PRODUCT_VERSION,
                                                "managed": True})

    # -- basic access -----------------------------------------------------------

    def resource(self, plural: str) -> Resource:
        return self.resources[plural]

    def resource_of(self, record: dict) -> Resource:
        return self.resources[record["_plural"]]

    def records(self, plural: str) -> list[dict]:
        if plural == UJT:
            return sorted((r for p in ("projects", "job_templates", "inventory_sources") for r in self._records[p].values()),
                          key=lambda r: r["id"])
        return [self._records[plural][k] for k in sorted(self._records[plural])]

    def get_record(self, plural: str, object_id) -> dict | None:
        if object_id is None:
            return None
        try:
            object_id = int(object_id)
        except (TypeError, ValueError):
            return None
        if plural == UJT:
            for part in ("projects", "job_templates", "inventory_sources"):
                if object_id in self._records[part]:
                    return self._records[part][object_id]
            return None
        return self._records[plural].get(object_id)

    def association(self, plural: str, object_id: int, name: str) -> list[int]:
        return list(self._associations.get((plural, object_id, name), []))

    def _next_id(self, plural: str) -> int:
        sequence = self.resources[plural].sequence
        self._sequences[sequence] = self._sequences.get(sequence, 0) + 1
        return self._sequences[sequence]

    def _insert(self, plural: str, values: dict) -> dict:
        resource = self.resources[plural]
        moment = iso(self.clock())
        record = dict(copy.deepcopy(resource.fields), **copy.deepcopy(resource.read_only))
        record.update(values)
        record.update(id=self._next_id(plural), type=resource.type, created=moment, modified=moment, _plural=plural)
        self._records[plural][record["id"]] = record
        return record

    # -- writes through the API ------------------------------------------------

    def create(self, plural: str, data) -> dict:
        with self.lock:
            resource = self.resources[plural]
            if not resource.writable:
                raise ApiError(405, "Method \"POST\" not allowed.")
            values = self._clean(resource, data, creating=True)
            record = dict(copy.deepcopy(resource.fields), **copy.deepcopy(resource.read_only))
            record.update(values, id=0, _plural=plural, type=resource.type)
            resource.validate(record, values, creating=True)
            self._check_unique(resource, record)
            record["id"] = self._next_id(plural)
            record["created"] = record["modified"] = iso(self.clock())
            for name in resource.write_only:
                record.pop(name, None)
            self._records[plural][record["id"]] = record
            resource.after_save(record, creating=True)
            representation = self.represent(plural, record)
            record.pop("_current_update", None)
            return representation

    def update(self, plural: str, object_id: int, data, partial: bool = True) -> dict:
        with self.lock:
            resource = self.resources[plural]
            current = self.get_record(plural, object_id)
            if current is None:
                raise not_found()
            if not resource.writable:
                raise ApiError(405, "Method \"PATCH\" not allowed.")
            values = self._clean(resource, data, creating=not partial)
            record = copy.deepcopy(current)
            record.update(values)
            resource.validate(record, values, creating=False)
            self._check_unique(resource, record)
            if plural == "projects" and any(record.get(f) != current.get(f)
                                            for f in ("scm_type", "scm_url", "scm_branch", "scm_refspec")):
                record["_scm_changed"] = True
            record["modified"] = iso(self.clock())
            self._records[plural][record["id"]] = record
            resource.after_save(record, creating=False)
            return self.represent(plural, record)

    def delete(self, plural: str, object_id: int) -> None:
        with self.lock:
            resource = self.resources[plural]
            record = self.get_record(plural, object_id)
            if record is None:
                raise not_found()
            if not resource.writable and plural != "tokens":
                raise ApiError(405, "Method \"DELETE\" not allowed.")
            resource.before_delete(record)
            del self._records[plural][record["id"]]
            for key in [k for k in self._associations if k[:2] == (plural, record["id"])]:
                del self._associations[key]
            for key, ids in self._associations.items():
                if key[2] == plural and record["id"] in ids:
                    ids.remove(record["id"])

    def _clean(self, resource: Resource, data, creating: bool) -> dict:
        if not isinstance(data, dict):
            raise ApiError(400, "JSON parse error - expected an object")
        values = {}
        for name, value in data.items():
            if name in resource.write_only and creating:
                values[name] = value
            if name not in resource.fields:
                continue  # read-only and unknown fields are ignored, as DRF does
            default = resource.fields[name]
            if name in resource.foreign_keys:
                value = self._foreign_key(resource, name, value)
            elif isinstance(default, bool):
                value = _as_bool(name, value)
            elif isinstance(default, int) and value is not None:
                value = _as_int(name, value)
            elif isinstance(default, dict) and name != "extra_data":
                if not isinstance(value, dict):
                    raise invalid(name, "Must be a valid JSON object.")
            elif value is not None and not isinstance(value, (str, dict)) and name != "extra_data":
                value = str(value)
            if name in resource.choices and value not in resource.choices[name] and value is not None:
                raise invalid(name, "\"%s\" is not a valid choice." % value)
            values[name] = value
        if creating:
            for name in resource.required:
                if values.get(name) in (None, "") and name in resource.fields:
                    raise invalid(name, "This field is required." if name not in values else "This field may not be blank.")
        elif "name" in values and not values["name"]:
            raise invalid("name", "This field may not be blank.")
        return values

    def _foreign_key(self, resource: Resource, name: str, value):
        if value in (None, ""):
            return None
        target = resource.foreign_keys[name]
        if isinstance(value, bool) or self.get_record(target, value) is None:
            raise invalid(name, "Invalid pk \"%s\" - object does not exist." % value)
        return int(value)

    def _check_unique(self, resource: Resource, record: dict) -> None:
        # Per resource, as AWX's unique constraints are (for templates: per polymorphic type).
        for fields in resource.unique:
            key = tuple(record.get(f) for f in fields)
            for other in self._records[resource.plural].values():
                if other["id"] != record["id"] and tuple(other.get(f) for f in fields) == key:
                    label = " and ".join(f.replace("_", " ").capitalize() for f in fields)
                    raise ApiError(400, {"__all__": ["%s with this %s already exists." % (
                        resource.type.replace("_", " ").capitalize(), label)]})

    # -- associations -----------------------------------------------------------

    def sub_list(self, plural, parent, name, method, body, rule):
        target = self.resources[plural].sub_lists[name]
        key = (plural, parent["id"], name)
        if method == "GET":
            ids = set(self._associations.get(key, []))
            return "list", (target, lambda r: r["id"] in ids)
        if method != "POST":
            raise ApiError(405, "Method \"%s\" not allowed." % method)
        if not isinstance(body, dict) or "id" not in body:
            raise ApiError(400, {"msg": "\"id\" is required to associate or disassociate."})
        with self.lock:
            sub = self.get_record(target, body["id"])
            if sub is None:
                raise ApiError(400, {"msg": "Object with id %s not found." % body["id"]})
            ids = self._associations.setdefault(key, [])
            if body.get("disassociate"):
                if sub["id"] in ids:
                    ids.remove(sub["id"])
                return 204, None
            if sub["id"] in ids:
                return 204, None
            problem = rule(parent, sub)
            if problem:
                raise ApiError(400, problem)
            ids.append(sub["id"])
            return 204, None

    # -- launches and jobs -------------------------------------------------------

    def accept_launch(self, template: dict, body: dict):
        """JobLaunchSerializer.validate: (accepted, ignored), or ApiError 400.

        Prompts the template does not ask for are ignored, not refused (AWX's manual launch);
        survey answers are checked; credentials follow AWX's rules for a launch.
        """
        extra = body.get("extra_vars") or {}
        if isinstance(extra, str):
            extra = _parse_vars(extra, "extra_vars")
        variables, refused, errors = accept_or_ignore_variables(template, extra, exclude_errors=("prompts",))
        accepted, ignored = {}, {}
        if variables:
            accepted["extra_vars"] = variables
        if refused:
            ignored["extra_vars"] = refused
        for field, ask in ASK_MAPPING.items():
            if field == "extra_data" or body.get(field) is None or body[field] == template.get(field):
                continue
            (accepted if template[ask] else ignored)[field] = body[field]
        if "credentials" in body:
            self._accept_launch_credentials(template, body["credentials"], accepted, ignored, errors)
        if errors:
            raise ApiError(400, errors)
        return accepted, ignored

    def _accept_launch_credentials(self, template, given, accepted, ignored, errors):
        if not isinstance(given, list):
            raise invalid("credentials", "Expected a list of items but got type \"%s\"." % type(given).__name__)
        credentials = []
        for credential_id in given:
            credential = self.get_record("credentials", credential_id)
            if credential is None:
                raise invalid("credentials", "Invalid pk \"%s\" - object does not exist." % credential_id)
            credentials.append(credential)
        on_template = [self.get_record("credentials", c)
                       for c in self.association("job_templates", template["id"], "credentials")]
        new = [c for c in credentials if c["id"] not in {t["id"] for t in on_template}]
        if new:
            if template["ask_credential_on_launch"]:
                accepted["credentials"] = [c["id"] for c in new]
            else:
                ignored["credentials"] = [c["id"] for c in new]
        kinds = []
        for credential in new if template["ask_credential_on_launch"] else []:
            ctype = self.get_record("credential_types", credential["credential_type"])
            if ctype["id"] in kinds:
                errors.setdefault("credentials", []).append("Cannot assign multiple %s credentials." % ctype["name"])
            if ctype["kind"] not in LAUNCH_CREDENTIAL_KINDS:
                errors.setdefault("credentials", []).append("Cannot assign a Credential of kind `%s`" % ctype["kind"])
            kinds.append(ctype["id"])
        given_types = {c["credential_type"] for c in credentials}
        removed = [c for c in on_template if c["id"] not in given and c["credential_type"] not in given_types]
        for credential in removed:
            ctype = self.get_record("credential_types", credential["credential_type"])
            errors.setdefault("credentials", []).append(
                "Removing %s credential at launch time without replacement is not supported. Provided list lacked "
                "credential(s): %s." % (ctype["name"], ", ".join(c["name"] for c in removed)))

    def create_job(self, template: dict, runtime_vars: dict, prompted_credentials=None, launch_type="manual",
                   schedule: dict | None = None, user: int | None = None, status: str = "pending",
                   started: datetime.datetime | None = None, finished: datetime.datetime | None = None) -> dict:
        """UnifiedJobTemplate.create_unified_job: the job's variables and credentials, and the pre-start check."""
        extra_vars = _parse_vars(template["extra_vars"], "extra_vars") if template.get("extra_vars") else {}
        survey = template.get("_survey_spec") or {}
        if template.get("survey_enabled"):
            for item in survey.get("spec", []):
                default = item.get("default")
                if default is not None and not survey_element_errors(item, {item["variable"]: default}):
                    extra_vars[item["variable"]] = default
        extra_vars.update(runtime_vars or {})
        by_type = {}
        for credential_id in self.association("job_templates", template["id"], "credentials") + list(
                prompted_credentials or []):
            credential = self.get_record("credentials", credential_id)
            by_type[credential["credential_type"]] = credential
        explanation = ""
        for credential in by_type.values():
            ctype = self.get_record("credential_types", credential["credential_type"])
            defined = {f["id"] for f in _defined_fields(ctype["inputs"])}
            missing = sorted(name for name in ctype["inputs"].get("required", [])
                             if name in defined and credential["inputs"].get(name) in (None, ""))
            if missing and not explanation:
                explanation = ("Job cannot start because Credential %s does not provide one or more required fields "
                               "(%s). Task failed pre-start check." % (credential["name"], ", ".join(missing)))
        if explanation:
            status = "failed"
        started = started or (self.clock() if status != "pending" else None)
        done = status in ("successful", "failed", "error", "canceled")
        finished = finished or (self.clock() if done else None)
        job = self._insert("jobs", {
            "name": template["name"], "description": "", "status": status, "failed": status in ("failed", "error"),
            "started": iso(started), "finished": iso(finished),
            "elapsed": round((finished - started).total_seconds(), 3) if finished and started else 0.0,
            "job_template": template["id"], "unified_job_template": template["id"], "launch_type": launch_type,
            "schedule": schedule["id"] if schedule else None, "extra_vars": json.dumps(extra_vars),
            "job_explanation": explanation, "inventory": template.get("inventory"),
            "event_processing_finished": done, "_created_by": user})
        self._associations[("jobs", job["id"], "credentials")] = [c["id"] for c in by_type.values()]
        if done:
            template.update(last_job_run=job["finished"], last_job_failed=job["failed"], status=status)
        return job

    # -- computed things --------------------------------------------------------

    def run_project_update(self, project: dict) -> dict:
        """A project update that finished at once: the stand-in has no SCM to reach."""
        moment = self.clock()
        revision = hashlib.sha1(("%s@%s" % (project["scm_url"], project["scm_branch"])).encode()).hexdigest()
        update = self._insert("project_updates", {
            "name": project["name"], "description": "", "status": "successful", "failed": False,
            "started": iso(moment), "finished": iso(moment), "elapsed": 0.0, "project": project["id"],
            "unified_job_template": project["id"], "launch_type": "manual", "job_type": "check",
            "scm_type": project["scm_type"], "scm_url": project["scm_url"], "scm_branch": project["scm_branch"],
            "scm_revision": revision, "event_processing_finished": True})
        project.update(scm_revision=revision, status="successful", last_job_run=iso(moment), last_job_failed=False,
                       last_update_failed=False, last_updated=iso(moment), _last_update=update["id"])
        return update

    def compute_schedule(self, record: dict) -> None:
        """Schedule.update_computed_fields_no_save: next_run, dtstart, dtend."""
        ruleset = awx_rrulestr(record["rrule"], now=self.clock())
        if record.get("enabled"):
            upcoming = ruleset.after(self.clock())
            record["next_run"] = iso_seconds(upcoming) if upcoming else None
        else:
            record["next_run"] = None
        try:
            record["dtstart"] = iso_seconds(ruleset[0])
        except IndexError:
            record["dtstart"] = None
        record["dtend"] = iso_seconds(rrule_end(ruleset))

    def refresh_schedules(self) -> None:
        """What AWX's periodic scheduler keeps true: a next_run in the past moves on."""
        now = iso_seconds(self.clock())
        for record in self._records["schedules"].values():
            if record.get("next_run") and record["next_run"] <= now:
                self.compute_schedule(record)

    # -- representation ---------------------------------------------------------

    def represent(self, plural: str, record: dict) -> dict:
        resource = self.resource_of(record) if plural == UJT else self.resources[plural]
        public = {k: v for k, v in record.items() if not k.startswith("_")}
        if isinstance(resource, Credentials):
            public["inputs"] = resource.represent_inputs(record)
        public.update(resource.extra(record))
        public["url"] = resource.url(record)
        related = {}
        for field, target in resource.foreign_keys.items():
            if record.get(field) and target != UJT:
                related[field] = "/api/v2/%s/%d/" % (target, record[field])
        related.update(resource.related(record))
        public["related"] = related
        summary = {"user_capabilities": {"edit": True, "delete": True}}
        summary.update(resource.summary(record))
        public["summary_fields"] = summary
        ordered = {"id": public.pop("id"), "type": public.pop("type"), "url": public.pop("url"),
                   "related": public.pop("related"), "summary_fields": public.pop("summary_fields")}
        ordered.update(public)
        return ordered

    def snapshot(self) -> dict:
        with self.lock:
            return {plural: [self.represent(plural, r) for r in self.records(plural)] for plural in self._records}


def _as_bool(name, value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if value in (0, 1):
        return bool(value)
    raise invalid(name, "Must be a valid boolean.")


def _as_int(name, value):
    if isinstance(value, bool):
        raise invalid(name, "A valid integer is required.")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(name, "A valid integer is required.") from None


# ---------------------------------------------------------------------------
# List queries: AWX's filters, ordering and pages
# ---------------------------------------------------------------------------

RESERVED_PARAMS = ("page", "page_size", "order_by", "order", "search", "format", "type", "role_level")
LOOKUPS = ("exact", "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith", "in",
           "isnull", "gt", "gte", "lt", "lte", "regex", "iregex")


def _coerce(value, text: str):
    if isinstance(value, bool):
        return text.lower() in ("true", "1", "yes")
    if isinstance(value, int):
        try:
            return int(text)
        except ValueError:
            return text
    if value is None and text.lower() in ("none", "null"):
        return None
    return text


def _match(value, lookup: str, text: str) -> bool:
    if lookup == "isnull":
        return (value is None) == (text.lower() in ("true", "1"))
    if lookup == "in":
        return any(_match(value, "exact", part) for part in text.split(","))
    if value is None:
        return False
    if lookup == "exact":
        return value == _coerce(value, text)
    subject = str(value)
    folded = lookup.startswith("i")
    if folded:
        subject, text = subject.lower(), text.lower()
    base = lookup[1:] if folded and lookup != "in" else lookup
    if base in ("exact",):
        return subject == text
    if base == "contains":
        return text in subject
    if base == "startswith":
        return subject.startswith(text)
    if base == "endswith":
        return subject.endswith(text)
    if base == "regex":
        return re.search(text, subject, re.IGNORECASE if folded else 0) is not None
    other = _coerce(value, text)
    try:
        return {"gt": value > other, "gte": value >= other, "lt": value < other, "lte": value <= other}[lookup]
    except TypeError:
        return False


def _filter_term(store: Store, plural: str, key: str, text: str):
    """A predicate for one ``field[__related][__lookup]=value`` term."""
    parts = key.split("__")
    lookup = parts.pop() if len(parts) > 1 and parts[-1] in LOOKUPS else "exact"
    sample = dict(store.resources[plural].fields if plural != UJT else {}, id=0, name="", type="", description="",
                  created="", modified="")
    if plural != UJT:
        sample.update(store.resources[plural].read_only)
    if parts[0] not in sample and plural != UJT:
        raise ApiError(400, "Cannot filter on %s: no such field" % key)
    foreign = {} if plural == UJT else store.resources[plural].foreign_keys

    def predicate(row: dict) -> bool:
        value = row.get(parts[0])
        if len(parts) > 1:
            target = foreign.get(parts[0], UJT if parts[0] == "unified_job_template" else None)
            related = store.get_record(target, value) if target else None
            if related is None:
                return lookup == "isnull" and text.lower() in ("true", "1")
            value = related.get(parts[1])
        return _match(value, lookup, text)

    return predicate


def query_list(store: Store, plural: str, query: dict, base_path: str, extra=None) -> dict:
    """The page of a list view; ``query`` maps names to lists of values, as parse_qs gives them."""
    with store.lock:
        if plural == "schedules":
            store.refresh_schedules()
        rows = [r for r in store.records(plural) if extra is None or extra(r)]
        ands, ors = [], []
        for key, values in query.items():
            if key in RESERVED_PARAMS:
                continue
            for text in values:
                if key.startswith("or__"):
                    ors.append(_filter_term(store, plural, key[4:], text))
                elif key.startswith("not__"):
                    inner = _filter_term(store, plural, key[5:], text)
                    ands.append(lambda row, inner=inner: not inner(row))
                elif key.startswith("chain__"):
                    ands.append(_filter_term(store, plural, key[7:], text))
                else:
                    ands.append(_filter_term(store, plural, key, text))
        if "search" in query:
            words = query["search"][-1].lower()
            ands.append(lambda row: words in str(row.get("name", "")).lower()
                        or words in str(row.get("description", "")).lower())
        rows = [r for r in rows if all(p(r) for p in ands) and (not ors or any(p(r) for p in ors))]
        order = query.get("order_by", query.get("order", [""]))[-1]
        keys = [k for k in order.split(",") if k] or list(
            store.resources[plural].ordering() if plural != UJT else ("id",))
        for key in reversed(keys):
            field = key.lstrip("-")
            rows.sort(key=lambda r, f=field: (r.get(f) is None, r.get(f) if r.get(f) is not None else 0),
                      reverse=key.startswith("-"))
            if key.startswith("-"):
                # AWX keeps rows without a value last whatever the direction.
                rows.sort(key=lambda r, f=field: r.get(f) is None)
        try:
            page_size = max(1, min(int(query.get("page_size", [PAGE_SIZE])[-1]), MAX_PAGE_SIZE))
            page = int(query.get("page", ["1"])[-1])
        except ValueError:
            raise not_found() from None
        count = len(rows)
        pages = max(1, (count + page_size - 1) // page_size)
        if page < 1 or page > pages:
            raise ApiError(404, "Invalid page.")
        results = [store.represent(plural, r) for r in rows[(page - 1) * page_size:page * page_size]]

        def page_link(number):
            params = [(k, v) for k, values in query.items() if k != "page" for v in values] + [("page", number)]
            return "%s?%s" % (base_path, urlencode(params))

        return {"count": count, "next": page_link(page + 1) if page < pages else None,
                "previous": page_link(page - 1) if page > 1 else None, "results": results}


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------


class RequestLog:
    """Every request the stand-in served: method, path, query, status, user and JSON body."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rows: list[dict] = []

    def record(self, row: dict) -> None:
        with self._lock:
            self._rows.append(row)

    def rows(self, method: str | None = None, path_prefix: str | None = None) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._rows
                    if (method is None or r["method"] == method)
                    and (path_prefix is None or r["path"].startswith(path_prefix))]

    def writes(self) -> list[dict]:
        return [r for r in self.rows() if r["method"] in ("POST", "PATCH", "PUT", "DELETE")
                and not r["path"].startswith(ADMIN_PREFIX) and not r["path"].startswith("/api/v2/tokens/")]

    def reset(self) -> None:
        with self._lock:
            self._rows.clear()

    def snapshot(self) -> dict:
        rows = self.rows()
        return {"total": len(rows), "writes": len(self.writes()), "requests": rows}


PUBLIC_PATHS = ("/api/", "/api/v2/", "/api/v2/ping/")


class _Handler(BaseHTTPRequestHandler):
    standin: AwxStandin
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "awx-standin"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin  # the base class's name
        if self.standin.verbose:
            sys.stderr.write("awx-standin: %s\n" % (format % args))

    def do_GET(self):  # noqa: N802  # http.server's naming
        self._dispatch("GET")

    def do_HEAD(self):  # noqa: N802
        self._dispatch("HEAD")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_PATCH(self):  # noqa: N802
        self._dispatch("PATCH")

    def do_PUT(self):  # noqa: N802
        self._dispatch("PUT")

    def do_DELETE(self):  # noqa: N802
        self._dispatch("DELETE")

    def do_OPTIONS(self):  # noqa: N802
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        row = {"method": method, "path": path, "query": {k: v[-1] if len(v) == 1 else v for k, v in query.items()},
               "status": None, "user": None, "body": None}
        try:
            body = self._read_json()
            row["body"] = body
            if path.startswith(ADMIN_PREFIX):
                status, payload = 200, self.standin.admin(method, path[len(ADMIN_PREFIX):], query, body)
            else:
                status, payload = self._serve(method, path, query, body, row)
        except ApiError as error:
            status, payload = error.status, error.body
        except Exception as error:  # pylint: disable=broad-except  # a stand-in bug becomes a 500, as in Django
            status, payload = 500, {"detail": "stand-in error: %s: %s" % (type(error).__name__, error)}
            if self.standin.verbose:
                import traceback
                traceback.print_exc()
        row["status"] = status
        self.standin.requests.record(row)
        self._send(status, payload, method)

    def _read_json(self):
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return None
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise ApiError(400, "JSON parse error - %s" % exc) from None

    def _user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, credentials = (header.split(" ", 1) + [""])[:2]
        if scheme.lower() == "bearer":
            return self.standin.user_of_token(credentials.strip())
        if scheme.lower() == "basic":
            try:
                username, password = (base64.b64decode(credentials).decode().split(":", 1) + [""])[:2]
            except (binascii.Error, UnicodeDecodeError):
                return None
            if username == self.standin.username and hmac.compare_digest(password, self.standin.password):
                return username
        return None

    def _serve(self, method, path, query, body, row):
        if not path.endswith("/"):
            raise ApiError(301, {"Location": path + "/"})
        user = self._user()
        row["user"] = user
        if path not in PUBLIC_PATHS and user is None:
            raise ApiError(401, NOT_AUTHENTICATED)
        return self.standin.api(method, path, query, body, user)

    def _send(self, status: int, payload, method: str) -> None:
        if status == 301:
            location = payload["Location"]
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self._product_headers()
            self.end_headers()
            return
        data = b"" if payload is None else json.dumps(payload).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm=api authorization_url=/api/o/authorize/')
        self._product_headers()
        self.end_headers()
        if method != "HEAD" and data:
            self.wfile.write(data)

    def _product_headers(self) -> None:
        self.send_header("X-API-Product-Name", PRODUCT_NAME)
        self.send_header("X-API-Product-Version", PRODUCT_VERSION)
        self.send_header("X-API-Node", "awx-standin")
        self.send_header("X-API-Time", "0.001s")
        self.send_header("Vary", "Accept, Authorization")


API_ROOT = {"description": "AWX REST API", "current_version": "/api/v2/", "available_versions": {"v2": "/api/v2/"},
            "oauth2": "/api/o/", "custom_logo": "", "custom_login_info": "", "login_redirect_override": ""}
LIST_VIEWS = ("organizations", "credential_types", "credentials", "execution_environments", "projects",
              "project_updates", "inventories", "inventory_sources", "job_templates", "schedules", "jobs",
              "unified_job_templates", "tokens")


class AwxStandin:
    """The AWX API stand-in, served from a thread.

    >>> with AwxStandin() as awx:
    ...     awx.url, awx.token, awx.requests.writes(), awx.objects("schedules")
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None, username: str = "admin",
                 password: str | None = None, tls: bool = False, state_dir=None, playbooks=DEFAULT_PLAYBOOKS,
                 inventory_files=DEFAULT_INVENTORY_FILES, clock=utcnow, verbose: bool = False):
        self.host = host
        self._requested_port = port
        self.port: int | None = None
        self.token = token or secrets.token_urlsafe(24)
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.tls = tls
        self.state_dir = Path(state_dir) if state_dir else None
        self.ca_file: Path | None = None
        self.verbose = verbose
        self.store = Store(clock=clock, playbooks=playbooks, inventory_files=inventory_files)
        self.requests = RequestLog()
        self._tokens = {self.token: (0, username)}
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -------------------------------------------------------------

    def start(self) -> AwxStandin:
        handler = type("AwxStandinHandler", (_Handler,), {"standin": self})
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_class = type("AwxStandinServer", (QuietServer,), {"address_family": family})
        self._server = server_class((self.host, self._requested_port), handler)
        if self.tls:
            from testbed.kube_standin import ensure_certificates

            if self.state_dir is None:
                raise ValueError("tls=True needs a state_dir for the certificates")
            self.state_dir.mkdir(parents=True, exist_ok=True)
            self.ca_file, cert, key = ensure_certificates(self.state_dir, ("127.0.0.1", "localhost", "::1", self.host))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True,
                                                      do_handshake_on_connect=False)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="awx-standin:%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._server = None

    def __enter__(self) -> AwxStandin:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s:%d" % ("https" if self.tls else "http", host, self.port)

    def env(self) -> dict:
        """The awx.awx modules' environment variables for this server."""
        env = {"CONTROLLER_HOST": self.url, "CONTROLLER_OAUTH_TOKEN": self.token}
        if self.tls:
            env["CONTROLLER_VERIFY_SSL"] = "false"
        return env

    # -- for tests ---------------------------------------------------------------

    def objects(self, plural: str, **match) -> list[dict]:
        """The API's representation of every object of a resource (those whose fields equal ``match``)."""
        with self.store.lock:
            if plural == "schedules":
                self.store.refresh_schedules()
            return [self.store.represent(plural, r) for r in self.store.records(plural)
                    if all(r.get(k) == v for k, v in match.items())]

    def add_job(self, schedule_id: int | None = None, job_template_id: int | None = None, status: str = "successful",
                started: datetime.datetime | None = None, finished: datetime.datetime | None = None,
                extra_vars: dict | None = None) -> dict:
        """Record a job, as if a schedule (or a launch) had run one: AWX would have.

        A schedule's job gets the schedule's extra_data and credentials (those of the template,
        each replaced by the schedule's of the same type), as AWX's scheduler launches it.
        """
        with self.store.lock:
            schedule = self.store.get_record("schedules", schedule_id) if schedule_id else None
            if schedule_id and schedule is None:
                raise KeyError("no schedule %s" % schedule_id)
            template_id = job_template_id or (schedule["unified_job_template"] if schedule else None)
            template = self.store.get_record("job_templates", template_id)
            if template is None:
                raise KeyError("no job template %s" % template_id)
            runtime = extra_vars if extra_vars is not None else (schedule or {}).get("extra_data") or {}
            credentials = self.store.association("schedules", schedule["id"], "credentials") if schedule else []
            job = self.store.create_job(template, runtime, credentials, "scheduled" if schedule else "manual",
                                        schedule=schedule, user=None if schedule else 1, status=status,
                                        started=started or self.store.clock(), finished=finished)
            return self.store.represent("jobs", job)

    def job_runtime(self, job_id: int, private_dir: Path) -> dict:
        """What AWX would hand ansible-playbook for this job: ``{"env": ..., "extra_vars": ...}``.

        The environment holds what the job's credentials inject (files written into
        ``private_dir``); the extra variables are the job's, then the credentials', then AWX's
        ``awx_*`` and ``tower_*`` variables, which nothing can override (RunJob.build_extra_vars_file).
        """
        private_dir = Path(private_dir)
        private_dir.mkdir(parents=True, exist_ok=True)
        with self.store.lock:
            job = self.store.get_record("jobs", job_id)
            if job is None:
                raise KeyError("no job %s" % job_id)
            env, extra_vars = {}, json.loads(job["extra_vars"] or "{}")
            for credential_id in self.store.association("jobs", job_id, "credentials"):
                credential = self.store.get_record("credentials", credential_id)
                ctype = self.store.get_record("credential_types", credential["credential_type"])
                injected_env, injected_vars = render_injectors(ctype, credential["inputs"], private_dir)
                env.update(injected_env)
                extra_vars.update(injected_vars)
            extra_vars.update(self._meta_vars(job))
            return {"env": env, "extra_vars": extra_vars}

    def _meta_vars(self, job: dict) -> dict:
        """UnifiedJob.awx_meta_vars."""
        meta = {}
        schedule = self.store.get_record("schedules", job.get("schedule"))
        inventory = self.store.get_record("inventories", job.get("inventory"))
        for prefix in JOB_VARIABLE_PREFIXES:
            meta["%s_job_id" % prefix] = job["id"]
            meta["%s_job_launch_type" % prefix] = job["launch_type"]
            if job.get("_created_by"):
                meta.update({"%s_user_id" % prefix: job["_created_by"], "%s_user_name" % prefix: self.username,
                             "%s_user_email" % prefix: "", "%s_user_first_name" % prefix: "",
                             "%s_user_last_name" % prefix: ""})
            elif schedule:
                meta.update({"%s_schedule_id" % prefix: schedule["id"], "%s_schedule_name" % prefix: schedule["name"]})
            if inventory:
                meta.update({"%s_inventory_id" % prefix: inventory["id"],
                             "%s_inventory_name" % prefix: inventory["name"]})
        return meta

    # -- tokens ------------------------------------------------------------------

    def user_of_token(self, token: str) -> str | None:
        for known, (_token_id, user) in self._tokens.items():
            if hmac.compare_digest(known, token):
                return user
        return None

    # -- the API -----------------------------------------------------------------

    def api(self, method: str, path: str, query: dict, body, user: str):
        segments = [s for s in path.split("/") if s]
        if segments[:1] != ["api"]:
            raise ApiError(404, "The requested resource could not be found.")
        if len(segments) == 1:
            return self._read_only(method, API_ROOT)
        if segments[1] != "v2":
            raise ApiError(404, "The requested resource could not be found.")
        if len(segments) == 2:
            return self._read_only(method, {name: "/api/v2/%s/" % name for name in (
                "ping", "instances", "instance_groups", "config", "settings", "me", "dashboard", "organizations",
                "users", "execution_environments", "projects", "project_updates", "teams", "credentials",
                "credential_types", "credential_input_sources", "applications", "tokens", "metrics", "inventory",
                "constructed_inventory", "inventory_sources", "inventory_updates", "groups", "hosts",
                "host_metrics", "job_templates", "jobs", "ad_hoc_commands", "system_job_templates", "system_jobs",
                "schedules", "roles", "notification_templates", "notifications", "labels",
                "unified_job_templates", "unified_jobs", "activity_stream", "workflow_job_templates",
                "workflow_jobs", "workflow_approvals", "workflow_job_template_nodes", "workflow_job_nodes",
                "mesh_visualizer", "bulk", "analytics")})
        name, rest = segments[2], segments[3:]
        if name == "ping" and not rest:
            return self._read_only(method, self._ping())
        if name == "config" and not rest:
            return self._read_only(method, self._config())
        if name == "me" and not rest:
            return self._read_only(method, {"count": 1, "next": None, "previous": None, "results": [self._me(user)]})
        if name == "tokens":
            return self._tokens_view(method, rest, body, user)
        if name not in LIST_VIEWS:
            raise ApiError(404, "The requested resource could not be found.")
        store = self.store
        if not rest:
            if method in ("GET", "HEAD"):
                return 200, query_list(store, name, query, path)
            if method == "POST" and name != UJT:
                return 201, store.create(name, body or {})
            if method == "OPTIONS":
                return 200, {"name": name, "actions": {}}
            raise ApiError(405, "Method \"%s\" not allowed." % method)
        try:
            object_id = int(rest[0])
        except ValueError:
            raise ApiError(404, "The requested resource could not be found.") from None
        with store.lock:
            if name == "schedules":
                store.refresh_schedules()
            record = store.get_record(name, object_id)
            if record is None:
                raise not_found()
            if len(rest) == 1:
                if method in ("GET", "HEAD"):
                    return 200, store.represent(name, record)
                if name == UJT:
                    raise ApiError(405, "Method \"%s\" not allowed." % method)
                if method in ("PATCH", "PUT"):
                    return 200, store.update(name, object_id, body or {}, partial=method == "PATCH")
                if method == "DELETE":
                    store.delete(name, object_id)
                    return 204, None
                raise ApiError(405, "Method \"%s\" not allowed." % method)
            outcome = store.resource(name).sub_view(record, rest[1], method, body, query)
        if outcome[0] == "list":
            target, predicate = outcome[1]
            return 200, query_list(store, target, query, path, predicate)
        return outcome

    @staticmethod
    def _read_only(method, payload):
        if method not in ("GET", "HEAD", "OPTIONS"):
            raise ApiError(405, "Method \"%s\" not allowed." % method)
        return 200, payload

    def _ping(self) -> dict:
        return {"ha": False, "version": PRODUCT_VERSION, "active_node": "awx-standin",
                "install_uuid": "00000000-0000-4000-8000-000000000000",
                "instances": [{"node": "awx-standin", "node_type": "hybrid", "uuid": "00000000-0000-4000-8000-0000000000aa",
                               "heartbeat": iso(self.store.clock()), "capacity": 100, "version": PRODUCT_VERSION}],
                "instance_groups": [{"name": "controlplane", "capacity": 100, "instances": ["awx-standin"]},
                                    {"name": "default", "capacity": 100, "instances": ["awx-standin"]}]}

    def _config(self) -> dict:
        return {"time_zone": "UTC", "license_info": {"license_type": "open", "valid_key": True, "subscription_name": "OPEN",
                                                     "product_name": "AWX"},
                "version": PRODUCT_VERSION, "eula": "", "analytics_status": "off", "analytics_collectors": {},
                "become_methods": [["sudo", "Sudo"], ["su", "Su"]], "ui_next": False,
                "project_base_dir": "/var/lib/awx/projects", "project_local_paths": [],
                "custom_virtualenvs": []}

    def _me(self, user: str) -> dict:
        return {"id": 1, "type": "user", "url": "/api/v2/users/1/", "username": user, "first_name": "",
                "last_name": "", "email": "", "is_superuser": True, "is_system_auditor": False,
                "ldap_dn": "", "last_login": iso(self.store.clock()), "external_account": None,
                "related": {}, "summary_fields": {"user_capabilities": {"edit": True, "delete": False}}}

    def _tokens_view(self, method, rest, body, user):
        if not rest and method == "POST":
            token = secrets.token_urlsafe(24)
            with self.store.lock:
                record = self.store._insert("tokens", {  # pylint: disable=protected-access  # the store's write path
                    "description": (body or {}).get("description", ""), "application": None,
                    "scope": (body or {}).get("scope", "write"), "user": 1, "refresh_token": None,
                    "expires": iso(self.store.clock() + datetime.timedelta(days=365 * 1000))})
            self._tokens[token] = (record["id"], user)
            return 201, dict(self.store.represent("tokens", record), token=token)
        if not rest and method == "GET":
            return 200, query_list(self.store, "tokens", {}, "/api/v2/tokens/")
        if len(rest) == 1 and method == "DELETE":
            object_id = int(rest[0]) if rest[0].isdigit() else -1
            for token, (token_id, _user) in list(self._tokens.items()):
                if token_id == object_id and token_id:
                    del self._tokens[token]
                    self.store.delete("tokens", object_id)
                    return 204, None
            raise not_found()
        raise ApiError(405, "Method \"%s\" not allowed." % method)

    # -- admin paths (process mode) ---------------------------------------------------

    def admin(self, method: str, path: str, query: dict, body) -> dict:
        route = (method, path.rstrip("/") or "/")
        if route == ("GET", "/state"):
            return {"url": self.url, "objects": {p: len(self.store.records(p)) for p in LIST_VIEWS if p != UJT}}
        if route == ("GET", "/requests"):
            return self.requests.snapshot()
        if route in (("DELETE", "/requests"), ("POST", "/requests/reset")):
            self.requests.reset()
            return self.requests.snapshot()
        if route == ("GET", "/objects"):
            return self.store.snapshot()
        if route == ("POST", "/jobs"):
            body = body or {}
            started = _parse_time(body.get("started"))
            finished = _parse_time(body.get("finished"))
            return self.add_job(body.get("schedule"), body.get("job_template"), body.get("status", "successful"),
                                started, finished)
        raise ApiError(404, "The requested resource could not be found.")


def _parse_time(text):
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------
# Process mode
# ---------------------------------------------------------------------------


def serve(args) -> int:
    state_dir = clear_state_dir(args.state_dir)
    standin = AwxStandin(host=args.host, port=args.port, token=args.token, username=args.username,
                         password=args.password, tls=args.tls, state_dir=state_dir, verbose=args.verbose,
                         playbooks=args.playbook or DEFAULT_PLAYBOOKS)
    return serve_until_stopped(standin, state_dir, {"token": standin.token, "password": standin.password},
                               "AWX stand-in serving %%(url)s (AWX %s API); token in %s"
                               % (PRODUCT_VERSION, state_dir / "token"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testbed.awx_standin", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve in the foreground until SIGTERM")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=0, help="0 picks a free port (see STATE_DIR/url)")
    run.add_argument("--state-dir", required=True, help="url, token, password, ready (and certificates) go here")
    run.add_argument("--token", help="bearer token (default: random)")
    run.add_argument("--username", default="admin")
    run.add_argument("--password", help="password for Basic auth and token requests (default: random)")
    run.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate from a CA in STATE_DIR")
    run.add_argument("--playbook", action="append", help="a playbook the projects hold (repeatable)")
    run.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    return serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
