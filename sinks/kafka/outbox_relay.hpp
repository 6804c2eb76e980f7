#pragma once
// outbox_relay: walks the RocksDB outbox's single entries in id order and re-produces Posts that are not in flight —
// at start-up, after QUEUE_FULL, after failed delivery reports and after an outage.
//
// Bounded: each step() examines at most `budget` outbox entries from a position that persists between
// steps (a fresh store cursor per step, so no RocksDB version is pinned for long), and holds one line at
// a time in a padded_line reused for every Post (post_extractor re-extracts the rule ids/tags from it).
// Owns: the position, the line buffers, a post_extractor. Thread: the producer (pipeline) thread.
// Must outlive it: the store.
#include <cstdint>
#include <string_view>

#include "sinks/kafka/padded_line.hpp"
#include "sinks/post_extractor.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::sinks::kafka {

struct outbox_totals {
  std::uint64_t posts = 0;
  std::uint64_t bytes = 0;          // sum of the stored lines' sizes
  std::int64_t oldest_received_ms = 0;  // 0 when empty
};

// One full scan (start-up only): how many Posts the outbox holds and their size.
[[nodiscard]] outbox_totals measure_outbox(const store& db);

enum class relay_verdict { produced, skipped, stop };

// What the relay feeds: the sink (or a test double).
class relay_target {
 public:
  virtual ~relay_target() = default;
  // True while the Post is with librdkafka: the relay leaves it alone.
  [[nodiscard]] virtual bool in_flight(std::uint64_t id) const noexcept = 0;
  // produced; skipped (refused: it stays waiting, the cursor moves on); or stop when there is no room
  // (the cursor stays on this entry). `source`: as stored in the outbox (the spillway_source header).
  virtual relay_verdict relay(std::uint64_t id, std::string_view line, const sinks::extracted_post& fields,
                              std::int64_t received_ms, common::post_source source) noexcept = 0;
  // The outbox names a Post that `tweets` no longer holds (retention): nothing is left to deliver.
  virtual void orphan(std::uint64_t id) noexcept = 0;
};

struct relay_step {
  std::size_t examined = 0;
  std::size_t produced = 0;
  bool wrapped = false;  // reached the end of the outbox; the cursor went back to the start
};

class outbox_relay {
 public:
  outbox_relay(const store& db, std::size_t max_line_bytes);

  // Visits outbox entries from the cursor on, at most `budget` of them, handing each one not in flight
  // to `target.relay` with its stored line and re-extracted rules.
  relay_step step(std::size_t budget, relay_target& target);

  void rewind() noexcept { cursor_ = 0; }
  [[nodiscard]] std::uint64_t cursor() const noexcept { return cursor_; }

 private:
  const store& db_;
  sinks::post_extractor extractor_;
  pinned_line stored_;  // the line as RocksDB returns it
  padded_line line_;    // its copy with simdjson's padding
  std::uint64_t cursor_ = 0;
};

}  // namespace spillway::sinks::kafka
