#include "config/env_lookup.hpp"

#include <unistd.h>

#include "config/options.hpp"

namespace spillway::config {

env_lookup env_lookup::from_process() {
  map_type vars;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || !text.starts_with(env_prefix)) continue;
    vars.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return env_lookup(std::move(vars));
}

std::optional<std::string> env_lookup::get(std::string_view name) const {
  const auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> env_lookup::names_with_prefix(std::string_view prefix) const {
  std::vector<std::string> names;
  for (auto it = vars_.lower_bound(prefix); it != vars_.end() && it->first.starts_with(prefix); ++it) {
    names.push_back(it->first);
  }
  return names;
}

}  // namespace spillway::config
