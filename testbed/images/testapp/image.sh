# shellcheck shell=bash
# swarm-canary/testapp: tiny misbehaving HTTP app (busybox httpd + a sh CGI). See README.md.
image_inputs() {
  command -v busybox || echo /bin/busybox
}
image_rootfs() {
  add_busybox
  add_base_files
  mkdir -p "$ROOTFS/app" "$ROOTFS/www/cgi-bin"
  install -m 0755 "$IMAGE_DIR/start.sh" "$ROOTFS/app/start"
  install -m 0755 "$IMAGE_DIR/conn.sh" "$ROOTFS/app/conn"
  install -m 0755 "$IMAGE_DIR/app.cgi" "$ROOTFS/www/cgi-bin/app"
  install -m 0644 "$IMAGE_DIR/httpd.conf" "$ROOTFS/etc/httpd.conf"
}
