#!/usr/bin/env bash
# The README's demo command: installs the Debian packages, builds, then runs the whole path on this
# machine: the bundled X API emulator streams POSTS Posts over HTTP/1.1 chunked into `spillway run`,
# which stores them in RocksDB; then it prints what landed. Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS="${POSTS:-5000}"
bash scripts/install-deps.sh
bash scripts/build.sh

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
pids+=($!)
wait_for_file "$work/emu.url"

# 2. Spillway, with the demo config; the environment points it at the emulator's port.
export SPILLWAY_STREAM__BASE_URL="$(cat "$work/emu.url")"
export SPILLWAY_SINKS_ROCKSDB__PATH="$work/rocksdb"
export SPILLWAY_METRICS__LISTEN="127.0.0.1:0"
export SPILLWAY_SINKS_KAFKA__ENABLED=false
export SPILLWAY_STREAM__RULES_SYNC_ON_START=false
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

# 3. What landed.
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
