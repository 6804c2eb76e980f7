#pragma once
// dedup_window: remembers the most recent N Post ids so duplicates are dropped without touching RocksDB.
//
// Owns: a fixed open-addressing hash table (2N slots, linear probing, tombstone-free deletion) and a FIFO
// of the ids in insertion order, both allocated once: inserting and evicting never allocate.
// Thread: the pipeline thread only.
//
// Ids older than everything the window still holds (below `floor()`) cannot be vouched for by the window;
// the caller checks those against RocksDB. Post ids are time-ordered snowflakes, so in steady state new
// ids are above the floor and the hot path does no reads; only backfill of old Posts reaches RocksDB.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spillway::sinks {

class dedup_window {
 public:
  explicit dedup_window(std::size_t capacity);

  [[nodiscard]] bool contains(std::uint64_t id) const noexcept;
  // Starts loading the cache line contains(id) and insert(id) read first; a hint, no effect on the contents.
  void prefetch(std::uint64_t id) const noexcept;
  // Adds id (must not be contained already), evicting the oldest insertion when full.
  void insert(std::uint64_t id) noexcept;

  // The largest id ever evicted: ids <= floor() may be stored yet absent from the window.
  [[nodiscard]] std::uint64_t floor() const noexcept { return floor_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Marks ids <= id as "ask RocksDB" (used after warming from the newest stored ids).
  void raise_floor(std::uint64_t id) noexcept {
    if (id > floor_) floor_ = id;
  }

 private:
  [[nodiscard]] std::size_t slot_of(std::uint64_t id) const noexcept;
  void erase(std::uint64_t id) noexcept;

  std::size_t capacity_;
  std::size_t mask_;
  std::vector<std::uint64_t> table_;  // 0 = empty (Post ids are never 0)
  std::vector<std::uint64_t> fifo_;
  std::size_t fifo_head_ = 0;  // oldest entry
  std::size_t size_ = 0;
  std::uint64_t floor_ = 0;
};

}  // namespace spillway::sinks
