// The summary at the end of `config check`: the stream URL, where the token comes from (never the token), the
// active sinks and where data goes; all TOML comments, so the whole check output still loads back.
#include "config/summary.hpp"
#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using spillway::config::test::check_contains_all;
using spillway::config::test::check_same_options;
using spillway::config::test::contains;
using spillway::config::test::load;

namespace {
constexpr std::string_view target = "/2/tweets/search/stream?tweet.fields=created_at";
}

TEST_CASE("summary of the defaults: rocksdb only, the token variable, no kafka", "[config][summary]") {
  const auto text = render_summary(load(""), target);
  INFO(text);
  check_contains_all(text, {"#   stream:  https://api.x.com/2/tweets/search/stream?tweet.fields=created_at\n",
                            "#   token:   $X_BEARER_TOKEN (auth.bearer_token_env) if set, else client credentials",
                            "#   sinks:   RocksDB only\n", "#   RocksDB: ./spillway-data\n",
                            "#   Kafka:   off (sinks.kafka.bootstrap_servers is not set)\n",
                            "#   metrics: http://127.0.0.1:9464/metrics\n"});
}

TEST_CASE("summary of a production config: file token, rocksdb + kafka with brokers and topic", "[config][summary]") {
  const std::string secret = "kafka-S3CRET-password";
  const auto s = load(
      "[stream]\nrules_sync_on_start = true\n"
      "[auth]\nbearer_token_file = \"/run/credentials/spillway.service/x_bearer_token\"\n"
      "[sinks.rocksdb]\npath = \"/var/lib/spillway/rocksdb\"\n"
      "[sinks.kafka]\nbootstrap_servers = \"k1:9093,k2:9093\"\ntopic = \"x.posts\"\n"
      "[sinks.kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.username\" = \"svc-user-name\"\n"
      "[metrics]\nenabled = false\n"
      "[[rules]]\nvalue = \"a\"\n[[rules]]\nvalue = \"b\"\n",
      env_lookup{{"SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD", secret}});
  const auto text = render_summary(s, target);
  INFO(text);
  check_contains_all(text, {"#   stream:  https://api.x.com/2/tweets/search/stream?tweet.fields=created_at\n",
                            "#   token:   the file /run/credentials/spillway.service/x_bearer_token (auth.bearer_token_file)\n",
                            "#   rules:   2 in [[rules]], synced with X before connecting\n",
                            "#   sinks:   RocksDB + Kafka\n", "#   RocksDB: /var/lib/spillway/rocksdb\n",
                            "#   Kafka:   brokers k1:9093,k2:9093, topic x.posts, SASL_SSL\n", "#   metrics: off\n"});
  CHECK_FALSE(contains(text, secret));
  CHECK_FALSE(contains(text, "svc-user-name"));  // no property but security.protocol is shown
}

TEST_CASE("summary names each token source and kafka state", "[config][summary]") {
  CHECK(contains(render_summary(load("[auth]\napp_token_source = \"client_credentials\"\n"), target),
                 "#   token:   client credentials ($X_API_KEY, $X_API_SECRET to POST /oauth2/token)\n"));
  CHECK(contains(render_summary(load("[auth]\napp_token_source = \"bearer\"\nbearer_token_env = \"MY_TOKEN\"\n"), target),
                 "#   token:   $MY_TOKEN (auth.bearer_token_env)\n"));
  CHECK(contains(render_summary(load("[sinks.kafka]\nenabled = false\nbootstrap_servers = \"k:1\"\n"), target),
                 "#   Kafka:   off (sinks.kafka.enabled = false)\n"));
  CHECK(contains(render_summary(load("[sinks.kafka]\nbootstrap_servers = \"k:1\"\ntopic_by_rule_tag = true\n"
                                     "fallback_topic = \"other\"\n"),
                                target),
                 "#   Kafka:   brokers k:1, topic named by each Post's first matching rule tag (else other)\n"));
}

TEST_CASE("config check output (effective config + summary) loads back to the same settings", "[config][summary]") {
  const auto first = load("[sinks.kafka]\nbootstrap_servers = \"k:1\"\n[[rules]]\nvalue = \"x\"\n");
  check_same_options(load(render_effective(first) + render_summary(first, target)), first);
  const auto text = render_summary(first, target);
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    const auto line = std::string_view(text).substr(start, end - start);
    CHECK((line.empty() || line.starts_with('#')));
  }
}

TEST_CASE("summary: two connections say they are redundant and need Enterprise access", "[config][summary]") {
  const auto one = render_summary(load(""), target);
  CHECK(contains(one, "#   connections: 1\n"));
  const auto two = render_summary(load("[stream]\nconnections = 2\n"), target);
  INFO(two);
  CHECK(contains(two, "#   connections: 2 redundant (Enterprise access only"));
  CHECK(contains(two, "429 TooManyConnections"));
}
