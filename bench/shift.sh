#!/usr/bin/env bash
# Benchmark: `swarm-canary shift` with the `redeploy` (or `xds`) delivery, under constant load through Envoy.
# Usage: bench/shift.sh [SHIFTS]   SHIFTS = canary weights, e.g. "5,25,50,100" (the default) or "5 25 50 100".
# Env knobs: BENCH_PORT (10095), BENCH_RATE (100 req/s), BENCH_STEADY (10 s of load after each shift returns),
#            BENCH_BASELINE (5 s of load before the first shift), BENCH_DELIVERY (redeploy; xds runs the control
#            plane from a private image of the jar, status on BENCH_PORT+1), BENCH_OUT (result file path).
# bench/xds.sh runs this once per delivery and compares them.
# Scenario: a private edge (benchedge<id>) and track (benchshift<id>-bench), v1.0.0 and v2.0.0 with 2 replicas
# each (v1 at 100%), bench/load.py sending BENCH_RATE req/s to the track's domain the whole time, then one
# shift per weight. Per shift it measures the CLI's wall time, the time until a client first sees the new
# revision (x-swarm-canary-revision on the smoke host, polled by curl), the requests and failures while the
# shift runs and during the steady load after it, and the canary share observed after it.
# Prints a table; writes bench/results/shift-<timestamp>.json (+ .load.tsv, the raw per-request log).
set -euo pipefail
shopt -s inherit_errexit

