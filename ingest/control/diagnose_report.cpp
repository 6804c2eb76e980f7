// Text and JSON renderings of a diagnose_report (declared in diagnose.hpp). Never includes a token:
// findings are built from X's answers and our own messages only.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "ingest/control/diagnose.hpp"

namespace spillway::ingest {
namespace {

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(json_writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.c_str(), rapidjson::SizeType(value.size()));
}

void put_opt(json_writer& w, const char* key, const std::optional<std::int64_t>& v) {
  w.Key(key);
  if (v) w.Int64(*v);
  else w.Null();
}

}  // namespace

std::string render_diagnose_text(const diagnose_report& report) {
  std::string out;
  for (const auto& f : report.findings) {
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for `"literal" + std::string&&`.
    out += '[';
    out += to_string(f.level);
    out += "] ";
    out += f.check;
    out += ": ";
    out += f.summary;
    out += '\n';
    if (!f.cause.empty()) out += "    cause: " + f.cause + "\n";
    if (!f.fix.empty()) out += "    fix:   " + f.fix + "\n";
  }
  if (!report.limits.all().empty())
    out += "(x-rate-limit-limit = requests allowed per window, -remaining = left in it, -reset = when it resets; "
           "X counts them per app and per endpoint)\n";
  out += report.healthy() ? "healthy\n" : "needs action\n";
  return out;
}

std::string render_diagnose_json(const diagnose_report& report) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("healthy");
  w.Bool(report.healthy());
  w.Key("checked_at");
  w.Int64(report.checked_at);
  w.Key("findings");
  w.StartArray();
  for (const auto& f : report.findings) {
    w.StartObject();
    put(w, "check", f.check);
    put(w, "level", to_string(f.level));
    put(w, "summary", f.summary);
    put(w, "cause", f.cause);
    put(w, "fix", f.fix);
    w.EndObject();
  }
  w.EndArray();
  w.Key("rate_limits");
  w.StartArray();
  for (const auto& [ep, h] : report.limits.all()) {
    w.StartObject();
    put(w, "endpoint", ep);
    put_opt(w, "limit", h.limit);
    put_opt(w, "remaining", h.remaining);
    put_opt(w, "reset", h.reset);
    if (h.reset) put(w, "reset_text", describe_reset(*h.reset, report.checked_at));
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

}  // namespace spillway::ingest
