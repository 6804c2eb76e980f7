// The pipeline stores only valid Posts: invalid JSON, ambiguous keys and non-canonical ids go to the
// deadletter column family with the reason, and never to `tweets` (nor, therefore, to Kafka's outbox).
// Lines are handed over as the reader does (slab + ring items); tests/app/publisher_pipeline_test.cpp
// runs the same pipeline behind the real publisher.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "sinks/pipeline.hpp"
#include "tests/support/column_family.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;

namespace {

// Puts every line into one slab, separated by CR LF as on the wire, queues them and drains the pipeline.
void run_pipeline(sinks::store& db, common::metrics_registry& metrics, const std::vector<std::string>& lines) {
  common::slab_pool pool(64 * 1024, 2);
  common::spsc_ring<common::stream_item> ring(256);
  // Every field: pipeline_options has no defaults (config/ holds them), so a field left out is garbage.
  const sinks::pipeline_options options{.max_line_bytes = 4096, .write_batch_posts = 256, .dedup_window = 1024};
  sinks::pipeline pipe(ring, pool, db, metrics, options, nullptr);
  common::slab* slab = pool.acquire();
  REQUIRE(slab != nullptr);
  std::size_t fill = 0;
  for (const auto& line : lines) {
    REQUIRE(fill + line.size() + 2 <= slab->capacity);
    std::memcpy(slab->data + fill, line.data(), line.size());
    std::memcpy(slab->data + fill + line.size(), "\r\n", 2);
    REQUIRE(ring.try_push(common::stream_item{common::stream_item::kind::line, static_cast<std::uint32_t>(line.size()),
                                              static_cast<std::uint32_t>(fill), slab, 1700000000000}));
    fill += line.size() + 2;
  }
  REQUIRE(ring.try_push(common::stream_item{common::stream_item::kind::slab_retired, 0, 0, slab, 0}));
  pipe.request_stop();
  CHECK(pipe.run());  // drains what is queued, then returns
}

}  // namespace

TEST_CASE("pipeline: invalid lines go to deadletter with the reason, never to tweets", "[pipeline][validation]") {
  struct bad {
    std::string line;
    std::string kind;    // the deadletter value's prefix (also the metric label)
    std::string reason;  // a part of the reason after it
  };
  const std::vector<bad> table = {
      {R"({"data":{"id":"1000000000000000001"},"x":tru})", "invalid_json", "not true, false or null"},
      {R"({"data":{"id":"1000000000000000002"},"x":[1,,2,]})", "invalid_json", "expected a value"},
      {R"({"data":{"id":"1000000000000000003","text":"a\qb"}})", "invalid_json", "bad escape"},
      {"{\"data\":{\"id\":\"1000000000000000004\"},\"x\":\"\xc3\"}", "invalid_json", "UTF-8"},
      {R"({"data":{"id":"1000000000000000005","text":"\udc00"}})", "invalid_json", "unpaired UTF-16 surrogate"},
      {R"({"data":{"id":"1000000000000000006","id":"1000000000000000099"}})", "invalid_json", "duplicate key \"id\""},
      {R"({"data":{"id":"01000000000000000007"}})", "missing_id", "leading zero"},
      {R"({"data":{"id":"9223372036854775808"}})", "missing_id", "above 2^63-1"},
  };
  const std::string good = R"({"data":{"id":"1000000000000000007","text":"\"disconnect_type\""}})";
  std::vector<std::string> lines{good};
  for (const auto& b : table) lines.push_back(b.line);

  testing::temp_dir dir;
  common::metrics_registry metrics;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  run_pipeline(db, metrics, lines);

  const auto tweets = testing::stored_posts(db);
  REQUIRE(tweets.size() == 1);  // and a leading-zero id did not collapse onto the good one as a duplicate
  CHECK(tweets.begin()->first == 1000000000000000007ULL);
  CHECK(tweets.begin()->second == good);
  const auto dead = testing::dead_letters(db);
  REQUIRE(dead.size() == table.size());
  std::size_t i = 0;
  for (const auto& [seq, value] : dead) {
    const auto& expected = table[i++];
    INFO(expected.line);
    const auto newline = value.find('\n');
    REQUIRE(newline != std::string::npos);
    const std::string header = value.substr(0, newline);
    CHECK(header.starts_with(expected.kind + ": "));
    CHECK_THAT(header, Catch::Contains(expected.reason));
    CHECK(value.substr(newline + 1) == expected.line);  // the bytes as received, for a human to look at
  }
  CHECK(metrics.counter("spillway_malformed_lines_total", "", {{"kind", "invalid_json"}}).get() == 6);
  CHECK(metrics.counter("spillway_malformed_lines_total", "", {{"kind", "missing_id"}}).get() == 2);
  CHECK(metrics.counter("spillway_posts_stored_total", "").get() == 1);
  // Only the stored Post has a receive→commit latency; dead letters are not Posts.
  CHECK_THAT(metrics.render_text(), Catch::Contains("spillway_commit_latency_seconds_count 1\n"));
  CHECK(metrics.counter("spillway_duplicates_dropped_total", "").get() == 0);
  CHECK(metrics.counter("spillway_stream_notices_total", "").get() == 0);
}
