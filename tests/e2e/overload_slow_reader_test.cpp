// Overload, through the binaries: spillway-emu at 250,000 Posts/s (~375 MB/s) with X's slow-reader
// model on (--slow-reader-bytes 8 MiB), `spillway run` with RocksDB and Kafka (spillway-kafka-mock).
// RocksDB + Kafka cannot store 250,000 Posts/s on any machine we run on (~150-190k/s on 2 cores, issue
// 13), so once the ring and the kernel's socket buffers are full the reader falls behind X's clock
// and X cuts it; every Post due at the cut is gone from the live stream.
// Without the overload spool (pipeline.spool_max_bytes = 0) the client IS cut: the first test shows the
// failure the spool prevents. With the spool (the default) the reader keeps reading at line rate while the
// pipeline drains the spool behind it: never cut, every Post stored once and delivered to Kafka, and the
// same when spillway is killed (-9) in the middle of draining and started again.
//
// The reader keeps line rate only if it gets the CPU: on two cores it shares them with the pipeline, the
// committer, librdkafka's and RocksDB's threads, the emulator and the broker. Those of spillway's threads
// that work behind a buffer run ten nice levels below the reader (common/thread_priority.hpp); the last
// test checks that on the running service. Without that, the reader was cut in 1 of 2 runs of the spool test
// on the 2-core Intel host (2026-12-03), and in 1 of 3 with RocksDB's threads still at the reader's level.
//
// The two spool tests are hidden ([.]; run them by name or with [overload_spool], on a machine with nothing
// else running): X cuts a reader that falls 8 MiB behind, about 20 ms of this stream, so CPU time taken by
// anything else on the two cores can cut it. On the 2-core Intel host (2026-12-03) they passed every time
// they ran alone (11 runs of the first, 7 of the second, including 4 as a RUN_SERIAL ctest test), and the
// pair failed once in two runs of the whole e2e suite (ctest -j2, where they ran alone after the others;
// which check failed was not kept). That is not yet good enough to put them in CI, where a red run lands
// nothing. 2026-12-03 evening, same host: the first test failed in 1 of 4 suite runs (ctest ran it first in each;
// it failed in the run begun a minute after a build and passed in the three that followed back to back) and in 1 of
// 2 runs made alone after 90 s idle. perf sched of two cut runs: in the 1 s stream spillway's reader slept
// 14,000-19,000 times on an empty socket (530-620 ms asleep, woken by the emulator), while the emulator waited
// runnable for 140-360 ms. So the emulator, sharing the two cores, fell behind its own schedule and its slow-reader
// model counted that against the client. Tried and not kept: forgiving the emulator's lag when the kernel had sent
// everything (still cut, 1 of 1 idle-first runs) or while its socket had room (the no-spool client was then cut
// only at the stream's end in 1 of 2 and 1 of 3 runs: too lenient), and spillway at nice +5 below the emulator
// (still cut in 1 of 3 idle-first runs).
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "overload-token";
// With the spool: 1.6 s of stream on the emulator's clock. A pipeline storing ~190,000 Posts/s (this host,
// 2026-12-03 night) fell behind a 1.2 s stream by only 24-55k lines, and the kill test then sometimes found
// less than the 20 MB of spool it waited for. (With 3 s streams the reader met stalls of 50-150 ms around
// 2.6-2.8 s into the stream in about 1 run of 4, and was cut in some, on this host; their cause is not found.)
constexpr std::uint64_t kCount = 400'000;
constexpr double kRate = 250'000;  // Posts/s
constexpr double kStreamSeconds = double(kCount) / kRate;
// Without the spool: 6 s of stream. The ring (65,536 Posts) and the socket buffers absorb ~75,000 Posts of
// backlog. A pipeline storing ~190,000 Posts/s (this host, 2026-12-03 night) built that up only near the end
// of a 1.2 s stream, and so was not cut in 5 of 6 runs; with a 3 s stream it was cut after 0.76-1.73 s in
// 8 of 8. Over 6 s only a pipeline above ~237,000 Posts/s with Kafka on would escape, which no 2-core
// machine we run on reaches (issue 13: 150-175k/s). The test ends at the cut, so the length costs nothing.
constexpr std::uint64_t kNoSpoolCount = 1'500'000;

