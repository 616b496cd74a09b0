"""Ratios, targets and the Markdown table of one benchmark run (bench/results/latest.*)."""

from __future__ import annotations

RUN_LABELS = (
    ("baseline", "initial", "initial sync, baseline engine"),
    ("baseline", "noop", "no-op resync, baseline engine"),
    ("runs", "initial", "initial sync"),
    ("runs", "noop", "no-op resync"),
    ("runs", "change", "resync after the change"),
    ("runs", "noop_after_change", "no-op after the change"),
    ("floor", "initial", "floor: initial writes"),
    ("floor", "change", "floor: change writes"),
)

# The targets; figures, not tests: nothing in the test suite asserts a time.
NOOP_L_SECONDS = 5.0
NOOP_L_REQUESTS = 40
VLAB_INITIAL_FACTOR = 10.0
VLAB_NOOP_FACTOR = 50.0
XL_RSS_MB = 250.0


def _run(results, size, group, label):
    return ((results["sizes"].get(size) or {}).get(group) or {}).get(label)


def _rss(run):
    process = run.get("process") or {}
    return process.get("vmhwm_mb", process.get("ru_maxrss_mb"))


def _compare(results):
    """The side-by-side runs, when all of them ran to the end."""
    for size in results["sizes"].values():
        compare = size.get("compare")
        if compare and all(compare[key][label]["rc"] == 0 for key in ("netbox_netbox", "fabric_sync")
                           for label in ("initial", "noop")):
            return compare
    return None


def ratios(results):
    """ours / netbox.netbox and ours / floor, each from runs of the same invocation."""
    out = {}
    compare = _compare(results)
    if compare:
        size = next(s for s in results["sizes"].values() if s.get("compare"))
        for label in ("initial", "noop"):
            nbnb = compare["netbox_netbox"][label]["wall_s"]
            out["%s: fabric_sync playbook / netbox.netbox playbook" % label] = _ratio(
                compare["fabric_sync"][label]["wall_s"], nbnb)
            out["%s: engine / netbox.netbox playbook" % label] = _ratio(size["runs"][label]["wall_s"], nbnb)
            theirs = compare["netbox_netbox"][label]
            out["%s: NetBox requests, fabric_sync / netbox.netbox" % label] = _ratio(
                compare["fabric_sync"][label]["server"]["requests"].get("total", 0),
                theirs.get("estimated_requests", theirs["server"]["requests"].get("total", 0)))
    for name, size in results["sizes"].items():
        for label in ("initial", "change"):
            ours, floor = size["runs"].get(label), (size.get("floor") or {}).get(label)
            if ours and floor:
                out["%s %s: ours / floor" % (name, label)] = _ratio(ours["wall_s"], floor["wall_s"])
        baseline, noop = (size.get("baseline") or {}).get("noop"), size["runs"].get("noop")
        if baseline and noop:
            ref = size["baseline"]["ref"]
            out["%s no-op: time, this engine / %s" % (name, ref)] = _ratio(noop["wall_s"], baseline["wall_s"])
            out["%s no-op: NetBox requests, this engine / %s" % (name, ref)] = _ratio(
                noop["netbox"].get("total", 0), baseline["netbox"].get("total", 0))
    return out


def _ratio(a, b):
    return round(float(a) / b, 4) if b else None


def _target(name, measured, limit, met, unit="", miss=None):
    entry = {"target": name, "measured": measured, "limit": limit, "met": met, "unit": unit}
    if met is False and miss:
        entry["missed_by"] = miss
    return entry


