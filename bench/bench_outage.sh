#!/usr/bin/env bash
# Memory through a broker outage: spillway-emu paced at --rate Posts/s → spillway run → RocksDB + Kafka
# (spillway-kafka-mock); after --warmup s the broker goes down for --outage s ("down 1" on the mock's
# stdin), then comes back; the stream runs --after s more, then the emulator stops and the outbox drains.
# Samples spillway's RSS every second and reports its peak (VmHWM), the Posts stored and delivered, the
# largest outbox and how long the drain took. Checks before it reports that every stored Post was
# delivered and the outbox is empty. A benchmark, not a test.
#   bench/bench_outage.sh [--rate 50000] [--outage 60] [--warmup 10] [--after 10] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
rate=50000 outage=60 warmup=10 after=10 build=build
usage="usage: $0 [--rate R] [--outage S] [--warmup S] [--after S] [--build DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --outage) outage=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
bin="$build/bin"
bench_need_programs "$build" spillway spillway-emu spillway-kafka-mock

work=$(mktemp -d /tmp/spillway-bench-outage-XXXXXX)
trap bench_kill_started EXIT

# The mock broker reads commands on stdin and answers on stdout: a coprocess.
coproc MOCK { exec "$bin/spillway-kafka-mock" --brokers 1 --topic "x.posts:16" 2> "$work/kafka.log"; }
bench_pids+=("$MOCK_PID")
read -r -t 20 -u "${MOCK[0]}" bootstrap || { echo "bench: the mock broker did not start; see $work/kafka.log" >&2; exit 1; }
mock() { echo "$1" >&"${MOCK[1]}"; local reply; read -r -t 20 -u "${MOCK[0]}" reply; [[ "$reply" == ok* ]] || { echo "bench: mock: $1: $reply" >&2; exit 1; }; }

bench_start_emu "$work" --count 0 --rate "$rate" --seed 7
emu_pid=$bench_emu_pid
mport=$(bench_free_port)
{
  bench_toml_stream "$bench_emu_url"; bench_toml_rocksdb "$work/db"
  bench_toml_kafka "$bootstrap" 30s; bench_toml_metrics "127.0.0.1:$mport"
} > "$work/bench.toml"
X_BEARER_TOKEN=bench "$bin/spillway" run --config "$work/bench.toml" 2> "$work/run.log" &
run_pid=$!; bench_pids+=("$run_pid")

scrape() { curl -s -m 2 "http://127.0.0.1:$mport/metrics" > "$work/metrics.txt" 2>/dev/null || true; }
rss_mb() { awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$run_pid/status"; }
max_rss=0 max_outbox=0
sample() {
  scrape
  local r o; r=$(rss_mb); o=$(bench_metric spillway_kafka_outbox_posts "$work/metrics.txt")
  [ "$r" -gt "$max_rss" ] && max_rss=$r
  [ "$o" -gt "$max_outbox" ] && max_outbox=$o
  echo "$1 t=$2 rss_mb=$r stored=$(bench_metric spillway_posts_stored_total "$work/metrics.txt") delivered=$(bench_metric spillway_kafka_delivered_total "$work/metrics.txt") outbox=$o" >> "$work/samples.txt"
}
for t in $(seq 1 "$warmup"); do sleep 1; sample warmup "$t"; done
stored_before=$(bench_metric spillway_posts_stored_total "$work/metrics.txt")
[ "$stored_before" -gt 0 ] || { echo "bench: nothing stored after ${warmup} s; see $work/run.log" >&2; exit 1; }
mock "down 1"
for t in $(seq 1 "$outage"); do sleep 1; sample outage "$t"; done
stored_outage=$(( $(bench_metric spillway_posts_stored_total "$work/metrics.txt") - stored_before ))
mock "up 1"
for t in $(seq 1 "$after"); do sleep 1; sample after "$t"; done
kill -TERM "$emu_pid"; wait "$emu_pid" 2>/dev/null || true
drain_start=$(date +%s.%N)
drained=0
for t in $(seq 1 600); do
  sleep 1; sample drain "$t"
  stored=$(bench_metric spillway_posts_stored_total "$work/metrics.txt")
  delivered=$(bench_metric spillway_kafka_delivered_total "$work/metrics.txt")
  outbox=$(bench_metric spillway_kafka_outbox_posts "$work/metrics.txt")
  [ "$outbox" = 0 ] && [ "$delivered" -ge "$stored" ] && { drained=1; break; }
done
drain_s=$(awk -v a="$drain_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
hwm_mb=$(bench_peak_rss_mb "$run_pid")
kill -TERM "$run_pid"; wait "$run_pid" || true
[ "$drained" = 1 ] || { echo "bench: the outbox did not drain within 600 s (stored $stored, delivered $delivered, outbox $outbox); see $work" >&2; exit 1; }
echo "{\"benchmark\":\"broker_outage\",\"rate\":$rate,\"outage_s\":$outage,\"posts_stored\":$stored,\"posts_delivered\":$delivered,\"stored_during_outage_per_s\":$((stored_outage / outage)),\"max_outbox_posts\":$max_outbox,\"drain_after_stream_end_s\":$drain_s,\"peak_rss_mb\":$hwm_mb,\"max_sampled_rss_mb\":$max_rss,\"load_avg\":\"$(bench_load_avg)\",\"machine\":\"$(bench_machine)\"}"
[ -n "${BENCH_KEEP:-}" ] && cp "$work/samples.txt" "$BENCH_KEEP.samples.txt"
rm -rf "$work"
