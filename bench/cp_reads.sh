#!/usr/bin/env bash
# Benchmark: what an xds control plane costs while nothing changes (#19's "no per-second full re-read"). Two control
# planes of this jar run on the host side by side against the same edge, with the JVM options the edge's own control
# plane runs with, for SECONDS: the yardstick reads the whole edge every second (--resync 1s: what every control plane
# did before it followed the engine's events), the other runs as shipped (the engine's events; only where the tasks
# run is read every second, the whole edge every 30 s). Prints each one's CPU seconds per second, RSS and the ratio.
# Usage: bench/cp_reads.sh [--tracks N] [--seconds S] [--edge NAME]
#   --tracks   tracks (2 releases each) on the edge this run makes (default 20)
#   --seconds  how long both run after they settled (default 60)
#   --edge     measure against this existing xds edge instead of making one (e.g. bench/scale.sh --keep's)
# Env knobs: BENCH_PORT (10231; the edge's listener when this run makes one).
# One-node bed only. Writes bench/results/cp-reads-<timestamp>.json.
# For a test machine: the two control planes' ADS (plaintext) and status ports bind every interface while they run.
set -euo pipefail
shopt -s inherit_errexit

TRACKS=20
SECONDS_RUN=60
GIVEN_EDGE=
usage() { echo "usage: $0 [--tracks N] [--seconds S] [--edge NAME]" >&2; exit 2; }
while (($#)); do
  case $1 in
    --tracks) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; TRACKS=$2; shift 2 ;;
    --seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; SECONDS_RUN=$2; shift 2 ;;
    --edge) [[ -n ${2:-} ]] || usage; GIVEN_EDGE=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) usage ;;
  esac
done
[[ ${SC_BED:-1} == 1 ]] || { echo "bench/cp_reads.sh runs on the one-node bed only (SC_BED=1)" >&2; exit 2; }
PORT=${BENCH_PORT:-10231}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=${GIVEN_EDGE:-benchreadsedge$RUN_ID}
APP=bcr$RUN_ID # + t<NNN> per track
IMAGE=swarm-canary/testapp:latest
ENVOY_IMAGE=swarm-canary/envoy:latest

say() { echo "bench: $(date -u +%H:%M:%S) $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
WORK=$(mktemp -d)
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PIDS=()
on_stop() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
cleanup() {
  [[ -z $GIVEN_EDGE ]] || return 0
  say "cleaning up $EDGE and its tracks"
  bench_rm_edge "$EDGE" "^(${APP}t[0-9]+-|$EDGE(-xds)?\$)"
}
bench_traps

cd "$ROOT"
if [[ -n $GIVEN_EDGE ]]; then
  bench_bed
  copy_jar
else
  bench_start "$PORT"
fi
export SWARM_CANARY_JAR=$WORK/swarm-canary.jar
sc() { bin/swarm-canary "$@"; }

if [[ -z $GIVEN_EDGE ]]; then
  say "making edge $EDGE (xds) on port $PORT with $TRACKS tracks (untimed)"
  CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") || { cat "$WORK/image.out" >&2; die "control plane image"; }
  sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" --control-plane-image "$CP_IMAGE" \
    --probe-host "$PROBE" -q >"$WORK/edge.out" 2>&1 || { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
  for i in $(seq 1 "$TRACKS"); do
    app=${APP}t$(printf '%03d' "$i")
    for v in 1.0.0 2.0.0; do
      sc deploy --image "$IMAGE" --edge "$EDGE" --probe-host "$PROBE" --app "$app" --env bench --version "$v" \
        --domain "$app.reads.test" --replicas 1 -q >"$WORK/deploy.out" 2>&1 || { cat "$WORK/deploy.out" >&2; die "deploy failed"; }
    done
  done
fi
docker service inspect "$EDGE-xds" >/dev/null 2>&1 || die "no control plane $EDGE-xds: is $EDGE an xds edge?"
# the JVM options the edge's own control plane runs with
JVM=$(docker service inspect -f '{{range .Spec.TaskTemplate.ContainerSpec.Env}}{{println .}}{{end}}' "$EDGE-xds" |
  sed -n 's/^JAVA_TOOL_OPTIONS=//p')
say "edge $EDGE: control planes with JAVA_TOOL_OPTIONS='$JVM'"

# two free port pairs on loopback's side of the host (nothing connects to them: no Envoy, no status reader)
ports=$(python3 -c 'import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
read -r p1 p2 p3 p4 <<<"$ports"
JAVA_TOOL_OPTIONS=$JVM java -jar "$SWARM_CANARY_JAR" control-plane --edge "$EDGE" --port "$p1" --status-port "$p2" \
  --resync 1s >"$WORK/whole.log" 2>&1 &
PIDS+=($!)
JAVA_TOOL_OPTIONS=$JVM java -jar "$SWARM_CANARY_JAR" control-plane --edge "$EDGE" --port "$p3" --status-port "$p4" \
  >"$WORK/events.log" 2>&1 &
PIDS+=($!)
say "both control planes started; settling 15 s (JVM start and first reads are not counted)"
sleep 15
for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || { cat "$WORK"/*.log >&2; die "a control plane exited"; }; done
cpu() { awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / t }' "/proc/$1/stat"; }
rss() { awk '/^VmRSS:/ { printf "%.1f\n", $2 / 1024 }' "/proc/$1/status"; }
w0=$(cpu "${PIDS[0]}")
e0=$(cpu "${PIDS[1]}")
l0=$(cut -d' ' -f1 /proc/loadavg)
sleep "$SECONDS_RUN"
w1=$(cpu "${PIDS[0]}")
e1=$(cpu "${PIDS[1]}")
wr=$(rss "${PIDS[0]}")
er=$(rss "${PIDS[1]}")
load="$l0 -> $(cut -d' ' -f1 /proc/loadavg)"
grep -q "following the engine's events" "$WORK/events.log" || { cat "$WORK/events.log" >&2; die "the control plane does not follow events"; }
# what the edge serves, as the control plane says: "serving routes R, clusters C (N release clusters)"
releases=$(grep -o '([0-9]* release clusters)' "$WORK/events.log" | tail -1 | tr -dc 0-9)
on_stop
PIDS=()

mkdir -p bench/results
OUT=bench/results/cp-reads-$(date -u +%Y%m%dT%H%M%SZ).json
python3 - "$w0" "$w1" "$e0" "$e1" "$wr" "$er" "$SECONDS_RUN" "$releases" "$load" "$OUT" "$(git rev-parse --short HEAD)" <<'PY'
import json, sys
w0, w1, e0, e1, wr, er, s = map(float, sys.argv[1:8])
releases, load, out, commit = int(sys.argv[8]), sys.argv[9], sys.argv[10], sys.argv[11]
whole, events = (w1 - w0) / s, (e1 - e0) / s
print(f"{'control plane':<46} {'CPU s per s':>11} {'RSS MB':>7}")
print(f"{'whole edge every second (--resync 1s)':<46} {whole:>11.4f} {wr:>7.1f}")
print(f"{'events + tasks every second (as shipped)':<46} {events:>11.4f} {er:>7.1f}")
ratio = round(whole / events, 2) if events > 0 else None
print(f"\nratio whole-every-second / events: {ratio}  ({releases} release clusters, {s:.0f} s, load {load})")
json.dump({"commit": commit, "release_clusters": releases, "seconds": s, "load": load,
           "whole_every_second": {"cpu_per_s": whole, "rss_mb": wr}, "events": {"cpu_per_s": events, "rss_mb": er},
           "ratio": ratio}, open(out, "w"), indent=1)
print(f"wrote {out}")
PY
