// A configured sink is on: [sinks.kafka] with brokers produces unless `enabled = false` says otherwise, and
// with no brokers there is no Kafka sink — silently, because nothing asked for one.
#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using spillway::config::test::contains;
using spillway::config::test::load;
using spillway::config::test::problems_of;

TEST_CASE("kafka with bootstrap_servers is on without enabled = true", "[config][kafka-default]") {
  const auto s = load("[sinks.kafka]\nbootstrap_servers = \"kafka-1:9092\"\ntopic = \"posts\"\n");
  CHECK(s.kafka.enabled);
  CHECK(s.kafka.bootstrap_servers == "kafka-1:9092");
}

TEST_CASE("kafka brokers from the environment alone turn kafka on", "[config][kafka-default]") {
  const auto s = load("", env_lookup{{"SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:9092"}});
  CHECK(s.kafka.enabled);
}

TEST_CASE("enabled = false keeps a configured kafka sink off", "[config][kafka-default]") {
  CHECK_FALSE(load("[sinks.kafka]\nenabled = false\nbootstrap_servers = \"kafka-1:9092\"\n").kafka.enabled);
  CHECK_FALSE(load("[sinks.kafka]\nbootstrap_servers = \"kafka-1:9092\"\n",
                   env_lookup{{"SPILLWAY_SINKS_KAFKA__ENABLED", "false"}})
                  .kafka.enabled);
}

TEST_CASE("no brokers means no kafka sink, and no error", "[config][kafka-default]") {
  CHECK_FALSE(load("").kafka.enabled);
  CHECK_FALSE(load("[sinks.kafka]\ntopic = \"posts\"\n").kafka.enabled);
  // The effective config states it, so what `config check` prints loads back to the same thing.
  const auto rendered = render_effective(load(""));
  CHECK(contains(rendered, "[sinks.kafka]\nenabled = false\n"));
  CHECK_FALSE(load(rendered).kafka.enabled);
}

TEST_CASE("enabled = true without brokers is still an error", "[config][kafka-default]") {
  const auto problems = problems_of("[sinks.kafka]\nenabled = true\n");
  REQUIRE(problems.size() == 1);
  CHECK(contains(problems.front(), "test.toml:2:"));
  CHECK(contains(problems.front(), "bootstrap_servers is not set"));
}
