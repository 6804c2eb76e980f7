#pragma once
// IdClock: hands out X-style snowflake ids, strictly increasing, on a virtual clock so that a seed
// and a start time give the same ids on every run (real time would break byte-identical output).
// Layout (X's public description): (timestamp_ms - 1288834974657) << 22 | worker << 12 | sequence.
// Owns only counters; used by the single emulator thread.

#include <array>
#include <cstdint>
#include <string_view>

namespace spillway::emu {

inline constexpr std::int64_t kTwitterEpochMs = 1288834974657;
inline constexpr std::size_t kIdWidth = 19;        // every id we make is exactly 19 digits
inline constexpr std::size_t kCreatedAtWidth = 24;  // "2026-11-29T12:18:20.123Z"
// The earliest start at which (ms - epoch) << 22 already has 19 digits (mid-2018).
inline constexpr std::int64_t kMinStartMs = 1546300800000;  // 2019-01-01T00:00:00Z

struct PostStamp {
  std::uint64_t id = 0;
  std::int64_t ms = 0;  // the id's own timestamp; created_at is derived from it
};

std::uint64_t make_snowflake(std::int64_t ms, unsigned worker, unsigned sequence);
std::int64_t snowflake_ms(std::uint64_t id);
// Writes exactly kIdWidth digits (zero-padded; real ids of our era never need the padding).
void format_id(std::uint64_t id, char* out);
// Writes exactly kCreatedAtWidth characters, X's created_at format, UTC.
void format_created_at(std::int64_t ms, char* out);

class IdClock {
 public:
  // posts_per_second: how fast virtual time advances per Post (the --rate, or a nominal rate at
  // --rate 0) so that timestamps spread like a real stream's instead of piling into one ms.
  IdClock(std::int64_t start_ms, unsigned worker, double posts_per_second);
  PostStamp next();
  std::uint64_t issued() const { return n_; }

 private:
  std::int64_t start_ms_;
  unsigned worker_;
  double ms_per_post_;
  std::uint64_t n_ = 0;
  std::int64_t last_ms_ = -1;
  unsigned seq_ = 0;
};

}  // namespace spillway::emu
