#include "common/log.hpp"

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/log_json.hpp"

namespace spillway::common {
namespace {
thread_local std::span<const log_field> current_fields;
}  // namespace

namespace detail {
scoped_log_fields::scoped_log_fields(std::span<const log_field> fields) noexcept : previous_(current_fields) {
  current_fields = fields;
}
scoped_log_fields::~scoped_log_fields() { current_fields = previous_; }
std::span<const log_field> current_log_fields() noexcept { return current_fields; }
}  // namespace detail

log_format parse_log_format(std::string_view name) noexcept {
  return name == "json" ? log_format::json : log_format::text;
}

void init_logging(std::string_view level, log_format format) {
  // Idempotent: a command may re-initialise with the level and format from its config file.
  auto logger = spdlog::get("spillway");
  if (!logger) logger = spdlog::stderr_color_mt("spillway");
  if (format == log_format::json) {
    logger->set_formatter(std::make_unique<json_log_formatter>());
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_default_logger(logger);
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") parsed = spdlog::level::info;
  spdlog::set_level(parsed);
}

std::string log_sample(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  const auto n = bytes.size() < max_bytes ? bytes.size() : max_bytes;
  out.reserve(n + 16);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > n) out += fmt::format("… ({} bytes)", bytes.size());
  return out;
}

}  // namespace spillway::common
