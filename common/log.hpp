#pragma once
// Logging setup: one spdlog logger to stderr, shared by every thread (spdlog's _mt sinks are thread-safe),
// written as text for people or as one JSON object per line for log shippers (log_format).
// Hot paths never log per Post; they count, and log the first occurrence of each kind with a sample.
//
// Structured fields (log_with): the message stays a sentence for people; the fields repeat its facts
// under stable keys (reason, status, wait_ms, endpoint, …) for machines. Text lines show the message
// only; JSON lines carry both. Fields are handed to the formatter through a thread-local pointer that
// lives only for the one spdlog call (the logger is synchronous: it formats on the calling thread).
// Never put a secret in a field: fields are logged as given.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include <spdlog/spdlog.h>

namespace spillway::common {

enum class log_format : std::uint8_t { text, json };

// "text" | "json"; anything else is text (the config loader rejects other values before this is called).
[[nodiscard]] log_format parse_log_format(std::string_view name) noexcept;

// level: trace|debug|info|warn|error|critical|off. Unknown names fall back to info.
void init_logging(std::string_view level, log_format format = log_format::text);

// A printable, bounded excerpt of untrusted bytes for a log line: control bytes escaped, cut at max_bytes.
std::string log_sample(std::string_view bytes, std::size_t max_bytes = 160);

// One structured field: a key and a number, a flag or text (numbers stay numbers in JSON).
struct log_field {
  using value_type = std::variant<std::int64_t, double, bool, std::string_view>;

  template <typename T>
    requires std::is_integral_v<T> && (!std::is_same_v<T, bool>)
  log_field(std::string_view k, T v) : key(k), value(static_cast<std::int64_t>(v)) {}
  log_field(std::string_view k, double v) : key(k), value(v) {}
  log_field(std::string_view k, bool v) : key(k), value(v) {}
  log_field(std::string_view k, std::string_view v) : key(k), value(v) {}
  log_field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}

  std::string_view key;
  value_type value;
};

namespace detail {
// Sets the fields the formatter sees for the duration of one log call on this thread.
class scoped_log_fields {
 public:
  explicit scoped_log_fields(std::span<const log_field> fields) noexcept;
  ~scoped_log_fields();
  scoped_log_fields(const scoped_log_fields&) = delete;
  scoped_log_fields& operator=(const scoped_log_fields&) = delete;

 private:
  std::span<const log_field> previous_;
};
[[nodiscard]] std::span<const log_field> current_log_fields() noexcept;
}  // namespace detail

// spdlog::log with structured fields: log_with(spdlog::level::warn, {{"reason", r}, {"wait_ms", ms}}, "...", ...)
template <typename... Args>
void log_with(spdlog::level::level_enum level, std::initializer_list<log_field> fields,
              spdlog::format_string_t<Args...> format, Args&&... args) {
  if (!spdlog::should_log(level)) return;
  const detail::scoped_log_fields scope({fields.begin(), fields.size()});
  spdlog::log(level, format, std::forward<Args>(args)...);
}

}  // namespace spillway::common
