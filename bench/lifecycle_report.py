#!/usr/bin/env python3
"""Table and JSON for bench/lifecycle.sh (stdlib only).

Usage: bench/lifecycle_report.py PHASES.tsv LOAD.tsv OUT.json [--rate R] [--run ID] [--commit C]
                                  [--access-log FILE] [--cluster-stats "M A R" "M A R"] [--load-average L]
  PHASES.tsv  scenario, phase, new version, expected share of the new version (%), t_start, t_step_end, t_end, and
              the step's CPU seconds (user+sys); scenario "baseline" is the load with no step running
  LOAD.tsv    written by bench/load.py
  --access-log     Envoy's access log lines of the run (default format; the User-Agent carries the request's
                   scheduled time, see load.py)
  --cluster-stats  Envoy's cluster_manager.cluster_modified, _added, _removed before and after the run
A request belongs to the phase whose [t_start, t_end) holds its *scheduled* time; "during" = while the step's command
ran, "after" = the steady load after it. Failed = anything but HTTP 200. The observed share is the new version's
fraction of the 200s in the steady part; sigma is the binomial standard deviation for that many requests.
Each failed request is attributed: by Envoy's access log line for it ("503 UH": response code and flags; a code
without flags is the application's own answer), else by what the client saw ("refused", "reset", "timeout", ...).
"""
import argparse
import json
import math
import re
from collections import Counter

# Envoy's default access log format: ... "GET / HTTP/1.1" CODE FLAGS RX TX DURATION UPSTREAM_TIME "XFF" "UA" "ID"
# "AUTHORITY" "UPSTREAM_HOST"
ACCESS = re.compile(r'"\S+ \S* \S+" (\d+) (\S+) \d+ \d+ \d+ \S+ "[^"]*" "swarm-canary-bench-load/([0-9.]+)" "[^"]*"'
                    r' "[^"]*" "([^"]*)"')
CLIENT = {"ConnectionRefusedError": "refused", "ConnectionResetError": "reset", "RemoteDisconnected": "reset",
          "BrokenPipeError": "reset", "TimeoutError": "timeout", "timeout": "timeout"}


def envoy_log(path):
    """scheduled time (as load.py prints it) -> (code, flags, upstream host) of every request Envoy logged"""
    seen = {}
    if path:
        with open(path, errors="replace") as f:
            for line in f:
                m = ACCESS.search(line)
                if m:
                    seen[m.group(3)] = (m.group(1), m.group(2), m.group(4))
    return seen


