#include "sinks/rocksdb/dedup_window.hpp"

#include <bit>

namespace spillway::sinks {

namespace {
// Snowflake ids share their high bits within a window; a multiplicative mix spreads the low bits.
std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}
}  // namespace

dedup_window::dedup_window(std::size_t capacity)
    : capacity_(capacity < 1 ? 1 : capacity),
      mask_(std::bit_ceil(capacity_ * 2) - 1),
      table_(mask_ + 1, 0),
      fifo_(capacity_, 0) {}

std::size_t dedup_window::slot_of(std::uint64_t id) const noexcept {
  std::size_t i = mix(id) & mask_;
  while (table_[i] != 0 && table_[i] != id) i = (i + 1) & mask_;
  return i;
}

void dedup_window::prefetch(std::uint64_t id) const noexcept { __builtin_prefetch(&table_[mix(id) & mask_]); }

bool dedup_window::contains(std::uint64_t id) const noexcept { return id != 0 && table_[slot_of(id)] == id; }

void dedup_window::insert(std::uint64_t id) noexcept {
  if (id == 0) return;
  if (size_ == capacity_) {
    const auto oldest = fifo_[fifo_head_];
    erase(oldest);
    if (oldest > floor_) floor_ = oldest;
    fifo_head_ = (fifo_head_ + 1) % capacity_;
    --size_;
  }
  table_[slot_of(id)] = id;
  fifo_[(fifo_head_ + size_) % capacity_] = id;
  ++size_;
}

// Backward-shift deletion keeps probe chains intact without tombstones (linear probing).
void dedup_window::erase(std::uint64_t id) noexcept {
  std::size_t hole = slot_of(id);
  if (table_[hole] != id) return;
  table_[hole] = 0;
  for (std::size_t i = (hole + 1) & mask_; table_[i] != 0; i = (i + 1) & mask_) {
    const std::size_t home = mix(table_[i]) & mask_;
    // Move the entry into the hole if its home slot is not cyclically within (hole, i].
    const bool home_between = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
    if (!home_between) {
      table_[hole] = table_[i];
      table_[i] = 0;
      hole = i;
    }
  }
}

}  // namespace spillway::sinks