def targets(results):
    out = []
    noop = _run(results, "L", "runs", "noop")
    if noop:
        wall, total, writes = noop["wall_s"], noop["netbox"].get("total", 0), noop["netbox"].get("writes", 0)
        out.append(_target("L no-op resync wall time", wall, NOOP_L_SECONDS, wall <= NOOP_L_SECONDS, "s",
                           "%.1f s (%.0f%%) over" % (wall - NOOP_L_SECONDS, 100 * (wall / NOOP_L_SECONDS - 1))))
        out.append(_target("L no-op resync NetBox requests", total, NOOP_L_REQUESTS, total <= NOOP_L_REQUESTS, "",
                           "%d requests over" % (total - NOOP_L_REQUESTS)))
        out.append(_target("L no-op resync writes", writes, 0, writes == 0, "", "%d writes" % writes))
    else:
        out.append(_target("L no-op resync", None, None, None))
    initial, floor = _run(results, "L", "runs", "initial"), _run(results, "L", "floor", "initial")
    if initial and floor:
        a, b = initial["wall_s"], floor["wall_s"]
        out.append(_target("L initial sync no slower than the floor", round(a / b, 3), 1.0, a <= b, "x floor",
                           "%.1f s (%.0f%%) slower than the floor" % (a - b, 100 * (a / b - 1))))
    else:
        out.append(_target("L initial sync no slower than the floor", None, 1.0, None))
    compare = _compare(results)
    if compare:
        for label, factor in (("initial", VLAB_INITIAL_FACTOR), ("noop", VLAB_NOOP_FACTOR)):
            ours = compare["fabric_sync"][label]["wall_s"]
            theirs = compare["netbox_netbox"][label]["wall_s"]
            gain = round(theirs / ours, 1) if ours and theirs else None
            out.append(_target("vlab %s: netbox.netbox tasks / fabric_sync (playbook to playbook)"
                               % ("initial" if label == "initial" else "no-op"), gain, factor,
                               None if gain is None else gain >= factor, "x",
                               "%.1fx short of %.0fx" % (factor - (gain or 0), factor)))
    else:
        out.append(_target("vlab against netbox.netbox tasks", None, None, None))
    xl = _run(results, "XL", "runs", "initial")
    if xl:
        peak = max(_rss(run) for run in results["sizes"]["XL"]["runs"].values())
        out.append(_target("XL peak RSS of the sync process", peak, XL_RSS_MB, peak <= XL_RSS_MB, "MB",
                           "%.0f MB (%.0f%%) over" % (peak - XL_RSS_MB, 100 * (peak / XL_RSS_MB - 1))))
    else:
        out.append(_target("XL peak RSS of the sync process (XL not run; --xl)", None, XL_RSS_MB, None, "MB"))
    out.extend(_scaling(results))
    return out


def _scaling(results):
    """The no-op's time may grow with the objects (pages of them), never faster."""
    sized = sorted(((s["desired_objects"], name, s["runs"]["noop"]) for name, s in results["sizes"].items()
                    if s.get("runs", {}).get("noop")), key=lambda t: t[0])
    out = []
    for (n1, name1, run1), (n2, name2, run2) in zip(sized, sized[1:]):
        growth_objects = n2 / float(n1)
        growth_time = run2["wall_s"] / run1["wall_s"]
        title = "no-op time %s -> %s grows no faster than the objects (%.1fx)" % (name1, name2, growth_objects)
        out.append(_target(title,
                           round(growth_time, 2), round(growth_objects, 2), growth_time <= growth_objects, "x",
                           "time grew %.1fx for %.1fx the objects" % (growth_time, growth_objects)))
    return out


# -- Markdown --------------------------------------------------------------------------------


def _fmt(value, digits=1):
    if value is None:
        return "-"
    if isinstance(value, float):
        return ("%%.%df" % digits) % value
    return str(value)


def _requests(counts):
    parts = []
    for method in ("GET", "POST", "PATCH", "DELETE"):
        if counts.get(method):
            parts.append("%s %d" % (method, counts[method]))
    return "%d (%s)" % (counts.get("total", 0), ", ".join(parts)) if parts else "0"


def _baseline_line(results):
    """Which engine the baseline rows ran, when they ran."""
    baselines = set((size["baseline"]["ref"], size["baseline"]["commit"][:12])
                    for size in results["sizes"].values() if size.get("baseline"))
    if not baselines:
        return ""
    return ("Baseline rows: the engine of %s, on a database of its own, in the same invocation; the other rows "
            "are this checkout's engine with every agent reporting (LLDP checks, port state, optics).\n\n" % (
                ", ".join("%s (%s)" % pair for pair in sorted(baselines))))


