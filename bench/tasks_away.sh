#!/usr/bin/env bash
# Benchmark (#19 item 6): tasks going away under constant load on an xds edge (endpoints from Swarm's task state, EDS).
# Usage: bench/tasks_away.sh          SC_BED=3 bench/tasks_away.sh (adds the drain of a node that runs canary tasks)
# Env knobs: BENCH_PORT (10270), BENCH_RATE (100 req/s), BENCH_STEADY (6 s of load after each event),
#            BENCH_BASELINE (6 s: the first baseline; the last one lasts the run's median event).
# Scenario: a private xds edge (benchaway<id>) and track (benchaway<id>app-bench): v1.0.0 with 4 replicas at 90%,
# v2.0.0 (the canary) with 2 replicas at 10%. bench/load.py sends BENCH_RATE req/s to the track's domain (round every
# node's published port on the three-node bed) for the whole run. Events, each followed by BENCH_STEADY s of load:
#   drain node    (SC_BED=3, first: the stable still has 4 replicas) docker node update --availability drain of a worker
#                 running a canary task, until no task of the track runs there and both releases run all their
#                 replicas elsewhere; the node is made active again, its Envoy back, before the next event (untimed)
#   scale 4->1    docker service scale of the stable release down to 1 (three tasks stop)
#   force stable  docker service update --force of the stable release (its task replaced)
#   force canary  the same for the canary's two tasks
#   canary to 0   swarm-canary shift --weight 0 (the product's own step)
#   rm weight-0   docker service rm of the canary, now at weight 0
# Two baseline phases (same load, no event) bracket them: an event's failures count against the product only at a rate
# the baseline serves with 0 failures. Every failed request is attributed (Envoy's access log flags, or the client's
# error), per node on the bed. Goal: 0 failed requests for each event (a drained node's own Envoy stops with the drain,
# so requests sent to that node's port fail until a load balancer in front stops sending there: read the per-node lines).
# Prints a table (bench/lifecycle_report.py); writes bench/results/tasks-away-<timestamp>.json (+ .load.tsv).
set -euo pipefail
shopt -s inherit_errexit

