#include <catch2/catch.hpp>

#include <librdkafka/rdkafka.h>

#include "config/kafka_properties.hpp"
#include "sinks/kafka/kafka_config.hpp"
#include "tests/kafka/kafka_test_support.hpp"

using namespace spillway::sinks::kafka;
using spillway::test::kafka_settings_for;

namespace {

std::string start_up_error(const spillway::config::kafka_settings& s) {
  try {
    auto pc = build_producer_conf(s);
    if (spillway::test::librdkafka_threads_unusable) {
      rd_kafka_conf_destroy(pc.conf);  // the configuration checks above are what runs under TSan
      return {};
    }
    rd_kafka_t* rk = create_producer(pc);
    rd_kafka_destroy(rk);
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

std::string conf_value(rd_kafka_conf_t* conf, const char* name) {
  char buf[256];
  size_t size = sizeof buf;
  REQUIRE(rd_kafka_conf_get(conf, name, buf, &size) == RD_KAFKA_CONF_OK);
  return buf;
}

}  // namespace

TEST_CASE("producer configuration enforces idempotence and acks=all and bounds the queue", "[kafka]") {
  auto pc = build_producer_conf(kafka_settings_for("127.0.0.1:1", {{"compression.type", "lz4"}, {"linger.ms", "20"}}));
  CHECK(conf_value(pc.conf, "enable.idempotence") == "true");
  CHECK((conf_value(pc.conf, "acks") == "-1" || conf_value(pc.conf, "acks") == "all"));
  CHECK(conf_value(pc.conf, "compression.type") == "lz4");  // passed through
  CHECK(conf_value(pc.conf, "linger.ms") == "20");          // the operator's value wins over our default
  CHECK(conf_value(pc.conf, "queue.buffering.max.messages") == "100000");
  CHECK(pc.max_queued == 100000);
  CHECK(conf_value(pc.conf, "socket.nagle.disable") == "true");  // else delayed ACKs add 40 ms to p99 delivery
  rd_kafka_conf_destroy(pc.conf);
}

TEST_CASE("an operator may turn Nagle's algorithm back on", "[kafka]") {
  auto pc = build_producer_conf(kafka_settings_for("127.0.0.1:1", {{"socket.nagle.disable", "false"}}));
  CHECK(conf_value(pc.conf, "socket.nagle.disable") == "false");
  rd_kafka_conf_destroy(pc.conf);
}

TEST_CASE("an unknown librdkafka property is a start-up error naming it and the fix", "[kafka]") {
  const auto e = start_up_error(kafka_settings_for("127.0.0.1:1", {{"linger.msec", "5"}}));
  CHECK_THAT(e, Catch::Contains("linger.msec"));
  CHECK_THAT(e, Catch::Contains("no property"));
  CHECK_THAT(e, Catch::Contains("fix the spelling or remove it"));
}

TEST_CASE("properties that break the delivery guarantee are refused", "[kafka]") {
  CHECK_THAT(start_up_error(kafka_settings_for("127.0.0.1:1", {{"acks", "1"}})), Catch::Contains("acks=all"));
  CHECK_THAT(start_up_error(kafka_settings_for("127.0.0.1:1", {{"enable.idempotence", "false"}})),
             Catch::Contains("idempotent"));
  CHECK_THAT(start_up_error(kafka_settings_for("127.0.0.1:1", {{"bootstrap.servers", "x:1"}})),
             Catch::Contains("sinks.kafka.bootstrap_servers"));
  CHECK_THAT(start_up_error(kafka_settings_for("")), Catch::Contains("bootstrap_servers is empty"));
  // Conflicts librdkafka itself detects when the producer starts (its threads start too).
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  CHECK_THAT(start_up_error(kafka_settings_for("127.0.0.1:1", {{"max.in.flight.requests.per.connection", "50"}})),
             Catch::Contains("[sinks.kafka.properties]"));
}

TEST_CASE("an invalid value of a secret property is reported without the value", "[kafka]") {
  // A SASL setting counts as secret (config::is_secret_property); an int property makes librdkafka refuse.
  const auto e = start_up_error(kafka_settings_for("127.0.0.1:1", {{"sasl.kerberos.min.time.before.relogin", "hunter2-xyz"}}));
  CHECK_THAT(e, Catch::Contains("sasl.kerberos.min.time.before.relogin"));
  CHECK_THAT(e, Catch::Contains("not shown"));
  CHECK(e.find("hunter2") == std::string::npos);
  const auto e2 = start_up_error(kafka_settings_for("127.0.0.1:1", {{"linger.ms", "not-a-number"}}));
  CHECK_THAT(e2, Catch::Contains("linger.ms"));
}

TEST_CASE("the guarantee rules are config's: settings that bypassed the loader are refused in its words", "[kafka]") {
  // One rule, two callers: the loader (with file and line) and build_producer_conf (settings built in code).
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"acks", "1"}, {"request.required.acks", "0"}, {"enable.idempotence", "false"}, {"metadata.broker.list", "x:1"}}) {
    INFO(key << " = " << value);
    const auto rule = spillway::config::check_property(key, value);
    REQUIRE(rule.has_value());
    const auto e = start_up_error(kafka_settings_for("127.0.0.1:1", {{key, value}}));
    CHECK_THAT(e, Catch::Contains(key));
    CHECK_THAT(e, Catch::Contains(rule->problem));
    CHECK_THAT(e, Catch::Contains(rule->fix));
  }
  // What the guarantees allow passes both.
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"acks", "all"}, {"acks", "-1"}, {"enable.idempotence", "true"}, {"compression.type", "zstd"}}) {
    INFO(key << " = " << value);
    CHECK_FALSE(spillway::config::check_property(key, value).has_value());
    auto pc = build_producer_conf(kafka_settings_for("127.0.0.1:1", {{key, value}}));
    rd_kafka_conf_destroy(pc.conf);
  }
}