SHIFTS_ARG=${*:-5,25,50,100}
read -r -a SHIFTS <<<"${SHIFTS_ARG//,/ }"
((${#SHIFTS[@]} > 0)) || { echo "usage: $0 [SHIFTS]  (weights 0-100, e.g. 5,25,50,100)" >&2; exit 2; }
for w in "${SHIFTS[@]}"; do
  if [[ $w =~ ^[0-9]+$ ]] && ((w <= 100)); then continue; fi
  { echo "usage: $0 [SHIFTS]  (weights 0-100, e.g. 5,25,50,100): bad '$w'" >&2; exit 2; }
done
PORT=${BENCH_PORT:-10095}
RATE=${BENCH_RATE:-100}
STEADY=${BENCH_STEADY:-10}
BASELINE=${BENCH_BASELINE:-5}
DELIVERY=${BENCH_DELIVERY:-redeploy}
[[ $DELIVERY == redeploy || $DELIVERY == xds ]] || { echo "BENCH_DELIVERY must be redeploy or xds, got '$DELIVERY'" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=benchedge$RUN_ID
APP=benchshift$RUN_ID
ENVNAME=bench
TRACK=$APP-$ENVNAME
DOMAIN=$APP.bench.test
IMAGE=swarm-canary/testapp:latest
ENVOY_IMAGE=swarm-canary/envoy:latest
STABLE=1.0.0
CANARY=2.0.0

say() { echo "bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
now() { echo "$EPOCHREALTIME"; }

WORK=$(mktemp -d)
LOAD_PID=
POLL_PID=
stop_poller() {
  if [[ -n $POLL_PID ]]; then
    kill "$POLL_PID" 2>/dev/null || true
    wait "$POLL_PID" 2>/dev/null || true
    POLL_PID=
  fi
}
stop_load() {
  if [[ -n $LOAD_PID ]]; then
    kill -TERM "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=
  fi
}
# Only what this run created: its edge service, its releases, the edge's configs and network.
mine_services() { docker service ls --format '{{.Name}}' | grep -E "^($EDGE|$EDGE-xds|$TRACK-.*)\$" || true; }
cleanup() {
  local services _ configs
  services=$(mine_services)
  # shellcheck disable=SC2086 # one name per word
  [[ -z $services ]] || docker service rm $services >/dev/null || true
  for _ in $(seq 1 120); do # configs and the network stay in use until the containers are gone
    docker ps -a --format '{{.Label "com.docker.swarm.service.name"}}' | grep -qE "^($EDGE|$EDGE-xds|$TRACK-.*)\$" || break
    sleep 0.25
  done
  configs=$(docker config ls --format '{{.Name}}' | grep -E "^$EDGE-config-" || true)
  # shellcheck disable=SC2086
  [[ -z $configs ]] || docker config rm $configs >/dev/null || say "could not remove configs: $configs"
  for net in "$EDGE-net" "$EDGE-xds-net"; do # an xds edge's control-plane network too
    if docker network inspect "$net" >/dev/null 2>&1; then
      docker network rm "$net" >/dev/null || say "could not remove network $net"
    fi
  done
  [[ $DELIVERY != xds ]] || bench_rm_cli_image "$EDGE-cli:latest"
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_poller
  stop_load
  say "cleaning up edge $EDGE and track $TRACK"
  cleanup
  rm -rf "$WORK"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

cd "$ROOT"
# Port already taken (a leftover of an earlier run, or someone else)? Then the numbers would be someone else's.
bench_bed
if curl -s -m 1 -o /dev/null "http://$PROBE:$PORT/"; then
  die "port $PORT already answers; is another edge running there? (docker service ls)"
fi
copy_jar
sc() { java -jar "$WORK/swarm-canary.jar" "$@"; }
SC_VERSION=$(sc --version)
LOAD_START_AVG=$(cut -d' ' -f1 /proc/loadavg)

# The revision the live Envoy serves now (the smoke host's x-swarm-canary-revision), "-" if no answer.
revision() {
  local r
  r=$(curl -s -m 1 -o /dev/null -D - -H 'Host: proxy_test' "http://$PROBE:$PORT/" 2>/dev/null |
    tr -d '\r' | awk -F': *' 'tolower($1) == "x-swarm-canary-revision" { print $2 }') || true
  echo "${r:--}"
}
stamp() { local l; while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }
# Background poller: "<curl start> <curl end> <revision>" every ~50 ms until killed.
poller() {
  local t r
  while :; do
    t=$EPOCHREALTIME
    r=$(revision)
    echo "$t $EPOCHREALTIME $r"
    sleep 0.05
  done
}

# ------------------------------------------------------------------ set-up (untimed)
say "swarm-canary $SC_VERSION, run id $RUN_ID: edge $EDGE on port $PORT, track $TRACK ($DOMAIN), shifts ${SHIFTS[*]}"
DELIVERY_ARGS=(--delivery "$DELIVERY")
if [[ $DELIVERY == xds ]]; then
  CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") ||
    { cat "$WORK/image.out" >&2; die "building the control plane image failed"; }
  DELIVERY_ARGS+=(--control-plane-image "$CP_IMAGE")
fi
sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" "${DELIVERY_ARGS[@]}" -q >"$WORK/edge.out" 2>&1 ||
  { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
for v in "$STABLE" "$CANARY"; do
  sc deploy --edge "$EDGE" --app "$APP" --env "$ENVNAME" --version "$v" --image "$IMAGE" --env "APP_VERSION=$v" \
    --domain "$DOMAIN" --replicas 2 -q >"$WORK/deploy.out" 2>&1 ||
    { cat "$WORK/deploy.out" >&2; die "deploy $v failed"; }
done
body=$(curl -s -m 5 -H "Host: $DOMAIN" "http://$PROBE:$PORT/") || true
[[ $body == *"version=$STABLE "* ]] || die "track not served by the edge before the first shift: '$body'"

# ------------------------------------------------------------------ load + shifts
# Upper bound for the load generator; it is stopped with SIGTERM when the shifts are done.
LOAD_MAX=$((BASELINE + ${#SHIFTS[@]} * (STEADY + 240) + 60))
LOAD_LOG=$WORK/load.tsv
python3 bench/load.py --target "$TARGETS" --port "$PORT" --host-header "$DOMAIN" --rate "$RATE" --duration "$LOAD_MAX" \
  --out "$LOAD_LOG" 2>"$WORK/load.err" &
LOAD_PID=$!
LOAD_T0=$(now)
sleep "$BASELINE"

SHIFT_JSON=()
FAILED_SHIFTS=0
for i in "${!SHIFTS[@]}"; do
  w=${SHIFTS[i]}
  kill -0 "$LOAD_PID" 2>/dev/null || { cat "$WORK/load.err" >&2; die "load generator died"; }
  old=$(revision)
  poller >"$WORK/poll-$i.log" 2>/dev/null &
  POLL_PID=$!
  t_start=$(now)
  # JSON to a file; progress lines (stderr) time-stamped on arrival, to see where the time goes.
  set +e
  sc shift --edge "$EDGE" --app "$APP" --env "$ENVNAME" --weight "$w" -o json 2>&1 >"$WORK/shift-$i.json" |
    stamp >"$WORK/shift-$i.err"
  rc=${PIPESTATUS[0]}
  set -e
  t_return=$(now)
  new=$(jq -r '.revision // "-"' "$WORK/shift-$i.json" 2>/dev/null || echo -)
  cli_s=$(jq -r '.seconds // null' "$WORK/shift-$i.json" 2>/dev/null || echo null)
  if ((rc != 0)); then
    FAILED_SHIFTS=$((FAILED_SHIFTS + 1))
    say "shift to $w failed (exit $rc):"
    cut -d' ' -f2- "$WORK/shift-$i.err" | sed 's/^/  /' >&2
  fi
  say "shift $w: $(awk -v a="$t_start" -v b="$t_return" 'BEGIN { printf "%.2f", b - a }')s, revision $old -> $new (exit $rc)"
  sleep "$STEADY"
  stop_poller
  t_end=$(now)
  SHIFT_JSON+=("$(jq -n --argjson w "$w" --argjson rc "$rc" --arg old "$old" --arg new "$new" \
    --argjson cli "$cli_s" --argjson a "$t_start" --argjson b "$t_return" --argjson c "$t_end" \
    --arg poll "$WORK/poll-$i.log" --arg progress "$WORK/shift-$i.err" \
    '{weight: $w, exit_code: $rc, old_revision: $old, new_revision: $new, cli_seconds: $cli,
      t_start: $a, t_return: $b, t_end: $c, poll_log: $poll, progress_log: $progress}')")
done
stop_load
LOAD_T1=$(now)
LOAD_END_AVG=$(cut -d' ' -f1 /proc/loadavg)

# ------------------------------------------------------------------ report
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${BENCH_OUT:-bench/results/shift-$stamp.json}
printf '%s\n' "${SHIFT_JSON[@]}" | jq -s \
  --arg stamp "$stamp" --arg run "$RUN_ID" --arg scv "$SC_VERSION" --arg commit "$(git rev-parse --short HEAD)" \
  --arg docker "$(docker version -f '{{.Server.Version}}')" --arg edge "$EDGE" --arg track "$TRACK" \
  --arg domain "$DOMAIN" --argjson port "$PORT" --argjson rate "$RATE" --argjson steady "$STEADY" \
  --arg stable "$STABLE" --arg canary "$CANARY" --argjson t0 "$LOAD_T0" --argjson t1 "$LOAD_T1" \
  --argjson la0 "$LOAD_START_AVG" --argjson la1 "$LOAD_END_AVG" --argjson cpus "$(nproc)" --arg delivery "$DELIVERY" '
  { benchmark: "shift", delivery: $delivery, timestamp: $stamp, run_id: $run, swarm_canary_version: $scv,
    git_commit: $commit, docker_version: $docker, edge: $edge, track: $track, domain: $domain, port: $port,
    replicas: 2, stable_version: $stable, canary_version: $canary, rate: $rate, steady_s: $steady,
    load_start: $t0, load_stop: $t1, load_avg_1min: { start: $la0, end: $la1, cpus: $cpus },
    unit: "seconds", shifts: . }' >"$WORK/run.json"
python3 bench/shift_report.py "$WORK/run.json" "$LOAD_LOG" "$out"
cp "$LOAD_LOG" "${out%.json}.load.tsv"
echo "(1-min load average: $LOAD_START_AVG at start, $LOAD_END_AVG at end, on $(nproc) CPUs)"
say "results: $out (raw per-request log: ${out%.json}.load.tsv)"
((FAILED_SHIFTS == 0)) || die "$FAILED_SHIFTS shift(s) failed"
