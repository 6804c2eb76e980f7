#pragma once
// StatusPage: the body of GET /api/v2/status.json, the statuspage.io summary X's status page serves
// (page + status{indicator, description}); --status picks the indicator. Pure; no state.

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace spillway::emu {

enum class StatusLevel { none, minor, major, critical };

// The --status values (statuspage.io indicators), in enum order.
inline constexpr std::array<std::string_view, 4> kStatusLevelNames = {"none", "minor", "major", "critical"};

inline std::optional<StatusLevel> parse_status_level(std::string_view name) {
  for (std::size_t i = 0; i < kStatusLevelNames.size(); ++i)
    if (kStatusLevelNames[i] == name) return StatusLevel(i);
  return std::nullopt;
}

// statuspage.io's standard descriptions for each indicator.
inline std::string_view status_description(StatusLevel level) {
  switch (level) {
    case StatusLevel::none: return "All Systems Operational";
    case StatusLevel::minor: return "Minor Service Outage";
    case StatusLevel::major: return "Partial System Outage";
    case StatusLevel::critical: return "Major System Outage";
  }
  return "";
}

// base_url: the emulator's own URL ("http://127.0.0.1:PORT"); contains no characters JSON escapes.
inline std::string status_page_body(StatusLevel level, std::string_view base_url) {
  std::string s = R"js({"page":{"id":"emu","name":"X API (emulated)","url":")js";
  s.append(base_url);
  s += R"("},"status":{"indicator":")";
  s.append(kStatusLevelNames[std::size_t(level)]);
  s += R"(","description":")";
  s.append(status_description(level));
  s += R"("}})";
  return s;
}

}  // namespace spillway::emu
