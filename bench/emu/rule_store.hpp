#pragma once
// RuleStore: the filtered stream's rule set behind GET/POST /2/tweets/search/stream/rules, with X's
// response shapes (captures in testdata: rules_get_docs, rules_add_created_docs, rules_add_duplicate,
// rules_add_invalid): per-rule failures come back in a 2xx body under errors[] with meta.summary.
// Syntax checking is deliberately small (negation-only rules, unbalanced quotes/parentheses, length,
// cap): enough for a client's error paths, not X's full rule grammar.
// Owns the rules; used on the emulator's io thread. Time is passed in (Unix ms).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spillway::emu {

class RuleStore {
 public:
  RuleStore(std::size_t max_rules = 1000, std::size_t max_length = 1024)
      : max_rules_(max_rules), max_length_(max_length) {}

  struct Reply {
    int status;
    std::string body;
    bool problem;  // the body is a problem document (content-type application/problem+json)
  };
  // query: the raw query string (ids=, dry_run=, delete_all=).
  Reply get(std::string_view query, std::int64_t now_ms) const;
  Reply post(std::string_view query, std::string_view body, std::int64_t now_ms);

  // GET /2/tweets/search/stream/rules/counts: the caps this store enforces and its rule count (X's
  // RulesCount fields: cap_per_client_app, cap_per_project, client_app_rules_count, project_rules_count).
  Reply counts() const;

  std::size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string id, value;
    std::optional<std::string> tag;
  };
  // Empty when valid; else X's UnprocessableEntity details.
  std::vector<std::string> syntax_errors(const std::string& value) const;
  Reply add(const void* add_array, bool dry_run, std::int64_t now_ms);
  Reply remove(const void* delete_object, bool dry_run, bool all, std::int64_t now_ms);

  std::size_t max_rules_, max_length_;
  std::vector<Rule> rules_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace spillway::emu
