#pragma once
// ISO 8601 times as X's search and Recovery parameters take them (`start_time`, `end_time`):
// "YYYY-MM-DDTHH:mm:ssZ", optionally with fractional seconds. Pure functions; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spillway::emu {

// Unix ms, or nullopt when `text` is not in that form (X then answers 400).
std::optional<std::int64_t> parse_iso_time(std::string_view text);
// "YYYY-MM-DDTHH:mm:ss.sssZ" (X's created_at form).
std::string iso_time(std::int64_t unix_ms);

}  // namespace spillway::emu
