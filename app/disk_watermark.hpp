#pragma once
// disk_watermark: the decision part of the disk guard. Fed the free bytes of the database's filesystem at
// each sample, it says when to close the stream (free < min_free), when to reconnect (free back at or
// above min_free + margin: the margin keeps a filesystem hovering at the mark from flapping the stream),
// and when the "still low" error is due again (every log_every while low, so an operator who missed the
// first line sees it again, without one line per sample).
//
// Pure: no I/O; time comes from an injected steady clock (tests drive it by hand). Owns its state only.
// Thread: one owner (in the service, the disk guard thread); not thread-safe. Must outlive it: the clock.
#include <chrono>
#include <cstdint>
#include <limits>

#include "common/clock.hpp"

namespace spillway::app {

enum class disk_event {
  none,       // nothing to do
  went_low,   // free space fell below the mark: close the stream, log the error
  still_low,  // still below the resume level and log_every has passed: log the error again
  recovered,  // free space is back at or above mark + margin: reconnect
};

template <common::steady_clock_like Steady>
class basic_disk_watermark {
 public:
  static constexpr std::chrono::milliseconds default_log_every{30'000};

  basic_disk_watermark(std::uint64_t min_free_bytes, std::uint64_t margin_bytes, const Steady& clock,
                       std::chrono::milliseconds log_every = default_log_every)
      : min_free_(min_free_bytes),
        resume_at_(margin_bytes > std::numeric_limits<std::uint64_t>::max() - min_free_bytes
                       ? std::numeric_limits<std::uint64_t>::max()
                       : min_free_bytes + margin_bytes),
        clock_(clock),
        log_every_(log_every) {}

  // One sample of the filesystem's free bytes.
  [[nodiscard]] disk_event observe(std::uint64_t free_bytes) {
    const auto now = clock_.now();
    if (!low_) {
      if (free_bytes >= min_free_) return disk_event::none;
      low_ = true;
      next_log_ = now + log_every_;
      return disk_event::went_low;
    }
    if (free_bytes >= resume_at_) {
      low_ = false;
      return disk_event::recovered;
    }
    if (now < next_log_) return disk_event::none;
    // From now, not from the last due time: after a long pause (a suspended VM) one line, not a burst.
    next_log_ = now + log_every_;
    return disk_event::still_low;
  }

  [[nodiscard]] bool low() const noexcept { return low_; }
  [[nodiscard]] std::uint64_t min_free_bytes() const noexcept { return min_free_; }
  // Free bytes needed to reconnect after a low period: min_free + margin (saturating).
  [[nodiscard]] std::uint64_t resume_bytes() const noexcept { return resume_at_; }

 private:
  std::uint64_t min_free_;
  std::uint64_t resume_at_;
  const Steady& clock_;
  std::chrono::milliseconds log_every_;
  bool low_ = false;
  typename Steady::time_point next_log_{};
};

using disk_watermark = basic_disk_watermark<common::steady_clock_source>;

}  // namespace spillway::app
