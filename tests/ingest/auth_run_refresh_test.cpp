// run_policy with a token refresher (client credentials): a 401 refreshes once and reconnects at once;
// a second 401 without data in between, a failed refresh, or no refresher stops with exit code 3.
// And the per-endpoint rate-limit gauges that every control-plane response and the connect set.
#include <catch2/catch.hpp>

#include "common/metrics.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "ingest/stream/run_policy.hpp"

using namespace spillway;
using namespace std::chrono_literals;

namespace {

ingest::session_result unauthorized() {
  ingest::session_result r;
  r.what = ingest::session_result::kind::http_status;
  r.status = 401;
  r.body = R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})";
  r.rate_limit = {50, 48, 1780000900};
  return r;
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("run policy: a 401 with a refresher refreshes once, then stops with 3", "[ingest][auth]") {
  common::metrics_registry metrics;
  int refreshes = 0;
  ingest::run_policy policy(config::settings{}, nullptr, metrics, [&]() -> common::result<void> {
    ++refreshes;
    return {};
  });
  const auto first = policy.on_session_end(unauthorized());
  CHECK_FALSE(first.stop);
  CHECK(first.delay == 0ms);
  CHECK(refreshes == 1);
  CHECK(has(first.message, "refreshing the token once"));
  const auto second = policy.on_session_end(unauthorized());
  CHECK(second.stop);
  CHECK(second.exit_code == common::exit_code::refused);
  CHECK(refreshes == 1);
  // The connect's rate-limit headers are exported per endpoint.
  CHECK(has(metrics.render_text(),
            R"(spillway_x_rate_limit_remaining{endpoint="GET /2/tweets/search/stream"} 48)"));
}

TEST_CASE("run policy: a failed refresh, or no refresher, stops with 3", "[ingest][auth]") {
  common::metrics_registry metrics;
  ingest::run_policy failing(config::settings{}, nullptr, metrics, []() -> common::result<void> {
    return common::error(common::errc::refused,
                         "POST /oauth2/token answered HTTP 403: X does not accept the API key and secret");
  });
  const auto step = failing.on_session_end(unauthorized());
  CHECK(step.stop);
  CHECK(step.exit_code == common::exit_code::refused);
  CHECK(has(step.message, "the refresh failed: POST /oauth2/token answered HTTP 403"));

  common::metrics_registry m2;
  ingest::run_policy plain(config::settings{}, nullptr, m2);
  const auto stop = plain.on_session_end(unauthorized());
  CHECK(stop.stop);
  CHECK(stop.exit_code == common::exit_code::refused);
}

TEST_CASE("rate limits: every recorded response sets gauges labelled by endpoint", "[ingest][auth]") {
  common::metrics_registry metrics;
  ingest::rate_limit_tracker limits(&metrics);
  limits.record("POST /2/tweets/search/stream/rules", {100, 99, 1780000900});
  limits.record("GET /2/tweets/search/stream/rules", {450, 449, 1780000901});
  limits.record("GET /2/users/me", {std::nullopt, std::nullopt, std::nullopt});  // no headers: nothing
  limits.record("POST /2/tweets/search/stream/rules", {100, 98, 1780000900});
  const auto text = metrics.render_text();
  INFO(text);
  CHECK(has(text, R"(spillway_x_rate_limit_remaining{endpoint="POST /2/tweets/search/stream/rules"} 98)"));
  CHECK(has(text, R"(spillway_x_rate_limit_limit{endpoint="POST /2/tweets/search/stream/rules"} 100)"));
  CHECK(has(text, R"(spillway_x_rate_limit_reset_unix_seconds{endpoint="GET /2/tweets/search/stream/rules"} 1780000901)"));
  CHECK_FALSE(has(text, "users/me"));
  // A tracker without a registry exports nothing and still tracks.
  ingest::rate_limit_tracker quiet;
  quiet.record("GET /2/users/me", {75, 0, 1780000900});
  CHECK(quiet.wait_before("GET /2/users/me", 1780000000) == std::chrono::seconds(901));
}
