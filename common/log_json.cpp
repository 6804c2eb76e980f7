#include "common/log_json.hpp"

#include <array>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "common/log.hpp"

namespace spillway::common {
namespace {

// The config's level names, so a log query uses the same words as log_level.
std::string_view level_name(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// Length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + need >= text.size()) return 0;  // truncated at the end of the text
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k <= need; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return need + 1;
}

void append(spdlog::memory_buf_t& out, std::string_view text) { out.append(text.data(), text.data() + text.size()); }

void append_timestamp(spdlog::memory_buf_t& out, spdlog::log_clock::time_point when) {
  const auto since_epoch = when.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
  const std::time_t t = static_cast<std::time_t>(seconds.count());
  std::tm utc{};
  gmtime_r(&t, &utc);
  fmt::format_to(std::back_inserter(out), "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z\"", utc.tm_year + 1900,
                 utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

void append_value(spdlog::memory_buf_t& out, const log_field::value_type& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    fmt::format_to(std::back_inserter(out), "{}", *i);
  } else if (const auto* d = std::get_if<double>(&value)) {
    // JSON has no NaN or infinity.
    if (std::isfinite(*d)) fmt::format_to(std::back_inserter(out), "{}", *d);
    else append(out, "null");
  } else if (const auto* b = std::get_if<bool>(&value)) {
    append(out, *b ? "true" : "false");
  } else {
    append_json_string(out, std::get<std::string_view>(value));
  }
}

}  // namespace

void append_json_string(spdlog::memory_buf_t& out, std::string_view text) {
  static constexpr std::array<char, 16> hex{'0', '1', '2', '3', '4', '5', '6', '7',
                                            '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
  out.push_back('"');
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\n') {
      append(out, "\\n");
      ++i;
    } else if (c == '\t') {
      append(out, "\\t");
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      append(out, "\\u00");
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xF]);
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (const auto n = utf8_sequence_length(text, i); n > 0) {
      append(out, text.substr(i, n));
      i += n;
    } else {
      append(out, "\\ufffd");  // one replacement per byte that does not start a well-formed sequence
      ++i;
    }
  }
  out.push_back('"');
}

void json_log_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  append(dest, "{\"ts\":");
  append_timestamp(dest, msg.time);
  append(dest, ",\"level\":\"");
  append(dest, level_name(msg.level));
  append(dest, "\",\"msg\":");
  append_json_string(dest, std::string_view(msg.payload.data(), msg.payload.size()));
  for (const auto& field : detail::current_log_fields()) {
    dest.push_back(',');
    append_json_string(dest, field.key);
    dest.push_back(':');
    append_value(dest, field.value);
  }
  append(dest, "}\n");
}

std::unique_ptr<spdlog::formatter> json_log_formatter::clone() const { return std::make_unique<json_log_formatter>(); }

}  // namespace spillway::common
