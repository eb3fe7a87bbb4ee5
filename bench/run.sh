#!/usr/bin/env bash
# Runs Chord's benchmarks and regenerates the generated part of BENCHMARKS.md and bench/plots/.
#   bench/run.sh quick   # < 3 minutes on a 2-core machine
#   bench/run.sh full    # < 30 minutes
#   bench/run.sh live    # full's live-connection runs only, < 10 minutes
# SKIP_BUILD=1 reuses chord-bench/target/benchmarks.jar instead of rebuilding it.
set -euo pipefail

mode="${1:-quick}"
# LiveLoad runs: name, then options
# the idle pair offers permessage-deflate as browsers do; the server negotiates it only when on.
# The fan-out runs are on the server's default collector (G1) and once more on the Parallel
# collector: at 100,000 messages/s G1's concurrent refinement (Jetty's per-connection send state is
# old and each send stores young objects into it) took about a third of the server's CPU per message
# (chord-server README, "Fan-out: one write per message, and the collector").
full_live_runs=(
  "idle-10000|--readers 10000 --contexts 100 --rate 10 --seconds 30 --warmup 5 --deflate plain"
  "idle-10000-compressed|--readers 10000 --contexts 100 --rate 10 --seconds 30 --warmup 5 --deflate plain --server-args --ws-compression=on"
  "fanout-1000|--readers 1000 --contexts 1 --rate 100 --seconds 30 --warmup 5"
  "fanout-1000-parallel-gc|--readers 1000 --contexts 1 --rate 100 --seconds 30 --warmup 5 --jvm-args -XX:+UseParallelGC"
  "fanout-1000-over-100|--readers 1000 --contexts 100 --rate 100 --seconds 30 --warmup 5"
  "fanout-10000|--readers 10000 --contexts 1 --rate 10 --seconds 30 --warmup 5"
  "slow-500|--stalled 500 --readers 20 --rate 100 --payload 2000 --seconds 60 --warmup 5"
)
only_live=0
case "$mode" in
  quick)
    jmh_opts=(-f 1 -wi 1 -w 1s -i 5 -r 300ms)
    scenario_opts=(--runs 3 --jit-warmup 2 --warmup 0.5 --seconds 1)
    redis_jmh_opts=(-f 1 -wi 1 -w 500ms -i 2 -r 500ms)
    redis_scenario_opts=(--runs 3 --jit-warmup 1 --warmup 0.2 --seconds 0.5)
    memory_opts=(--rooms 100 --updates 2000)
    redis_requests=20000
    # name, then LiveLoad options: one short idle run and one short slow-reader run
    live_runs=(
      "idle-1000|--readers 1000 --contexts 100 --rate 10 --seconds 10 --warmup 2"
      "slow-100|--stalled 100 --readers 20 --rate 100 --payload 2000 --seconds 15 --warmup 2"
    )
    ;;
  full)
    jmh_opts=(-f 2 -wi 3 -w 1s -i 5 -r 1s)
    scenario_opts=(--runs 5 --jit-warmup 5 --warmup 2 --seconds 3)
    redis_jmh_opts=("${jmh_opts[@]}")
    redis_scenario_opts=("${scenario_opts[@]}")
    memory_opts=(--rooms 200 --updates 10000)
    redis_requests=200000
    live_runs=("${full_live_runs[@]}")
    ;;
  live)
    # only full's live-connection runs, into BENCHMARKS.md's live section; nothing else is rerun
    live_runs=("${full_live_runs[@]}")
    only_live=1
    ;;
  *)
    echo "usage: bench/run.sh quick|full|live" >&2
    exit 64
    ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
results=bench/results
jar=chord-bench/target/benchmarks.jar
server_jar=chord-server/target/chord-server.jar
load_before="$(cut -d' ' -f1-3 /proc/loadavg | sed 's| | / |g')"
started=$(date +%s)
# Each section starts with a phase line; its load average (1, 5, 15 min) goes to loads.tsv, so the
# report shows the load at the start and end of every section, not only of the whole run.
phase() {
  local load
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "== $* (at $(( $(date +%s) - started )) s, load $load)"
  # (not in live mode: loads.tsv belongs to the last quick or full run, whose report reads it)
  if [[ -d "$results" && $only_live != 1 ]]; then printf '%s\t%s\n' "$*" "$load" >> "$results/loads.tsv"; fi
}

if [[ "${SKIP_BUILD:-0}" != 1 || ! -f "$jar" || ! -f "$server_jar" ]]; then
  phase "building $jar and $server_jar"
  mvn -B -q -pl chord-bench,chord-server -am package -DskipTests
fi

scenarios_ok=1
redis_ok=1
postgres_ok=1
if [[ $only_live == 1 ]]; then
  mkdir -p "$results"
  rm -f "$results"/live-*.json
else
rm -rf "$results"
mkdir -p "$results" bench/plots
: > "$results/loads.tsv"

phase "JMH microbenchmarks (${jmh_opts[*]})"
java -jar "$jar" "${jmh_opts[@]}" -prof gc -prof dev.chord.bench.CpuTimeProfiler -rf json -rff "$results/jmh.json" \
  'dev\.chord\.bench\.(Update|Sync|SetContext|Delta|Contention)Benchmark' \
  | grep -E '^(Benchmark|[A-Z][A-Za-z]+Benchmark\.[A-Za-z0-9]+ )' || true

