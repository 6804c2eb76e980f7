#pragma once
// rules_response: the bodies of the rules endpoints (GET/POST /2/tweets/search/stream/rules) read into
// values, and the next page's request target. Pure, so the shapes X sends (and the ones it should not)
// are tested with tables and fuzzed (tests/fuzz/rules_fuzz.cpp) without a server. No I/O; any thread.
// Strings are kept exactly as X sent them (a rule value must compare equal to the declared one); whoever
// prints them escapes them (rules_report.cpp).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/control/rules_plan.hpp"

namespace spillway::ingest {

// One per-rule failure from a 2xx body's errors[] (DuplicateRule, UnprocessableEntity, rule-cap, ...).
struct rule_error {
  std::string value;
  std::string id;  // DuplicateRule: the id of the live rule with this value
  std::string title;
  std::string type;  // the part after /2/problems/
  std::string detail;
  std::vector<std::string> details;  // UnprocessableEntity: X's reasons
  [[nodiscard]] bool duplicate() const { return title == "DuplicateRule" || type == "duplicate-rules"; }
};

struct add_outcome {
  std::vector<live_rule> created;  // empty for dry_run
  std::vector<rule_error> errors;
  std::int64_t valid = 0;
  std::int64_t invalid = 0;
};

struct delete_outcome {
  std::int64_t deleted = 0;
  std::vector<rule_error> errors;
};

// Each returns false, leaving `out` alone, when the body is not a JSON object.
// GET: appends data[] to `out` and sets `next_token` to meta.next_token ("" on the last page).
[[nodiscard]] bool parse_rules_page(std::string_view body, std::vector<live_rule>& out, std::string& next_token);
// POST add: appends data[] (unless dry_run), adds meta.summary valid/invalid, appends errors[].
[[nodiscard]] bool parse_add_response(std::string_view body, bool dry_run, add_outcome& out);
// POST delete: adds meta.summary.deleted, appends errors[].
[[nodiscard]] bool parse_delete_response(std::string_view body, delete_outcome& out);

// The GET target for one page: paths::rules + "?max_results=N", plus "&pagination_token=T" with T
// percent-encoded (xapi/url's append_query: it comes from the server, and a CR/LF in it must not reach the
// request line).
[[nodiscard]] std::string rules_page_target(std::size_t page_size, std::string_view pagination_token);

}  // namespace spillway::ingest
