#!/usr/bin/env bash
# End-to-end throughput: spillway-emu (unlimited rate) → spillway run → RocksDB, on this machine.
# Prints one JSON line per run and a summary with medians. A benchmark, not a test.
#   bench/bench_e2e.sh [--posts N] [--runs R] [--tls] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
posts=200000 runs=3 tls=0 build=build
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --tls) tls=1; shift ;;
    --build) build=$2; shift 2 ;;
    *) echo "usage: $0 [--posts N] [--runs R] [--tls] [--build DIR]" >&2; exit 2 ;;
  esac
done
bin="$build/bin"
ticks=$(getconf CLK_TCK)
results=()
for run in $(seq 1 "$runs"); do
  work=$(mktemp -d /tmp/spillway-bench-XXXXXX)
  emu_args=(--port 0 --ready-file "$work/url" --count "$posts" --rate 0 --seed "$run")
  [ "$tls" = 1 ] && emu_args+=(--tls --cert-out "$work/ca.pem")
  "$bin/spillway-emu" "${emu_args[@]}" > "$work/emu.log" 2>&1 &
  emu_pid=$!
  for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
  {
    echo "[stream]"; echo "base_url = \"$(cat "$work/url")\""
    [ "$tls" = 1 ] && echo "ca_file = \"$work/ca.pem\""
    echo "[sinks.rocksdb]"; echo "path = \"$work/db\""
    echo "[metrics]"; echo "enabled = false"
  } > "$work/bench.toml"
  X_BEARER_TOKEN=bench "$bin/spillway" run --config "$work/bench.toml" 2> "$work/run.log" &
  run_pid=$!
  for _ in $(seq 1 1200); do
    grep -q "Posts stored\|stopped" "$work/run.log" 2>/dev/null && break
    # The database does not exist until spillway has started: a failing stats is "not yet".
    n=$("$bin/spillway" stats --db "$work/db" 2>/dev/null | sed -n 's/.*"posts":\([0-9]*\).*/\1/p' || true)
    [ "${n:-0}" -ge "$posts" ] && break
    sleep 0.5
  done
  read -r utime stime < <(awk '{print $14, $15}' "/proc/$run_pid/stat")
  hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$run_pid/status")
  kill -TERM "$run_pid"; wait "$run_pid" || true
  kill -TERM "$emu_pid" 2>/dev/null || true; wait "$emu_pid" 2>/dev/null || true
  line=$(grep "stopped:" "$work/run.log" | tail -1)
  rate=$(sed -n 's/.* = \([0-9]*\) Posts\/s.*/\1/p' <<< "$line")
  mbs=$(sed -n 's/.*Posts\/s, \([0-9.]*\) MB\/s.*/\1/p' <<< "$line")
  stored=$(sed -n 's/.*stopped: \([0-9]*\) Posts stored.*/\1/p' <<< "$line")
  cpu_s=$(awk -v u="$utime" -v s="$stime" -v t="$ticks" 'BEGIN {printf "%.2f", (u+s)/t}')
  us_per_post=$(awk -v c="$cpu_s" -v n="$stored" 'BEGIN {printf "%.2f", (n > 0 ? c*1e6/n : 0)}')
  json="{\"run\":$run,\"tls\":$tls,\"posts\":$stored,\"posts_per_s\":$rate,\"mb_per_s\":$mbs,\"spillway_cpu_s\":$cpu_s,\"cpu_us_per_post\":$us_per_post,\"peak_rss_mb\":$((hwm_kb / 1024))}"
  echo "$json"
  results+=("$rate")
  [ "$stored" = "$posts" ] || { echo "bench: stored $stored of $posts Posts; see $work/run.log" >&2; exit 1; }
  rm -rf "$work"
done
median=$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "{\"benchmark\":\"e2e_emu_to_rocksdb\",\"tls\":$tls,\"runs\":$runs,\"posts\":$posts,\"median_posts_per_s\":$median,\"machine\":\"$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\"}"
