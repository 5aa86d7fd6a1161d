#!/usr/bin/env bash
# Proves the three-node bed works (run after `testbed/up.sh --nodes 3`), through the manager's TLS
# endpoint as a Jenkins agent would reach it:
#   1. a worker cannot pull from the registry without a login, and can with one
#   2. a global service of $SC_REGISTRY/swarm-canary/testapp (pulled by every node with the
#      registry login sent by the CLI: --with-registry-auth) on an overlay network runs a healthy
#      task on each of the three nodes
#   3. tasks.<svc> resolves, inside a task, to all three task addresses, and the task on scn1
#      gets an HTTP answer from the tasks on every node (across nodes, over the overlay)
#   4. host-mode published port: the host reaches each node's task at 198.18.0.1<i>:<port>
#   5. a container that mounts /var/run/docker.sock talks to the dockerd of its own node (the xds
#      control plane and prune's global jobs do), never to the host's
set -euo pipefail

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "smoke3: $*"; }
die() {
  echo "smoke3: ERROR: $*" >&2
  exit 1
}
# shellcheck source=testbed/lib/nodes.sh
source "$TESTBED_DIR/lib/nodes.sh"
exports=$(bash "$TESTBED_DIR/up.sh" --nodes 3 2>/tmp/smoke3-up.log) || { cat /tmp/smoke3-up.log >&2; die "testbed/up.sh --nodes 3 failed"; }
eval "$exports"
# never fall back to the host's own dockerd (another swarm, other people's services)
[[ ${DOCKER_HOST:-} == tcp://198.18.0.11:2376 ]] || die "up.sh printed no DOCKER_HOST"
export DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH

svc=sctest-smoke3-$$
net=sctest-smoke3-net-$$
port=${SMOKE_PORT:-18981}
image=$SC_REGISTRY/swarm-canary/testapp:latest
cleanup() {
  docker service rm "$svc" >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do docker network rm "$net" >/dev/null 2>&1 && break; sleep 0.5; done
  bed_docker scn3 logout "$SC_REGISTRY" >/dev/null 2>&1 || true
}
trap cleanup EXIT

start=$(date +%s.%N)
elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1fs", e - s}'; }

# 1. a worker and the registry's login
probe=$SC_REGISTRY/swarm-canary/docker-cli:latest
bed_docker scn3 logout "$SC_REGISTRY" >/dev/null 2>&1 || true
bed_docker scn3 rmi "$probe" >/dev/null 2>&1 || true
if [[ -n ${SC_REGISTRY_PASSWORD:-} ]]; then
  if out=$(bed_docker scn3 pull -q "$probe" 2>&1); then die "scn3 pulled $probe without a login"; fi
  say "scn3 without a login: refused ($(echo "$out" | tail -n1 | cut -c1-100))"
  printf '%s' "$SC_REGISTRY_PASSWORD" | bed_docker scn3 login -u "$SC_REGISTRY_USER" --password-stdin "$SC_REGISTRY" >/dev/null 2>&1 ||
    die "scn3: docker login $SC_REGISTRY failed"
fi
bed_docker scn3 pull -q "$probe" >/dev/null || die "scn3 could not pull $probe"
say "scn3 pulled $probe with the login: $(bed_docker scn3 image inspect -f '{{index .RepoDigests 0}}' "$probe")"

# 2. global service on an overlay network, image pulled by every node
docker network create -d overlay --label io.swarm-canary.testbed=smoke3 "$net" >/dev/null
docker service create --detach --quiet --with-registry-auth --name "$svc" --mode global \
  --network "$net" --endpoint-mode dnsrr --publish "mode=host,target=80,published=$port" \
  --env APP_VERSION=smoke3 "$image" >/dev/null
for _ in $(seq 1 120); do
  running=$(docker service ps -q --filter desired-state=running "$svc" | xargs -r docker inspect -f '{{.Status.State}}' | grep -c '^running$' || true)
  [[ $running == 3 ]] && break
  sleep 0.5
done
docker service ps --no-trunc --format '{{.Node}} {{.CurrentState}} {{.Error}}' "$svc" | sed 's/^/smoke3:   /'
[[ $running == 3 ]] || die "the global service does not run on all three nodes"
say "3 tasks running (one per node) after $(elapsed)"

# task container and overlay address on each node
declare -A cid addr
for node in "${BED_NODES[@]}"; do
  cid[$node]=$(bed_docker "$node" ps -q --filter "label=com.docker.swarm.service.name=$svc" | head -n1)
  [[ -n ${cid[$node]} ]] || die "no task container on $node"
  addr[$node]=$(bed_docker "$node" inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "${cid[$node]}")
done
say "task addresses: $(for n in "${BED_NODES[@]}"; do printf '%s=%s ' "$n" "${addr[$n]}"; done)"

# 3. DNS and HTTP across nodes, from the task on scn1
resolved=$(bed_docker scn1 exec "${cid[scn1]}" nslookup "tasks.$svc" 2>/dev/null | awk '/^Address/ && $NF !~ /:53$/ {print $NF}' | sort | tr '\n' ' ')
say "tasks.$svc resolves (in the task on scn1) to: $resolved"
for node in "${BED_NODES[@]}"; do
  [[ " $resolved " == *" ${addr[$node]} "* ]] || die "tasks.$svc does not resolve to the task on $node (${addr[$node]})"
done
for node in "${BED_NODES[@]}"; do
  body=$(bed_docker scn1 exec "${cid[scn1]}" wget -q -O - "http://${addr[$node]}/" 2>&1 || true)
  say "scn1 -> $node (${addr[$node]}): $body"
  [[ $body == "version=smoke3 host="* ]] || die "no HTTP answer from the task on $node"
done

# 4. the host reaches every node's published port
for node in "${BED_NODES[@]}"; do
  ip=$(bed_ip "$node")
  body=$(curl -s -m 5 "http://$ip:$port/" || true)
  say "host -> $ip:$port: $body"
  [[ $body == "version=smoke3 host="* ]] || die "no answer on $ip:$port"
done
# 5. /var/run/docker.sock inside a node's containers is that node's
for node in "${BED_NODES[@]}"; do
  seen=$(bed_docker "$node" run --rm -v /var/run/docker.sock:/var/run/docker.sock "$probe" \
    docker info -f '{{.Name}} {{.Swarm.NodeAddr}}' 2>&1 | tail -n1)
  say "docker.sock in a container on $node: $seen"
  [[ $seen == "$node $(bed_ip "$node")" ]] || die "a container on $node reaches another dockerd through /var/run/docker.sock"
done
say "OK ($(elapsed))"
