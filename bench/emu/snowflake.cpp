#include "bench/emu/snowflake.hpp"

#include <ctime>

namespace spillway::emu {

std::uint64_t make_snowflake(std::int64_t ms, unsigned worker, unsigned sequence) {
  return (static_cast<std::uint64_t>(ms - kTwitterEpochMs) << 22) |
         (static_cast<std::uint64_t>(worker & 0x3FFu) << 12) | (sequence & 0xFFFu);
}

std::int64_t snowflake_ms(std::uint64_t id) { return static_cast<std::int64_t>(id >> 22) + kTwitterEpochMs; }

void format_id(std::uint64_t id, char* out) {
  for (std::size_t i = kIdWidth; i-- > 0;) {
    out[i] = static_cast<char>('0' + id % 10);
    id /= 10;
  }
}

namespace {
void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}
}  // namespace

void format_created_at(std::int64_t ms, char* out) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const unsigned year = static_cast<unsigned>(tm.tm_year + 1900);
  put2(out, year / 100);
  put2(out + 2, year % 100);
  out[4] = '-';
  put2(out + 5, static_cast<unsigned>(tm.tm_mon + 1));
  out[7] = '-';
  put2(out + 8, static_cast<unsigned>(tm.tm_mday));
  out[10] = 'T';
  put2(out + 11, static_cast<unsigned>(tm.tm_hour));
  out[13] = ':';
  put2(out + 14, static_cast<unsigned>(tm.tm_min));
  out[16] = ':';
  put2(out + 17, static_cast<unsigned>(tm.tm_sec));
  out[19] = '.';
  const unsigned milli = static_cast<unsigned>(ms % 1000);
  out[20] = static_cast<char>('0' + milli / 100);
  put2(out + 21, milli % 100);
  out[23] = 'Z';
}

IdClock::IdClock(std::int64_t start_ms, unsigned worker, double posts_per_second)
    : start_ms_(start_ms), worker_(worker), ms_per_post_(1000.0 / posts_per_second) {}

PostStamp IdClock::next() {
  std::int64_t ms = start_ms_ + static_cast<std::int64_t>(static_cast<double>(n_) * ms_per_post_);
  ++n_;
  if (ms <= last_ms_) {
    ms = last_ms_;
    // 12 sequence bits: past 4096 Posts in one virtual ms, borrow the next ms (ids stay increasing).
    if (++seq_ > 0xFFFu) {
      ++ms;
      seq_ = 0;
    }
  } else {
    seq_ = 0;
  }
  last_ms_ = ms;
  return PostStamp{make_snowflake(ms, worker_, seq_), ms};
}

}  // namespace spillway::emu
