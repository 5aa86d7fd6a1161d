#!/usr/bin/env bash
# Benchmark: one xds edge with 1, 10 and 100 tracks (2 releases each, the canary at 10%): per size, `shift` wall time
# of one track (whole process through bin/swarm-canary, JVM start included, median of ROUNDS), the control plane's CPU
# seconds per change and per second idle, the time from the change (the edge's service update) to every Envoy ACKed
# (the control plane's own /status, polled through the edge's stats host), and the control plane's memory. Yardsticks in
# the same run: `docker service update --label-add` of the same edge at each size, the 1-track figures, and a shift on
# a second edge that keeps one track, next to every measured shift (after it in odd rounds, before it in even ones):
# the goal's ratio, as the sizes are minutes apart and a 2-core machine's load drifts more than the effect meanwhile.
# Usage: bench/scale.sh [--sizes 1,10,100] [--rounds 3] [--keep]
#   --sizes   track counts, ascending (tracks are added between sizes, never removed); --sizes 1,10 for a quick run
#   --rounds  shifts measured per size (median reported; at least 3 for the goal)
#   --keep    leave the edge and its tracks in place at the end (prints how to remove them)
# Env knobs: BENCH_PORT (10230; the edge's listener), BENCH_REF_PORT (10232; the one-track reference edge's listener),
#            BENCH_PARALLEL (4: tracks created at once), BENCH_IDLE (10 s of no change, to measure the control plane's
#            CPU while nothing changes).
# One-node bed only (the control plane's CPU and memory are read from this host's /proc and cgroups).
# Tracks are made with the product's own commands (deploy 1.0.0, deploy 2.0.0, shift --weight 10), BENCH_PARALLEL tracks
# at a time: the edge's optimistic concurrency makes them retry each other's writes, as pipelines of several teams do.
# Their releases run the test app with its health check off (a compose file written here): 200 Docker health checks a second
# would measure dockerd, not swarm-canary, on a 2-core machine.
# Prints a table and the ratios; writes bench/results/scale-<timestamp>.json.
set -euo pipefail
shopt -s inherit_errexit

