#!/usr/bin/env python3
"""Turns the raw logs of bench/shift.sh into the table and the JSON result (stdlib only).

Usage: bench/shift_report.py RUN.json LOAD.tsv OUT.json
  RUN.json  written by shift.sh: run facts and, per shift, t_start / t_return / t_end (epoch seconds),
            exit code, old/new revision, the poller log path
  LOAD.tsv  written by bench/load.py
Prints the table on stdout and writes OUT.json.

Phases, by a request's *scheduled* send time: "during" = [t_start, t_return) of a shift (CLI started →
CLI returned), "after" = [t_return, t_end) (steady load until the next shift starts or the load stops).
Failed = anything but HTTP 200 (5xx from Envoy, refused/reset connections, timeouts).
"""
import json
import math
import sys
from collections import Counter


def load_requests(path):
    reqs = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            sched, start, status, version, latency, lag = line.rstrip("\n").split("\t")[:6]
            reqs.append({"sched": float(sched), "start": float(start), "status": status, "version": version,
                         "latency": float(latency), "lag": float(lag)})
    reqs.sort(key=lambda r: r["sched"])
    return reqs


def load_poll(path):
    """Poller lines: '<curl start epoch> <curl end epoch> <revision or ->'."""
    rows = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    rows.append((float(parts[0]), float(parts[1]), parts[2]))
    except FileNotFoundError:
        pass
    return rows


