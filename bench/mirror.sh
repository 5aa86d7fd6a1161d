#!/usr/bin/env bash
# Benchmark: what mirroring costs the users. The same open-loop load through an xds edge, in alternating phases with the
# mirror off (the yardstick) and with `mirror --percent 100` (every request also copied to the canary, whose answers
# Envoy discards): median, p90 and p99 latency of the users' requests per phase, the median's difference (goal: at
# most 5 ms more with mirroring), failed requests per phase, and how many copies the canary's mirror cluster counted.
# Usage: bench/mirror.sh [ROUNDS [RATE [SECONDS]]]   (default 3 rounds of off+on, 50 req/s, 20 s per phase)
# Needs the test bed (started here) and target/swarm-canary.jar; writes bench/results/mirror-<timestamp>.json.
set -euo pipefail
shopt -s inherit_errexit

ROUNDS=${1:-3}
RATE=${2:-50}
SECONDS_PER_PHASE=${3:-20}
for n in "$ROUNDS" "$RATE" "$SECONDS_PER_PHASE"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS [RATE [SECONDS]]]  (positive integers)" >&2; exit 2; }
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=swarm-canary/testapp:latest
ENVOY_IMAGE=swarm-canary/envoy:latest
PORT=${BENCH_PORT:-10167}
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=benchmirroredge$RUN_ID
APP=benchmirror$RUN_ID
ENVNAME=bench
DOMAIN=$APP.bench.test

say() { echo "bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
WORK=$(mktemp -d)
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cleanup() {
  say "cleaning up $EDGE and $APP"
  bench_rm_edge "$EDGE" "^($APP-|$EDGE)"
}
bench_traps

cd "$ROOT"
bench_start "$PORT"
sc() { java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$WORK/swarm-canary.jar" "$@"; }
track() { sc "$@" --edge "$EDGE" --probe-host "$PROBE" --app "$APP" --env "$ENVNAME"; }
say "swarm-canary $(sc --version), run id $RUN_ID: edge $EDGE (xds) on port $PORT, $ROUNDS rounds of off+on," \
  "$RATE req/s for ${SECONDS_PER_PHASE}s per phase"

# ------------------------------------------------------------------ set-up (untimed): a stable and a canary at 0%
CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") || { cat "$WORK/image.out" >&2; die "control plane image"; }
sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" --delivery xds --control-plane-image "$CP_IMAGE" \
  --probe-host "$PROBE" -q >"$WORK/edge.out" 2>&1 || { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
for v in 1.0.0 2.0.0; do
  track deploy --version "$v" --image "$IMAGE" --env "APP_VERSION=$v" --domain "$DOMAIN" -q >"$WORK/deploy.out" 2>&1 ||
    { cat "$WORK/deploy.out" >&2; die "deploy $v"; }
done
# the stats token goes to curl in a file (-H @FILE): never on a command line
sc canary-token --stats --ttl 1h --out "$WORK/stats.token" --header-out "$WORK/stats.header" >/dev/null ||
  die "canary-token --stats failed"
# mirrored copies counted by the canary's mirror cluster, summed over every node's Envoy
mirrored() {
  local node total=0 n
  for node in ${TARGETS//,/ }; do
    # the stats host serves fixed paths only: the Prometheus one, read for the one counter
    n=$(curl -fsS -H "Host: swarm-canary-stats" -H @"$WORK/stats.header" "http://$node:$PORT/stats/prometheus" |
      awk -v c="envoy_cluster_name=\"$APP-$ENVNAME-2_0_0--mirror\"" \
        '/^envoy_cluster_upstream_rq_total\{/ && index($0, c) { n += $NF } END { printf "%d\n", n }') || n=0
    total=$((total + n))
  done
  echo "$total"
}

# ------------------------------------------------------------------ phases
: >"$WORK/phases"
for round in $(seq 1 "$ROUNDS"); do
  for phase in off on; do
    if [[ $phase == on ]]; then
      track mirror --percent 100 -q >"$WORK/mirror.out" 2>&1 || { cat "$WORK/mirror.out" >&2; die "mirror --percent 100"; }
    else
      track mirror --off -q >"$WORK/mirror.out" 2>&1 || { cat "$WORK/mirror.out" >&2; die "mirror --off"; }
    fi
    sleep 2 # the change has been ACKed by every Envoy when the command returns; let the CPU settle
    before=$(mirrored)
    python3 bench/load.py --target "$TARGETS" --port "$PORT" --host-header "$DOMAIN" --rate "$RATE" \
      --duration "$SECONDS_PER_PHASE" --out "$WORK/$phase-$round.tsv" 2>>"$WORK/load.err"
    sleep 1 # copies are sent after the user's answer
    echo "$phase $round $WORK/$phase-$round.tsv $(($(mirrored) - before))" >>"$WORK/phases"
    say "round $round: mirror $phase done"
  done
done
track mirror --off -q >/dev/null 2>&1 || true

# ------------------------------------------------------------------ report
mkdir -p bench/results
OUT=bench/results/mirror-$(date -u +%Y%m%dT%H%M%SZ).json
python3 - "$WORK/phases" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)" "$RATE" "$SECONDS_PER_PHASE" <<'PY'
import json, statistics, sys
phases_file, out, load, rate, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]

def quantile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")

rows, by_phase = [], {"off": [], "on": []}
for line in open(phases_file):
    phase, rnd, tsv, copies = line.split()
    ok, failed = [], 0
    for rec in open(tsv):
        if rec.startswith("#"):
            continue
        f = rec.rstrip("\n").split("\t")
        if f[2] == "200":
            ok.append(float(f[4]) * 1000)
        else:
            failed += 1
    row = {"phase": phase, "round": int(rnd), "requests": len(ok) + failed, "failed": failed,
           "median_ms": statistics.median(ok) if ok else None, "p90_ms": quantile(ok, 0.90),
           "p99_ms": quantile(ok, 0.99), "mirrored": int(copies)}
    rows.append(row)
    by_phase[phase] += ok
print(f"{'phase':<6}{'round':>6}{'requests':>10}{'failed':>8}{'median ms':>11}{'p90 ms':>9}{'p99 ms':>9}{'mirrored':>10}")
for r in rows:
    print(f"{r['phase']:<6}{r['round']:>6}{r['requests']:>10}{r['failed']:>8}{r['median_ms']:>11.2f}{r['p90_ms']:>9.2f}"
          f"{r['p99_ms']:>9.2f}{r['mirrored']:>10}")
med = {p: statistics.median(v) for p, v in by_phase.items()}
diff = med["on"] - med["off"]
print(f"\nall rounds: median off {med['off']:.2f} ms, on {med['on']:.2f} ms: mirroring adds {diff:+.2f} ms at the median"
      f" (goal <= 5 ms: {'met' if diff <= 5 else 'MISSED'}); ratio on/off {med['on'] / med['off']:.3f}")
print(f"p90 off {quantile(by_phase['off'], .9):.2f} ms, on {quantile(by_phase['on'], .9):.2f} ms; "
      f"p99 off {quantile(by_phase['off'], .99):.2f} ms, on {quantile(by_phase['on'], .99):.2f} ms")
failed = {p: sum(r["failed"] for r in rows if r["phase"] == p) for p in ("off", "on")}
print(f"failed requests: off {failed['off']}, on {failed['on']}; load average at the end: {load}")
json.dump({"rate": float(rate), "secondsPerPhase": int(seconds), "load": load, "phases": rows,
           "medianMs": med, "medianDifferenceMs": diff, "failed": failed}, open(out, "w"), indent=1)
print(f"written {out}")
PY
