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
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/spsc_ring.hpp"
#include "common/stream_item.hpp"
#include "ingest/stream/line_framer.hpp"

namespace spillway::ingest {

class line_publisher {
 public:
  // Reads are asked for at least this much room; the slab rotates below it.
  static constexpr std::size_t min_read_bytes = 64 * 1024;

  line_publisher(common::spsc_ring<common::stream_item>& ring, common::slab_pool& pool,
                 std::size_t max_line_bytes, common::metrics_registry& metrics);

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

 private:
  [[nodiscard]] bool rotate();  // false when abandoned while waiting for a slab
  [[nodiscard]] std::span<char> discard_span();
  void push(const common::stream_item& item);
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

  common::metric_cell& bytes_;
  common::metric_cell& lines_;
  common::metric_cell& heartbeats_;
  common::metric_cell& ring_high_water_;
  common::metric_cell& ring_full_waits_;
  common::metric_cell& slabs_;
};

}  // namespace spillway::ingest
