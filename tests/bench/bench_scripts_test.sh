#!/usr/bin/env bash
# bench:scripts — the shell benchmarks (bench/*.sh) in a tiny, bounded mode, so that a change to them or to
# bench/bench_lib.sh that breaks one shows up in ctest: each run must exit 0 and print its JSON lines with
# the fields in the order they always had and sane values (python3 reads them: the scripts need it anyway);
# each script rejects an unknown option (exit 2, usage on stderr); no process a script started outlives it,
# neither after a good run nor when `spillway` fails (the EXIT traps). bench_targets.sh runs the others at
# full size (minutes), so only its usage is checked here.
#   usage: bench_scripts_test.sh <source dir> <build dir>
set -euo pipefail
src=$1 build=$2
work=$(mktemp -d /tmp/spillway-bench-scripts-XXXXXX)
# Every process a script starts inherits this variable, which is how the leftovers are found (and ended).
tag="spillway-bench-scripts-$$-$RANDOM"
leftovers() { grep -lsz "^SPILLWAY_BENCH_SCRIPTS_TAG=$tag\$" /proc/[0-9]*/environ | cut -d/ -f3 || true; }
end_leftovers() { local p; for p in $(leftovers); do kill "$p" 2>/dev/null || true; done; }
trap 'end_leftovers; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Up to 10 s for every process the last script started to be gone.
expect_no_leftovers() {
  local _
  for _ in $(seq 1 100); do [ -z "$(leftovers)" ] && return 0; sleep 0.1; done
  ps -o pid,args -p "$(leftovers | paste -sd,)" >&2 || true
  fail "$1 left the processes above running"
}

# run_script NAME EXPECTED_STATUS SCRIPT ARG...: bench/SCRIPT ARG... (at most 60 s), stdout in $work/NAME.out,
# stderr in $work/NAME.err; fails unless it exits EXPECTED_STATUS (a number, or "failure": 1 to 123) and
# leaves no process behind.
status_is() {
  if [ "$2" = failure ]; then [ "$1" -ge 1 ] && [ "$1" -le 123 ]; else [ "$1" = "$2" ]; fi
}
run_script() {
  local name=$1 expected=$2 script=$3 status=0 t0=$SECONDS
  shift 3
  SPILLWAY_BENCH_SCRIPTS_TAG=$tag timeout 60 bash "$src/bench/$script" "$@" > "$work/$name.out" 2> "$work/$name.err" ||
    status=$?
  if ! status_is "$status" "$expected"; then
    sed 's/^/  stderr: /' "$work/$name.err" >&2
    sed 's/^/  stdout: /' "$work/$name.out" >&2
    fail "bench/$script $* exited $status, expected $expected"
  fi
  expect_no_leftovers "bench/$script $*"
  echo "ok: bench/$script $* (exit $status, $((SECONDS - t0)) s)"
}