phase "the original's scenarios, in-memory (${scenario_opts[*]})"
scenarios_ok=1
java -cp "$jar" dev.chord.bench.ScenarioRunner "${scenario_opts[@]}" \
  --out "$results/scenarios-memory.json" || scenarios_ok=0

phase "memory per context and per delta"
java -Djdk.attach.allowAttachSelf=true -cp "$jar" dev.chord.bench.MemoryFootprint \
  "${memory_opts[@]}" --out "$results/memory.json" 2>&1 | grep -v '^# WARNING' || true

phase "Redis"
redis_ok=1
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  echo "redis-server or redis-benchmark not installed (Debian: apt-get install -y redis-server)"
  printf '{"available": false, "reason": "redis-server/redis-benchmark not installed on this machine (Debian: apt-get install -y redis-server)"}\n' \
    > "$results/redis.json"
else
  # A private server on a free port: the command counts must see no other client.
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis_dir="$(mktemp -d)"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$redis_dir" \
    --logfile "$redis_dir/redis.log" &
  redis_pid=$!
  trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$redis_dir"' EXIT
  for _ in $(seq 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  uri="redis://127.0.0.1:$port"
  java -jar "$jar" "${redis_jmh_opts[@]}" -rf json -rff "$results/jmh-redis.json" -p "redisUri=$uri" \
    -p "commandStats=$results/redis-commandstats.jsonl" \
    'dev\.chord\.bench\.RedisBenchmark' \
    | grep -E '^(Benchmark|RedisBenchmark\.[A-Za-z0-9]+ )' || true
  java -cp "$jar" dev.chord.bench.RedisRunner --uri "$uri" --results "$results" \
    --requests "$redis_requests" "${redis_scenario_opts[@]}" || redis_ok=0
fi

phase "PostgreSQL"
postgres_ok=1
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]]; then
  echo "PostgreSQL server binaries not installed (Debian: apt-get install -y postgresql): no PostgreSQL section"
else
  # A private server on a free port, default durability settings: the WAL figures must see no
  # other client. A subshell, so that its EXIT trap stops the server whatever happens.
  (
    pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pg_dir="$(mktemp -d)"
    as_pg=()
    if [[ $(id -u) == 0 ]]; then
      chown postgres:postgres "$pg_dir"
      as_pg=(runuser -u postgres --)
    fi
    trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate -w stop >/dev/null 2>&1; rm -rf "$pg_dir"' EXIT
    "${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w \
      -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $pg_dir" start >/dev/null
    url="jdbc:postgresql://127.0.0.1:$pg_port/postgres?user=postgres"
    java -jar "$jar" "${redis_jmh_opts[@]}" -rf json -rff "$results/jmh-postgres.json" -p "jdbcUrl=$url" \
      'dev\.chord\.bench\.PostgresBenchmark' \
      | grep -E '^(Benchmark|PostgresBenchmark\.[A-Za-z0-9]+ )' || true
    java -cp "$jar" dev.chord.bench.PostgresRunner --url "$url" --results "$results" \
      --markdown BENCHMARKS.md --command "bench/run.sh $mode" \
      --where "a private server started for this run (initdb, default settings: fsync and synchronous_commit on)" \
      "${redis_scenario_opts[@]}"
  ) || postgres_ok=0
fi

fi

# The live endpoint under load from another process: LiveLoad starts the fat jar (-Xmx2g, in-memory
# default) for each run and drives it over loopback. 10,000 sockets need the descriptors.
live_ok=1
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
for run in "${live_runs[@]}"; do
  name="${run%%|*}"
  read -r -a live_opts <<< "${run#*|}"
  phase "live connections: $name (${live_opts[*]})"
  java -cp "$jar" dev.chord.bench.LiveLoad --server-jar "$server_jar" --xmx 2g --name "$name" \
    --out "$results/live-$name.json" "${live_opts[@]}" || live_ok=0
done
java -cp "$jar" dev.chord.bench.LiveSection --results "$results" --markdown BENCHMARKS.md \
  --command "bench/run.sh $mode" || live_ok=0

if [[ $only_live == 1 ]]; then
  echo "== done in $(( $(date +%s) - started )) s: BENCHMARKS.md (live connections)"
  [[ $live_ok == 1 ]] || { echo "a live run failed: see above" >&2; exit 2; }
  exit 0
fi

load_after="$(cut -d' ' -f1-3 /proc/loadavg | sed 's| | / |g')"
phase "report"
java -cp "$jar" dev.chord.bench.Report --results "$results" --plots bench/plots \
  --markdown BENCHMARKS.md --command "bench/run.sh $mode" --load-before "$load_before" --load-after "$load_after" \
  --settings "JMH ${jmh_opts[*]} -prof gc -prof dev.chord.bench.CpuTimeProfiler (Redis: ${redis_jmh_opts[*]}); scenarios ${scenario_opts[*]} --callers 8 (Redis: ${redis_scenario_opts[*]}); memory ${memory_opts[*]}; nice $(nice)"

echo "== done in $(( $(date +%s) - started )) s: BENCHMARKS.md, bench/plots/"
if [[ $scenarios_ok != 1 || $redis_ok != 1 || $postgres_ok != 1 || $live_ok != 1 ]]; then
  echo "a scenario lost updates or the Redis, PostgreSQL or live part failed: see above and BENCHMARKS.md" >&2
  exit 2
fi
