"""One measured step in a process of its own: ``python -m bench.runner`` with a JSON request on stdin.

A process per step makes the peak RSS that of the sync alone (not of the benchmark,
which holds every fabric and the Kubernetes stand-in), and it starts each run cold,
as a scheduled run does. The last line on stdout is the JSON answer.

Modes:
- ``sync``: one ``SyncRun`` (optionally under cProfile): the engine alone.
- ``recorded``: one ``RecordedRun``, as the fabric_sync module runs it (record, lease, journal, and the
  change-driven paths of the code that has them); the requests count the record's too. The code under
  test is whichever collection the parent put first on the path (this checkout, or the baseline).
- ``floor``: the plan from a check-mode ``SyncRun`` (not timed), then only the writes it
  needs, one bulk request after the other (see bench.floor).
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import resource
import sys
import time


def process_stats():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats = {
        "ru_maxrss_mb": round(usage.ru_maxrss / 1024.0, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
    }
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    stats["vmhwm_mb"] = round(int(line.split()[1]) / 1024.0, 1)
    except OSError:
        pass
    return stats


def fabric_config(request):
    import dataclasses

    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig

    known = set(f.name for f in dataclasses.fields(FabricConfig))
    # The baseline's code may not know an option this checkout added (full, ...): it runs without it.
    options = dict((k, v) for k, v in (request.get("options") or {}).items() if k in known)
    if "run_timeout" in known:
        # A first sync of a big fabric takes longer than a scheduled run may: the benchmark measures it whole.
        options.setdefault("run_timeout", 0)
    return FabricConfig(fabric=request["fabric"], netbox_url=request["netbox_url"],
                        netbox_token=request["netbox_token"],
                        k8s_auth={"kubeconfig": request["kubeconfig"]}, **options)


def _written(result):
    total = 0
    for ops in (result.get("applied") or {}).values():
        total += sum(ops.values())
    schema = (result.get("summary") or {}).get("schema") or {}
    return total + sum(schema.values())


def _planned(summary):
    counts = {}
    for kind, ops in summary.items():
        if kind == "schema":
            continue
        for op, number in ops.items():
            if number and op not in ("unchanged",):
                counts[op] = counts.get(op, 0) + number
    return counts


def _timed(request, make_run):
    """The run ``make_run()`` builds, its result as a dict and the answer's common part (wall time from
    before the run is built, as a scheduled run starts; the profile when the request asks for one)."""
    profiler = cProfile.Profile() if request.get("profile") else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    run = make_run()
    result = run.execute().as_dict()
    if profiler:
        profiler.disable()
    wall = time.perf_counter() - start
    answer = {
        "wall_s": round(wall, 3),
        "result": result["result"],
        "problems": len(result["problems"]),
        "first_problems": [p.get("cause") for p in result["problems"][:3]],
        "timings": result["timings"],
        "kubernetes_client": result["requests"]["kubernetes"],
        "written": _written(result),
        "planned": _planned(result["summary"]),
    }
    if profiler:
        answer["profile"] = _profile_text(profiler, request.get("profile_path"))
    return run, result, answer


def run_sync(request):
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun

    config = fabric_config(request)
    run, result, answer = _timed(request, lambda: SyncRun(config))
    answer.update({
        "netbox": result["requests"]["netbox"],
        "desired_objects": sum(len(objs) for objs in run.desired.objects.values()),
        "summary": result["summary"],
    })
    return answer


def _sum_counts(*counts):
    total = {}
    for part in counts:
        for key, value in (part or {}).items():
            total[key] = total.get(key, 0) + value
    return total


def run_recorded(request):
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.record.run import RecordedRun

    config = fabric_config(request)
    _run, result, answer = _timed(request, lambda: RecordedRun(config))
    requests = result["requests"]
    answer.update({
        "engine_s": result["timings"].get("total"),
        "path": result.get("path", "full"),
        "reason": result.get("reason"),
        "hand_edits": result.get("hand_edits") or [],
        # Every request of the run, the record's included; the sync's own and the record's apart.
        "netbox": _sum_counts(requests["netbox"], requests.get("status_record")),
        "netbox_sync": requests["netbox"],
        "netbox_record": requests.get("status_record") or {},
        "desired_objects": sum(ops.get("unchanged", 0) + ops.get("create", 0) + ops.get("update", 0)
                               + ops.get("conflict", 0) + ops.get("blocked", 0)
                               for kind, ops in result["summary"].items() if kind != "schema"),
    })
    return answer


def run_floor(request):
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun

    from bench.floor import Floor

    config = fabric_config(request)
    run = SyncRun(config, check_mode=True)
    run.execute()
    floor = Floor(config.netbox_url, config.netbox_token, chunk_size=config.netbox_chunk_size,
                  changelog_message="hedgehog.netbox_sync: fabric %s" % config.fabric)
    start = time.perf_counter()
    floor.apply(run.plan, run.inventory, run.schema)
    wall = time.perf_counter() - start
    return {
        "wall_s": round(wall, 3),
        "netbox": floor.request_counts(),
        "written": floor.written,
        "planned": _planned(run.plan.counts()),
    }


def _profile_text(profiler, path, lines=25):
    if path:
        profiler.dump_stats(path)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(lines)
    return out.getvalue()


MODES = {"sync": run_sync, "recorded": run_recorded, "floor": run_floor}


def main():
    request = json.load(sys.stdin)
    answer = MODES[request["mode"]](request)
    answer["process"] = process_stats()
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
