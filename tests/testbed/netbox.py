"""The test bed: a real NetBox from PyPI on 127.0.0.1, and the Kubernetes API stand-in.

Parts, each started only when it is not already running and stopped by `down`
only when `up` started it:
- PostgreSQL: an own Debian cluster (15/hhnbs on port 15432), so the machine's
  own cluster and its settings are never touched.
- Redis: an own server on port 16379 with no persistence.
- NetBox under gunicorn, configured by a generated configuration.py.
- The Kubernetes API stand-in (testbed.kube_standin) serving tests/fixtures/vlab.

A cold `netbox migrate` takes ~5 minutes, so it runs once per NetBox version into
a golden database that is marked a template and also dumped (gzipped SQL) into
HHNBS_HOME; the serving database `netbox` is a clone of it, which makes a fresh
empty NetBox cost about a second (`reset`). The admin user and both API tokens
live in the golden database, so every clone has them.

Runs with the tools venv's Python and needs only the standard library; NetBox
itself runs in its own venv (Python >= 3.12) as child processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gzip
import hashlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# Fixed credentials: the test bed is a throwaway on 127.0.0.1, and fixed values
# let a person, the tests and the demo share one NetBox without passing secrets.
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "Hedgehog-Testbed-1"
ADMIN_EMAIL = "admin@testbed.invalid"
TOKEN_V1 = "c0ffee00" * 5  # 40 hex characters: `Authorization: Token <it>`
TOKEN_V2_KEY = "hhnbstestbed"  # 12 characters, NetBox's TOKEN_KEY_LENGTH
TOKEN_V2_SECRET = "HedgehogNetboxSyncTestbedToken0123456789"  # 40 characters
# v2 tokens are stored as an HMAC keyed with the pepper: the golden database's
# tokens work only with this exact pepper.
API_TOKEN_PEPPER = "hedgehog-netbox-sync-testbed-pepper-0123456789abcdefghij"
SECRET_KEY = "hedgehog-netbox-sync-testbed-secret-key-0123456789abcdefghij"
KUBE_TOKEN = "hhnbs-testbed-kube-token"

DB_USER = "netbox"
DB_PASSWORD = "netbox-testbed"
DB_NAME = "netbox"
# Databases kept by NetBoxTestbed.save(); never served directly.
SAVED_PREFIX = "hhnbs_saved_"
REDIS_TASKS_DB = 0
REDIS_CACHE_DB = 1
GUNICORN_WORKERS = 3
# A bulk request of a few hundred objects takes 10-30 s in NetBox; gunicorn's
# default 30 s worker timeout would kill it half-way.
GUNICORN_TIMEOUT = 600

# Bump when what goes into the golden database changes (users, tokens, steps),
# so a stale cached dump is not reused.
GOLDEN_REVISION = 1

STATUS_TIMEOUT = 120.0
KUBE_READY_TIMEOUT = 30.0

# Settings for the stand-in's SQL tuning: a test database is thrown away, so
# durability is traded for speed (the golden dump is the real backup).
PG_TUNING = """\
# Written by hedgehog.netbox_sync's test bed: a throwaway cluster.
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
"""

# Runs inside `netbox shell`: the admin user and both tokens with fixed values,
# without prompts. Values come from the environment, not string formatting.
CREATE_USERS_SCRIPT = """
import os
from users.models import Token, User

env = os.environ
User.objects.filter(username=env['HHNBS_ADMIN_USERNAME']).delete()
user = User.objects.create_superuser(
    env['HHNBS_ADMIN_USERNAME'], env['HHNBS_ADMIN_EMAIL'], env['HHNBS_ADMIN_PASSWORD'])
Token(version=1, user=user, token=env['HHNBS_TOKEN_V1'], description='test bed v1 token').save()
Token(version=2, user=user, key=env['HHNBS_TOKEN_V2_KEY'], token=env['HHNBS_TOKEN_V2_SECRET'],
      description='test bed v2 token').save()