def cause(req, envoy):
    """why a failed request failed: Envoy's code and flags when it logged the request, else the client's view"""
    client = CLIENT.get(req[1], req[1])
    logged = envoy.get(req[5])
    if logged is None:
        return f"client {client}"
    code, flags, _ = logged
    what = f"{code} {flags}" if flags != "-" else f"{code} (app)"
    # a client timeout that Envoy logged later (code 0 or 504, flag DC/UT): both views
    return what if req[1].isdigit() else f"client {client} / envoy {what}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("phases")
    p.add_argument("load")
    p.add_argument("out")
    p.add_argument("--rate", type=float)
    p.add_argument("--run")
    p.add_argument("--commit")
    p.add_argument("--delivery", default="redeploy")
    p.add_argument("--access-log")
    p.add_argument("--cluster-stats", nargs=2, metavar=("BEFORE", "AFTER"))
    p.add_argument("--load-average")
    a = p.parse_args()
    envoy = envoy_log(a.access_log)
    reqs = []
    with open(a.load) as f:
        for line in f:
            if not line.startswith("#"):
                sched, _start, status, version, latency, _lag, *target = line.rstrip("\n").split("\t")
                reqs.append((float(sched), status, version, float(latency), target[0] if target else "-", sched))
    rows = []
    with open(a.phases) as f:
        for line in f:
            scenario, name, version, expected, t0, t1, t2, cpu = line.rstrip("\n").split("\t")
            t0, t1, t2 = float(t0), float(t1), float(t2)
            during = [r for r in reqs if t0 <= r[0] < t1]
            after = [r for r in reqs if t1 <= r[0] < t2]
            ok_after = [r for r in after if r[1] == "200"]
            new = sum(1 for r in ok_after if r[2] == version)
            share = 100.0 * new / len(ok_after) if ok_after else None
            exp = float(expected)
            sigma = 100 * math.sqrt(exp / 100 * (1 - exp / 100) / len(ok_after)) if ok_after else None
            errors = Counter(r[1] for r in during + after if r[1] != "200")
            causes = Counter(cause(r, envoy) for r in during + after if r[1] != "200")
            rows.append({
                "scenario": scenario, "phase": name, "new_version": version, "step_seconds": round(t1 - t0, 2),
                "step_cpu_seconds": float(cpu), "causes": dict(causes),
                "requests": len(during) + len(after), "failed_during_step": sum(1 for r in during if r[1] != "200"),
                "failed_after_step": sum(1 for r in after if r[1] != "200"), "errors": dict(errors),
                "configured_pct": exp, "observed_pct": None if share is None else round(share, 2),
                "sigma_pct": None if sigma is None else round(sigma, 2),
                "slow_ok": sum(1 for r in during + after if r[1] == "200" and r[3] > 0.5),
                # per node (three-node bed): failed requests, and the new version's share of the steady 200s
                "per_node": {n: {"failed": sum(1 for r in during + after if r[4] == n and r[1] != "200"),
                                 "observed_pct": round(100.0 * sum(1 for r in ok_after if r[4] == n and r[2] == version)
                                                       / max(1, sum(1 for r in ok_after if r[4] == n)), 2)}
                             for n in sorted({r[4] for r in reqs}) if n != "-"},
            })
    print(f"{'scenario':<10} {'phase':<14} {'step s':>6} {'cpu s':>5} {'requests':>8} {'failed':>6} {'(during':>7}"
          f" {'after)':>6} {'configured %':>12} {'observed %':>10}  failed requests by cause")
    for r in rows:
        obs = "-" if r["observed_pct"] is None else f"{r['observed_pct']:.1f}"
        flag = ""
        if r["observed_pct"] is not None and r["sigma_pct"] is not None:
            if abs(r["observed_pct"] - r["configured_pct"]) > max(3 * r["sigma_pct"], 0.5):
                flag = " (!)"
        failed = r["failed_during_step"] + r["failed_after_step"]
        print(f"{r['scenario']:<10} {r['phase']:<14} {r['step_seconds']:>6.1f} {r['step_cpu_seconds']:>5.1f}"
              f" {r['requests']:>8} {failed:>6} {r['failed_during_step']:>7} {r['failed_after_step']:>6}"
              f" {r['configured_pct']:>12.0f} {obs + flag:>10}"
              f"  {', '.join(f'{k}={v}' for k, v in sorted(r['causes'].items())) or '-'}")
        if r["per_node"]:
            print(f"{'':<25} per node: " + ", ".join(f"{n} failed {v['failed']} observed {v['observed_pct']:.1f}%"
                                                    for n, v in r["per_node"].items()))
    total = sum(r["requests"] for r in rows)
    failed = sum(r["failed_during_step"] + r["failed_after_step"] for r in rows)
    print(f"total: {total} requests, {failed} failed ({100.0 * failed / max(1, total):.2f}%)")
    base = [r for r in rows if r["scenario"] == "baseline"]
    steps = [r for r in rows if r["scenario"] != "baseline"]
    base_failed = sum(r["failed_during_step"] + r["failed_after_step"] for r in base)
    step_failed = sum(r["failed_during_step"] + r["failed_after_step"] for r in steps)
    step_causes = Counter()
    for r in steps:
        step_causes.update(r["causes"])
    logged = sum(1 for r in reqs if r[5] in envoy)
    print(f"Envoy's access log: {logged} of {len(reqs)} requests found" + ("" if a.access_log else " (not given)"))
    print(f"baseline (no step running): {sum(r['requests'] for r in base)} requests, {base_failed} failed;"
          f" during and after the steps: {sum(r['requests'] for r in steps)} requests, {step_failed} failed"
          + (f" ({', '.join(f'{k}={v}' for k, v in sorted(step_causes.items()))})" if step_failed else ""))
    if not base:
        goal = None
        print("goal (0 failed requests caused by the product): no baseline phase")
    elif base_failed:
        goal = None
        print(f"goal (0 failed requests caused by the product): not assessable at {a.rate:g} req/s: the baseline itself"
              " lost requests, so this machine does not serve the rate cleanly now (lower BENCH_RATE or quiet the machine)")
    else:
        goal = step_failed == 0
        print(f"goal (0 failed requests caused by the product at a rate the baseline serves with 0 failures):"
              f" {'met' if goal else f'MISSED, {step_failed} failed while the baseline lost none'}")
    modified = None
    if a.cluster_stats:
        before, after = ([None if x == "-" else int(x) for x in s.split()] for s in a.cluster_stats)
        names = ("cluster_modified", "cluster_added", "cluster_removed")
        deltas = {n: None if b is None or c is None else c - b for n, b, c in zip(names, before, after)}
        modified = deltas["cluster_modified"]
        print("Envoy cluster_manager over the run: " + ", ".join(
            f"{n} unread" if d is None else f"{n} +{d} (now {c})" for (n, d), c in zip(deltas.items(), after))
              + ("" if modified is None else "  [goal: cluster_modified stays 0: " + ("met]" if modified == 0 else "MISSED]")))
    if a.load_average:
        print(f"load average at the end: {a.load_average}")
    with open(a.out, "w") as f:
        json.dump({"benchmark": "lifecycle", "delivery": a.delivery, "rate": a.rate, "run_id": a.run,
                   "git_commit": a.commit, "load_average_end": a.load_average, "baseline_failed": base_failed,
                   "steps_failed": step_failed, "steps_failed_by_cause": dict(step_causes), "goal_met": goal,
                   "access_log_requests_found": logged, "cluster_stats": a.cluster_stats,
                   "cluster_modified_delta": modified, "phases": rows}, f, indent=2)


if __name__ == "__main__":
    main()
