# shellcheck shell=bash
# The three-node bed (testbed/up.sh --nodes 3, testbed/down.sh --nodes 3): one manager and two
# workers, each a dockerd from Debian 13's docker.io (26.1) in its own network and UTS namespace,
# a TLS registry that requires a login, and the manager's Engine API on TCP with TLS.
#
#   host bridge scbr0      198.18.0.1/24 (RFC 2544 benchmarking range: collides with no real network)
#   node i (scn1..scn3)    netns scn<i>, veth scn<i>h <-> eth0, 198.18.0.1<i>, hostname scn<i>
#   manager's Engine API   tcp://198.18.0.11:2376, TLS with client certificates ($BED_ROOT/client)
#   registry               https://198.18.0.1:5000 (Debian's docker-registry, htpasswd login)
#
# Every dockerd has its own data-root, exec-root, pidfile, socket and config file; each starts its
# own containerd (there is no system containerd socket here). They are started with
# `nsenter --net=/var/run/netns/<ns>`, never `ip netns exec` (that remounts /sys, and dockerd then
# fails with "Devices cgroup isn't mounted").
#
# The CA is installed in /etc/docker/certs.d/198.18.0.1:5000/ca.crt: the host's dockerd and the
# three node dockerds share that file system path, so one file trusts the registry for all of them.
# (TLS rather than insecure-registries: insecure-registries would need a change to the host
# dockerd's configuration and a restart, and production registries use TLS.)
#
# Callers define say() and die(); SUDO is empty (root).

BED_BRIDGE=scbr0
BED_NET=198.18.0
BED_NODES=(scn1 scn2 scn3)
BED_ROOT=${SC_BED_ROOT:-/var/lib/swarm-canary-bed}
BED_RUN=/run/swarm-canary-bed
BED_ENGINE_DIR=${SC_BED_ENGINE_DIR:-/opt/swarm-canary/docker-engine}
BED_REGISTRY=$BED_NET.1:5000
BED_REGISTRY_USER=sc
BED_API=tcp://$BED_NET.11:2376
BED_CERTS_D=/etc/docker/certs.d/$BED_REGISTRY
BED_APT_SOURCE=/etc/apt/sources.list.d/swarm-canary-trixie.sources
BED_APT_PIN=/etc/apt/preferences.d/swarm-canary-trixie
# SC_BED_REGISTRY_AUTH=0: the registry answers without a login (default: a login is required)
BED_REGISTRY_AUTH=${SC_BED_REGISTRY_AUTH:-1}
BED_IMAGES=(testapp envoy docker-cli jre)

bed_ip() { echo "$BED_NET.1${1#scn}"; } # bed_ip scn2 -> 198.18.0.12
bed_sock() { echo "unix://$BED_RUN/$1.sock"; }
bed_docker() { # bed_docker NODE ARGS...: the docker CLI against one node's local socket
  local node=$1
  shift
  DOCKER_HOST=$(bed_sock "$node") DOCKER_TLS_VERIFY='' DOCKER_CERT_PATH='' DOCKER_CONTEXT='' docker "$@"
}

