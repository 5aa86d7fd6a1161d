#!/usr/bin/env bash
# Builds the product image from the repository's Dockerfile on the test bed's local JRE base
# (swarm-canary/jre:latest, made by testbed/up.sh) and the shaded jar (mvn package).
# Usage: testbed/cli-image.sh [TAG] [JAR]   (defaults: swarm-canary/cli:latest, target/swarm-canary.jar)
# Skips the build when TAG already holds this very jar (label io.swarm-canary.jar-sha256).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TAG=${1:-swarm-canary/cli:latest}
JAR=${2:-$REPO/target/swarm-canary.jar}
[[ -f $JAR ]] || { echo "cli-image: $JAR is missing; run 'mvn -q -DskipTests package' first" >&2; exit 2; }
docker image inspect swarm-canary/jre:latest >/dev/null 2>&1 ||
  { echo "cli-image: base swarm-canary/jre:latest is missing; run testbed/up.sh" >&2; exit 2; }
sum=$(sha256sum "$JAR" | cut -d' ' -f1)
have=$(docker image inspect -f '{{index .Config.Labels "io.swarm-canary.jar-sha256"}}' "$TAG" 2>/dev/null || true)
if [[ $have == "$sum" ]]; then
  echo "cli-image: $TAG up to date"
  exit 0
fi
# a context of its own: the jar is copied once (a rebuild of target/ meanwhile cannot mix two builds)
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/target"
cp "$REPO/Dockerfile" "$REPO/.dockerignore" "$ctx/"
cp "$JAR" "$ctx/target/swarm-canary.jar"
sum=$(sha256sum "$ctx/target/swarm-canary.jar" | cut -d' ' -f1)
DOCKER_BUILDKIT=0 docker build -q --force-rm --build-arg BASE=swarm-canary/jre:latest \
  --label "io.swarm-canary.jar-sha256=$sum" -t "$TAG" "$ctx" >"$ctx/build.log" 2>&1 ||
  { cat "$ctx/build.log" >&2; exit 1; }
echo "cli-image: built $TAG"
