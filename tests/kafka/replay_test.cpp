#include <catch2/catch.hpp>

#include "common/metrics.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/kafka/replay.hpp"
#include "tests/kafka/kafka_test_support.hpp"

using namespace spillway;
using namespace spillway::test;
using namespace std::chrono_literals;

TEST_CASE("replay re-publishes a stored id range with the same key, value and rule headers", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  mock_broker broker(1, {"x.posts:2", "x.replayed:2"});
  temp_dir dir;
  sinks::store db(dir.str(), sinks::open_mode::read_write);
  auto posts = make_posts(300);
  commit_posts(db, nullptr, posts, 0, posts.size());  // stored; no live sink
  std::vector<std::uint64_t> ids;
  for (const auto& p : posts) ids.push_back(p->id());
  std::sort(ids.begin(), ids.end());
  const sinks::kafka::replay_range range{ids[50], ids[149]};

  auto settings = kafka_settings_for(broker.bootstrap());
  settings.topic = "x.replayed";
  sinks::kafka::replay_progress last;
  int reports = 0;
  const auto delivered = sinks::kafka::replay(
      db, settings, range,
      [&](const sinks::kafka::replay_progress& p) {
        last = p;
        ++reports;
      },
      sinks::kafka::replay_options(1 << 20));
  REQUIRE(delivered.has_value());
  CHECK(*delivered == 100);
  CHECK(last.total == 100);
  CHECK(last.delivered == 100);
  CHECK(reports >= 2);

  std::vector<std::unique_ptr<test_post>> in_range;
  for (auto& p : posts) {
    if (p->id() >= range.from_id && p->id() <= range.to_id) in_range.push_back(std::move(p));
  }
  REQUIRE(in_range.size() == 100);
  const auto records = read_with_kcat(broker.bootstrap(), "x.replayed");
  REQUIRE(records.size() == 100);
  std::map<std::string, const test_post*> by_key;
  for (const auto& p : in_range) by_key[std::to_string(p->id())] = p.get();
  for (const auto& r : records) {
    REQUIRE(by_key.count(r.key) == 1);
    const auto& p = *by_key[r.key];
    CHECK(r.value == p.line());
    auto want = expected_headers(p);
    auto got = canonical_headers(r.headers);
    CHECK(got["matching_rule_ids"] == want["matching_rule_ids"]);
    CHECK(got["matching_rule_tags"] == want["matching_rule_tags"]);
    CHECK(!got["received_at"].empty());
  }
  // Replay leaves the outbox alone.
  CHECK(outbox_entries(db) == posts.size());
}

TEST_CASE("replay to an unreachable cluster gives up at its deadline with a clear error", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  temp_dir dir;
  sinks::store db(dir.str(), sinks::open_mode::read_write);
  auto posts = make_posts(20);
  commit_posts(db, nullptr, posts, 0, posts.size());
  sinks::kafka::replay_options options(1 << 20);
  options.deadline = 1500ms;
  const auto delivered = sinks::kafka::replay(db, kafka_settings_for("127.0.0.1:1"), {}, nullptr, options);
  REQUIRE_FALSE(delivered.has_value());  // it cannot succeed without a cluster
  CHECK(delivered.error().is(common::errc::timeout));  // exit code 1 (runtime), not 2 (bad config)
  CHECK_THAT(delivered.error().message, Catch::Contains("20 of 20 Posts were not delivered"));
  CHECK_THAT(delivered.error().message, Catch::Contains("run replay again"));
}
