#!/usr/bin/env python3
"""Compares two bench/shift.sh results, redeploy against xds (stdlib only).

Usage: bench/xds_report.py REDEPLOY.json XDS.json OUT.json
Per delivery: median seconds from `shift` started to the new weights served (first-seen-new: the live
Envoy answers with the new revision), median `shift` wall time, failed requests per shift (while it ran
and in the steady load after), Envoy restarts implied. Ratios are redeploy / xds.
"""
import json
import statistics
import sys

RESTART_ERRORS = {"ConnectionRefusedError", "ConnectionResetError", "RemoteDisconnected", "BrokenPipeError"}


def figures(path):
    with open(path) as f:
        run = json.load(f)
    shifts = run["shifts"]
    seen = [s["first_seen_new_s"] for s in shifts if s["first_seen_new_s"] is not None]
    wall = [s["shift_wall_s"] for s in shifts]
    failed = [s["during"]["failed"] + s["after"]["failed"] for s in shifts]
    # the signature of an Envoy restart: no listener, or connections cut; 503s/timeouts are upstream overload
    cut = [sum(n for e, n in list(s["during"]["errors"].items()) + list(s["after"]["errors"].items()) if e in RESTART_ERRORS)
           for s in shifts]
    # update issued -> new weights served: the delivery alone, without JVM start and the CLI's reads
    delivery = [round(s["first_seen_new_s"] - s["update_issued_s"], 3) for s in shifts
                if s["first_seen_new_s"] is not None and s.get("update_issued_s") is not None]
    return {
        "delivery": run["delivery"],
        "shifts": len(shifts),
        "shift_errors": sum(1 for s in shifts if s["exit_code"] != 0),
        "rate": run["rate"],
        "new_weights_served_s": {"median": statistics.median(seen) if seen else None,
                                 "max": max(seen) if seen else None, "each": seen},
        "shift_wall_s": {"median": statistics.median(wall), "each": wall},
        "failed_per_shift": {"mean": statistics.mean(failed), "max": max(failed), "each": failed},
        "connection_failures_per_shift": {"mean": statistics.mean(cut), "max": max(cut), "each": cut},
        "update_to_served_s": {"median": statistics.median(delivery) if delivery else None, "each": delivery},
        "requests": run["totals"]["whole_run"]["requests"],
        "load_avg_1min": run.get("load_avg_1min"),
    }


def ratio(a, b):
    if a is None or b is None:
        return None
    return round(a / b, 2) if b else float("inf") if a else 1.0


def main():
    redeploy, xds, out = figures(sys.argv[1]), figures(sys.argv[2]), sys.argv[3]
    result = {"redeploy": redeploy, "xds": xds, "ratio_redeploy_over_xds": {
        "new_weights_served_s": ratio(redeploy["new_weights_served_s"]["median"], xds["new_weights_served_s"]["median"]),
        "shift_wall_s": ratio(redeploy["shift_wall_s"]["median"], xds["shift_wall_s"]["median"]),
        "failed_per_shift": ratio(redeploy["failed_per_shift"]["mean"], xds["failed_per_shift"]["mean"]),
        "update_to_served_s": ratio(redeploy["update_to_served_s"]["median"], xds["update_to_served_s"]["median"]),
        "connection_failures_per_shift": ratio(redeploy["connection_failures_per_shift"]["mean"],
                                               xds["connection_failures_per_shift"]["mean"]),
    }}
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    r = result["ratio_redeploy_over_xds"]

    def num(v, spec="{:.2f}"):
        return "-" if v is None else ("inf" if v == float("inf") else spec.format(v))

    rows = [
        ("shift -> new weights served, median s", num(redeploy["new_weights_served_s"]["median"]),
         num(xds["new_weights_served_s"]["median"]), num(r["new_weights_served_s"])),
        ("  of which: update issued -> served, median s", num(redeploy["update_to_served_s"]["median"]),
         num(xds["update_to_served_s"]["median"]), num(r["update_to_served_s"])),
        ("shift wall time (JVM incl.), median s", num(redeploy["shift_wall_s"]["median"]),
         num(xds["shift_wall_s"]["median"]), num(r["shift_wall_s"])),
        ("failed requests per shift, mean", num(redeploy["failed_per_shift"]["mean"], "{:.1f}"),
         num(xds["failed_per_shift"]["mean"], "{:.1f}"), num(r["failed_per_shift"])),
        ("  of which refused/reset (Envoy restart), mean", num(redeploy["connection_failures_per_shift"]["mean"], "{:.1f}"),
         num(xds["connection_failures_per_shift"]["mean"], "{:.1f}"), num(r["connection_failures_per_shift"])),
        ("failed requests per shift, max", str(redeploy["failed_per_shift"]["max"]), str(xds["failed_per_shift"]["max"]), ""),
        ("shifts (failed)", f"{redeploy['shifts']} ({redeploy['shift_errors']})", f"{xds['shifts']} ({xds['shift_errors']})", ""),
    ]
    hdr = ("", "redeploy", "xds", "redeploy/xds")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(hdr)]
    print()
    print(" | ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(hdr)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(row)))
    print("\nfailed = anything but 200, while shift ran and in the steady load after it; 503s and timeouts there come"
          "\nfrom overloaded upstreams (they also occur before the update is issued), refused/reset from Envoy restarts.")
    print(f"same load for both: {redeploy['rate']:g} req/s, open loop, fresh connection per request; results: {out}")


if __name__ == "__main__":
    main()
