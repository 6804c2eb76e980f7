#pragma once
// Collects every configuration problem (file, line, key, problem, fix) so a run reports all of them
// at once, and raises them as one config_error. Owned by one load call on the thread that loads the
// configuration; holds no references.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace spillway::config {

// One failed check, before it is placed: what is wrong, and what the user should do about it.
// Neither part may contain a secret value.
struct issue {
  std::string problem;
  std::string fix;
};

// Thrown by load_settings*: what() holds every problem, one per line, in the order found.
struct config_error : std::runtime_error {
  explicit config_error(std::vector<std::string> all);
  std::vector<std::string> problems;
};

class problem_list {
 public:
  // `where` is "file.toml:12:5" or "environment variable SPILLWAY_X__Y"; `key` the dotted option.
  void add(std::string_view where, std::string_view key, const issue& what);
  bool empty() const { return lines_.empty(); }
  // Problems placed in the file come first, by line and column (toml++ walks tables in key order,
  // not file order), then those from the environment, in the order found.
  [[noreturn]] void raise() const;

 private:
  struct placed {
    std::size_t line;
    std::size_t column;
    std::string text;
  };
  std::vector<placed> lines_;
};

// Levenshtein distance, for "did you mean" hints.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `typo`, if it is close enough to be a plausible misspelling.
std::optional<std::string> closest_match(std::string_view typo, const std::vector<std::string>& candidates);

}  // namespace spillway::config
