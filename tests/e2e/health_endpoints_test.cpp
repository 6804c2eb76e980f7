// Health endpoints (issue 11, item 6) through real states of a running `spillway run`: /readyz is 200
// while the emulator streams and 503 naming "stream" once the emulator is gone, while /livez stays 200.
// A real RocksDB write error (/livez 503, /readyz failing "rocksdb") is checked in storage_fault_test.cpp.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

void write_health_config(const std::string& path, const std::string& url, const std::string& db,
                         std::uint16_t metrics_port) {
  std::ofstream out(path);
  out << "[stream]\nbase_url = \"" << url << "\"\n";
  out << "[sinks.rocksdb]\npath = \"" << db << "\"\n";
  out << "[metrics]\nlisten = \"127.0.0.1:" << metrics_port << "\"\n";
  out << "[reconnect]\nnetwork_step = \"200ms\"\nnetwork_cap = \"1s\"\n";
}

}  // namespace

TEST_CASE("health: /readyz is 200 while streaming and 503 naming the stream once the emulator is gone",
          "[integration][e2e][health]") {
  temp_dir dir("spillway-health-stream");
  emulator_process emu(dir, {"--rate", "50", "--seed", "11", "--bearer", "health-token", "--heartbeat", "1"});
  const std::string& url = emu.url;
  const auto port = free_port();
  write_health_config(dir.str("spillway.toml"), url, dir.str("db"), port);
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "health-token"}});
  if (!eventually([&] { return http_status(scrape(port, "/readyz")) == 200; }, 30s, 100ms)) {
    FAIL("never ready; /readyz: " << scrape(port, "/readyz") << "\nspillway log:\n" << slurp(dir.str("run.log")));
  }
  const auto ready = scrape(port, "/readyz");
  CHECK(http_body(ready).find("\"status\":\"ok\"") != std::string::npos);
  CHECK(ready.find("Content-Type: application/json") != std::string::npos);
  CHECK(http_status(scrape(port, "/livez")) == 200);
  CHECK(sample(scrape(port), "spillway_pipeline_up") == 1.0);  // /metrics still served by the same listener

  emu.signal(SIGTERM);
  REQUIRE(emu.wait(20s).has_value());
  std::string not_ready;
  REQUIRE(eventually([&] {
    not_ready = scrape(port, "/readyz");
    return http_status(not_ready) == 503;
  }, 30s, 100ms));
  const auto body = http_body(not_ready);
  INFO("/readyz body: " << body);
  CHECK(body.find("\"status\":\"failing\"") != std::string::npos);
  CHECK(body.find("{\"name\":\"stream\",\"ok\":false,\"why\":\"the stream is not connected") != std::string::npos);
  CHECK(body.find("{\"name\":\"rocksdb\",\"ok\":true}") != std::string::npos);
  // Still alive: the reader keeps reconnecting.
  CHECK(http_status(scrape(port, "/livez")) == 200);

  run.signal(SIGTERM);
  const auto code = run.wait(20s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}
