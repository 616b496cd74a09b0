"""Command line of the test bed: `scripts/testbed up|down|status|env|reset|forget|logs`.

Run as `python -m testbed` with the tests folder on PYTHONPATH (scripts/testbed
does that with the tools venv's Python).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys

from testbed.netbox import NetBoxTestbed, TestbedError


def cmd_up(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    summary = tb.up()
    timings = ", ".join("%s %.1fs" % kv for kv in summary["timings"].items())
    print("NetBox %s is up at %s" % (tb.settings.netbox_version, tb.url))
    print("  UI login:   %s / %s" % (tb.username, tb.password))
    print("  API tokens: Authorization: Token %s" % tb.token)
    print("              Authorization: Bearer %s" % tb.token_v2)
    print("  Kubernetes stand-in: %s (kubeconfig %s)" % (summary["kube"], tb.kube.kubeconfig))
    print("  golden database: %s; timings: %s" % (summary["golden"], timings))
    print("  `eval \"$(scripts/testbed env)\"` exports NETBOX_API, NETBOX_TOKEN, K8S_AUTH_KUBECONFIG ...")
    return 0


def cmd_down(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    stopped = tb.down()
    print("stopped: %s" % (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def cmd_status(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    status = tb.status()
    for name, line in status.items():
        print("%-9s %s" % (name, line))
    # Exit 0 only when NetBox answers: scripts can use `status` as a health check.
    return 0 if status["netbox"].startswith("up") else 3


def cmd_env(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    for name, value in tb.env().items():
        print("export %s=%s" % (name, shlex.quote(value)))
    return 0


def cmd_reset(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    seconds = tb.reset()
    print("NetBox database reset to the empty golden copy in %.2f s" % seconds)
    return 0


def cmd_forget(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    dropped = tb.forget_saved()
    print("saved NetBox copies dropped: %s" % (", ".join(dropped) if dropped else "none"))
    return 0


def cmd_logs(tb: NetBoxTestbed, args: argparse.Namespace) -> int:
    logs = tb.logs()
    names = list(logs) if args.part == "all" else [args.part]
    for name in names:
        path = logs[name]
        print("==> %s: %s" % (name, path))
        if path.exists():
            sys.stdout.flush()
            subprocess.run(["tail", "-n", str(args.lines), str(path)], check=False)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/testbed", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start PostgreSQL, Redis, NetBox and the Kubernetes stand-in (reuses what runs)")
    sub.add_parser("down", help="stop what `up` started")
    sub.add_parser("status", help="one line per part; exit 3 when NetBox does not answer")
    sub.add_parser("env", help="print export lines for NETBOX_API, NETBOX_TOKEN, K8S_AUTH_KUBECONFIG ...")
    sub.add_parser("reset", help="fresh empty NetBox database from the golden template (~1 s)")
    sub.add_parser("forget", help="drop every saved NetBox copy (the tests rebuild the ones they use)")
    logs = sub.add_parser("logs", help="show the tail of the logs")
    logs.add_argument("part", nargs="?", default="all",
                      choices=["all", "netbox", "access", "redis", "kube", "migrate", "collectstatic",
                               "postgres", "postgres-ctl"])
    logs.add_argument("-n", "--lines", type=int, default=30)
    return parser


COMMANDS = {
    "up": cmd_up,
    "down": cmd_down,
    "status": cmd_status,
    "env": cmd_env,
    "reset": cmd_reset,
    "forget": cmd_forget,
    "logs": cmd_logs,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tb = NetBoxTestbed(verbose=not args.quiet)
    try:
        return COMMANDS[args.command](tb, args)
    except TestbedError as e:
        print("ERROR: testbed %s: %s" % (args.command, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
