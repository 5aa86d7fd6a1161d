# shellcheck shell=bash
# Shared by the benchmarks (sourced; they define say, die and WORK first).

# the three-node bed's names (nodes, sockets): defined once, in the bed's own scripts
# shellcheck source=testbed/lib/nodes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../testbed/lib/nodes.sh"

# A private copy of the jar: others rebuild target/ concurrently, and a run must measure one build.
copy_jar() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if [[ -f target/swarm-canary.jar ]] && cp target/swarm-canary.jar "$WORK/swarm-canary.jar" &&
      java -jar "$WORK/swarm-canary.jar" --version >/dev/null 2>&1; then
      return 0
    fi
    ((attempt < 5)) || die "target/swarm-canary.jar missing or broken (build: mvn -q -o -DskipTests package)"
    say "target/swarm-canary.jar not usable (mid-rebuild?); retrying in 5s"
    sleep 5
  done
}

# The bed a benchmark runs on, as for the integration tests: SC_BED=1 (default) the host's one-node swarm, SC_BED=3
# the three-node bed (testbed/up.sh --nodes 3: its export lines are taken in, images come from its registry, the
# load goes round every node's published port). Call with IMAGE and ENVOY_IMAGE set to the local names; sets them to
# what the swarm pulls, TARGETS (load.py --target: every node, comma-separated) and PROBE (the first node).
bench_bed() {
  case ${SC_BED:-1} in
    1)
      # never half on the bed: the one-node benchmark talks to the host's dockerd
      if [[ ${DOCKER_HOST:-} == tcp://198.18.0.11:2376 ]]; then unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH; fi
      # up.sh only when the bed is not up: it serialises on a lock that a dockerd started by an older up.sh holds forever
      if [[ $(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null) == active ]] &&
        docker image inspect "$IMAGE" "$ENVOY_IMAGE" >/dev/null 2>&1; then
        say "test bed is up"
      else
        bash testbed/up.sh >"$WORK/up.log" 2>&1 || { cat "$WORK/up.log" >&2; die "testbed/up.sh failed"; }
      fi
      TARGETS=127.0.0.1
      ;;
    3)
      local exports
      exports=$(bash testbed/up.sh --nodes 3 2>"$WORK/up.log") || { cat "$WORK/up.log" >&2; die "testbed/up.sh --nodes 3 failed"; }
      eval "$exports"
      export DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH SC_REGISTRY
      IMAGE=$SC_REGISTRY/$IMAGE
      ENVOY_IMAGE=$SC_REGISTRY/$ENVOY_IMAGE
      TARGETS=198.18.0.11,198.18.0.12,198.18.0.13
      say "three-node bed: $DOCKER_HOST, images from $SC_REGISTRY, load on $TARGETS"
      ;;
    *) die "SC_BED='$SC_BED': 1 (one node, default) or 3 (the three-node bed)" ;;
  esac
  PROBE=${TARGETS%%,*}
}

# bench_every_node ARGS...: `docker ARGS` on every node of the bed, outputs one after the other: the host's dockerd on
# the one-node bed, each node's own socket on the three-node bed (containers are per node; the manager sees only its own)
bench_every_node() {
  if [[ ${SC_BED:-1} != 3 ]]; then
    docker "$@"
    return
  fi
  local node
  for node in "${BED_NODES[@]}"; do
    bed_docker "$node" "$@"
  done
}

# bench_cli_image TAG: the control-plane image of this run's jar, built on the host's dockerd (and on the bed pushed
# to its registry); prints the reference the swarm pulls.
bench_cli_image() {
  (
    unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
    bash testbed/cli-image.sh "$1" "$WORK/swarm-canary.jar" >&2
    if [[ -n ${SC_REGISTRY:-} && ${SC_BED:-1} == 3 ]]; then
      docker tag "$1" "$SC_REGISTRY/$1" && docker push -q "$SC_REGISTRY/$1" >/dev/null
      echo "$SC_REGISTRY/$1"
    else
      echo "$1"
    fi
  )
}

# bench_rm_cli_image TAG: removes bench_cli_image's image from the host's dockerd
bench_rm_cli_image() {
  (
    unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH
    docker rmi "$1" >/dev/null 2>&1 || true
    [[ -z ${SC_REGISTRY:-} || ${SC_BED:-1} != 3 ]] || docker rmi "$SC_REGISTRY/$1" >/dev/null 2>&1 || true
  )
}