SIZES=1,10,100
ROUNDS=3
KEEP=false
usage() { echo "usage: $0 [--sizes 1,10,100] [--rounds N] [--keep]" >&2; exit 2; }
while (($#)); do
  case $1 in
    --sizes) [[ ${2:-} =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || usage; SIZES=$2; shift 2 ;;
    --rounds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; ROUNDS=$2; shift 2 ;;
    --keep) KEEP=true; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    *) usage ;;
  esac
done
IFS=, read -r -a SIZE_LIST <<<"$SIZES"
prev=0
for n in "${SIZE_LIST[@]}"; do
  ((n > prev)) || { echo "--sizes must be ascending, got $SIZES" >&2; exit 2; }
  ((n <= 500)) || { echo "--sizes: at most 500 tracks, got $n" >&2; exit 2; }
  prev=$n
done
PORT=${BENCH_PORT:-10230}
REF_PORT=${BENCH_REF_PORT:-10232}
PARALLEL=${BENCH_PARALLEL:-4}
IDLE=${BENCH_IDLE:-10}
[[ ${SC_BED:-1} == 1 ]] || { echo "bench/scale.sh runs on the one-node bed only (SC_BED=1)" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=benchscaleedge$RUN_ID
REF_EDGE=benchscaleref$RUN_ID # one track all along: the interleaved yardstick of every measured shift
APP=bsc$RUN_ID # + t<NNN> per track
ENVNAME=bench
IMAGE=swarm-canary/testapp:latest
ENVOY_IMAGE=swarm-canary/envoy:latest

say() { echo "bench: $(date -u +%H:%M:%S) $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
WORK=$(mktemp -d)
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POLL_PID=
stop_poller() {
  if [[ -n $POLL_PID ]]; then
    kill -TERM "$POLL_PID" 2>/dev/null || true
    wait "$POLL_PID" 2>/dev/null || true
    POLL_PID=
  fi
}
cleanup() {
  if [[ $KEEP == true ]]; then
    say "--keep: edge $EDGE (port $PORT) and tracks ${APP}t*-$ENVNAME left in place; remove them with:"
    say "  docker service rm \$(docker service ls -q --filter name=${APP}t) $EDGE $EDGE-xds; docker network rm $EDGE-net $EDGE-xds-net"
  else
    say "cleaning up $EDGE and its tracks"
    bench_rm_edge "$EDGE" "^(${APP}t[0-9]+-|$EDGE(-xds)?\$)"
  fi
  bench_rm_edge "$REF_EDGE" "^(${APP}r[0-9]+-|$REF_EDGE(-xds)?\$)"
}
on_stop() { stop_poller; }
bench_traps

cd "$ROOT"
bench_start "$PORT"
bench_port_free "$REF_PORT"
# what a user runs: bin/swarm-canary (tuned JVM + the class-data-sharing archive it makes next to the jar)
export SWARM_CANARY_JAR=$WORK/swarm-canary.jar
sc() { bin/swarm-canary "$@"; }
now() { echo "$EPOCHREALTIME"; }
stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

# cp_cpu: CPU seconds the control plane's container has used (its cgroup's cpuacct, else its JVM's utime+stime)
cp_cpu() {
  local path ticks
  path=$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3 }' "/proc/$CP_PID/cgroup" 2>/dev/null || true)
  if [[ -n $path && -r /sys/fs/cgroup/cpuacct$path/cpuacct.usage ]]; then
    awk '{ printf "%.3f\n", $1 / 1e9 }' "/sys/fs/cgroup/cpuacct$path/cpuacct.usage"
  elif path=$(awk -F: '$1 == 0 { print $3 }' "/proc/$CP_PID/cgroup") && [[ -r /sys/fs/cgroup$path/cpu.stat ]]; then
    awk '$1 == "usage_usec" { printf "%.3f\n", $2 / 1e6 }' "/sys/fs/cgroup$path/cpu.stat"
  else
    ticks=$(getconf CLK_TCK)
    awk -v t="$ticks" '{ sub(/^.*\) /, ""); printf "%.3f\n", ($12 + $13) / t }' "/proc/$CP_PID/stat"
  fi
}
# cp_memory: "<RSS MB of the JVM> <docker stats memory MB of the container>"
cp_memory() {
  local rss stats
  rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$CP_PID/status")
  stats=$(docker stats --no-stream --format '{{.MemUsage}}' "$CP_CID" | awk '{ print $1 }')
  python3 -c 'import re, sys
m = re.fullmatch(r"([0-9.]+)([KMG]i?B|B)", sys.argv[1])
f = {"B": 1 / 2**20, "KiB": 1 / 1024, "MiB": 1, "GiB": 1024, "kB": 1e3 / 2**20, "MB": 1e6 / 2**20, "GB": 1e9 / 2**20}
print(sys.argv[2], f"{float(m.group(1)) * f[m.group(2)]:.1f}" if m else "-")' "$stats" "$rss"
}

# ------------------------------------------------------------------ set-up (untimed)
say "swarm-canary $(java -jar "$SWARM_CANARY_JAR" --version), run $RUN_ID: edge $EDGE (xds) on port $PORT, sizes $SIZES,"\
" $ROUNDS rounds, $PARALLEL tracks created at once"
CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") || { cat "$WORK/image.out" >&2; die "control plane image"; }
sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" --delivery xds --control-plane-image "$CP_IMAGE" \
  --probe-host "$PROBE" -q >"$WORK/edge.out" 2>&1 || { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
sc edge ensure --edge "$REF_EDGE" --port "$REF_PORT" --image "$ENVOY_IMAGE" --delivery xds --control-plane-image "$CP_IMAGE" \
  --probe-host "$PROBE" -q >"$WORK/ref-edge.out" 2>&1 || { cat "$WORK/ref-edge.out" >&2; die "edge ensure (reference) failed"; }
CP_CID=$(docker ps -q --no-trunc --filter "label=com.docker.swarm.service.name=$EDGE-xds" | head -1)
[[ -n $CP_CID ]] || die "no running container of the control plane $EDGE-xds"
CP_PID=$(docker inspect -f '{{.State.Pid}}' "$CP_CID")
sc canary-token --stats --edge "$EDGE" --probe-host "$PROBE" --ttl 2h --out "$WORK/stats.token" -q >/dev/null ||
  die "canary-token --stats failed"

cat >"$WORK/app.yml" <<'YAML'
services:
  app:
    image: swarm-canary/testapp:latest
    healthcheck:
      disable: true
    deploy:
      replicas: 1
      resources:
        limits: { cpus: "0.05", memory: 16M }
YAML
# make_track I [EDGE APP]: the product's own three commands for track I (on the measured edge, or EDGE as APP); its
# output in $WORK/track-I.log
make_track() {
  local i=$1 edge=${2:-$EDGE} app=${3:-${APP}t$(printf '%03d' "$1")}
  {
    for v in 1.0.0 2.0.0; do
      sc deploy --compose "$WORK/app.yml" --service app --image "$IMAGE" --edge "$edge" --probe-host "$PROBE" \
        --app "$app" --env "$ENVNAME" --version "$v" --env "APP_VERSION=$v" --domain "$app.scale.test" -q || return 1
    done
    sc shift --edge "$edge" --probe-host "$PROBE" --app "$app" --env "$ENVNAME" --weight 10 -q
  } >"$WORK/track-$i.log" 2>&1
}
export -f make_track sc
export APP EDGE PROBE ENVNAME IMAGE WORK
# the class-data-sharing archive, made once before commands run in parallel (untimed)
sc status --edge "$EDGE" --probe-host "$PROBE" >/dev/null 2>&1 || die "status (making the CDS archive) failed"
make_track ref "$REF_EDGE" "${APP}r001" || { tail -5 "$WORK/track-ref.log" >&2; die "the reference edge's track failed"; }

: >"$WORK/rounds.tsv"
: >"$WORK/sizes.tsv"
TIMEFORMAT='%R %U %S'
have=0
weight=10
ref_weight=10
# ref_shift: the yardstick, the same shift on the one-track edge (its control plane is not the one measured); sets ref_wall
ref_shift() {
  local t
  ref_weight=$((ref_weight == 20 ? 30 : 20))
  t=$({ time sc shift --edge "$REF_EDGE" --probe-host "$PROBE" --app "${APP}r001" --env "$ENVNAME" --weight "$ref_weight" \
    >/dev/null 2>"$WORK/ref-shift.err"; } 2>&1) || { cat "$WORK/ref-shift.err" >&2; die "shift on the reference edge failed"; }
  ref_wall=${t%% *}
  sleep 1
}
for n in "${SIZE_LIST[@]}"; do
  # -------------------------------------------------------------- grow to n tracks
  say "creating tracks $((have + 1))..$n ($PARALLEL at a time)"
  t0=$(now)
  if ! seq $((have + 1)) "$n" | xargs -P "$PARALLEL" -I{} bash -c 'make_track {}'; then
    for f in "$WORK"/track-*.log; do [[ ! -s $f ]] || { say "${f##*/}:"; tail -5 "$f" >&2; }; done
    die "creating tracks failed"
  fi
  setup_s=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  have=$n
  say "$n tracks ($((2 * n)) releases) in ${setup_s}s; letting the control plane settle"
  sleep 5
  # -------------------------------------------------------------- idle: nothing changes
  c0=$(cp_cpu)
  sleep "$IDLE"
  idle=$(awk -v a="$c0" -v b="$(cp_cpu)" -v s="$IDLE" 'BEGIN { printf "%.4f", (b - a) / s }')
  # -------------------------------------------------------------- rounds: one shift of track 1 each
  for r in $(seq 1 "$ROUNDS"); do
    ((r % 2 == 1)) || ref_shift # the yardstick before the measured shift in even rounds, after it in odd ones
    t=$({ time docker service update --detach --label-add "bench.round=$n-$r" "$EDGE" >/dev/null 2>&1; } 2>&1) ||
      die "docker service update --label-add failed"
    label_wall=${t%% *}
    sleep 2 # the label change is read by the control plane's next poll; not counted in the shift
    weight=$((weight == 20 ? 30 : 20))
    python3 bench/cp_status.py --target "$PROBE" --port "$PORT" --token-file "$WORK/stats.token" \
      --out "$WORK/poll-$n-$r.tsv" --interval 0.05 2>/dev/null &
    POLL_PID=$!
    sleep 0.5
    ca=$(cp_cpu)
    a=$(now)
    set +e
    t=$({ time sc shift --edge "$EDGE" --probe-host "$PROBE" --app "${APP}t001" --env "$ENVNAME" --weight "$weight" \
      2> >(stamp >"$WORK/shift-$n-$r.err") >/dev/null; } 2>&1)
    rc=$?
    set -e
    b=$(now)
    cb=$(cp_cpu)
    sleep 1
    stop_poller
    ((rc == 0)) || { cut -d' ' -f2- "$WORK/shift-$n-$r.err" >&2; die "shift at $n tracks failed (exit $rc)"; }
    read -r wall user sys <<<"$t"
    ((r % 2 == 0)) || ref_shift
    # the change: the CLI's "updating edge ... to revision R" line; ACKed: the first poll with every Envoy on R
    read -r t_change revision < <(awk '/updating edge .* to revision / {
      for (i = 1; i <= NF; i++) if ($i == "revision") { print $1, $(i + 1); exit } }' "$WORK/shift-$n-$r.err") || true
    [[ -n ${revision:-} ]] || die "shift at $n tracks: no 'updating edge ... to revision' line in its progress"
    t_ack=$(awk -F'\t' -v rev="$revision" '!/^#/ && $3 == rev && $5 > 0 && $6 == $5 { print $2; exit }' "$WORK/poll-$n-$r.tsv")
    ack=$(awk -v a="$t_change" -v b="${t_ack:-}" 'BEGIN { if (b == "") print "null"; else printf "%.3f", b - a }')
    printf '%s\t%s\t%s\t%.3f\t%s\t%s\t%.3f\t%s\t%s\n' "$n" "$r" "$wall" "$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
      "$(awk -v x="$ca" -v y="$cb" 'BEGIN { printf "%.3f", y - x }')" "$(awk -v x="$a" -v y="$b" 'BEGIN { printf "%.3f", y - x }')" \
      "$label_wall" "$ack" "$ref_wall" >>"$WORK/rounds.tsv"
    say "$n tracks, round $r: shift ${wall}s (cli cpu $user+$sys s), every Envoy ACKed ${ack}s after the change;"\
" the one-track edge's shift next to it ${ref_wall}s"
  done
  read -r rss mem < <(cp_memory)
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$setup_s" "$idle" "$rss" "$mem" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$WORK/sizes.tsv"
  say "$n tracks: control plane RSS ${rss} MB (docker stats ${mem} MB), idle ${idle} CPU s/s, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

# ------------------------------------------------------------------ report
mkdir -p bench/results
OUT=bench/results/scale-$(date -u +%Y%m%dT%H%M%SZ).json
python3 bench/scale_report.py "$WORK/rounds.tsv" "$WORK/sizes.tsv" "$OUT" --run "$RUN_ID" \
  --commit "$(git rev-parse --short HEAD)" --parallel "$PARALLEL"
