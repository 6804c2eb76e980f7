#!/usr/bin/env bash
# The README's demo command: installs the Debian packages, builds, then runs the whole path on this
# machine: the bundled X API emulator streams POSTS Posts over HTTP/1.1 chunked into `spillway run`,
# which stores them in RocksDB and produces them to a local Kafka-protocol broker (librdkafka's mock
# cluster in its own process); then it prints what landed, read back with kcat. Everything listens on
# 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${POSTS:-5000}"
bash scripts/install-deps.sh
BUILD_TARGETS="spillway spillway-emu spillway-kafka-mock" bash scripts/build.sh

work="$(pwd)/demo-data"
rm -rf "$work" && mkdir -p "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for_file() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; echo "demo: $1 never appeared" >&2; exit 1; }

# 1. The X API emulator: a Bearer token is required, as on the real API; Posts at 2,000/s.
export X_BEARER_TOKEN="demo-token-not-a-secret"
build/bin/spillway-emu --port 0 --ready-file "$work/emu.url" --count "$POSTS" --rate 2000 --heartbeat 1 \
  --bearer "$X_BEARER_TOKEN" --dump "$work/emulator-sent.jsonl" --seed 42 > "$work/emu.log" 2>&1 &
emu_pid=$!
pids+=($emu_pid)
wait_for_file "$work/emu.url"

# 2. The Kafka-protocol broker (librdkafka mock cluster, its own process).
build/bin/spillway-kafka-mock --brokers 1 --topic x.posts:3 --ready-file "$work/kafka.addr" --ignore-eof \
  > "$work/kafka.log" 2>&1 < /dev/null &
pids+=($!)
wait_for_file "$work/kafka.addr"

# 3. Spillway, with the demo config; the environment points it at the emulator and the broker.
export SPILLWAY_STREAM__BASE_URL="$(cat "$work/emu.url")"
export SPILLWAY_SINKS_ROCKSDB__PATH="$work/rocksdb"
export SPILLWAY_METRICS__LISTEN="127.0.0.1:0"
export SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS="$(cat "$work/kafka.addr")"
build/bin/spillway run --config config/examples/demo.toml 2> "$work/spillway.log" &
spillway_pid=$!
pids+=($spillway_pid)

echo "demo: streaming $POSTS Posts from $SPILLWAY_STREAM__BASE_URL into $work/rocksdb ..."
# `export` opens the database read-only, so it can count what is committed while the service runs.
for _ in $(seq 1 300); do
  stored=$(build/bin/spillway export --db "$work/rocksdb" 2>/dev/null | wc -l || true)
  [ "$stored" -ge "$POSTS" ] && break
  sleep 0.5
done
kill -TERM "$spillway_pid"
wait "$spillway_pid" && status=0 || status=$?
echo "demo: spillway run exited with $status"
tail -n 3 "$work/spillway.log"
kill -TERM "$emu_pid"; wait "$emu_pid" || true   # the emulator flushes its --dump when it exits

# 4. What landed.
build/bin/spillway export --db "$work/rocksdb" > "$work/exported.jsonl" 2>/dev/null
landed=$(wc -l < "$work/exported.jsonl")
sent=$(wc -l < "$work/emulator-sent.jsonl")
echo
echo "demo: the emulator sent $sent Posts; $landed landed in RocksDB ($(du -sh "$work/rocksdb" | cut -f1) on disk)"
if cmp -s <(sort "$work/emulator-sent.jsonl") <(sort "$work/exported.jsonl"); then
  echo "demo: every Post landed exactly once, byte for byte"
else
  echo "demo: MISMATCH between what was sent and what landed" >&2
  exit 1
fi
echo "demo: the first Post stored:"
head -n 1 "$work/exported.jsonl" | cut -c 1-400

# Kafka, read back by an independent client (kcat): one record per Post, value = the raw line.
kcat -b "$SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS" -C -t x.posts -e -q -f '%s\n' > "$work/kafka-values.jsonl" 2>/dev/null || true
in_kafka=$(wc -l < "$work/kafka-values.jsonl")
echo "demo: kcat read $in_kafka records from Kafka topic x.posts"
if cmp -s <(sort "$work/exported.jsonl") <(sort -u "$work/kafka-values.jsonl"); then
  echo "demo: Kafka holds exactly the stored Posts, byte for byte"
else
  echo "demo: Kafka and RocksDB differ" >&2
  exit 1
fi
echo "demo: one Kafka record with its headers:"
kcat -b "$SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS" -C -t x.posts -c 1 -e -q -f 'key=%k  headers=%h\n' 2>/dev/null || true