def markdown(results):
    machine = results["machine"]
    lines = [
        "# hedgehog.netbox_sync benchmark",
        "",
        "Run %s on %s (%s cores, %s GiB RAM), Python %s, NetBox %s (gunicorn, %s workers), commit %s; "
        "load average %s at the start, %s at the end; %d s in all."
        % (results["date"], machine["cpu"], machine["cores"], machine["ram_gib"], machine["python"],
           machine["netbox"], machine.get("gunicorn_workers") or "?", results.get("commit") or "?",
           "/".join("%.1f" % x for x in machine["load_average_start"]),
           "/".join("%.1f" % x for x in machine.get("load_average_end", [])), results.get("duration_s", 0)),
        ("Sizes measured by separate invocations (merged): %s. " % ", ".join(
            "%s at %s" % (name, size.get("date")) for name, size in results["sizes"].items())
         if results.get("merged_from") else "") +
        "NetBox, PostgreSQL, the Kubernetes stand-in and the sync share the machine; other work on it makes "
        "absolute times noisy, so compare the ratios within one run.",
        "",
        _baseline_line(results) +
        "| fabric | run | wall s | NetBox requests | K8s requests | objects written | peak RSS MB "
        "| sync CPU s | NetBox CPU s | PostgreSQL CPU s |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, size in results["sizes"].items():
        title = "%s (%d K8s objects, %d NetBox objects)" % (name, size["kubernetes_objects"], size["desired_objects"])
        for group, label, text in RUN_LABELS:
            run = (size.get(group) or {}).get(label)
            if not isinstance(run, dict):
                continue
            server = run.get("server") or {}
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                title, text, _fmt(run["wall_s"]), _requests(run["netbox"]),
                _fmt(run.get("kubernetes")) if group == "runs" else "-", _fmt(run.get("written")),
                _fmt(_rss(run), 0), _fmt((run.get("process") or {}).get("cpu_s")),
                _fmt(server.get("netbox_cpu_s")), _fmt(server.get("postgres_cpu_s"))))
            title = ""
    compare = _compare(results)
    if compare:
        nbnb = compare["netbox_netbox"]
        sampled = nbnb.get("sample_per_kind")
        lines += [
            "",
            "Side by side, through ansible-playbook (the same fabric, the same objects and fields%s):" % (
                "; netbox.netbox ran %d of its %d tasks (the first %d objects of each kind and what they refer to) "
                "and the whole playbook is estimated from the mean task time per kind" % (
                    nbnb["tasks_run"], nbnb["tasks"], sampled) if sampled else ""),
            "",
            "| writer | run | wall s | NetBox requests (server log) | playbook peak RSS MB |",
            "|---|---|---:|---|---:|",
        ]
        for key, text in (("netbox_netbox", "netbox.netbox, %d tasks" % nbnb["tasks"]),
                          ("fabric_sync", "hedgehog.netbox_sync.fabric_sync, 1 task")):
            for label in ("initial", "noop"):
                run = compare[key][label]
                wall, requests = _fmt(run["wall_s"]), _requests(run["server"]["requests"])
                if run.get("measured_wall_s") is not None:
                    wall = "~%s (%s for %d tasks)" % (wall, _fmt(run["measured_wall_s"]), nbnb["tasks_run"])
                    requests = "~%d (%s for %d tasks)" % (run["estimated_requests"], requests, nbnb["tasks_run"])
                lines.append("| %s | %s | %s | %s | %s |" % (
                    text, "initial" if label == "initial" else "no-op rerun", wall, requests,
                    _fmt(run["process"]["ru_maxrss_mb"], 0)))
                text = ""
    lines += ["", "Ratios (same run):", ""]
    for name, value in results.get("ratios", {}).items():
        lines.append("- %s: %s" % (name, _fmt(value, 3)))
    lines += ["", "| target | limit | measured | met |", "|---|---:|---:|---|"]
    for target in results.get("targets", []):
        met = {True: "yes", False: "no: %s" % target.get("missed_by", ""), None: "not measured"}[target["met"]]
        lines.append("| %s | %s %s | %s %s | %s |" % (
            target["target"], _fmt(target["limit"]), target.get("unit", ""),
            _fmt(target["measured"], 2), target.get("unit", ""), met))
    change_lines = []
    for name, size in results["sizes"].items():
        change = size["change"]
        change_lines.append("- %s: %d of %d wiring objects (%.1f%%): %d ports moved, %d servers removed, %d added"
                            % (name, change["changed_wiring_objects"], change["wiring_objects"],
                               change["changed_percent"], len(change["ports_moved"]), len(change["servers_removed"]),
                               len(change["servers_added"])))
    lines += ["", "The change:", ""] + change_lines + [""]
    return "\n".join(lines)
