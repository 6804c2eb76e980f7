// The committer thread (sinks/commit_stage): slots are written in the order they were submitted, wait()
// returns only once a slot is in RocksDB and handed downstream, the downstream sink is called on the
// committer thread only (and polled while idle), and a failed write fails every slot after it.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "sinks/commit_stage.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using namespace std::chrono_literals;

namespace {

// Records the ids it is handed and the threads that call it.
struct recording_sink final : sinks::post_sink {
  std::mutex mu;
  std::vector<std::uint64_t> ids;
  std::vector<std::uint64_t> records;
  std::vector<std::thread::id> callers;
  std::atomic<int> polls{0};
  void on_committed(std::span<const sinks::committed_post> posts) noexcept override {
    const std::lock_guard lock(mu);
    callers.push_back(std::this_thread::get_id());
    for (const auto& p : posts) {
      ids.push_back(p.id);
      records.push_back(p.outbox_record);
    }
  }
  void poll() noexcept override {
    polls.fetch_add(1);
    const std::lock_guard lock(mu);
    callers.push_back(std::this_thread::get_id());
  }
  std::size_t flush(std::chrono::milliseconds) noexcept override { return 0; }
};

// Fills `slot` with Posts [first, first + n) whose lines live in `lines` (kept alive by the caller).
void fill(sinks::commit_slot& slot, std::vector<std::string>& lines, std::uint64_t first, std::size_t n,
          std::uint64_t record) {
  for (std::uint64_t id = first; id < first + n; ++id) {
    lines.push_back(R"({"data":{"id":")" + std::to_string(id) + R"("}})");
    sinks::pending_post p{};
    p.fields.kind = sinks::line_kind::post;
    p.fields.id = id;
    p.line = lines.back();
    p.received_ms = 1800000000000;
    p.source = common::post_source::stream;
    slot.posts.push_back(p);
    slot.batch.put_post(id, p.line);
    slot.batch.add_to_outbox_record(id, p.received_ms, p.source);
    slot.bytes += p.line.size();
  }
  slot.record = record;
}

// Two slots and a started committer over `db`, handing to `sink`, as a pipeline holds them.
struct stage_rig {
  static constexpr std::size_t capacity = 1024;
  common::metrics_registry metrics;
  recording_sink sink;
  std::vector<std::string> lines;  // the Posts' bytes (reserved: views into them stay valid)
  sinks::commit_slot a;
  sinks::commit_slot b;
  sinks::commit_stage stage;
  explicit stage_rig(sinks::store& db) : a(db, capacity, 1), b(db, capacity, 1), stage(db, &sink, metrics, capacity) {
    lines.reserve(4 * capacity);
    stage.start();
  }
};

std::size_t stored_posts(const sinks::store& db) {
  std::size_t n = 0;
  for (auto cursor = db.posts(); cursor.valid(); cursor.next()) ++n;
  return n;
}

}  // namespace

TEST_CASE("commit_stage: slots are written in submission order and handed downstream on the committer thread",
          "[commit_stage]") {
  testing::temp_dir dir;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  stage_rig rig(db);
  auto& [metrics, sink, lines, a, b, stage] = rig;
  std::uint64_t next_id = 1000;
  std::uint64_t record = 1;
  std::vector<std::uint64_t> expected;
  // Alternate as the pipeline does: submit one, take the other back, fill it.
  sinks::commit_slot* filling = &a;
  for (int round = 0; round < 40; ++round) {
    const std::size_t n = 1 + (round * 7) % 90;
    fill(*filling, lines, next_id, n, record++);
    for (std::size_t i = 0; i < n; ++i) expected.push_back(next_id + i);
    next_id += n;
    stage.submit(*filling);
    filling = filling == &a ? &b : &a;
    REQUIRE(stage.wait(*filling));
    filling->clear();
  }
  REQUIRE(stage.wait(a));
  REQUIRE(stage.wait(b));
  // Once wait() returned, the slot's Posts are in RocksDB and downstream.
  CHECK(stored_posts(db) == expected.size());
  {
    const std::lock_guard lock(sink.mu);
    CHECK(sink.ids == expected);
  }
  std::this_thread::sleep_for(5ms);  // idle: the committer serves the sink
  stage.stop();
  CHECK(sink.polls.load() > 0);
  CHECK(stage.stored_posts() == expected.size());
  CHECK(metrics.counter(common::metric::posts_stored).get() == static_cast<std::int64_t>(expected.size()));
  const std::lock_guard lock(sink.mu);
  REQUIRE(!sink.callers.empty());
  const auto committer = sink.callers.front();
  CHECK(committer != std::this_thread::get_id());
  for (const auto& caller : sink.callers) CHECK(caller == committer);
}

