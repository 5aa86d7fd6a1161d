#!/usr/bin/env bash
# Benchmark: `swarm-canary prune` at scale. Per size N: N managed secrets+configs (half each) and N/5 releases
# (replicas 0, tracks of 5, made straight through the Engine API by bench/prune_fixture.py), then
#   plan:  prune --dry-run          (time, Docker API calls)
#   apply: prune (plan + removals)   (time of the removals, Docker API calls, objects removed)
# Usage: bench/prune.sh [SIZES]   (default 100,1000). Needs the test bed (run here) and target/swarm-canary.jar.
# Everything is labelled with a per-run app name and removed at the end; prune runs with --app so it sees only that.
# SC_BED=3 runs it on the three-node bed: the CLI through the manager's TLS endpoint, the fixture on its own socket.
set -euo pipefail
shopt -s inherit_errexit

SIZES=${1:-100,1000}
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "usage: $0 [SIZES]  (comma-separated object counts, e.g. 100,1000)" >&2; exit 2; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
say() { echo "bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WORK=$(mktemp -d)
APPS=()
on_exit() {
  local rc=$? app
  trap - EXIT INT TERM HUP
  for app in "${APPS[@]}"; do
    say "cleaning up $app"
    python3 bench/prune_fixture.py delete "$app" || say "could not remove everything labelled io.swarm-canary.app=$app"
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

cd "$ROOT"
IMAGE=swarm-canary/testapp:latest ENVOY_IMAGE=swarm-canary/envoy:latest
bench_bed
# the fixture talks to the manager's own socket (replicas 0: no image is pulled)
export PRUNE_FIXTURE_SOCKET=/var/run/docker.sock
[[ ${SC_BED:-1} != 3 ]] || PRUNE_FIXTURE_SOCKET=$BED_RUN/${BED_NODES[0]}.sock
copy_jar
SC=(java -jar "$WORK/swarm-canary.jar")
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

printf '%-8s %-9s %-7s %-8s %-9s %-8s %-9s %-9s %-10s %-9s\n' objects releases tracks removed "plan s" "plan API" "apply s" "apply API" "API/object" "wall s"
rows=()
IFS=, read -ra sizes <<<"$SIZES"
for n in "${sizes[@]}"; do
  releases=$((n / 5))
  app=benchprune${RUN_ID}n$n
  APPS+=("$app")
  say "N=$n: creating $((n / 2)) secrets, $((n / 2)) configs, $releases releases ($app)"
  t0=$(now)
  python3 bench/prune_fixture.py create "$app" "$n" "$releases"
  say "  created in $(elapsed "$t0" "$(now)")s"
  "${SC[@]}" prune --app "$app" --older-than 0s --dry-run -q -o json >"$WORK/plan.json"
  t0=$(now)
  "${SC[@]}" prune --app "$app" --older-than 0s -q -o json >"$WORK/apply.json"
  wall=$(elapsed "$t0" "$(now)")
  plan_s=$(jq .stats.planSeconds "$WORK/plan.json")
  plan_calls=$(jq .stats.planApiCalls "$WORK/plan.json")
  apply_s=$(jq .stats.applySeconds "$WORK/apply.json")
  apply_calls=$(jq .stats.applyApiCalls "$WORK/apply.json")
  removed=$(jq '.result.removed | length' "$WORK/apply.json")
  skipped=$(jq '.result.skipped | length' "$WORK/apply.json")
  failed=$(jq '.result.failed | length' "$WORK/apply.json")
  ((skipped == 0 && failed == 0)) || say "  $skipped skipped, $failed failed: $(jq -c '.result.skipped[:3], .result.failed[:3]' "$WORK/apply.json")"
  per=$(awk -v c="$apply_calls" -v r="$removed" 'BEGIN { printf "%.2f", r ? c / r : 0 }')
  printf '%-8s %-9s %-7s %-8s %-9s %-8s %-9s %-9s %-10s %-9s\n' "$n" "$releases" "$((releases / 5))" "$removed" "$plan_s" \
    "$plan_calls" "$apply_s" "$apply_calls" "$per" "$wall"
  rows+=("$(jq -c --argjson n "$n" --argjson r "$releases" --argjson wall "$wall" \
    '{objects: $n, releases: $r, removed: (.result.removed | length), skipped: (.result.skipped | length),
      failed: (.result.failed | length), stats: .stats, wall_seconds: $wall}' "$WORK/apply.json")")
  python3 bench/prune_fixture.py delete "$app"
done
echo "(plan = one dry run: read + plan; apply = the removals of a real run, each re-checked against a fresh read of the"
echo " services first; API = Docker Engine API requests counted in the CLI; wall = the real run incl. JVM start and plan)"
echo "(1-min load average: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs; docker $(docker version -f '{{.Server.Version}}') on $(docker node ls -q | wc -l) node(s))"

mkdir -p bench/results
out=bench/results/prune-$(date -u +%Y%m%dT%H%M%SZ).json
printf '%s\n' "${rows[@]}" | jq -s --arg commit "$(git rev-parse --short HEAD)" '{benchmark: "prune", git_commit: $commit, runs: .}' >"$out"
say "results: $out"
