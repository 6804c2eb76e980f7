#pragma once
// A read-only view of environment variables, so tests inject their own and the loader never
// touches the process environment directly. Owns a copy of the variables it holds; immutable after
// construction, so it may be shared between threads.
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spillway::config {

class env_lookup {
 public:
  using map_type = std::map<std::string, std::string, std::less<>>;

  env_lookup() = default;  // an empty environment
  env_lookup(std::initializer_list<map_type::value_type> vars) : vars_(vars) {}
  explicit env_lookup(map_type vars) : vars_(std::move(vars)) {}

  // Snapshot of the process's SPILLWAY_* variables. Only those: the loader needs nothing else,
  // and copying the whole environment would copy the bearer token too.
  static env_lookup from_process();

  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> names_with_prefix(std::string_view prefix) const;

 private:
  map_type vars_;
};

}  // namespace spillway::config