TEST_CASE("commit_stage: after a refused write no later slot is acknowledged", "[commit_stage]") {
  testing::temp_dir dir;
  const auto path = dir.str("db");
  { sinks::store create(path, sinks::open_mode::read_write); }
  sinks::store ro(path, sinks::open_mode::read_only);  // every write is refused
  stage_rig rig(ro);
  auto& [metrics, sink, lines, a, b, stage] = rig;
  fill(a, lines, 1, 10, 1);
  fill(b, lines, 11, 10, 2);
  stage.submit(a);
  stage.submit(b);
  CHECK_FALSE(stage.wait(a));
  CHECK_FALSE(stage.wait(b));
  stage.stop();
  CHECK(stage.stored_posts() == 0);
  CHECK(metrics.counter(common::metric::posts_stored).get() == 0);
  const std::lock_guard lock(sink.mu);
  CHECK(sink.ids.empty());
}

TEST_CASE("commit_stage: wait() on a slot never submitted returns at once, and stop() is idempotent",
          "[commit_stage]") {
  testing::temp_dir dir;
  common::metrics_registry metrics;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  sinks::commit_slot a(db, 8, 2);
  sinks::commit_stage stage(db, nullptr, metrics, 8);
  stage.start();
  CHECK(stage.wait(a));
  CHECK_FALSE(a.holds_anything());
  int slab_stand_in = 0;
  a.retired[1].push_back(reinterpret_cast<common::slab*>(&slab_stand_in));  // a slab retired, no Post
  CHECK(a.holds_anything());
  stage.submit(a);
  CHECK(stage.wait(a));
  stage.stop();
  stage.stop();
  CHECK(stage.stored_posts() == 0);
}

TEST_CASE("commit_stage: a sink with work is polled about every millisecond, an idle one about ten times a second",
          "[commit_stage]") {
  // Only what a slow machine cannot turn around is asserted: the idle sink is polled at most a few times in
  // 300 ms (a faster schedule would be a busy loop), the sink with work many times more.
  struct flagged_sink final : sinks::post_sink {
    std::atomic<bool> work{false};
    std::atomic<int> polls{0};
    void on_committed(std::span<const sinks::committed_post>) noexcept override {}
    void poll() noexcept override { polls.fetch_add(1); }
    [[nodiscard]] bool has_work() const noexcept override { return work.load(); }
    std::size_t flush(std::chrono::milliseconds) noexcept override { return 0; }
  };
  testing::temp_dir dir;
  common::metrics_registry metrics;
  sinks::store db(dir.str("db"), sinks::open_mode::read_write);
  flagged_sink sink;
  sinks::commit_stage stage(db, &sink, metrics, 8);
  stage.start();
  std::this_thread::sleep_for(300ms);
  const int idle_polls = sink.polls.exchange(0);
  sink.work = true;
  // The committer is asleep on its 100 ms timeout: from its next wake-up on it polls every millisecond.
  std::this_thread::sleep_for(300ms);
  const int busy_polls = sink.polls.load();
  stage.stop();
  CHECK(idle_polls <= 5);
  CHECK(busy_polls >= idle_polls + 20);
}
