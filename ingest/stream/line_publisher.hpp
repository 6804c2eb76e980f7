#pragma once
// line_publisher: the reader side of the hand-off. Gives the HTTP layer slab memory to decode the body
// into, frames what arrived, and pushes line references (never bytes) into the SPSC ring.
//
// Owns: the slab being filled and the framer state.
// Thread: the reader (network) thread only; abandon() from any thread.
// Must outlive it: the ring, the slab pool and the metrics registry.
//
// Only copy: when a slab is nearly full, the incomplete tail line moves to the start of a fresh slab
// (ARCHITECTURE.md "Zero copy"): a line that straddles two reads is copied once, nothing else is.
//
// Overload (with a spool): when the ring or the slab pool is full, the publisher does not wait. It appends
// every line from then on to the spool (common/spool.hpp), reading into its own scratch buffer once its
// slab is used up, and goes back to the ring only when the pipeline has drained the spool: the pipeline
// sees ring lines, then spooled lines, then ring lines again, in arrival order. The slab that was current
// when spooling began keeps its retirement marker until then. Only a full spool (pipeline.spool_max_bytes)
// or a failing disk makes the reader wait as it does without a spool, with an error naming the cause.
#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/spool.hpp"
#include "common/spsc_ring.hpp"
#include "common/stream_item.hpp"
#include "ingest/stream/line_framer.hpp"

namespace spillway::ingest {

class line_publisher {
 public:
  // Reads are asked for at least this much room; the slab rotates below it.
  static constexpr std::size_t min_read_bytes = 64 * 1024;

  // `spool` (may be null: wait for ring space instead) must outlive the publisher. `labels`: the
  // connection's label on the reader metrics ({connection="N"} in the service).
  line_publisher(common::spsc_ring<common::stream_item>& ring, common::slab_pool& pool,
                 std::size_t max_line_bytes, common::metrics_registry& metrics, common::spool* spool = nullptr,
                 const common::metric_labels& labels = {});

  // Room to decode the next body bytes into (at least min_read_bytes).
  [[nodiscard]] std::span<char> writable();
  // `n` bytes were written at writable().data(); frame them and queue the complete lines.
  void commit(std::size_t n, std::int64_t received_ms);
  // The body ended (cleanly or not): a partial line is queued as `truncated`; the next body starts afresh.
  void end_of_body(std::int64_t received_ms);
  // Last call before the reader stops: hands the current slab back through the ring.
  void finish();
  // The consumer stopped for good (the pipeline failed): waits for ring or slab space end at once, and
  // from then on received bytes are discarded instead of queued. Any thread.
  void abandon() noexcept;

  // An in-band notice (errors-only line with a disconnect_type) seen since the last take.
  [[nodiscard]] std::string take_notice() { return std::exchange(notice_, {}); }
  [[nodiscard]] std::uint64_t lines_in_body() const noexcept { return lines_in_body_; }
  // Lines, heartbeats and oversize lines framed so far (ever): the session's stall clock restarts when it
  // moves, so bytes that never complete a line cannot hold a connection open.
  [[nodiscard]] std::uint64_t frames() const noexcept { return frames_; }
  // Lines currently go to the spool rather than the ring (tests, the progress log).
  [[nodiscard]] bool spooling() const noexcept { return spooling_; }

 private:
  [[nodiscard]] bool rotate();  // false when abandoned while waiting for a slab
  [[nodiscard]] std::span<char> discard_span();
  void push(const common::stream_item& item);
  // A slab's retirement marker: queued now, owed until the spool is drained, or nothing for the scratch.
  void retire(common::slab* s);
  // Moves the incomplete tail line to the start of `next` (which may be the current buffer).
  void move_tail_to(common::slab* next);
  void enter_spool();
  void spool_item(const common::stream_item& item);
  void wait_for_spool_drain(common::spool::append_result why);
  void leave_spool_if_drained();
  void inspect_for_notice(const char* line, std::size_t len);

  common::spsc_ring<common::stream_item>& ring_;
  common::slab_pool& pool_;
  line_framer framer_;
  std::size_t max_line_bytes_;
  common::slab* slab_ = nullptr;
  std::size_t fill_ = 0;
  std::uint64_t lines_in_body_ = 0;
  std::uint64_t frames_ = 0;
  std::string notice_;
  std::atomic<bool> abandoned_{false};
  bool discarding_ = false;   // the last writable() handed out discard_ (the bytes are dropped)
  std::vector<char> discard_; // allocated on first abandonment only
  common::spool* spool_;
  bool spooling_ = false;                // lines go to spool_ until it is drained
  std::vector<char> scratch_bytes_;      // with a spool: one slab's worth, allocated at construction
  common::slab scratch_;                 // wraps scratch_bytes_; never queued, never released to the pool
  // Pool slabs whose retirement markers wait for the end of spooling (in order; owed_done_ already queued).
  std::array<common::slab*, 2> owed_{};
  std::size_t owed_count_ = 0;
  std::size_t owed_done_ = 0;

  common::metric_cell& bytes_;
  common::metric_cell& lines_;
  common::metric_cell& heartbeats_;
  common::metric_cell& ring_high_water_;
  common::metric_cell& ring_full_waits_;
  common::metric_cell& slabs_;
};

}  // namespace spillway::ingest
