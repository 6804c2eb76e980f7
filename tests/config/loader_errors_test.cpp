// Every class of configuration error names the file, line and key, says how to fix it, and all
// problems in a file are reported together.
#include <algorithm>
#include <filesystem>

#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using spillway::config::test::contains;
using spillway::config::test::problems_of;

namespace {

struct error_case {
  const char* name;
  std::string toml;
  const char* where;    // "test.toml:<line>:"
  const char* key;
  const char* message;  // a fragment of the problem or fix
};

}  // namespace

TEST_CASE("each error class names file, line, key and a fix", "[config]") {
  const error_case cases[] = {
      {"unknown key with suggestion", "[stream]\nbase_ulr = \"https://api.x.com\"\n", "test.toml:2:", "stream.base_ulr",
       "did you mean `stream.base_url`?"},
      {"unknown table with suggestion", "[sink.kafka]\nenabled = true\n", "test.toml:1:", "sink", "did you mean `sinks`?"},
      {"key in the wrong table", "[stream]\nstall_timeout = \"30s\"\n", "test.toml:2:", "stream.stall_timeout",
       "did you mean `reconnect.stall_timeout`?"},
      {"unknown key without suggestion", "\n\n[metrics]\nfrobnicate = 1\n", "test.toml:4:", "metrics.frobnicate",
       "config --help"},
      {"wrong type: string for integer", "[pipeline]\nring_capacity = \"4096\"\n", "test.toml:2:",
       "pipeline.ring_capacity", "must be an integer, not a string"},
      {"wrong type: integer for string", "[stream]\nbase_url = 5\n", "test.toml:2:", "stream.base_url",
       "put the value in double quotes"},
      {"wrong type: string for boolean", "[metrics]\nenabled = \"yes\"\n", "test.toml:2:", "metrics.enabled",
       "true or false"},
      {"wrong type: float for integer", "[sinks.rocksdb]\nwrite_batch_posts = 1.5\n", "test.toml:2:",
       "sinks.rocksdb.write_batch_posts", "floating-point"},
      {"duration without unit", "[reconnect]\nstall_timeout = 30\n", "test.toml:2:", "reconnect.stall_timeout",
       "needs a unit"},
      {"duration with bad unit", "[reconnect]\nhttp_base = \"5sec\"\n", "test.toml:2:", "reconnect.http_base",
       "is not a duration"},
      {"duration zero", "[stream]\nconnect_timeout = \"0ms\"\n", "test.toml:2:", "stream.connect_timeout",
       "greater than zero"},
      {"integer below range", "[stream]\nmax_line_bytes = 100\n", "test.toml:2:", "stream.max_line_bytes",
       "between 1024 and 67108864 (got 100)"},
      {"integer above range", "[stream]\nmax_line_bytes = 67108865\n", "test.toml:2:", "stream.max_line_bytes",
       "between 1024"},
      {"negative integer", "[reconnect]\nalert_after = -3\n", "test.toml:2:", "reconnect.alert_after",
       "must not be negative"},
      {"connections not 1 or 2", "[stream]\nconnections = 3\n", "test.toml:2:", "stream.connections",
       "must be 1 or 2 (got 3). Fix: use 1 (one connection, every access level) or 2 (redundant connections: Enterprise"},
      {"connections zero", "[stream]\nconnections = 0\n", "test.toml:2:", "stream.connections", "must be 1 or 2 (got 0)"},
      {"not a power of two", "[pipeline]\nring_capacity = 5000\n", "test.toml:2:", "pipeline.ring_capacity",
       "use 4096 or 8192"},
      {"power of two out of range", "[pipeline]\nring_capacity = 512\n", "test.toml:2:", "pipeline.ring_capacity",
       "between 1024 and 1048576"},
      {"jitter not allowed", "[reconnect]\njitter = \"ful\"\n", "test.toml:2:", "reconnect.jitter",
       "did you mean \"full\"?"},
      {"log level not allowed", "log_level = \"verbose\"\n", "test.toml:1:", "log_level", "must be one of trace"},
      {"base_url with path", "[stream]\nbase_url = \"https://api.x.com/2/tweets\"\n", "test.toml:2:",
       "stream.base_url", "must not contain a path"},
      {"base_url trailing slash", "[stream]\nbase_url = \"https://api.x.com/\"\n", "test.toml:2:", "stream.base_url",
       "trailing '/'"},
      {"base_url scheme", "[stream]\nbase_url = \"ftp://api.x.com\"\n", "test.toml:2:", "stream.base_url",
       "https:// or http://"},
      {"base_url bad port", "[stream]\nbase_url = \"http://127.0.0.1:99999\"\n", "test.toml:2:", "stream.base_url",
       "port"},
      {"empty required string", "[sinks.rocksdb]\npath = \"\"\n", "test.toml:2:", "sinks.rocksdb.path",
       "must not be empty"},
      {"bad bootstrap list", "[sinks.kafka]\nbootstrap_servers = \"a:9092,b\"\n", "test.toml:2:",
       "sinks.kafka.bootstrap_servers", "entry 2: the port is missing"},
      {"bad topic", "[sinks.kafka]\ntopic = \"x posts\"\n", "test.toml:2:", "sinks.kafka.topic",
       "not a valid Kafka topic"},
      {"bad metrics listen", "[metrics]\nlisten = \"9464\"\n", "test.toml:2:", "metrics.listen", "port is missing"},
      {"field list with spaces", "[stream]\ntweet_fields = \"created_at, lang\"\n", "test.toml:2:",
       "stream.tweet_fields", "no spaces"},
      {"kafka enabled without brokers", "[sinks.kafka]\nenabled = true\n", "test.toml:2:", "sinks.kafka.enabled",
       "bootstrap_servers is not set"},
      {"backoff step above cap", "[reconnect]\nnetwork_step = \"20s\"\n", "test.toml:2:", "reconnect.network_step",
       "larger than reconnect.network_cap"},
      {"section given as value", "stream = 5\n", "test.toml:1:", "stream", "must be a table"},
      {"rules as a table", "[rules]\nvalue = \"a\"\n", "test.toml:", "rules", "double brackets"},
      {"rule without value", "[[rules]]\ntag = \"t\"\n", "test.toml:1:", "rules[0]", "has no `value`"},
      {"rule with unknown key", "[[rules]]\nvalue = \"a\"\ntga = \"t\"\n", "test.toml:3:", "rules[0].tga",
       "did you mean `tag`?"},
      {"duplicate rule", "[[rules]]\nvalue = \"a\"\n[[rules]]\nvalue = \"a\"\n", "test.toml:3:", "rules[1].value",
       "repeats the rule at test.toml:1:"},
      {"empty rule", "[[rules]]\nvalue = \"\"\n", "test.toml:1:", "rules[0].value", "write the rule text"},
      {"rule too long", "[[rules]]\nvalue = \"" + std::string(2049, 'a') + "\"\n", "test.toml:1:", "rules[0].value",
       "must be 1 to 2048 characters (has 2049)"},
      {"rule value wrong type", "[[rules]]\nvalue = 7\n", "test.toml:2:", "rules[0].value", "must be a string"},
      {"property of wrong type", "[sinks.kafka.properties]\n\"linger.ms\" = [1, 2]\n", "test.toml:2:",
       "sinks.kafka.properties.\"linger.ms\"", "must be a string, number or boolean"},
      {"property weakening acks", "[sinks.kafka.properties]\nacks = 1\n", "test.toml:2:",
       "sinks.kafka.properties.\"acks\"", "must stay \"all\""},
      {"property duplicating brokers", "[sinks.kafka.properties]\n\"bootstrap.servers\" = \"a:1\"\n",
       "test.toml:2:", "sinks.kafka.properties.\"bootstrap.servers\"", "sinks.kafka.bootstrap_servers"},
      {"property alias duplicating brokers", "[sinks.kafka.properties]\n\"metadata.broker.list\" = \"a:1\"\n",
       "test.toml:2:", "sinks.kafka.properties.\"metadata.broker.list\"", "sinks.kafka.bootstrap_servers"},
      {"property alias weakening acks", "[sinks.kafka.properties]\n\"request.required.acks\" = 0\n",
       "test.toml:2:", "sinks.kafka.properties.\"request.required.acks\"", "must stay \"all\""},
      {"property disabling idempotence", "[sinks.kafka.properties]\nenable.idempotence = false\n",
       "test.toml:2:", "sinks.kafka.properties.\"enable.idempotence\"", "must stay true"},
      {"token in the file", "[auth]\nbearer_token = \"AAAA\"\n", "test.toml:2:", "auth.bearer_token",
       "environment variable named by auth.bearer_token_env"},
      {"syntax error", "[stream\nbase_url = 1\n", "test.toml:1:", "TOML syntax error", "correct the syntax"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      const auto problems = problems_of(c.toml);
      REQUIRE(problems.size() == 1);
      const std::string& p = problems.front();
      INFO(p);
      CHECK(p.starts_with(c.where));
      CHECK(contains(p, std::string(": ") + c.key));
      CHECK(contains(p, c.message));
      const bool has_fix = contains(p, "Fix: ");
      CHECK(has_fix);
    }
  }
}

