#pragma once
// The option table: every configuration key declared once (key, type, help, limits, secrecy, and
// where it lives in `settings`). Parsing, validation, environment overrides, `config --help`, the
// README reference and `config check` all iterate this table; defaults come from `settings{}`.
// The table is immutable static data, safe to read from any thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/settings.hpp"
#include "config/values.hpp"

namespace spillway::config {

enum class option_type { string, boolean, integer, duration, properties, rules };

using option_value = std::variant<std::string, bool, std::uint64_t, std::chrono::milliseconds>;
using field_ref = std::variant<std::string*, bool*, std::uint64_t*, std::uint32_t*, std::chrono::milliseconds*>;

struct option_spec {
  std::string_view key;  // dotted TOML path, e.g. "sinks.kafka.topic"
  option_type type;
  std::string_view help;
  field_ref (*field)(settings&) = nullptr;  // null for the structured options (properties, rules)
  std::uint64_t min = 0;                    // integers: the value; durations: milliseconds
  std::uint64_t max = 0;                    // 0: no upper bound
  std::vector<std::string_view> allowed{};  // strings: the only accepted values, if any
  value_check check = value_check::none;
  bool required = false;                    // strings: "" is an error
  bool secret = false;                      // never printed, never quoted in an error
};

const std::vector<option_spec>& option_table();

// The disk watermark in bytes for a filesystem of `filesystem_bytes`: the configured value, or for 0
// (auto) the larger of 1 GiB and 5% of the filesystem; the resume margin likewise (auto: the larger of
// 256 MiB and 1%). Pure; any thread.
// pipeline.spool_path, or beside the database when it is empty.
[[nodiscard]] std::string effective_spool_path(const settings& s);
[[nodiscard]] std::uint64_t effective_min_free_bytes(const rocksdb_settings& r, std::uint64_t filesystem_bytes);
[[nodiscard]] std::uint64_t effective_free_margin_bytes(const rocksdb_settings& r, std::uint64_t filesystem_bytes);
const option_spec* find_option(std::string_view key);
// Tables that exist only to hold options: "stream", "sinks", "sinks.kafka", ...
bool is_known_table(std::string_view path);

// SPILLWAY_<SECTION>__<KEY>: the section's dots become '_', then "__", then the key; all upper case.
// Top-level keys have no section: log_level -> SPILLWAY_LOG_LEVEL.
std::string env_var_name(std::string_view key);
inline constexpr std::string_view env_prefix = "SPILLWAY_";
inline constexpr std::string_view property_env_prefix = "SPILLWAY_SINKS_KAFKA_PROPERTIES__";

// "sinks.kafka.topic" -> "sinks.kafka" and "topic"; a top-level key has an empty section.
std::string_view section_of(std::string_view key);
std::string_view leaf_of(std::string_view key);

std::string_view type_name(option_type type);
option_value read_option(const option_spec& spec, const settings& s);
void write_option(const option_spec& spec, settings& s, const option_value& value);
// The value as it is written in TOML: "\"text\"", "true", "512", "\"30s\"".
std::string format_value(const option_spec& spec, const option_value& value);
// Range, allowed values, required, shape. Never quotes a secret.
std::optional<issue> validate(const option_spec& spec, const option_value& value);

}  // namespace spillway::config
