// Health endpoints with Kafka on (issue 11, item 6): /readyz is 200 while the mock broker acknowledges,
// 503 naming "kafka" while the broker is down (brokers down, or the outbox older than
// metrics.ready_max_outbox_age), and 200 again once it is back and the outbox drains.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/kafka/run_test_support.hpp"
#include "tests/support/scrape.hpp"

using namespace spillway::test::run;
using spillway::test::mock_broker;
using spillway::testing::http_status;
using spillway::testing::sample;
using spillway::testing::scrape;
using spillway::testing::temp_dir;

namespace {

// The suite's config with the metrics listener on `port` and a short outbox-age threshold.
std::string health_config(const temp_dir& dir, const std::string& url, const std::string& bootstrap, int port) {
  const auto path = write_config(dir, url, bootstrap, {{"message.timeout.ms", "10000"}});
  auto text = slurp(path);
  const std::string off = "[metrics]\nenabled = false\n";
  const auto at = text.find(off);
  REQUIRE(at != std::string::npos);
  text.replace(at, off.size(),
               "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\nready_max_outbox_age = \"3s\"\n");
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("run health: /readyz names kafka while the broker is down and recovers when it is back",
          "[integration][kafka][run][health]") {
  temp_dir dir("spillway-kafka-health");
  mock_broker broker(1, {"x.posts:8"});
  emulator emu(dir, {"--count", "0", "--rate", "100", "--seed", "21"});
  const auto port = free_port();
  auto run = start_spillway(dir, health_config(dir, emu.url, broker.bootstrap(), port));
  if (!eventually([&] { return http_status(scrape(port, "/readyz")) == 200; }, 30s, 200ms)) {
    FAIL("never ready; /readyz: " << scrape(port, "/readyz") << "\nspillway log:\n"
                                  << log_tail(dir.str("run.log")));
  }
  CHECK(sample(scrape(port), "spillway_kafka_brokers_up") == 1.0);

  REQUIRE(broker.command("down 1").rfind("ok", 0) == 0);
  std::string not_ready;
  REQUIRE(eventually([&] {
    not_ready = scrape(port, "/readyz");
    return http_status(not_ready) == 503;
  }, 30s, 200ms));
  INFO("/readyz: " << not_ready);
  CHECK(not_ready.find("{\"name\":\"kafka\",\"ok\":false,\"why\":") != std::string::npos);
  CHECK(not_ready.find("{\"name\":\"stream\",\"ok\":true}") != std::string::npos);
  CHECK(http_status(scrape(port, "/livez")) == 200);

  REQUIRE(broker.command("up 1").rfind("ok", 0) == 0);
  CHECK(eventually([&] { return http_status(scrape(port, "/readyz")) == 200; }, 60s, 250ms));
  CHECK(stop_spillway(*run) == 0);
}
