// Defaults, the effective-config rendering (round trip and redaction), help and the Markdown reference.
#include "config/kafka_properties.hpp"
#include "config/options.hpp"
#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using spillway::config::test::check_same_options;
using spillway::config::test::contains;
using spillway::config::test::load;
using spillway::config::test::longest_line;
using spillway::config::test::problems_of;
using spillway::config::test::squash;

TEST_CASE("an empty file gives the documented defaults", "[config]") {
  const auto s = load("");
  CHECK(s.stream.base_url == "https://api.x.com");
  CHECK(s.stream.max_line_bytes == 1u << 20);
  CHECK(s.stream.rules_delete_unmanaged);
  CHECK(s.stream.connect_timeout == std::chrono::seconds(10));
  CHECK(s.auth.bearer_token_env == "X_BEARER_TOKEN");
  CHECK(s.rocksdb.path == "./spillway-data");
  CHECK(s.rocksdb.write_batch_posts == 512);
  CHECK_FALSE(s.kafka.enabled);
  CHECK(s.kafka.topic == "x.posts");
  CHECK(s.metrics.listen == "127.0.0.1:9464");
  CHECK(s.reconnect.stall_timeout == std::chrono::seconds(30));
  CHECK(s.reconnect.network_step == std::chrono::milliseconds(250));
  CHECK(s.reconnect.http_cap == std::chrono::seconds(320));
  CHECK(s.reconnect.jitter == "full");
  CHECK(s.pipeline.ring_capacity == 65536);
  CHECK(s.rules.empty());
  CHECK(s.log_level == "info");
  CHECK(s.source_path == "test.toml");
}

TEST_CASE("every default passes its own validation", "[config]") {
  const settings defaults;
  for (const auto& spec : option_table()) {
    if (spec.field == nullptr) continue;
    INFO(spec.key);
    CHECK_FALSE(validate(spec, read_option(spec, defaults)).has_value());
  }
}

TEST_CASE("the effective config loads back to the same settings", "[config]") {
  const char* text =
      "log_level = \"warn\"\n"
      "[stream]\nbase_url = \"http://[::1]:8080\"\ntweet_fields = \"created_at,lang\"\nbackfill = true\n"
      "connect_timeout = \"1500ms\"\n"
      "[sinks.kafka]\nenabled = true\nbootstrap_servers = \"a:1,b:2\"\ntopic_by_rule_tag = true\n"
      "[sinks.kafka.properties]\n\"compression.type\" = \"lz4\"\nlinger.ms = 5\n\"enable.idempotence\" = true\n"
      "[reconnect]\njitter = \"decorrelated\"\nhttp_cap = \"2h\"\n"
      "[[rules]]\nvalue = \"has:\\\"quotes\\\" and \\\\ backslash\"\ntag = \"t1\"\n"
      "[[rules]]\nvalue = \"plain\"\n";
  const auto first = load(text);
  const auto rendered = render_effective(first);
  INFO(rendered);
  const auto second = load(rendered);
  CHECK(second.stream.base_url == first.stream.base_url);
  CHECK(second.stream.connect_timeout == std::chrono::milliseconds(1500));
  CHECK(second.kafka.properties == first.kafka.properties);
  CHECK(second.rules == first.rules);
  CHECK(second.reconnect.http_cap == std::chrono::hours(2));
  check_same_options(second, first);
}

