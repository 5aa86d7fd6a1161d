# shellcheck shell=bash
# swarm-canary/jre: a jlink'ed Java 17 runtime plus the glibc files ldd lists, nothing else (no shell).
# The base of the product's own image (the Dockerfile at the repository root, BASE build argument),
# which runs the CLI and the xDS control plane; users build the same Dockerfile on a public JRE image.
# Modules: what jdeps lists for the shaded jar, plus jdk.httpserver (control-plane status endpoint),
# java.management (gRPC/Netty), jdk.crypto.ec (TLS to a remote Docker) and jdk.naming.dns.
JRE_MODULES=java.base,java.compiler,java.desktop,java.naming,java.security.jgss,java.sql,jdk.unsupported,java.logging,java.management,java.net.http,jdk.httpserver,jdk.crypto.ec,jdk.naming.dns
jdk_home() {
  dirname "$(dirname "$(readlink -f "$(command -v jlink)")")"
}
image_inputs() {
  # the JDK's version file and its base module stand for the JDK (hashing every jmod takes seconds)
  echo "$(jdk_home)/release"
  echo "$(jdk_home)/jmods/java.base.jmod"
}
image_rootfs() {
  add_base_files
  jlink --add-modules "$JRE_MODULES" --strip-debug --no-header-files --no-man-pages --compress=2 \
    --output "$ROOTFS/opt/java"
  local f lib
  # the launcher and every native library of the runtime need glibc (and each other, found via rpath)
  for f in "$ROOTFS/opt/java/bin/java" "$ROOTFS"/opt/java/lib/*.so "$ROOTFS"/opt/java/lib/server/*.so; do
    for lib in $(ldd_libs "$f" | grep -v "^$ROOTFS") $(nss_libs "$f"); do
      [[ $lib == /opt/java/* ]] && continue
      mkdir -p "$ROOTFS/$(dirname "$lib")"
      cp -L "$lib" "$ROOTFS/$lib"
    done
  done
}
