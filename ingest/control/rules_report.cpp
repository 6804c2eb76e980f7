// Renderings of rules listings, plans and sync reports (declared in rules_sync.hpp).
// Everything X sent (ids, values, tags, titles, details) is server text: it is printed with control bytes
// escaped as \xNN, so a value with a newline cannot forge a line of the report or the log (issue 10).
#include <string>

#include "common/log.hpp"
#include "ingest/control/rules_sync.hpp"

namespace spillway::ingest {
namespace {

// Longer than any rule value X accepts (1024 characters on the largest plan); only garbage is cut.
constexpr std::size_t max_text_bytes = 4096;

std::string printable(const std::string& s) { return common::log_sample(s, max_text_bytes); }

std::string quote(const std::string& s) {
  std::string escaped;
  for (char c : s) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for `"literal" + std::string&&`.
  std::string quoted = "\"";
  quoted += printable(escaped);
  quoted += '"';
  return quoted;
}

std::string rule_text(const std::string& value, const std::string& tag) {
  return quote(value) + (tag.empty() ? std::string(" (no tag)") : " tag " + quote(tag));
}

std::string line(char mark, const live_rule& r, const std::string& note) {
  return std::string("  ") + mark + " id " + printable(r.id) + " " + rule_text(r.value, r.tag) + note + "\n";
}

std::string error_line(const rule_error& e) {
  if (e.duplicate())
    return "  ! " + quote(e.value) + ": duplicate: X already has this value as rule id " + printable(e.id) +
           ". Fix: delete rule " + printable(e.id) + " (or set stream.rules_delete_unmanaged = true) to re-add it with the "
           "declared tag, or declare its current tag\n";
  std::string out = "  ! " + quote(e.value) + ": " + (e.title.empty() ? "rejected" : printable(e.title));
  if (!e.detail.empty()) out += ": " + printable(e.detail);
  for (const auto& d : e.details) out += "\n      - " + printable(d);
  return out + "\n    Fix: correct this rule in [[rules]] (X's rule syntax), then sync again\n";
}

}  // namespace

std::string render_rules(const std::vector<live_rule>& live) {
  std::string out = std::to_string(live.size()) + " live rule" + (live.size() == 1 ? "" : "s") + "\n";
  for (const auto& r : live) out += line(' ', r, "");
  return out;
}

std::string render_plan(const rules_plan& plan, bool delete_unmanaged) {
  std::string out;
  for (const auto& r : plan.unchanged) out += line('=', r, "");
  for (const auto& r : plan.to_delete) out += line('-', r, "  (live, not declared: stale)");
  for (const auto& r : plan.left_alone)
    out += line('~', r, "  (live, not declared: left alone, stream.rules_delete_unmanaged = false)");
  for (const auto& r : plan.to_add) out += "  + " + rule_text(r.value, r.tag) + "  (declared, not live)\n";
  out += plan.in_sync() ? "in sync\n"
                        : std::to_string(plan.to_add.size()) + " to add, " + std::to_string(plan.to_delete.size()) +
                              " to delete" + (delete_unmanaged ? "" : " (undeclared rules are kept)") + "\n";
  return out;
}

std::string render_sync(const sync_report& r) {
  std::string out = render_plan(r.plan, r.plan.left_alone.empty());
  for (const auto& e : r.invalid) out += error_line(e);
  for (const auto& e : r.duplicates) out += error_line(e);
  for (const auto& e : r.delete_errors)
    out += "  ! delete " + printable(e.value) + ": " + printable(e.title) + " " + printable(e.detail) + "\n";
  for (const auto& a : r.added) out += line('+', a, "  (added)");
  const std::size_t rejected = r.invalid.size() + r.duplicates.size();
  const std::size_t valid_adds = r.plan.to_add.size() > rejected ? r.plan.to_add.size() - rejected : 0;
  if (r.dry_run)
    out += "dry run: nothing changed; a sync would delete " + std::to_string(r.plan.to_delete.size()) + " and add " +
           std::to_string(valid_adds) + "; " + std::to_string(r.invalid.size()) + " invalid, " +
           std::to_string(r.duplicates.size()) + " duplicate\n";
  else
    out += "synced: " + std::to_string(r.added.size()) + " added, " + std::to_string(r.deleted) + " deleted, " +
           std::to_string(r.plan.unchanged.size()) + " unchanged, " + std::to_string(r.invalid.size()) +
           " invalid, " + std::to_string(r.duplicates.size()) + " duplicate\n";
  return out;
}

}  // namespace spillway::ingest
