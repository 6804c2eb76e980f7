#pragma once
// Helpers shared by the config tests: load TOML text with an injected environment and get either
// the settings or the list of problems.
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "config/loader.hpp"

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

}  // namespace spillway::config::test
