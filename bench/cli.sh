#!/usr/bin/env bash
# Benchmark: how fast the CLI answers, whole process (JVM start included), against the docker CLI doing the nearest
# thing, in one run: `status` against `docker service ls`, `shift` (xds delivery, returns once every Envoy ACKed)
# against `docker service update --label-add` of the same edge, and `--version` (JVM start alone); each swarm-canary
# command in three JVM set-ups: plain `java -jar`, tuned (C1 only + serial GC, what bin/swarm-canary and the Jenkins
# runner use) and tuned + a class-data-sharing archive of this jar (bin/swarm-canary's default); with a JDK 25 or later
# (BENCH_JAVA25, else the first /usr/lib/jvm/*25* found) also tuned on it and tuned + its ahead-of-time cache (JEP 483/514).
# Usage: bench/cli.sh [ROUNDS]   (default 5; rounds interleave the set-ups so load changes hit them alike).
# Needs the test bed (started here) and target/swarm-canary.jar. Prints medians of wall and CPU (user+sys) seconds and
# the ratios; writes bench/results/cli-<timestamp>.json.
set -euo pipefail
shopt -s inherit_errexit

ROUNDS=${1:-5}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [ROUNDS]  (a positive integer)" >&2; exit 2; }
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=swarm-canary/testapp:latest
ENVOY_IMAGE=swarm-canary/envoy:latest
PORT=${BENCH_PORT:-10166}
RUN_ID=$(printf '%04x%04x' "$$" "$RANDOM")
EDGE=benchcliedge$RUN_ID
APP=benchcli$RUN_ID
ENVNAME=bench
DOMAIN=$APP.bench.test

say() { echo "bench: $*" >&2; }
die() { say "ERROR: $*"; exit 1; }
WORK=$(mktemp -d)
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cleanup() {
  say "cleaning up $EDGE and $APP"
  bench_rm_edge "$EDGE" "^($APP-|$EDGE)"
}
bench_traps

cd "$ROOT"
bench_bed
copy_jar
JAR=$WORK/swarm-canary.jar
TUNED=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
CDS=(-XX:SharedArchiveFile="$WORK/cli.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off)
sc() { java "${TUNED[@]}" -jar "$JAR" "$@"; }
MODES=(plain tuned cds)
JAVA25=${BENCH_JAVA25:-$(ls -d /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -n1 || true)}
if [[ -n $JAVA25 ]] && "$JAVA25" -XX:AOTMode=off -version >/dev/null 2>&1; then
  MODES+=(tuned25 aot25)
else
  JAVA25=
fi
say "swarm-canary $(sc --version), run id $RUN_ID: edge $EDGE (xds) on port $PORT, track $APP-$ENVNAME, $ROUNDS rounds"

# ------------------------------------------------------------------ set-up (untimed)
CP_IMAGE=$(bench_cli_image "$EDGE-cli:latest" 2>"$WORK/image.out") || { cat "$WORK/image.out" >&2; die "control plane image"; }
sc edge ensure --edge "$EDGE" --port "$PORT" --image "$ENVOY_IMAGE" --delivery xds --control-plane-image "$CP_IMAGE" \
  --probe-host "$PROBE" -q >"$WORK/edge.out" 2>&1 || { cat "$WORK/edge.out" >&2; die "edge ensure failed"; }
for v in 1.0.0 2.0.0; do
  sc deploy --edge "$EDGE" --probe-host "$PROBE" --app "$APP" --env "$ENVNAME" --version "$v" --image "$IMAGE" \
    --env "APP_VERSION=$v" --domain "$DOMAIN" -q >"$WORK/deploy.out" 2>&1 || { cat "$WORK/deploy.out" >&2; die "deploy $v"; }
done
# the archive as bin/swarm-canary makes it: by the first command that changes the edge (it loads the planner and
# Envoy's types, which status no longer does)
java "${TUNED[@]}" -XX:ArchiveClassesAtExit="$WORK/cli.jsa" -jar "$JAR" shift --edge "$EDGE" --probe-host "$PROBE" \
  --app "$APP" --env "$ENVNAME" --weight 5 -q >/dev/null 2>&1 || die "shift (making the archive) failed"
[[ -s $WORK/cli.jsa ]] || die "no class-data-sharing archive was written"
if [[ -n $JAVA25 ]]; then
  # the ahead-of-time cache made the same way: one training run of a shift (AOTCacheOutput trains and writes at exit)
  "$JAVA25" "${TUNED[@]}" -XX:AOTCacheOutput="$WORK/cli.aot" -jar "$JAR" shift --edge "$EDGE" --probe-host "$PROBE" \
    --app "$APP" --env "$ENVNAME" --weight 6 -q >/dev/null 2>&1 || die "shift (making the AOT cache) failed"
  [[ -s $WORK/cli.aot ]] || die "no ahead-of-time cache was written"
fi

# timed CMD...: appends "<name> <wall> <cpu>" to $WORK/times; the command's failure fails the run
TIMEFORMAT='%R %U %S'
timed() {
  local name=$1 t
  shift
  t=$({ time "$@" >"$WORK/last.out" 2>&1; } 2>&1) || { cat "$WORK/last.out" >&2; die "$name failed"; }
  awk -v n="$name" '{ printf "%s %.3f %.3f\n", n, $1, $2 + $3 }' <<<"$t" >>"$WORK/times"
}
# jvm MODE: the java and its options of a set-up
jvm() {
  case $1 in
    plain) echo java ;;
    tuned) echo "java ${TUNED[*]}" ;;
    cds) echo "java ${TUNED[*]} ${CDS[*]}" ;;
    tuned25) echo "$JAVA25 ${TUNED[*]}" ;;
    aot25) echo "$JAVA25 ${TUNED[*]} -XX:AOTCache=$WORK/cli.aot" ;;
  esac
}

