#include "bench/emu/recovery_window.hpp"

#include <algorithm>

#include "bench/emu/form_codec.hpp"
#include "bench/emu/iso_time.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace {
constexpr std::int64_t kMaxAgeMs = 24LL * 3600 * 1000;

RecoveryRefusal invalid(std::string message) { return RecoveryRefusal{400, invalid_request_body(message)}; }
}  // namespace

std::variant<std::optional<RecoveryWindow>, RecoveryRefusal> read_recovery_window(std::string_view query,
                                                                                    bool recovery_allowed,
                                                                                    std::int64_t now_ms) {
  const auto start = form_value(query, "start_time");
  const auto end = form_value(query, "end_time");
  if (!start && !end) return std::optional<RecoveryWindow>{};
  if (!recovery_allowed) return RecoveryRefusal{403, std::string(x_body::access_forbidden_403)};
  if (!start) return invalid("Recovery needs `start_time` (ISO 8601); `end_time` alone is not a window");
  RecoveryWindow w;
  const auto s = parse_iso_time(*start);
  if (!s) return invalid("Invalid 'start_time':'" + *start + "'. 'start_time' must be a valid ISO 8601 time (YYYY-MM-DDTHH:mm:ssZ).");
  if (*s < now_ms - kMaxAgeMs)
    return invalid("Invalid 'start_time':'" + *start + "'. 'start_time' must be within the last 24 hours (on or after " +
                   iso_time(now_ms - kMaxAgeMs) + ").");
  w.start_ms = *s;
  w.end_ms = now_ms;
  if (end) {
    const auto e = parse_iso_time(*end);
    if (!e) return invalid("Invalid 'end_time':'" + *end + "'. 'end_time' must be a valid ISO 8601 time (YYYY-MM-DDTHH:mm:ssZ).");
    w.end_ms = std::min(*e, now_ms);
  }
  if (w.start_ms >= w.end_ms) return invalid("Invalid 'start_time':'" + *start + "'. 'start_time' must be before 'end_time'.");
  return std::optional<RecoveryWindow>{w};
}

}  // namespace spillway::emu
