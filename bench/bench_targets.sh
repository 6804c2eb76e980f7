#!/usr/bin/env bash
# Issue 13's figure set in one sequence, as the README's "Current main" table quotes it: RocksDB only (plain ×5,
# TLS ×3), both sinks (plain ×5, TLS ×3), both sinks paced at 50,000 Posts/s (×3), the receive path beside curl
# (×3), heap allocations per Post without and with Kafka, and (with --outage) the 60 s broker outage. Prints the
# summary line of each program under a header naming it, with the start and end time and the load average. A
# benchmark sequence, not a test: each program checks its own result before it reports.
#   bench/bench_targets.sh [--build DIR] [--outage]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/bench_lib.sh
build=build outage=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --outage) outage=1; shift ;;
    *) echo "usage: $0 [--build DIR] [--outage]" >&2; exit 2 ;;
  esac
done
stamp() { echo "== $1 $(date -u +%H:%M:%S) UTC, load $(bench_load_avg)"; }
section() { echo "== $1"; }
stamp start
section "RocksDB only, plain";  bash bench/bench_e2e.sh --runs 5 --build "$build" | tail -1
section "RocksDB only, TLS";    bash bench/bench_e2e.sh --runs 3 --tls --build "$build" | tail -1
section "both sinks, plain";    bash bench/bench_e2e.sh --runs 5 --kafka --build "$build" | tail -1
section "both sinks, TLS";      bash bench/bench_e2e.sh --runs 3 --kafka --tls --build "$build" | tail -1
section "both sinks, paced 50,000 Posts/s"; bash bench/bench_e2e.sh --runs 3 --kafka --rate 50000 --build "$build" | tail -1
section "receive path vs curl"; bash bench/bench_receive.sh --runs 3 --build "$build" | tail -1
bin="$build/bin"
work=$(mktemp -d /tmp/spillway-targets-XXXXXX)
trap 'bench_kill_started; rm -rf "$work"' EXIT
bench_start_emu "$work" --count 100000 --dump "$work/corpus.jsonl" --exit-after-count
curl -s -N -m 60 -H "Authorization: Bearer bench" "$bench_emu_url/2/tweets/search/stream" > /dev/null || true
bench_wait_started
section "heap allocations per Post";           "$build/bin/bench-alloc" --corpus "$work/corpus.jsonl" --warmup 20000 2>/dev/null | tail -1
section "heap allocations per Post, Kafka on"; "$build/bin/bench-alloc" --corpus "$work/corpus.jsonl" --warmup 20000 --kafka 2>/dev/null | tail -1
if [ "$outage" = 1 ]; then
  section "60 s broker outage at 50,000 Posts/s"; bash bench/bench_outage.sh --rate 50000 --outage 60 --build "$build" | tail -1
fi
stamp end
