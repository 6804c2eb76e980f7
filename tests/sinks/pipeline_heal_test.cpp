// The heal inbox (common/heal_inbox) into the pipeline: a healer's batch is stored through the same path as
// streamed lines — dedup by id, tweets + outbox in one batch — and submit() returns only after the commit;
// each Post carries its source to the outbox (ninth byte) and to the downstream sink. Stream lines are
// classified by age (post_source.hpp): backfill when received over a minute after their id's time.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/heal_inbox.hpp"
#include "common/metrics.hpp"
#include "common/post_source.hpp"
#include "sinks/pipeline.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using common::post_source;

namespace {

// The downstream sink: which source each committed Post came with.
struct recording_sink final : sinks::post_sink {
  std::map<std::uint64_t, post_source> sources;
  void on_committed(std::span<const sinks::committed_post> posts) noexcept override {
    for (const auto& p : posts) sources[p.id] = p.source;
  }
  void poll() noexcept override {}
  std::size_t flush(std::chrono::milliseconds) noexcept override { return 0; }
};

// A snowflake id created at `ms` (Unix ms).
std::uint64_t id_at(std::int64_t ms) { return static_cast<std::uint64_t>(ms - common::snowflake_epoch_ms) << 22; }

std::string line_of(std::uint64_t id) { return "{\"data\":{\"id\":\"" + std::to_string(id) + "\"}}"; }

}  // namespace

TEST_CASE("pipeline: healed Posts from the heal inbox are stored once, with their source in the outbox and "
          "downstream - submit returns after the commit",
          "[pipeline][heal]") {
  testing::temp_dir dir;
  common::metrics_registry metrics;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  common::slab_pool pool(64 * 1024, 2);
  common::spsc_ring<common::stream_item> ring(256);
  recording_sink sink;
  common::heal_inbox inbox;
  sinks::pipeline pipe(ring, pool, db, metrics, {.max_line_bytes = 4096, .write_batch_posts = 2, .dedup_window = 1024},
                       &sink);
  pipe.attach_heal_inbox(&inbox);

  const std::int64_t now = 1800000000000;  // received_ms of the stream lines
  const auto live = id_at(now - 2000);      // 2 s old: the live stream
  const auto late = id_at(now - 3 * 60 * 1000);  // 3 min old: backfill re-sent it
  common::slab* slab = pool.acquire();
  REQUIRE(slab != nullptr);
  std::size_t fill = 0;
  for (const auto id : {live, late}) {
    const auto line = line_of(id);
    std::memcpy(slab->data + fill, line.data(), line.size());
    REQUIRE(ring.try_push(common::stream_item{common::stream_item::kind::line, static_cast<std::uint32_t>(line.size()),
                                              static_cast<std::uint32_t>(fill), slab, now}));
    fill += line.size() + 2;
  }
  REQUIRE(ring.try_push(common::stream_item{common::stream_item::kind::slab_retired, 0, 0, slab, 0}));

  std::thread pipeline_thread([&] { CHECK(pipe.run()); });
  // Three healed Posts, one of which (late) the stream already delivered: it is dropped by id.
  const auto old1 = id_at(now - 20 * 60 * 1000), old2 = id_at(now - 19 * 60 * 1000);
  const std::vector<std::string> healed{line_of(old1), line_of(late), line_of(old2)};
  CHECK(inbox.submit(healed, post_source::recovery, now + 5000));
  // Committed when submit returned: both stored now (the pipeline thread is still running).
  CHECK(db.contains_post(old1));
  CHECK(db.contains_post(old2));
  const std::vector<std::string> searched{line_of(old1 + 1)};
  CHECK(inbox.submit(searched, post_source::search, now + 6000));
  pipe.request_stop();
  pipeline_thread.join();
  // After the pipeline stopped and the inbox was abandoned, a submit says it was not committed.
  inbox.abandon();
  CHECK_FALSE(inbox.submit(searched, post_source::search, now + 7000));

  CHECK(sink.sources.size() == 5);
  CHECK(sink.sources[live] == post_source::stream);
  CHECK(sink.sources[late] == post_source::backfill);
  CHECK(sink.sources[old1] == post_source::recovery);
  CHECK(sink.sources[old2] == post_source::recovery);
  CHECK(sink.sources[old1 + 1] == post_source::search);
  std::map<std::uint64_t, post_source> outbox;
  for (auto c = db.outbox(); c.valid(); c.next()) outbox[c.id()] = c.source();
  CHECK(outbox == sink.sources);
  CHECK(pipe.stored_throughput().duplicates == 1);
}
