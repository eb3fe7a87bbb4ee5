#!/usr/bin/env bash
# Runs Chord's benchmarks and regenerates the generated part of BENCHMARKS.md and bench/plots/.
#   bench/run.sh quick   # < 3 minutes on a 2-core machine
#   bench/run.sh full    # < 20 minutes
# SKIP_BUILD=1 reuses chord-bench/target/benchmarks.jar instead of rebuilding it.
set -euo pipefail

mode="${1:-quick}"
case "$mode" in
  quick)
    jmh_opts=(-f 1 -wi 2 -w 500ms -i 3 -r 500ms)
    scenario_opts=(--runs 3 --warmup 0.5 --seconds 1)
    ;;
  full)
    jmh_opts=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
    scenario_opts=(--runs 5 --warmup 2 --seconds 3)
    ;;
  *)
    echo "usage: bench/run.sh quick|full" >&2
    exit 64
    ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results=bench/results
jar=chord-bench/target/benchmarks.jar
load_before="$(cut -d' ' -f1-3 /proc/loadavg | sed 's| | / |g')"
started=$(date +%s)

if [[ "${SKIP_BUILD:-0}" != 1 || ! -f "$jar" ]]; then
  echo "== building $jar"
  mvn -B -q -pl chord-bench -am package -DskipTests
fi

rm -rf "$results"
mkdir -p "$results" bench/plots

echo "== JMH microbenchmarks (${jmh_opts[*]})"
java -jar "$jar" "${jmh_opts[@]}" -prof gc -rf json -rff "$results/jmh.json" \
  'dev\.chord\.bench\.(Update|Sync|SetContext|Delta|Contention)Benchmark' \
  | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark\.[A-Za-z0-9]+ )' || true

echo "== the original's scenarios, in-memory (${scenario_opts[*]})"
scenarios_ok=1
java -cp "$jar" dev.chord.bench.ScenarioRunner "${scenario_opts[@]}" \
  --out "$results/scenarios-memory.json" || scenarios_ok=0

echo "== memory per context and per delta"
java -Djdk.attach.allowAttachSelf=true -cp "$jar" dev.chord.bench.MemoryFootprint \
  --out "$results/memory.json" 2>&1 | grep -v '^# WARNING' || true

echo "== report"
java -cp "$jar" dev.chord.bench.Report --results "$results" --plots bench/plots \
  --markdown BENCHMARKS.md --command "bench/run.sh $mode" --load-before "$load_before" \
  --settings "JMH ${jmh_opts[*]} -prof gc; scenarios ${scenario_opts[*]} --callers 8"

echo "== done in $(( $(date +%s) - started )) s: BENCHMARKS.md, bench/plots/"
if [[ $scenarios_ok != 1 ]]; then
  echo "a scenario LOST UPDATES: see BENCHMARKS.md" >&2
  exit 2
fi
