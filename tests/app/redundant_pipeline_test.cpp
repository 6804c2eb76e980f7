// Redundant connections at the hand-off (app/service composes it): two readers, each with its own slab
// pool, ring and line_publisher on its own thread, one pipeline polling both rings. Every Post that
// arrived on either connection is stored and handed downstream exactly once, byte for byte; the copy
// that came second is counted as a duplicate against its connection.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "common/metrics.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "sinks/pipeline.hpp"
#include "sinks/post_sink.hpp"
#include "tests/app/publisher_feed.hpp"
#include "tests/support/column_family.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;

namespace {

constexpr std::size_t max_line = 8 * 1024;
constexpr std::size_t slab_bytes = 256 * 1024;

struct connection {
  explicit connection(common::metrics_registry& metrics, std::string n)
      : labels{{"connection", std::move(n)}}, publisher(ring, pool, max_line, metrics, nullptr, labels) {}
  common::metric_labels labels;
  common::slab_pool pool{slab_bytes, 8};
  common::spsc_ring<common::stream_item> ring{64};  // tiny: both readers wait on the pipeline sometimes
  ingest::line_publisher publisher;

  // The reader thread's part: `body` in random pieces.
  void feed(const std::string& body, std::uint32_t seed) { testing::feed_in_pieces(publisher, body, seed); }
};

// What the Kafka sink would be handed: every committed Post, in order.
struct recording_sink final : sinks::post_sink {
  void on_committed(std::span<const sinks::committed_post> posts) noexcept override {
    for (const auto& p : posts) handed.emplace_back(p.id, std::string(p.line));
  }
  void poll() noexcept override {}
  std::size_t flush(std::chrono::milliseconds) noexcept override { return 0; }
  std::vector<std::pair<std::uint64_t, std::string>> handed;
};


}  // namespace

TEST_CASE("two connections, one pipeline: every Post stored and handed downstream once", "[pipeline][redundant]") {
  testing::temp_dir dir;
  common::metrics_registry metrics;
  connection c1(metrics, "1");
  connection c2(metrics, "2");
  // Each connection misses a stretch the other carries (its disconnects), and has heartbeats of its own.
  std::map<std::uint64_t, std::string> expected;
  std::string body1, body2;
  std::size_t on1 = 0, on2 = 0, on_both = 0;
  std::mt19937 rng(7);
  for (std::uint64_t i = 1; i <= 4000; ++i) {
    const auto id = 1600000000000000000ULL + i * 4096;
    const auto line = testing::post_line(id, rng() % 1500, 'b');
    const bool first = !(i > 1000 && i <= 1400) && !(i > 3000 && i <= 3100);
    const bool second = !(i > 2000 && i <= 2600);
    expected[id] = line;
    if (first) body1 += line + "\r\n", ++on1;
    if (second) body2 += line + "\r\n", ++on2;
    on_both += first && second;
    if (i % 97 == 0) body1 += "\r\n";
    if (i % 89 == 0) body2 += "\r\n";
  }

  recording_sink sink;
  {
    sinks::store db(dir.str("db"), sinks::open_mode::read_write);
    const sinks::pipeline_options o{.max_line_bytes = max_line, .write_batch_posts = 7, .dedup_window = 10000};
    sinks::pipeline pipe({{.ring = &c1.ring, .pool = &c1.pool, .spool = nullptr, .labels = c1.labels},
                          {.ring = &c2.ring, .pool = &c2.pool, .spool = nullptr, .labels = c2.labels}},
                         db, metrics, o, &sink);
    bool ok = false;
    std::thread consumer([&] { ok = pipe.run(); });
    std::thread reader2([&] { c2.feed(body2, 21); });
    c1.feed(body1, 11);
    reader2.join();
    pipe.request_stop();  // after both readers' last push, as the service does
    consumer.join();
    REQUIRE(ok);

    const auto tweets = testing::stored_posts(db);
    CHECK(tweets.size() == expected.size());
    std::size_t mismatched = 0;
    for (const auto& [id, line] : expected) mismatched += tweets.count(id) == 0 || tweets.at(id) != line;
    CHECK(mismatched == 0);
  }
  // Downstream (Kafka) is handed each Post once.
  std::set<std::uint64_t> handed_ids;
  std::size_t wrong_bytes = 0;
  for (const auto& [id, line] : sink.handed) {
    handed_ids.insert(id);
    wrong_bytes += expected.at(id) != line;
  }
  CHECK(sink.handed.size() == expected.size());
  CHECK(handed_ids.size() == expected.size());
  CHECK(wrong_bytes == 0);

  const auto counter = [&](const char* name, const common::metric_labels& l) { return metrics.counter(name, "", l).get(); };
  CHECK(counter("spillway_posts_received_total", c1.labels) == static_cast<std::int64_t>(on1));
  CHECK(counter("spillway_posts_received_total", c2.labels) == static_cast<std::int64_t>(on2));
  // Every Post carried by both is dropped once, on whichever connection brought it second.
  CHECK(counter("spillway_duplicates_dropped_total", c1.labels) + counter("spillway_duplicates_dropped_total", c2.labels) ==
        static_cast<std::int64_t>(on_both));
  CHECK(counter("spillway_posts_stored_total", {}) == static_cast<std::int64_t>(expected.size()));
  CHECK(counter("spillway_heartbeats_total", c1.labels) == 4000 / 97);
  CHECK(counter("spillway_heartbeats_total", c2.labels) == 4000 / 89);
  // Each pool got its slabs back through its own return ring.
  CHECK(c1.pool.allocated() <= 8);
  CHECK(c2.pool.allocated() <= 8);
}