# check NAME KIND: the JSON lines of $work/NAME.out against what KIND (below) must print.
check() {
  python3 - "$2" "$work/$1.out" <<'PY' || fail "$1: the output above is not what bench/ prints"
import json, re, sys

kind, path = sys.argv[1], sys.argv[2]
text = open(path).read()
lines = [json.loads(l) for l in text.splitlines()]

def keys(obj, expected):
    got = list(obj)
    if got != expected.split():
        raise AssertionError(f"fields {got}\n  expected {expected.split()}")

def num(obj, key, lo=0, strict=True):
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < lo or (strict and v == lo):
        raise AssertionError(f"{key} = {v!r}, expected a number {'>' if strict else '>='} {lo}")

def eq(obj, key, value):
    if obj[key] != value or type(obj[key]) is not type(value):
        raise AssertionError(f"{key} = {obj[key]!r}, expected {value!r}")

def machine(obj, with_load=True):
    if not re.fullmatch(r"\d+ cores, .*", obj["machine"]):
        raise AssertionError(f"machine = {obj['machine']!r}")
    if with_load and not re.fullmatch(r"[\d.]+ [\d.]+ [\d.]+", obj["load_avg"]):
        raise AssertionError(f"load_avg = {obj['load_avg']!r}")

def count(n):
    if len(lines) != n:
        raise AssertionError(f"{len(lines)} lines, expected {n}")

try:
    if kind.startswith("e2e"):
        kafka, tls = "kafka" in kind, "tls" in kind
        count(2)
        run, summary = lines
        keys(run, "run tls kafka posts posts_per_s stored_posts_per_s mb_per_s spillway_cpu_s cpu_us_per_post"
                  " peak_rss_mb p50_ms p99_ms p999_ms commit_p50_ms commit_p99_ms emu_cpu_s mock_cpu_s threads_cpu_s")
        eq(run, "run", 1); eq(run, "tls", int(tls)); eq(run, "kafka", int(kafka)); eq(run, "posts", 3000)
        for k in ("posts_per_s", "stored_posts_per_s", "mb_per_s", "cpu_us_per_post", "peak_rss_mb",
                  "commit_p50_ms", "commit_p99_ms"):
            num(run, k)
        num(run, "spillway_cpu_s", strict=False); num(run, "emu_cpu_s", strict=False)
        if not isinstance(run["threads_cpu_s"], dict) or "pipeline" not in run["threads_cpu_s"]:
            raise AssertionError(f"threads_cpu_s = {run['threads_cpu_s']!r}")
        for k in ("p50_ms", "p99_ms", "p999_ms"):
            num(run, k) if kafka else eq(run, k, None)
        num(run, "mock_cpu_s", strict=False) if kafka else eq(run, "mock_cpu_s", None)
        keys(summary, "benchmark tls runs posts emu_rate" + (" partitions" if kafka else "") +
             " median_posts_per_s median_mb_per_s median_cpu_us_per_post median_peak_rss_mb median_p50_ms"
             " median_p99_ms median_p999_ms median_commit_p50_ms median_commit_p99_ms load_avg machine")
        eq(summary, "benchmark", "e2e_emu_to_rocksdb_kafka" if kafka else "e2e_emu_to_rocksdb")
        eq(summary, "tls", int(tls)); eq(summary, "runs", 1); eq(summary, "posts", 3000); eq(summary, "emu_rate", 0)
        if kafka:
            eq(summary, "partitions", 16)
        for k in ("posts_per_s", "mb_per_s", "cpu_us_per_post", "peak_rss_mb", "p50_ms", "p99_ms", "p999_ms",
                  "commit_p50_ms", "commit_p99_ms"):
            eq(summary, "median_" + k, run[k])  # the median of one run is that run
        machine(summary)
    elif kind == "idle":
        count(1)
        s = lines[0]
        keys(s, "benchmark seconds emu_rate cpu_percent_of_one_core wakeups_per_s machine")
        eq(s, "benchmark", "idle_service"); eq(s, "seconds", 1); eq(s, "emu_rate", 10)
        num(s, "cpu_percent_of_one_core", strict=False); num(s, "wakeups_per_s")
        machine(s, with_load=False)
    elif kind.startswith("receive"):
        tls = kind != "receive_plain"
        count(2)
        run, summary = lines
        keys(run, "run tls posts curl_cpu_us_per_post spillway ratio_to_curl")
        eq(run, "run", 1); eq(run, "tls", int(tls)); eq(run, "posts", 1000)
        num(run, "curl_cpu_us_per_post"); num(run, "ratio_to_curl")
        eq(run["spillway"], "posts", 1000); num(run["spillway"], "cpu_us_per_post"); num(run["spillway"], "posts_per_cpu_s")
        keys(summary, "benchmark tls runs posts median_curl_cpu_us_per_post median_spillway_cpu_us_per_post"
                      " median_spillway_posts_per_cpu_s median_ratio_to_curl load_avg machine")
        eq(summary, "benchmark", "receive_path_vs_curl"); eq(summary, "tls", int(tls))
        eq(summary, "runs", 1); eq(summary, "posts", 1000)
        for k in ("median_curl_cpu_us_per_post", "median_spillway_cpu_us_per_post",
                  "median_spillway_posts_per_cpu_s", "median_ratio_to_curl"):
            num(summary, k)
        machine(summary)
    elif kind == "outage":
        count(1)
        s = lines[0]
        keys(s, "benchmark rate outage_s posts_stored posts_delivered stored_during_outage_per_s max_outbox_posts"
                " drain_after_stream_end_s peak_rss_mb max_sampled_rss_mb load_avg machine")
        eq(s, "benchmark", "broker_outage"); eq(s, "rate", 1000); eq(s, "outage_s", 1)
        for k in ("posts_stored", "stored_during_outage_per_s", "max_outbox_posts", "peak_rss_mb", "max_sampled_rss_mb"):
            num(s, k)
        num(s, "drain_after_stream_end_s", strict=False)
        if s["posts_delivered"] < s["posts_stored"]:
            raise AssertionError(f"posts_delivered {s['posts_delivered']} < posts_stored {s['posts_stored']}")
        machine(s)
    else:
        raise AssertionError(f"unknown kind {kind}")
except (AssertionError, KeyError, ValueError) as e:
    print(f"{path}:\n{text}{kind}: {e!r}", file=sys.stderr)
    sys.exit(1)
PY
  echo "ok: $1 prints what bench/ prints"
}