# ------------------------------------------------------------------ engine (Debian 13's docker.io)
bed_engine() {
  if [[ -x $BED_ENGINE_DIR/usr/sbin/dockerd ]]; then
    say "engine $(cat "$BED_ENGINE_DIR/VERSION" 2>/dev/null) already in $BED_ENGINE_DIR"
    return 0
  fi
  if [[ ! -e $BED_APT_SOURCE ]]; then
    # the same mirror the machine's Debian sources use, suite trixie
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $0 ~ /bookworm/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
    [[ -n $uri ]] || die "cannot find the Debian mirror in /etc/apt/sources.list{,.d}"
    say "adding Debian trixie as an apt source with pin priority 1 ($BED_APT_SOURCE)"
    printf '%s\n' '# swarm-canary three-node test bed: only for "apt-get download -t trixie docker.io"' \
      'Types: deb' "URIs: $uri" 'Suites: trixie' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' >"$BED_APT_SOURCE"
  fi
  if [[ ! -e $BED_APT_PIN ]]; then
    # priority 1: nothing on the machine installs or upgrades from trixie unless asked with -t trixie
    printf '%s\n' '# swarm-canary test bed: trixie only when asked for (-t trixie)' \
      'Package: *' 'Pin: release n=trixie' 'Pin-Priority: 1' >"$BED_APT_PIN"
  fi
  # (no "| grep -q" under pipefail: grep stops reading, the writer dies of SIGPIPE, the test fails at random)
  if [[ $(apt-cache policy docker.io 2>/dev/null) != *trixie/main* ]]; then
    say "apt-get update (trixie lists)"
    apt-get update -q >/tmp/sc-bed-apt.log 2>&1 || { cat /tmp/sc-bed-apt.log >&2; die "apt-get update failed"; }
  fi
  local tmp deb version
  tmp=$(mktemp -d /tmp/sc-bed-engine.XXXXXX)
  (cd "$tmp" && apt-get download -q -t trixie docker.io >download.log 2>&1) ||
    { cat "$tmp/download.log" >&2; die "apt-get download -t trixie docker.io failed"; }
  deb=$(ls "$tmp"/docker.io_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  say "extracting docker.io $version into $BED_ENGINE_DIR"
  mkdir -p "$tmp/root"
  dpkg-deb -x "$deb" "$tmp/root"
  # docker-init is a relative link to tini's binary, which the host's tini package has
  ln -sfn /usr/bin/tini-static "$tmp/root/usr/bin/docker-init"
  echo "$version" >"$tmp/root/VERSION"
  mkdir -p "$(dirname "$BED_ENGINE_DIR")"
  rm -rf "$BED_ENGINE_DIR"
  mv "$tmp/root" "$BED_ENGINE_DIR"
  rm -rf "$tmp"
}

# ------------------------------------------------------------------ certificates (openssl)
bed_pki() {
  local pki=$BED_ROOT/pki
  mkdir -p "$pki" "$BED_ROOT/client"
  chmod 0700 "$pki"
  if [[ ! -s $pki/ca.pem || ! -s $pki/ca-key.pem ]]; then
    say "making the bed's CA ($pki/ca.pem)"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 -subj "/CN=swarm-canary test bed CA" \
      -keyout "$pki/ca-key.pem" -out "$pki/ca.pem" 2>/dev/null
  fi
  # cert NAME SUBJECT_CN EXTENSIONS: a key and a certificate signed by the CA (kept when present)
  cert() {
    local name=$1 cn=$2 ext=$3
    [[ -s $pki/$name-cert.pem && -s $pki/$name-key.pem ]] &&
      openssl verify -CAfile "$pki/ca.pem" "$pki/$name-cert.pem" >/dev/null 2>&1 && return 0
    say "making certificate $name ($cn)"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" -keyout "$pki/$name-key.pem" -out "$pki/$name.csr" 2>/dev/null
    printf '%s\n' "$ext" >"$pki/$name.ext"
    openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca-key.pem" -CAcreateserial \
      -days 825 -sha256 -extfile "$pki/$name.ext" -out "$pki/$name-cert.pem" 2>/dev/null
    rm -f "$pki/$name.csr" "$pki/$name.ext"
  }
  cert manager scn1 "subjectAltName=IP:$BED_NET.11,DNS:scn1,IP:127.0.0.1
extendedKeyUsage=serverAuth"
  cert registry registry "subjectAltName=IP:$BED_NET.1
extendedKeyUsage=serverAuth"
  cert client swarm-canary-client "extendedKeyUsage=clientAuth"
  # DOCKER_CERT_PATH layout the docker CLI and docker-java read
  install -m 0644 "$pki/ca.pem" "$BED_ROOT/client/ca.pem"
  install -m 0644 "$pki/client-cert.pem" "$BED_ROOT/client/cert.pem"
  install -m 0600 "$pki/client-key.pem" "$BED_ROOT/client/key.pem"
  # the registry's CA for the host's docker and every node (one path, shared)
  mkdir -p "$BED_CERTS_D"
  cmp -s "$pki/ca.pem" "$BED_CERTS_D/ca.crt" || install -m 0644 "$pki/ca.pem" "$BED_CERTS_D/ca.crt"
}

# ------------------------------------------------------------------ network: bridge, namespaces, veths
bed_network() {
  local node ip
  if ! ip link show "$BED_BRIDGE" >/dev/null 2>&1; then
    say "creating bridge $BED_BRIDGE ($BED_NET.1/24)"
    ip link add "$BED_BRIDGE" type bridge
  fi
  [[ $(ip -br addr show dev "$BED_BRIDGE") == *" $BED_NET.1/24"* ]] || ip addr add "$BED_NET.1/24" dev "$BED_BRIDGE"
  ip link set "$BED_BRIDGE" up
  for node in "${BED_NODES[@]}"; do
    ip=$(bed_ip "$node")
    [[ -e /var/run/netns/$node ]] || { say "creating network namespace $node"; ip netns add "$node"; }
    if ! ip -n "$node" link show eth0 >/dev/null 2>&1; then
      ip link del "${node}h" 2>/dev/null || true
      ip link add "${node}h" type veth peer name eth0 netns "$node"
    fi
    ip link set "${node}h" master "$BED_BRIDGE" up
    [[ $(ip -n "$node" addr show dev eth0) == *"inet $ip/24 "* ]] || ip -n "$node" addr add "$ip/24" dev eth0
    ip -n "$node" link set lo up
    ip -n "$node" link set eth0 up
  done
  # Docker's FORWARD policy is DROP and bridged frames pass iptables (br_netfilter): let the bed's
  # bridge talk to itself. Inserted at the top of DOCKER-USER, removed by down.sh; nothing else touched.
  if ! iptables -C DOCKER-USER -i "$BED_BRIDGE" -o "$BED_BRIDGE" -j ACCEPT 2>/dev/null; then
    say "iptables -I DOCKER-USER -i $BED_BRIDGE -o $BED_BRIDGE -j ACCEPT"
    iptables -I DOCKER-USER -i "$BED_BRIDGE" -o "$BED_BRIDGE" -j ACCEPT ||
      die "cannot insert the DOCKER-USER rule (is the host's dockerd running with iptables?)"
  fi
}

# ------------------------------------------------------------------ dockerd per node
bed_daemon_config() { # the node's daemon.json on stdout
  local node=$1 dir=$BED_ROOT/nodes/$1
  local hosts="\"$(bed_sock "$node")\""
  local tls=
  if [[ $node == scn1 ]]; then
    hosts+=", \"$BED_API\""
    tls=", \"tlsverify\": true, \"tlscacert\": \"$BED_ROOT/pki/ca.pem\", \"tlscert\": \"$BED_ROOT/pki/manager-cert.pem\", \"tlskey\": \"$BED_ROOT/pki/manager-key.pem\""
  fi
  cat <<EOF
{
  "data-root": "$dir/data",
  "exec-root": "$BED_RUN/$node",
  "pidfile": "$BED_RUN/$node.pid",
  "hosts": [$hosts],
  "cgroup-parent": "/swarm-canary-bed-$node",
  "log-level": "warn"$tls
}
EOF
}

bed_node_up() { # bed_node_up NODE: starts the node's dockerd unless it answers
  local node=$1 dir=$BED_ROOT/nodes/$1 pid
  mkdir -p "$dir/data" "$BED_RUN"
  bed_daemon_config "$node" >"$dir/daemon.json.new"
  if cmp -s "$dir/daemon.json.new" "$dir/daemon.json"; then
    rm -f "$dir/daemon.json.new"
  else
    mv "$dir/daemon.json.new" "$dir/daemon.json"
    if bed_docker "$node" info >/dev/null 2>&1; then
      say "$node: configuration changed, restarting its dockerd"
      bed_node_stop "$node"
    fi
  fi
  if bed_docker "$node" info >/dev/null 2>&1; then
    pid=$(cat "$BED_RUN/$node.pid" 2>/dev/null || true)
    if [[ -n $pid && $(readlink "/proc/$pid/ns/mnt") == "$(readlink /proc/self/ns/mnt)" ]]; then
      say "$node: dockerd runs in the host's mount namespace (an older bed): restarting it"
      bed_node_stop "$node"
    else
      say "$node: dockerd already running"
      return 0
    fi
  fi
  pid=$(cat "$BED_RUN/$node.pid" 2>/dev/null || true)
  if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null; then
    say "$node: starting dockerd $(cat "$BED_ENGINE_DIR/VERSION") (log: $dir/dockerd.log)"
    rm -f "$BED_RUN/$node.pid"
    # own network namespace (nsenter --net), own UTS namespace (hostname = node name) and own mount
    # namespace (private: the node's mounts stay out of the host's view, and its /run/docker.sock can
    # be its own socket, see bed_node_socket); 9>&-: must not inherit up.sh's lock (see up.sh)
    setsid nohup nsenter --net="/var/run/netns/$node" unshare --uts --mount --propagation private \
      env PATH="$BED_ENGINE_DIR/usr/sbin:$BED_ENGINE_DIR/usr/bin:$PATH" \
      sh -c 'hostname "$1" && shift && exec "$@"' sh "$node" \
      dockerd --config-file "$dir/daemon.json" >>"$dir/dockerd.log" 2>&1 </dev/null 3>&- 9>&- &
  fi
}

bed_node_wait() {
  local node=$1
  for _ in $(seq 1 120); do
    if bed_docker "$node" info >/dev/null 2>&1; then
      bed_node_socket "$node"
      return 0
    fi
    sleep 0.5
  done
  tail -n 30 "$BED_ROOT/nodes/$node/dockerd.log" >&2 || true
  die "$node: dockerd did not answer within 60s (log: $BED_ROOT/nodes/$node/dockerd.log)"
}

# bed_node_socket NODE: inside the node's mount namespace, /run/docker.sock (= /var/run/docker.sock) is
# the node's own socket (a bind mount). Services that mount /var/run/docker.sock (the xds control plane,
# prune's global jobs) then talk to the node they run on, as on a real cluster, and never to the host's
# dockerd, which every node would otherwise see there (one file system).
bed_node_socket() {
  local node=$1 pid want have
  pid=$(cat "$BED_RUN/$node.pid")
  # never in the host's own mount namespace: that would hide the host's dockerd behind the node's socket
  [[ $(readlink "/proc/$pid/ns/mnt") != "$(readlink /proc/self/ns/mnt)" ]] ||
    die "$node: dockerd $pid shares the host's mount namespace; run testbed/down.sh --nodes 3 and up again"
  want=$(stat -c %i "$BED_RUN/$node.sock")
  have=$(nsenter --target "$pid" --mount stat -L -c %i /run/docker.sock 2>/dev/null || true)
  [[ $have == "$want" ]] && return 0
  # a bind mount needs its target to exist; creating it only makes an empty file in the host's /run
  nsenter --target "$pid" --mount sh -c 'umount /run/docker.sock 2>/dev/null; [ -e /run/docker.sock ] || : >/run/docker.sock; mount --bind "$1" /run/docker.sock' \
    sh "$BED_RUN/$node.sock" || die "$node: cannot bind its socket to /run/docker.sock in its mount namespace"
  have=$(nsenter --target "$pid" --mount stat -L -c %i /run/docker.sock 2>/dev/null || true)
  [[ $have == "$want" ]] || die "$node: /run/docker.sock in its mount namespace is not its own socket"
  say "$node: /var/run/docker.sock in its mount namespace is its own socket"
}

bed_node_stop() { # stops one node's dockerd (SIGTERM, then SIGKILL after 30 s); its containers go with it
  local node=$1 pid
  pid=$(cat "$BED_RUN/$node.pid" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  say "$node: dockerd $pid did not stop in 30s, killing it"
  kill -9 "$pid" 2>/dev/null || true
}

# ------------------------------------------------------------------ swarm
bed_swarm() {
  local mgr_ip=$BED_NET.11 state cluster token node wstate wcluster
  state=$(bed_docker scn1 info -f '{{.Swarm.LocalNodeState}}')
  if [[ $state == active && $(bed_docker scn1 info -f '{{.Swarm.ControlAvailable}}') == true ]]; then
    say "scn1: swarm manager already active"
  else
    [[ $state == inactive ]] || bed_docker scn1 swarm leave --force >/dev/null 2>&1 || true
    say "scn1: docker swarm init --advertise-addr $mgr_ip"
    bed_docker scn1 swarm init --advertise-addr "$mgr_ip" --listen-addr "$mgr_ip:2377" >/dev/null
  fi
  cluster=$(bed_docker scn1 info -f '{{.Swarm.Cluster.ID}}')
  token=$(bed_docker scn1 swarm join-token -q worker)
  for node in scn2 scn3; do
    wstate=$(bed_docker "$node" info -f '{{.Swarm.LocalNodeState}}')
    # a worker remembers the cluster it joined, not the manager's: ask the manager whether it knows it
    wcluster=$(bed_docker "$node" info -f '{{.Swarm.NodeID}}')
    if [[ $wstate == active ]] && bed_docker scn1 node inspect "$wcluster" >/dev/null 2>&1; then
      say "$node: already a worker of the bed's swarm"
      continue
    fi
    [[ $wstate == inactive ]] || bed_docker "$node" swarm leave --force >/dev/null 2>&1 || true
    say "$node: docker swarm join ($mgr_ip:2377)"
    bed_docker "$node" swarm join --token "$token" --advertise-addr "$(bed_ip "$node")" \
      --listen-addr "$(bed_ip "$node"):2377" "$mgr_ip:2377" >/dev/null
  done
  : "$cluster"
  # workers that left for good (e.g. a data dir removed by hand) stay listed "down": drop them, but
  # never one of the three nodes' current identities (a worker just restarted is "down" for a while)
  local stale ids=" "
  for node in "${BED_NODES[@]}"; do ids+="$(bed_docker "$node" info -f '{{.Swarm.NodeID}}') "; done
  stale=$(bed_docker scn1 node ls -q --filter role=worker | while read -r id; do
    [[ $ids == *" $id "* ]] && continue
    [[ $(bed_docker scn1 node inspect -f '{{.Status.State}}' "$id") == down ]] && echo "$id"
  done || true)
  [[ -z $stale ]] || bed_docker scn1 node rm --force $stale >/dev/null 2>&1 || true
  for _ in $(seq 1 120); do
    [[ $(bed_docker scn1 node ls --format '{{.Status}}' | grep -c Ready) == 3 ]] && break
    sleep 0.5
  done
  [[ $(bed_docker scn1 node ls --format '{{.Status}}' | grep -c Ready) == 3 ]] ||
    die "the bed's swarm does not have 3 ready nodes: $(bed_docker scn1 node ls 2>&1)"
  # a node a test drained (NodeFaultsIT) and never put back, its run interrupted, runs no global task: no Envoy
  # answers on it, prune's job skips it
  local id availability
  for id in $(bed_docker scn1 node ls -q); do
    availability=$(bed_docker scn1 node inspect -f '{{.Spec.Availability}}' "$id")
    if [[ $availability != active ]]; then
      say "$(bed_docker scn1 node inspect -f '{{.Description.Hostname}}' "$id"): availability $availability, setting it active"
      bed_docker scn1 node update --availability active "$id" >/dev/null
    fi
  done
}

# ------------------------------------------------------------------ registry (Debian's docker-registry)
bed_registry_password() {
  local f=$BED_ROOT/registry/password
  [[ -s $f ]] || (umask 077 && openssl rand -hex 16 >"$f")
  cat "$f"
}

bed_kill_wait() { # bed_kill_wait PID: SIGTERM, wait up to 10 s, then SIGKILL
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -9 "$1" 2>/dev/null || true
}

bed_registry() {
  local dir=$BED_ROOT/registry pw auth=
  mkdir -p "$dir/data"
  chmod 0700 "$dir"
  pw=$(bed_registry_password)
  if [[ $BED_REGISTRY_AUTH != 0 ]]; then
    if [[ ! -s $dir/htpasswd ]] || ! htpasswd -vb "$dir/htpasswd" "$BED_REGISTRY_USER" "$pw" >/dev/null 2>&1; then
      htpasswd -Bbc "$dir/htpasswd" "$BED_REGISTRY_USER" "$pw" >/dev/null 2>&1 || die "htpasswd failed"
    fi
    auth="auth:
  htpasswd:
    realm: swarm-canary-bed
    path: $dir/htpasswd"
  fi
  cat >"$dir/config.yml.new" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: $BED_REGISTRY
  tls:
    certificate: $BED_ROOT/pki/registry-cert.pem
    key: $BED_ROOT/pki/registry-key.pem
$auth
EOF
  local pid
  pid=$(cat "$dir/registry.pid" 2>/dev/null || true)
  if ! cmp -s "$dir/config.yml.new" "$dir/config.yml"; then
    mv "$dir/config.yml.new" "$dir/config.yml"
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      say "registry: configuration changed, restarting"
      bed_kill_wait "$pid"
      rm -f "$dir/registry.pid"
    fi
  else
    rm -f "$dir/config.yml.new"
  fi
  pid=$(cat "$dir/registry.pid" 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    say "registry already running on $BED_REGISTRY (login $([[ $BED_REGISTRY_AUTH != 0 ]] && echo required || echo off))"
  else
    say "starting the registry on https://$BED_REGISTRY (login $([[ $BED_REGISTRY_AUTH != 0 ]] && echo required || echo off); log: $dir/registry.log)"
    setsid nohup docker-registry serve "$dir/config.yml" >>"$dir/registry.log" 2>&1 </dev/null 3>&- 9>&- &
    echo $! >"$dir/registry.pid"
    for _ in $(seq 1 40); do
      curl -s -o /dev/null --cacert "$BED_ROOT/pki/ca.pem" "https://$BED_REGISTRY/v2/" && break
      sleep 0.25
    done
    curl -s -o /dev/null --cacert "$BED_ROOT/pki/ca.pem" "https://$BED_REGISTRY/v2/" ||
      { tail -n 20 "$dir/registry.log" >&2; die "the registry does not answer on https://$BED_REGISTRY"; }
  fi
  if [[ $BED_REGISTRY_AUTH != 0 ]]; then
    # the host's docker CLI (root's ~/.docker/config.json, or $DOCKER_CONFIG) logs in once
    printf '%s' "$pw" | docker login -u "$BED_REGISTRY_USER" --password-stdin "$BED_REGISTRY" >/dev/null 2>&1 ||
      die "docker login $BED_REGISTRY failed"
  fi
}

# bed_registry_digest REPO: the registry's manifest digest of REPO:latest (empty if none)
bed_registry_digest() {
  local creds=()
  [[ $BED_REGISTRY_AUTH == 0 ]] || creds=(-u "$BED_REGISTRY_USER:$(bed_registry_password)")
  curl -s -I --cacert "$BED_ROOT/pki/ca.pem" "${creds[@]}" \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "https://$BED_REGISTRY/v2/$1/manifests/latest" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" {print $2}'
}

bed_push_images() { # pushes swarm-canary/<image>:latest from the host's docker when the registry lacks it
  local image local_ref remote digest
  for image in "${BED_IMAGES[@]}"; do
    local_ref=swarm-canary/$image:latest
    remote=$BED_REGISTRY/swarm-canary/$image
    docker tag "$local_ref" "$remote:latest"
    digest=$(bed_registry_digest "swarm-canary/$image")
    if [[ -n $digest && $'\n'$(docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' "$local_ref")$'\n' == *$'\n'"$remote@$digest"$'\n'* ]]; then
      say "image $remote:latest already in the registry"
      continue
    fi
    say "pushing $remote:latest"
    docker push -q "$remote:latest" >/dev/null || die "docker push $remote:latest failed"
  done
}

bed_exports() { # the lines callers eval (on the caller's stdout)
  echo "export DOCKER_HOST=$BED_API DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$BED_ROOT/client"
  echo "export SC_REGISTRY=$BED_REGISTRY"
  if [[ $BED_REGISTRY_AUTH != 0 ]]; then
    echo "export SC_REGISTRY_USER=$BED_REGISTRY_USER SC_REGISTRY_PASSWORD=$(bed_registry_password)"
  fi
}

bed_up() {
  local node
  bed_engine
  bed_pki
  bed_network
  for node in "${BED_NODES[@]}"; do bed_node_up "$node"; done
  for node in "${BED_NODES[@]}"; do bed_node_wait "$node"; done
  bed_swarm
  bed_registry
  bed_push_images
  # the TLS endpoint answers with the client certificate
  DOCKER_HOST=$BED_API DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$BED_ROOT/client docker version -f '{{.Server.Version}}' >/dev/null ||
    die "the manager's Engine API does not answer on $BED_API with TLS"
  say "three-node bed ready: $(bed_docker scn1 node ls --format '{{.Hostname}}={{.Status}}/{{.ManagerStatus}}' | tr '\n' ' ')"
}

# ------------------------------------------------------------------ down
bed_down() {
  local node pid dir=$BED_ROOT/registry
  for node in "${BED_NODES[@]}"; do
    if [[ -e $BED_RUN/$node.pid ]]; then
      say "$node: stopping dockerd"
      bed_node_stop "$node"
    fi
  done
  pid=$(cat "$dir/registry.pid" 2>/dev/null || true)
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    say "stopping the registry"
    bed_kill_wait "$pid"
  fi
  # left-over mounts under the bed's dirs in the host's view (the nodes mount in their own namespaces;
  # a bed started before they had one left its mounts here)
  local m
  for m in $(awk -v a="$BED_ROOT/" -v b="$BED_RUN/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  for node in "${BED_NODES[@]}"; do
    if [[ -e /var/run/netns/$node ]]; then
      say "removing network namespace $node"
      ip netns del "$node" || true
    fi
    ip link del "${node}h" 2>/dev/null || true
  done
  if ip link show "$BED_BRIDGE" >/dev/null 2>&1; then
    say "removing bridge $BED_BRIDGE"
    ip link del "$BED_BRIDGE"
  fi
  while iptables -C DOCKER-USER -i "$BED_BRIDGE" -o "$BED_BRIDGE" -j ACCEPT 2>/dev/null; do
    say "iptables -D DOCKER-USER -i $BED_BRIDGE -o $BED_BRIDGE -j ACCEPT"
    iptables -D DOCKER-USER -i "$BED_BRIDGE" -o "$BED_BRIDGE" -j ACCEPT
  done
  # the host docker's tags of the pushed images (the images themselves stay) and its login
  local image
  for image in "${BED_IMAGES[@]}"; do
    docker rmi "$BED_REGISTRY/swarm-canary/$image:latest" >/dev/null 2>&1 || true
  done
  docker logout "$BED_REGISTRY" >/dev/null 2>&1 || true
  rm -rf "$BED_CERTS_D"
  for node in "${BED_NODES[@]}"; do
    rm -rf "${BED_ROOT:?}/nodes/$node"
  done
  rm -rf "${BED_ROOT:?}" "${BED_RUN:?}"
  say "three-node bed removed (kept: the engine in $BED_ENGINE_DIR and the trixie apt source; --purge removes them)"
}

bed_purge() {
  rm -rf "${BED_ENGINE_DIR:?}" "$BED_APT_SOURCE" "$BED_APT_PIN"
  say "removed $BED_ENGINE_DIR, $BED_APT_SOURCE and $BED_APT_PIN (apt's lists keep trixie until the next apt-get update)"
}
