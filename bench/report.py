"""Ratios, targets and the Markdown table of one benchmark run (bench/results/latest.*)."""

from __future__ import annotations

RUN_LABELS = (
    ("runs", "initial", "initial sync"),
    ("runs", "noop", "no-op resync"),
    ("runs", "hand_edit", "after a hand edit of one object"),
    ("runs", "full", "full reconcile (full=true), nothing changed"),
    ("runs", "change", "resync after the change"),
    ("runs", "noop_after_change", "no-op after the change"),
    ("floor", "initial", "floor: initial writes"),
    ("floor", "change", "floor: change writes"),
)
SIDE_BY_SIDE = ("initial", "noop", "hand_edit", "full", "change", "noop_after_change")

# The issues' targets; figures, not tests: nothing in the test suite asserts a time.
NOOP_REQUESTS = 10
NOOP_NETBOX_CPU_S = 0.5
NOOP_L_SECONDS = 1.5
HAND_EDIT_L_SECONDS = 3.0
INITIAL_L_WRITES = 4200
INITIAL_L_FACTOR = 0.6
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
    """now / today, ours / netbox.netbox and ours / floor, each from runs of the same invocation."""
    out = {}
    for name, size in results["sizes"].items():
        runs, before = size.get("runs") or {}, size.get("baseline") or {}
        for label in SIDE_BY_SIDE:
            if runs.get(label) and before.get(label):
                out["%s %s: wall now / today" % (name, label)] = _ratio(runs[label]["wall_s"], before[label]["wall_s"])
                if _cpu(before[label]):
                    key = "%s %s: NetBox CPU now / today" % (name, label)
                    out[key] = _ratio(_cpu(runs[label]), _cpu(before[label]))
    fleet = results.get("fleet") or {}
    rounds = fleet.get("rounds") or {}
    if rounds.get("baseline: no-op") and rounds.get("new: no-op"):
        out["fleet no-op round: NetBox CPU now / today"] = _ratio(rounds["new: no-op"]["server"]["netbox_cpu_s"],
                                                                  rounds["baseline: no-op"]["server"]["netbox_cpu_s"])
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
    return out


def _ratio(a, b):
    return round(float(a) / b, 4) if b else None


def _target(name, measured, limit, met, unit="", miss=None):
    entry = {"target": name, "measured": measured, "limit": limit, "met": met, "unit": unit}
    if met is False and miss:
        entry["missed_by"] = miss
    return entry


def _cpu(run):
    return (run.get("server") or {}).get("netbox_cpu_s")


def targets(results):
    out = []
    for name, size in results["sizes"].items():
        noop = (size.get("runs") or {}).get("noop")
        if not noop:
            continue
        total, cpu = noop["netbox"].get("total", 0), _cpu(noop)
        out.append(_target("%s no-op resync: NetBox requests in all (record included)" % name, total, NOOP_REQUESTS,
                           total <= NOOP_REQUESTS, "", "%d requests over" % (total - NOOP_REQUESTS)))
        if cpu is not None:
            out.append(_target("%s no-op resync: NetBox CPU" % name, cpu, NOOP_NETBOX_CPU_S, cpu <= NOOP_NETBOX_CPU_S,
                               "s", "%.2f s over" % (cpu - NOOP_NETBOX_CPU_S)))
        if name in ("L", "XL"):
            wall = noop["wall_s"]
            out.append(_target("%s no-op resync wall time" % name, wall, NOOP_L_SECONDS, wall <= NOOP_L_SECONDS, "s",
                               "%.1f s over" % (wall - NOOP_L_SECONDS)))
    edit = _run(results, "L", "runs", "hand_edit")
    if edit:
        wall, repaired = edit["wall_s"], [e for e in edit.get("hand_edits") or [] if e.get("outcome") == "repaired"]
        out.append(_target("L hand edit of one owned object found and repaired", wall, HAND_EDIT_L_SECONDS,
                           wall <= HAND_EDIT_L_SECONDS and len(repaired) == 1, "s",
                           "%.1f s, %d repaired" % (wall, len(repaired))))
    initial = _run(results, "L", "runs", "initial")
    if initial:
        written = initial["written"]
        out.append(_target("L initial sync objects written", written, INITIAL_L_WRITES, written <= INITIAL_L_WRITES,
                           "", "%d over" % (written - INITIAL_L_WRITES)))
        before = _run(results, "L", "baseline", "initial")
        if before:
            factor = round(initial["wall_s"] / before["wall_s"], 3)
            out.append(_target("L initial sync time against today's (same run)", factor, INITIAL_L_FACTOR,
                               factor <= INITIAL_L_FACTOR, "x", "%.2fx" % factor))
    out.extend(_no_worse(results))
    floor = _run(results, "L", "floor", "initial")
    if initial and floor:
        a, b = initial["wall_s"], floor["wall_s"]
        out.append(_target("L initial sync no slower than the floor", round(a / b, 3), 1.0, a <= b, "x floor",
                           "%.1f s (%.0f%%) slower than the floor" % (a - b, 100 * (a / b - 1))))
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
    xl = _run(results, "XL", "runs", "initial")
    if xl:
        peak = max(_rss(run) for run in results["sizes"]["XL"]["runs"].values() if _rss(run))
        out.append(_target("XL peak RSS of the sync process", peak, XL_RSS_MB, peak <= XL_RSS_MB, "MB",
                           "%.0f MB (%.0f%%) over" % (peak - XL_RSS_MB, 100 * (peak / XL_RSS_MB - 1))))
    return out


