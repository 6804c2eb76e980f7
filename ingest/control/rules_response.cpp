#include "ingest/control/rules_response.hpp"

#include <rapidjson/document.h>

#include <algorithm>

#include "ingest/reconnect/problem.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  const auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : std::string();
}

// A count from meta.summary, clamped to 0..max_count: the outcomes add one per batch, and a hostile
// INT64_MAX must not overflow the sum.
constexpr std::int64_t max_count = 1'000'000'000;
std::int64_t num(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return 0;
  const auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsInt64() ? std::clamp<std::int64_t>(it->value.GetInt64(), 0, max_count) : 0;
}

bool parse_object(std::string_view body, rapidjson::Document& d) {
  d.Parse(body.data(), body.size());
  return !d.HasParseError() && d.IsObject();
}

void read_rules(const rapidjson::Document& d, std::vector<live_rule>& out) {
  const auto it = d.FindMember("data");
  if (it == d.MemberEnd() || !it->value.IsArray()) return;
  for (const auto& v : it->value.GetArray()) out.push_back({str(v, "id"), str(v, "value"), str(v, "tag")});
}

void read_errors(const rapidjson::Document& d, std::vector<rule_error>& out) {
  const auto it = d.FindMember("errors");
  if (it == d.MemberEnd() || !it->value.IsArray()) return;
  for (const auto& e : it->value.GetArray()) {
    rule_error re{str(e, "value"), str(e, "id"), str(e, "title"),
                  std::string(reconnect::problem_suffix(str(e, "type"))), str(e, "detail"), {}};
    if (e.IsObject()) {
      const auto details = e.FindMember("details");
      if (details != e.MemberEnd() && details->value.IsArray())
        for (const auto& s : details->value.GetArray())
          if (s.IsString()) re.details.emplace_back(s.GetString(), s.GetStringLength());
    }
    out.push_back(std::move(re));
  }
}

const rapidjson::Value* summary_of(const rapidjson::Document& d) {
  const auto meta = d.FindMember("meta");
  if (meta == d.MemberEnd() || !meta->value.IsObject()) return nullptr;
  const auto summary = meta->value.FindMember("summary");
  return summary == meta->value.MemberEnd() ? nullptr : &summary->value;
}

}  // namespace

bool parse_rules_page(std::string_view body, std::vector<live_rule>& out, std::string& next_token) {
  rapidjson::Document d;
  if (!parse_object(body, d)) return false;
  read_rules(d, out);
  const auto meta = d.FindMember("meta");
  next_token = meta != d.MemberEnd() ? str(meta->value, "next_token") : std::string();
  return true;
}

bool parse_add_response(std::string_view body, bool dry_run, add_outcome& out) {
  rapidjson::Document d;
  if (!parse_object(body, d)) return false;
  if (!dry_run) read_rules(d, out.created);
  if (const auto* sum = summary_of(d)) out.valid += num(*sum, "valid"), out.invalid += num(*sum, "invalid");
  read_errors(d, out.errors);
  return true;
}

bool parse_delete_response(std::string_view body, delete_outcome& out) {
  rapidjson::Document d;
  if (!parse_object(body, d)) return false;
  if (const auto* sum = summary_of(d)) out.deleted += num(*sum, "deleted");
  read_errors(d, out.errors);
  return true;
}

std::string rules_page_target(std::size_t page_size, std::string_view pagination_token) {
  std::string target(paths::rules);
  append_query(target, "max_results", std::to_string(page_size));
  // X's token is opaque: encoded like every query value, so it can never end the request line.
  if (!pagination_token.empty()) append_query(target, "pagination_token", pagination_token);
  return target;
}

}  // namespace spillway::ingest
