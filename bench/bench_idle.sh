#!/usr/bin/env bash
# What a quiet service costs: `spillway run` with both sinks (the emulator paced at 10 Posts/s, the mock broker)
# for --seconds after a 3 s start, as its CPU time and its threads' voluntary context switches (wake-ups) per
# second. Prints one JSON object; a benchmark, not a test (no figure is asserted).
#   bench/bench_idle.sh [--build DIR] [--seconds S]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
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
trap 'bench_kill_started; wait 2>/dev/null || true; rm -rf "$work"' EXIT
bench_start_emu "$work" --count 1000000 --rate 10
bench_start_mock "$work" 16
{
  bench_toml_stream "$bench_emu_url"; bench_toml_rocksdb "$work/db"
  bench_toml_kafka "$bench_mock_addr"; bench_toml_metrics 127.0.0.1:0
} > "$work/idle.toml"
X_BEARER_TOKEN=bench "$bin/spillway" run --config "$work/idle.toml" 2> "$work/run.log" &
run_pid=$!; bench_pids+=("$run_pid")
sleep 3
kill -0 "$run_pid" 2>/dev/null || { echo "bench_idle: spillway exited; its log:" >&2; cat "$work/run.log" >&2; exit 1; }
wakeups() { cat /proc/"$run_pid"/task/*/status | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s}'; }
t0=$(bench_cpu_ticks "$run_pid"); w0=$(wakeups)
sleep "$seconds"
t1=$(bench_cpu_ticks "$run_pid"); w1=$(wakeups)
echo "{\"benchmark\":\"idle_service\",\"seconds\":$seconds,\"emu_rate\":10,\"cpu_percent_of_one_core\":$(awk -v t=$((t1 - t0)) -v hz="$bench_clk_tck" -v s="$seconds" 'BEGIN {printf "%.2f", 100 * t / hz / s}'),\"wakeups_per_s\":$(( (w1 - w0) / seconds )),\"machine\":\"$(bench_machine)\"}"
