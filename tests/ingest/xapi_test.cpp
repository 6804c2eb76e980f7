// ingest/xapi: the one x-rate-limit-* parser (clamped, so a huge reset overflows nothing downstream), the
// one percent-encoder and query builder, URL splitting, and the stream's request target.
#include <catch2/catch.hpp>

#include "tests/ingest/result_printing.hpp"

#include <boost/beast/http/fields.hpp>

#include <limits>

#include "common/metrics.hpp"
#include "config/settings.hpp"
#include "config/values.hpp"
#include "ingest/stream/run_policy.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/xapi/url.hpp"

using namespace spillway;
using namespace spillway::ingest;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

const std::string int64_max = std::to_string(std::numeric_limits<std::int64_t>::max());

}  // namespace

TEST_CASE("rate limits: one parser for every x-rate-limit-* header, huge values clamped", "[ingest][xapi]") {
  const auto h = parse_rate_limit_headers("450", " 449 ", int64_max);
  CHECK(h.limit == 450);
  CHECK(h.remaining == 449);
  CHECK(h.reset == rate_limit_value_max);
  CHECK(parse_rate_limit_value("4102444801") == rate_limit_value_max);
  CHECK(parse_rate_limit_value("4102444800") == rate_limit_value_max);
  CHECK(parse_rate_limit_value("4102444799") == 4'102'444'799);
  CHECK_FALSE(parse_rate_limit_value("+5").has_value());
  CHECK_FALSE(parse_rate_limit_value("5s").has_value());

  boost::beast::http::fields fields;
  fields.set("x-rate-limit-limit", "50");
  fields.set("X-Rate-Limit-Reset", "99999999999999");  // header names are case-insensitive
  const auto from_fields = parse_rate_limit_headers(fields);
  CHECK(from_fields.limit == 50);
  CHECK_FALSE(from_fields.remaining.has_value());
  CHECK(from_fields.reset == rate_limit_value_max);
}

TEST_CASE("rate limits: a huge x-rate-limit-reset overflows nothing downstream", "[ingest][xapi]") {
  const auto huge = parse_rate_limit_headers("50", "0", int64_max);
  REQUIRE(huge.reset);

  // The stream's 429: the supervisor turns the reset into a wall-clock instant (nanoseconds) and waits
  // for it, bounded by the 15-minute window (+ the 1 s margin); the message names the clamped instant.
  config::settings cfg;
  cfg.reconnect.jitter = "none";
  common::metrics_registry metrics;
  run_policy policy(cfg, nullptr, metrics);
  session_result r;
  r.what = session_result::kind::http_status;
  r.status = 429;
  r.body = R"({"title":"Too Many Requests","type":"about:blank","status":429})";
  r.rate_limit = huge;
  const auto step = policy.on_session_end(r);
  CHECK_FALSE(step.stop);
  CHECK(step.delay == 900s + 1s);
  CHECK(has(step.message, "x-rate-limit-reset 2100-01-01T00:00:00Z"));
  CHECK(has(metrics.render_text(),
            R"(spillway_x_rate_limit_reset_unix_seconds{endpoint="GET /2/tweets/search/stream"} 4102444800)"));

  // The control plane: the tracker's wait and the message's reset time.
  const std::int64_t now = 1'780'000'000;
  rate_limit_tracker limits;
  limits.record("GET /2/users/me", huge);
  CHECK(limits.wait_before("GET /2/users/me", now) == std::chrono::seconds(rate_limit_value_max - now + 1));
  CHECK(has(describe_reset(*huge.reset, now), "2100-01-01 00:00:00 UTC"));
}

TEST_CASE("url: every query value is percent-encoded once, by one encoder", "[ingest][xapi]") {
  CHECK(percent_encode("a-b.c_d~e09AZ") == "a-b.c_d~e09AZ");
  CHECK(percent_encode("a b+c/d=&:,") == "a%20b%2Bc%2Fd%3D%26%3A%2C");
  CHECK(percent_encode("abc\r\nX-Injected: 1") == "abc%0D%0AX-Injected%3A%201");
  CHECK(percent_encode("\xff\x01") == "%FF%01");
  CHECK(percent_encode("a,b c", ",") == "a,b%20c");

  std::string target(paths::rules);
  append_query(target, "max_results", "1000");
  append_query(target, "pagination_token", "t/1?&=");
  CHECK(target == "/2/tweets/search/stream/rules?max_results=1000&pagination_token=t%2F1%3F%26%3D");

  stream_query q{"created_at,lang", "author_id", "", "", 3};
  CHECK(stream_target(q) == "/2/tweets/search/stream?tweet.fields=created_at,lang&expansions=author_id&backfill_minutes=3");
  q.media_fields = "url preview";
  CHECK(has(stream_target(q), "&media.fields=url%20preview&"));
}

TEST_CASE("url: base URLs and full URLs split into origin and target", "[ingest][xapi]") {
  const auto ep = parse_base_url("https://api.x.com/");
  REQUIRE(ep);
  CHECK(ep->tls);
  CHECK(ep->host == "api.x.com");
  CHECK(ep->port == "443");
  const auto v6 = parse_base_url("http://[::1]:8080");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == "8080");
  const auto bad = parse_base_url("ftp://x");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().is(common::errc::config));
  CHECK(has(bad.error().message, "must start with https:// or http://"));
  CHECK_FALSE(parse_base_url("https://api.x.com/2/tweets"));
  CHECK_FALSE(parse_base_url("https://api.x.com:443x"));

  const auto page = parse_url("https://api.twitterstat.us/api/v2/status.json?x=1");
  REQUIRE(page);
  CHECK(page->origin.host == "api.twitterstat.us");
  CHECK(page->target == "/api/v2/status.json?x=1");
  const auto bare = parse_url("http://127.0.0.1:1");
  REQUIRE(bare);
  CHECK(bare->target == "/");
  CHECK(bare->origin.port == "1");
  CHECK_FALSE(parse_url("not a url"));
}