PORT=${BENCH_PORT:-10270}
RATE=${BENCH_RATE:-100}
STEADY=${BENCH_STEADY:-6}
BASELINE=${BENCH_BASELINE:-6}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=benchaway$RUN_ID
APP=benchaway${RUN_ID}app
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
DRAINED_FILE=$WORK/drained # the drained node's name: bench_phase runs the event in a subshell
# undrain: the drained node active again, and (within 60 s) every node's Envoy answering the track
undrain() {
  local node
  [[ -s $DRAINED_FILE ]] || return 0
  node=$(cat "$DRAINED_FILE")
  docker node update --availability active "$node" >/dev/null || { say "could not make node $node active again"; return 1; }
  rm -f "$DRAINED_FILE"
  local target answered deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do # every node's Envoy answers the track again
    answered=0
    for target in ${TARGETS//,/ }; do
      [[ $(curl -s -m 2 -o /dev/null -w '%{http_code}' -H "Host: $DOMAIN" "http://$target:$PORT/") != 200 ]] ||
        answered=$((answered + 1))
    done
    (($(wc -w <<<"${TARGETS//,/ }") == answered)) && return 0
    sleep 0.25
  done
  say "the Envoy of $EDGE on $node does not answer again after 60 s"
}
cleanup() {
  local secrets
  undrain
  say "cleaning up edge $EDGE and track $TRACK"
  bench_rm_edge "$EDGE" "^($EDGE(-xds)?|$TRACK-.*)\$"
  secrets=$(docker secret ls --format '{{.Name}}' | grep -E "^$TRACK-" || true)
  # shellcheck disable=SC2086 # one name per word
  [[ -z $secrets ]] || docker secret rm $secrets >/dev/null || say "could not remove secrets: $secrets"
}
on_stop() { bench_stop_load; }
bench_traps

cd "$ROOT"
bench_start "$PORT"
export SWARM_CANARY_JAR=$WORK/swarm-canary.jar # its class-data-sharing archive is made next to it by the first command
sc() { bin/swarm-canary "$@"; }
deploy() { # deploy VERSION REPLICAS
  sc deploy --edge "$EDGE" --probe-host "$PROBE" --app "$APP" --env "$ENVNAME" --version "$1" --image "$IMAGE" \
    --env "APP_VERSION=$1" --domain "$DOMAIN" --replicas "$2" -q
}
release() { echo "$TRACK-${1//./_}"; }

# event NAME EXPECTED_CANARY_SHARE COMMAND...: one phase (bench_phase, lib.sh) of the canary 2.0.0; baseline NAME
# EXPECTED SECONDS: the same load with no event
PHASES=$WORK/phases.tsv
event() { bench_phase away "$1" 2.0.0 "${@:2}"; }
baseline() { bench_phase baseline "$1" 2.0.0 "$2" sleep "$3"; }

# the events (each returns once Swarm has done it)
scale_stable() { docker service scale --detach=false "$(release 1.0.0)=1"; }
force() { docker service update --force --detach=false --quiet "$(release "$1")"; }
running() { docker service ps "$(release "$1")" --filter desired-state=running --format '{{.CurrentState}}' | grep -c '^Running' || true; }
drain_canary_node() {
  local node
  # a worker: the manager runs the control plane (nowhere else to go) and answers the CLI
  node=$(comm -12 <(docker service ps "$(release 2.0.0)" --filter desired-state=running --format '{{.Node}}' | sort -u) \
    <(docker node ls --filter role=worker --format '{{.Hostname}}' | sort -u) | tail -1)
  [[ -n $node ]] || { echo "no worker node runs a canary task" >&2; return 1; }
  echo "$node" >"$DRAINED_FILE"
  echo "draining $node" >&2
  docker node update --availability drain "$node" >/dev/null
  # done when no task of the track runs there any more and both releases run all their replicas elsewhere
  local deadline=$((SECONDS + 60)) there
  while ((SECONDS < deadline)); do
    there=$(docker service ps "$(release 1.0.0)" "$(release 2.0.0)" --filter desired-state=running --filter "node=$node" \
      --format '{{.CurrentState}}' | grep -c '^Running' || true)
    ((there == 0 && $(running 1.0.0) == 4 && $(running 2.0.0) == 2)) && return 0
    sleep 0.25
  done
  echo "the track's tasks did not leave $node within 60 s" >&2
  return 1
}
remove_canary() { docker service rm "$(release 2.0.0)"; }

say "run $RUN_ID: xds edge $EDGE on port $PORT, track $TRACK, $RATE req/s, ${STEADY}s steady after each event"
CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") || { cat "$WORK/image.out" >&2; die "control-plane image"; }
sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" --delivery xds --control-plane-image "$CP_IMAGE" \
  --probe-host "$PROBE" -q >"$WORK/edge.out" 2>&1 || { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
{ deploy 1.0.0 4 && deploy 2.0.0 2 && sc shift --edge "$EDGE" --probe-host "$PROBE" --app "$APP" --env "$ENVNAME" \
  --weight 10 -q; } >"$WORK/setup.out" 2>&1 || { cat "$WORK/setup.out" >&2; die "set-up of the track failed"; }

LOAD_LOG=$WORK/load.tsv
python3 bench/load.py --target "$TARGETS" --port "$PORT" --host-header "$DOMAIN" --rate "$RATE" --duration 1800 \
  --out "$LOAD_LOG" 2>"$WORK/load.err" &
LOAD_PID=$!
sleep 3

baseline baseline 10 "$BASELINE"
if [[ ${SC_BED:-1} == 3 ]]; then
  # while the stable has 4 replicas: with 1, a drain of its node leaves it none until Swarm starts one elsewhere (Swarm
  # stops a drained node's tasks first), an outage no edge can avoid
  event "drain node" 10 drain_canary_node
  undrain || die "could not undo the drain"
fi
event "scale 4->1" 10 scale_stable
event "force stable" 10 force 1.0.0
event "force canary" 10 force 2.0.0
event "canary to 0" 0 sc shift --edge "$EDGE" --probe-host "$PROBE" --app "$APP" --env "$ENVNAME" --weight 0 -q
event "rm weight-0" 0 remove_canary
median=$(awk -F'\t' '$1 != "baseline" { print $6 - $5 }' "$PHASES" | sort -g | awk '{ v[NR] = $1 }
  END { printf "%.1f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
baseline "baseline (end)" 0 "$median"
bench_stop_load
docker service logs --raw "$EDGE" 2>/dev/null | grep -F 'swarm-canary-bench-load/' >"$WORK/access.log" || true
say "Envoy access log: $(wc -l <"$WORK/access.log") lines of this run's requests"

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/tasks-away-$stamp.json
python3 bench/lifecycle_report.py "$PHASES" "$LOAD_LOG" "$out" --rate "$RATE" --run "$RUN_ID" --delivery xds \
  --commit "$(git rev-parse --short HEAD)" --access-log "$WORK/access.log" --load-average "$(cut -d' ' -f1-3 /proc/loadavg)"
cp "$LOAD_LOG" "${out%.json}.load.tsv"
say "results: $out (raw per-request log: ${out%.json}.load.tsv)"
