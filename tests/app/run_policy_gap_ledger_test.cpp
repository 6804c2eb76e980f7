// run_policy and gap_tracker: session results → waits/stops and metrics; the gap ledger in RocksDB `meta`
// through app::meta_gap_ledger (the service's adapter)
// (open/close, restart, the kill -9 lower bound from the newest Post id, backfill sizing, lost time).
#include <catch2/catch.hpp>

#include <memory>
#include <regex>

#include "app/meta_gap_ledger.hpp"
#include "common/metrics.hpp"
#include "ingest/stream/gap_tracker.hpp"
#include "ingest/stream/run_policy.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using namespace std::chrono_literals;
using ingest::wall_time;

namespace {

struct test_db {
  testing::temp_dir dir{"spillway-gaps"};
  std::unique_ptr<app::meta_gap_ledger> ledger;
  std::unique_ptr<sinks::store> db;
  test_db() { reopen(); }
  void reopen() {
    ledger.reset();
    db.reset();
    db = std::make_unique<sinks::store>(dir.str("db"), sinks::open_mode::read_write);
    ledger = std::make_unique<app::meta_gap_ledger>(*db);
  }
  ingest::gap_tracker tracker(bool backfill, common::metrics_registry& m, std::optional<wall_time> newest = {}) {
    return ingest::gap_tracker(*ledger, backfill, newest, m);
  }
  std::optional<reconnect::gap_record> record(wall_time stopped) {
    std::optional<std::string> v;
    db->for_each_meta(app::gap_key(stopped), [&](std::string_view, std::string_view value) {
      v = std::string(value);
      return false;
    });
    if (!v) return std::nullopt;
    auto r = reconnect::deserialize_gap_record(*v);
    REQUIRE(r.has_value());
    return *r;
  }
};

const wall_time t0{std::chrono::milliseconds{1'780'000'000'000}};

std::int64_t metric(common::metrics_registry& m, const std::string& name) { return m.counter(name, "").get(); }

// Delivery at `from`, then the session ends: a gap opens at `from`.
void stop_delivering(ingest::gap_tracker& gaps, wall_time from) {
  gaps.on_delivered(from);
  gaps.on_stopped(from);
}

// A gap from `from` to `to`, recorded by a tracker that then goes away (the process ends).
void past_gap(test_db& db, wall_time from, std::optional<wall_time> to) {
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  stop_delivering(gaps, from);
  if (to) gaps.on_delivered(*to);
}

}  // namespace

TEST_CASE("snowflake ids carry their creation time", "[ingest][gaps]") {
  CHECK(ingest::snowflake_time(0) == wall_time{1288834974657ms});
  CHECK(ingest::snowflake_time(std::uint64_t{1000} << 22 | 12345) == wall_time{1288834975657ms});
}

TEST_CASE("gap_tracker: no gap on an empty database, then a gap from the last delivery to the next", "[ingest][gaps]") {
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  CHECK_FALSE(gaps.open_since());
  CHECK(gaps.backfill_minutes(t0) == 0);

  gaps.on_delivered(t0);
  gaps.on_stopped(t0 + 400ms);  // the session ended 400 ms after the last sampled delivery
  REQUIRE(gaps.open_since() == t0);
  CHECK(db.record(t0) == reconnect::gap_record{t0, std::nullopt});
  CHECK(gaps.backfill_minutes(t0 + 1s) == 1);
  CHECK(gaps.backfill_minutes(t0 + 61s) == 2);
  CHECK(metric(m, "spillway_backfill_requests_total") == 2);

  gaps.on_delivered(t0 + 100s);
  CHECK_FALSE(gaps.open_since());
  CHECK(db.record(t0) == reconnect::gap_record{t0, t0 + 100s});
  CHECK(metric(m, "spillway_recovered_gap_seconds_total") == 100);
  CHECK(metric(m, "spillway_unrecovered_gap_seconds_total") == 0);
  CHECK(gaps.backfill_minutes(t0 + 101s) == 0);
  // A second stop with nothing delivered in between keeps the first gap: no new record.
  gaps.on_stopped(t0 + 200s);
  gaps.on_stopped(t0 + 300s);
  CHECK(gaps.open_since() == t0 + 100s);
}

