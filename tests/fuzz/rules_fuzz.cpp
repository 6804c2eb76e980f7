// Property: the rules endpoints' bodies (ingest/control/rules_response) and what `spillway rules` prints
// from them, whatever X or a hostile server sends:
//   - the next page's request target carries the server's next_token percent-encoded: only unreserved
//     characters and %XX after "pagination_token=", decoding back to the token (a CR/LF in it must not
//     reach the request line);
//   - the listing, plan and sync report rendered from a parsed page and add/delete responses have no
//     control byte but the line ends, and every line is one of ours (indented, or a summary line): a rule
//     value, tag, id, title or detail cannot forge a line;
//   - counts from meta.summary never overflow when batches add up (UBSan).
// The input is the body, read as a listing page, a dry-run add, a committing add and a delete response.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/control/rules_response.hpp"
#include "ingest/control/rules_sync.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace spillway::ingest;

namespace {

void check_page_target(const std::string& token) {
  const std::string target = rules_page_target(1000, token);
  const std::string_view head = "/2/tweets/search/stream/rules?max_results=1000";
  FUZZ_CHECK(target.starts_with(head), target);
  if (token.empty()) {
    FUZZ_CHECK(target == head, target);
    return;
  }
  const std::string_view param = "&pagination_token=";
  FUZZ_CHECK(std::string_view(target).substr(head.size(), param.size()) == param, target);
  const auto decoded = spillway::fuzz::percent_decode(std::string_view(target).substr(head.size() + param.size()));
  FUZZ_CHECK(decoded && *decoded == token, target);
}

// Every line we print starts with our indentation or one of our summary words.
void check_rendering(const std::string& text) {
  FUZZ_CHECK(text.empty() || text.back() == '\n', text);
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line = std::string_view(text).substr(start, end - start);
    FUZZ_CHECK(!spillway::fuzz::has_control_byte(line), line);
    const bool ours = line.starts_with("  ") || line.starts_with("in sync") || line.starts_with("dry run: ") ||
                      line.starts_with("synced: ") || (!line.empty() && line[0] >= '0' && line[0] <= '9');
    FUZZ_CHECK(ours, line);
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  sync_report report;
  std::string next_token = "unchanged";
  if (parse_rules_page(body, report.live, next_token)) {
    check_page_target(next_token);
  } else {
    FUZZ_CHECK(next_token == "unchanged" && report.live.empty(), "a refused page changed its outputs");
  }
  check_rendering(render_rules(report.live));

  // The plan: a declared rule per live one, with the tag changed, so each lands in to_add and to_delete.
  std::vector<spillway::config::rule_spec> declared;
  for (const auto& r : report.live) declared.push_back({r.value, r.tag + "'"});
  report.plan = plan_rules(declared, report.live, size % 2 == 0);

  add_outcome check;
  // Two batches answered the same way: their counts add up (clamped per batch, so never overflow).
  if (parse_add_response(body, true, check) && parse_add_response(body, true, check)) {
    FUZZ_CHECK(check.created.empty(), "a dry run created rules");
    FUZZ_CHECK(check.valid >= 0 && check.invalid >= 0, "negative count");
  }
  for (auto& e : check.errors) (e.duplicate() ? report.duplicates : report.invalid).push_back(e);
  add_outcome done;
  if (parse_add_response(body, false, done)) report.added = done.created;
  delete_outcome del;
  if (parse_delete_response(body, del) && parse_delete_response(body, del)) FUZZ_CHECK(del.deleted >= 0, "negative");
  report.deleted = del.deleted;
  report.delete_errors = del.errors;

  check_rendering(render_plan(report.plan, size % 2 == 0));
  report.dry_run = size % 3 == 0;
  check_rendering(render_sync(report));
  return 0;
}