print('created', user.username, 'with', Token.objects.filter(user=user).count(), 'tokens')
"""


class TestbedError(RuntimeError):
    """A step of the test bed failed; the message names the step and the log to read."""


# --------------------------------------------------------------------------- #
# Settings
# --------------------------------------------------------------------------- #


def _repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class Settings:
    """Paths, versions and ports; the defaults mirror scripts/lib.sh so pytest
    run on its own finds the same test bed that the scripts made."""

    home: Path
    repo: Path
    tools_venv: Path
    netbox_venv: Path
    run: Path
    netbox_version: str
    pg_version: str
    pg_cluster: str
    netbox_port: int
    pg_port: int
    redis_port: int
    kube_port: int
    kube_fixtures: tuple[Path, ...]
    kube_release: str = ""  # serve this Hedgehog release's API (testbed.releases) and, by default, its fixture
    # NetBox plugins the test bed runs (HHNBS_TOPOLOGY_VIEWS=1: netbox_topology_views).
    plugins: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: dict | None = None) -> Settings:
        env = os.environ if environ is None else environ
        cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        home = Path(env.get("HHNBS_HOME") or cache / "hedgehog-netbox-sync")
        repo = Path(env.get("HHNBS_REPO") or _repo_root())
        release = env.get("HHNBS_KUBE_RELEASE") or ""
        default_fixture = f"release-{release}" if release else "vlab"
        fixtures = env.get("HHNBS_KUBE_FIXTURES") or str(repo / "tests" / "fixtures" / default_fixture)
        plugins = ("netbox_topology_views",) if env.get("HHNBS_TOPOLOGY_VIEWS") == "1" else ()
        default_venv = "venv-netbox-topology" if plugins else "venv-netbox"
        return cls(
            home=home,
            repo=repo,
            tools_venv=Path(env.get("HHNBS_TOOLS_VENV") or home / "venv-tools"),
            netbox_venv=Path(env.get("HHNBS_NETBOX_VENV") or home / default_venv),
            run=Path(env.get("HHNBS_RUN") or home / "run"),
            netbox_version=env.get("HHNBS_NETBOX_VERSION") or "4.7.3",
            pg_version=env.get("HHNBS_PG_VERSION") or "15",
            pg_cluster=env.get("HHNBS_PG_CLUSTER") or "hhnbs",
            netbox_port=int(env.get("NETBOX_PORT") or 8000),
            pg_port=int(env.get("HHNBS_PG_PORT") or 15432),
            redis_port=int(env.get("HHNBS_REDIS_PORT") or 16379),
            kube_port=int(env.get("HHNBS_KUBE_PORT") or 16443),
            kube_fixtures=tuple(Path(p) for p in fixtures.split(os.pathsep) if p),
            kube_release=release,
            plugins=plugins,
        )

    @property
    def logs(self) -> Path:
        return self.home / "logs" / "testbed"

    @property
    def netbox_root(self) -> Path:
        return self.run / "netbox"

    @property
    def kube_dir(self) -> Path:
        return self.run / "kube"

    @property
    def golden_dir(self) -> Path:
        return self.home / "golden"


# --------------------------------------------------------------------------- #
# Process and socket helpers
# --------------------------------------------------------------------------- #


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join("    " + line for line in text[-lines:])


def _run(step: str, cmd: list[str], log: Path, **kwargs) -> subprocess.CompletedProcess:
    """Runs a command with its output appended to `log`; a failure names the step."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write("\n$ %s\n" % shlex.join(str(c) for c in cmd))
        out.flush()
        try:
            result = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False,
                                    **kwargs)
        except FileNotFoundError as e:
            raise TestbedError("%s: %s not found (did scripts/setup run?)" % (step, cmd[0])) from e
    if result.returncode != 0:
        raise TestbedError(
            "%s failed (exit %d); log: %s\n%s" % (step, result.returncode, log, _log_tail(log))
        )
    return result


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _pid_runs(pid: int | None, needle: str) -> bool:
    """True when `pid` is alive and its command line contains `needle`; a pid
    file can outlive its process and the number be reused by another one."""
    if not pid:
        return False
    try:
        cmdline = Path("/proc/%d/cmdline" % pid).read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    # A zombie has an empty command line: it is not running any more.
    return needle.encode() in cmdline


