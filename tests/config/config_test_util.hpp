#pragma once
// Helpers shared by the config tests: load TOML text with an injected environment and get either
// the settings or the list of problems.
#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "config/options.hpp"

namespace spillway::config::test {

inline settings load(std::string_view text, const env_lookup& env = {}) {
  return load_settings_from_string(text, "test.toml", env);
}

// The problems a load reports; fails the test if the load succeeds.
inline std::vector<std::string> problems_of(std::string_view text, const env_lookup& env = {}) {
  try {
    (void)load(text, env);
  } catch (const config_error& e) {
    return e.problems;
  }
  FAIL("expected a config_error for:\n" << text);
  return {};
}

inline bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Each of `needles` is in `text`; a miss names the needle.
inline void check_contains_all(std::string_view text, std::initializer_list<std::string_view> needles) {
  for (const auto needle : needles) {
    INFO("expected: " << needle);
    CHECK(contains(text, needle));
  }
}

// Every option with a value reads the same in `a` and `b` (a round trip through some rendering).
inline void check_same_options(const settings& a, const settings& b) {
  for (const auto& spec : option_table()) {
    if (spec.field == nullptr) continue;
    INFO(spec.key);
    CHECK(read_option(spec, a) == read_option(spec, b));
  }
}

// Runs of spaces and line breaks as one space, so text wrapped into lines compares with the one-line
// original. `line_prefix`: what starts each wrapped line and is dropped with the break ("# " in comments).
inline std::string squash(std::string_view text, std::string_view line_prefix = "") {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n' && !line_prefix.empty() && text.substr(i + 1).starts_with(line_prefix)) i += line_prefix.size();
    const bool space = c == ' ' || c == '\n';
    if (!space) out += c;
    else if (!out.empty() && out.back() != ' ') out += ' ';
  }
  return out;
}

// The length of the longest line: output meant for a terminal keeps it at 100 or less.
inline std::size_t longest_line(std::string_view text) {
  std::size_t longest = 0;
  for (std::size_t start = 0; start < text.size();) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    longest = std::max(longest, end - start);
    start = end + 1;
  }
  return longest;
}

}  // namespace spillway::config::test
