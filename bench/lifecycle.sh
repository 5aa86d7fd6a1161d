#!/usr/bin/env bash
# Benchmark: a whole canary lifecycle, and separately a rollback, under constant load through Envoy.
# Usage: bench/lifecycle.sh
# Env knobs: BENCH_PORT (10202), BENCH_RATE (150 req/s), BENCH_STEADY (8 s of load after each step returns),
#            BENCH_BASELINE (6 s: the first baseline's "step"; the last one lasts the run's median step),
#            BENCH_DELIVERY (redeploy; xds builds a private control-plane image and uses BENCH_PORT+1 for its status).
# Scenario: a private edge (benchedge<id>) and track (benchlife<id>-bench) with v1.0.0 (2 replicas) at 100%;
# bench/load.py sends BENCH_RATE req/s to the track's domain for the whole run. Lifecycle: deploy v2.0.0 (canary at 0),
# shift 5, 25, 50, 100, promote, old release removed (docker service rm of v1.0.0: prune is not here yet). Rollback:
# deploy v3.0.0, shift 25, rollback. Per phase (the step's command, then BENCH_STEADY s of steady load) it reports the
# requests, the failed ones (while the command ran / in the steady part after it) and the new release's observed share
# of the 200s in the steady part against the configured weight, and the CLI's CPU seconds (user+sys) for the step.
# Two baseline phases bracket the run: the same load with no step running (a sleep as long as a step, then the steady
# part): a step's failures count against the product only at a rate the baseline serves without failures.
# Every failed request is attributed: Envoy's access log line of that request (joined by the User-Agent load.py sends)
# gives its response code and flags (UH no healthy upstream, UF upstream connection failure, UO overflow, UT upstream
# timeout, URX retries exhausted, NR no route, ...); a request Envoy did not log failed at the client (refused, reset,
# timeout). Envoy's cluster_manager.cluster_modified over the run is printed too: a CDS update must never re-create an
# unchanged cluster, so it should stay 0.
# Commands run through bin/swarm-canary (the tuned JVM and class-data-sharing archive users get).
# Prints a table; writes bench/results/lifecycle-<timestamp>.json (+ .load.tsv, the raw per-request log).
set -euo pipefail
shopt -s inherit_errexit