// The emulator's --log records of stream connections (GET /2/tweets/search/stream answered 200).
struct stream_record {
  std::string outcome, ended;
  std::uint64_t posts_sent = 0, posts_lost = 0;
  double seconds = 0;
};
std::vector<stream_record> stream_records(const std::string& log_path) {
  std::vector<stream_record> out;
  std::istringstream in(slurp(log_path));
  for (std::string line; std::getline(in, line);) {
    rapidjson::Document d;
    if (d.Parse(line.c_str()).HasParseError() || !d.IsObject()) continue;
    if (std::string(d["path"].GetString()) != "/2/tweets/search/stream" || d["status"].GetInt() != 200) continue;
    stream_record r;
    r.outcome = d["outcome"].GetString();
    r.ended = d["ended"].GetString();
    r.posts_sent = d["posts_sent"].GetUint64();
    r.posts_lost = d.HasMember("posts_lost") ? d["posts_lost"].GetUint64() : 0;
    r.seconds = double(d["end_ms"].GetInt64() - d["time_ms"].GetInt64()) / 1000;
    out.push_back(r);
  }
  return out;
}
std::optional<stream_record> first_stream_record(const std::string& log_path) {
  auto all = stream_records(log_path);
  if (all.empty()) return std::nullopt;
  return all.front();
}

// The broker, the emulator at 250,000 Posts/s with slow-reader detection, and spillway's config for them.
struct overload_rig {
  explicit overload_rig(std::uint64_t count = kCount) : count(count) {}
  std::uint64_t count;  // Posts in the emulator's one stream, at 250,000 Posts/s
  temp_dir dir{"spillway-overload"};
  // The mock keeps ~5 MiB per partition; 64 partitions hold what is stored before the test stops.
  // At nice 10, like spillway's threads behind a buffer: a production broker has CPUs of its own.
  child_process broker{{"/usr/bin/nice", "-n", "10", bin("spillway-kafka-mock"), "--brokers", "1", "--topic",
                        "x.posts:64", "--ready-file", dir.str("broker.addr"), "--ignore-eof"},
                       dir.str("broker.log")};
  std::string bootstrap = wait_for_url(dir.str("broker.addr"), 20s);
  emulator_process emu{dir,
                       {"--bearer", kToken, "--heartbeat", "1", "--seed", "7", "--rate",
                        std::to_string(std::uint64_t(kRate)), "--count", std::to_string(count),
                        "--slow-reader-bytes", "8388608", "--log", dir.str("connections.jsonl")},
                       "emu.url",
                       20s};

