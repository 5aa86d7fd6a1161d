#!/usr/bin/env bash
# Proves the test bed works (run after testbed/up.sh): a throwaway swarm service from
# swarm-canary/testapp (dnsrr, host-mode port, READY_DELAY=3) must go starting -> healthy,
# answer through the published port, and let `docker exec <task> ip route` read its route.
set -euo pipefail

name=sctest-smoke-$$
port=${SMOKE_PORT:-18980}
say() { echo "smoke: $*"; }
die() {
  echo "smoke: ERROR: $*" >&2
  exit 1
}
cleanup() { docker service rm "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
while port_busy "$port"; do port=$((port + 1)); done

http_get() { # http_get URL -> "CODE BODY"
  if command -v curl >/dev/null; then
    curl -s -m 5 -w ' %{http_code}' "$1" || true
  else
    busybox wget -q -O - "$1" 2>/dev/null || true
  fi
}

start=$(date +%s)
say "creating service $name (published port $port)"
docker service create --detach --quiet --name "$name" \
  --no-resolve-image --endpoint-mode dnsrr --publish "mode=host,target=80,published=$port" \
  --env APP_VERSION=smoke-1 --env READY_DELAY=3 \
  swarm-canary/testapp:latest >/dev/null

container='' seen=''
for _ in $(seq 1 120); do
  [[ -n $container ]] || container=$(docker ps -q --filter "label=com.docker.swarm.service.name=$name" | head -n1)
  if [[ -n $container ]]; then
    health=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$container" 2>/dev/null || true)
    [[ " $seen " == *" $health "* ]] || seen="$seen $health"
    [[ $health == healthy ]] && break
  fi
  sleep 0.5
done
[[ ${health:-} == healthy ]] || die "task did not become healthy within 60s (health states seen:$seen)"
[[ $seen == " starting healthy" ]] || die "expected health starting -> healthy, saw:$seen"
say "task $container: health$seen after $(($(date +%s) - start))s"

reply=$(http_get "http://127.0.0.1:$port/hello")
[[ $reply == *"version=smoke-1 host=${container:0:12}"* ]] || die "unexpected reply through port $port: $reply"
say "GET :$port/hello -> ${reply//$'\n'/ }"

route=$(docker exec "$container" ip route | grep '^default' || true)
[[ -n $route ]] || die "docker exec $container ip route shows no default route"
say "ip route in task: $route"

cleanup
say "OK ($(($(date +%s) - start))s)"
