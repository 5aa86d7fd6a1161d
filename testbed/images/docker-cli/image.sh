# shellcheck shell=bash
# swarm-canary/docker-cli: a docker CLI usable in a minimal image (for prune jobs etc.):
# Debian's /usr/bin/docker (same version as the engine; dynamic, so its ldd libraries are
# copied too) or $SC_TESTBED_DOCKER_CLI (e.g. a static binary), plus busybox sh.
docker_cli_binary() {
  echo "${SC_TESTBED_DOCKER_CLI:-/usr/bin/docker}"
}
image_inputs() {
  command -v busybox || echo /bin/busybox
  binary_inputs "$(docker_cli_binary)"
}
image_rootfs() {
  add_busybox
  add_base_files
  add_binary "$(docker_cli_binary)" /usr/local/bin/docker
}
