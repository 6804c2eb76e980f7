#pragma once
// Conversions between option text and typed values (durations, booleans, integers), and the shape
// checks a string option can carry (URL, host:port, topic name...). Pure functions, no state, any
// thread. A returned issue never quotes the checked value, so a secret cannot leak through one.
// Checks accept "" (an unset option); options that must be set say so with option_spec::required.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/diagnostics.hpp"

namespace spillway::config {

enum class value_check {
  none,
  http_origin,     // http(s)://host[:port], no path, no credentials
  host_port,       // host:port (port 0 allowed: "pick a free port", useful in tests)
  host_port_list,  // comma-separated host:port, at least one
  field_list,      // X API fields/expansions: comma-separated, no spaces
  kafka_topic,     // [A-Za-z0-9._-]{1,249}
  env_var_name,    // [A-Za-z_][A-Za-z0-9_]* or empty
  power_of_two,    // integers only
  connection_count,  // stream.connections: 1 or 2 (X allows 2 concurrent streams on Enterprise only)
};

// "250ms", "5s", "1m", "2h": a whole number and one unit.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
// The largest unit that represents `d` exactly, so parse_duration(format_duration(d)) == d.
std::string format_duration(std::chrono::milliseconds d);
// true/false, 1/0, yes/no, on/off (any case): what people put in environment variables.
std::optional<bool> parse_bool(std::string_view text);
// Decimal digits only; nullopt on anything else or overflow.
std::optional<std::uint64_t> parse_uint(std::string_view text);

std::optional<issue> check_string(value_check check, std::string_view value);
std::optional<issue> check_integer(value_check check, std::uint64_t value);

// A TOML basic string, quotes included, with ", \ and control characters escaped.
std::string toml_quote(std::string_view text);
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);

}  // namespace spillway::config
