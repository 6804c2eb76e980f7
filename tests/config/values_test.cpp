// Value conversions and shape checks, as tables.
#include "config/values.hpp"
#include "tests/config/config_test_util.hpp"

using namespace spillway::config;
using namespace std::chrono_literals;

TEST_CASE("durations: a whole number and ms, s, m or h", "[config]") {
  struct row {
    const char* text;
    std::optional<std::chrono::milliseconds> expected;
  };
  const row rows[] = {
      {"250ms", 250ms}, {"5s", 5s},       {"1m", 1min},     {"2h", 2h},           {"0ms", 0ms},
      {"90s", 90s},     {"1.5s", {}},     {"-1s", {}},      {"5", {}},            {"s", {}},
      {"5 s", {}},      {"5S", {}},       {"5sec", {}},     {"", {}},             {"1d", {}},
      {"ms", {}},       {"99999999999999999999s", {}},      {"9223372036854775807h", {}},
  };
  for (const auto& r : rows) {
    INFO(r.text);
    CHECK(parse_duration(r.text) == r.expected);
  }
}

TEST_CASE("format_duration picks the largest exact unit and round-trips", "[config]") {
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(1500ms) == "1500ms");
  CHECK(format_duration(320s) == "320s");
  CHECK(format_duration(60s) == "1m");
  CHECK(format_duration(2h) == "2h");
  CHECK(format_duration(0ms) == "0ms");
  for (const auto d : {1ms, 999ms, 1000ms, 61000ms, 3600000ms, 86400000ms}) {
    CHECK(parse_duration(format_duration(d)) == d);
  }
}

TEST_CASE("booleans and whole numbers from text", "[config]") {
  for (const char* t : {"true", "TRUE", "1", "yes", "On"}) CHECK(parse_bool(t) == true);
  for (const char* t : {"false", "0", "no", "OFF"}) CHECK(parse_bool(t) == false);
  for (const char* t : {"", "2", "y", "maybe"}) CHECK_FALSE(parse_bool(t).has_value());
  CHECK(parse_uint("0") == 0u);
  CHECK(parse_uint("18446744073709551615") == 18446744073709551615u);
  for (const char* t : {"", "-1", "+1", "1e3", " 1", "18446744073709551616"}) CHECK_FALSE(parse_uint(t).has_value());
}

TEST_CASE("shape checks", "[config]") {
  struct row {
    value_check check;
    std::string value;
    bool ok;
  };
  const row rows[] = {
      {value_check::http_origin, "https://api.x.com", true},
      {value_check::http_origin, "http://127.0.0.1:8080", true},
      {value_check::http_origin, "http://[::1]:8080", true},
      {value_check::http_origin, "https://api.x.com:443", true},
      {value_check::http_origin, "https://api.x.com/", false},
      {value_check::http_origin, "https://api.x.com?x=1", false},
      {value_check::http_origin, "https://u:p@api.x.com", false},
      {value_check::http_origin, "https://", false},
      {value_check::http_origin, "https://api.x.com:0", false},
      {value_check::http_origin, "https://api.x.com:", false},
      {value_check::http_origin, "https://[::1", false},
      {value_check::http_origin, "api.x.com", false},
      {value_check::host_port, "127.0.0.1:9464", true},
      {value_check::host_port, "0.0.0.0:0", true},
      {value_check::host_port, "[::]:9464", true},
      {value_check::host_port, "localhost", false},
      {value_check::host_port, ":9464", false},
      {value_check::host_port_list, "a:1", true},
      {value_check::host_port_list, "a:1,b:2,[::1]:3", true},
      {value_check::host_port_list, "a:1, b:2", false},
      {value_check::host_port_list, "a:1,", false},
      // Found by tests/fuzz/url_fuzz: control bytes and other non-host characters passed the host check.
      {value_check::http_origin, "https://api.x.com\r\nX-Injected", false},
      {value_check::http_origin, "https://api.x.com\x1b", false},
      {value_check::http_origin, "https://x_y.local:000443", true},
      {value_check::host_port, "127.0.0.1\n:9464", false},
      {value_check::host_port, "host name:9464", false},
      {value_check::host_port, "::1:9464", false},
      {value_check::host_port, "[fe80::1%eth0]:9464", true},
      {value_check::host_port_list, "a:1,b\t:2", false},
      // Found by tests/fuzz/url_fuzz: an empty port after a bracketed address passed as "no port".
      {value_check::host_port, "[::]:", false},
      {value_check::http_origin, "https://[::1]:", false},
      {value_check::host_port, "[443%0]:8", false},  // [] holds an IPv6 address, or nothing prints it back
      {value_check::field_list, "created_at,author_id", true},
      {value_check::field_list, "attachments.media_keys", true},
      {value_check::field_list, "a,,b", false},
      {value_check::field_list, ",a", false},
      {value_check::kafka_topic, "x.posts", true},
      {value_check::kafka_topic, "x-posts_2", true},
      {value_check::kafka_topic, "..", false},
      {value_check::kafka_topic, "x/posts", false},
      {value_check::kafka_topic, std::string(250, 'a'), false},
      {value_check::env_var_name, "X_BEARER_TOKEN", true},
      {value_check::env_var_name, "_x1", true},
      {value_check::env_var_name, "1X", false},
      {value_check::env_var_name, "X-TOKEN", false},
      {value_check::env_var_name, std::string(65, 'A'), false},
      {value_check::none, "anything at all", true},
  };
  for (const auto& r : rows) {
    INFO(r.value);
    const auto bad = check_string(r.check, r.value);
    CHECK(bad.has_value() == !r.ok);
    if (bad) CHECK_FALSE(bad->fix.empty());
  }
  // Every check accepts "": whether a value is required is the option's business.
  for (const auto check : {value_check::http_origin, value_check::host_port, value_check::host_port_list,
                           value_check::field_list, value_check::kafka_topic, value_check::env_var_name}) {
    CHECK_FALSE(check_string(check, "").has_value());
  }
}

TEST_CASE("did-you-mean suggestions", "[config]") {
  const std::vector<std::string> keys{"stream.base_url", "stream.backfill", "metrics.listen"};
  CHECK(closest_match("stream.base_ulr", keys) == "stream.base_url");
  CHECK(closest_match("metrics.lisen", keys) == "metrics.listen");
  CHECK_FALSE(closest_match("zzz", keys).has_value());
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("TOML quoting escapes what TOML requires", "[config]") {
  CHECK(toml_quote("plain") == "\"plain\"");
  CHECK(toml_quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(toml_quote("tab\there\n") == "\"tab\\u0009here\\u000A\"");
}
