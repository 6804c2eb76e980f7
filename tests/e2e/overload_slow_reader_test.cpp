// Overload, through the binaries: spillway-emu at 250,000 Posts/s (~375 MB/s) with X's slow-reader
// model on (--slow-reader-bytes 8 MiB), `spillway run` with RocksDB and Kafka (spillway-kafka-mock).
// RocksDB + Kafka cannot store 250,000 Posts/s on any machine we run on (~75-105k/s on 2 cores, issue
// 13), so once the ring and the kernel's socket buffers are full the reader falls behind X's clock
// and X cuts it; every Post due at the cut is gone from the live stream.
// This documents today's behaviour: the test passes because the client IS cut. When the overload
// spool (issue 13) lets the reader keep reading at line rate, invert it: the client must never be cut.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kToken = "overload-token";
constexpr std::uint64_t kCount = 300'000;  // 1.2 s of stream on the emulator's clock

// The emulator's --log record of the first stream connection (GET /2/tweets/search/stream), once written.
struct stream_record {
  std::string outcome, ended;
  std::uint64_t posts_sent = 0, posts_lost = 0;
  double seconds = 0;
};
std::optional<stream_record> first_stream_record(const std::string& log_path) {
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
    return r;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("overload: without a spool the client is cut as a slow reader", "[integration][e2e][slow][overload]") {
  INFO("build the spillway-kafka-mock target (bench/kafka_mock) before this test");
  REQUIRE(std::filesystem::exists(bin("spillway-kafka-mock")));
  temp_dir dir{"spillway-overload"};
  // The mock keeps ~5 MiB per partition; 64 partitions hold what is stored before the test stops.
  child_process broker({bin("spillway-kafka-mock"), "--brokers", "1", "--topic", "x.posts:64", "--ready-file",
                        dir.str("broker.addr"), "--ignore-eof"},
                       dir.str("broker.log"));
  const auto bootstrap = wait_for_url(dir.str("broker.addr"), 20s);
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("emu.url"), "--bearer", kToken,
                     "--heartbeat", "1", "--seed", "7", "--rate", "250000", "--count", std::to_string(kCount),
                     "--slow-reader-bytes", "8388608", "--log", dir.str("connections.jsonl")},
                    dir.str("emu.log"));
  const auto url = wait_for_url(dir.str("emu.url"), 20s);
  {
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"" << url << "\"\ntweet_fields = \"created_at,author_id\"\n"
        << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n"
        << "[sinks.kafka]\nenabled = true\nbootstrap_servers = \"" << bootstrap
        << "\"\ntopic = \"x.posts\"\nshutdown_timeout = \"10s\"\n[metrics]\nenabled = false\n";
  }
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", kToken}});

  // The stream lasts 1.2 s on the emulator's clock; the cut comes well within it. 30 s bounds a
  // start-up slowed by a loaded machine.
  std::optional<stream_record> rec;
  REQUIRE(eventually([&] { return (rec = first_stream_record(dir.str("connections.jsonl"))).has_value(); }, 30s, 50ms));
  const bool spillway_alive = run.running();  // cut while reading, not because it died
  INFO("emulator connections:\n" << slurp(dir.str("connections.jsonl")) << "\nspillway log:\n"
                                 << slurp(dir.str("run.log")).substr(0, 4000));
  std::cout << "overload: the first stream connection lasted " << rec->seconds << " s, " << rec->posts_sent
            << " Posts written, " << rec->posts_lost << " spent at the cut (" << rec->outcome << ", " << rec->ended
            << ")\n";
  CHECK(spillway_alive);
  CHECK(rec->outcome == "slow_reader");
  CHECK((rec->ended == "slow_reader_notice" || rec->ended == "slow_reader_cut"));
  CHECK(rec->posts_lost > 0);                         // Posts due at the cut never reached the client
  CHECK(rec->posts_sent + rec->posts_lost < kCount);  // cut before the stream's end, not at it
  // On the emulator's clock: within the stream's 1.2 s schedule plus the notice's 2 s grace. (An emulator
  // that follows its client instead falls seconds behind and cuts late or never.)
  CHECK(rec->seconds < 1.2 + 2.0);
  if (rec->ended == "slow_reader_notice") {
    // The notice was written, so the reader meets it once the pipeline has drained the ring ahead of it.
    CHECK(eventually([&] { return slurp(dir.str("run.log")).find("read too slowly") != std::string::npos; }, 20s,
                     100ms));
  }

  // The emulator goes first so that no new stream keeps spillway busy while it shuts down.
  emu.signal(SIGTERM);
  CHECK(emu.wait(10s).has_value());
  run.signal(SIGTERM);
  CHECK(run.wait(30s).has_value());  // Kafka's flush is bounded by shutdown_timeout (10 s)
  broker.signal(SIGTERM);
  CHECK(broker.wait(10s).has_value());
}
