#!/usr/bin/env bash
# Benchmark: deploy→healthy time of `swarm-canary deploy` against the raw docker CLI doing the same work
# (new secret + 2-replica service from swarm-canary/testapp, wait until both tasks are running and healthy).
# Usage: bench/deploy.sh [ROUNDS] [--edge]   (default 5 rounds). Needs the test bed (run here) and target/swarm-canary.jar.
# --edge: deploy → routable. swarm-canary deploys with a --domain onto an xds edge this run creates (port BENCH_PORT,
# default 10250) and returns once the edge routes the release (every Envoy has ACKed it and found a healthy task of it);
# the raw side is unchanged (create + healthy: what #19's goal compares, the edge's work is swarm-canary's extra).
# SC_BED=3 runs it on the three-node bed (images from its registry with the login; raw docker resolves the digest and
# sends the login too, as swarm-canary does, and its health is read on every node).
# Prints per-round times, median/min/max and the median ratio; writes bench/results/deploy-<timestamp>.json.
set -euo pipefail
shopt -s inherit_errexit  # a failure inside $(...) must fail the run, not yield a bogus time

ROUNDS=5
EDGE_MODE=false
for arg in "$@"; do
  case $arg in
    --edge) EDGE_MODE=true ;;
    *) [[ $arg =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS] [--edge]  (ROUNDS: a positive integer)" >&2; exit 2; }
      ROUNDS=$arg ;;
  esac
done
PORT=${BENCH_PORT:-10250}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=swarm-canary/testapp:latest
REPLICAS=2
RAW_POLL=0.25        # seconds between raw readiness polls (swarm-canary polls every 0.3s)
RAW_TIMEOUT=300      # seconds, like swarm-canary's default --timeout 5m
# A per-run id in every name, so cleanup touches only what this run created (others share the swarm).
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
SC_PREFIX=benchsc$RUN_ID
RAW_PREFIX=benchraw$RUN_ID
EDGE=benchdeployedge$RUN_ID

say() { echo "bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

WORK=$(mktemp -d)
# Removes this run's services, waits for their containers to go, then removes this run's secrets.
cleanup() {
  local services secrets
  services=$(docker service ls --format '{{.Name}}' | grep -E "^($SC_PREFIX|$RAW_PREFIX)" || true)
  if [[ -n $services ]]; then
    # shellcheck disable=SC2086 # one name per word
    docker service rm $services >/dev/null || true
  fi
  wait_containers_gone
  secrets=$(docker secret ls --format '{{.Name}}' | grep -E "^($SC_PREFIX|$RAW_PREFIX)" || true)
  if [[ -n $secrets ]]; then
    # shellcheck disable=SC2086 # one name per word
    docker secret rm $secrets >/dev/null || say "could not remove secrets: $secrets"
  fi
  ! $EDGE_MODE || bench_rm_edge "$EDGE" "^$EDGE(-xds)?\$"
}
# Secrets stay "in use" until the tasks' containers are gone; also keeps teardown out of the next timing.
wait_containers_gone() {
  local _
  for _ in $(seq 1 120); do
    bench_every_node ps -a --format '{{.Label "com.docker.swarm.service.name"}}' | grep -qE "^($SC_PREFIX|$RAW_PREFIX)" ||
      return 0
    sleep 0.25
  done
  say "containers of $SC_PREFIX*/$RAW_PREFIX* still present after 30s"
}
on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  say "cleaning up $SC_PREFIX* and $RAW_PREFIX*"
  cleanup
  rm -rf "$WORK"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

# ------------------------------------------------------------------ set-up
cd "$ROOT"
ENVOY_IMAGE=swarm-canary/envoy:latest
bench_bed
# one node: no registry, the image is on the node (as --no-resolve-image); the bed: resolved and pulled with the login
RAW_IMAGE_FLAGS=(--no-resolve-image)
[[ ${SC_BED:-1} != 3 ]] || RAW_IMAGE_FLAGS=(--with-registry-auth)
! $EDGE_MODE || bench_port_free "$PORT"
copy_jar
export SWARM_CANARY_JAR=$WORK/swarm-canary.jar
SC_VERSION=$(java -jar "$SWARM_CANARY_JAR" --version)
# Recorded because the JVM side is CPU-bound and moves with machine load; the raw side mostly sleeps.
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)

EDGE_FLAGS=()
if $EDGE_MODE; then
  CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") || { cat "$WORK/image.out" >&2; die "control plane image"; }
  bin/swarm-canary edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" --delivery xds \
    --control-plane-image "$CP_IMAGE" --probe-host "$PROBE" -q >"$WORK/edge.out" 2>&1 ||
    { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
  say "xds edge $EDGE on port $PORT: swarm-canary's side returns once the edge routes each release"
fi

# ------------------------------------------------------------------ the two contenders
# swarm-canary: one command, returns when every task is running and healthy.
run_sc() { # round
  $EDGE_MODE && EDGE_FLAGS=(--edge "$EDGE" --probe-host "$PROBE" --domain "$SC_PREFIX$1.bench.test")
  BENCH_SECRET="bench-$RUN_ID-$1-$RANDOM" bin/swarm-canary deploy --app "$SC_PREFIX$1" --env bench \
    --version "1.0.$1" --image "$IMAGE" --replicas "$REPLICAS" --secret db_password=env:BENCH_SECRET \
    --env READY_DELAY=0 "${EDGE_FLAGS[@]}" -q >"$WORK/sc.out" 2>&1 || { cat "$WORK/sc.out" >&2; die "swarm-canary deploy failed"; }
}

# Raw docker: create secret + service, then poll until REPLICAS tasks are Running and their containers healthy.
# Sets RAW_CREATE and RAW_WAIT (seconds) to show where the raw time goes.
run_raw() { # round
  local name=$RAW_PREFIX$1 t0 t1 t2 running healthy failed deadline
  export BENCH_SECRET="bench-$RUN_ID-$1-$RANDOM"
  t0=$(now)
  printf %s "$BENCH_SECRET" | docker secret create "$name-db_password" - >/dev/null
  docker service create --detach "${RAW_IMAGE_FLAGS[@]}" --name "$name" --endpoint-mode dnsrr \
    --replicas "$REPLICAS" --secret "source=$name-db_password,target=db_password" --env READY_DELAY=0 \
    "$IMAGE" >/dev/null
  t1=$(now)
  deadline=$((SECONDS + RAW_TIMEOUT))
  while :; do
    # Swarm keeps a task "Starting" until its HEALTHCHECK passes; container health too (on every node).
    running=$(docker service ps "$name" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true)
    healthy=$(bench_every_node ps -q --filter "label=com.docker.swarm.service.name=$name" --filter health=healthy | wc -l)
    ((running >= REPLICAS && healthy >= REPLICAS)) && break
    # Fail fast like swarm-canary does, instead of waiting out the timeout.
    failed=$(docker service ps "$name" --format '{{.CurrentState}} {{.Error}}' | grep -E '^(Failed|Rejected)' || true)
    [[ -z $failed ]] || die "raw service $name: tasks failed: $failed"
    ((SECONDS < deadline)) || die "raw service $name: not ready after ${RAW_TIMEOUT}s ($running running, $healthy healthy)"
    sleep "$RAW_POLL"
  done
  t2=$(now)
  RAW_CREATE=$(elapsed "$t0" "$t1")
  RAW_WAIT=$(elapsed "$t1" "$t2")
}

# Removes one round's services (untimed) so every round starts from the same, empty swarm state.
end_round() {
  local services
  services=$(docker service ls --format '{{.Name}}' | grep -E "^($SC_PREFIX|$RAW_PREFIX)" || true)
  # shellcheck disable=SC2086 # one name per word
  [[ -z $services ]] || docker service rm $services >/dev/null
  wait_containers_gone
}

timed() { # command... ; prints seconds
  local t0
  t0=$(now)
  "$@" >/dev/null || return
  elapsed "$t0" "$(now)"
}

# ------------------------------------------------------------------ rounds
say "swarm-canary $SC_VERSION, docker $(docker version -f '{{.Server.Version}}') on $(docker node ls -q | wc -l) node(s), run id $RUN_ID, rounds: $ROUNDS"
say "warm-up (untimed)"
run_sc 0
run_raw 0
end_round

declare -a SC RAW RAWC RAWW JVM ORDER
for ((r = 1; r <= ROUNDS; r++)); do
  # Alternate who goes first, to cancel warm-up and caching effects.
  if ((r % 2)); then
    ORDER[r]="sc,raw"
    SC[r]=$(timed run_sc "$r")
    t0=$(now); run_raw "$r"; RAW[r]=$(elapsed "$t0" "$(now)")
  else
    ORDER[r]="raw,sc"
    t0=$(now); run_raw "$r"; RAW[r]=$(elapsed "$t0" "$(now)")
    SC[r]=$(timed run_sc "$r")
  fi
  RAWC[r]=$RAW_CREATE
  RAWW[r]=$RAW_WAIT
  # JVM start + picocli, no Docker: the fixed cost every swarm-canary command pays.
  JVM[r]=$(timed java -jar "$SWARM_CANARY_JAR" --version)
  say "round $r/$ROUNDS (${ORDER[r]}): swarm-canary ${SC[r]}s, raw ${RAW[r]}s, jvm ${JVM[r]}s"
  end_round
done

# ------------------------------------------------------------------ report
stats() { # values... ; prints "median min max"
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.3f %.3f %.3f", m, v[1], v[NR] }'
}
read -r sc_med sc_min sc_max <<<"$(stats "${SC[@]}")"
read -r raw_med raw_min raw_max <<<"$(stats "${RAW[@]}")"
read -r rawc_med rawc_min rawc_max <<<"$(stats "${RAWC[@]}")"
read -r raww_med raww_min raww_max <<<"$(stats "${RAWW[@]}")"
read -r jvm_med jvm_min jvm_max <<<"$(stats "${JVM[@]}")"
ratio=$(awk -v a="$sc_med" -v b="$raw_med" 'BEGIN { printf "%.2f", a / b }')

row() { printf '%-7s %-8s %13s %9s %12s %10s %12s\n' "$@"; }
row round order swarm-canary raw raw:create raw:wait "JVM startup"
for ((r = 1; r <= ROUNDS; r++)); do
  row "$r" "${ORDER[r]}" "${SC[r]}" "${RAW[r]}" "${RAWC[r]}" "${RAWW[r]}" "${JVM[r]}"
done
row median "" "$sc_med" "$raw_med" "$rawc_med" "$raww_med" "$jvm_med"
row min "" "$sc_min" "$raw_min" "$rawc_min" "$raww_min" "$jvm_min"
row max "" "$sc_max" "$raw_max" "$rawc_max" "$raww_max" "$jvm_max"
if $EDGE_MODE; then
  echo "(seconds, wall clock: swarm-canary from start to routable by the xds edge, raw from start to healthy; raw = raw:create + raw:wait)"
else
  echo "(seconds, wall clock from start to healthy; raw = raw:create + raw:wait)"
fi
echo "ratio swarm-canary/raw = $ratio"
LOAD_END=$(cut -d' ' -f1 /proc/loadavg)
echo "(1-min load average: $LOAD_START at start, $LOAD_END at end, on $(nproc) CPUs)"

# ------------------------------------------------------------------ JSON
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/deploy-$stamp.json
nums() { local IFS=,; echo "[$*]"; }
jq -n --arg stamp "$stamp" --arg run "$RUN_ID" --arg scv "$SC_VERSION" --arg commit "$(git rev-parse --short HEAD)" \
  --arg docker "$(docker version -f '{{.Server.Version}}')" --argjson rounds "$ROUNDS" --argjson replicas "$REPLICAS" \
  --arg orders "${ORDER[*]:1}" --argjson sc "$(nums "${SC[@]}")" --argjson raw "$(nums "${RAW[@]}")" \
  --argjson rawc "$(nums "${RAWC[@]}")" --argjson raww "$(nums "${RAWW[@]}")" --argjson jvm "$(nums "${JVM[@]}")" \
  --argjson ratio "$ratio" --argjson load0 "$LOAD_START" --argjson load1 "$LOAD_END" --argjson cpus "$(nproc)" \
  --argjson nodes "$(docker node ls -q | wc -l)" --arg image "$IMAGE" \
  --arg mode "$($EDGE_MODE && echo routable-by-xds-edge || echo healthy)" '
  def summary(v): (v | sort) as $s | {
    median: (if ($s | length) % 2 == 1 then $s[($s | length - 1) / 2]
             else ($s[($s | length) / 2 - 1] + $s[($s | length) / 2]) / 2 end),
    min: $s[0], max: $s[-1], rounds: v };
  { benchmark: "deploy", timestamp: $stamp, run_id: $run, swarm_canary_version: $scv, git_commit: $commit,
    docker_version: $docker, nodes: $nodes, rounds: $rounds, replicas: $replicas, image: $image, swarm_canary_until: $mode,
    order: ($orders | split(" ")), unit: "seconds",
    swarm_canary: summary($sc), raw: summary($raw), raw_create: summary($rawc), raw_wait: summary($raww),
    jvm_startup: summary($jvm), ratio_median_swarm_canary_over_raw: $ratio,
    load_avg_1min: { start: $load0, end: $load1, cpus: $cpus } }' >"$out"
say "results: $out"
