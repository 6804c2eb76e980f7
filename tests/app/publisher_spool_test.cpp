// The overload spool in the hand-off as the service composes it: line_publisher → (ring | spool) →
// pipeline → RocksDB → a downstream sink. A tiny ring and a slow downstream make the reader spill over
// into the spool again and again; every Post must still reach the sink once, in arrival order.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "common/spool.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "sinks/pipeline.hpp"
#include "tests/support/column_family.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t max_line = 8 * 1024;
constexpr std::size_t slab_bytes = 256 * 1024;

// Records what it is handed, in order, and is slow enough that the ring fills behind it.
struct slow_sink final : sinks::post_sink {
  std::vector<std::uint64_t> ids;
  void on_committed(std::span<const sinks::committed_post> posts) noexcept override {
    for (const auto& p : posts) ids.push_back(p.id);
    std::this_thread::sleep_for(300us);
  }
  void poll() noexcept override {}
  std::size_t flush(std::chrono::milliseconds) noexcept override { return 0; }
};

std::string post_line(std::uint64_t id, std::size_t filler) {
  return R"({"data":{"id":")" + std::to_string(id) + R"(","text":")" + std::string(filler, 'a') + R"("}})";
}

}  // namespace

TEST_CASE("spool: a reader ahead of the pipeline spills to the spool - every Post arrives once, in order", "[pipeline][spool]") {
  testing::temp_dir dir;
  common::metrics_registry metrics;
  common::slab_pool pool{slab_bytes, 4};
  common::spsc_ring<common::stream_item> ring{64};
  auto opened = common::spool::open(dir.path() / "spool", 1 << 30, max_line, metrics);
  REQUIRE(opened.has_value());
  auto& spool = **opened;
  ingest::line_publisher publisher{ring, pool, max_line, metrics, &spool};

  std::vector<std::uint64_t> expected;
  std::string body;
  std::mt19937 rng(17);
  for (std::uint64_t i = 1; i <= 40000; ++i) {
    const auto id = 1600000000000000000ULL + i * 4096;
    const auto line = post_line(id, rng() % 1500);
    expected.push_back(id);
    body += line + "\r\n";
    if (i % 1000 == 0) body += post_line(id - 4096 * 3, 10) + "\r\n";  // a duplicate of an earlier Post
  }

  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  slow_sink sink;
  const sinks::pipeline_options o{.max_line_bytes = max_line, .write_batch_posts = 64, .dedup_window = 100000};
  sinks::pipeline pipe(ring, pool, db, metrics, o, &sink, &spool);
  bool ok = false;
  std::thread consumer([&] { ok = pipe.run(); });
  std::size_t pos = 0;
  int back_to_ring = 0;  // spool → ring transitions seen
  bool was_spooling = false;
  for (int reads = 1; pos < body.size(); ++reads) {
    auto room = publisher.writable();
    const std::size_t n = std::min({room.size(), body.size() - pos, std::size_t{1} + rng() % 60000});
    std::memcpy(room.data(), body.data() + pos, n);
    publisher.commit(n, 1700000000000);
    back_to_ring += was_spooling && !publisher.spooling();
    was_spooling = publisher.spooling();
    pos += n;
    // Now and then a lull lets the pipeline drain the spool, so the reader goes back to the ring and
    // spills over again: several ring → spool → ring episodes. The lull lasts until the spool is drained
    // (at most 5 s), not a fixed time: under a sanitizer or on a loaded machine the pipeline is many times
    // slower, and a fixed 100 ms never let it catch up.
    if (reads % 150 == 0) {
      for (int i = 0; i < 500 && !spool.drained(); ++i) std::this_thread::sleep_for(10ms);
    }
  }
  publisher.end_of_body(1700000000001);
  // The pipeline leaves the spool alone once stopping (it is on disk for the next start): let it drain first.
  for (int i = 0; i < 3000 && !spool.drained(); ++i) std::this_thread::sleep_for(10ms);
  CHECK(spool.drained());
  pipe.request_stop();
  consumer.join();
  REQUIRE(ok);

  const auto spooled = metrics.counter("spillway_spool_lines_spooled_total", "").get();
  INFO("lines spooled: " << spooled << ", back to the ring " << back_to_ring << " times");
  CHECK(back_to_ring >= 2);
  CHECK(spooled > 1000);
  CHECK(metrics.counter("spillway_spool_lines_drained_total", "").get() == spooled);
  CHECK(sink.ids == expected);  // once each, in arrival order: ring, spool, ring, ...
  CHECK(metrics.counter("spillway_duplicates_dropped_total", "").get() == 40);
  CHECK(testing::stored_posts(db).size() == expected.size());
  CHECK(metrics.gauge("spillway_spool_bytes", "").get() == 0);
}
