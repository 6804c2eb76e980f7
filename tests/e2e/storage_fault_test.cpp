// Resource faults end cleanly (issue 10, item 1): a RocksDB write error stops the whole process within
// 5 s with exit code 1 and one message naming the path, RocksDB's error and the fix; /metrics shows the
// pipeline down before the exit; nothing is reported stored that was not committed. And SIGTERM is
// honoured while the reader waits on a full ring.
//
// The write error is real: `prlimit --fsize` caps the files spillway may write, so RocksDB's WAL append
// fails with EFBIG ("File too large") mid-stream, exactly like the reproduction in the issue.
#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
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

}  // namespace

TEST_CASE("storage fault: a RocksDB write error stops the process with exit 1 within 5 s, naming path, error and fix",
          "[integration][e2e][faults]") {
  temp_dir dir("spillway-storage-fault");
  // Unlimited rate: the ring is full when the pipeline dies, which is where the old code hung for ever.
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--count", "2000000",
                     "--seed", "7", "--bearer", "fault-token", "--dump", dir.str("dump.jsonl")},
                    dir.str("emu.log"));
  const auto url = wait_for_url(dir.str("url"));
  const auto port = free_port();
  write_config(dir.str("spillway.toml"), url, dir.str("db"), port);
  // 24 MiB per file: RocksDB's WAL reaches it within a second or two of streaming.
  child_process run({"/usr/bin/prlimit", "--fsize=25165824", bin("spillway"), "run", "--config",
                     dir.str("spillway.toml")},
                    dir.str("run.log"), {{"X_BEARER_TOKEN", "fault-token"}});

  // Scrape until the failure shows, remembering every answer: the last one before the exit must say
  // the pipeline is down.
  std::string last_scrape;
  bool saw_down = false;
  std::optional<std::chrono::steady_clock::time_point> failed_at;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  std::optional<int> code;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!failed_at && slurp(dir.str("run.log")).find("RocksDB write failed") != std::string::npos) {
      failed_at = std::chrono::steady_clock::now();
    }
    const auto text = scrape(port);
    if (!text.empty()) {
      last_scrape = text;
      if (sample(text, "spillway_pipeline_up") == 0.0 && failed_at) saw_down = true;
    }
    code = run.wait(20ms);
    if (code) break;
  }
  const auto exited_at = std::chrono::steady_clock::now();
  const auto log = slurp(dir.str("run.log"));
  INFO("spillway log:\n" << log.substr(0, 6000));
  REQUIRE(code.has_value());
  REQUIRE(failed_at.has_value());
  CHECK(*code == 1);
  // The budget is 5 s from the failure to the exit (scrape cadence adds at most ~100 ms here).
  CHECK(exited_at - *failed_at < 5s);
  CHECK(saw_down);
  // One message with the path, RocksDB's own error and the fix.
  const std::regex failure_line("RocksDB write failed at " + dir.str("db") + ": .*File too large.*check disk space");
  CHECK(std::regex_search(log, failure_line));
  CHECK(log.find("Fix the disk") != std::string::npos);
  CHECK(log.find("fault-token") == std::string::npos);

  // Nothing reported stored that is not committed: the last scrape's stored counter is at most what the
  // database holds, and everything it holds is a Post the emulator sent, once.
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

TEST_CASE("storage fault: a write error injected through RocksDB's FileSystem ends with exit 1 within 5 s, no abort",
          "[integration][e2e][faults]") {
  temp_dir dir("spillway-injected-fault");
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--count", "2000000",
                     "--seed", "9", "--bearer", "inject-token", "--dump", dir.str("dump.jsonl")},
                    dir.str("emu.log"));
  const auto url = wait_for_url(dir.str("url"));
  const auto port = free_port();
  write_config(dir.str("spillway.toml"), url, dir.str("db"), port);
  // The same `spillway run`, on a RocksDB file system whose appends fail once 16 MiB were written in total
  // (tests/e2e/faulty_disk): a disk that breaks mid-stream, no prlimit.
  child_process run({bin("spillway-faulty-disk"), std::to_string(16 << 20), "--config", dir.str("spillway.toml")},
                    dir.str("run.log"), {{"X_BEARER_TOKEN", "inject-token"}});
  std::optional<std::chrono::steady_clock::time_point> failed_at;
  std::string last_scrape;
  bool saw_down = false;
  std::optional<int> code;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!failed_at && slurp(dir.str("run.log")).find("RocksDB write failed") != std::string::npos) {
      failed_at = std::chrono::steady_clock::now();
    }
    const auto text = scrape(port);
    if (!text.empty()) {
      last_scrape = text;
      if (sample(text, "spillway_pipeline_up") == 0.0 && failed_at) saw_down = true;
    }
    code = run.wait(20ms);
    if (code) break;
  }
  const auto exited_at = std::chrono::steady_clock::now();
  const auto log = slurp(dir.str("run.log"));
  INFO("spillway log:\n" << log.substr(0, 6000));
  REQUIRE(code.has_value());
  REQUIRE(failed_at.has_value());
  CHECK(*code == 1);  // not 134 (SIGABRT) nor 139: RocksDB's error handler did not abort
  CHECK(exited_at - *failed_at < 5s);
  CHECK(saw_down);
  const std::regex failure_line("RocksDB write failed at " + dir.str("db") + ": .*injected write error.*check disk space");
  CHECK(std::regex_search(log, failure_line));
  CHECK(log.find("Fix the disk") != std::string::npos);
  // RocksDB's info log went to spdlog: no LOG file beside the data.
  CHECK_FALSE(std::filesystem::exists(dir.str("db") + "/LOG"));
  std::cout << "injected write error: exit " << *code << " "
            << std::chrono::duration_cast<std::chrono::milliseconds>(exited_at - *failed_at).count()
            << " ms after the failure was logged\n";

  // Nothing reported stored that is not committed, and nothing stored twice or unknown.
  emu.signal(SIGTERM);
  REQUIRE(emu.wait(20s).has_value());
  const auto exported = capture(bin("spillway") + " export --db " + dir.str("db") + " 2>/dev/null");
  const auto stored = lines_of(exported);
  const auto sent = lines_of(slurp(dir.str("dump.jsonl")));
  CHECK(static_cast<std::size_t>(std::count(exported.begin(), exported.end(), '\n')) == stored.size());
  CHECK(stored.size() > 0);
  std::size_t unknown = 0;
  for (const auto& line : stored) unknown += sent.count(line) == 0 ? 1 : 0;
  CHECK(unknown == 0);
  const auto reported = sample(last_scrape, "spillway_posts_stored_total");
  REQUIRE(reported.has_value());
  CHECK(*reported <= static_cast<double>(stored.size()));
}

TEST_CASE("storage fault: SIGTERM while the reader waits on a full ring ends in a clean drain",
          "[integration][e2e][faults]") {
  temp_dir dir("spillway-full-ring");
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--count", "3000000",
                     "--seed", "8", "--bearer", "ring-token"},
                    dir.str("emu.log"));
  const auto url = wait_for_url(dir.str("url"));
  const auto port = free_port();
  // The smallest ring the option table allows: at an unlimited rate the reader waits on it constantly.
  write_config(dir.str("spillway.toml"), url, dir.str("db"), port, "[pipeline]\nring_capacity = 1024\n");
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "ring-token"}});
  // Wait until the reader has waited on the full ring many times and is streaming hard.
  REQUIRE(eventually([&] { return sample(scrape(port), "spillway_ring_full_waits_total").value_or(0) > 100; }, 60s,
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