def _stop_pid(pid: int, timeout: float = 15.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Path("/proc/%d" % pid).exists() or not Path("/proc/%d/cmdline" % pid).read_bytes():
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def _spawn(cmd: list[str], log: Path, env: dict, cwd: Path | None = None) -> subprocess.Popen:
    """Starts a daemon detached from this process: own session, no inherited
    stdin/stdout, so it outlives the CLI and never holds a caller's pipe open."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write("\n$ %s\n" % shlex.join(str(c) for c in cmd))
        out.flush()
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )


def _trim(log: Path, limit: int = 50 * 2**20) -> None:
    """Starts a log afresh once it is past `limit` bytes: benchmarks log a line per request."""
    with contextlib.suppress(FileNotFoundError):
        if log.stat().st_size > limit:
            log.unlink()


def _write_if_changed(path: Path, text: str) -> bool:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text() == text:
        return False
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return True


# --------------------------------------------------------------------------- #
# PostgreSQL
# --------------------------------------------------------------------------- #


class Postgres:
    """An own Debian cluster, managed with the postgresql-common tools."""

    def __init__(self, settings: Settings):
        self.s = settings
        self.marker = settings.run / "postgres.started-by-testbed"
        self.name = "%s/%s" % (settings.pg_version, settings.pg_cluster)
        self.log = settings.logs / "postgres.log"

    def cluster(self) -> dict | None:
        try:
            out = subprocess.run(["pg_lsclusters", "--json"], capture_output=True, text=True, check=True).stdout
        except FileNotFoundError as e:
            raise TestbedError("pg_lsclusters not found: PostgreSQL is not installed (run scripts/setup)") from e
        except subprocess.CalledProcessError as e:
            raise TestbedError("pg_lsclusters failed: %s" % e.stderr.strip()) from e
        for c in json.loads(out or "[]"):
            if str(c["version"]) == self.s.pg_version and c["cluster"] == self.s.pg_cluster:
                return c
        return None

    def is_running(self) -> bool:
        c = self.cluster()
        return bool(c and c["running"])

    def ensure(self) -> None:
        c = self.cluster()
        if c is None:
            self._create()
            c = self.cluster()
        if int(c["port"]) != self.s.pg_port:
            raise TestbedError(
                "cluster %s listens on port %s, not %d: drop it (pg_dropcluster --stop %s) or set HHNBS_PG_PORT"
                % (self.name, c["port"], self.s.pg_port, self.name.replace("/", " "))
            )
        if not c["running"]:
            if _port_open(self.s.pg_port):
                raise TestbedError("port %d is taken by another process; set HHNBS_PG_PORT" % self.s.pg_port)
            _run(
                "start PostgreSQL cluster %s" % self.name,
                ["pg_ctlcluster", self.s.pg_version, self.s.pg_cluster, "start"],
                self.log,
            )
            self.marker.parent.mkdir(parents=True, exist_ok=True)
            self.marker.write_text("started by scripts/testbed up\n")
        self._ensure_role()

    def _create(self) -> None:
        if os.geteuid() != 0:
            raise TestbedError("creating PostgreSQL cluster %s needs root" % self.name)
        if _port_open(self.s.pg_port):
            raise TestbedError("port %d is taken by another process; set HHNBS_PG_PORT" % self.s.pg_port)
        _run(
            "create PostgreSQL cluster %s" % self.name,
            # manual start: the test bed starts it, not the machine's boot.
            ["pg_createcluster", "--start-conf", "manual", "-p", str(self.s.pg_port),
             self.s.pg_version, self.s.pg_cluster],
            self.log,
        )
        conf_d = Path("/etc/postgresql") / self.s.pg_version / self.s.pg_cluster / "conf.d"
        conf_d.mkdir(parents=True, exist_ok=True)
        (conf_d / "hhnbs-testbed.conf").write_text(PG_TUNING)

    def _superuser_psql(self, sql: str) -> str:
        # Peer authentication as the cluster owner; cwd=/ because postgres may
        # not read the caller's working directory.
        cmd = ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
               "-p", str(self.s.pg_port), "-d", "postgres", "-c", sql]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/", check=False)
        if result.returncode != 0:
            raise TestbedError("psql as postgres failed: %s\n    %s" % (sql, result.stderr.strip()))
        return result.stdout

    def _ensure_role(self) -> None:
        if self._superuser_psql("SELECT 1 FROM pg_roles WHERE rolname = '%s'" % DB_USER).strip() == "1":
            return
        # CREATEDB is all NetBox's role needs: the ltree extension is trusted, and
        # the role owns (so may clone and drop) every database of the test bed.
        self._superuser_psql("CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'" % (DB_USER, DB_PASSWORD))

    def stop_if_started(self) -> bool:
        if not self.marker.exists():
            return False
        if self.is_running():
            _run("stop PostgreSQL cluster", ["pg_ctlcluster", self.s.pg_version, self.s.pg_cluster, "stop"], self.log)
        self.marker.unlink()
        return True


class Database:
    """SQL as NetBox's own role over TCP: the same access NetBox has, no root."""

    def __init__(self, settings: Settings):
        self.s = settings
        self.env = dict(os.environ, PGPASSWORD=DB_PASSWORD, PGCONNECT_TIMEOUT="5")
        self.base = ["-h", "127.0.0.1", "-p", str(settings.pg_port), "-U", DB_USER]

    def psql(self, *sql: str, db: str = "postgres", input_bytes: bytes | None = None) -> str:
        cmd = ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", *self.base, "-d", db]
        for statement in sql:
            # Each -c runs in its own transaction: DROP/CREATE DATABASE need that.
            cmd += ["-c", statement]
        result = subprocess.run(cmd, input=input_bytes, capture_output=True, env=self.env, check=False)
        if result.returncode != 0:
            raise TestbedError(
                "psql -d %s failed: %s\n    %s" % (db, " ; ".join(sql) or "(input)", result.stderr.decode().strip())
            )
        return result.stdout.decode()

    def exists(self, name: str) -> bool:
        return self.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % name).strip() == "1"

    def comment(self, name: str) -> str:
        return self.psql(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '%s'" % name
        ).strip()

    def names_like(self, prefix: str) -> list[str]:
        out = self.psql("SELECT datname FROM pg_database WHERE datname LIKE '%s%%'" % prefix)
        return [line for line in out.splitlines() if line]

    def drop(self, name: str) -> None:
        if self.exists(name):
            # PostgreSQL refuses to drop a template database.
            self.psql('ALTER DATABASE "%s" IS_TEMPLATE false' % name)
        self._drop_forcing(name)

    def clone(self, template: str, name: str, comment: str) -> None:
        """Replaces `name` with a fresh copy of `template`; kills its sessions."""
        self._drop_forcing(name)
        self.psql(
            'CREATE DATABASE "%s" TEMPLATE "%s"' % (name, template),
            "COMMENT ON DATABASE \"%s\" IS '%s'" % (name, comment),
        )

    def _drop_forcing(self, name: str, attempts: int = 40) -> None:
        """DROP DATABASE ... WITH (FORCE), waiting out PostgreSQL's own workers.

        FORCE ends the sessions of the test bed's role, but an autovacuum worker
        belongs to no role and may not be ended by it ("must be a member of the
        role whose process is being terminated"); it is done in moments after a
        burst of writes, so the drop is tried again, for at most ten seconds.
        """
        for attempt in range(attempts):
            try:
                self.psql('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
                return
            except TestbedError as exc:
                if "whose process is being terminated" not in str(exc) or attempt == attempts - 1:
                    raise
                time.sleep(0.25)


# --------------------------------------------------------------------------- #
# Redis
# --------------------------------------------------------------------------- #


class _Daemon:
    """A process the test bed started and tracks by its pidfile; PROCESS names it in the process table."""

    PROCESS = ""
    pidfile: Path

    def pid(self) -> int | None:
        pid = _read_pid(self.pidfile)
        return pid if _pid_runs(pid, self.PROCESS) else None

    def stop(self) -> bool:
        pid = self.pid()
        if pid:
            _stop_pid(pid)
        self.pidfile.unlink(missing_ok=True)
        return bool(pid)


class Redis(_Daemon):
    PROCESS = "redis-server"

    def __init__(self, settings: Settings):
        self.s = settings
        self.dir = settings.run / "redis"
        self.pidfile = self.dir / "redis.pid"
        self.log = settings.logs / "redis.log"

    def call(self, *commands: tuple[str, ...]) -> list[bytes]:
        """Sends commands in one round trip and returns their one-line replies
        (+OK, +PONG, -ERR ...): all the test bed asks of Redis."""
        payload = b"".join(
            b"*%d\r\n" % len(cmd) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in cmd)
            for cmd in commands
        )
        with socket.create_connection(("127.0.0.1", self.s.redis_port), timeout=5) as sock:
            sock.sendall(payload)
            reply = b""
            while reply.count(b"\r\n") < len(commands):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        return reply.split(b"\r\n")[: len(commands)]

    def ping(self) -> bool:
        try:
            return self.call(("PING",)) == [b"+PONG"]
        except OSError:
            return False

    def ensure(self) -> None:
        if self.pid() and self.ping():
            return
        if _port_open(self.s.redis_port):
            raise TestbedError("port %d is taken by another process; set HHNBS_REDIS_PORT" % self.s.redis_port)
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.s.logs.mkdir(parents=True, exist_ok=True)
        _run(
            "start Redis",
            [server, "--bind", "127.0.0.1", "--port", str(self.s.redis_port), "--daemonize", "yes",
             "--pidfile", str(self.pidfile), "--logfile", str(self.log), "--dir", str(self.dir),
             "--save", "", "--appendonly", "no"],
            self.log,
        )
        self._wait()

    def _wait(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise TestbedError("Redis did not answer PING on port %d; log: %s\n%s"
                           % (self.s.redis_port, self.log, _log_tail(self.log)))

    def flush_db(self, db: int) -> None:
        try:
            replies = self.call(("SELECT", str(db)), ("FLUSHDB",))
        except OSError as e:
            raise TestbedError("Redis on port %d: %s (is the test bed up?)" % (self.s.redis_port, e)) from e
        if replies != [b"+OK", b"+OK"]:
            raise TestbedError("Redis FLUSHDB of db %d answered %r" % (db, replies))


# --------------------------------------------------------------------------- #
# NetBox
# --------------------------------------------------------------------------- #


def netbox_configuration(s: Settings) -> str:
    """configuration.py of the test bed's NetBox. The database name comes from
    the environment so that migrate can run against the golden database."""
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "USER": DB_USER,
        "PASSWORD": DB_PASSWORD,
        "HOST": "127.0.0.1",
        "PORT": s.pg_port,
        "CONN_MAX_AGE": 300,
        # reset drops the database under the running server: check a pooled
        # connection before use instead of answering 500 once per worker.
        "CONN_HEALTH_CHECKS": True,
    }
    redis = {
        "tasks": {"HOST": "127.0.0.1", "PORT": s.redis_port, "DATABASE": REDIS_TASKS_DB, "SSL": False},
        "caching": {"HOST": "127.0.0.1", "PORT": s.redis_port, "DATABASE": REDIS_CACHE_DB, "SSL": False},
    }
    lines = [
        "# Generated by hedgehog.netbox_sync's test bed (tests/testbed/netbox.py); rewritten by every `up`.",
        "import os",
        "",
        "ALLOWED_HOSTS = ['*']",
        "DATABASES = {'default': dict(%r, NAME=os.environ.get('HHNBS_NETBOX_DB', %r))}" % (database, DB_NAME),
        "REDIS = %r" % redis,
        "SECRET_KEY = %r" % SECRET_KEY,
        "API_TOKEN_PEPPERS = {1: %r}" % API_TOKEN_PEPPER,
        "ISOLATED_DEPLOYMENT = True",
        "CENSUS_REPORTING_ENABLED = False",
        "RELEASE_CHECK_URL = None",
        # A second server on the same database may be started with a small page (SmallPageServer).
        "MAX_PAGE_SIZE = int(os.environ.get('HHNBS_NETBOX_MAX_PAGE_SIZE', '5000'))",
        "TIME_ZONE = 'UTC'",
        "PLUGINS = %r" % list(s.plugins),
        "",
    ]
    return "\n".join(lines)


