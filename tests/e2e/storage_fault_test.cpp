// Resource faults end cleanly (issue 10, item 1): a RocksDB write error stops the whole process within
// 5 s with exit code 1 and one message naming the path, RocksDB's error and the fix; /metrics shows the
// pipeline down (and /livez, /readyz 503 naming it) before the exit; nothing is reported stored that was not committed. And SIGTERM is
// honoured while the reader waits on a full ring.
//
// The write error is real: `prlimit --fsize` caps the files spillway may write, so RocksDB's WAL append
// fails with EFBIG ("File too large") mid-stream, exactly like the reproduction in the issue. And again
// without prlimit: `spillway-faulty-disk` (tests/e2e/faulty_disk) runs the same service on a RocksDB
// FileSystemWrapper whose appends fail after a byte budget.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <iostream>
#include <regex>
#include <set>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

void write_config(const std::string& path, const std::string& url, const std::string& db, std::uint16_t metrics_port,
                  const std::string& extra = "") {
  std::ofstream out(path);
  out << "[stream]\nbase_url = \"" << url << "\"\n";
  out << "[sinks.rocksdb]\npath = \"" << db << "\"\n";
  out << "[metrics]\nlisten = \"127.0.0.1:" << metrics_port << "\"\n";
  out << extra;
}

std::set<std::string> lines_of(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

// What a run that meets a write error shows until it exits: when the failure was logged, whether /metrics
// said the pipeline was down after it, and the last scrape before the exit.
struct failure_watch {
  std::optional<int> code;
  std::optional<std::chrono::steady_clock::time_point> failed_at;
  std::chrono::steady_clock::time_point exited_at;
  bool saw_down = false;
  std::string last_scrape;
  bool saw_live = false;    // /livez answered 200 before the failure
  std::string dead_livez;   // the last 503 body of /livez
  std::string dead_readyz;  // /readyz (whole response) right after that
};

// Scrapes until the process exits (at most 120 s), remembering every answer.
failure_watch watch_until_exit(child_process& run, const temp_dir& dir, std::uint16_t port) {
  failure_watch w;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!w.failed_at && slurp(dir.str("run.log")).find("RocksDB write failed") != std::string::npos) {
      w.failed_at = std::chrono::steady_clock::now();
    }
    const auto text = scrape(port);
    if (!text.empty()) {
      w.last_scrape = text;
      if (sample(text, "spillway_pipeline_up") == 0.0 && w.failed_at) w.saw_down = true;
    }
    const auto live = scrape(port, "/livez");
    if (http_status(live) == 200) w.saw_live = true;
    if (http_status(live) == 503) {
      w.dead_livez = http_body(live);
      // The listener closes as the process exits, possibly between these two requests: an answer-less
      // /readyz must not replace one seen earlier.
      if (auto ready = scrape(port, "/readyz"); http_status(ready) != 0) w.dead_readyz = std::move(ready);
    }
    w.code = run.wait(20ms);
    if (w.code) break;
  }
  w.exited_at = std::chrono::steady_clock::now();
  return w;
}

// Exit 1 within the 5 s of the logged failure (scrape cadence adds at most ~100 ms here), with
// /metrics showing the pipeline down first, and one message naming the path, RocksDB's error
// (`rocksdb_error`, a regex) and the fix.
void check_clean_exit(const failure_watch& w, const temp_dir& dir, const std::string& rocksdb_error,
                      const std::string& token) {
  const auto log = slurp(dir.str("run.log"));
  INFO("spillway log:\n" << log.substr(0, 6000));
  REQUIRE(w.code.has_value());
  REQUIRE(w.failed_at.has_value());
  CHECK(*w.code == 1);  // not 134 (SIGABRT) nor 139: nothing aborted
  CHECK(w.exited_at - *w.failed_at < 5s);
  CHECK(w.saw_down);
  // Health: alive while streaming, then 503 naming the pipeline and why, before the process exits.
  CHECK(w.saw_live);
  INFO("/livez: " << w.dead_livez << "/readyz: " << w.dead_readyz);
  REQUIRE_FALSE(w.dead_livez.empty());
  CHECK_THAT(w.dead_livez, Catch::StartsWith("{\"status\":\"failing\",\"checks\":[{\"name\":\"pipeline\",\"ok\":false,"
                                             "\"why\":\"the pipeline stopped after RocksDB refused a write"));
  CHECK(http_status(w.dead_readyz) == 503);
  CHECK_THAT(http_body(w.dead_readyz),
             Catch::Contains("{\"name\":\"rocksdb\",\"ok\":false,\"why\":\"RocksDB refused a write"));
  const std::regex failure_line("RocksDB write failed at " + dir.str("db") + ": .*" + rocksdb_error +
                                ".*check disk space");
  CHECK(std::regex_search(log, failure_line));
  CHECK(log.find("Fix the disk") != std::string::npos);
  CHECK(log.find(token) == std::string::npos);
}