  // Writes spillway.toml: `spool` false sets pipeline.spool_max_bytes = 0 (no spool); metrics on `port`.
  std::string config(bool spool, std::uint16_t metrics_port) const {
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"" << emu.url << "\"\ntweet_fields = \"created_at,author_id\"\n"
        << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n"
        << "[sinks.kafka]\nenabled = true\nbootstrap_servers = \"" << bootstrap
        << "\"\ntopic = \"x.posts\"\nshutdown_timeout = \"10s\"\n"
        << "[pipeline]\nspool_max_bytes = " << (spool ? "2147483648" : "0") << "\n"

        << "[metrics]\nenabled = " << (metrics_port != 0 ? "true" : "false") << "\nlisten = \"127.0.0.1:"
        << metrics_port << "\"\n";
    return dir.str("spillway.toml");
  }
  std::unique_ptr<child_process> start_run(const std::string& config_path, const std::string& log) const {
    return std::make_unique<child_process>(std::vector<std::string>{bin("spillway"), "run", "--config", config_path},
                                           dir.str(log), std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", kToken}});
  }
  // The emulator goes first so that no new stream keeps spillway busy while it shuts down.
  void stop(child_process& run) {
    CHECK(emu.terminate(10s).has_value());
    CHECK(run.terminate(30s) == 0);  // Kafka's flush is bounded by shutdown_timeout (10 s)
    CHECK(broker.terminate(10s).has_value());
  }
};

std::uint64_t outbox_posts(const std::string& db) {
  const auto json = capture(bin("spillway") + " stats --db " + db + " 2>/dev/null");
  const auto at = json.find("\"outbox\":");
  return at == std::string::npos ? UINT64_MAX : std::stoull(json.substr(at + 9));
}

// The nice value of thread `tid` of process `pid`, from /proc/<pid>/task/<tid>/stat (the name is in
// parentheses, and the nice value is the 19th field, the 17th after them); `name` gets the thread's name.
std::optional<int> task_nice(pid_t pid, pid_t tid, std::string* name = nullptr) {
  const std::string stat = slurp("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 > stat.size()) return std::nullopt;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 0; i < 17; ++i) rest >> field;
  if (!rest) return std::nullopt;
  if (name != nullptr) *name = stat.substr(open + 1, close - open - 1);
  return std::stoi(field);
}

// The nice value of each thread of process `pid`, by thread name (threads sharing a name: the last one read).
std::map<std::string, int> thread_nice(pid_t pid) {
  std::map<std::string, int> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string name;
    if (const auto nice = task_nice(pid, static_cast<pid_t>(std::stol(task.path().filename().string())), &name)) {
      out[name] = *nice;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("overload: without a spool the client is cut as a slow reader", "[integration][e2e][slow][overload]") {
  INFO("build the spillway-kafka-mock target (bench/kafka_mock) before this test");
  REQUIRE(std::filesystem::exists(bin("spillway-kafka-mock")));
  overload_rig rig(kNoSpoolCount);
  auto& dir = rig.dir;
  auto run = rig.start_run(rig.config(false, 0), "run.log");

  // The stream lasts 6 s on the emulator's clock; the cut comes well within it. 30 s bounds a
  // start-up slowed by a loaded machine.
  std::optional<stream_record> rec;
  REQUIRE(eventually([&] { return (rec = first_stream_record(dir.str("connections.jsonl"))).has_value(); }, 30s, 50ms));
  const bool spillway_alive = run->running();  // cut while reading, not because it died
  INFO("emulator connections:\n" << slurp(dir.str("connections.jsonl")) << "\nspillway log:\n"
                                 << slurp(dir.str("run.log")).substr(0, 4000));
  std::cout << "overload without a spool: the first stream connection lasted " << rec->seconds << " s, "
            << rec->posts_sent << " Posts written, " << rec->posts_lost << " spent at the cut (" << rec->outcome
            << ", " << rec->ended << ")\n";
  CHECK(spillway_alive);
  CHECK(rec->outcome == "slow_reader");
  CHECK((rec->ended == "slow_reader_notice" || rec->ended == "slow_reader_cut"));
  CHECK(rec->posts_lost > 0);                         // Posts due at the cut never reached the client
  CHECK(rec->posts_sent + rec->posts_lost < kNoSpoolCount);  // cut before the stream's end, not at it
  // On the emulator's clock: within the stream's schedule plus the notice's 2 s grace. (An emulator
  // that follows its client instead falls seconds behind and cuts late or never.)
  CHECK(rec->seconds < double(kNoSpoolCount) / kRate + 2.0);
  if (rec->ended == "slow_reader_notice") {
    // The notice was written, so the reader meets it once the pipeline has drained the ring ahead of it.
    CHECK(eventually([&] { return slurp(dir.str("run.log")).find("read too slowly") != std::string::npos; }, 20s,
                     100ms));
  }
  rig.stop(*run);
}

TEST_CASE("overload: with the spool the client is never cut, and every Post is stored once and delivered",
          "[.][integration][e2e][slow][overload][overload_spool]") {
  REQUIRE(std::filesystem::exists(bin("spillway-kafka-mock")));
  overload_rig rig;
  auto& dir = rig.dir;
  const auto port = free_port();
  const auto started = std::chrono::steady_clock::now();
  auto run = rig.start_run(rig.config(true, port), "run.log");
  INFO("spillway log:\n" << slurp(dir.str("run.log")).substr(0, 4000));

  std::optional<stream_record> rec;
  REQUIRE(eventually([&] { return (rec = first_stream_record(dir.str("connections.jsonl"))).has_value(); }, 30s, 50ms));
  INFO("emulator connections:\n" << slurp(dir.str("connections.jsonl")));
  // Every Post written on X's schedule, the body ended cleanly: the reader never fell behind.
  CHECK(rec->outcome != "slow_reader");
  CHECK(rec->ended == "count_reached");
  CHECK(rec->posts_sent == kCount);
  CHECK(rec->posts_lost == 0);
  CHECK(rec->seconds < kStreamSeconds + 1.0);
  const double peak_bytes = scraped_metric(port, "spillway_spool_bytes");
  REQUIRE(eventually([&] { return stored_posts(dir.str("db")) == kCount; }, 120s, 200ms));
  const double drain_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  CHECK(eventually([&] { return scraped_metric(port, "spillway_spool_bytes") == 0; }, 30s, 100ms));
  const double spooled = scraped_metric(port, "spillway_spool_lines_spooled_total");
  CHECK(spooled > 0);  // the pipeline was behind; the spool took up the difference
  CHECK(scraped_metric(port, "spillway_spool_lines_drained_total") == spooled);
  CHECK(scraped_metric(port, "spillway_duplicates_dropped_total{connection=\"1\"}") == 0);
  CHECK(scraped_metric(port, "spillway_posts_stored_total") == double(kCount));
  CHECK(eventually([&] { return scraped_metric(port, "spillway_kafka_delivered_total") == double(kCount); }, 60s, 200ms));
  std::cout << "overload with the spool: stream " << rec->seconds << " s, " << rec->posts_sent << " Posts ("
            << rec->outcome << ", " << rec->ended << "); " << spooled << " lines spooled (" << peak_bytes / 1e6
            << " MB spooled when the stream ended); all " << kCount << " stored " << drain_s
            << " s after start\n";
  for (const auto& r : stream_records(dir.str("connections.jsonl"))) CHECK(r.outcome != "slow_reader");
  rig.stop(*run);
  CHECK(outbox_posts(dir.str("db")) == 0);  // every stored Post was delivered to Kafka
}

TEST_CASE("overload: killed (-9) while draining the spool, the next start drains it - every Post stored once and delivered",
          "[.][integration][e2e][slow][overload][overload_spool]") {
  REQUIRE(std::filesystem::exists(bin("spillway-kafka-mock")));
  overload_rig rig;
  auto& dir = rig.dir;
  const auto port = free_port();
  auto run = rig.start_run(rig.config(true, port), "run.log");
  INFO("spillway log (first run):\n" << slurp(dir.str("run.log")).substr(0, 3000));
  // In the middle of draining: the stream has ended (every Post read), lines drained already, and
  // megabytes still spooled.
  REQUIRE(eventually([&] {
    if (!first_stream_record(dir.str("connections.jsonl"))) return false;
    const auto text = scrape(port);
    return sample(text, "spillway_spool_lines_drained_total").value_or(0) > 0 &&
           sample(text, "spillway_spool_bytes").value_or(0) > 10e6;
  }, 60s, 20ms));
  const double left = scraped_metric(port, "spillway_spool_bytes");
  run->signal(SIGKILL);
  REQUIRE(run->wait(10s) == 128 + SIGKILL);
  const auto stored_at_kill = stored_posts(dir.str("db"));
  std::cout << "overload, kill -9: " << stored_at_kill << " Posts stored and " << left / 1e6
            << " MB still spooled when killed\n";
  CHECK(stored_at_kill < kCount);

  const auto port2 = free_port();
  auto again = rig.start_run(rig.config(true, port2), "run2.log");
  INFO("spillway log (second run):\n" << slurp(dir.str("run2.log")).substr(0, 3000));
  const bool all_stored = eventually([&] { return stored_posts(dir.str("db")) == kCount; }, 120s, 200ms);
  if (!all_stored) {
    std::cout << "not all stored: " << stored_posts(dir.str("db")) << " of " << kCount << "\nsecond run's log:\n"
              << last_bytes(slurp(dir.str("run2.log")), 6000) << "\nemulator connections:\n"
              << slurp(dir.str("connections.jsonl")) << "\nfirst run's log:\n" << last_bytes(slurp(dir.str("run.log")), 3000)
              << "\n";
  }
  REQUIRE(all_stored);
  CHECK(slurp(dir.str("run2.log")).find("left from the last run are stored first") != std::string::npos);
  CHECK(eventually([&] { return scraped_metric(port2, "spillway_spool_bytes") == 0; }, 30s, 100ms));
  CHECK(scraped_metric(port2, "spillway_spool_lines_drained_total") > 0);
  INFO("emulator connections:\n" << slurp(dir.str("connections.jsonl")));
  for (const auto& r : stream_records(dir.str("connections.jsonl"))) CHECK(r.outcome != "slow_reader");
  const auto first = first_stream_record(dir.str("connections.jsonl"));
  REQUIRE(first);
  CHECK(first->ended == "count_reached");  // the whole stream was read before the kill
  CHECK(first->posts_sent == kCount);
  rig.stop(*again);
  CHECK(stored_posts(dir.str("db")) == kCount);
  CHECK(outbox_posts(dir.str("db")) == 0);
}

TEST_CASE("overload: the threads behind a buffer run ten nice levels below the reader",
          "[integration][e2e][overload]") {
  REQUIRE(std::filesystem::exists(bin("spillway-kafka-mock")));
  overload_rig rig;
  auto run = rig.start_run(rig.config(true, 0), "run.log");
  INFO("spillway log:\n" << slurp(rig.dir.str("run.log")).substr(0, 3000));
  // librdkafka starts a thread per broker once it knows the cluster; the others exist from start-up on.
  const std::vector<std::string> behind = {"pipeline", "committer", "rocksdb:high", "rocksdb:low", "rdk:main", "rdk:broker1"};
  std::map<std::string, int> nice;
  const bool all_there = eventually([&] {
    nice = thread_nice(run->pid());
    for (const auto& name : behind) {
      if (!nice.count(name)) return false;
    }
    return true;
  }, 30s, 50ms);
  std::ostringstream seen;
  for (const auto& [name, value] : nice) seen << name << "=" << value << " ";
  INFO("threads: " << seen.str());
  REQUIRE(all_there);
  // The main thread is the first connection's reader; it keeps the nice value spillway was started with
  // (this test's own).
  const auto reader = task_nice(run->pid(), run->pid());
  REQUIRE(reader);
  CHECK(*reader == task_nice(getpid(), getpid()).value_or(-100));
  for (const auto& name : behind) {
    INFO(name);
    CHECK(nice.at(name) == std::min(*reader + 10, 19));
  }
  rig.stop(*run);
}
