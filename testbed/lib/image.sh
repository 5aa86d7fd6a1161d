# shellcheck shell=bash
# Helpers for building the test-bed images without a registry.
#
# Every image lives in testbed/images/<name>/ and consists of
#   image.sh    defines image_inputs (prints host files the image copies, one per line)
#               and image_rootfs (fills "$ROOTFS" with the image's files)
#   Dockerfile  "ARG BASE / FROM ${BASE}" plus the instructions `docker import -c` cannot do
#   any other file in that folder (scripts, configs) that image_rootfs copies
#
# The rootfs is `docker import`ed as a local base image, then `docker build` (legacy builder,
# base is local, nothing is pulled) produces swarm-canary/<name>:latest carrying the label
# io.swarm-canary.testbed.inputs=<sha256 of every input>. An image is rebuilt only when that
# hash differs from the one on the existing image (or SC_TESTBED_REBUILD=1 is set).

TESTBED_INPUTS_LABEL=io.swarm-canary.testbed.inputs

# add_busybox: /bin/busybox plus a symlink for every applet at its usual path.
add_busybox() {
  local bb applet
  bb=$(command -v busybox 2>/dev/null || true)
  [[ -n $bb ]] || bb=/bin/busybox
  mkdir -p "$ROOTFS/bin" "$ROOTFS/sbin" "$ROOTFS/usr/bin" "$ROOTFS/usr/sbin"
  cp -L "$bb" "$ROOTFS/bin/busybox"
  "$bb" --list-full | while read -r applet; do
    [[ $applet == bin/busybox ]] && continue
    mkdir -p "$ROOTFS/$(dirname "$applet")"
    ln -sf /bin/busybox "$ROOTFS/$applet"
  done
}

# add_base_files: /etc/passwd, /etc/group, /etc/nsswitch.conf, /tmp, /root
add_base_files() {
  mkdir -p "$ROOTFS/etc" "$ROOTFS/tmp" "$ROOTFS/root" "$ROOTFS/var/run" "$ROOTFS/run"
  chmod 1777 "$ROOTFS/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$ROOTFS/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOTFS/etc/group"
  printf 'hosts: files dns\n' >"$ROOTFS/etc/nsswitch.conf"
}

# ldd_libs FILE: shared libraries FILE needs (absolute paths, including the loader); nothing if static
ldd_libs() {
  ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u
}

# add_binary SRC DEST: copy an executable to DEST in the rootfs plus every library ldd lists
# (at the same path), plus glibc's NSS modules when the binary is dynamic.
add_binary() {
  local src=$1 dest=$2 lib
  mkdir -p "$ROOTFS/$(dirname "$dest")"
  cp -L "$src" "$ROOTFS/$dest"
  chmod 0755 "$ROOTFS/$dest"
  for lib in $(ldd_libs "$src") $(nss_libs "$src"); do
    mkdir -p "$ROOTFS/$(dirname "$lib")"
    cp -L "$lib" "$ROOTFS/$lib"
  done
}

# nss_libs FILE: glibc modules loaded at run time (not listed by ldd) for a dynamic FILE
nss_libs() {
  local libc f
  libc=$(ldd_libs "$1" | grep '/libc\.so\.' | head -n1 || true)
  [[ -n $libc ]] || return 0
  for f in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
    [[ -e $(dirname "$libc")/$f ]] && echo "$(dirname "$libc")/$f"
  done
  return 0
}

# binary_inputs FILE: FILE and everything add_binary would copy for it (for hashing)
binary_inputs() {
  echo "$1"
  ldd_libs "$1"
  nss_libs "$1"
}

# inputs_hash NAME: sha256 over this helper, the image folder and the host files it copies
inputs_hash() {
  local name=$1 dir=$TESTBED_DIR/images/$1
  (
    cd "$TESTBED_DIR"
    sha256sum lib/image.sh
    find "images/$name" -type f | LC_ALL=C sort | xargs -d '\n' sha256sum
    # shellcheck disable=SC1090,SC1091
    source "$dir/image.sh"
    image_inputs | while read -r f; do
      [[ -e $f ]] || { echo "missing input $f" >&2; exit 1; }
      printf '%s %s\n' "$(sha256sum <"$f" | cut -d' ' -f1)" "$f"
    done
  ) | sha256sum | cut -d' ' -f1
}

# ensure_image NAME: build swarm-canary/NAME:latest unless it exists with the same inputs hash
ensure_image() {
  local name=$1 ref=swarm-canary/$1:latest dir=$TESTBED_DIR/images/$1 hash have tmp base old_id
  hash=$(inputs_hash "$name") || die "cannot compute inputs of image $name"
  have=$(docker image inspect -f "{{index .Config.Labels \"$TESTBED_INPUTS_LABEL\"}}" "$ref" 2>/dev/null || true)
  if [[ $have == "$hash" && -z ${SC_TESTBED_REBUILD:-} ]]; then
    say "image $ref up to date"
    return 0
  fi
  if [[ -z $have ]]; then
    say "building image $ref (missing)"
  elif [[ $have == "$hash" ]]; then
    say "building image $ref (SC_TESTBED_REBUILD set)"
  else
    say "building image $ref (inputs changed)"
  fi
  old_id=$(docker image inspect -f '{{.Id}}' "$ref" 2>/dev/null || true)
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/sc-testbed-$name.XXXXXX")
  base=swarm-canary/$name-rootfs:${hash:0:12}
  # (not "( ... ) || die": bash would then ignore set -e inside the subshell)
  set +e
  (
    set -euo pipefail
    export ROOTFS=$tmp/rootfs IMAGE_DIR=$dir
    mkdir -p "$ROOTFS" "$tmp/ctx"
    # shellcheck disable=SC1090,SC1091
    source "$dir/image.sh"
    image_rootfs
    tar -C "$ROOTFS" --numeric-owner -cf - . | docker import - "$base" >/dev/null
    cp "$dir/Dockerfile" "$tmp/ctx/Dockerfile"
    DOCKER_BUILDKIT=0 docker build -q --force-rm --build-arg "BASE=$base" \
      --label "$TESTBED_INPUTS_LABEL=$hash" -t "$ref" "$tmp/ctx" >/dev/null
  ) >"$tmp.log" 2>&1
  local rc=$?
  set -e
  docker rmi "$base" >/dev/null 2>&1 || true # only untags when the build succeeded: the image keeps the layer
  if [[ $rc != 0 ]]; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "building image $ref failed (output above)"
  fi
  # drop the previous build (fails harmlessly while containers still use it)
  if [[ -n $old_id && $old_id != "$(docker image inspect -f '{{.Id}}' "$ref")" ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp" "$tmp.log"
  say "built image $ref"
}
