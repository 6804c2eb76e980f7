#include "bench/emu/iso_time.hpp"

#include <ctime>

#include "bench/emu/snowflake.hpp"

namespace spillway::emu {
namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_iso_time(std::string_view s) {
  int y, mo, d, h, mi, se;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d) || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) ||
      s[16] != ':' || !digits(s, 17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::size_t p = 19;
  int ms = 0;
  if (s[p] == '.') {
    int scale = 100;
    for (++p; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, scale /= 10) ms += (s[p] - '0') * scale;
  }
  if (p + 1 != s.size() || s[p] != 'Z') return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d, tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = se;
  return std::int64_t(timegm(&tm)) * 1000 + ms;
}

std::string iso_time(std::int64_t unix_ms) {
  char buf[kCreatedAtWidth];
  format_created_at(unix_ms, buf);
  return std::string(buf, kCreatedAtWidth);
}

}  // namespace spillway::emu
