// spillway top's pure core: Prometheus text → snapshot, two snapshots → one 80×24 frame.
#include <catch2/catch.hpp>

#include <algorithm>

#include "app/top_view.hpp"

using namespace spillway::app;
using namespace std::chrono_literals;

namespace {

const std::chrono::steady_clock::time_point t0{};

std::string page(int received, int stored, int delivered) {
  return "# HELP spillway_posts_received_total Posts parsed from the stream\n"
         "# TYPE spillway_posts_received_total counter\n"
         "spillway_posts_received_total " + std::to_string(received) + "\n"
         "spillway_posts_stored_total " + std::to_string(stored) + "\n"
         "spillway_kafka_delivered_total " + std::to_string(delivered) + "\n"
         "spillway_duplicates_dropped_total 3\n"
         "spillway_stream_state 2\n"
         "spillway_stream_healthy 1\n"
         "spillway_pipeline_up 1\n"
         "spillway_start_time_unix_seconds 1700000000\n"
         "spillway_ring_depth 17\n"
         "spillway_ring_high_water 4096\n"
         "spillway_ring_full_waits_total 0\n"
         "spillway_kafka_outbox_posts 1234\n"
         "spillway_kafka_outbox_bytes 2500000\n"
         "spillway_kafka_outbox_oldest_age_milliseconds 35\n"
         "spillway_stream_last_post_unix_ms 1700003599500\n"
         "spillway_stream_session_ends_total{reason=\"stall\"} 2\n"
         "spillway_stream_session_ends_total{reason=\"network_error\"} 1\n"
         "spillway_stream_session_ends_total{reason=\"http_5xx\"} 0\n"
         "spillway_x_rate_limit_remaining 48\n"
         "spillway_x_rate_limit_limit 50\n"
         "spillway_x_rate_limit_reset_unix_seconds 1700004000\n"
         "spillway_x_rate_limit_remaining{endpoint=\"GET /2/tweets/search/stream/rules\"} 449\n"
         "spillway_open_gap_since_unix_ms 0\n"
         "spillway_stream_gaps_total 4\n"
         "spillway_unrecovered_gap_seconds_total 12\n"
         "spillway_disk_free_bytes 5300000000\n"
         "spillway_disk_low 0\n";
}

bool has_line_with(const std::vector<std::string>& lines, const std::string& a, const std::string& b = "") {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
  });
}

const top_screen screen{"http://127.0.0.1:9464/metrics", std::chrono::system_clock::time_point(1700003600s), 80, 24};

}  // namespace

TEST_CASE("top: Prometheus text becomes samples, labels and all", "[top]") {
  const auto snap = parse_metrics_text(page(10, 9, 8) + "spillway_x{a=\"q}\\\"x\",reason=\"r\"} 7 1700000000000\n", t0);
  REQUIRE(snap.has_value());
  CHECK(snap->value("spillway_posts_stored_total") == 9);
  CHECK(!snap->value("spillway_stream_session_ends_total").has_value());  // only labelled samples exist
  const auto ends = snap->by_label("spillway_stream_session_ends_total", "reason");
  REQUIRE(ends.size() == 3);
  CHECK(ends[0] == std::pair<std::string, double>{"stall", 2});
  // A quoted '}' and an escaped quote inside a label value do not end the label set; the timestamp is dropped.
  const auto x = snap->by_label("spillway_x", "reason");
  REQUIRE(x.size() == 1);
  CHECK(x[0].second == 7);
  CHECK(snap->by_label("spillway_x", "a")[0].first == "q}\"x");
}

TEST_CASE("top: an answer that is not Spillway's metrics is named, not shown as zeros", "[top]") {
  const auto html = parse_metrics_text("<html><body>Not Found</body></html>\n", t0);
  REQUIRE(!html.has_value());
  CHECK_THAT(html.error().message, Catch::Contains("line 1 is not a Prometheus sample"));
  CHECK_THAT(html.error().message, Catch::Contains("--url"));
  const auto other = parse_metrics_text("node_cpu_seconds_total 12\n", t0);
  REQUIRE(!other.has_value());
  CHECK_THAT(other.error().message, Catch::Contains("not a Spillway metrics listener"));
}