def _no_worse(results):
    """The full reconcile and the change: no more requests and no more NetBox CPU than today's no-op and change."""
    out = []
    for name, size in results["sizes"].items():
        runs, before = size.get("runs") or {}, size.get("baseline") or {}
        # Today's full read: its no-op when that read everything (code before change-driven runs), else its
        # own full reconcile.
        if (before.get("noop") or {}).get("path", "full") == "full":
            full = ("full", "noop", "full reconcile against today's no-op")
        else:
            full = ("full", "full", "full reconcile against today's")
        for ours, theirs, text in (full, ("change", "change", "resync after the change against today's")):
            a, b = runs.get(ours), before.get(theirs)
            if not a or not b:
                continue
            requests = (a["netbox"].get("total", 0), b["netbox"].get("total", 0))
            out.append(_target("%s %s: NetBox requests" % (name, text), requests[0], requests[1],
                               requests[0] <= requests[1], "", "%d more" % (requests[0] - requests[1])))
            if _cpu(a) is not None and _cpu(b):
                factor = round(_cpu(a) / _cpu(b), 2)
                out.append(_target("%s %s: NetBox CPU" % (name, text), factor, 1.0, factor <= 1.0, "x",
                                   "%.2fx today's" % factor))
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


def _path(run):
    if not run.get("path"):
        return "-"
    return "%s (%s)" % (run["path"], run["reason"]) if run.get("reason") else run["path"]


def _pair(before, now, digits=1):
    return "%s → %s" % (_fmt(before, digits), _fmt(now, digits))


def _side_by_side(results):
    """Each run of today's code (the baseline) beside the same run of this checkout's, in one table."""
    if not any(size.get("baseline") for size in results["sizes"].values()):
        return []
    base = results.get("baseline") or {}
    lines = ["", "Today (the baseline, commit %s) → now (this checkout), the same runs on the same machine in one "
                 "invocation; every request counted, the fabric's record included:" % (base.get("commit") or "?")[:12],
             "", "| fabric | run | wall s | NetBox requests | objects written | NetBox CPU s | peak RSS MB | now: path |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for name, size in results["sizes"].items():
        title = "%s (%d NetBox objects)" % (name, size["desired_objects"])
        before, runs = size.get("baseline") or {}, size.get("runs") or {}
        for group, label, text in RUN_LABELS:
            if group != "runs" or not (before.get(label) or runs.get(label)):
                continue
            a, b = before.get(label) or {}, runs.get(label) or {}
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                title, text, _pair(a.get("wall_s"), b.get("wall_s")),
                _pair((a.get("netbox") or {}).get("total"), (b.get("netbox") or {}).get("total")),
                _pair(a.get("written"), b.get("written")), _pair(_cpu(a), _cpu(b)), _pair(_rss(a), _rss(b), 0),
                _path(b)))
            title = ""
    return lines


def _fleet(results):
    fleet = results.get("fleet")
    if not fleet:
        return []
    sizes = {}
    for member in fleet["fabrics"]:
        sizes[member["size"]] = sizes.get(member["size"], 0) + 1
    lines = ["", "A fleet in one NetBox (%s), one round of recorded runs over every fabric, one after the other:" % (
        ", ".join("%d %s" % (n, size) for size, n in sizes.items())), "",
        "| code: round | wall s | NetBox requests | objects written | NetBox CPU s | PostgreSQL CPU s | paths |",
        "|---|---:|---:|---:|---:|---:|---|"]
    for label, totals in fleet["rounds"].items():
        server = totals["server"]
        lines.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            label, _fmt(totals["wall_s"]), _requests(totals["netbox"]), _fmt(totals["written"]),
            _fmt(server.get("netbox_cpu_s")), _fmt(server.get("postgres_cpu_s")),
            ", ".join("%d %s" % (n, path) for path, n in sorted(totals["paths"].items()))))
    return lines


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
    ]
    lines += _side_by_side(results)
    lines += [
        "",
        "This checkout's runs in full:",
        "",
        "| fabric | run | wall s | NetBox requests | K8s requests | objects written | peak RSS MB "
        "| sync CPU s | NetBox CPU s | PostgreSQL CPU s | path |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, size in results["sizes"].items():
        title = "%s (%d K8s objects, %d NetBox objects)" % (name, size["kubernetes_objects"], size["desired_objects"])
        for group, label, text in RUN_LABELS:
            run = (size.get(group) or {}).get(label)
            if not isinstance(run, dict):
                continue
            server = run.get("server") or {}
            lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                title, text, _fmt(run["wall_s"]), _requests(run["netbox"]),
                _fmt(run.get("kubernetes")) if group == "runs" else "-", _fmt(run.get("written")),
                _fmt(_rss(run), 0), _fmt((run.get("process") or {}).get("cpu_s")),
                _fmt(server.get("netbox_cpu_s")), _fmt(server.get("postgres_cpu_s")), _path(run)))
            title = ""
    lines += _fleet(results)
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
