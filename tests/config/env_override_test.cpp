// Environment overrides: SPILLWAY_<SECTION>__<KEY>, converted to the option's type, validated like
// file values, and named in errors by the variable.
#include "config/options.hpp"
#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using spillway::config::test::contains;
using spillway::config::test::load;
using spillway::config::test::problems_of;

TEST_CASE("the environment variable name for every option", "[config]") {
  CHECK(env_var_name("stream.base_url") == "SPILLWAY_STREAM__BASE_URL");
  CHECK(env_var_name("sinks.kafka.topic") == "SPILLWAY_SINKS_KAFKA__TOPIC");
  CHECK(env_var_name("sinks.rocksdb.write_batch_posts") == "SPILLWAY_SINKS_ROCKSDB__WRITE_BATCH_POSTS");
  CHECK(env_var_name("log_level") == "SPILLWAY_LOG_LEVEL");
}

TEST_CASE("environment overrides the file and defaults, with type conversion", "[config]") {
  const env_lookup env{
      {"SPILLWAY_STREAM__BASE_URL", "http://127.0.0.1:8081"},
      {"SPILLWAY_SINKS_KAFKA__TOPIC", "from.env"},
      {"SPILLWAY_SINKS_KAFKA__ENABLED", "yes"},
      {"SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:9092"},
      {"SPILLWAY_STREAM__MAX_LINE_BYTES", "2048"},
      {"SPILLWAY_RECONNECT__STALL_TIMEOUT", "250ms"},
      {"SPILLWAY_RECONNECT__ALERT_AFTER", "3"},
      {"SPILLWAY_METRICS__ENABLED", "0"},
      {"SPILLWAY_LOG_LEVEL", "debug"},
      {"SPILLWAY_SINKS_KAFKA_PROPERTIES__LINGER_MS", "7"},
      {"SPILLWAY_OTHER", "not ours, ignored"},  // no "__": not an override
  };
  const auto s = load(
      "[stream]\nbase_url = \"https://api.x.com\"\n"
      "[sinks.kafka]\ntopic = \"from.file\"\n"
      "[sinks.kafka.properties]\n\"linger.ms\" = 5\n\"compression.type\" = \"zstd\"\n",
      env);
  CHECK(s.stream.base_url == "http://127.0.0.1:8081");
  CHECK(s.kafka.topic == "from.env");
  CHECK(s.kafka.enabled);
  CHECK(s.kafka.bootstrap_servers == "127.0.0.1:9092");
  CHECK(s.stream.max_line_bytes == 2048);
  CHECK(s.reconnect.stall_timeout == std::chrono::milliseconds(250));
  CHECK(s.reconnect.alert_after == 3);
  CHECK_FALSE(s.metrics.enabled);
  CHECK(s.log_level == "debug");
  using kv = std::pair<std::string, std::string>;
  CHECK(s.kafka.properties == std::vector<kv>{{"linger.ms", "7"}, {"compression.type", "zstd"}});
}

TEST_CASE("a property that is only in the environment is added", "[config]") {
  const env_lookup env{{"SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD", "pw"}};
  const auto s = load("[sinks.kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n", env);
  using kv = std::pair<std::string, std::string>;
  CHECK(s.kafka.properties == std::vector<kv>{{"security.protocol", "SASL_SSL"}, {"sasl.password", "pw"}});
}

TEST_CASE("bad values from the environment name the variable and the option", "[config]") {
  struct env_case {
    const char* var;
    const char* value;
    const char* message;
  };
  const env_case cases[] = {
      {"SPILLWAY_PIPELINE__RING_CAPACITY", "lots", "is not a whole number (got \"lots\")"},
      {"SPILLWAY_PIPELINE__RING_CAPACITY", "3000", "power of two"},
      {"SPILLWAY_METRICS__ENABLED", "maybe", "is not a boolean"},
      {"SPILLWAY_RECONNECT__HTTP_CAP", "5 minutes", "is not a duration"},
      {"SPILLWAY_RECONNECT__HTTP_CAP", "0s", "greater than zero"},
      {"SPILLWAY_STREAM__BASE_URL", "https://api.x.com/2", "must not contain a path"},
      {"SPILLWAY_STREAM__MAX_LINE_BYTES", "-1", "is not a whole number"},
      {"SPILLWAY_STREAM__MAX_LINE_BYTES", "99999999999999999999999", "is not a whole number"},
  };
  for (const auto& c : cases) {
    SECTION(std::string(c.var) + "=" + c.value) {
      const auto problems = problems_of("", env_lookup{{c.var, c.value}});
      REQUIRE(problems.size() == 1);
      INFO(problems.front());
      CHECK(problems.front().starts_with(std::string("environment variable ") + c.var + ": "));
      CHECK(contains(problems.front(), c.message));
      CHECK(contains(problems.front(), "Fix: "));
    }
  }
}

TEST_CASE("a misspelt override variable is an error with a suggestion", "[config]") {
  const auto problems = problems_of("", env_lookup{{"SPILLWAY_STREAM__BASE_ULR", "http://x"}});
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().starts_with("environment variable SPILLWAY_STREAM__BASE_ULR: "));
  CHECK(contains(problems.front(), "did you mean SPILLWAY_STREAM__BASE_URL?"));
}

TEST_CASE("an override can fix a bad file value only by replacing it - the file is still reported", "[config]") {
  // The file's own mistake is reported even when the environment supplies a good value, so a bad
  // file never passes review by accident.
  const auto problems = problems_of("[pipeline]\nring_capacity = 3\n",
                                    env_lookup{{"SPILLWAY_PIPELINE__RING_CAPACITY", "2048"}});
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().starts_with("test.toml:2:"));
}

TEST_CASE("cross-field checks see values from the environment", "[config]") {
  const auto problems = problems_of("", env_lookup{{"SPILLWAY_SINKS_KAFKA__ENABLED", "true"}});
  REQUIRE(problems.size() == 1);
  CHECK(problems.front().starts_with("environment variable SPILLWAY_SINKS_KAFKA__ENABLED: sinks.kafka.enabled: "));
  CHECK(contains(problems.front(), "SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS"));
}

TEST_CASE("every option with a value has a working override", "[config]") {
  // Setting each variable to its default's text must load and leave the default in place. Brokers are
  // set throughout because an explicit sinks.kafka.enabled = true without them is an error.
  for (const auto& spec : option_table()) {
    if (spec.field == nullptr) continue;
    const auto value = read_option(spec, settings{});
    std::string text = format_value(spec, value);
    if (text.starts_with('"')) text = text.substr(1, text.size() - 2);
    if (spec.required || !text.empty()) {
      INFO(spec.key << " = " << text);
      const auto s = load("", env_lookup{{env_var_name(spec.key), text},
                                         {"SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:9092"}});
      CHECK(read_option(spec, s) == value);
    }
  }
}
