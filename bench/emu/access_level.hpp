#pragma once
// AccessLevel: the X API access tier the emulator plays (--access), and what each tier allows on
// the filtered stream. Source: X's "About the X API" access-level table — the filtered stream and
// its rules exist only from Pro up; Pro (and pay-per-use) get 1 connection, 1,000 rules of 1,024
// chars and no backfill; Enterprise gets 2 connections, 25,000 rules of 2,048 chars, backfill and
// Recovery. Search: recent for every level (queries of 512 chars below Pro, 1,024, 4,096 on
// Enterprise); the full archive (/all) for pay-per-use and Enterprise (XAPI.md "Healing longer gaps").
// Pure values; no state.

#include <array>
#include <optional>
#include <string_view>

namespace spillway::emu {

enum class AccessLevel { free, basic, pro, payg, enterprise };

// The --access values, in the order the flag's help lists them.
inline constexpr std::array<std::string_view, 5> kAccessLevelNames = {"free", "basic", "pro", "payg", "enterprise"};

inline std::optional<AccessLevel> parse_access_level(std::string_view name) {
  for (std::size_t i = 0; i < kAccessLevelNames.size(); ++i)
    if (kAccessLevelNames[i] == name) return AccessLevel(i);
  return std::nullopt;
}

struct AccessCaps {
  bool filtered_stream = true;  // false: stream and rules endpoints answer 403 client-forbidden
  int max_connections = 1;      // concurrent streams (an explicit --max-connections wins)
  std::size_t max_rules = 1000;
  std::size_t max_rule_length = 1024;
  bool backfill = true;  // backfill_minutes honoured
  bool recovery = true;  // start_time/end_time on the stream (Recovery: Enterprise)
  bool search_all = true;  // GET /2/tweets/search/all (full archive: pay-per-use and Enterprise)
  std::size_t max_query_length = 1024;  // search `query` (X: 1,024; 4,096 on Enterprise)
};

// No --access: the emulator's historical defaults (Pro-like caps, but backfill honoured).
inline AccessCaps caps_for(std::optional<AccessLevel> level) {
  if (!level) return AccessCaps{};
  switch (*level) {
    case AccessLevel::free:
    case AccessLevel::basic: return AccessCaps{false, 1, 1000, 1024, false, false, false, 512};
    case AccessLevel::pro: return AccessCaps{true, 1, 1000, 1024, false, false, false, 1024};
    case AccessLevel::payg: return AccessCaps{true, 1, 1000, 1024, false, false, true, 1024};
    case AccessLevel::enterprise: return AccessCaps{true, 2, 25000, 2048, true, true, true, 4096};
  }
  return AccessCaps{};
}

}  // namespace spillway::emu
