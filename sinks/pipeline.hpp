#pragma once
// pipeline: the consumer thread. Pops lines from the SPSC ring, extracts id and rules, drops duplicates,
// puts each new Post byte for byte in a RocksDB batch (tweets, plus outbox when a downstream sink is
// attached), hands each full batch to its committer thread (sinks/commit_stage.hpp: the RocksDB write,
// then the downstream sink) and returns slabs to their pool once the batch holding their lines is done.
//
// Owns: the extractor, the dedup window, the two commit slots (one filled here while the committer writes
// the other; all sized at start) and the committer thread, which run() starts and joins.
// Thread: run() executes on the pipeline thread; request_stop() may be called from any thread. The
// downstream sink is called only by the committer thread while run() runs.
// Must outlive it: the rings, the slab pools, the spools, the store, the metrics registry and the downstream sink.
//
// Overload spool (optional, common/spool.hpp): when the ring is empty the pipeline drains the spool, one
// chunk at a time, each chunk committed before its buffer is released. The reader spools only while the
// ring is full or the spool is not yet drained, so ring, spool, ring is arrival order. On request_stop()
// the spool is left as it is: it is on disk and drained first at the next start.
//
// Redundant connections (stream.connections = 2): one input per connection, each its own ring, slab pool
// (and spool, where it has one), all polled by this one thread — no lock between a reader and the
// pipeline. The two copies of a Post meet here: the first one handled is stored, the other is dropped by
// id (the dedup window holds every id handled, committed or pending) and counted against its connection.
//
// Heal inbox (optional, common/heal_inbox.hpp): Posts a gap healer read (Recovery, search) are handled
// the same way when the ring and the spool are empty, one batch at a time, committed before the healer is
// told. Every Post carries its source (stream, backfill, recovery, search) to the downstream sink.
//
// Ordering contract with the reader: items arrive in the order the bytes arrived; a slab_retired marker
// comes after every line of that slab, so releasing a slab when its marker has been handled — after the
// batch holding its lines was committed and handed downstream — never frees bytes still in use.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/heal_inbox.hpp"
#include "common/metrics.hpp"
#include "common/post_source.hpp"
#include "common/slab_pool.hpp"
#include "common/spool.hpp"
#include "common/spsc_ring.hpp"
#include "common/stream_item.hpp"
#include "sinks/commit_stage.hpp"
#include "sinks/post_extractor.hpp"
#include "sinks/post_sink.hpp"
#include "sinks/rocksdb/dedup_window.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::sinks {

// No defaults here: config/options.cpp is the one place a default is written, and the caller (app/service,
// from the loaded settings; tests and benchmarks, explicitly) sets every field.
struct pipeline_options {
  std::size_t max_line_bytes;     // stream.max_line_bytes
  std::size_t write_batch_posts;  // sinks.rocksdb.write_batch_posts
  std::size_t dedup_window;       // pipeline.dedup_window
};

// One reader's hand-off: its ring, the pool its slabs come from, its spool (may be null) and the labels of
// its per-connection metrics ({} with a single reader outside the service; {connection="N"} in it).
struct pipeline_input {
  common::spsc_ring<common::stream_item>* ring;
  common::slab_pool* pool;
  common::spool* spool;
  common::metric_labels labels;
};

class pipeline {
 public:
  pipeline(common::spsc_ring<common::stream_item>& ring, common::slab_pool& pool, store& db,
           common::metrics_registry& metrics, const pipeline_options& options, post_sink* downstream,
           common::spool* spool = nullptr);
  // One input per connection (at least one), polled in turn.
  pipeline(const std::vector<pipeline_input>& inputs, store& db, common::metrics_registry& metrics,
           const pipeline_options& options, post_sink* downstream);

  // Runs until request_stop() has been called AND the ring is drained; commits with a WAL sync at the end.
  // Returns false if RocksDB refused a write (the reason is logged); nothing is acknowledged then.
  bool run();

  // The reader calls this after its last push: run() drains what is queued, then returns.
  void request_stop() noexcept { stop_.store(true, std::memory_order_release); }

  // Before run(): Posts from gap healers arrive through `inbox` (it must outlive the pipeline).
  void attach_heal_inbox(common::heal_inbox* inbox) noexcept { heal_ = inbox; }

