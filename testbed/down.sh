#!/usr/bin/env bash
# Developer clean-up: removes what tests left in the swarm. Leaves dockerd, the swarm and the
# images alone. Removes
#   - services, secrets, configs and networks labelled io.swarm-canary.managed-by=swarm-canary
#   - services, secrets and configs whose names start with sctest-
# Usage: testbed/down.sh [-n|--dry-run]   (-n: only list what would be removed)
#        testbed/down.sh --nodes 3 [--purge]: removes the three-node bed instead (daemons, namespaces,
#        bridge, firewall rule, data directories, the registry, its CA in /etc/docker/certs.d);
#        --purge also removes the extracted engine and the trixie apt source. The host's dockerd is
#        left alone either way.
set -euo pipefail

if [[ ${1:-} == --nodes || ${1:-} == --nodes=* ]]; then
  n=${1#--nodes}; n=${n#=}; [[ -n $n ]] || n=${2:-}
  [[ $n == 3 ]] || { echo "usage: $0 --nodes 3 [--purge]" >&2; exit 2; }
  [[ $1 == --nodes ]] && shift
  shift
  say() { echo "testbed: $*"; }
  die() { echo "testbed: ERROR: $*" >&2; exit 1; }
  # the host docker's tags and login are removed from the host's dockerd, not from the bed's manager
  if [[ ${DOCKER_HOST:-} == tcp://198.18.0.11:2376 ]]; then unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH; fi
  # shellcheck source=testbed/lib/nodes.sh
  source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/nodes.sh"
  bed_down
  [[ ${1:-} != --purge ]] || bed_purge
  exit 0
fi

LABEL=${SC_TESTBED_MANAGED_LABEL:-io.swarm-canary.managed-by=swarm-canary}
DRY=
case ${1:-} in
  -n | --dry-run) DRY=1 ;;
  '') ;;
  *) echo "usage: $0 [-n|--dry-run]" >&2; exit 2 ;;
esac
say() { echo "testbed: $*"; }

docker info >/dev/null 2>&1 || { say "dockerd is not running: nothing to clean"; exit 0; }
[[ $(docker info -f '{{.Swarm.LocalNodeState}}') == active ]] || { say "no swarm: nothing to clean"; exit 0; }

remove() { # remove KIND IDS...: "docker KIND rm" each, tolerating ones that vanished meanwhile
  local kind=$1
  shift
  (($#)) || return 0
  say "${DRY:+would be }removing $# $kind(s): $(docker "$kind" inspect -f '{{.Spec.Name}}' "$@" 2>/dev/null | tr '\n' ' ')"
  [[ -n $DRY ]] || docker "$kind" rm "$@" >/dev/null 2>&1 || true
}
ids() { # ids KIND FILTER...: ids of KIND objects matching any of the filters
  local kind=$1 f
  shift
  for f in "$@"; do docker "$kind" ls -q --filter "$f"; done | sort -u
}

mapfile -t services < <(ids service "label=$LABEL" name=sctest-)
remove service "${services[@]}"

# tasks of removed services must be gone before their secrets/configs/networks can go
if ((${#services[@]})) && [[ -z $DRY ]]; then
  for _ in $(seq 1 60); do
    [[ -z $(for s in "${services[@]}"; do docker ps -aq --filter "label=com.docker.swarm.service.id=$s"; done) ]] && break
    sleep 0.5
  done
fi

mapfile -t secrets < <(ids secret "label=$LABEL" name=sctest-)
remove secret "${secrets[@]}"
mapfile -t configs < <(ids config "label=$LABEL" name=sctest-)
remove config "${configs[@]}"
mapfile -t networks < <(docker network ls -q --filter "label=$LABEL")
if ((${#networks[@]})); then
  say "${DRY:+would be }removing ${#networks[@]} network(s): $(docker network inspect -f '{{.Name}}' "${networks[@]}" | tr '\n' ' ')"
  [[ -n $DRY ]] || docker network rm "${networks[@]}" >/dev/null 2>&1 || say "some networks are still in use"
fi
if [[ -n $DRY ]]; then say "dry run: nothing removed"; else say "clean"; fi
