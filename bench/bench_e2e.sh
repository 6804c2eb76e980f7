#!/usr/bin/env bash
# End-to-end throughput: spillway-emu (unlimited rate unless --rate) → spillway run → RocksDB (and with --kafka also
# Kafka: spillway-kafka-mock, librdkafka's mock cluster in its own process), on this machine.
# Prints one JSON line per run and a summary with medians. A benchmark, not a test: each run checks that
# every Post was stored (and delivered, with --kafka) before it reports.
#   bench/bench_e2e.sh [--posts N] [--runs R] [--tls] [--kafka] [--partitions P] [--rate R] [--build DIR]
#                      [--property NAME=VALUE]...
# --property passes a librdkafka property through [sinks.kafka.properties] (repeatable), to measure a lever
# (e.g. linger.ms) without editing the shipped defaults.
# --rate R paces the emulator at R Posts/s (default 0: as fast as possible, which measures capacity; the
# latency quantiles then include queueing at saturation — pace below capacity to see the delivery latency).
# Progress is read from the metrics endpoint (cheap), not from the database, so polling does not compete
# with the service for the two cores. With --kafka, Posts/s and MB/s run from the first Post received to
# the last delivery report (acks=all); receive→delivered p50/p99/p999 come from the
# spillway_kafka_delivery_latency_seconds histogram scraped before shutdown (the upper bound of the
# bucket holding the quantile: 1 ms resolution up to 10 ms, ~25% above).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
posts=200000 runs=3 tls=0 kafka=0 partitions=16 emu_rate=0 build=build spool_max_bytes=""
properties=()
usage="usage: $0 [--posts N] [--runs R] [--tls] [--kafka] [--partitions P] [--rate R] [--build DIR] [--spool-max-bytes N] [--property NAME=VALUE]..."
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --tls) tls=1; shift ;;
    --kafka) kafka=1; shift ;;
    --partitions) partitions=$2; shift 2 ;;
    --rate) emu_rate=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --spool-max-bytes) spool_max_bytes=$2; shift 2 ;;
    --property) [[ "$2" == *=* ]] || { echo "$usage" >&2; exit 2; }; properties+=("$2"); shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
