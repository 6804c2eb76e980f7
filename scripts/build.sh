#!/usr/bin/env bash
# Configures and builds Spillway into ./build (binaries in build/bin/). Extra arguments go to CMake.
# BUILD_DIR, BUILD_TYPE and BUILD_TARGETS (space-separated; default: everything) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" "$@" > "$build_dir.configure.log" 2>&1 \
  || { cat "$build_dir.configure.log"; exit 1; }
targets=()
for t in ${BUILD_TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$build_dir" -j"$(nproc)" "${targets[@]}"
