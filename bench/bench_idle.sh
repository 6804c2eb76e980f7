#!/usr/bin/env bash
# What a quiet service costs: `spillway run` with both sinks (the emulator paced at 10 Posts/s, the mock broker)
# for --seconds after a 3 s start, as its CPU time and its threads' voluntary context switches (wake-ups) per
# second. Prints one JSON object; a benchmark, not a test (no figure is asserted).
#   bench/bench_idle.sh [--build DIR] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--seconds S]" >&2; exit 2 ;;
  esac
done
bin="$build/bin"
work=$(mktemp -d /tmp/spillway-idle-XXXXXX)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/spillway-emu" --port 0 --ready-file "$work/url" --count 1000000 --rate 10 > "$work/emu.log" 2>&1 &
pids+=($!)
"$bin/spillway-kafka-mock" --brokers 1 --topic "x.posts:16" --ready-file "$work/kafka.addr" --ignore-eof \
  > "$work/kafka.log" 2>&1 < /dev/null &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/kafka.addr" ] && [ -s "$work/url" ] && break; sleep 0.1; done
cat > "$work/idle.toml" <<EOT
[stream]
base_url = "$(cat "$work/url")"
[sinks.rocksdb]
path = "$work/db"
[sinks.kafka]
enabled = true
bootstrap_servers = "$(cat "$work/kafka.addr")"
topic = "x.posts"
[metrics]
listen = "127.0.0.1:0"
EOT
X_BEARER_TOKEN=bench "$bin/spillway" run --config "$work/idle.toml" 2> "$work/run.log" &
run_pid=$!; pids+=("$run_pid")
sleep 3
kill -0 "$run_pid" 2>/dev/null || { echo "bench_idle: spillway exited; its log:" >&2; cat "$work/run.log" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$run_pid/stat"; }
wakeups() { cat /proc/"$run_pid"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }
t0=$(ticks); w0=$(wakeups)
sleep "$seconds"
t1=$(ticks); w1=$(wakeups)
hz=$(getconf CLK_TCK)
echo "{\"benchmark\":\"idle_service\",\"seconds\":$seconds,\"emu_rate\":10,\"cpu_percent_of_one_core\":$(awk -v t=$((t1 - t0)) -v hz="$hz" -v s="$seconds" 'BEGIN {printf "%.2f", 100 * t / hz / s}'),\"wakeups_per_s\":$(( (w1 - w0) / seconds )),\"machine\":\"$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\"}"
