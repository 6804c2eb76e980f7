#pragma once
// live_spillway: a running `spillway run` for the ops tests — spillway-kafka-mock (one broker),
// spillway-emu streaming Posts, and Spillway with RocksDB, Kafka and its metrics listener on a free
// 127.0.0.1 port — started in that order and ended by pid (SIGTERM via stop(), SIGKILL at scope exit).
// Test-only (Catch2 assertions inside); one test thread.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdint>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

namespace spillway::testing {

class live_spillway {
 public:
  // Returns once Posts are stored and delivered to Kafka (so every counter and the latency histogram
  // have moved), or fails the test with Spillway's log.
  live_spillway() : dir_("spillway-ops") {
    using namespace std::chrono_literals;
    broker_ = std::make_unique<child_process>(
        std::vector<std::string>{bin("spillway-kafka-mock"), "--brokers", "1", "--topic", "x.posts:4", "--ready-file",
                                 dir_.str("broker.addr"), "--ignore-eof"},
        dir_.str("broker.log"));
    const auto bootstrap = wait_for_url(dir_.str("broker.addr"), 20s);
    emu_ = std::make_unique<child_process>(
        std::vector<std::string>{bin("spillway-emu"), "--port", "0", "--ready-file", dir_.str("emu.url"), "--bearer",
                                 token, "--heartbeat", "1", "--seed", "31", "--rate", "200"},
        dir_.str("emu.log"));
    const auto url = wait_for_url(dir_.str("emu.url"), 20s);
    metrics_port_ = free_port();
    {
      std::ofstream cfg(dir_.str("spillway.toml"));
      cfg << "[stream]\nbase_url = \"" << url << "\"\n"
          << "[sinks.rocksdb]\npath = \"" << dir_.str("db") << "\"\n"
          << "[sinks.kafka]\nenabled = true\nbootstrap_servers = \"" << bootstrap
          << "\"\ntopic = \"x.posts\"\nshutdown_timeout = \"10s\"\n"
          << "[metrics]\nlisten = \"127.0.0.1:" << metrics_port_ << "\"\n";
    }
    run_ = std::make_unique<child_process>(
        std::vector<std::string>{bin("spillway"), "run", "--config", dir_.str("spillway.toml")}, dir_.str("run.log"),
        std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", token}});
    const bool flowing = eventually([&] {
      const auto text = scrape(metrics_port_);
      return sample(text, "spillway_posts_stored_total").value_or(0) > 0 &&
             sample(text, "spillway_kafka_delivered_total").value_or(0) > 0;
    }, 60s, 200ms);
    if (!flowing) FAIL("no Post stored and delivered within 60 s; spillway log:\n" << slurp(dir_.str("run.log")));
  }
  live_spillway(const live_spillway&) = delete;
  live_spillway& operator=(const live_spillway&) = delete;

  [[nodiscard]] int metrics_port() const noexcept { return metrics_port_; }
  [[nodiscard]] const temp_dir& dir() const noexcept { return dir_; }
  [[nodiscard]] std::string log() const { return slurp(dir_.str("run.log")); }

  // SIGTERM to Spillway, then the emulator and the broker; Spillway's exit code (nullopt: it hung).
  std::optional<int> stop() {
    using namespace std::chrono_literals;
    run_->signal(SIGTERM);
    const auto code = run_->wait(30s);  // the Kafka flush is bounded by shutdown_timeout (10 s)
    emu_->signal(SIGTERM);
    CHECK(emu_->wait(10s).has_value());
    broker_->signal(SIGTERM);
    CHECK(broker_->wait(10s).has_value());
    return code;
  }

  static constexpr const char* token = "ops-test-token";

 private:
  temp_dir dir_;
  std::unique_ptr<child_process> broker_;
  std::unique_ptr<child_process> emu_;
  std::unique_ptr<child_process> run_;  // declared last: killed first at scope exit
  int metrics_port_ = 0;
};

}  // namespace spillway::testing
