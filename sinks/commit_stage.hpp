#pragma once
// commit_stage: the committer thread. The pipeline thread fills a commit_slot (the WriteBatch and the Posts
// in it) and submits it; this thread writes it to RocksDB, counts it, and hands its Posts to the downstream
// sink (Kafka), which it also serves (poll) while no slot is waiting. The pipeline fills the other slot
// meanwhile, so extraction and de-duplication overlap the WAL write, the memtable insert and the Kafka
// produce, and whatever RocksDB and librdkafka allocate per write stays off the pipeline thread.
//
// Owns: the thread, the slots' hand-off states, the committed-view buffer, the stored totals and the
// receive → committed histogram.
// Thread: submit()/wait()/stop() are called by the pipeline thread only; everything else (the RocksDB
// write, every call into the downstream sink) runs on the committer thread, started by start() and joined
// by stop(). After stop() the downstream sink belongs to whoever called it (the service flushes it).
// Must outlive it: the store, the metrics registry, the downstream sink, and the slots it is given.
//
// Ordering: slots are written in the order they were submitted; once a write fails, no later slot is
// written (each reports failure), so nothing after a lost batch is acknowledged. A slot's Posts point into
// slabs, spool chunks and heal batches that the pipeline releases only after wait() has returned for it.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string_view>
#include <thread>
#include <vector>

#include "common/latency_histogram.hpp"
#include "common/metrics.hpp"
#include "common/post_source.hpp"
#include "common/slab_pool.hpp"
#include "sinks/post.hpp"
#include "sinks/post_sink.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::sinks {

// A new Post in a slot: its fields (views into `line`) and what the outbox and Kafka need.
struct pending_post {
  sinks::extracted_post fields;
  std::string_view line;
  std::int64_t received_ms;
  common::post_source source;
};

// One batch on its way: filled by the pipeline thread, written by the committer. Every vector keeps the
// capacity reserved at start, so a slot that goes round and round allocates nothing.
struct commit_slot {
  commit_slot(const store& db, std::size_t posts_capacity, std::size_t inputs);

  commit_batch batch;
  std::vector<pending_post> posts;                  // the Posts in `batch`, in order
  std::vector<std::vector<common::slab*>> retired;  // per input: slabs to release once this slot is done
  std::uint64_t bytes = 0;                          // line bytes of `posts`
  std::uint64_t record = 0;                         // the outbox record listing `posts` (0: none)
  bool sync = false;                                // fsync the WAL with this write (the last one)

  [[nodiscard]] bool holds_anything() const noexcept;
  void clear() noexcept;

 private:
  friend class commit_stage;
  enum state : int { idle, submitted, done, failed };
  std::atomic<int> state_{idle};
};

class commit_stage {
 public:
  commit_stage(store& db, post_sink* downstream, common::metrics_registry& metrics, std::size_t posts_capacity);
  ~commit_stage();
  commit_stage(const commit_stage&) = delete;
  commit_stage& operator=(const commit_stage&) = delete;

  void start();
  // Hands a filled slot to the committer; returns at once. The slot must be idle (new, or waited for).
  void submit(commit_slot& slot) noexcept;
  // Until the committer is done with `slot` (at once when it was never submitted). False when its write
  // failed or an earlier one did (logged). Afterwards the slot is idle again and the pipeline may reuse it.
  bool wait(commit_slot& slot) noexcept;
  // Joins the committer once it has written everything submitted.
  void stop() noexcept;

  // Since start, read after stop() (benchmarks, the shutdown log).
  [[nodiscard]] std::uint64_t stored_posts() const noexcept { return stored_posts_; }
  [[nodiscard]] std::uint64_t stored_bytes() const noexcept { return stored_bytes_; }
  [[nodiscard]] std::chrono::steady_clock::time_point last_commit() const noexcept { return last_commit_; }

 private:
  void run() noexcept;
  // Writes one slot and hands its Posts downstream; false when RocksDB refused the write.
  bool write(commit_slot& slot) noexcept;

  store& db_;
  post_sink* downstream_;
  std::thread thread_;
  // Submitted slots in order: the pipeline alternates between two, so a queue of two is all it needs.
  static constexpr std::size_t queue_size = 2;
  std::array<std::atomic<commit_slot*>, queue_size> queue_{};
  std::size_t push_at_ = 0;  // pipeline thread
  std::size_t pop_at_ = 0;   // committer thread
  std::atomic<bool> stop_{false};
  // The committer sleeps on `submissions_` (a futex) while nothing is queued; `asleep_` tells submit() and
  // stop() to wake it. It also wakes every millisecond while the downstream sink has work (delivery reports
  // to serve), every 100 ms otherwise.
  std::atomic<std::uint32_t> submissions_{0};
  std::atomic<bool> asleep_{false};
  void wake() noexcept;
  bool failed_ = false;  // committer thread: a write failed, later slots are not written

  std::vector<committed_post> committed_view_;  // reused for the downstream hand-off
  std::uint64_t stored_posts_ = 0;
  std::uint64_t stored_bytes_ = 0;
  std::chrono::steady_clock::time_point last_commit_{};
  common::metric_cell& posts_stored_;
  common::metric_cell& batches_;
  common::latency_batch commit_latency_;  // receive → committed, handed over once per commit
};

}  // namespace spillway::sinks