TEST_CASE("secret values never appear in the effective config or in errors", "[config]") {
  const std::string secret = "hunter2-S3CRET-value";
  SECTION("kafka credentials from the file and from the environment are redacted") {
    const auto s = load("[sinks.kafka.properties]\n\"sasl.username\" = \"" + secret + "u\"\n"
                        "\"sasl.mechanisms\" = \"PLAIN\"\n\"ssl.key.password\" = \"" + secret + "k\"\n"
                        "\"sasl.oauthbearer.client.secret\" = \"" + secret + "c\"\n",
                        env_lookup{{"SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD", secret}});
    const auto rendered = render_effective(s);
    INFO(rendered);
    CHECK_FALSE(contains(rendered, secret));
    CHECK(contains(rendered, "\"sasl.password\" = \"<redacted>\""));
    CHECK(contains(rendered, "\"sasl.mechanisms\" = \"PLAIN\""));  // not a secret: shown
  }
  SECTION("a token written into the config file is rejected without being quoted") {
    for (const std::string key : {"[auth]\nbearer_token", "[auth]\ntoken", "bearer_token", "[stream]\napi_key",
                                  "[sinks.kafka]\nsasl_password", "[auth]\nclient_secret"}) {
      const auto problems = problems_of(key + " = \"" + secret + "\"\n");
      REQUIRE(problems.size() == 1);
      INFO(problems.front());
      CHECK_FALSE(contains(problems.front(), secret));
      CHECK(contains(problems.front(), "credentials never go in the config file"));
    }
  }
  SECTION("errors about values never quote secrets") {
    const std::string text =
        "[stream]\nbase_url = \"https://user:" + secret + "@api.x.com\"\n"  // credentials in a URL
        "[auth]\nbearer_token_env = \"" + secret + "=x\"\n"                 // a token where a name belongs
        "[sinks.rocksdb]\npath = \"" + secret + "\"\nwrite_batch_posts = \"" + secret + "\"\n"
        "[sinks.kafka.properties]\n\"sasl.password\" = [\"" + secret + "\"]\n"
        "[stream.extra]\nvalue = \"" + secret + "\"\n";
    const auto problems = problems_of(text, env_lookup{{"SPILLWAY_STREAM__BASE_ULR", secret}});
    CHECK(problems.size() == 6);
    for (const auto& p : problems) {
      INFO(p);
      CHECK_FALSE(contains(p, secret));
    }
  }
  SECTION("a syntax error does not quote the line") {
    const auto problems = problems_of("[auth]\nbearer_token = " + secret + "\n");
    REQUIRE(problems.size() == 1);
    CHECK_FALSE(contains(problems.front(), secret));
  }
}

TEST_CASE("an option marked secret is never quoted by validation", "[config]") {
  const option_spec spec{.key = "test.secret", .type = option_type::string, .help = "x",
                         .allowed = {"alpha", "beta"}, .secret = true};
  const auto bad = validate(spec, option_value{std::string("hunter2-S3CRET")});
  REQUIRE(bad.has_value());
  CHECK_FALSE(contains(bad->problem + bad->fix, "hunter2"));
  const option_spec number{.key = "test.n", .type = option_type::integer, .help = "x", .min = 10, .max = 20, .secret = true};
  const auto out_of_range = validate(number, option_value{std::uint64_t{987654}});
  REQUIRE(out_of_range.has_value());
  CHECK_FALSE(contains(out_of_range->problem + out_of_range->fix, "987654"));
}

TEST_CASE("secret property names", "[config]") {
  for (const char* key : {"sasl.password", "sasl.username", "sasl.oauthbearer.config", "ssl.key.password",
                          "ssl.keystore.password", "sasl.oauthbearer.client.secret", "ssl.key.pem", "SASL.PASSWORD"}) {
    INFO(key);
    CHECK(is_secret_property(key));
  }
  for (const char* key : {"sasl.mechanism", "sasl.mechanisms", "security.protocol", "linger.ms", "ssl.ca.location"}) {
    INFO(key);
    CHECK_FALSE(is_secret_property(key));
  }
}

TEST_CASE("the Markdown reference and the help list every option", "[config]") {
  const auto markdown = render_markdown_reference();
  const auto help = render_help();
  CHECK(markdown.starts_with("| Key | Type | Default |"));
  for (const auto& spec : option_table()) {
    INFO(spec.key);
    // Named strings, not `"literal" + temporary`: GCC 12 at -O3 reports a false -Wrestrict for the latter.
    const std::string key(spec.key);
    CHECK(contains(markdown, "| `" + key + "` |"));
    CHECK(contains(markdown, std::string(spec.help)));
    CHECK(contains(squash(help), squash(spec.help)));
    if (spec.field != nullptr) {
      const std::string variable = env_var_name(spec.key);
      CHECK(contains(markdown, "`" + variable + "`"));
      CHECK(contains(help, "Environment: " + variable));
    }
  }
  // One header, one separator and one row per option.
  CHECK(static_cast<std::size_t>(std::count(markdown.begin(), markdown.end(), '\n')) == option_table().size() + 2);
  CHECK(contains(markdown, "| `reconnect.jitter` | string | `\"full\"` | one of full, equal, decorrelated, none |"));
  CHECK(contains(markdown, "| `pipeline.ring_capacity` | integer | `65536` | 1024..1048576, a power of two |"));
  CHECK(contains(help, "[sinks.kafka]\n  enabled (boolean) default true\n"));
  CHECK(longest_line(help) <= 100);  // fits a terminal
}