bin="$build/bin"
# CPU seconds per thread name of process $1, as a JSON object ({"spillway":1.23,"rdk:broker1":0.45,...}):
# which thread pays for a Post. The pipeline thread names itself "pipeline"; librdkafka (rdk:*) and RocksDB
# (rocksdb:*) name theirs; "spillway" is the main thread and anything else left unnamed (the reader).
threads_of() {
  for t in /proc/"$1"/task/*; do
    printf '%s\t%s\n' "$(cat "$t/comm" 2>/dev/null)" "$(cut -d')' -f2 "$t/stat" 2>/dev/null | awk '{print $12 + $13}')"
  done | awk -F'\t' -v t="$bench_clk_tck" '$2 != "" {c[$1] += $2} END {
    printf "{"; sep = ""; for (n in c) { printf "%s\"%s\":%.2f", sep, n, c[n] / t; sep = "," } printf "}" }'
}
# The upper bound (ms) of the first bucket of histogram $3 (default: Kafka delivery latency) whose cumulative
# count reaches quantile $1, from the scrape in file $2.
quantile_ms() {
  awk -v q="$1" -v h="^${3:-spillway_kafka_delivery_latency_seconds}_bucket" -F'[ "]' '$0 ~ h {
      le[n] = $2; cum[n] = $NF; n++ }
    END { if (n == 0) { print "null"; exit }  # a build without that histogram
      total = cum[n - 1]; for (i = 0; i < n; i++) if (cum[i] >= q * total) {
      if (le[i] == "+Inf") print "null"; else printf "%.1f", le[i] * 1000; exit } }' "$2"
}

declare -A col
fields="posts_per_s mb_per_s cpu_us_per_post peak_rss_mb p50_ms p99_ms p999_ms commit_p50_ms commit_p99_ms"
trap bench_kill_started EXIT
for run in $(seq 1 "$runs"); do
  work=$(mktemp -d /tmp/spillway-bench-XXXXXX)
  emu_args=(--count "$posts" --rate "$emu_rate" --seed "$run")
  ca_file=""
  [ "$tls" = 1 ] && { emu_args+=(--tls --cert-out "$work/ca.pem"); ca_file="$work/ca.pem"; }
  bench_start_emu "$work" "${emu_args[@]}"
  emu_pid=$bench_emu_pid
  # The mock keeps ~5 MiB per partition; nothing is read back here, so a few partitions are enough.
  [ "$kafka" = 1 ] && { bench_start_mock "$work" "$partitions"; mock_pid=$bench_mock_pid; }
  mport=$(bench_free_port)
  {
    bench_toml_stream "$bench_emu_url" "$ca_file"
    bench_toml_rocksdb "$work/db"
    if [ "$kafka" = 1 ]; then
      bench_toml_kafka "$bench_mock_addr" 30s
      if [ "${#properties[@]}" -gt 0 ]; then
        echo "[sinks.kafka.properties]"
        for p in "${properties[@]}"; do echo "\"${p%%=*}\" = \"${p#*=}\""; done
      fi
    fi
    [ -n "$spool_max_bytes" ] && { echo "[pipeline]"; echo "spool_max_bytes = $spool_max_bytes"; }
    bench_toml_metrics "127.0.0.1:$mport"
  } > "$work/bench.toml"
  X_BEARER_TOKEN=bench "$bin/spillway" run --config "$work/bench.toml" 2> "$work/run.log" &
  run_pid=$!; bench_pids+=("$run_pid")
  done_ok=0
  for _ in $(seq 1 1200); do
    if curl -s -m 2 "http://127.0.0.1:$mport/metrics" > "$work/metrics.txt" 2>/dev/null; then
      stored=$(bench_metric spillway_posts_stored_total "$work/metrics.txt")
      if [ "$kafka" = 1 ]; then
        delivered=$(bench_metric spillway_kafka_delivered_total "$work/metrics.txt")
        outbox=$(bench_metric spillway_kafka_outbox_posts "$work/metrics.txt")
        [ "$stored" -ge "$posts" ] && [ "$delivered" -ge "$posts" ] && [ "$outbox" = 0 ] && { done_ok=1; break; }
      else
        [ "$stored" -ge "$posts" ] && { done_ok=1; break; }
      fi
    fi
    grep -q "stopped:" "$work/run.log" 2>/dev/null && break
    sleep 0.2
  done
  cpu_s=$(bench_cpu_s "$run_pid")
  threads=$(threads_of "$run_pid")
  rss_mb=$(bench_peak_rss_mb "$run_pid")
  mock_cpu_s=null
  [ "$kafka" = 1 ] && mock_cpu_s=$(bench_cpu_s "$mock_pid")
  emu_cpu_s=$(bench_cpu_s "$emu_pid")
  kill -TERM "$run_pid"; wait "$run_pid" || true
  bench_stop_started
  [ "$done_ok" = 1 ] || { echo "bench: run $run did not store/deliver all $posts Posts; see $work" >&2; exit 1; }
  line=$(grep "stopped:" "$work/run.log" | tail -1)
  stored=$(sed -n 's/.*stopped: \([0-9]*\) Posts stored.*/\1/p' <<< "$line")
  [ "$stored" = "$posts" ] || { echo "bench: stored $stored of $posts Posts; see $work/run.log" >&2; exit 1; }
  store_rate=$(sed -n 's/.* = \([0-9]*\) Posts\/s.*/\1/p' <<< "$line")
  if [ "$kafka" = 1 ]; then
    # Delivery: first Post received → last delivery report, from the sink's shutdown line.
    kline=$(grep "kafka: delivered" "$work/run.log" | tail -1)
    rate=$(sed -n 's/.* = \([0-9]*\) Posts\/s.*/\1/p' <<< "$kline")
    mbs=$(sed -n 's/.*Posts\/s, \([0-9.]*\) MB\/s.*/\1/p' <<< "$kline")
    p50=$(quantile_ms 0.5 "$work/metrics.txt"); p99=$(quantile_ms 0.99 "$work/metrics.txt")
    p999=$(quantile_ms 0.999 "$work/metrics.txt")
  else
    rate=$store_rate
    mbs=$(sed -n 's/.*Posts\/s, \([0-9.]*\) MB\/s.*/\1/p' <<< "$line")
    p50=null p99=null p999=null
  fi
  # receive → committed in RocksDB (spillway_commit_latency_seconds), with or without Kafka.
  commit_p50=$(quantile_ms 0.5 "$work/metrics.txt" spillway_commit_latency_seconds)
  commit_p99=$(quantile_ms 0.99 "$work/metrics.txt" spillway_commit_latency_seconds)
  us_per_post=$(awk -v c="$cpu_s" -v n="$stored" 'BEGIN {printf "%.2f", (n > 0 ? c*1e6/n : 0)}')
  echo "{\"run\":$run,\"tls\":$tls,\"kafka\":$kafka,\"posts\":$stored,\"posts_per_s\":$rate,\"stored_posts_per_s\":$store_rate,\"mb_per_s\":$mbs,\"spillway_cpu_s\":$cpu_s,\"cpu_us_per_post\":$us_per_post,\"peak_rss_mb\":$rss_mb,\"p50_ms\":$p50,\"p99_ms\":$p99,\"p999_ms\":$p999,\"commit_p50_ms\":$commit_p50,\"commit_p99_ms\":$commit_p99,\"emu_cpu_s\":$emu_cpu_s,\"mock_cpu_s\":$mock_cpu_s,\"threads_cpu_s\":$threads}"
  col[posts_per_s]+=" $rate"; col[mb_per_s]+=" $mbs"; col[cpu_us_per_post]+=" $us_per_post"
  col[peak_rss_mb]+=" $rss_mb"; col[p50_ms]+=" $p50"; col[p99_ms]+=" $p99"; col[p999_ms]+=" $p999"
  col[commit_p50_ms]+=" $commit_p50"; col[commit_p99_ms]+=" $commit_p99"
  [ -n "${BENCH_KEEP:-}" ] && cp "$work/metrics.txt" "$BENCH_KEEP.run$run.metrics.txt"
  rm -rf "$work"
done
summary="{\"benchmark\":\"e2e_emu_to_$([ "$kafka" = 1 ] && echo rocksdb_kafka || echo rocksdb)\",\"tls\":$tls,\"runs\":$runs,\"posts\":$posts,\"emu_rate\":$emu_rate"
[ "$kafka" = 1 ] && summary+=",\"partitions\":$partitions"
for f in $fields; do
  m=$(tr ' ' '\n' <<< "${col[$f]}" | grep -v '^$' | bench_median)
  summary+=",\"median_$f\":$m"
done
summary+=",\"load_avg\":\"$(bench_load_avg)\",\"machine\":\"$(bench_machine)\"}"
echo "$summary"
