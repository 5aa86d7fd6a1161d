#!/usr/bin/env bash
# Benchmark: a whole canary lifecycle, and separately a rollback, under constant load through Envoy.
# Usage: bench/lifecycle.sh
# Env knobs: BENCH_PORT (10202), BENCH_RATE (150 req/s), BENCH_STEADY (8 s of load after each step returns),
#            BENCH_DELIVERY (redeploy; xds builds a private control-plane image and uses BENCH_PORT+1 for its status).
# Scenario: a private edge (benchedge<id>) and track (benchlife<id>-bench) with v1.0.0 (2 replicas) at 100%;
# bench/load.py sends BENCH_RATE req/s to the track's domain for the whole run. Lifecycle: deploy v2.0.0 (canary at 0),
# shift 5, 25, 50, 100, promote, old release removed (docker service rm of v1.0.0: prune is not here yet). Rollback:
# deploy v3.0.0, shift 25, rollback. Per phase (the step's command, then BENCH_STEADY s of steady load) it reports the
# requests, the failed ones (while the command ran / in the steady part after it) and the new release's observed share
# of the 200s in the steady part against the configured weight.
# Prints a table; writes bench/results/lifecycle-<timestamp>.json (+ .load.tsv, the raw per-request log).
set -euo pipefail
shopt -s inherit_errexit

PORT=${BENCH_PORT:-10202}
RATE=${BENCH_RATE:-150}
STEADY=${BENCH_STEADY:-8}
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
stop_load() {
  if [[ -n $LOAD_PID ]]; then
    kill -TERM "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=
  fi
}
mine_services() { docker service ls --format '{{.Name}}' | grep -E "^($EDGE|$EDGE-xds|$TRACK-.*)\$" || true; }
cleanup() {
  local services _ configs secrets
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
on_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_load
  say "cleaning up edge $EDGE and track $TRACK"
  cleanup
  rm -rf "$WORK"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

cd "$ROOT"
bench_bed
if curl -s -m 1 -o /dev/null "http://$PROBE:$PORT/"; then
  die "port $PORT already answers; is another edge running there? (docker service ls)"
fi
copy_jar
sc() { java -jar "$WORK/swarm-canary.jar" "$@"; }
now() { echo "$EPOCHREALTIME"; }
deploy() { # deploy VERSION
  sc deploy --edge "$EDGE" --app "$APP" --env "$ENVNAME" --version "$1" --image "$IMAGE" --env "APP_VERSION=$1" \
    --domain "$DOMAIN" --replicas 2 -q
}
track() { sc "$1" --edge "$EDGE" --app "$APP" --env "$ENVNAME" "${@:2}" -q; }

# phase SCENARIO NAME NEW_VERSION EXPECTED_SHARE COMMAND...: runs the step, then STEADY s of load; one line per phase
PHASES=$WORK/phases.tsv
phase() {
  local scenario=$1 name=$2 version=$3 expected=$4 a b rc
  shift 4
  kill -0 "$LOAD_PID" 2>/dev/null || { cat "$WORK/load.err" >&2; die "load generator died"; }
  a=$(now)
  set +e
  "$@" >"$WORK/step.out" 2>&1
  rc=$?
  set -e
  b=$(now)
  ((rc == 0)) || { cat "$WORK/step.out" >&2; die "$scenario/$name failed (exit $rc)"; }
  say "$scenario: $name took $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b - a }')s"
  sleep "$STEADY"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$name" "$version" "$expected" "$a" "$b" "$(now)" >>"$PHASES"
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

phase lifecycle "deploy 2.0.0" 2.0.0 0 deploy 2.0.0
for w in 5 25 50 100; do
  phase lifecycle "shift $w" 2.0.0 "$w" track shift --weight "$w"
done
phase lifecycle promote 2.0.0 100 track promote
phase lifecycle "remove 1.0.0" 2.0.0 100 docker service rm "$TRACK-1_0_0"
phase rollback "deploy 3.0.0" 3.0.0 0 deploy 3.0.0
phase rollback "shift 25" 3.0.0 25 track shift --weight 25
phase rollback "rollback" 3.0.0 0 track rollback
stop_load

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/lifecycle-$DELIVERY-$stamp.json
python3 bench/lifecycle_report.py "$PHASES" "$LOAD_LOG" "$out" --rate "$RATE" --run "$RUN_ID" --delivery "$DELIVERY" \
  --commit "$(git rev-parse --short HEAD)"
cp "$LOAD_LOG" "${out%.json}.load.tsv"
say "results: $out (raw per-request log: ${out%.json}.load.tsv)"
