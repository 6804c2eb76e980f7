// The shipped example configurations load cleanly and mean what their comments say.
#include <cstdlib>

#include "tests/config/config_test_util.hpp"

using namespace spillway::config;

namespace {
const std::filesystem::path examples = std::filesystem::path(SPILLWAY_SOURCE_DIR) / "config" / "examples";
}

TEST_CASE("demo.toml loads: emulator over http, rocksdb under ./demo-data, kafka to a local broker", "[config]") {
  const auto s = load_settings(examples / "demo.toml", env_lookup{});
  CHECK(s.stream.base_url.starts_with("http://127.0.0.1:"));
  CHECK(s.rocksdb.path.starts_with("./demo-data"));
  CHECK(s.kafka.enabled);
  CHECK(s.kafka.bootstrap_servers.starts_with("127.0.0.1:"));
  CHECK(s.source_path == (examples / "demo.toml").string());
  CHECK_FALSE(s.rules.empty());
}

TEST_CASE("demo.toml takes the emulator and broker addresses from the environment", "[config]") {
  const auto s = load_settings(examples / "demo.toml",
                               env_lookup{{"SPILLWAY_STREAM__BASE_URL", "http://127.0.0.1:40123"},
                                          {"SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:40124"}});
  CHECK(s.stream.base_url == "http://127.0.0.1:40123");
  CHECK(s.kafka.bootstrap_servers == "127.0.0.1:40124");
}

TEST_CASE("production.toml loads: api.x.com, kafka over SASL_SSL, rules", "[config]") {
  const env_lookup env{{"SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD", "prod-password-value"}};
  const auto s = load_settings(examples / "production.toml", env);
  CHECK(s.stream.base_url == "https://api.x.com");
  CHECK(s.kafka.enabled);
  const auto& props = s.kafka.properties;
  const auto find = [&](std::string_view key) {
    for (const auto& [k, v] : props) if (k == key) return v;
    return std::string("<missing>");
  };
  CHECK(find("security.protocol") == "SASL_SSL");
  CHECK(find("sasl.password") == "prod-password-value");
  CHECK(find("linger.ms") == "5");
  CHECK(props.front().first == "security.protocol");  // file order is kept
  CHECK(s.rules.size() == 2);
  CHECK(s.rules[1].value == "\"filtered stream\" lang:en -is:retweet");
  const auto rendered = render_effective(s);
  CHECK(rendered.find("prod-password-value") == std::string::npos);
  // Also without the password in the environment: the file itself is valid.
  CHECK_NOTHROW(load_settings(examples / "production.toml", env_lookup{}));
}

TEST_CASE("load_settings(file) reads SPILLWAY_* variables from the process environment", "[config]") {
  constexpr const char* name = "SPILLWAY_PIPELINE__DEDUP_WINDOW";
  REQUIRE(::setenv(name, "777", 1) == 0);
  const auto s = load_settings(examples / "demo.toml");
  ::unsetenv(name);
  CHECK(s.pipeline.dedup_window == 777);
  CHECK(load_settings(examples / "demo.toml").pipeline.dedup_window == 1000000);
}