# bench_start PORT: the bed up (bench_bed), nothing answering on PORT yet (else the figures would be another edge's),
# and this run's copy of the jar
bench_start() {
  bench_bed
  bench_port_free "$1"
  copy_jar
}

# bench_port_free PORT: nothing answers on PORT of the bed's first node (after bench_bed)
bench_port_free() {
  if curl -s -m 1 -o /dev/null "http://$PROBE:$1/"; then
    die "port $1 already answers; is another edge running there? (docker service ls)"
  fi
}

# bench_rm_edge EDGE SERVICES_ERE: removes the services whose names match SERVICES_ERE (the edge, its control plane, the
# tracks), then, once their containers are gone, the edge's networks, configs and ADS secrets and bench_cli_image's image
bench_rm_edge() {
  local edge=$1 services
  services=$(docker service ls --format '{{.Name}}' | grep -E "$2" || true)
  # shellcheck disable=SC2086 # one name per word
  [[ -z $services ]] || docker service rm $services >/dev/null || true
  for _ in $(seq 1 240); do # the networks and configs stay in use until the containers are gone
    docker network rm "$edge-net" "$edge-xds-net" >/dev/null 2>&1 || true
    docker network ls --format '{{.Name}}' | grep -qE "^$edge-" || break
    sleep 0.5
  done
  docker config ls --format '{{.Name}}' | grep -E "^$edge" | xargs -r docker config rm >/dev/null 2>&1 || true
  # an xds edge's ADS certificates and keys (<edge>-xds-<id>-ca, -srv-key, ...)
  docker secret ls --format '{{.Name}}' | grep -E "^$edge-xds-" | xargs -r docker secret rm >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do # the control plane's container holds its image until Swarm has removed it
    [[ -n $(docker ps -aq --filter "label=com.docker.swarm.service.name=$edge-xds") ]] || break
    sleep 0.5
  done
  bench_rm_cli_image "$edge-cli:latest"
}

# bench_traps: on exit, or INT/TERM/HUP, runs the script's on_stop (if it has one: stop its load or pollers) and its
# cleanup, removes WORK and keeps the exit code
bench_traps() {
  trap bench_exit EXIT
  trap 'exit 130' INT TERM HUP
}
bench_exit() {
  local rc=$?
  trap - EXIT INT TERM HUP
  ! declare -F on_stop >/dev/null || on_stop
  cleanup || true
  rm -rf "$WORK"
  exit "$rc"
}

# Steps under constant load (lifecycle.sh, tasks_away.sh): the script starts bench/load.py as LOAD_PID (its stderr in
# $WORK/load.err) and sets PHASES (a file) and STEADY (seconds).
# bench_stop_load: stops the load generator, if running
bench_stop_load() {
  if [[ -n ${LOAD_PID:-} ]]; then
    kill -TERM "$LOAD_PID" 2>/dev/null || true
    wait "$LOAD_PID" 2>/dev/null || true
    LOAD_PID=
  fi
}
# bench_phase SCENARIO NAME NEW_VERSION EXPECTED_SHARE COMMAND...: runs the step, then STEADY s of load; one line per
# phase in PHASES (bench/lifecycle_report.py reads it) with the step's CPU seconds (user+sys of it and its children:
# the CLI's JVM)
bench_phase() {
  local scenario=$1 name=$2 version=$3 expected=$4 a b rc cpu TIMEFORMAT='%U %S'
  shift 4
  kill -0 "$LOAD_PID" 2>/dev/null || { cat "$WORK/load.err" >&2; die "load generator died"; }
  a=$EPOCHREALTIME
  set +e
  cpu=$({ time "$@" >"$WORK/step.out" 2>&1; } 2>&1)
  rc=$?
  set -e
  b=$EPOCHREALTIME
  ((rc == 0)) || { cat "$WORK/step.out" >&2; die "$scenario/$name failed (exit $rc)"; }
  cpu=$(awk '{ printf "%.2f", $1 + $2 }' <<<"$cpu")
  say "$scenario: $name took $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b - a }')s, ${cpu} CPU s"
  sleep "$STEADY"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scenario" "$name" "$version" "$expected" "$a" "$b" "$EPOCHREALTIME" "$cpu" \
    >>"$PHASES"
}