# ------------------------------------------------------------------ rounds
: >"$WORK/times"
weight=10
for round in $(seq 1 "$ROUNDS"); do
  timed "docker-service-ls" docker service ls
  timed "docker-label-add" docker service update --detach --label-add "bench.round=$round" "$EDGE"
  for mode in "${MODES[@]}"; do
    # shellcheck disable=SC2046 # the options are words
    timed "version-$mode" $(jvm "$mode") -jar "$JAR" --version
    # shellcheck disable=SC2046
    timed "status-$mode" $(jvm "$mode") -jar "$JAR" status --edge "$EDGE" --probe-host "$PROBE"
    weight=$((weight == 10 ? 20 : 10))
    # shellcheck disable=SC2046
    timed "shift-$mode" $(jvm "$mode") -jar "$JAR" shift --edge "$EDGE" --probe-host "$PROBE" --app "$APP" \
      --env "$ENVNAME" --weight "$weight" -q
  done
  say "round $round of $ROUNDS done"
done

# ------------------------------------------------------------------ report
mkdir -p bench/results
OUT=bench/results/cli-$(date -u +%Y%m%dT%H%M%SZ).json
python3 - "$WORK/times" "$OUT" "$ROUNDS" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, statistics, sys
times, out, rounds, load = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
by = {}
for line in open(times):
    name, wall, cpu = line.split()
    by.setdefault(name, []).append((float(wall), float(cpu)))
med = {n: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for n, v in by.items()}
print(f"{'command':<22}{'wall s (median)':>16}{'cpu s (median)':>16}   runs")
for n in sorted(med):
    print(f"{n:<22}{med[n][0]:>16.3f}{med[n][1]:>16.3f}   {len(by[n])}")
ratios = {}
modes = [m for m in ("plain", "tuned", "cds", "tuned25", "aot25") if f"status-{m}" in med]
for mode in modes:
    ratios[f"status-{mode} / docker-service-ls"] = med[f"status-{mode}"][0] / med["docker-service-ls"][0]
    ratios[f"shift-{mode} / docker-label-add"] = med[f"shift-{mode}"][0] / med["docker-label-add"][0]
for cmd in ("version", "status", "shift"):
    ratios[f"{cmd} cpu plain / cds"] = med[f"{cmd}-plain"][1] / med[f"{cmd}-cds"][1]
    ratios[f"{cmd} wall plain / cds"] = med[f"{cmd}-plain"][0] / med[f"{cmd}-cds"][0]
    if "aot25" in modes:
        ratios[f"{cmd} wall cds / aot25"] = med[f"{cmd}-cds"][0] / med[f"{cmd}-aot25"][0]
        ratios[f"{cmd} cpu cds / aot25"] = med[f"{cmd}-cds"][1] / med[f"{cmd}-aot25"][1]
print()
for k, v in ratios.items():
    print(f"ratio {k:<38}{v:>8.2f}")
print(f"\nload average at the end: {load}")
json.dump({"rounds": rounds, "load": load, "runs": by, "medians": med, "ratios": ratios}, open(out, "w"), indent=1)
print(f"written {out}")
PY