// Nothing reported stored that is not committed: the last scrape's stored counter is at most what the
// database holds, and everything it holds is a Post the emulator sent, once.
void check_store_after_failure(child_process& emu, const temp_dir& dir, const std::string& last_scrape) {
  emu.signal(SIGTERM);
  REQUIRE(emu.wait(20s).has_value());
  const auto exported = capture(bin("spillway") + " export --db " + dir.str("db") + " 2>/dev/null");
  const auto stored = lines_of(exported);
  const auto sent = lines_of(slurp(dir.str("dump.jsonl")));
  const auto exported_lines = static_cast<std::size_t>(std::count(exported.begin(), exported.end(), '\n'));
  CHECK(exported_lines == stored.size());  // no Post twice
  CHECK(stored.size() > 0);
  std::size_t unknown = 0;
  for (const auto& line : stored) unknown += sent.count(line) == 0 ? 1 : 0;
  CHECK(unknown == 0);
  const auto reported = sample(last_scrape, "spillway_posts_stored_total");
  REQUIRE(reported.has_value());
  CHECK(*reported <= static_cast<double>(stored.size()));
}

// The emulator at an unlimited rate (the ring is full when the pipeline dies, which is where the old code
// hung for ever), dumping every Post it sends; and the config of a spillway that streams from it with
// /metrics on `port`.
struct fault_setup {
  std::unique_ptr<emulator_process> emu;
  std::uint16_t port = 0;
};
fault_setup start_emulator_and_config(const temp_dir& dir, const std::string& seed, const std::string& token) {
  fault_setup f;
  f.emu = std::make_unique<emulator_process>(
      dir, std::vector<std::string>{"--count", "2000000", "--seed", seed, "--bearer", token, "--dump",
                                    dir.str("dump.jsonl")});
  const std::string& url = f.emu->url;
  f.port = free_port();
  write_config(dir.str("spillway.toml"), url, dir.str("db"), f.port);
  return f;
}

}  // namespace

TEST_CASE("storage fault: a RocksDB write error stops the process with exit 1 within 5 s, naming path, error and fix",
          "[integration][e2e][faults]") {
  temp_dir dir("spillway-storage-fault");
  const auto f = start_emulator_and_config(dir, "7", "fault-token");
  // 24 MiB per file: RocksDB's WAL reaches it within a second or two of streaming.
  child_process run({"/usr/bin/prlimit", "--fsize=25165824", bin("spillway"), "run", "--config",
                     dir.str("spillway.toml")},
                    dir.str("run.log"), {{"X_BEARER_TOKEN", "fault-token"}});
  const auto w = watch_until_exit(run, dir, f.port);
  check_clean_exit(w, dir, "File too large", "fault-token");
  check_store_after_failure(*f.emu, dir, w.last_scrape);
}

TEST_CASE("storage fault: a write error injected through RocksDB's FileSystem ends with exit 1 within 5 s, no abort",
          "[integration][e2e][faults]") {
  temp_dir dir("spillway-injected-fault");
  const auto f = start_emulator_and_config(dir, "9", "inject-token");
  // The same `spillway run`, on a RocksDB file system whose appends fail once 16 MiB were written in total
  // (tests/e2e/faulty_disk): a disk that breaks mid-stream, no prlimit.
  child_process run({bin("spillway-faulty-disk"), std::to_string(16 << 20), "--config", dir.str("spillway.toml")},
                    dir.str("run.log"), {{"X_BEARER_TOKEN", "inject-token"}});
  const auto w = watch_until_exit(run, dir, f.port);
  check_clean_exit(w, dir, "injected write error", "inject-token");
  // RocksDB's info log went to spdlog: no LOG file beside the data.
  CHECK_FALSE(std::filesystem::exists(dir.str("db") + "/LOG"));
  if (w.code && w.failed_at) {
    std::cout << "injected write error: exit " << *w.code << " "
              << std::chrono::duration_cast<std::chrono::milliseconds>(w.exited_at - *w.failed_at).count()
              << " ms after the failure was logged\n";
  }
  check_store_after_failure(*f.emu, dir, w.last_scrape);
}


TEST_CASE("storage fault: SIGTERM while the reader waits on a full ring ends in a clean drain",
          "[integration][e2e][faults]") {
  temp_dir dir("spillway-full-ring");
  emulator_process emu(dir, {"--count", "3000000", "--seed", "8", "--bearer", "ring-token"});
  const std::string& url = emu.url;
  const auto port = free_port();
  // The smallest ring the option table allows: at an unlimited rate the reader waits on it constantly
  // (without the overload spool, which would take the lines instead of waiting).
  write_config(dir.str("spillway.toml"), url, dir.str("db"), port,
               "[pipeline]\nring_capacity = 1024\nspool_max_bytes = 0\n");
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "ring-token"}});
  // Wait until the reader has waited on the full ring many times and is streaming hard.
  REQUIRE(eventually([&] { return sample(scrape(port), "spillway_ring_full_waits_total{connection=\"1\"}").value_or(0) > 100; }, 60s,
                     50ms));
  run.signal(SIGTERM);
  const auto signalled = std::chrono::steady_clock::now();
  const auto code = run.wait(20s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  const auto log = slurp(dir.str("run.log"));
  INFO("spillway log:\n" << log.substr(0, 6000));
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(took < 5s);
  CHECK(log.find("everything received is committed") != std::string::npos);
  emu.signal(SIGTERM);
  REQUIRE(emu.wait(20s).has_value());
}