PORT=${BENCH_PORT:-10202}
RATE=${BENCH_RATE:-150}
STEADY=${BENCH_STEADY:-8}
BASELINE=${BENCH_BASELINE:-6}
DELIVERY=${BENCH_DELIVERY:-redeploy}
[[ $DELIVERY == redeploy || $DELIVERY == xds ]] || { echo "BENCH_DELIVERY must be redeploy or xds, got '$DELIVERY'" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=benchedge$RUN_ID
APP=benchlife$RUN_ID
ENVNAME=bench
TRACK=$APP-$ENVNAME
DOMAIN=$APP.bench.test
IMAGE=swarm-canary/testapp:latest
ENVOY_IMAGE=swarm-canary/envoy:latest

say() { echo "bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK=$(mktemp -d)
LOAD_PID=
mine_services() { docker service ls --format '{{.Name}}' | grep -E "^($EDGE|$EDGE-xds|$TRACK-.*)\$" || true; }
cleanup() {
  local services _ configs secrets
  say "cleaning up edge $EDGE and track $TRACK"
  services=$(mine_services)
  # shellcheck disable=SC2086 # one name per word
  [[ -z $services ]] || docker service rm $services >/dev/null || true
  for _ in $(seq 1 120); do # configs, secrets and the network stay in use until the containers are gone
    docker ps -a --format '{{.Label "com.docker.swarm.service.name"}}' | grep -qE "^($EDGE|$TRACK-.*)\$" || break
    sleep 0.25
  done
  configs=$(docker config ls --format '{{.Name}}' | grep -E "^$EDGE-config-" || true)
  # shellcheck disable=SC2086
  [[ -z $configs ]] || docker config rm $configs >/dev/null || say "could not remove configs: $configs"
  secrets=$(docker secret ls --format '{{.Name}}' | grep -E "^$TRACK-" || true)
  # shellcheck disable=SC2086
  [[ -z $secrets ]] || docker secret rm $secrets >/dev/null || say "could not remove secrets: $secrets"
  [[ $DELIVERY != xds ]] || bench_rm_cli_image "$EDGE-cli:latest"
  for net in "$EDGE-net" "$EDGE-xds-net"; do # an xds edge's control-plane network too
    if docker network inspect "$net" >/dev/null 2>&1; then
      docker network rm "$net" >/dev/null || say "could not remove network $net"
    fi
  done
}
on_stop() { bench_stop_load; }
bench_traps

cd "$ROOT"
bench_start "$PORT"
export SWARM_CANARY_JAR=$WORK/swarm-canary.jar # its class-data-sharing archive is made next to it by the first command
sc() { bin/swarm-canary "$@"; }
deploy() { # deploy VERSION
  sc deploy --edge "$EDGE" --app "$APP" --env "$ENVNAME" --version "$1" --image "$IMAGE" --env "APP_VERSION=$1" \
    --domain "$DOMAIN" --replicas 2 -q
}
track() { sc "$1" --edge "$EDGE" --app "$APP" --env "$ENVNAME" "${@:2}" -q; }

# the steps: bench_phase (lib.sh), one line per phase in PHASES
PHASES=$WORK/phases.tsv
# stats_token: the header with a stats token for the edge's stats host, in a file (never on a command line)
stats_token() {
  sc canary-token --stats --edge "$EDGE" --probe-host "$PROBE" --ttl 2h --header-out "$WORK/stats.header" -q >/dev/null
}
# cluster_stats: "<cluster_modified> <cluster_added> <cluster_removed>" summed over every node's Envoy ("- - -" if unread)
cluster_stats() {
  local target sum=(0 0 0) v
  for target in ${TARGETS//,/ }; do
    v=$(curl -s -m 5 -x "http://$target:$PORT" -H @"$WORK/stats.header" \
      "http://swarm-canary-stats:$PORT/stats/prometheus" | awk '{ sub(/\{\}$/, "", $1) } # a counter without tags: name{} value
        $1 == "envoy_cluster_manager_cluster_modified" { m = $2 } $1 == "envoy_cluster_manager_cluster_added" { a = $2 }
        $1 == "envoy_cluster_manager_cluster_removed" { r = $2 } END { if (m != "") print m, a, r }') || true
    [[ -n $v ]] || { echo "- - -"; return; }
    read -r -a v <<<"$v"
    sum=($((sum[0] + v[0])) $((sum[1] + v[1])) $((sum[2] + v[2])))
  done
  echo "${sum[*]}"
}

say "run $RUN_ID: edge $EDGE on port $PORT (delivery $DELIVERY), track $TRACK, $RATE req/s, ${STEADY}s steady after each step"
DELIVERY_ARGS=(--delivery "$DELIVERY")
if [[ $DELIVERY == xds ]]; then
  CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") ||
    { cat "$WORK/image.out" >&2; die "control-plane image build failed"; }
  DELIVERY_ARGS+=(--control-plane-image "$CP_IMAGE")
fi
sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" "${DELIVERY_ARGS[@]}" -q >"$WORK/edge.out" 2>&1 ||
  { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
deploy 1.0.0 >"$WORK/deploy.out" 2>&1 || { cat "$WORK/deploy.out" >&2; die "deploy 1.0.0 failed"; }
for _ in $(seq 1 30); do # xds: the new cluster's first DNS resolution may come just after deploy returns
  body=$(curl -s -m 5 -H "Host: $DOMAIN" "http://$PROBE:$PORT/") || true
  [[ $body == *"version=1.0.0 "* ]] && break
  sleep 0.5
done
[[ $body == *"version=1.0.0 "* ]] || die "track not served before the run: '$body'"

LOAD_LOG=$WORK/load.tsv
python3 bench/load.py --target "$TARGETS" --port "$PORT" --host-header "$DOMAIN" --rate "$RATE" --duration 1800 --out "$LOAD_LOG" \
  2>"$WORK/load.err" &
LOAD_PID=$!
sleep 3
stats_token || die "canary-token --stats failed"
read -r -a STATS_BEFORE < <(cluster_stats)

bench_phase baseline "baseline" 1.0.0 100 sleep "$BASELINE"
bench_phase lifecycle "deploy 2.0.0" 2.0.0 0 deploy 2.0.0
for w in 5 25 50 100; do
  bench_phase lifecycle "shift $w" 2.0.0 "$w" track shift --weight "$w"
done
bench_phase lifecycle promote 2.0.0 100 track promote
bench_phase lifecycle "remove 1.0.0" 2.0.0 100 docker service rm "$TRACK-1_0_0"
bench_phase rollback "deploy 3.0.0" 3.0.0 0 deploy 3.0.0
bench_phase rollback "shift 25" 3.0.0 25 track shift --weight 25
bench_phase rollback "rollback" 3.0.0 0 track rollback
# as long as the run's median step, the same load again with nothing running (2.0.0 is the stable release now)
median=$(awk -F'\t' '$1 != "baseline" { print $6 - $5 }' "$PHASES" | sort -g | awk '{ v[NR] = $1 }
  END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
bench_phase baseline "baseline (end)" 2.0.0 100 sleep "$median"
read -r -a STATS_AFTER < <(cluster_stats)
bench_stop_load
# Envoy's access log (stdout of every Envoy task of the edge): the lines of this run's requests
docker service logs --raw "$EDGE" 2>/dev/null | grep -F 'swarm-canary-bench-load/' >"$WORK/access.log" || true
say "Envoy access log: $(wc -l <"$WORK/access.log") lines of this run's requests"

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/lifecycle-$DELIVERY-$stamp.json
python3 bench/lifecycle_report.py "$PHASES" "$LOAD_LOG" "$out" --rate "$RATE" --run "$RUN_ID" --delivery "$DELIVERY" \
  --commit "$(git rev-parse --short HEAD)" --access-log "$WORK/access.log" \
  --cluster-stats "${STATS_BEFORE[*]}" "${STATS_AFTER[*]}" --load-average "$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$LOAD_LOG" "${out%.json}.load.tsv"
say "results: $out (raw per-request log: ${out%.json}.load.tsv)"