TEST_CASE("url: a host or port that could corrupt a request is refused", "[ingest][xapi]") {
  // Found by tests/fuzz/url_fuzz: the host went into the Host header and the SNI name as it was (CR/LF,
  // spaces, '@' accepted) and the refusal quoted control bytes raw; its port property also refused the
  // port 0 and 99999 that were taken, and a bracketed host that is no IPv6 address (printed back without
  // brackets it is another URL).
  for (const char* url : {"https://api.x.com\r\nX-Injected: 1", "https://api .x.com", "https://user@api.x.com",
                          "https://api.x.com\x1b", "https://[::1\n]:443", "https://api.x.com:0", "https://api.x.com:99999",
                          "https://api.x.com:+443", "https://api.x.com:44\n3", "https://a:b:443", "https://:443",
                          "http://[443%0]:8", "https://[api.x.com]", "https://[::1]:"}) {
    INFO(url);
    const auto ep = parse_base_url(url);
    REQUIRE_FALSE(ep);
    CHECK(ep.error().is(common::errc::config));
    CHECK(ep.error().message.find_first_of("\r\n\x1b") == std::string::npos);
  }
  const auto zone = parse_base_url("http://[fe80::1%25eth0]");
  REQUIRE(zone);
  CHECK(zone->host == "fe80::1%25eth0");
}

TEST_CASE("url: what the config check accepts as stream.base_url, the connector accepts", "[ingest][xapi]") {
  // tests/fuzz/url_fuzz asserts this: "https://api.x.com:000443" passed `spillway config check` (a port is
  // a whole number there) but the connector refused more than five digits.
  for (const char* url : {"https://api.x.com:000443", "http://127.0.0.1:08080", "https://[::1]:443", "https://x_y.local"}) {
    INFO(url);
    REQUIRE_FALSE(config::check_string(config::value_check::http_origin, url).has_value());
    const auto ep = parse_base_url(url);
    REQUIRE(ep);
    CHECK(ep->port.find_first_not_of("0123456789") == std::string::npos);
    CHECK(ep->port.front() != '0');
  }
}