class NetBox(_Daemon):
    """NetBox's management commands and its gunicorn server."""

    PROCESS = "gunicorn"

    def __init__(self, settings: Settings):
        self.s = settings
        self.root = settings.netbox_root
        self.pidfile = self.root / "gunicorn.pid"
        self.argv_file = self.root / "gunicorn.argv"
        self.log = settings.logs / "gunicorn.log"
        self.access_log = settings.logs / "gunicorn-access.log"
        self.bin = settings.netbox_venv / "bin"

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.s.netbox_port

    def env(self, database: str = DB_NAME) -> dict:
        return dict(
            os.environ,
            NETBOX_ROOT=str(self.root),
            DJANGO_SETTINGS_MODULE="netbox.settings",
            HHNBS_NETBOX_DB=database,
        )

    def check_installed(self) -> None:
        python = self.bin / "python"
        if not python.exists():
            raise TestbedError("NetBox venv missing at %s: run scripts/setup" % self.s.netbox_venv)
        out = subprocess.run([str(python), "-c", "import importlib.metadata as m; print(m.version('netbox'))"],
                             capture_output=True, text=True, check=False)
        if out.stdout.strip() != self.s.netbox_version:
            raise TestbedError("NetBox venv has netbox %r, want %s: run scripts/setup"
                               % (out.stdout.strip() or out.stderr.strip(), self.s.netbox_version))
        for plugin in self.s.plugins:
            found = subprocess.run([str(python), "-c", "import %s" % plugin], capture_output=True, check=False)
            if found.returncode != 0:
                raise TestbedError("NetBox venv %s has no %s: run scripts/setup with HHNBS_TOPOLOGY_VIEWS=1 "
                                   "(and the same HHNBS_NETBOX_VENV)" % (self.s.netbox_venv, plugin))

    def write_configuration(self) -> bool:
        (self.root / "conf" / "__init__.py").parent.mkdir(parents=True, exist_ok=True)
        (self.root / "conf" / "__init__.py").touch()
        return _write_if_changed(self.root / "conf" / "configuration.py", netbox_configuration(self.s))

    def manage(self, step: str, *args: str, database: str = DB_NAME, log_name: str = "manage.log",
               extra_env: dict | None = None) -> None:
        env = self.env(database)
        env.update(extra_env or {})
        _run(step, [str(self.bin / "netbox"), *args], self.s.logs / log_name, env=env)

    def collectstatic(self) -> None:
        stamp = self.root / "static" / ".hhnbs-collected"
        # Plugins bring static files of their own.
        collected = " ".join((self.s.netbox_version,) + self.s.plugins)
        if stamp.exists() and stamp.read_text() == collected:
            return
        self.manage("NetBox collectstatic", "collectstatic", "--no-input", "--clear", log_name="collectstatic.log")
        stamp.write_text(collected)

    # -- gunicorn ---------------------------------------------------------- #

    def gunicorn_argv(self, port: int | None = None, pidfile: Path | None = None, access_log: Path | None = None,
                      workers: int = GUNICORN_WORKERS) -> list[str]:
        return [
            str(self.bin / "gunicorn"),
            "--preload",  # import NetBox once: ~6 s to the first 200 instead of ~20 s
            "--workers", str(workers),
            "--worker-class", "sync",
            "--bind", "127.0.0.1:%d" % (port or self.s.netbox_port),
            "--timeout", str(GUNICORN_TIMEOUT),
            "--graceful-timeout", "10",
            "--pid", str(pidfile or self.pidfile),
            "--no-control-socket",
            "--access-logfile", str(access_log or self.access_log),
            "--pythonpath", str(self.s.repo / "tests"),
            "testbed.netbox_wsgi:application",
        ]

    def _started_argv(self) -> list[str] | None:
        try:
            return json.loads(self.argv_file.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def status_code(self, token_header: str | None = None, timeout: float = 3.0) -> int | None:
        req = urllib.request.Request(self.url + "/api/status/")
        req.add_header("Authorization", token_header or "Token " + TOKEN_V1)
        req.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code
        except (urllib.error.URLError, OSError):
            return None

    def ensure_running(self, restart: bool) -> None:
        argv = self.gunicorn_argv()
        pid = self.pid()
        if pid and (restart or self._started_argv() != argv):
            # A server started with another configuration or command line would
            # serve the old settings.
            self.stop()
            pid = None
        if pid:
            self.wait_ready(pid=pid)
            return
        if _port_open(self.s.netbox_port):
            raise TestbedError("port %d is taken by another process; set NETBOX_PORT" % self.s.netbox_port)
        self.argv_file.write_text(json.dumps(argv))
        _trim(self.log)
        _trim(self.access_log)
        proc = _spawn(argv, self.log, self.env(), cwd=self.root)
        self.wait_ready(proc=proc)

    def wait_ready(self, proc: subprocess.Popen | None = None, pid: int | None = None) -> None:
        deadline = time.monotonic() + STATUS_TIMEOUT
        code = None
        while time.monotonic() < deadline:
            code = self.status_code()
            if code == 200:
                return
            if proc is not None and proc.poll() is not None:
                raise TestbedError("gunicorn exited with %d before NetBox answered; log: %s\n%s"
                                   % (proc.returncode, self.log, _log_tail(self.log)))
            if pid is not None and not _pid_runs(pid, "gunicorn"):
                raise TestbedError("gunicorn (pid %d) died; log: %s\n%s" % (pid, self.log, _log_tail(self.log)))
            time.sleep(0.25)
        raise TestbedError("NetBox did not answer 200 on %s/api/status/ within %.0f s (last: %s); log: %s\n%s"
                           % (self.url, STATUS_TIMEOUT, code, self.log, _log_tail(self.log)))


class SmallPageServer:
    """A second NetBox server on the test bed's database whose MAX_PAGE_SIZE is small, so that every
    list a sync makes takes many pages, as it does against a big NetBox. One worker on a free port;
    ``start()`` waits until it answers, ``stop()`` ends it."""

    def __init__(self, netbox: NetBox, max_page_size: int):
        self.netbox = netbox
        self.max_page_size = max_page_size
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        name = "gunicorn-page-%d" % max_page_size
        self.pidfile = netbox.root / (name + ".pid")
        self.log = netbox.s.logs / (name + ".log")
        self.access_log = netbox.s.logs / (name + "-access.log")

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self.port

    def start(self) -> SmallPageServer:
        argv = self.netbox.gunicorn_argv(self.port, self.pidfile, self.access_log, workers=1)
        env = dict(self.netbox.env(), HHNBS_NETBOX_MAX_PAGE_SIZE=str(self.max_page_size))
        _trim(self.log)
        _trim(self.access_log)
        self.proc = _spawn(argv, self.log, env, cwd=self.netbox.root)
        deadline = time.monotonic() + STATUS_TIMEOUT
        while _status_code(self.url) != 200:
            if self.proc.poll() is not None:
                raise TestbedError("the small-page NetBox exited with %d; log: %s\n%s"
                                   % (self.proc.returncode, self.log, _log_tail(self.log)))
            if time.monotonic() > deadline:
                self.stop()
                raise TestbedError("the small-page NetBox did not answer within %.0f s; log: %s\n%s"
                                   % (STATUS_TIMEOUT, self.log, _log_tail(self.log)))
            time.sleep(0.25)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status_code(url: str, timeout: float = 3.0) -> int | None:
    req = urllib.request.Request(url + "/api/status/")
    req.add_header("Authorization", "Token " + TOKEN_V1)
    req.add_header("Accept", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError):
        return None


# --------------------------------------------------------------------------- #
# The golden database
# --------------------------------------------------------------------------- #


def golden_key(netbox_version: str, plugins: tuple[str, ...] = ()) -> str:
    """Names the golden database and its dump: a new NetBox version, user or
    token value, or plugin gives a new golden database instead of a stale one."""
    material = [GOLDEN_REVISION, netbox_version, ADMIN_USERNAME, ADMIN_PASSWORD, TOKEN_V1,
                TOKEN_V2_KEY, TOKEN_V2_SECRET, API_TOKEN_PEPPER]
    if plugins:
        material.append(sorted(plugins))
    digest = hashlib.sha256(json.dumps(material).encode()).hexdigest()[:8]
    return "hhnbs_golden_%s_%s" % (netbox_version.replace(".", "_"), digest)


class Golden:
    def __init__(self, settings: Settings, db: Database, netbox: NetBox):
        self.s = settings
        self.db = db
        self.netbox = netbox
        self.name = golden_key(settings.netbox_version, settings.plugins)
        self.dump = settings.golden_dir / (self.name + ".sql.gz")
        # With plugins, the plain golden dump plus the plugins' migrations (seconds, not minutes).
        self.base_dump = settings.golden_dir / (golden_key(settings.netbox_version) + ".sql.gz")

    def ensure(self, say) -> str:
        """Makes the golden database exist; returns how: present, restored or migrated."""
        if self.db.exists(self.name) and self.db.comment(self.name) == "complete":
            return "present"
        self.db.drop(self.name)
        if self.dump.exists():
            say("restore golden database from %s" % self.dump)
            self._restore()
            how = "restored"
        elif self.s.plugins and self.base_dump.exists():
            say("golden database with plugins %s: the plain one plus their migrations" % ", ".join(self.s.plugins))
            self._build_from_base()
            how = "migrated plugins"
        else:
            say("first build of the golden database: `netbox migrate` takes ~5 min; log: %s"
                % (self.s.logs / "migrate.log"))
            self._build()
            how = "migrated"
        self.db.psql('ALTER DATABASE "%s" IS_TEMPLATE true' % self.name,
                     "COMMENT ON DATABASE \"%s\" IS 'complete'" % self.name)
        self._drop_stale()
        return how

    def _restore(self) -> None:
        self.db.psql('CREATE DATABASE "%s"' % self.name)
        self.db.psql(db=self.name, input_bytes=gzip.decompress(self.dump.read_bytes()))

    def _build_from_base(self) -> None:
        self.db.psql('CREATE DATABASE "%s"' % self.name)
        self.db.psql(db=self.name, input_bytes=gzip.decompress(self.base_dump.read_bytes()))
        self.netbox.manage("NetBox migrate (plugins)", "migrate", "--no-input", database=self.name,
                           log_name="migrate.log")
        self._dump()

    def _build(self) -> None:
        self.db.psql('CREATE DATABASE "%s"' % self.name)
        self.netbox.manage("NetBox migrate (golden database)", "migrate", "--no-input",
                           database=self.name, log_name="migrate.log")
        self.netbox.manage(
            "create admin user and API tokens", "shell", "--no-imports", "-c", CREATE_USERS_SCRIPT,
            database=self.name, log_name="migrate.log",
            extra_env={
                "HHNBS_ADMIN_USERNAME": ADMIN_USERNAME,
                "HHNBS_ADMIN_EMAIL": ADMIN_EMAIL,
                "HHNBS_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "HHNBS_TOKEN_V1": TOKEN_V1,
                "HHNBS_TOKEN_V2_KEY": TOKEN_V2_KEY,
                "HHNBS_TOKEN_V2_SECRET": TOKEN_V2_SECRET,
            },
        )
        self._dump()

    def _dump(self) -> None:
        self.dump.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.dump.with_suffix(".tmp")
        _run(
            "dump golden database",
            ["pg_dump", *self.db.base, "--no-owner", "--no-privileges", "-Z", "6", "-f", str(tmp), self.name],
            self.s.logs / "migrate.log",
            env=self.db.env,
        )
        tmp.replace(self.dump)

    def _drop_stale(self) -> None:
        for name in self.db.names_like("hhnbs_golden_"):
            if name != self.name:
                self.db.drop(name)


# --------------------------------------------------------------------------- #
# Kubernetes API stand-in
# --------------------------------------------------------------------------- #


class KubeStandin(_Daemon):
    MODULE = PROCESS = "testbed.kube_standin"

    def __init__(self, settings: Settings):
        self.s = settings
        self.dir = settings.kube_dir
        self.pidfile = self.dir / "standin.pid"
        self.argv_file = self.dir / "standin.argv"
        self.log = settings.logs / "kube-standin.log"

    @property
    def kubeconfig(self) -> Path:
        return self.dir / "kubeconfig"

    @property
    def url(self) -> str:
        return "https://127.0.0.1:%d" % self.s.kube_port

    def available(self) -> str | None:
        """None when the stand-in can run, else why not."""
        if not (self.s.repo / "tests" / "testbed" / "kube_standin.py").exists():
            return "tests/testbed/kube_standin.py does not exist yet"
        missing = [str(p) for p in self.s.kube_fixtures if not p.is_dir()]
        if missing:
            return "fixture folder %s does not exist yet" % ", ".join(missing)
        return None

    def _started_argv(self) -> list[str] | None:
        try:
            return json.loads(self.argv_file.read_text())
        except (FileNotFoundError, ValueError):
            return None

    def argv(self) -> list[str]:
        fixtures = [arg for path in self.s.kube_fixtures for arg in ("--fixtures", str(path))]
        release = ["--release", self.s.kube_release] if self.s.kube_release else []
        return [str(self.s.tools_venv / "bin" / "python"), "-m", self.MODULE, "serve", *fixtures, *release,
                "--host", "127.0.0.1", "--port", str(self.s.kube_port),
                "--state-dir", str(self.dir), "--token", KUBE_TOKEN]

    def ensure(self) -> None:
        argv = self.argv()
        if self.pid() and (self.dir / "ready").exists() and self._started_argv() == argv:
            return
        # Not running, not ready, or serving other fixtures or on another port.
        self.stop()
        if _port_open(self.s.kube_port):
            raise TestbedError("port %d is taken by another process; set HHNBS_KUBE_PORT" % self.s.kube_port)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "ready").unlink(missing_ok=True)
        python_path = [str(self.s.repo / "tests"), os.environ.get("PYTHONPATH")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, python_path)))
        proc = _spawn(argv, self.log, env, cwd=self.s.repo)
        self.pidfile.write_text(str(proc.pid))
        self.argv_file.write_text(json.dumps(argv))
        self._wait_ready(proc)

    def _wait_ready(self, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + KUBE_READY_TIMEOUT
        while time.monotonic() < deadline:
            if (self.dir / "ready").exists():
                return
            if proc.poll() is not None:
                raise TestbedError("Kubernetes stand-in exited with %d; log: %s\n%s"
                                   % (proc.returncode, self.log, _log_tail(self.log)))
            time.sleep(0.1)
        raise TestbedError("Kubernetes stand-in wrote no %s within %.0f s; log: %s\n%s"
                           % (self.dir / "ready", KUBE_READY_TIMEOUT, self.log, _log_tail(self.log)))

    def stop(self) -> bool:
        stopped = super().stop()
        (self.dir / "ready").unlink(missing_ok=True)
        return stopped


# --------------------------------------------------------------------------- #
# The test bed
# --------------------------------------------------------------------------- #


class NetBoxTestbed:
    """The whole test bed; every method is safe to call in any state."""

    def __init__(self, settings: Settings | None = None, verbose: bool = True):
        self.settings = settings or Settings.from_env()
        self.verbose = verbose
        self.postgres = Postgres(self.settings)
        self.db = Database(self.settings)
        self.redis = Redis(self.settings)
        self.netbox = NetBox(self.settings)
        self.golden = Golden(self.settings, self.db, self.netbox)
        self.kube = KubeStandin(self.settings)
        self.timings: dict[str, float] = {}

    # -- what clients need -------------------------------------------------- #

    token = TOKEN_V1
    token_v2 = "nbt_%s.%s" % (TOKEN_V2_KEY, TOKEN_V2_SECRET)
    username = ADMIN_USERNAME
    password = ADMIN_PASSWORD

    @property
    def url(self) -> str:
        return self.netbox.url

    @property
    def auth_header_v1(self) -> str:
        return "Token " + self.token

    @property
    def auth_header_v2(self) -> str:
        return "Bearer " + self.token_v2

    def env(self) -> dict[str, str]:
        """Variables for clients: netbox.netbox's and kubernetes.core's names."""
        return {
            "NETBOX_API": self.url,
            "NETBOX_URL": self.url,
            "NETBOX_TOKEN": self.token,
            "NETBOX_TOKEN_V2": self.token_v2,
            "NETBOX_USERNAME": self.username,
            "NETBOX_PASSWORD": self.password,
            "K8S_AUTH_KUBECONFIG": str(self.kube.kubeconfig),
            "HHNBS_HOME": str(self.settings.home),
        }

    # -- life cycle --------------------------------------------------------- #

    def say(self, message: str) -> None:
        if self.verbose:
            print("==> " + message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def _timed(self, name: str):
        start = time.monotonic()
        yield
        self.timings[name] = round(time.monotonic() - start, 2)

    @contextlib.contextmanager
    def _lock(self):
        """One `up`/`down`/`reset` at a time: pytest and a shell may race."""
        self.settings.run.mkdir(parents=True, exist_ok=True)
        with open(self.settings.run / "testbed.lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield

    def is_up(self) -> bool:
        return self.netbox.pid() is not None and self.netbox.status_code(timeout=2) == 200

    def up(self) -> dict:
        """Brings every part up, reusing what runs; returns a summary. Raises
        TestbedError naming the failed step and its log."""
        with self._lock():
            start = time.monotonic()
            self.timings = {}
            with self._timed("check"):
                self.netbox.check_installed()
            with self._timed("postgres"):
                self.postgres.ensure()
            with self._timed("redis"):
                self.redis.ensure()
            with self._timed("config"):
                config_changed = self.netbox.write_configuration()
            with self._timed("golden"):
                golden = self.golden.ensure(self.say)
            with self._timed("database"):
                cloned = self._ensure_serving_database()
            with self._timed("collectstatic"):
                self.netbox.collectstatic()
            with self._timed("gunicorn"):
                self.netbox.ensure_running(restart=config_changed)
            kube = self._ensure_kube()
            self.timings["total"] = round(time.monotonic() - start, 2)
            return {"golden": golden, "database_cloned": cloned, "kube": kube, "timings": self.timings}

    def _ensure_serving_database(self) -> bool:
        """Clones the serving database unless it is already a clone of this golden one."""
        if self.db.exists(DB_NAME) and self.db.comment(DB_NAME) == self.golden.name:
            return False
        self.db.clone(self.golden.name, DB_NAME, comment=self.golden.name)
        return True

    def _ensure_kube(self) -> str:
        why_not = self.kube.available()
        if why_not:
            self.say("Kubernetes stand-in not started: %s (NetBox is up)" % why_not)
            return "unavailable: " + why_not
        with self._timed("kube"):
            self.kube.ensure()
        return "up"

    def reset(self) -> float:
        """Fresh empty NetBox database (admin and tokens only) under the running
        server; returns the seconds it took."""
        with self._lock():
            start = time.monotonic()
            if not self.db.exists(self.golden.name):
                raise TestbedError("no golden database %s: run `scripts/testbed up` first" % self.golden.name)
            self.db.clone(self.golden.name, DB_NAME, comment=self.golden.name)
            # NetBox caches query results and config in Redis: stale entries
            # would describe objects that no longer exist.
            self.redis.flush_db(REDIS_CACHE_DB)
            return time.monotonic() - start

    def save(self, name: str) -> float:
        """Keeps a copy of the serving database as it is now under `name`
        (replacing an older copy), for `restore`; returns the seconds it took.

        A synced fabric costs tens of seconds of NetBox writes; tests that
        start from one restore a saved copy in about a second instead."""
        copy_name = SAVED_PREFIX + name
        with self._lock():
            start = time.monotonic()
            deadline = time.monotonic() + 10
            while True:
                # CREATE DATABASE ... TEMPLATE refuses a source with open
                # sessions; gunicorn's pooled ones are closed here and the
                # workers reconnect (CONN_HEALTH_CHECKS) on their next request.
                # PostgreSQL's own workers (autovacuum) are not ours to end:
                # the copy waits them out.
                self.db.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' "
                             "AND pid <> pg_backend_pid() AND backend_type = 'client backend'" % DB_NAME)
                try:
                    self.db.clone(DB_NAME, copy_name, comment="saved from %s" % self.golden.name)
                    break
                except TestbedError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            return time.monotonic() - start

    def forget_saved(self) -> list[str]:
        """Drops every copy `save` kept; returns their names."""
        with self._lock():
            names = sorted(self.db.names_like(SAVED_PREFIX))
            for name in names:
                self.db.drop(name)
            return names

    def restore(self, name: str) -> float:
        """Serving database back to the copy `save` kept under `name`; returns the seconds it took."""
        copy_name = SAVED_PREFIX + name
        with self._lock():
            start = time.monotonic()
            if not self.db.exists(copy_name):
                raise TestbedError("no saved database %r: call save(%r) first" % (name, name))
            # The golden name as comment: `up` keeps the served data as it does after any test.
            self.db.clone(copy_name, DB_NAME, comment=self.golden.name)
            self.redis.flush_db(REDIS_CACHE_DB)
            return time.monotonic() - start

    def down(self) -> list[str]:
        """Stops what `up` started; returns the names of what it stopped."""
        with self._lock():
            stopped = []
            if self.kube.stop():
                stopped.append("kube stand-in")
            if self.netbox.stop():
                stopped.append("netbox (gunicorn)")
            if self.redis.stop():
                stopped.append("redis")
            if self.postgres.stop_if_started():
                stopped.append("postgres cluster " + self.postgres.name)
            return stopped

    def status(self) -> dict[str, str]:
        s = self.settings
        pg = self.postgres.cluster()
        nb_pid = self.netbox.pid()
        code = self.netbox.status_code(timeout=2) if nb_pid else None
        kube_pid = self.kube.pid()
        return {
            "postgres": ("up" if pg and pg["running"] else "down") + "  127.0.0.1:%d cluster %s%s" % (
                s.pg_port, self.postgres.name, " (started by testbed)" if self.postgres.marker.exists() else ""),
            "redis": ("up" if self.redis.pid() and self.redis.ping() else "down") + "  127.0.0.1:%d" % s.redis_port,
            "netbox": ("up" if code == 200 else "down" if not nb_pid else "starting/unhealthy (HTTP %s)" % code)
            + "  %s NetBox %s%s" % (self.url, s.netbox_version, " pid %d" % nb_pid if nb_pid else ""),
            "kube": ("up" if kube_pid and (self.kube.dir / "ready").exists() else "down")
            + "  %s kubeconfig %s" % (self.kube.url, self.kube.kubeconfig),
        }

    def logs(self) -> dict[str, Path]:
        s = self.settings
        return {
            "netbox": self.netbox.log,
            "access": self.netbox.access_log,
            "redis": self.redis.log,
            "kube": self.kube.log,
            "migrate": s.logs / "migrate.log",
            "collectstatic": s.logs / "collectstatic.log",
            "postgres": Path("/var/log/postgresql/postgresql-%s-%s.log" % (s.pg_version, s.pg_cluster)),
            "postgres-ctl": self.postgres.log,
        }
