// The commented config file made from the option table (`spillway config example`, the packaged
// /etc/spillway/spillway.toml): every option with its help and default, set values uncommented, and it
// loads back to the settings it was made from.
#include <cstdlib>
#include <filesystem>

#include "config/kafka_properties.hpp"
#include "config/options.hpp"
#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using spillway::config::test::check_contains_all;
using spillway::config::test::check_same_options;
using spillway::config::test::contains;
using spillway::config::test::load;
using spillway::config::test::longest_line;
using spillway::config::test::squash;

TEST_CASE("the commented defaults list every option, commented, and load back to the defaults", "[config][example]") {
  const auto defaults = load("");
  const auto text = render_commented(defaults, "");
  INFO(text);
  check_same_options(load(text), defaults);
  const auto flat = squash(text, "# ");
  for (const auto& spec : option_table()) {
    INFO(spec.key);
    CHECK(contains(flat, squash(spec.help)));
    if (spec.field == nullptr) continue;
    // Under its own table header, commented out, with the default of settings{}.
    const auto section = section_of(spec.key);
    const auto header = section.empty() ? std::string::npos : text.find("\n[" + std::string(section) + "]\n");
    const auto line = "\n#" + std::string(leaf_of(spec.key)) + " = " + format_value(spec, read_option(spec, settings{})) + "\n";
    const auto at = section.empty() ? text.find(line) : text.find(line, header);
    CHECK(at != std::string::npos);
    if (!section.empty()) {
      CHECK(header != std::string::npos);
      CHECK(text.find("\n[", header + 1) > at);  // no other table header in between
    }
    CHECK(contains(text, "\n# Environment: " + env_var_name(spec.key) + "\n"));
  }
  CHECK(contains(text, "\n#[[rules]]\n"));
  CHECK(contains(text, "\n#[sinks.kafka.properties]\n"));
  CHECK(longest_line(text) <= 100);
}

TEST_CASE("values that differ from the defaults are written as set, the rest stay commented", "[config][example]") {
  const std::string secret = "kafka-S3CRET-password";
  const auto s = load(
      "log_level = \"warn\"\n[sinks.rocksdb]\npath = \"/var/lib/spillway/rocksdb\"\n"
      "[sinks.kafka]\nbootstrap_servers = \"k1:9093\"\n"
      "[sinks.kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\"linger.ms\" = 5\n"
      "[[rules]]\nvalue = \"from:XDevelopers\"\ntag = \"dev\"\n",
      env_lookup{{"SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD", secret}});
  const auto text = render_commented(s, "");
  INFO(text);
  check_contains_all(text, {"\nlog_level = \"warn\"\n", "\npath = \"/var/lib/spillway/rocksdb\"\n",
                            "\n#write_batch_posts = 512\n", "\nbootstrap_servers = \"k1:9093\"\n",
                            "\n[sinks.kafka.properties]\n\"security.protocol\" = \"SASL_SSL\"\n\"linger.ms\" = \"5\"\n",
                            "SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD",
                            "\n[[rules]]\nvalue = \"from:XDevelopers\"\ntag = \"dev\"\n"});
  CHECK_FALSE(contains(text, secret));
  const auto back = load(text);
  check_same_options(back, s);
  CHECK(back.rules == s.rules);
  CHECK(back.kafka.properties.size() == 2);  // the secret is named, not written
}

TEST_CASE("an example without brokers does not pin kafka off", "[config][example]") {
  // Loading normalises enabled to false without brokers; written as set, `enabled = false` would keep
  // Kafka off once someone adds brokers to the file.
  const auto text = render_commented(load("[sinks.rocksdb]\npath = \"/srv/db\"\n"), "");
  CHECK(contains(text, "\n#enabled = true\n"));
  CHECK_FALSE(contains(text, "\nenabled = false\n"));
  CHECK(load(text + "\n").kafka.enabled == false);
  const auto with_brokers = load(text, env_lookup{{"SPILLWAY_SINKS_KAFKA__BOOTSTRAP_SERVERS", "k:1"}});
  CHECK(with_brokers.kafka.enabled);
}

TEST_CASE("the intro becomes comment lines at the top", "[config][example]") {
  const auto text = render_commented(load(""), "first line\n# second line\n\nfourth");
  CHECK(text.starts_with("# first line\n# second line\n#\n# fourth\n#\n# Every Spillway option"));
}

TEST_CASE("the packaged example: the overlay's values and comments over every option", "[config][example]") {
  const auto overlay = std::filesystem::path(SPILLWAY_SOURCE_DIR) / "ops" / "debian" / "spillway.toml";
  const auto text = render_example(overlay.string());
  INFO(text);
  CHECK(text.starts_with("# /etc/spillway/spillway.toml: the configuration of spillway.service."));
  CHECK(contains(text, "\n[sinks.rocksdb]\n"));
  CHECK(contains(text, "\npath = \"/var/lib/spillway/rocksdb\"\n"));
  const auto s = load(text);
  CHECK(s.rocksdb.path == "/var/lib/spillway/rocksdb");
  CHECK_FALSE(s.kafka.enabled);
  // Only the file counts: a SPILLWAY_* variable of whoever builds the package does not leak into it.
  REQUIRE(::setenv("SPILLWAY_LOG_LEVEL", "debug", 1) == 0);
  const auto again = render_example(overlay.string());
  ::unsetenv("SPILLWAY_LOG_LEVEL");
  CHECK(again == text);
  CHECK(render_example("").starts_with("# Every Spillway option"));
  CHECK(longest_line(text) <= 100);  // the intro too: the file is read in a terminal
}
