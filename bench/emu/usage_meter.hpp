#pragma once
// UsageMeter: the project's Post consumption as X bills it — every Post written to a stream (backfill
// included) counts — against the project cap (--usage-cap; 0 = no cap, reported as 0) that resets on
// a day of the month (--usage-reset-day). GET /2/usage/tweets reports it; once the cap is used up, new
// stream connects get 429 UsageCapExceeded and open streams end (X stops delivering at the cap).
// --usage-start sets what was consumed before the emulator started, so tests reach a threshold without
// streaming millions of Posts. Counts per UTC day as well (daily_project_usage).
// Owns only counters. Used on the emulator's io thread.

#include <cstdint>
#include <limits>
#include <map>

namespace spillway::emu {

class UsageMeter {
 public:
  UsageMeter(std::uint64_t cap, int reset_day, std::uint64_t start) : cap_(cap), reset_day_(reset_day), used_(start) {}

  // n Posts went out at Unix ms now_ms.
  void add(std::uint64_t n, std::int64_t now_ms) {
    used_ += n;
    if (n > 0) daily_[now_ms / kDayMs] += n;
  }
  // Posts that may still go out before the cap (max for no cap).
  std::uint64_t remaining() const {
    if (cap_ == 0) return std::numeric_limits<std::uint64_t>::max();
    return used_ >= cap_ ? 0 : cap_ - used_;
  }
  bool capped() const { return cap_ != 0 && used_ >= cap_; }
  std::uint64_t used() const { return used_; }
  std::uint64_t cap() const { return cap_; }
  int reset_day() const { return reset_day_; }
  // Posts by UTC day (days since the epoch), oldest first; what this emulator streamed itself.
  const std::map<std::int64_t, std::uint64_t>& daily() const { return daily_; }
  static constexpr std::int64_t kDayMs = 86'400'000;

 private:
  std::uint64_t cap_;
  int reset_day_;
  std::uint64_t used_;
  std::map<std::int64_t, std::uint64_t> daily_;
};

}  // namespace spillway::emu