def load_progress(path, t0):
    """The CLI's stderr progress lines, time-stamped by shift.sh: '<epoch> <line>' -> [(offset s, line)]."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                ts, _, text = line.rstrip("\n").partition(" ")
                out.append((round(float(ts) - t0, 3), text))
    except (FileNotFoundError, ValueError):
        pass
    return out


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]


def window(reqs, a, b):
    return [r for r in reqs if a <= r["sched"] < b]


def failed(r):
    return r["status"] != "200"


def summarize(reqs, canary, stable):
    ok = [r for r in reqs if not failed(r)]
    fails = [r for r in reqs if failed(r)]
    can = sum(1 for r in ok if r["version"] == canary)
    sta = sum(1 for r in ok if r["version"] == stable)
    out = {
        "requests": len(reqs),
        "failed": len(fails),
        "ok": len(ok),
        "canary": can,
        "stable": sta,
        "other_version": len(ok) - can - sta,
        "canary_pct": round(100.0 * can / len(ok), 2) if ok else None,
        "errors": dict(Counter(r["status"] for r in fails)),
        # answered, but only after > 0.5 s (at the edge restart: a SYN retransmitted after 1 s)
        "slow_ok": sum(1 for r in ok if r["latency"] > 0.5),
        "latency_ms_ok": {"p50": None, "p99": None, "max": None},
    }
    lat = [r["latency"] * 1000 for r in ok]
    if lat:
        out["latency_ms_ok"] = {"p50": round(pct(lat, 50), 1), "p99": round(pct(lat, 99), 1),
                                "max": round(max(lat), 1)}
    if fails:
        # The outage as a client sees it: first to last failed request (scheduled times), and the
        # longest run of consecutive failed requests in sending order.
        out["first_failure_at"] = round(fails[0]["sched"], 3)
        out["fail_span_s"] = round(fails[-1]["sched"] - fails[0]["sched"], 3)
        run = best = 0
        for r in reqs:
            run = run + 1 if failed(r) else 0
            best = max(best, run)
        out["longest_failed_run"] = best
    return out


def main():
    run_path, load_path, out_path = sys.argv[1:4]
    with open(run_path) as f:
        run = json.load(f)
    reqs = load_requests(load_path)
    canary, stable = run["canary_version"], run["stable_version"]
    rate = run["rate"]

    shifts = []
    for s in run["shifts"]:
        during = summarize(window(reqs, s["t_start"], s["t_return"]), canary, stable)
        after = summarize(window(reqs, s["t_return"], s["t_end"]), canary, stable)
        poll = load_poll(s["poll_log"])
        first_new = next((end for _, end, rev in poll if rev == s["new_revision"] and end >= s["t_start"]), None)
        # Envoy not answering the smoke host at all (listener down) as the poller saw it.
        down = [(st, end) for st, end, rev in poll if rev == "-" and s["t_start"] <= st < s["t_return"]]
        progress = load_progress(s.get("progress_log", ""), s["t_start"])
        update_at = next((t for t, text in progress if text.startswith("updating edge")), None)
        w = s["weight"]
        n = after["ok"]
        sigma = math.sqrt(n * (w / 100) * (1 - w / 100)) / n * 100 if n else None
        rec = {
            "weight": w,
            "exit_code": s["exit_code"],
            "old_revision": s["old_revision"],
            "new_revision": s["new_revision"],
            "shift_wall_s": round(s["t_return"] - s["t_start"], 3),
            "cli_reported_seconds": s.get("cli_seconds"),
            "first_seen_new_s": round(first_new - s["t_start"], 3) if first_new else None,
            "update_issued_s": update_at,
            "first_failure_after_start_s": (round(during["first_failure_at"] - s["t_start"], 3)
                                            if during["failed"] else None),
            "cli_progress": [{"t": t, "line": text} for t, text in progress],
            "poll": {"probes": len([p for p in poll if s["t_start"] <= p[0] < s["t_return"]]),
                     "no_answer": len(down),
                     "no_answer_span_s": round(down[-1][1] - down[0][0], 3) if down else 0.0},
            "during": during,
            "after": after,
            "after_s": round(s["t_end"] - s["t_return"], 3),
            "canary_pct_sigma": round(sigma, 2) if sigma is not None else None,
        }
        if sigma is not None and after["canary_pct"] is not None:
            rec["canary_pct_within_3sigma"] = abs(after["canary_pct"] - w) <= max(3 * sigma, 0.5)
        shifts.append(rec)

    t_first = run["shifts"][0]["t_start"] if run["shifts"] else run["load_stop"]
    baseline = summarize(window(reqs, run["load_start"], t_first), canary, stable)
    total = summarize(window(reqs, run["load_start"], run["load_stop"]), canary, stable)
    lags = [r["lag"] for r in reqs]
    totals = {
        "during_requests": sum(s["during"]["requests"] for s in shifts),
        "during_failed": sum(s["during"]["failed"] for s in shifts),
        "after_requests": sum(s["after"]["requests"] for s in shifts),
        "after_failed": sum(s["after"]["failed"] for s in shifts),
        "shift_wall_s": round(sum(s["shift_wall_s"] for s in shifts), 3),
        "whole_run": total,
        "load_seconds": round(run["load_stop"] - run["load_start"], 3),
        "achieved_rate": round(len(reqs) / (run["load_stop"] - run["load_start"]), 1) if reqs else 0,
        "send_lag_s": {"p50": round(pct(lags, 50), 4) if lags else None,
                       "p99": round(pct(lags, 99), 4) if lags else None,
                       "max": round(max(lags), 4) if lags else None},
    }
    result = {k: v for k, v in run.items() if k != "shifts"}
    result.update({"baseline": baseline, "shifts": shifts, "totals": totals})
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    def fmt(v, spec="{:.2f}"):
        return "-" if v is None else spec.format(v)

    hdr = ("weight", "shift wall s", "first-seen-new s", "req during", "failed during", "req after",
           "failed after", "canary % after")
    rows = []
    for s in shifts:
        flag = "" if s.get("canary_pct_within_3sigma", True) else " (!)"
        rows.append((f"{s['weight']}" + ("" if s["exit_code"] == 0 else f" rc={s['exit_code']}"),
                     fmt(s["shift_wall_s"]), fmt(s["first_seen_new_s"]),
                     str(s["during"]["requests"]), str(s["during"]["failed"]),
                     str(s["after"]["requests"]), str(s["after"]["failed"]),
                     fmt(s["after"]["canary_pct"], "{:.1f}") + flag))
    rows.append(("total", fmt(totals["shift_wall_s"]), "", str(totals["during_requests"]),
                 str(totals["during_failed"]), str(totals["after_requests"]), str(totals["after_failed"]), ""))
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(hdr)]
    line = lambda cells: " | ".join(c.rjust(widths[i]) for i, c in enumerate(cells))  # noqa: E731
    print(line(hdr))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))
    print()
    print(f"load: {len(reqs)} requests in {totals['load_seconds']:.1f}s ({totals['achieved_rate']}/s, target {rate:g}/s; "
          f"send lag p99 {fmt(totals['send_lag_s']['p99'], '{:.3f}')}s max {fmt(totals['send_lag_s']['max'], '{:.3f}')}s), "
          f"{total['failed']} failed overall; baseline before the first shift: "
          f"{baseline['requests']} requests, {baseline['failed']} failed")
    for s in shifts:
        d = s["during"]
        if d["failed"]:
            errs = ", ".join(f"{k} {v}" for k, v in sorted(d["errors"].items(), key=lambda kv: -kv[1]))
            print(f"shift {s['weight']}: {d['failed']} failed in {d['fail_span_s']:.2f}s "
                  f"(longest run {d['longest_failed_run']} in a row ≈ {d['longest_failed_run'] / rate:.2f}s at {rate:g}/s): {errs}; "
                  f"smoke-host poller: {s['poll']['no_answer']}/{s['poll']['probes']} probes unanswered "
                  f"over {s['poll']['no_answer_span_s']:.2f}s; {d['slow_ok']} more answered only after >0.5s")
        else:
            print(f"shift {s['weight']}: no failed requests during the shift")
        print(f"  timeline (s after start): service update issued {fmt(s['update_issued_s'])}, "
              f"first failed request {fmt(s['first_failure_after_start_s'])}, "
              f"new revision first seen {fmt(s['first_seen_new_s'])}, CLI returned {fmt(s['shift_wall_s'])}")
        if s["after"]["failed"]:
            errs = ", ".join(f"{k} {v}" for k, v in s["after"]["errors"].items())
            print(f"  after shift {s['weight']}: {s['after']['failed']} failed: {errs}")
        if not s.get("canary_pct_within_3sigma", True):
            print(f"  (!) canary share {s['after']['canary_pct']}% is more than 3σ ({s['canary_pct_sigma']}%) "
                  f"from the configured {s['weight']}%")


if __name__ == "__main__":
    main()
