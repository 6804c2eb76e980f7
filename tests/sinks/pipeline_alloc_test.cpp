// The pipeline thread allocates nothing per Post in steady state, with a downstream sink attached (issue 13,
// target 6): it extracts, de-duplicates and fills the batch; the RocksDB write and the sink run on the
// committer thread, which is not counted here (what RocksDB and librdkafka allocate there: bench-alloc).
// Counted through the sinks binary's replaced operator new (tests/sinks/alloc_counter.hpp), which also
// sees what librocksdb allocates on the pipeline thread (WriteBatch::Put).
#include <catch2/catch.hpp>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "sinks/pipeline.hpp"
#include "tests/sinks/alloc_counter.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
namespace counter = spillway::testing::alloc_counter;

namespace {

constexpr std::size_t burst = 256;  // the pipeline's pop chunk: one burst is one batch

// Counts what it is handed; allocates nothing itself (it runs on the committer thread, not counted anyway).
struct counting_sink final : sinks::post_sink {
  std::atomic<std::uint64_t> posts{0};
  void on_committed(std::span<const sinks::committed_post> committed) noexcept override {
    posts.fetch_add(committed.size());
  }
  void poll() noexcept override {}
  std::size_t flush(std::chrono::milliseconds) noexcept override { return 0; }
};

// A line of fixed length for `id`, so every full burst makes a batch of the same bytes.
std::string line_of(std::uint64_t id) {
  std::string text(120, 'a');
  return R"({"data":{"id":")" + std::to_string(id) + R"(","text":")" + text +
         R"("},"matching_rules":[{"id":"1701","tag":"cats"}]})";
}

}  // namespace

TEST_CASE("pipeline: the pipeline thread allocates nothing per Post in steady state, sink attached",
          "[pipeline][alloc]") {
  testing::temp_dir dir;
  common::metrics_registry metrics;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  common::slab_pool pool(128 * 1024, 8);
  common::spsc_ring<common::stream_item> ring(4096);
  counting_sink sink;
  sinks::pipeline pipe(ring, pool, db, metrics, {.max_line_bytes = 4096, .write_batch_posts = 1, .dedup_window = 100000},
                       &sink);

  counter::armed = false;
  counter::allocations = 0;
  bool ok = false;
  std::thread pipeline_thread([&] {
    counter::this_thread_counted = true;
    ok = pipe.run();
  });
  std::uint64_t next_id = 1800000000000000000ULL;
  std::uint64_t sent = 0;
  std::vector<common::stream_item> items(burst + 1);
  // One burst: `burst` lines in one slab, then its retired marker, pushed in one batch once the ring is
  // empty, so the pipeline pops it whole and commits it as one batch of `burst` Posts.
  auto send_burst = [&] {
    common::slab* slab = nullptr;
    while ((slab = pool.acquire()) == nullptr) std::this_thread::yield();
    std::size_t fill = 0;
    for (std::size_t i = 0; i < burst; ++i) {
      const auto line = line_of(next_id);
      next_id += 4096;
      REQUIRE(fill + line.size() + 2 <= slab->capacity);
      std::memcpy(slab->data + fill, line.data(), line.size());
      items[i] = common::stream_item{common::stream_item::kind::line, static_cast<std::uint32_t>(line.size()),
                                     static_cast<std::uint32_t>(fill), slab, 1800000000000};
      fill += line.size() + 2;
    }
    items[burst] = common::stream_item{common::stream_item::kind::slab_retired, 0, 0, slab, 0};
    while (!ring.empty()) std::this_thread::yield();
    REQUIRE(ring.push_batch(std::span(items)) == items.size());
    sent += burst;
  };
  auto wait_for_sink = [&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (sink.posts.load() < sent && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    return sink.posts.load() == sent;
  };

  // Warm-up: both commit slots see a full batch, every slab has gone round, the window's table is touched.
  for (int i = 0; i < 24; ++i) send_burst();
  REQUIRE(wait_for_sink());
  counter::armed = true;
  for (int i = 0; i < 40; ++i) send_burst();
  REQUIRE(wait_for_sink());
  counter::armed = false;
  const auto counted = counter::allocations.load();
  pipe.request_stop();
  pipeline_thread.join();
  REQUIRE(ok);
  CHECK(sent == 64 * burst);
  CHECK(pipe.stored_throughput().posts == sent);
  // 10,240 Posts handled while counting: not one allocation on the pipeline thread.
  CHECK(counted == 0);
  counter::armed = true;
}
