#!/bin/sh
# swarm-canary/testapp CGI: every request ends up here (TESTAPP_PATH = request path, set by
# /app/conn; QUERY_STRING etc. as usual).
# Knobs (environment of the service):
#   APP_VERSION  body of every response contains "version=$APP_VERSION host=<hostname>"
#   READY_DELAY  seconds after container start during which /health answers 503 (then 200)
#   ERROR_RATE   percent (0-100) of requests to any path but /health answered with 500
#   APP_SET_COOKIE  when set, every response carries "Set-Cookie: $APP_SET_COOKIE" (the app's own cookie)
# Paths:
#   /health          200 "status=ok ..." or 503 "status=starting ..." (never injected errors)
#   /secret/<name>   200 + sha256 hex of /run/secrets/<name> (never the content), 404 if missing
#   /env/<NAME>      200 + value of env var NAME, 404 if unset
#   anything else    200 "version=... host=..."
set -f
p=${TESTAPP_PATH:-/}
ver=${APP_VERSION:-unknown}
host=$(hostname)

respond() { # respond STATUS BODY
  printf 'Status: %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\nX-App-Version: %s\r\n' \
    "$1" $((${#2} + 1)) "$ver"
  [ -z "${APP_SET_COOKIE:-}" ] || printf 'Set-Cookie: %s\r\n' "$APP_SET_COOKIE"
  printf '\r\n%s\n' "$2"
  exit 0
}
num() { case $1 in '' | *[!0-9]*) echo 0 ;; *) echo "$1" ;; esac; }

if [ "$p" = /health ]; then
  started=$(num "$(cat /tmp/started 2>/dev/null)")
  delay=$(num "${READY_DELAY:-0}")
  if [ $(($(date +%s) - started)) -lt "$delay" ]; then
    respond "503 Service Unavailable" "status=starting version=$ver host=$host"
  fi
  respond "200 OK" "status=ok version=$ver host=$host"
fi

rate=$(num "${ERROR_RATE:-0}")
# shellcheck disable=SC3028 # busybox ash has $RANDOM
if [ "$rate" -gt 0 ] && [ $((RANDOM % 100)) -lt "$rate" ]; then
  respond "500 Internal Server Error" "error=injected version=$ver host=$host"
fi

case $p in
  /secret/*)
    name=${p#/secret/}
    case $name in '' | *[!A-Za-z0-9._-]* | . | ..) respond "400 Bad Request" "bad secret name" ;; esac
    [ -f "/run/secrets/$name" ] || respond "404 Not Found" "no secret $name"
    respond "200 OK" "$(sha256sum <"/run/secrets/$name" | cut -d' ' -f1)"
    ;;
  /env/*)
    name=${p#/env/}
    case $name in '' | [0-9]* | *[!A-Za-z0-9_]*) respond "400 Bad Request" "bad variable name" ;; esac
    isset='' value=''
    eval "isset=\${$name+x} value=\${$name-}"
    [ -n "$isset" ] || respond "404 Not Found" "no variable $name"
    respond "200 OK" "$value"
    ;;
esac
respond "200 OK" "version=$ver host=$host"
