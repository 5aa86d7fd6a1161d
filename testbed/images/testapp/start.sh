#!/bin/sh
# PID 1 of swarm-canary/testapp: remember the start time (for READY_DELAY), then serve port 80.
# busybox "nc -ll -e" accepts connections forever and forks /app/conn for each one.
date +%s >/tmp/started
echo "testapp: version=${APP_VERSION:-unknown} host=$(hostname) ready_delay=${READY_DELAY:-0} error_rate=${ERROR_RATE:-0} listening on :80"
# PID 1 gets no default signal handling: trap TERM so "docker service rm" does not wait out its grace period
nc -ll -p 80 -e /app/conn &
server=$!
trap 'kill "$server" 2>/dev/null; exit 143' TERM INT
wait "$server"