  // Steady-clock span from the first Post popped to the last batch committed (benchmarks, shutdown log).
  struct throughput {
    std::uint64_t posts = 0;
    std::uint64_t bytes = 0;
    double seconds = 0;
    std::uint64_t duplicates = 0;  // dropped by id since start
  };
  [[nodiscard]] throughput stored_throughput() const noexcept;

  // Posts in the dedup window after warm-up (for tests and the start-up log).
  [[nodiscard]] std::size_t warmed_ids() const noexcept { return warmed_; }

 private:
  // An input's ring, pool, spool and its per-connection cells; `index` picks its slabs in a commit_slot.
  struct input_state {
    std::size_t index;
    common::spsc_ring<common::stream_item>* ring;
    common::slab_pool* pool;
    common::spool* spool;
    common::metric_cell* posts_received;
    common::metric_cell* duplicates;
    common::metric_cell* ring_depth;
  };

  bool run_until_stopped();
  // Pops and handles one batch of `in` (or drains a spool chunk when its ring is empty). -1: a commit
  // failed; otherwise the items handled (a drained spool chunk counts as pop_chunk: keep polling).
  std::int64_t poll_input(input_state& in, bool stopping);
  void handle(const common::stream_item& item);
  // Stamps first_popped_ at the first item popped from a ring or a spool (the throughput span's start).
  void note_first_pop() noexcept {
    if (first_popped_ == std::chrono::steady_clock::time_point{}) first_popped_ = std::chrono::steady_clock::now();
  }
  // Handles and commits one chunk of `in`'s spool, then lets the spool reuse its buffer. -1: a commit
  // failed; 0: nothing spooled; 1: a chunk was drained.
  int drain_spool_chunk(input_state& in);
  // The same for the heal inbox's published batch: -1 a commit failed; 0 none; 1 committed and released.
  int drain_heal_batch();
  void handle_line(const common::stream_item& item);
  // Finishes the last Post handle_line() queued: the dedup check, then into the batch (or dropped).
  void settle_unchecked();
  // Why a line went to the deadletter store; indexes the per-kind counter and the logged-once flag.
  enum dead_kind : std::size_t { invalid_json, missing_id, oversize, truncated, dead_kind_count };
  void dead_letter(dead_kind kind, std::string_view reason, std::string_view bytes);
  // Hands the slot being filled to the committer and takes the other one back (once the committer is done
  // with it: its slabs are released). False when a write failed.
  bool commit(bool sync);
  // commit(), then waits until that batch is written too: for buffers (a spool chunk, a heal batch) whose
  // release tells someone the Posts are stored.
  bool commit_and_wait(bool sync);
  bool reclaim(commit_slot& slot);
  [[nodiscard]] commit_slot& other_slot() noexcept { return filling_ == &slot_a_ ? slot_b_ : slot_a_; }
  [[nodiscard]] bool is_duplicate(std::uint64_t id);

  std::vector<input_state> inputs_;
  input_state* current_ = nullptr;  // the input whose items handle() is given
  // Set while pending_.back() awaits its dedup check (settle_unchecked): the input it came from.
  input_state* unchecked_input_ = nullptr;
  store& db_;
  post_sink* downstream_;
  common::heal_inbox* heal_ = nullptr;
  // The source of the lines being handled: set while a heal batch is drained; stream lines are classified.
  std::optional<common::post_source> heal_source_;
  pipeline_options options_;
  sinks::post_extractor extractor_;
  dedup_window window_;
  // Two batches: the pipeline fills one while the committer writes the other.
  commit_slot slot_a_;
  commit_slot slot_b_;
  commit_slot* filling_ = &slot_a_;
  commit_stage committer_;
  std::vector<common::stream_item> popped_;     // pop_batch buffer
  std::uint64_t deadletter_seq_ = 0;
  std::chrono::steady_clock::time_point first_popped_{};  // epoch until the first item is popped
  std::size_t warmed_ = 0;
  std::atomic<bool> stop_{false};
  std::array<bool, dead_kind_count> logged_kind_{};

  std::array<common::metric_cell*, dead_kind_count> malformed_{};
  common::metric_cell& notices_;
  common::metric_cell& dedup_reads_;
};

}  // namespace spillway::sinks
