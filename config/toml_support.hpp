#pragma once
// Small helpers shared by the loaders of config/: where a TOML node sits in the file, and what kind
// of value it is, in the words an error message uses. Header-only; pure; any thread.
#include <string>
#include <string_view>

#include <toml++/toml.h>

namespace spillway::config {

// "file.toml:12:5" (or just the file name when toml++ has no position for the node).
inline std::string position(std::string_view source, const toml::source_region& region) {
  std::string where(source);
  if (region.begin.line != 0) {
    where += ':' + std::to_string(region.begin.line) + ':' + std::to_string(region.begin.column);
  }
  return where;
}

inline std::string_view node_kind(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::none: break;
  }
  return "nothing";
}

}  // namespace spillway::config
