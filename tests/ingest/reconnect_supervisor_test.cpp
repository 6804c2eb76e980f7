// ingest/reconnect/supervisor.hpp: every rule as an exact sequence of waits on manual clocks (jitter
// none), bounds under each jitter kind, counter reset, health, 401/403/400/shutdown stops.
#include "ingest/reconnect/supervisor.hpp"

#include <catch2/catch.hpp>

#include "ingest/xapi/rate_limits.hpp"

#include <random>
#include <vector>

using namespace std::chrono_literals;
using namespace spillway::reconnect;
using spillway::common::exit_code;
using spillway::common::jitter;
using spillway::common::manual_clock;
using spillway::common::manual_wall_clock;
using ms = std::chrono::milliseconds;

namespace {

// 2026-11-29T12:00:00Z
const std::chrono::system_clock::time_point noon{std::chrono::seconds{1'795'953'600}};

// The test harness plays the reader loop: it ends sessions and advances both clocks by each wait.
template <class Rng = std::mt19937_64>
struct harness {
  explicit harness(reconnect_options o = options_with(jitter::none), Rng r = Rng{1})
      : rng(r), sup(o, steady, wall, rng) {}

  // The config's defaults (config/settings.hpp), with the jitter under test.
  static reconnect_options options_with(jitter j) {
    reconnect_options o = options_from(spillway::config::reconnect_settings{});
    o.jitter = j;
    return o;
  }

  wait expect_wait(const end_reason& reason) {
    auto d = sup.on_session_end(reason);
    REQUIRE(std::holds_alternative<wait>(d));
    auto w = std::get<wait>(d);
    steady.advance(w.delay);
    wall.advance(w.delay);
    return w;
  }

  std::vector<ms> waits(const end_reason& reason, int count) {
    std::vector<ms> out;
    for (int i = 0; i < count; ++i) out.push_back(expect_wait(reason).delay);
    return out;
  }

  stop expect_stop(const end_reason& reason) {
    auto d = sup.on_session_end(reason);
    REQUIRE(std::holds_alternative<stop>(d));
    return std::get<stop>(d);
  }

  manual_clock steady;
  manual_wall_clock wall{noon};
  Rng rng;
  basic_supervisor<manual_clock, manual_wall_clock, Rng> sup;
};

// `reset`: the x-rate-limit-reset header as sent (empty: absent), read by the one header parser.
end_reason http(int status, std::string_view body = "", std::string_view reset = "") {
  return classify_http(status, body, spillway::ingest::parse_rate_limit_value(reset));
}

const char* const too_many_body =
    R"({"title":"ConnectionException","connection_issue":"TooManyConnections","type":"https://api.twitter.com/2/problems/streaming-connection"})";
const char* const forbidden_body =
    R"({"detail":"Use a Project.","registration_url":"https://developer.twitter.com/en/docs/projects/overview","title":"Client Forbidden","required_enrollment":"Standard Basic","reason":"client-not-enrolled","type":"https://api.twitter.com/2/problems/client-forbidden"})";

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("network errors and stalls: linear +250 ms up to 16 s", "[reconnect][supervisor]") {
  harness h;
  const auto seq = h.waits(network_error{network_layer::tcp, "connection refused"}, 66);
  CHECK(std::vector<ms>(seq.begin(), seq.begin() + 4) == std::vector<ms>{250ms, 500ms, 750ms, 1000ms});
  CHECK(seq[62] == 15750ms);
  CHECK(seq[63] == 16s);
  CHECK(seq[65] == 16s);
  // A stall shares the network schedule: it continues from where the network errors left it.
  CHECK(h.expect_wait(stall{30s}).delay == 16s);
  CHECK(h.sup.stats().ends[static_cast<std::size_t>(end_class::network_error)] == 66);
  CHECK(h.sup.stats().ends[static_cast<std::size_t>(end_class::stall)] == 1);
}

TEST_CASE("5xx and unexpected statuses: exponential 5 s .. 320 s", "[reconnect][supervisor]") {
  harness h;
  CHECK(h.waits(http(503, R"({"title":"Service Unavailable"})"), 8) ==
        std::vector<ms>{5s, 10s, 20s, 40s, 80s, 160s, 320s, 320s});
  harness other;
  CHECK(other.waits(http(404), 3) == std::vector<ms>{5s, 10s, 20s});
}

TEST_CASE("409 no rules: warns and retries on the HTTP schedule", "[reconnect][supervisor]") {
  harness h;
  const auto body =
      R"({"title":"ConnectionException","connection_issue":"RuleConfigurationIssue","type":"https://api.twitter.com/2/problems/streaming-connection"})";
  const auto first = h.expect_wait(http(409, body));
  CHECK(first.delay == 5s);
  CHECK(first.level == severity::warning);
  CHECK(contains(first.reason, "add rules first"));
  CHECK(h.waits(http(409, body), 2) == std::vector<ms>{10s, 20s});
}

TEST_CASE("established stream dropped: once at once, then the network schedule", "[reconnect][supervisor]") {
  harness h;
  CHECK(h.expect_wait(server_closed{}).delay == 0ms);
  CHECK(h.expect_wait(server_closed{}).delay == 250ms);  // dropped again without data
  CHECK(h.expect_wait(server_closed{}).delay == 500ms);
  h.sup.on_data_received();
  CHECK(h.sup.stats().current_backoff == 0ms);
  const auto notice = classify_in_band(R"({"errors":[{"disconnect_type":"OperationalDisconnect"}]})");
  const auto w = h.expect_wait(*notice);
  CHECK(w.delay == 0ms);
  CHECK(w.level == severity::info);
  CHECK(h.expect_wait(*notice).delay == 250ms);
}

TEST_CASE("a session established for stable_after counts as good without data", "[reconnect][supervisor]") {
  harness h;
  h.waits(network_error{network_layer::dns, "host not found"}, 3);
  h.sup.on_established();
  h.steady.advance(59s);
  CHECK(h.expect_wait(server_closed{}).delay == 1000ms);  // 59 s < stable_after: still failing
  h.sup.on_established();
  h.steady.advance(60s);
  CHECK(h.expect_wait(server_closed{}).delay == 0ms);  // an idle but healthy stream: at once
  CHECK(h.sup.stats().consecutive_failures == 1);
}

TEST_CASE("429 rate limit honours x-rate-limit-reset", "[reconnect][supervisor]") {
  harness h;
  const auto reset =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>((noon + 120s).time_since_epoch()).count());
  const auto w = h.expect_wait(http(429, R"({"title":"Too Many Requests"})", reset));
  CHECK(w.delay == 121s);  // until the reset, plus reset_margin (1 s, jitter none)
  CHECK(contains(w.reason, "x-rate-limit-reset 2026-11-29T12:02:00Z"));

  // Part-way through a second: rounded up, never early.
  harness frac;
  frac.wall.advance(400ms);
  CHECK(frac.expect_wait(http(429, "", reset)).delay == 120s - 400ms + 1s);

  // A reset already past (clock skew) falls back to the exponential schedule, which the header-driven
  // wait above already advanced once.
  CHECK(h.expect_wait(http(429, "", reset)).delay == 120s);
}

TEST_CASE("429 rate limit without the header: exponential from 60 s", "[reconnect][supervisor]") {
  harness h;
  CHECK(h.waits(http(429, R"({"title":"Too Many Requests"})"), 6) ==
        std::vector<ms>{60s, 120s, 240s, 480s, 900s, 900s});
}

TEST_CASE("429 TooManyConnections: short first wait, then exponential", "[reconnect][supervisor]") {
  harness h;
  CHECK(h.waits(http(429, too_many_body), 4) == std::vector<ms>{5s, 10s, 20s, 40s});
  h.sup.on_data_received();
  CHECK(h.expect_wait(http(429, too_many_body)).delay == 5s);
}

TEST_CASE("429 UsageCapExceeded waits for the period reset, re-checking hourly", "[reconnect][supervisor]") {
  const auto capped = [](const char* period) {
    return http(429, std::string(R"({"title":"UsageCapExceeded","period":")") + period +
                         R"(","type":"https://api.x.com/2/problems/usage-capped"})");
  };
  harness h;
  const auto w = h.expect_wait(capped("Monthly"));
  CHECK(w.delay == 1h + 1s);  // recheck bound (1 h) + margin
  CHECK(w.level == severity::error);
  CHECK(contains(w.reason, "resets at 2026-12-01T00:00:00Z"));
  CHECK(contains(w.reason, "backing off does not help"));

  auto o = harness<>::options_with(jitter::none);
  o.usage_cap_recheck = std::chrono::hours{24 * 40};
  harness far{o};
  CHECK(far.expect_wait(capped("Monthly")).delay == 36h + 1s);  // 2026-11-29T12:00Z → 12-01T00:00Z
  // The clocks moved by that wait, to 12-01T00:00:01Z: the next daily reset is 24 h − 1 s away.
  CHECK(far.expect_wait(capped("Daily")).delay == 24h - 1s + 1s);
}

TEST_CASE("429 UsageCapExceeded waits until the reset X's usage endpoint reported, past the hourly re-check",
          "[reconnect][supervisor][usage]") {
  const auto capped = http(429, R"({"title":"UsageCapExceeded","period":"Monthly","type":"https://api.x.com/2/problems/usage-capped"})");
  harness h;
  h.sup.set_usage_reset(noon + 10 * 24h);  // cap_reset_day 9 days and 12 h after 11-29 12:00Z
  const auto w = h.expect_wait(capped);
  CHECK(w.delay == 10 * 24h + 1s);  // the reported reset + margin, not the 1 h re-check nor 12-01
  CHECK(w.level == severity::error);
  CHECK(contains(w.reason, "resets at 2026-12-09T12:00:00Z (reported by GET /2/usage/tweets)"));
  // A reported reset already past (a stale report) falls back to the calendar estimate and the re-check.
  h.sup.set_usage_reset(noon);
  CHECK(h.expect_wait(capped).delay == 1h + 1s);
}

TEST_CASE("401: stop with exit code 3 unless a refresher may refresh once", "[reconnect][supervisor]") {
  harness h;
  const auto s = h.expect_stop(http(401, R"({"title":"Unauthorized","type":"about:blank","status":401})"));
  CHECK(s.exit_code == exit_code::refused);
  CHECK(contains(s.message, "default X_BEARER_TOKEN"));
  CHECK(contains(s.message, "client credentials"));

  auto o = harness<>::options_with(jitter::none);
  o.token_refreshable = true;
  harness r{o};
  const auto w = r.expect_wait(http(401));
  CHECK(w.refresh_token);
  CHECK(w.delay == 0ms);
  CHECK(r.expect_stop(http(401)).exit_code == exit_code::refused);  // the refreshed token failed too
  r.sup.on_data_received();
  CHECK(r.expect_wait(http(401)).refresh_token);  // a later 401, after good data, may refresh again
  CHECK(r.sup.stats().token_refreshes == 2);
}

TEST_CASE("403, 400 and shutdown stop with their exit codes", "[reconnect][supervisor]") {
  harness h;
  const auto forbidden = h.expect_stop(http(403, forbidden_body));
  CHECK(forbidden.exit_code == exit_code::refused);
  CHECK(contains(forbidden.message, "client-not-enrolled"));
  CHECK(contains(forbidden.message, "Standard Basic"));
  CHECK(contains(forbidden.message, "https://developer.twitter.com/en/docs/projects/overview"));
  CHECK(h.expect_stop(http(400, R"({"title":"Invalid Request"})")).exit_code == exit_code::config);
  const auto down = h.expect_stop(shutdown_requested{});
  CHECK(down.exit_code == exit_code::ok);
  CHECK(h.sup.stats().ends[static_cast<std::size_t>(end_class::shutdown)] == 1);
}

TEST_CASE("alert_after consecutive failures: unhealthy, still retrying - data heals", "[reconnect][supervisor]") {
  harness h;
  for (int i = 1; i <= 12; ++i) {
    const auto w = h.expect_wait(http(502));
    CHECK(w.became_unhealthy == (i == 10));
    CHECK(h.sup.healthy() == (i < 10));
  }
  CHECK(h.sup.stats().consecutive_failures == 12);
  CHECK(h.sup.stats().current_backoff == 320s);
  h.sup.on_data_received();
  CHECK(h.sup.healthy());
  CHECK(h.sup.stats().consecutive_failures == 0);
  CHECK(h.expect_wait(http(502)).delay == 5s);  // counters reset
  CHECK(h.sup.stats().reconnects == 13);
}

TEST_CASE("data resets every class's counter", "[reconnect][supervisor]") {
  harness h;
  h.waits(network_error{network_layer::tls, "handshake failed"}, 3);
  h.waits(http(500), 3);
  h.waits(http(429), 2);
  h.sup.on_data_received();
  CHECK(h.expect_wait(network_error{network_layer::tcp, "reset"}).delay == 250ms);
  CHECK(h.expect_wait(http(500)).delay == 5s);
  CHECK(h.expect_wait(http(429)).delay == 60s);
}

TEST_CASE("every jitter kind keeps each wait within its bounds", "[reconnect][supervisor]") {
  for (auto kind : {jitter::full, jitter::equal, jitter::decorrelated}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      harness h{harness<>::options_with(kind), std::mt19937_64{seed}};
      ms previous{0};
      for (std::uint32_t n = 1; n <= 9; ++n) {
        const ms w = h.expect_wait(http(503)).delay;
        const ms nominal = spillway::common::exponential_schedule(5s, 320s).nominal(n);
        INFO("jitter " << spillway::common::to_string(kind) << " seed " << seed << " attempt " << n);
        if (kind == jitter::full) CHECK((w >= 0ms && w <= nominal));
        if (kind == jitter::equal) CHECK((w >= nominal / 2 && w <= nominal));
        if (kind == jitter::decorrelated) CHECK((w >= 5s && w <= std::min(ms{320s}, 3 * std::max(previous, ms{5s}))));
        previous = w;
      }
      // Deadline waits never end early, whatever the jitter: [reset, reset + margin].
      const auto reset_s = std::chrono::duration_cast<std::chrono::seconds>(h.wall.now().time_since_epoch()) + 30s;
      const auto left = std::chrono::ceil<ms>(std::chrono::system_clock::time_point{reset_s} - h.wall.now());
      const ms until = h.expect_wait(http(429, "", std::to_string(reset_s.count()))).delay;
      CHECK((until >= left && until <= left + 1s));
      // The immediate reconnect stays immediate.
      h.sup.on_data_received();
      CHECK(h.expect_wait(server_closed{}).delay == 0ms);
    }
  }
}

TEST_CASE("usage-cap period resets and message formatting", "[reconnect][supervisor]") {
  using std::chrono::sys_days;
  using namespace std::chrono;
  const auto at = [](sys_days d, system_clock::duration t = {}) { return system_clock::time_point{d} + t; };
  CHECK(next_period_reset("Monthly", at(2026y / December / 31, 23h)) == at(2027y / January / 1));
  CHECK(next_period_reset("Monthly", at(2028y / February / 1)) == at(2028y / March / 1));
  CHECK(next_period_reset("Daily", at(2028y / February / 28, 5h)) == at(2028y / February / 29));
  CHECK(next_period_reset("Daily", at(2026y / November / 29)) == at(2026y / November / 30));  // at midnight: next one
  CHECK_FALSE(next_period_reset("Weekly", noon).has_value());
  CHECK_FALSE(next_period_reset("", noon).has_value());
  CHECK(format_utc(noon + 5s) == "2026-11-29T12:00:05Z");
  CHECK(format_wait(250ms) == "250 ms");
  CHECK(format_wait(16s) == "16 s");
  CHECK(format_wait(1250ms) == "1.250 s");
  CHECK(format_wait(320s) == "5 min 20 s");
  CHECK(format_wait(2h + 5min + 3s) == "2 h 5 min");
}
