// metric_names + metrics_registry: a metric registered from its one definition is exposed with that
// name, help and type, and a later lookup by name (as tests do) finds the same cell and keeps the help.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "common/metric_names.hpp"
#include "common/metrics.hpp"

using namespace spillway::common;

TEST_CASE("metrics: a definition registers its name, help and type once - lookups by name share the cell",
          "[metrics]") {
  metrics_registry registry;
  auto& stored = registry.counter(metric::posts_stored);
  auto& depth = registry.gauge(metric::ring_depth);
  auto& oversize = registry.counter(metric::malformed_lines, {{"kind", "oversize"}});
  stored.add(3);
  depth.set(7);
  oversize.add();

  CHECK(&registry.counter(metric::posts_stored) == &stored);           // two components, one cell
  CHECK(&registry.counter("spillway_posts_stored_total", "") == &stored);  // a test's lookup by name
  CHECK(&registry.counter(metric::malformed_lines, {{"kind", "oversize"}}) == &oversize);
  CHECK(&registry.counter(metric::malformed_lines, {{"kind", "truncated"}}) != &oversize);

  const auto text = registry.render_text();
  CHECK_THAT(text, Catch::Contains("# HELP spillway_posts_stored_total Posts committed to RocksDB\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE spillway_posts_stored_total counter\n"));
  CHECK_THAT(text, Catch::Contains("spillway_posts_stored_total 3\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE spillway_ring_depth gauge\n"));
  CHECK_THAT(text, Catch::Contains("spillway_ring_depth 7\n"));
  CHECK_THAT(text, Catch::Contains("spillway_malformed_lines_total{kind=\"oversize\"} 1\n"));
}

TEST_CASE("metric_names: every name is defined once and public names keep their spelling", "[metrics]") {
  STATIC_REQUIRE(metric::names_are_unique());
  // A few names dashboards, README and bench/bench_e2e.sh rely on, spelled out: renaming one breaks them.
  CHECK(metric::posts_stored.name == "spillway_posts_stored_total");
  CHECK(metric::kafka_delivered.name == "spillway_kafka_delivered_total");
  CHECK(metric::kafka_outbox_posts.name == "spillway_kafka_outbox_posts");
  CHECK(metric::kafka_delivery_latency.name == "spillway_kafka_delivery_latency_seconds");
  CHECK(metric::lines_received.name == "spillway_lines_received_total");
  CHECK(metric::x_rate_limit_reset.name == "spillway_x_rate_limit_reset_unix_seconds");
}

TEST_CASE("metric_names: the README lists every metric with its type and help", "[metrics]") {
  std::ifstream in(std::string(SPILLWAY_SOURCE_DIR) + "/README.md");
  REQUIRE(in.good());
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto row_of = [&](std::string_view name) {
    const auto at = readme.find("| `" + std::string(name) + "` |");
    return at == std::string::npos ? std::string() : readme.substr(at, readme.find('\n', at) - at);
  };
  const auto check = [&](std::string_view name, std::string_view type, std::string_view help) {
    INFO(name);
    const auto row = row_of(name);
    REQUIRE(!row.empty());  // add it to README "Metrics"
    CHECK(row == "| `" + std::string(name) + "` | " + std::string(type) + " | " + std::string(help) + " |");
  };
  std::size_t rows = 0;
  for (std::size_t at = 0; (at = readme.find("\n| `spillway_", at)) != std::string::npos; ++at) ++rows;
  CHECK(rows == metric::all_names.size());  // and nothing listed that no longer exists
  check(metric::posts_stored.name, "counter", metric::posts_stored.help);
  check(metric::stream_state.name, "gauge", metric::stream_state.help);
  check(metric::kafka_delivery_latency.name, "histogram", metric::kafka_delivery_latency.help);
  for (const auto name : metric::all_names) {
    INFO(name);
    CHECK(!row_of(name).empty());
  }
}
