#!/usr/bin/env bash
# Benchmark: delivery `redeploy` against `xds`, side by side in one run, under the same constant load.
# Usage: bench/xds.sh [SHIFTS]   (default 5,25,50,100; the same weights for both deliveries)
# Runs bench/shift.sh once per delivery, one after the other, with the same rate, steady and baseline
# phases (BENCH_RATE, BENCH_STEADY, BENCH_BASELINE as there): redeploy on BENCH_PORT (10164), xds on
# BENCH_PORT+2 with its control-plane status on BENCH_PORT+3. Then prints, per delivery, the median time
# from `shift` started to the new weights served (the live Envoy answering with the new revision),
# the median wall time of `shift`, failed requests per shift, and the ratios redeploy/xds.
# Writes bench/results/xds-<timestamp>.json (+ the two shift runs' JSON next to it).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SHIFTS=${*:-5,25,50,100}
PORT=${BENCH_PORT:-10164}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
for delivery in redeploy xds; do
  port=$PORT
  [[ $delivery == redeploy ]] || port=$((PORT + 2))
  echo "bench: === delivery $delivery (port $port) ===" >&2
  BENCH_DELIVERY=$delivery BENCH_PORT=$port BENCH_OUT=bench/results/xds-$stamp.$delivery.json \
    bash bench/shift.sh "$SHIFTS"
done
python3 bench/xds_report.py bench/results/xds-$stamp.redeploy.json bench/results/xds-$stamp.xds.json \
  bench/results/xds-$stamp.json
