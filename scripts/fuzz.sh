#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/, clang-16, ASan+UBSan) into ./build-fuzz and fuzzes each for
# SECONDS (default 300), as many at once as there are cores; then replays every seed and regression input
# once (ctest fuzz:).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 3600 post_extractor response
#
# New inputs that reach new code are kept in build-fuzz/fuzz-corpus/<target>/ (the seeds in
# tests/fuzz/corpus/ are read, never written), so a second run continues where the first stopped.
# A crash or property violation leaves its input in build-fuzz/fuzz-artifacts/ and fails the run;
# copy it into tests/fuzz/regressions/<target>/ with the fix, so ctest replays it from then on.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_RSS_LIMIT_MB (default 2048, per target),
# FUZZ_JOBS (targets at once, default the number of cores),
# FUZZ_CC/FUZZ_CXX (default clang-16/clang++-16; read only when the build directory is first configured).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-300}"
shift || true
case "$seconds" in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2 ;; esac
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"
rss_limit="${FUZZ_RSS_LIMIT_MB:-2048}"

mapfile -t all < <(sed -n 's/^spillway_fuzz_target(\([a-z_0-9]*\).*/\1/p' tests/fuzz/targets.cmake)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  printf '%s\n' "${all[@]}" | grep -qx "$t" || { echo "fuzz.sh: no target '$t' (have: ${all[*]})" >&2; exit 2; }
done

start=$(date +%s)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  mkdir -p "$build_dir"
  CC="${FUZZ_CC:-clang-16}" CXX="${FUZZ_CXX:-clang++-16}" \
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSPILLWAY_FUZZ=ON \
    > "$build_dir.configure.log" 2>&1 || { cat "$build_dir.configure.log"; exit 1; }
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
cmake --build "$build_dir" -j"$(nproc)" --target "${build_targets[@]}"
built=$(date +%s)
echo "fuzz.sh: built ${#targets[@]} target(s) in $((built - start)) s"

mkdir -p "$build_dir/fuzz-artifacts"
# One target: fuzz it for $seconds, print one summary line, and leave "ok" or "failed" in <target>.result.
fuzz_one() {
  local t="$1" work="$build_dir/fuzz-corpus/$1" log="$build_dir/fuzz-artifacts/$1.log" t0
  mkdir -p "$work"
  local dirs=("$work" "tests/fuzz/corpus/$t") dict=()
  [ -d "tests/fuzz/regressions/$t" ] && dirs+=("tests/fuzz/regressions/$t")
  [ -f "tests/fuzz/dict/$t.dict" ] && dict=(-dict="tests/fuzz/dict/$t.dict")
  t0=$(date +%s)
  # -timeout: one input running longer than 25 s is a hang, reported like a crash.
  if "$build_dir/bin/${t}_fuzz" -max_total_time="$seconds" -rss_limit_mb="$rss_limit" -timeout=25 \
      -print_final_stats=1 -artifact_prefix="$build_dir/fuzz-artifacts/$t-" "${dict[@]}" "${dirs[@]}" > "$log" 2>&1; then
    echo ok > "$build_dir/fuzz-artifacts/$t.result"
    echo "fuzz.sh: $t: ok, $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) inputs in $(( $(date +%s) - t0 )) s"
  else
    echo failed > "$build_dir/fuzz-artifacts/$t.result"
    echo "fuzz.sh: $t: FAILED after $(( $(date +%s) - t0 )) s — the report (last 40 lines of $log):"
    tail -n 40 "$log"
  fi
}

# As many targets at once as there are cores (FUZZ_JOBS): each still gets $seconds on a core of its own.
jobs="${FUZZ_JOBS:-$(nproc)}"
running=0
for t in "${targets[@]}"; do
  rm -f "$build_dir/fuzz-artifacts/$t.result"
  fuzz_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait
failed=()
for t in "${targets[@]}"; do
  [ "$(cat "$build_dir/fuzz-artifacts/$t.result" 2>/dev/null)" = ok ] || failed+=("$t")
done

# The seeds and every regression input once each, without fuzzing (the ctest the fuzz build registers).
pattern="^fuzz:($(IFS='|'; echo "${targets[*]}"))\$"
ctest --test-dir "$build_dir" -R "$pattern" --output-on-failure || failed+=("ctest fuzz:")

echo "fuzz.sh: finished in $(( $(date +%s) - start )) s (build $((built - start)) s)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: FAILED: ${failed[*]}; inputs in $build_dir/fuzz-artifacts/" >&2
  exit 1
fi
