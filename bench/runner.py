"""One measured step in a process of its own: ``python -m bench.runner`` with a JSON request on stdin.

A process per step makes the peak RSS that of the sync alone (not of the benchmark,
which holds every fabric and the Kubernetes stand-in), and it starts each run cold,
as a scheduled run does. The last line on stdout is the JSON answer.

Modes:
- ``sync``: one ``SyncRun`` (optionally under cProfile), as the fabric_sync module runs it.
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
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.config import FabricConfig

    options = dict(request.get("options") or {})
    # A first sync of a big fabric takes longer than a scheduled run may: the benchmark measures it whole.
    # A baseline from before the run deadline has no such option.
    if "run_timeout" in getattr(FabricConfig, "__dataclass_fields__", {}):
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


def run_sync(request):
    from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.engine import SyncRun

    config = fabric_config(request)
    profiler = cProfile.Profile() if request.get("profile") else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    run = SyncRun(config)
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
        "netbox": result["requests"]["netbox"],
        "kubernetes_client": result["requests"]["kubernetes"],
        "written": _written(result),
        "planned": _planned(result["summary"]),
        "desired_objects": sum(len(objs) for objs in run.desired.objects.values()),
        "summary": result["summary"],
    }
    if profiler:
        answer["profile"] = _profile_text(profiler, request.get("profile_path"))
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


MODES = {"sync": run_sync, "floor": run_floor}


def main():
    request = json.load(sys.stdin)
    answer = MODES[request["mode"]](request)
    answer["process"] = process_stats()
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
