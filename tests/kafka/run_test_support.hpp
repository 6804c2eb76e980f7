#pragma once
// Support for the kafka suite's tests THROUGH THE BINARY (run_*_test.cpp): spillway-emu, `spillway run`
// and spillway-kafka-mock as child processes (each ended by its pid and waited for), progress read with
// `spillway stats`, and the check that Kafka holds exactly what RocksDB holds (`spillway export` vs kcat).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "tests/kafka/kafka_test_support.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"

namespace spillway::test::run {

using namespace std::chrono_literals;
using testing::bin;
using testing::capture;
using testing::eventually;
using testing::free_port;
using testing::slurp;

inline constexpr const char* bearer = "kafka-run-token";

inline std::int64_t unix_ms() { return common::unix_ms_now(); }

// `spillway stats --db DIR`: nullopt while the database does not exist yet.
struct db_stats {
  std::uint64_t posts = 0;
  std::uint64_t outbox = 0;
  std::uint64_t post_bytes = 0;
};
inline std::optional<db_stats> stats(const std::string& db) {
  const auto json = capture(bin("spillway") + " stats --db " + db + " 2>/dev/null");
  std::smatch posts, outbox, bytes;
  if (!std::regex_search(json, posts, std::regex(R"("posts":(\d+))")) ||
      !std::regex_search(json, outbox, std::regex(R"("outbox":(\d+))")) ||
      !std::regex_search(json, bytes, std::regex(R"("post_bytes":(\d+))"))) {
    return std::nullopt;
  }
  return db_stats{std::stoull(posts[1]), std::stoull(outbox[1]), std::stoull(bytes[1])};
}

// A line of /proc/PID/status in kB ("VmRSS", "VmHWM"); 0 when unreadable.
inline std::uint64_t proc_kb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

// spillway-emu on a free port (plain HTTP); `extra` adds --count/--rate/--dump/...
struct emulator {
  emulator(const temp_dir& dir, const std::vector<std::string>& extra)
      : proc([&] {
          std::vector<std::string> argv = {bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("emu.url"),
                                           "--bearer", bearer, "--heartbeat", "1"};
          argv.insert(argv.end(), extra.begin(), extra.end());
          return argv;
        }(),
             dir.str("emu.log")) {
    url = testing::wait_for_url(dir.str("emu.url"), std::chrono::seconds(20));
  }
  testing::child_process proc;
  std::string url;
};

// The config of `spillway run` with both sinks; `properties` go to [sinks.kafka.properties].
inline std::string write_config(const temp_dir& dir, const std::string& url, const std::string& bootstrap,
                                const std::vector<std::pair<std::string, std::string>>& properties = {}) {
  const auto path = dir.str("spillway.toml");
  std::ofstream out(path);
  out << "log_level = \"info\"\n[stream]\nbase_url = \"" << url << "\"\ntweet_fields = \"created_at,author_id\"\n";
  out << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n";
  out << "[sinks.kafka]\nenabled = true\nbootstrap_servers = \"" << bootstrap << "\"\ntopic = \"x.posts\"\n";
  out << "shutdown_timeout = \"20s\"\n";
  if (!properties.empty()) {
    out << "[sinks.kafka.properties]\n";
    for (const auto& [k, v] : properties) out << '"' << k << "\" = \"" << v << "\"\n";
  }
  out << "[metrics]\nenabled = false\n";
  return path;
}

inline std::unique_ptr<testing::child_process> start_spillway(const temp_dir& dir, const std::string& config,
                                                              const std::string& log_name = "run.log") {
  return std::make_unique<testing::child_process>(
      std::vector<std::string>{bin("spillway"), "run", "--config", config}, dir.str(log_name),
      std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", bearer}});
}

// The tail of a log file, for failure messages (read when the failure is reported, not before).
inline std::string log_tail(const std::string& path, std::size_t bytes = 3000) {
  const auto text = slurp(path);
  return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

// Ends `spillway run` with SIGTERM (it flushes Kafka) and returns its exit code (-1: did not exit).
inline int stop_spillway(testing::child_process& run) {
  run.signal(SIGTERM);
  const auto code = run.wait(60s);
  return code ? *code : -1;
}

// Waits (bounded) until every stored Post is delivered: stats reports an empty outbox.
inline bool outbox_drains(const std::string& db, std::chrono::milliseconds timeout) {
  return eventually([&] {
    const auto s = stats(db);
    return s && s->outbox == 0;
  }, timeout, 500ms);
}

inline std::uint64_t post_id(std::string_view line) {
  rapidjson::Document d;
  d.Parse(line.data(), line.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("data") || !d["data"].HasMember("id")) return 0;
  return std::stoull(d["data"]["id"].GetString());
}

// `spillway export`: every stored Post, id → raw line.
inline std::map<std::uint64_t, std::string> stored_posts(const std::string& db, std::string* raw = nullptr) {
  const auto text = capture(bin("spillway") + " export --db " + db + " 2>/dev/null");
  std::map<std::uint64_t, std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.emplace(post_id(line), line);
  if (raw != nullptr) *raw = text;
  return out;
}

// What kcat read back from x.posts, compared with the store.
struct delivery_report {
  std::size_t records = 0;
  std::size_t distinct = 0;
  std::size_t missing = 0;           // stored, not in Kafka
  std::size_t phantom = 0;           // in Kafka, not stored
  std::size_t value_mismatch = 0;    // value differs from the stored line
  std::size_t header_mismatch = 0;   // rule headers differ from the line's matching_rules, or bad received_at
  std::map<std::uint64_t, std::size_t> duplicated;  // id → extra copies
  [[nodiscard]] std::size_t duplicates() const {
    std::size_t n = 0;
    for (const auto& [id, extra] : duplicated) n += extra;
    return n;
  }
};

// Reads x.posts with kcat and checks it against `stored`: key = id, value byte for byte, the two rule
// headers as derived independently (RapidJSON) from the stored line, received_at a Unix ms in
// [since_ms, now].
inline delivery_report check_kafka(const std::string& bootstrap, const std::map<std::uint64_t, std::string>& stored,
                                   std::int64_t since_ms) {
  const auto records = read_with_kcat(bootstrap, "x.posts");
  const auto until_ms = unix_ms();
  delivery_report r;
  r.records = records.size();
  std::map<std::uint64_t, std::size_t> seen;
  for (const auto& rec : records) {
    const auto id = std::stoull(rec.key);
    if (++seen[id] > 1) {
      ++r.duplicated[id];
    }
    const auto it = stored.find(id);
    if (it == stored.end()) {
      ++r.phantom;
      continue;
    }
    if (rec.value != it->second) ++r.value_mismatch;
    test_post p;
    p.buffer = it->second;
    p.length = it->second.size();
    const auto at = rec.headers.count("received_at") ? rec.headers.at("received_at") : std::string("x");
    p.received_ms = std::all_of(at.begin(), at.end(), ::isdigit) && !at.empty() ? std::stoll(at) : -1;
    // `spillway run` tags a stream Post received over a minute after its creation as backfill (post_source.hpp).
    p.source = rec.headers.count("spillway_source") && rec.headers.at("spillway_source") != "stream" &&
                       rec.headers.at("spillway_source") != "backfill"
                   ? common::post_source_from_byte(rec.headers.at("spillway_source") == "recovery" ? 2 : 3)
                   : common::classify_stream(id, p.received_ms);
    if (canonical_headers(rec.headers) != canonical_headers(expected_headers(p)) || p.received_ms < since_ms ||
        p.received_ms > until_ms) {
      ++r.header_mismatch;
    }
  }
  r.distinct = seen.size();
  for (const auto& [id, line] : stored) {
    if (seen.count(id) == 0) ++r.missing;
  }
  return r;
}

inline std::string describe(const delivery_report& r) {
  std::ostringstream s;
  s << "records " << r.records << ", distinct " << r.distinct << ", duplicates " << r.duplicates() << ", missing "
    << r.missing << ", phantom " << r.phantom << ", value mismatches " << r.value_mismatch
    << ", header mismatches " << r.header_mismatch;
  return s.str();
}

}  // namespace spillway::test::run