TEST_CASE("top: a frame shows totals, per-second rates from two refreshes, and fits 80x24", "[top]") {
  const auto before = parse_metrics_text(page(1000, 900, 800), t0);
  const auto now = parse_metrics_text(page(3000, 2900, 2400), t0 + 2s);
  REQUIRE(before.has_value());
  REQUIRE(now.has_value());
  const auto lines = render_top(screen, &*before, &*now, {});
  REQUIRE(lines.size() == 24);
  for (const auto& l : lines) CHECK(l.size() <= 80);
  CHECK(has_line_with(lines, "state  streaming (healthy)", "uptime 1h00m00s"));
  CHECK(has_line_with(lines, "received", "3,000"));
  CHECK(has_line_with(lines, "received", "1,000"));  // (3000 - 1000) / 2 s
  CHECK(has_line_with(lines, "stored", "1,000"));
  CHECK(has_line_with(lines, "delivered", "800"));  // (2400 - 800) / 2 s
  CHECK(has_line_with(lines, "ring     17 in flight", "high water 4,096"));
  CHECK(has_line_with(lines, "outbox   1,234 Posts", "2.5 MB"));
  CHECK(has_line_with(lines, "last Post 0.5s ago"));
  CHECK(has_line_with(lines, "stall 2", "network_error 1"));
  CHECK(!has_line_with(lines, "http_5xx"));  // reasons that never happened stay off the screen
  CHECK(has_line_with(lines, "stream connects 48/50 left", "in 6m40s"));
  CHECK(has_line_with(lines, "none open", "closed 4"));
  CHECK(has_line_with(lines, "disk     5.3 GB free"));
  CHECK(!has_line_with(lines, "BELOW"));
  CHECK(lines.back().find("q quits") == 0);
}

TEST_CASE("top: first refresh, a gap, Kafka off, an unreachable instance", "[top]") {
  std::string text = page(10, 10, 0);
  text.replace(text.find("spillway_open_gap_since_unix_ms 0"), 33, "spillway_open_gap_since_unix_ms 1700003540000");
  text.replace(text.find("spillway_stream_state 2"), 23, "spillway_stream_state 0");
  const auto pos = text.find("spillway_kafka_delivered_total");
  text.erase(pos, text.find('\n', pos) - pos + 1);
  const auto snap = parse_metrics_text(text, t0);
  REQUIRE(snap.has_value());
  const auto lines = render_top(screen, nullptr, &*snap, {});
  CHECK(has_line_with(lines, "backing off"));
  CHECK(has_line_with(lines, "received", "-"));  // no rate before a second refresh
  CHECK(has_line_with(lines, "delivered    Kafka off"));
  CHECK(has_line_with(lines, "OPEN since", "(1m00s)"));

  const auto down = render_top(screen, nullptr, nullptr, "cannot read http://127.0.0.1:1/metrics (Connection refused)\x1b[2J");
  CHECK(has_line_with(down, "no figures: cannot read", "Connection refused"));
  for (const auto& l : down) CHECK(l.find('\x1b') == std::string::npos);  // server text never drives the terminal
}

TEST_CASE("top: two connections are summed, each one's state is shown, and streaming wins", "[top][redundant]") {
  const std::string text =
      "spillway_posts_received_total{connection=\"1\"} 700\n"
      "spillway_posts_received_total{connection=\"2\"} 650\n"
      "spillway_duplicates_dropped_total{connection=\"1\"} 100\n"
      "spillway_duplicates_dropped_total{connection=\"2\"} 550\n"
      "spillway_posts_stored_total 700\n"
      "spillway_stream_state{connection=\"1\"} 0\n"
      "spillway_stream_state{connection=\"2\"} 2\n"
      "spillway_stream_healthy{connection=\"1\"} 0\n"
      "spillway_stream_healthy{connection=\"2\"} 1\n"
      "spillway_stream_last_post_unix_ms{connection=\"1\"} 1700003590000\n"
      "spillway_stream_last_post_unix_ms{connection=\"2\"} 1700003599000\n"
      "spillway_stream_session_ends_total{connection=\"1\",reason=\"stall\"} 2\n"
      "spillway_stream_session_ends_total{connection=\"2\",reason=\"stall\"} 3\n"
      "spillway_pipeline_up 1\n";
  const auto snap = parse_metrics_text(text, t0);
  REQUIRE(snap.has_value());
  CHECK(snap->value("spillway_posts_received_total") == 1350);
  CHECK(snap->value("spillway_posts_stored_total") == 700);
  CHECK(snap->per_connection("spillway_stream_state").size() == 2);
  CHECK(snap->per_connection("spillway_stream_session_ends_total").empty());  // labelled by reason too
  const auto lines = render_top(screen, nullptr, &*snap, "");
  INFO([&] { std::string all; for (const auto& l : lines) all += l + "\n"; return all; }());
  CHECK(has_line_with(lines, "state  streaming (healthy)"));
  CHECK(has_line_with(lines, "connections", "1 backing off"));
  CHECK(has_line_with(lines, "connections", "2 streaming"));
  CHECK(has_line_with(lines, "received", "1,350"));
  CHECK(has_line_with(lines, "duplicates", "650"));
  CHECK(has_line_with(lines, "last Post 1.0s ago"));  // the latest of the two
  CHECK(has_line_with(lines, "session ends", "stall 5"));
}