t0=$SECONDS
run_script e2e 0 bench_e2e.sh --posts 3000 --runs 1 --build "$build";                     check e2e e2e
run_script e2e_kafka 0 bench_e2e.sh --posts 3000 --runs 1 --kafka --build "$build";       check e2e_kafka e2e_kafka
run_script e2e_kafka_tls 0 bench_e2e.sh --posts 3000 --runs 1 --kafka --tls --build "$build"
check e2e_kafka_tls e2e_kafka_tls
run_script idle 0 bench_idle.sh --seconds 1 --build "$build";                               check idle idle
run_script receive 0 bench_receive.sh --posts 1000 --runs 1 --build "$build";               check receive receive
run_script receive_plain 0 bench_receive.sh --posts 1000 --runs 1 --plain --build "$build"; check receive_plain receive_plain
run_script outage 0 bench_outage.sh --rate 1000 --warmup 1 --outage 1 --after 0 --build "$build"
check outage outage

for script in bench_e2e.sh bench_idle.sh bench_outage.sh bench_receive.sh bench_targets.sh; do
  run_script usage 2 "$script" --no-such-option
  grep -q '^usage: ' "$work/usage.err" || fail "bench/$script --no-such-option: no usage line on stderr"
  [ ! -s "$work/usage.out" ] || fail "bench/$script --no-such-option printed to stdout"
done

# A `spillway` that fails at once: the scripts fail, and their EXIT traps end the emulator and the broker.
fake="$work/fake-build"
mkdir -p "$fake/bin"
for b in spillway-emu spillway-kafka-mock; do ln -s "$(cd "$build/bin" && pwd)/$b" "$fake/bin/$b"; done
# It notes the directory of its config: bench_e2e.sh keeps its work directory when a run fails.
# shellcheck disable=SC2016  # $3 is the stand-in's own argument
printf '#!/bin/sh\ndirname "$3" >> "%s"\necho "stopped: 0 Posts stored (a stand-in that fails)" >&2\nexit 1\n' \
  "$work/kept-dirs" > "$fake/bin/spillway"
chmod +x "$fake/bin/spillway"
run_script e2e_failing failure bench_e2e.sh --posts 3000 --runs 1 --kafka --build "$fake"
while read -r kept; do case "$kept" in /tmp/spillway-bench-*) rm -rf "$kept" ;; esac; done < "$work/kept-dirs"
run_script idle_failing failure bench_idle.sh --seconds 1 --build "$fake"
grep -q "bench_idle: spillway exited" "$work/idle_failing.err" || fail "bench_idle.sh did not say that spillway exited"
echo "ok: all bench scripts ($((SECONDS - t0)) s)"
