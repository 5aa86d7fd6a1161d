#!/usr/bin/env python3
"""Table, ratios and JSON for bench/scale.sh (stdlib only).

Usage: bench/scale_report.py ROUNDS.tsv SIZES.tsv OUT.json [--run ID] [--commit C] [--parallel N]
  ROUNDS.tsv  tracks, round, shift wall s, shift CPU s (user+sys), control-plane CPU s while the shift ran, shift
              window s, `docker service update --label-add` wall s, change -> every Envoy ACKed s (or null), and
              (optional) the wall s of the same shift on the one-track reference edge, run right after
  SIZES.tsv   tracks, set-up s, control-plane CPU s per s idle, RSS MB, docker stats MB, load average (1 5 15)
"""
import argparse
import json
import statistics

SHIFT_GOAL = 1.10  # shift at the largest size / the one-track reference's shifts interleaved with them
RSS_GOAL_MB = 200


def num(x):
    return None if x in ("null", "-", "") else float(x)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rounds")
    p.add_argument("sizes")
    p.add_argument("out")
    p.add_argument("--run")
    p.add_argument("--commit")
    p.add_argument("--parallel", type=int)
    a = p.parse_args()
    rounds = {}
    with open(a.rounds) as f:
        for line in f:
            n, r, wall, cpu, cp_cpu, window, label, ack, *ref = line.rstrip("\n").split("\t")
            rounds.setdefault(int(n), []).append({"round": int(r), "shift_wall_s": float(wall), "shift_cpu_s": float(cpu),
                                                  "cp_cpu_s": float(cp_cpu), "window_s": float(window),
                                                  "label_add_wall_s": float(label), "ack_s": num(ack),
                                                  "ref_shift_wall_s": num(ref[0]) if ref else None})
    sizes = []
    with open(a.sizes) as f:
        for line in f:
            n, setup, idle, rss, mem, load = line.rstrip("\n").split("\t")
            rs = rounds.get(int(n), [])
            idle = float(idle)
            sizes.append({
                "tracks": int(n), "releases": 2 * int(n), "setup_s": float(setup), "load_average": load,
                "shift_wall_s": med(r["shift_wall_s"] for r in rs),
                "shift_cpu_s": med(r["shift_cpu_s"] for r in rs),
                "label_add_wall_s": med(r["label_add_wall_s"] for r in rs),
                "ref_shift_wall_s": med(r["ref_shift_wall_s"] for r in rs),
                "ack_s": med(r["ack_s"] for r in rs),
                "cp_cpu_during_shift_s": med(r["cp_cpu_s"] for r in rs),
                # what the change itself cost: the control plane's CPU while the shift ran, less its idle rate over as long
                "cp_cpu_per_change_s": med(r["cp_cpu_s"] - idle * r["window_s"] for r in rs),
                "cp_idle_cpu_per_s": idle, "cp_rss_mb": num(rss), "cp_docker_stats_mb": num(mem), "rounds": rs,
            })
    print(f"{'tracks':>6} {'releases':>8} {'shift wall s':>12} {'1-track edge s':>14} {'shift cpu s':>11} {'label-add s':>11} {'ACK s':>6}"
          f" {'cp cpu/change s':>15} {'cp idle cpu/s':>13} {'cp RSS MB':>9} {'docker stats MB':>15} {'set-up s':>8}  load")
    for s in sizes:
        def f(x, w, d=2):
            return f"{'-':>{w}}" if x is None else f"{x:>{w}.{d}f}"
        print(f"{s['tracks']:>6} {s['releases']:>8} {f(s['shift_wall_s'], 12)} {f(s['ref_shift_wall_s'], 14)} {f(s['shift_cpu_s'], 11)}"
              f" {f(s['label_add_wall_s'], 11, 3)} {f(s['ack_s'], 6)} {f(s['cp_cpu_per_change_s'], 15, 3)}"
              f" {f(s['cp_idle_cpu_per_s'], 13, 3)} {f(s['cp_rss_mb'], 9, 1)} {f(s['cp_docker_stats_mb'], 15, 1)}"
              f" {s['setup_s']:>8.0f}  {s['load_average']}")
    ratios = {}
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        key = f"{hi['tracks']}/{lo['tracks']} tracks"
        for what in ("shift_wall_s", "shift_cpu_s", "ack_s", "cp_cpu_per_change_s", "cp_idle_cpu_per_s", "cp_rss_mb",
                     "label_add_wall_s"):
            if lo[what] and hi[what] is not None:
                ratios[f"{what} {key}"] = round(hi[what] / lo[what], 3)
    for s in sizes:
        if s["ref_shift_wall_s"]:
            ratios[f"shift_wall_s at {s['tracks']} tracks / 1-track edge, interleaved"] = round(s["shift_wall_s"] / s["ref_shift_wall_s"], 3)
    for s in sizes:
        if s["label_add_wall_s"]:
            ratios[f"shift_wall_s / label_add_wall_s at {s['tracks']} tracks"] = round(s["shift_wall_s"] / s["label_add_wall_s"], 1)
    print()
    for k, v in ratios.items():
        print(f"ratio {k:<52}{v:>8.2f}")
    goals = {}
    if sizes:
        r = ratios.get(f"shift_wall_s at {sizes[-1]['tracks']} tracks / 1-track edge, interleaved")
        goals["shift wall at %d tracks / 1-track edge (interleaved) <= %.2f" % (sizes[-1]["tracks"], SHIFT_GOAL)] = \
            None if r is None else r <= SHIFT_GOAL
    rss = max((s["cp_rss_mb"] for s in sizes if s["cp_rss_mb"] is not None), default=None)
    goals[f"control plane RSS <= {RSS_GOAL_MB} MB (max {rss} MB)"] = None if rss is None else rss <= RSS_GOAL_MB
    print()
    for k, v in goals.items():
        print(f"goal {k}: {'met' if v else 'MISSED' if v is not None else 'not measured'}")
    with open(a.out, "w") as f:
        json.dump({"benchmark": "scale", "run_id": a.run, "git_commit": a.commit, "parallel": a.parallel,
                   "sizes": sizes, "ratios": ratios, "goals": goals}, f, indent=1)
    print(f"\nwritten {a.out}")


if __name__ == "__main__":
    main()