TEST_CASE("gap_tracker: gaps beyond 5 minutes are capped at 5 and the rest is counted as lost", "[ingest][gaps]") {
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  stop_delivering(gaps, t0);
  CHECK(gaps.backfill_minutes(t0 + 4min + 1s) == 5);
  CHECK(gaps.backfill_minutes(t0 + 7min) == 5);
  gaps.on_delivered(t0 + 7min + 30s);
  CHECK(metric(m, "spillway_recovered_gap_seconds_total") == 300);
  CHECK(metric(m, "spillway_unrecovered_gap_seconds_total") == 150);
}

TEST_CASE("gap_tracker: without stream.backfill no backfill is asked and the whole gap is lost", "[ingest][gaps]") {
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(false, m);
  stop_delivering(gaps, t0);
  CHECK(gaps.backfill_minutes(t0 + 30s) == 0);
  gaps.on_delivered(t0 + 42s);
  CHECK(metric(m, "spillway_unrecovered_gap_seconds_total") == 42);
  CHECK(metric(m, "spillway_backfill_requests_total") == 0);
}

TEST_CASE("gap_tracker: an open gap survives a restart", "[ingest][gaps]") {
  test_db db;
  past_gap(db, t0, std::nullopt);
  db.reopen();
  common::metrics_registry m;
  auto gaps = db.tracker(true, m, t0 - 5s);  // the newest Post is older than the open gap: ignored
  CHECK(gaps.open_since() == t0);
  CHECK(gaps.backfill_minutes(t0 + 3min) == 3);
}

TEST_CASE("gap_tracker: after kill -9 the newest stored Post bounds when delivery stopped", "[ingest][gaps]") {
  test_db db;
  past_gap(db, t0, t0 + 10s);  // closed; then the process died while delivering
  db.reopen();
  common::metrics_registry m;
  SECTION("a Post newer than the last resume") {
    auto gaps = db.tracker(true, m, t0 + 50s);
    CHECK(gaps.open_since() == t0 + 50s);
    CHECK(db.record(t0 + 50s) == reconnect::gap_record{t0 + 50s, std::nullopt});
  }
  SECTION("no Post newer than the last resume: the resume itself is the bound") {
    auto gaps = db.tracker(true, m, t0 - 1min);
    CHECK(gaps.open_since() == t0 + 10s);
  }
}

TEST_CASE("gap_tracker: nothing delivered yet means no gap", "[ingest][gaps]") {
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  gaps.on_stopped(t0);
  CHECK_FALSE(gaps.open_since());
  CHECK(gaps.backfill_minutes(t0 + 1min) == 0);
}

TEST_CASE("to_end_reason maps what the session saw to the supervisor's classes", "[ingest][policy]") {
  using kind = ingest::session_result::kind;
  ingest::session_result r;
  r.what = kind::stall;
  CHECK(reconnect::class_of(ingest::to_end_reason(r, 500ms)) == reconnect::end_class::stall);
  r.what = kind::stream_ended;
  CHECK(reconnect::class_of(ingest::to_end_reason(r, 500ms)) == reconnect::end_class::server_closed);
  r.notice = R"({"errors":[{"title":"operational-disconnect","disconnect_type":"OperationalDisconnect","detail":"x","type":"https://api.twitter.com/2/problems/operational-disconnect"}]})";
  CHECK(reconnect::class_of(ingest::to_end_reason(r, 500ms)) == reconnect::end_class::in_band_notice);
  r = {};
  r.what = kind::http_status;
  r.status = 503;
  CHECK(reconnect::class_of(ingest::to_end_reason(r, 500ms)) == reconnect::end_class::server_error);
  r.status = 401;
  CHECK(reconnect::class_of(ingest::to_end_reason(r, 500ms)) == reconnect::end_class::unauthorized);
  r = {};
  r.what = kind::network_error;
  r.failed_layer = ingest::session_result::layer::tls;
  CHECK(reconnect::class_of(ingest::to_end_reason(r, 500ms)) == reconnect::end_class::network_error);
}

