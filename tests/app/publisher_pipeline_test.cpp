// The reader-to-pipeline hand-off as the service composes it (ingest::line_publisher → ring →
// sinks::pipeline), so it lives with app/, the only folder that sees both.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "common/metrics.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "sinks/pipeline.hpp"
#include "tests/app/publisher_feed.hpp"
#include "tests/support/column_family.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

using namespace spillway;

namespace {

constexpr std::size_t max_line = 8 * 1024;
constexpr std::size_t slab_bytes = 256 * 1024;  // small slabs: many rotations (the one copy) per test

// Runs publisher → ring → pipeline → RocksDB over `body`, delivered in random pieces.
struct harness {
  common::metrics_registry metrics;
  common::slab_pool pool{slab_bytes, 8};
  common::spsc_ring<common::stream_item> ring{64};  // tiny ring: the reader must wait sometimes
  ingest::line_publisher publisher{ring, pool, max_line, metrics};

  void run(sinks::store& db, const std::string& body, std::uint32_t seed, std::size_t dedup = 1000,
           std::size_t batch_posts = 7) {
    const sinks::pipeline_options o{.max_line_bytes = max_line, .write_batch_posts = batch_posts, .dedup_window = dedup};
    sinks::pipeline pipe(ring, pool, db, metrics, o, nullptr);
    bool ok = false;
    std::thread consumer([&] { ok = pipe.run(); });
    testing::feed_in_pieces(publisher, body, seed);
    pipe.request_stop();
    consumer.join();
    CHECK(ok);
  }
  std::int64_t count(const std::string& name, const common::metric_labels& labels = {}) {
    return metrics.counter(name, "", labels).get();
  }
};

using testing::post_line;

}  // namespace

TEST_CASE("pipeline stores each Post once, byte for byte, and dead-letters bad lines", "[pipeline]") {
  testing::temp_dir dir;
  std::map<std::uint64_t, std::string> expected;
  std::string body;
  std::mt19937 rng(3);
  for (std::uint64_t i = 1; i <= 3000; ++i) {
    const auto id = 1600000000000000000ULL + i * 4096;
    auto line = post_line(id, rng() % 2000);
    expected[id] = line;
    body += line + "\r\n";
    if (i % 100 == 0) body += "\r\n";                    // heartbeat
    if (i % 500 == 0) body += line + "\r\n";             // duplicate
  }
  for (const auto& [name, line] : testing::stream_payloads()) body += line + "\r\n";
  body += "this is not json\r\n";
  body += R"({"data":{"text":"no id"}})" "\r\n";
  body += std::string(max_line + 10, 'x') + "\r\n";    // oversize
  body += R"({"data":{"id":"77","text":"cut off)";     // truncated at the end of the body

  harness h;
  {
    sinks::store db(dir.str("db"), sinks::open_mode::read_write);
    h.run(db, body, 11);
    const auto tweets = testing::stored_posts(db);
    // 3000 generated + 7 real Posts; notices are not stored as Posts.
    CHECK(tweets.size() == 3007);
    std::size_t mismatched = 0;
    for (const auto& [id, line] : expected) mismatched += tweets.count(id) == 0 || tweets.at(id) != line;
    CHECK(mismatched == 0);
    CHECK(tweets.at(1626483873659092992ULL).find("tawanb") != std::string::npos);
    const auto dead = testing::dead_letters(db);
    REQUIRE(dead.size() == 4);
    std::vector<std::string> kinds;
    for (const auto& [seq, v] : dead) kinds.push_back(v.substr(0, v.find(':')));
    CHECK(kinds == std::vector<std::string>{"invalid_json", "missing_id", "oversize", "truncated"});
    CHECK(dead.rbegin()->second.ends_with(R"({"data":{"id":"77","text":"cut off)"));  // nothing lost
  }
  CHECK(h.count("spillway_duplicates_dropped_total") == 6);
  CHECK(h.count("spillway_heartbeats_total") == 30);
  CHECK(h.count("spillway_posts_stored_total") == 3007);
  CHECK(h.count("spillway_stream_notices_total") == 2);
  CHECK(h.count("spillway_malformed_lines_total", {{"kind", "oversize"}}) == 1);
  CHECK(h.pool.allocated() <= 8);

  SECTION("after a restart the warmed window drops re-sent Posts without storing them again") {
    sinks::store db(dir.str("db"), sinks::open_mode::read_write);
    harness again;
    std::string resend;
    for (const auto& [id, line] : expected) resend += line + "\r\n";
    again.run(db, resend, 5, /*dedup=*/5000);
    CHECK(again.count("spillway_duplicates_dropped_total") == 3000);
    CHECK(again.count("spillway_dedup_rocksdb_reads_total") == 0);
    CHECK(testing::stored_posts(db).size() == 3007);
  }
  SECTION("ids older than a small window are checked in RocksDB, still never stored twice") {
    sinks::store db(dir.str("db"), sinks::open_mode::read_write);
    harness again;
    std::string resend;
    for (const auto& [id, line] : expected) resend += line + "\r\n";
    again.run(db, resend, 9, /*dedup=*/100);
    CHECK(again.count("spillway_duplicates_dropped_total") == 3000);
    CHECK(again.count("spillway_dedup_rocksdb_reads_total") > 0);
    CHECK(testing::stored_posts(db).size() == 3007);
  }
}

// The pipeline checks a Post against the dedup window one line late (its window slot is prefetched while the
// next line is extracted): a copy right behind its original, one that is the first line after a commit, and
// one that is the very last line before the stop are all still dropped.
TEST_CASE("pipeline: copies next to, across and at the end of a batch are dropped", "[pipeline]") {
  const auto batch_posts = GENERATE(std::size_t{1}, std::size_t{2}, std::size_t{7});
  testing::temp_dir dir;
  std::mt19937 rng(5);
  const auto a = post_line(1600000000000004096ULL, 100);
  const auto b = post_line(1600000000000008192ULL, 100);
  const auto c = post_line(1600000000000012288ULL, 100);
  std::string body;
  for (const auto* line : {&a, &a, &b, &a, &c, &b, &c}) body += *line + "\r\n";
  harness h;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  h.run(db, body, rng(), /*dedup=*/1000, batch_posts);
  const auto tweets = testing::stored_posts(db);
  CHECK(tweets.size() == 3);
  CHECK(tweets.at(1600000000000004096ULL) == a);
  CHECK(tweets.at(1600000000000012288ULL) == c);
  CHECK(h.count("spillway_duplicates_dropped_total") == 4);
  CHECK(h.count("spillway_posts_stored_total") == 3);
}