TEST_CASE("all problems in a file are reported, in file order", "[config]") {
  const char* text =
      "log_level = \"loud\"\n"        // 1
      "[stream]\n"                    // 2
      "base_url = \"api.x.com\"\n"    // 3
      "max_line_bytes = 1\n"          // 4
      "[reconnect]\n"                 // 5
      "jitter = \"random\"\n"         // 6
      "stal_timeout = \"1s\"\n"       // 7
      "[pipeline]\n"                  // 8
      "ring_capacity = 3000\n";       // 9
  const auto problems = problems_of(text);
  REQUIRE(problems.size() == 6);
  std::vector<std::string> lines;
  for (const auto& p : problems) lines.push_back(p.substr(0, p.find(':', 10)));
  CHECK_THAT(lines, Catch::Matchers::Equals(std::vector<std::string>{
                        "test.toml:1", "test.toml:3", "test.toml:4", "test.toml:6", "test.toml:7", "test.toml:9"}));
  try {
    (void)spillway::config::test::load(text);
  } catch (const config_error& e) {
    // what() carries every problem, one per line.
    const std::string what = e.what();
    CHECK(std::count(what.begin(), what.end(), '\n') == 5);
  }
}

TEST_CASE("a missing or unreadable file is one line naming the path and the fix", "[config]") {
  const auto missing = std::filesystem::temp_directory_path() / "spillway-no-such-config.toml";
  std::filesystem::remove(missing);
  try {
    (void)load_settings(missing, env_lookup{});
    FAIL("expected config_error");
  } catch (const config_error& e) {
    const std::string what = e.what();
    REQUIRE(e.problems.size() == 1);
    CHECK(what.find('\n') == std::string::npos);
    CHECK(contains(what, missing.string()));
    CHECK(contains(what, "No such file or directory"));
    CHECK(contains(what, "Fix: "));
  }
  try {
    (void)load_settings(std::filesystem::temp_directory_path(), env_lookup{});
    FAIL("expected config_error");
  } catch (const config_error& e) {
    CHECK(contains(e.what(), "is a directory"));
  }
}

TEST_CASE("http:// to a non-loopback host is refused unless stream.allow_insecure_http says so", "[config]") {
  using namespace spillway::config::test;
  const auto problems = problems_of("[stream]\nbase_url = \"http://proxy.example:8080\"\n");
  REQUIRE(problems.size() == 1);
  CHECK(contains(problems[0], "stream.base_url"));
  CHECK(contains(problems[0], "in clear"));
  CHECK(contains(problems[0], "allow_insecure_http = true"));
  CHECK(load("[stream]\nbase_url = \"http://proxy.example:8080\"\nallow_insecure_http = true\n").stream.allow_insecure_http);
  // Loopback in every spelling stays allowed (the emulator, a local TLS-terminating proxy).
  for (const char* url : {"http://127.0.0.1:9000", "http://localhost:80", "http://[::1]:8080", "http://127.1.2.3"}) {
    INFO(url);
    CHECK(load(std::string("[stream]\nbase_url = \"") + url + "\"\n").stream.base_url == url);
  }
  CHECK(load("[stream]\nbase_url = \"https://api.x.com\"\n").stream.base_url == "https://api.x.com");
}