TEST_CASE("run_policy: waits from the config, stops on 401, exports metrics and health", "[ingest][policy]") {
  config::settings cfg;
  cfg.reconnect.jitter = "none";
  cfg.reconnect.http_base = 200ms;
  cfg.reconnect.http_cap = 1s;
  cfg.reconnect.alert_after = 2;
  cfg.stream.tweet_fields = "created_at";
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  ingest::run_policy policy(cfg, &gaps, m);
  CHECK(policy.next_target() == "/2/tweets/search/stream?tweet.fields=created_at");

  ingest::session_result r;
  r.what = ingest::session_result::kind::http_status;
  r.status = 503;
  r.rate_limit.remaining = 49;
  auto step = policy.on_session_end(r);
  CHECK_FALSE(step.stop);
  CHECK(step.delay == 200ms);
  CHECK(policy.healthy());
  step = policy.on_session_end(r);
  CHECK(step.delay == 400ms);
  CHECK_FALSE(policy.healthy());
  const auto text = m.render_text();
  CHECK(text.find(R"(spillway_stream_session_ends_total{reason="server_error"} 2)") != std::string::npos);
  CHECK(text.find("spillway_stream_healthy 0") != std::string::npos);
  CHECK(text.find("spillway_reconnect_backoff_milliseconds 400") != std::string::npos);
  CHECK(text.find("spillway_x_rate_limit_remaining 49") != std::string::npos);

  r.status = 401;
  step = policy.on_session_end(r);
  CHECK(step.stop);
  CHECK(step.exit_code == common::exit_code::refused);
  CHECK(m.render_text().find("spillway_stream_state 3") != std::string::npos);
}

TEST_CASE("run_policy: delivery sampled on the tick closes the gap and the next connect asks for backfill", "[ingest][policy]") {
  config::settings cfg;
  cfg.reconnect.jitter = "none";
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  ingest::run_policy policy(cfg, &gaps, m);
  auto& lines = m.counter("spillway_lines_received_total", "Non-empty lines framed from the stream");
  CHECK(policy.next_target().find("backfill_minutes") == std::string::npos);
  policy.on_established();
  lines.add(5);
  policy.on_tick();
  ingest::session_result r;
  r.what = ingest::session_result::kind::stream_ended;
  r.connected = true;
  r.lines = 5;
  const auto step = policy.on_session_end(r);
  CHECK(step.delay == 0ms);  // an established stream dropped: at once
  REQUIRE(gaps.open_since());
  CHECK(policy.next_target().find("backfill_minutes=1") != std::string::npos);
  policy.on_established();
  lines.add(1);  // one line alone (a notice?) is not delivery yet
  policy.on_tick();
  CHECK(gaps.open_since());
  lines.add(1);
  policy.on_tick();
  CHECK_FALSE(gaps.open_since());
  CHECK(m.render_text().find("spillway_stream_gaps_total 1") != std::string::npos);
}

