#include "sinks/kafka/delivery_tracker.hpp"

#include <algorithm>
#include <bit>

namespace spillway::sinks::kafka {

delivery_tracker::delivery_tracker(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
  const std::size_t table = std::bit_ceil(capacity_ * 2);
  slots_.resize(table);
  mask_ = table - 1;
  shift_ = 64 - std::countr_zero(table);
}

std::size_t delivery_tracker::home(std::uint64_t id) const noexcept {
  // Fibonacci hashing: snowflake ids differ mostly in their middle bits; the multiply spreads them.
  if (shift_ >= 64) return 0;
  return static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) >> shift_) & mask_;
}

std::size_t delivery_tracker::find(std::uint64_t id) const noexcept {
  for (std::size_t i = home(id);; i = (i + 1) & mask_) {
    if (slots_[i].id == id) return i;
    if (slots_[i].id == 0) return slots_.size();
  }
}

bool delivery_tracker::contains(std::uint64_t id) const noexcept { return id != 0 && find(id) != slots_.size(); }

delivery_tracker::insert_result delivery_tracker::try_insert(std::uint64_t id, std::int64_t received_ms) noexcept {
  if (id == 0) return insert_result::full;  // reserved: never tracked
  std::size_t i = home(id);
  for (; slots_[i].id != 0; i = (i + 1) & mask_) {
    if (slots_[i].id == id) return insert_result::present;
  }
  if (full()) return insert_result::full;
  slots_[i] = {id, received_ms};
  ++size_;
  return insert_result::inserted;
}

bool delivery_tracker::erase(std::uint64_t id, std::int64_t& received_ms) noexcept {
  if (id == 0) return false;
  std::size_t i = find(id);
  if (i == slots_.size()) return false;
  received_ms = slots_[i].received_ms;
  // Backward-shift deletion: move later members of the probe run into the hole, so no tombstones.
  for (std::size_t j = (i + 1) & mask_; slots_[j].id != 0; j = (j + 1) & mask_) {
    const std::size_t h = home(slots_[j].id);
    // Move j into the hole i unless its home lies cyclically in (i, j].
    const bool home_between = i <= j ? (h > i && h <= j) : (h > i || h <= j);
    if (!home_between) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = {};
  --size_;
  return true;
}

std::size_t delivery_tracker::clear() noexcept {
  const std::size_t n = size_;
  if (n > 0) std::fill(slots_.begin(), slots_.end(), slot{});
  size_ = 0;
  return n;
}

std::int64_t delivery_tracker::oldest_received_ms() const noexcept {
  std::int64_t oldest = none;
  if (size_ == 0) return oldest;
  for (const auto& s : slots_) {
    if (s.id != 0 && s.received_ms < oldest) oldest = s.received_ms;
  }
  return oldest;
}

}  // namespace spillway::sinks::kafka
