#!/usr/bin/env bash
# The receive path's CPU cost beside curl's, side by side in each run: spillway-emu sends N Posts over TLS
# (plain HTTP with --plain) as fast as it can, once to `curl` (which only decodes the chunked body and
# writes it to a pipe; its CPU alone is counted) and once to bench-receive (Spillway's own TLS session, chunked decoding, line framing, SPSC
# ring and full JSON validation of every Post, into a null sink). bench-receive checks it got N valid
# Posts in order before it reports. Prints one JSON line per run and a summary with medians and the
# ratio of the two CPU costs per Post. A benchmark, not a test.
#   bench/bench_receive.sh [--posts N] [--runs R] [--plain] [--build DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
posts=200000 runs=5 tls=1 build=build
usage="usage: $0 [--posts N] [--runs R] [--plain] [--build DIR]"
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --plain) tls=0; shift ;;
    --build) build=$2; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
bin="$build/bin"
bench_need_programs "$build" spillway-emu bench-receive
command -v curl > /dev/null || { echo "bench: curl is missing (apt-get install curl)" >&2; exit 2; }

work=$(mktemp -d /tmp/spillway-bench-receive-XXXXXX)
trap 'bench_kill_started; rm -rf "$work"' EXIT
# Starts an emulator that sends exactly $posts Posts and then closes the stream and exits.
start_emu() {
  local args=(--count "$posts" --exit-after-count --rate 0 --seed "$1" --bearer bench)
  [ "$tls" = 1 ] && args+=(--tls --cert-out "$work/ca.pem")
  bench_start_emu "$work" "${args[@]}"
}

curl_col="" ours_col="" ratio_col="" per_cpu_col=""
for run in $(seq 1 "$runs"); do
  # curl: its user+system CPU from bash's `time` (curl's start-up, ~10 ms, is included).
  start_emu "$run"
  url=$bench_emu_url
  curl_args=(-s -N -H "Authorization: Bearer bench" "$url/2/tweets/search/stream")
  [ "$tls" = 1 ] && curl_args+=(--cacert "$work/ca.pem")
  TIMEFORMAT='%U %S'
  # curl writes into a pipe; `time` covers curl alone, and grep counts the Posts it passed on.
  { time curl "${curl_args[@]}" ; } 2> "$work/curl.time" | grep -c '"data"' > "$work/curl.count" || true
  bench_stop_started
  curl_lines=$(cat "$work/curl.count")
  [ "$curl_lines" = "$posts" ] || { echo "bench: curl read $curl_lines of $posts Posts" >&2; exit 1; }
  curl_cpu=$(awk '{printf "%.3f", $1 + $2}' "$work/curl.time")
  curl_us=$(awk -v c="$curl_cpu" -v n="$posts" 'BEGIN {printf "%.3f", c * 1e6 / n}')

  start_emu "$run"
  ca_args=()
  [ "$tls" = 1 ] && ca_args=(--ca "$work/ca.pem")
  ours=$("$bin/bench-receive" --url "$bench_emu_url" "${ca_args[@]}" --bearer bench --posts "$posts")
  bench_stop_started
  ours_us=$(sed -n 's/.*"cpu_us_per_post":\([0-9.]*\).*/\1/p' <<< "$ours")
  per_cpu=$(sed -n 's/.*"posts_per_cpu_s":\([0-9]*\).*/\1/p' <<< "$ours")
  ratio=$(awk -v a="$ours_us" -v b="$curl_us" 'BEGIN {printf "%.2f", a / b}')
  echo "{\"run\":$run,\"tls\":$tls,\"posts\":$posts,\"curl_cpu_us_per_post\":$curl_us,\"spillway\":$ours,\"ratio_to_curl\":$ratio}"
  curl_col+=" $curl_us"; ours_col+=" $ours_us"; ratio_col+=" $ratio"; per_cpu_col+=" $per_cpu"
done
m() { tr ' ' '\n' <<< "$1" | grep -v '^$' | bench_median; }
echo "{\"benchmark\":\"receive_path_vs_curl\",\"tls\":$tls,\"runs\":$runs,\"posts\":$posts,\"median_curl_cpu_us_per_post\":$(m "$curl_col"),\"median_spillway_cpu_us_per_post\":$(m "$ours_col"),\"median_spillway_posts_per_cpu_s\":$(m "$per_cpu_col"),\"median_ratio_to_curl\":$(m "$ratio_col"),\"load_avg\":\"$(bench_load_avg)\",\"machine\":\"$(bench_machine)\"}"
