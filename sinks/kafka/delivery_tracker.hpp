#pragma once
// delivery_tracker: the set of Post ids handed to librdkafka from single outbox entries (the relay's; a
// record's Posts are counted by record_ledger instead) and not yet reported, with the
// time each was received (for the receive→delivered latency and the oldest-outbox-age gauge).
//
// Why: the outbox relay must not produce a Post a second time while its first copy is still in flight.
// An open-addressing table (linear probing, backward-shift deletion) sized once at start for the bounded
// librdkafka queue, so insert/erase never allocate — the hot path has no per-Post heap allocation.
// Owns: the slot array. Thread: the producer (pipeline) thread only.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace spillway::sinks::kafka {

class delivery_tracker {
 public:
  // Holds up to `capacity` ids (the table is at least twice that, so probes stay short).
  explicit delivery_tracker(std::size_t capacity);

  // False when the id is already tracked or the tracker is full. Id 0 is reserved (never a Post id).
  [[nodiscard]] bool insert(std::uint64_t id, std::int64_t received_ms) noexcept {
    return try_insert(id, received_ms) == insert_result::inserted;
  }
  // The same in one probe, saying why not: the live path needs "already on its way" apart from "full"
  // without a contains() walk first (the table is larger than the cache: each walk is a miss).
  enum class insert_result { inserted, present, full };
  [[nodiscard]] insert_result try_insert(std::uint64_t id, std::int64_t received_ms) noexcept;
  // False when not tracked; else removes it and returns its received time.
  [[nodiscard]] bool erase(std::uint64_t id, std::int64_t& received_ms) noexcept;
  [[nodiscard]] bool contains(std::uint64_t id) const noexcept;
  // Forgets every id (their producer is gone); returns how many there were.
  std::size_t clear() noexcept;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] bool full() const noexcept { return size_ >= capacity_; }

  // Smallest received time tracked (a scan: call at most once a second). max() when empty.
  [[nodiscard]] std::int64_t oldest_received_ms() const noexcept;

  static constexpr std::int64_t none = std::numeric_limits<std::int64_t>::max();

 private:
  struct slot {
    std::uint64_t id = 0;  // 0 = empty
    std::int64_t received_ms = 0;
  };
  [[nodiscard]] std::size_t home(std::uint64_t id) const noexcept;
  [[nodiscard]] std::size_t find(std::uint64_t id) const noexcept;  // index, or slots_.size()

  std::vector<slot> slots_;
  std::size_t mask_ = 0;
  int shift_ = 0;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace spillway::sinks::kafka