TEST_CASE("run_policy: a stream closed on purpose (disk low) is a disk_low gap, not a failure - backfill after",
          "[ingest][policy][disk]") {
  config::settings cfg;
  cfg.reconnect.jitter = "none";
  cfg.reconnect.alert_after = 1;
  test_db db;
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  ingest::run_policy policy(cfg, &gaps, m);
  auto& lines = m.counter("spillway_lines_received_total", "Non-empty lines framed from the stream");
  (void)policy.next_target();
  policy.on_established();
  lines.add(5);
  ingest::session_result r;
  r.what = ingest::session_result::kind::shutdown;  // what a cancelled session reports
  r.connected = true;
  r.lines = 5;
  policy.on_hold(r, reconnect::gap_reason::disk_low);
  REQUIRE(gaps.open_since());
  const auto stopped = *gaps.open_since();
  const auto open = db.record(stopped);
  REQUIRE(open.has_value());
  CHECK(open->reason == reconnect::gap_reason::disk_low);
  CHECK_FALSE(open->resumed_at);
  const auto text = m.render_text();
  CHECK(text.find("spillway_stream_state 4") != std::string::npos);
  // Not a failed session: health and the backoff are untouched (alert_after = 1 would have tripped).
  CHECK(policy.healthy());
  CHECK_FALSE(std::regex_search(text, std::regex(R"(spillway_stream_session_ends_total\{[^}]*\} [1-9])")));
  CHECK(text.find("spillway_stream_consecutive_failures 0") != std::string::npos);
  // The reconnect after the hold asks X to backfill; the delivery that follows closes the gap, which
  // keeps its reason.
  CHECK(policy.next_target().find("backfill_minutes=1") != std::string::npos);
  policy.on_established();
  lines.add(2);
  policy.on_tick();
  CHECK_FALSE(gaps.open_since());
  const auto closed = db.record(stopped);
  REQUIRE(closed.has_value());
  CHECK(closed->resumed_at.has_value());
  CHECK(closed->reason == reconnect::gap_reason::disk_low);
}

TEST_CASE("gap_tracker: an open disk_low gap keeps its reason across a restart", "[ingest][gaps][disk]") {
  test_db db;
  {
    common::metrics_registry m;
    auto gaps = db.tracker(true, m);
    gaps.on_delivered(t0);
    gaps.on_stopped(t0 + 1s, reconnect::gap_reason::disk_low);
    gaps.on_stopped(t0 + 2s);  // a later end while the gap is open does not change it
  }
  CHECK(db.record(t0) == reconnect::gap_record{t0, std::nullopt, reconnect::gap_reason::disk_low});
  db.reopen();
  common::metrics_registry m;
  auto gaps = db.tracker(true, m);
  REQUIRE(gaps.open_since() == t0);
  gaps.on_delivered(t0 + 90s);
  CHECK(db.record(t0) == reconnect::gap_record{t0, t0 + 90s, reconnect::gap_reason::disk_low});
}

TEST_CASE("run_policy: the connect's rate-limit headers are exported when the stream opens, not only at its end",
          "[ingest][policy]") {
  config::settings cfg;
  common::metrics_registry m;
  ingest::run_policy policy(cfg, nullptr, m);
  ingest::rate_limit_headers rl;
  rl.limit = 50;
  rl.remaining = 37;
  rl.reset = 1'800'000'000;
  policy.on_established(rl);
  const auto text = m.render_text();
  INFO(text);
  CHECK(text.find("spillway_x_rate_limit_remaining 37") != std::string::npos);
  CHECK(text.find(R"(spillway_x_rate_limit_remaining{endpoint="GET /2/tweets/search/stream"} 37)") != std::string::npos);
  CHECK(text.find(R"(spillway_x_rate_limit_limit{endpoint="GET /2/tweets/search/stream"} 50)") != std::string::npos);
  CHECK(text.find(R"(spillway_x_rate_limit_reset_unix_seconds{endpoint="GET /2/tweets/search/stream"} 1800000000)") !=
        std::string::npos);
  // A session end without the headers (a network error) leaves them as they were.
  ingest::session_result r;
  r.what = ingest::session_result::kind::stream_ended;
  r.connected = true;
  r.lines = 3;
  (void)policy.on_session_end(r);
  CHECK(m.render_text().find(R"(spillway_x_rate_limit_remaining{endpoint="GET /2/tweets/search/stream"} 37)") !=
        std::string::npos);
}
