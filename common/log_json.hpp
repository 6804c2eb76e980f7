#pragma once
// log_json: the JSON log line — {"ts":"…Z","level":"…","msg":"…",<fields>} and a newline — as an spdlog
// formatter, and the JSON string escaping it uses (also valid for messages carrying untrusted bytes:
// control bytes become \u00XX and invalid UTF-8 becomes U+FFFD, so every line parses).
//
// Owns: nothing beyond the formatter object spdlog holds. Thread: whichever thread logs (spdlog calls
// format() under its sink mutex). The fields come from common::detail::current_log_fields().
#include <memory>
#include <string_view>

#include <spdlog/formatter.h>

namespace spillway::common {

// Appends `text` as a JSON string (quotes included) to `out`.
void append_json_string(spdlog::memory_buf_t& out, std::string_view text);

class json_log_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;
};

}  // namespace spillway::common
