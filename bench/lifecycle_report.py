#!/usr/bin/env python3
"""Table and JSON for bench/lifecycle.sh (stdlib only).

Usage: bench/lifecycle_report.py PHASES.tsv LOAD.tsv OUT.json [--rate R] [--run ID] [--commit C]
  PHASES.tsv  scenario, phase, new version, expected share of the new version (%), t_start, t_step_end, t_end
  LOAD.tsv    written by bench/load.py
A request belongs to the phase whose [t_start, t_end) holds its *scheduled* time; "during" = while the step's command
ran, "after" = the steady load after it. Failed = anything but HTTP 200. The observed share is the new version's
fraction of the 200s in the steady part; sigma is the binomial standard deviation for that many requests.
"""
import argparse
import json
import math
from collections import Counter


def main():
    p = argparse.ArgumentParser()
    p.add_argument("phases")
    p.add_argument("load")
    p.add_argument("out")
    p.add_argument("--rate", type=float)
    p.add_argument("--run")
    p.add_argument("--commit")
    p.add_argument("--delivery", default="redeploy")
    a = p.parse_args()
    reqs = []
    with open(a.load) as f:
        for line in f:
            if not line.startswith("#"):
                sched, _start, status, version, latency, _lag, *target = line.rstrip("\n").split("\t")
                reqs.append((float(sched), status, version, float(latency), target[0] if target else "-"))
    rows = []
    with open(a.phases) as f:
        for line in f:
            scenario, name, version, expected, t0, t1, t2 = line.rstrip("\n").split("\t")
            t0, t1, t2 = float(t0), float(t1), float(t2)
            during = [r for r in reqs if t0 <= r[0] < t1]
            after = [r for r in reqs if t1 <= r[0] < t2]
            ok_after = [r for r in after if r[1] == "200"]
            new = sum(1 for r in ok_after if r[2] == version)
            share = 100.0 * new / len(ok_after) if ok_after else None
            exp = float(expected)
            sigma = 100 * math.sqrt(exp / 100 * (1 - exp / 100) / len(ok_after)) if ok_after else None
            errors = Counter(r[1] for r in during + after if r[1] != "200")
            rows.append({
                "scenario": scenario, "phase": name, "new_version": version, "step_seconds": round(t1 - t0, 2),
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
    print(f"{'scenario':<10} {'phase':<14} {'step s':>6} {'requests':>8} {'failed':>6} {'(during':>7} {'after)':>6}"
          f" {'configured %':>12} {'observed %':>10}  errors")
    for r in rows:
        obs = "-" if r["observed_pct"] is None else f"{r['observed_pct']:.1f}"
        flag = ""
        if r["observed_pct"] is not None and r["sigma_pct"] is not None:
            if abs(r["observed_pct"] - r["configured_pct"]) > max(3 * r["sigma_pct"], 0.5):
                flag = " (!)"
        failed = r["failed_during_step"] + r["failed_after_step"]
        print(f"{r['scenario']:<10} {r['phase']:<14} {r['step_seconds']:>6.1f} {r['requests']:>8} {failed:>6}"
              f" {r['failed_during_step']:>7} {r['failed_after_step']:>6} {r['configured_pct']:>12.0f} {obs + flag:>10}"
              f"  {', '.join(f'{k}={v}' for k, v in sorted(r['errors'].items())) or '-'}")
        if r["per_node"]:
            print(f"{'':<25} per node: " + ", ".join(f"{n} failed {v['failed']} observed {v['observed_pct']:.1f}%"
                                                    for n, v in r["per_node"].items()))
    total = sum(r["requests"] for r in rows)
    failed = sum(r["failed_during_step"] + r["failed_after_step"] for r in rows)
    print(f"total: {total} requests, {failed} failed ({100.0 * failed / max(1, total):.2f}%)")
    with open(a.out, "w") as f:
        json.dump({"benchmark": "lifecycle", "delivery": a.delivery, "rate": a.rate, "run_id": a.run,
                   "git_commit": a.commit, "phases": rows}, f, indent=2)


if __name__ == "__main__":
    main()
