#pragma once
// Figures for people: "12,345" on progress lines, `spillway top` and summaries. Pure; any thread.
#include <cstdint>
#include <string>

namespace spillway::app {

[[nodiscard]] inline std::string grouped_count(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t k = 0; k < digits.size(); ++k) {
    if (k != 0 && (digits.size() - k) % 3 == 0) out += ',';
    out += digits[k];
  }
  return out;
}

}  // namespace spillway::app
