"""``scripts/bench``: sync time, requests and memory per fabric size, side by side with the baseline, netbox.netbox and the floor.

Per size and per code (the baseline commit's, then this checkout's), on a fresh NetBox
database from the test bed's template: the initial sync, a no-op resync, a hand edit of
one owned object by another NetBox user and the run that finds it, a run with full=true,
a resync after ~1% of the wiring objects changed and the no-op after it; each a recorded
run (as the fabric_sync module runs it) in a child process reading the fabric from the
Kubernetes API stand-in. Then, on another fresh database, the floor (only the plan's bulk
writes, sequential) for the initial sync and the change. For vlab also the same fabric
written by netbox.netbox tasks and by the fabric_sync module, each through
ansible-playbook, initial run and no-op rerun. With ``--fleet``, many fabrics in one
NetBox, a round of runs over all of them per code.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from testbed.generator import write_fabric
from testbed.kube_standin import KubeStandin
from testbed.netbox import NetBoxTestbed

from bench import baseline, edits, fabrics, playbooks, report
from bench.server import ServerProbe

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.changes.changelog import SETTLE_SECONDS

REPO = Path(__file__).resolve().parents[1]
COLLECTIONS = REPO / ".ansible" / "collections"


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", default=",".join(fabrics.DEFAULT_SIZES),
                        help="comma-separated fabric sizes: vlab, L, XL or a name given with --size (default: vlab,L)")
    parser.add_argument("--xl", action="store_true", help="add the XL fabric (8 spines, 128 leaves, 2,048 servers)")
    parser.add_argument("--size", action="append", default=[], metavar="NAME:FIELD=VALUE,...",
                        help="define a size from generator fields, based on the preset of the same name if any, "
                             "e.g. --size M:spines=2,leaves=8,eslag_pairs=3,servers_per_leaf=4 (repeatable)")
    parser.add_argument("--change", type=float, default=0.01,
                        help="fraction of the wiring objects changed before the third run (default 0.01)")
    parser.add_argument("--no-compare", action="store_true", help="skip the netbox.netbox and fabric_sync playbooks")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor runs")
    parser.add_argument("--compare-size", default="vlab", help="the size written by netbox.netbox tasks (default vlab)")
    parser.add_argument("--compare-sample", type=int, default=4, metavar="N",
                        help="run netbox.netbox tasks for the first N objects of each kind and what they refer to, "
                             "and estimate the whole playbook from the mean task time per kind; 0 runs the whole "
                             "playbook (hundreds of tasks at 1-6 s each on a busy machine; default 4)")
    parser.add_argument("--workers", type=int, default=None, help="netbox_workers for the sync (default: the engine's)")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="netbox_chunk_size for the sync and the floor (default: the engine's)")
    parser.add_argument("--baseline", default="merge-base:main",
                        help="the commit whose code runs side by side (default merge-base:main, where this branch "
                             "left main); 'none' to measure this checkout alone")
    parser.add_argument("--fleet", type=int, default=0, metavar="N",
                        help="also a fleet: N VLAB-sized fabrics and one L in one NetBox, a round of runs over all "
                             "of them per code (initial, no-op, full); 0 skips it (default)")
    parser.add_argument("--fleet-size", default="L", help="the big fabric of the fleet (default L; 'none' for none)")
    parser.add_argument("--reads-only", action="store_true",
                        help="per size, one initial sync (this checkout's), then each code's no-op and full "
                             "reconcile on that same NetBox: the read paths side by side for one initial sync "
                             "instead of one per code (XL: about 25 minutes instead of an hour)")
    parser.add_argument("--stale-agents", action="store_true",
                        help="leave the agents' heartbeats as generated (long past): switches offline, no LLDP check")
    parser.add_argument("--profile", action="store_true",
                        help="run every sync under cProfile; .pstats files go to the work folder")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other sizes of the existing latest.json and replace only the sizes run now")
    parser.add_argument("--out", default=str(REPO / "bench" / "results"),
                        help="folder for latest.md and latest.json (default bench/results)")
    parser.add_argument("--work", default=None,
                        help="folder for fabrics, playbooks, logs and profiles (default $HHNBS_HOME/bench)")
    args = parser.parse_args(argv)
    sizes = [s for s in args.sizes.split(",") if s]
    custom = {}
    for item in args.size:
        name, _sep, fields = item.partition(":")
        overrides = {}
        for pair in filter(None, fields.split(",")):
            key, _eq, value = pair.partition("=")
            overrides[key.strip()] = _value(value.strip())
        custom[name] = overrides
        if name not in sizes:
            sizes.append(name)
    if args.xl and "XL" not in sizes:
        sizes.append("XL")
    args.size_list = sizes
    args.custom = custom
    return args


def _value(text):
    try:
        return int(text)
    except ValueError:
        return text


class Bench:
    def __init__(self, args):
        self.args = args
        self.testbed = NetBoxTestbed(verbose=False)
        self.probe = ServerProbe(self.testbed)
        self.work = Path(args.work or Path(self.testbed.settings.home) / "bench")
        self.work.mkdir(parents=True, exist_ok=True)
        self.options = {}
        if args.workers is not None:
            self.options["netbox_workers"] = args.workers
        if args.chunk_size is not None:
            self.options["netbox_chunk_size"] = args.chunk_size
        self.started = time.monotonic()
        self.checkpoint = None
        self.baseline = self.baseline_collections = None
        if args.baseline and args.baseline != "none":
            commit, collections = baseline.prepare(REPO, args.baseline, self.work)
            # Only the commit goes into the results: the folder is this machine's.
            self.baseline = {"commit": commit}
            self.baseline_collections = str(collections)

    def say(self, message):
        print("[bench %6.0fs] %s" % (time.monotonic() - self.started, message), file=sys.stderr, flush=True)

    # -- steps ----------------------------------------------------------------------

    def reset(self):
        self.testbed.reset()

    def codes(self):
        """(label, collections folder) of the code to measure: the baseline's first, then this checkout's."""
        codes = [("baseline", self.baseline_collections)] if self.baseline else []
        return codes + [("new", str(COLLECTIONS))]

    def child(self, request, kube=None, collections=None, options=None):
        """Run bench.runner in its own process; its answer plus the server's view of the step."""
        request = dict(request, netbox_url=self.testbed.url, netbox_token=self.testbed.token,
                       options=dict(self.options, **(options or {})))
        path = [str(REPO), collections or str(COLLECTIONS), str(REPO / "tests")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
        kube_before = kube.requests.total if kube else 0
        before = self.probe.sample()
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bench.runner"], input=json.dumps(request), text=True,
                              capture_output=True, env=env, cwd=str(REPO), check=False)
        process_wall = time.perf_counter() - start
        server = self.probe.since(before)
        if proc.returncode != 0:
            raise RuntimeError("bench.runner %s failed (exit %d):\n%s" % (
                request["mode"], proc.returncode, proc.stderr[-4000:]))
        answer = json.loads(proc.stdout.strip().splitlines()[-1])
        answer["process_wall_s"] = round(process_wall, 2)
        answer["server"] = server
        if kube:
            answer["kubernetes"] = kube.requests.total - kube_before
        return answer

    def recorded(self, name, fabric, kube, label, code, options=None, quiet=False, objects=None):
        """One recorded run (record, lease, journal: as the module runs) of ``code``."""
        if objects is not None:
            self.refresh_agents(kube, objects)
        request = {"mode": "recorded", "fabric": fabric, "kubeconfig": str(kube.kubeconfig_path)}
        if self.args.profile:
            request["profile"] = True
            request["profile_path"] = str(self.work / ("%s-%s-%s.pstats" % (name, code[0], label.replace(" ", "-"))))
        answer = self.child(request, kube, collections=code[1], options=options)
        if not quiet:
            self.say("%s %s %s: %.1f s, %s%s, NetBox %s (NetBox CPU %.1f s), written %d, peak RSS %.0f MB"
                     % (name, code[0], label, answer["wall_s"], answer["path"],
                        " (%s)" % answer["reason"] if answer.get("reason") else "", _methods(answer["netbox"]),
                        answer["server"]["netbox_cpu_s"], answer["written"],
                        answer["process"].get("vmhwm_mb", answer["process"]["ru_maxrss_mb"])))
            if answer["problems"]:
                self.say("  %d problems, first: %s" % (answer["problems"], answer["first_problems"]))
        answer.pop("first_problems", None)
        answer.pop("profile", None)
        return answer

    def refresh_agents(self, kube, objects):
        """Before a run: every agent's heartbeat is now, as a running fabric's are (unless --stale-agents)."""
        if self.args.stale_agents:
            return
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for obj in fabrics.agents_reporting_at(objects, now):
            kube.store.put(obj)

    def series(self, name, fabric, kube, objects, changed, code):
        """The runs of one code on a fresh database: initial, no-op, hand edit, full, change, no-op."""
        runs = {}
        kube.store.replace_objects(objects)
        self.reset()
        runs["initial"] = self.recorded(name, fabric, kube, "initial", code, objects=objects)
        runs["noop"] = self.recorded(name, fabric, kube, "no-op", code, objects=objects)
        editor = edits.Editor(self.testbed.url, self.testbed.token)
        edit = editor.edit_one_device(fabric, "edited by hand")
        runs["hand_edit"] = self.recorded(name, fabric, kube, "after a hand edit", code, objects=objects)
        runs["hand_edit"]["edit"] = edit
        runs["full"] = self.recorded(name, fabric, kube, "full=true", code, options={"full": True}, objects=objects)
        kube.store.replace_objects(changed)
        runs["change"] = self.recorded(name, fabric, kube, "1% change", code, objects=changed)
        runs["noop_after_change"] = self.recorded(name, fabric, kube, "no-op after the change", code, objects=changed)
        kube.store.replace_objects(objects)
        return runs

    def read_series(self, name, fabric, kube, objects):
        """--reads-only: this checkout's initial sync, then every code's no-op and full reconcile on its NetBox."""
        kube.store.replace_objects(objects)
        self.reset()
        new = self.codes()[-1]
        initial = self.recorded(name, fabric, kube, "initial", new, objects=objects)
        series = {}
        for code in self.codes():
            # Each code's no-op starts from a record it wrote itself (two codes may digest the desired state
            # apart), past the change log's settling time (the first run after a sync reads that sync's last
            # changes once more): one unmeasured no-op first.
            time.sleep(SETTLE_SECONDS + 1)
            self.recorded(name, fabric, kube, "settling no-op", code, objects=objects, quiet=True)
            time.sleep(SETTLE_SECONDS + 1)
            runs = series["runs" if code[0] == "new" else "baseline"] = {}
            runs["noop"] = self.recorded(name, fabric, kube, "no-op", code, objects=objects)
            runs["full"] = self.recorded(name, fabric, kube, "full=true", code, options={"full": True},
                                         objects=objects)
        series["runs"]["initial"] = initial
        return series

    def floor(self, name, fabric, kube, label):
        answer = self.child({"mode": "floor", "fabric": fabric, "kubeconfig": str(kube.kubeconfig_path)}, kube)
        self.say("%s floor %s: %.1f s, NetBox %s" % (name, label, answer["wall_s"], _methods(answer["netbox"])))
        return answer

    # -- one size ----------------------------------------------------------------------

    def size(self, name):
        spec = fabrics.spec_for(name, self.args.custom.get(name))
        fabric = "bench-%s" % name.lower()
        objects = fabrics.generate(spec)
        changed, mutation = fabrics.mutate(objects, self.args.change)
        wiring_dir = self.work / name / "wiring"
        for old in wiring_dir.glob("*.yaml") if wiring_dir.exists() else []:
            old.unlink()
        write_fabric(objects, str(wiring_dir))
        self.say("%s: %d Kubernetes objects; change: %d of %d wiring objects (%s moved, %d removed, %d added)"
                 % (name, len(objects), mutation["changed_wiring_objects"], mutation["wiring_objects"],
                    len(mutation["ports_moved"]), len(mutation["servers_removed"]), len(mutation["servers_added"])))
        result = {"spec": _spec_dict(spec), "fabric": fabric, "kubernetes_objects": len(objects),
                  "kubernetes_kinds": fabrics.describe(objects), "change": mutation, "runs": {}, "floor": {}}
        kube = KubeStandin(objects=objects, state_dir=self.work / name / "kube").start()
        try:
            if self.args.reads_only:
                result.update(self.read_series(name, fabric, kube, objects))
            for code in [] if self.args.reads_only else self.codes():
                result["runs" if code[0] == "new" else "baseline"] = self.series(name, fabric, kube, objects, changed,
                                                                                 code)
            if not self.args.no_floor:
                kube.store.replace_objects(objects)
                self.reset()
                try:
                    result["floor"]["initial"] = self.floor(name, fabric, kube, "initial")
                    kube.store.replace_objects(changed)
                    result["floor"]["change"] = self.floor(name, fabric, kube, "1% change")
                except RuntimeError as exc:
                    # The floor has no retries by design; a dropped connection loses the floor, not the size.
                    self.say("%s floor failed: %s" % (name, str(exc)[-500:]))
                    result["floor"]["error"] = str(exc)[-2000:]
            if not self.args.no_compare and name == self.args.compare_size:
                kube.store.replace_objects(objects)
                result["compare"] = self.compare(name, fabric, kube, wiring_dir)
        finally:
            kube.stop()
        result["desired_objects"] = result["runs"]["initial"]["desired_objects"]
        return result

    # -- ansible-playbook side by side ----------------------------------------------------

    def playbook(self, name, label, playbook, kube):
        path = self.work / name / ("%s.yml" % label.replace(" ", "-"))
        log = self.work / name / ("%s.log" % label.replace(" ", "-"))
        kube_before = kube.requests.total
        before = self.probe.sample()
        answer = playbooks.run_playbook(playbook, str(path), str(COLLECTIONS), str(log))
        answer["server"] = self.probe.since(before)
        answer["kubernetes"] = kube.requests.total - kube_before
        self.say("%s %s: %.1f s (rc %d, %s), NetBox %s" % (name, label, answer["wall_s"], answer["rc"],
                                                           answer["recap"], _methods(answer["server"]["requests"])))
        if answer["rc"] != 0:
            # The other figures are still worth having; the report leaves a failed run out of the ratios.
            self.say("  ansible-playbook failed; log: %s" % log)
        return answer

    def compare(self, name, fabric, kube, wiring_dir):
        desired = playbooks.desired_state(fabric, str(wiring_dir), self.testbed.url, self.testbed.token)
        sample = self.args.compare_sample
        nb_play, kinds, full, left_out = playbooks.netbox_netbox_playbook(desired, fabric, self.testbed.url,
                                                                          self.testbed.token, sample=sample)
        ours_play, _one = playbooks.fabric_sync_playbook(
            fabric, self.testbed.url, self.testbed.token, str(kube.kubeconfig_path))
        nbnb = {"tasks": sum(full.values()), "tasks_run": len(kinds), "sample_per_kind": sample,
                "tasks_per_kind": full, "left_out": left_out}
        result = {"netbox_netbox": nbnb, "fabric_sync": {"tasks": 1}}
        self.reset()
        for label, text in (("initial", "netbox.netbox initial"), ("noop", "netbox.netbox no-op")):
            run = self.playbook(name, text, nb_play, kube)
            if sample:
                run["measured_wall_s"] = run["wall_s"]
                estimate = playbooks.estimate_full(run, kinds, full)
                run["estimate"] = estimate
                run["wall_s"] = estimate["wall_s"] if estimate else None
                requests = run["server"]["requests"]
                run["estimated_requests"] = int(round(requests.get("total", 0) * nbnb["tasks"] / float(len(kinds))))
                self.say("  %d of %d tasks run; whole playbook estimated at %s s" % (
                    len(kinds), nbnb["tasks"], run["wall_s"]))
            nbnb[label] = run
        self.reset()
        result["fabric_sync"]["initial"] = self.playbook(name, "fabric_sync initial", ours_play, kube)
        result["fabric_sync"]["noop"] = self.playbook(name, "fabric_sync no-op", ours_play, kube)
        return result

    # -- the whole run ----------------------------------------------------------------

    # -- many fabrics in one NetBox ---------------------------------------------------------

    def fleet(self):
        """A round of runs over every fabric of the fleet, per code, in one NetBox: totals per round."""
        members = fabrics.fleet(self.args.fleet, None if self.args.fleet_size == "none" else self.args.fleet_size)
        stands = []
        result = {"fabrics": [{"fabric": fabric, "size": size, "kubernetes_objects": len(objects)}
                              for fabric, size, objects in members], "rounds": {}}
        try:
            for fabric, _size, objects in members:
                stands.append((fabric, KubeStandin(objects=objects, state_dir=self.work / "fleet" / fabric).start()))
            self.reset()
            for code in self.codes():
                labels = ["initial", "no-op"] if code[0] == "baseline" else (
                    ["first run", "no-op", "full=true"] if self.baseline else ["initial", "no-op", "full=true"])
                for label in labels:
                    key = "%s: %s" % (code[0], label)
                    result["rounds"][key] = self.round(stands, code, label)
        finally:
            for _fabric, kube in stands:
                kube.stop()
        return result

    def round(self, stands, code, label):
        before = self.probe.sample()
        started = time.perf_counter()
        runs = []
        for fabric, kube in stands:
            options = {"full": True} if label == "full=true" else None
            runs.append(self.recorded("fleet", fabric, kube, label, code, options=options, quiet=True))
        server = self.probe.since(before)
        totals = {"fabrics": len(runs), "wall_s": round(time.perf_counter() - started, 1),
                  "sync_wall_s": round(sum(r["wall_s"] for r in runs), 1), "server": server,
                  "netbox": _summed(r["netbox"] for r in runs), "written": sum(r["written"] for r in runs),
                  "paths": _counted(r["path"] for r in runs),
                  "results": _counted(r["result"] for r in runs)}
        self.say("fleet %s %s: %d fabrics in %.0f s, NetBox CPU %.1f s, NetBox %s, paths %s" % (
            code[0], label, len(runs), totals["wall_s"], server["netbox_cpu_s"], _methods(totals["netbox"]),
            totals["paths"]))
        return totals

    def run(self):
        results = {"date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
                   "machine": self.machine(), "commit": _git_commit(),
                   "baseline": self.baseline,
                   "options": {"sizes": self.args.size_list, "change_fraction": self.args.change,
                               "engine_options": self.options, "floor": not self.args.no_floor,
                               "compare": None if self.args.no_compare else self.args.compare_size,
                               "compare_sample": self.args.compare_sample, "fleet": self.args.fleet,
                               "reads_only": self.args.reads_only},
                   "sizes": {}}
        results["errors"] = {}
        for name in self.args.size_list:
            try:
                results["sizes"][name] = self.size(name)
            except RuntimeError as exc:
                # One size failing (a sync error) should not lose the others' figures.
                self.say("%s failed: %s" % (name, str(exc)[-2000:]))
                results["errors"][name] = str(exc)[-2000:]
            if self.checkpoint:
                self.checkpoint(results)
        if self.args.fleet:
            try:
                results["fleet"] = self.fleet()
            except RuntimeError as exc:
                self.say("fleet failed: %s" % str(exc)[-2000:])
                results["errors"]["fleet"] = str(exc)[-2000:]
        results["machine"]["load_average_end"] = list(os.getloadavg())
        results["duration_s"] = round(time.monotonic() - self.started, 1)
        results["targets"] = report.targets(results)
        results["ratios"] = report.ratios(results)
        return results

    def machine(self):
        cpu = platform.processor() or ""
        try:
            with open("/proc/cpuinfo", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        ram = None
        try:
            with open("/proc/meminfo", encoding="utf-8") as handle:
                ram = round(int(handle.readline().split()[1]) / 1024.0 / 1024.0, 1)
        except (OSError, ValueError, IndexError):
            pass
        status = self.testbed.netbox.status_code()
        version = self.testbed.settings.netbox_version
        return {"cpu": cpu, "cores": os.cpu_count(), "ram_gib": ram, "python": platform.python_version(),
                "os": platform.platform(terse=True), "netbox": version, "netbox_up": status == 200,
                "gunicorn_workers": _gunicorn_workers(self.testbed), "load_average_start": list(os.getloadavg())}


def _gunicorn_workers(testbed):
    try:
        argv = json.loads(Path(testbed.netbox.argv_file).read_text())
        return int(argv[argv.index("--workers") + 1])
    except (OSError, ValueError, IndexError):
        return None


def _git_commit():
    try:
        out = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "plugins"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return out + ("+local changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None


def _spec_dict(spec):
    fields = ("spines", "leaves", "eslag_pairs", "mclag_pairs", "servers_per_leaf", "vpcs", "subnets_per_vpc",
              "gateways", "fabric_links")
    return dict((f, getattr(spec, f)) for f in fields)


def _summed(counts):
    total = {}
    for part in counts:
        for key, value in part.items():
            total[key] = total.get(key, 0) + value
    return total


def _counted(values):
    counts = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def _methods(counts):
    return ", ".join("%s %s" % (k, v) for k, v in sorted(counts.items()) if k not in ("total", "writes")) or "none"


def _merged(previous, results):
    """The previous run with this run's sizes put in; each size keeps the date it was measured."""
    for name, size in previous["sizes"].items():
        size.setdefault("date", previous["date"])
    for size in results["sizes"].values():
        size["date"] = results["date"]
    sizes = dict(previous["sizes"])
    sizes.update(results["sizes"])
    merged = dict(results, sizes=sizes, merged_from=[previous["date"], results["date"]])
    merged["duration_s"] = round(previous.get("duration_s", 0) + results.get("duration_s", 0), 1)
    merged["targets"] = report.targets(merged)
    merged["ratios"] = report.ratios(merged)
    return merged


def main(argv=None):
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    bench = Bench(args)
    if not bench.testbed.is_up():
        print("the test bed is not up: run scripts/testbed up (scripts/bench does that itself)", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = None
    if args.merge and (out / "latest.json").exists():
        previous = json.loads((out / "latest.json").read_text(encoding="utf-8"))

    def write(results):
        if previous is not None:
            results = _merged(previous, results)
        results.setdefault("targets", report.targets(results))
        results.setdefault("ratios", report.ratios(results))
        (out / "latest.json").write_text(json.dumps(results, indent=1, sort_keys=False) + "\n", encoding="utf-8")
        markdown = report.markdown(results)
        (out / "latest.md").write_text(markdown, encoding="utf-8")
        return markdown

    # Written after each size too, so a long run that is stopped keeps what it measured.
    bench.checkpoint = lambda partial: write(dict(partial, partial=True))
    results = bench.run()
    print(write(results))
    return 1 if results.get("errors") else 0
