#pragma once
// outbox_relay: walks the RocksDB outbox in id order and re-produces Posts that are not in flight —
// at start-up, after QUEUE_FULL, after failed delivery reports and after an outage.
//
// Bounded: each step() examines at most `budget` outbox entries from a cursor that persists between
// steps (a fresh iterator per step, so no RocksDB version is pinned for long), and holds one line at a
// time in a buffer reused for every Post (padded for simdjson, which re-extracts the rule ids/tags).
// Owns: the cursor, the line buffer, a post_extractor. Thread: the producer (pipeline) thread.
// Must outlive it: the store.
#include <cstdint>
#include <string>
#include <string_view>

#include "sinks/post_extractor.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::sinks::kafka {

struct outbox_totals {
  std::uint64_t posts = 0;
  std::uint64_t bytes = 0;          // sum of the stored lines' sizes
  std::int64_t oldest_received_ms = 0;  // 0 when empty
};

// One full scan (start-up only): how many Posts the outbox holds and their size.
[[nodiscard]] outbox_totals measure_outbox(store& db);

enum class relay_verdict { produced, skipped, stop };

// What the relay feeds: the sink (or a test double).
class relay_target {
 public:
  virtual ~relay_target() = default;
  // True while the Post is with librdkafka: the relay leaves it alone.
  [[nodiscard]] virtual bool in_flight(std::uint64_t id) const noexcept = 0;
  // produced; skipped (refused: it stays waiting, the cursor moves on); or stop when there is no room
  // (the cursor stays on this entry).
  virtual relay_verdict relay(std::uint64_t id, std::string_view line, const sinks::extracted_post& fields,
                              std::int64_t received_ms) noexcept = 0;
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
  outbox_relay(store& db, std::size_t max_line_bytes);

  // Visits outbox entries from the cursor on, at most `budget` of them, handing each one not in flight
  // to `target.relay` with its stored line and re-extracted rules.
  relay_step step(std::size_t budget, relay_target& target);

  void rewind() noexcept { cursor_ = 0; }
  [[nodiscard]] std::uint64_t cursor() const noexcept { return cursor_; }

 private:
  store& db_;
  sinks::post_extractor extractor_;
  std::string line_;  // capacity max_line_bytes + simdjson padding
  std::uint64_t cursor_ = 0;
};

// Reads an 8-byte big-endian received_at (Unix ms) from an outbox value; 0 when malformed.
[[nodiscard]] std::int64_t decode_received_ms(std::string_view value) noexcept;

}  // namespace spillway::sinks::kafka
