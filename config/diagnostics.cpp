#include "config/diagnostics.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <numeric>

namespace spillway::config {
namespace {

// The line and column at the end of "file.toml:12:5"; "none" sorts after every file position.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view where) {
  constexpr auto none = std::numeric_limits<std::size_t>::max();
  std::size_t numbers[2] = {none, none};
  for (int i = 1; i >= 0; --i) {
    const auto colon = where.rfind(':');
    if (colon == std::string_view::npos) return {none, none};
    const auto digits = where.substr(colon + 1);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return {none, none};
    std::from_chars(digits.data(), digits.data() + digits.size(), numbers[i]);
    where = where.substr(0, colon);
  }
  return {numbers[0], numbers[1]};
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& line : lines) {
    if (!all.empty()) all += '\n';
    all += line;
  }
  return all;
}

}  // namespace

config_error::config_error(std::vector<std::string> all)
    : std::runtime_error(join_lines(all)), problems(std::move(all)) {}

void problem_list::add(std::string_view where, std::string_view key, const issue& what) {
  std::string line;
  line.append(where).append(": ");
  if (!key.empty()) line.append(key).append(": ");
  line.append(what.problem);
  if (!what.fix.empty()) line.append(". Fix: ").append(what.fix);
  if (line.back() != '.' && line.back() != '?') line += '.';
  const auto [row, column] = line_and_column(where);
  lines_.push_back({row, column, std::move(line)});
}

void problem_list::raise() const {
  auto sorted = lines_;
  std::ranges::stable_sort(sorted, [](const placed& a, const placed& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  std::vector<std::string> texts;
  for (auto& p : sorted) texts.push_back(std::move(p.text));
  throw config_error(std::move(texts));
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_match(std::string_view typo, const std::vector<std::string>& candidates) {
  // A third of the word (at least 2 edits) catches transpositions and a dropped letter or two
  // without suggesting unrelated keys for short names.
  const std::size_t limit = std::max<std::size_t>(2, typo.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    const std::size_t d = edit_distance(typo, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace spillway::config
