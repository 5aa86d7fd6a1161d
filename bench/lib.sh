# shellcheck shell=bash
# Shared by the benchmarks (sourced; they define say, die and WORK first).

# A private copy of the jar: others rebuild target/ concurrently, and a run must measure one build.
copy_jar() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if [[ -f target/swarm-canary.jar ]] && cp target/swarm-canary.jar "$WORK/swarm-canary.jar" &&
      java -jar "$WORK/swarm-canary.jar" --version >/dev/null 2>&1; then
      return 0
    fi
    ((attempt < 5)) || die "target/swarm-canary.jar missing or broken (build: mvn -q -o -DskipTests package)"
    say "target/swarm-canary.jar not usable (mid-rebuild?); retrying in 5s"
    sleep 5
  done
}
