# shellcheck shell=bash
# What the shell benchmarks (bench_e2e.sh, bench_idle.sh, bench_outage.sh, bench_receive.sh, bench_targets.sh)
# share; sourced from the repository root after `set -euo pipefail`, never run. The caller sets `bin` (the
# build's bin/ directory) before it starts anything. Provides:
#   bench_start_emu DIR [ARG]...   spillway-emu --port 0 --ready-file DIR/url ARG... (log: DIR/emu.log); waits
#                                  for the ready file: pid in bench_emu_pid, base URL in bench_emu_url
#   bench_start_mock DIR P         spillway-kafka-mock, one broker, topic x.posts with P partitions (log:
#                                  DIR/kafka.log, ready file DIR/kafka.addr); waits for it: pid in
#                                  bench_mock_pid, bootstrap address in bench_mock_addr
#   bench_pids, bench_kill_started, bench_stop_started, bench_wait_started
#                                  every pid started (the caller adds its own); SIGTERM to each (for an
#                                  EXIT trap); SIGTERM and wait for each, or only wait, and forget them
#   bench_wait_file FILE           up to 10 s for FILE to be non-empty (status 1 if it never is)
#   bench_need_programs BUILD NAME...  exit 2 naming the first of BUILD/bin/NAME... that is missing
#   bench_toml_stream URL [CA_FILE], bench_toml_rocksdb PATH, bench_toml_kafka BOOTSTRAP [SHUTDOWN_TIMEOUT],
#   bench_toml_metrics LISTEN      the [stream], [sinks.rocksdb], [sinks.kafka] (topic x.posts), [metrics]
#                                  sections of a `spillway run` config, on stdout
#   bench_free_port                a free TCP port on 127.0.0.1
#   bench_metric NAME FILE         a sample of a /metrics scrape as an integer (0 when absent)
#   bench_cpu_ticks PID, bench_cpu_s PID   user+system CPU of a process, in clock ticks / seconds ("%.2f")
#   bench_peak_rss_mb PID          its peak RSS (VmHWM), whole MiB
#   bench_median                   the median of the numbers on stdin (the lower middle one of an even count)
#   bench_load_avg, bench_machine  "1.00 0.50 0.25"; "<N> cores, <CPU model>"
# Every server listens on 127.0.0.1 only; processes are ended by pid.
[[ "${BASH_SOURCE[0]}" != "$0" ]] || { echo "bench_lib.sh is sourced by the bench scripts, not run" >&2; exit 2; }

bench_clk_tck=$(getconf CLK_TCK)
bench_pids=()
bench_emu_pid="" bench_emu_url="" bench_mock_pid="" bench_mock_addr=""

bench_kill_started() {
  local p
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
bench_stop_started() {
  local p
  for p in "${bench_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  bench_pids=()
}
bench_wait_started() {
  local p
  for p in "${bench_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bench_pids=()
}

bench_wait_file() {
  local _
  for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done
  return 1
}

bench_need_programs() {
  local build=$1 b
  shift
  for b in "$@"; do
    [ -x "$build/bin/$b" ] || { echo "bench: $build/bin/$b is missing; build it (cmake --build $build --target $b)" >&2; exit 2; }
  done
}

bench_start_emu() {
  local dir=$1
  shift
  rm -f "$dir/url"
  # shellcheck disable=SC2154  # bin: the caller's, see above
  "$bin/spillway-emu" --port 0 --ready-file "$dir/url" "$@" > "$dir/emu.log" 2>&1 &
  bench_emu_pid=$!
  bench_pids+=("$bench_emu_pid")
  bench_wait_file "$dir/url" || { echo "bench: the emulator did not start; see $dir/emu.log" >&2; exit 1; }
  # shellcheck disable=SC2034  # for the caller
  bench_emu_url=$(cat "$dir/url")
}

bench_start_mock() {
  local dir=$1 partitions=$2
  rm -f "$dir/kafka.addr"
  "$bin/spillway-kafka-mock" --brokers 1 --topic "x.posts:$partitions" --ready-file "$dir/kafka.addr" \
    --ignore-eof > "$dir/kafka.log" 2>&1 < /dev/null &
  bench_mock_pid=$!
  bench_pids+=("$bench_mock_pid")
  bench_wait_file "$dir/kafka.addr" || { echo "bench: the mock broker did not start; see $dir/kafka.log" >&2; exit 1; }
  # shellcheck disable=SC2034  # for the caller
  bench_mock_addr=$(cat "$dir/kafka.addr")
}

bench_toml_stream() {
  printf '[stream]\nbase_url = "%s"\n' "$1"
  if [ -n "${2:-}" ]; then printf 'ca_file = "%s"\n' "$2"; fi
}
bench_toml_rocksdb() { printf '[sinks.rocksdb]\npath = "%s"\n' "$1"; }
bench_toml_kafka() {
  printf '[sinks.kafka]\nenabled = true\nbootstrap_servers = "%s"\ntopic = "x.posts"\n' "$1"
  if [ -n "${2:-}" ]; then printf 'shutdown_timeout = "%s"\n' "$2"; fi
}
bench_toml_metrics() { printf '[metrics]\nlisten = "%s"\n' "$1"; }

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
bench_metric() { awk -v m="$1" '$1 == m {printf "%d", $2; found=1} END {if (!found) print 0}' "$2"; }

bench_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
bench_cpu_s() { awk -v t="$bench_clk_tck" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
bench_peak_rss_mb() { awk '/VmHWM/ {printf "%d", $2 / 1024}' "/proc/$1/status"; }

bench_median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
bench_load_avg() { cut -d' ' -f1-3 /proc/loadavg; }
bench_machine() {
  echo "$(nproc) cores, $({ grep -m1 'model name' /proc/cpuinfo || true; } | cut -d: -f2 | xargs)"
}
