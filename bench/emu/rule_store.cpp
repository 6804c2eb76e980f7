#include "bench/emu/rule_store.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "bench/emu/snowflake.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), rapidjson::SizeType(v.size()));
}

void meta_sent(Writer& w, std::int64_t now_ms) {
  char sent[kCreatedAtWidth];
  format_created_at(now_ms, sent);
  put(w, "sent", std::string_view(sent, kCreatedAtWidth));
}

std::string query_value(std::string_view query, std::string_view key) {
  for (std::size_t p = 0; p <= query.size();) {
    const auto amp = std::min(query.find('&', p), query.size());
    const auto kv = query.substr(p, amp - p);
    if (kv.size() > key.size() && kv.substr(0, key.size()) == key && kv[key.size()] == '=')
      return std::string(kv.substr(key.size() + 1));
    p = amp + 1;
  }
  return "";
}

// X's shape for a request it cannot read at all (HTTP 400).
RuleStore::Reply invalid_request(const std::string& message) { return {400, invalid_request_body(message), true}; }

}  // namespace

std::vector<std::string> RuleStore::syntax_errors(const std::string& value) const {
  std::vector<std::string> details;
  std::istringstream in(value);
  bool positive = false;
  for (std::string tok; in >> tok;) positive |= tok[0] != '-';
  if (!positive) {
    // Exactly as X words it (rules_add_invalid.json).
    details.push_back("Rules must contain a non-negation term (at position 1)");
    details.push_back("Rules must contain at least one positive, non-stopword clause (at position 1)");
  }
  int depth = 0;
  bool in_quote = false;
  for (char c : value) {
    if (c == '"') in_quote = !in_quote;
    else if (!in_quote && c == '(') ++depth;
    else if (!in_quote && c == ')' && --depth < 0) break;
  }
  if (depth != 0 || in_quote) details.push_back("There were errors processing your request: unbalanced quotes or parentheses");
  return details;
}

RuleStore::Reply RuleStore::get(std::string_view query, std::int64_t now_ms) const {
  const std::string ids = query_value(query, "ids");
  // Pages: max_results (1-1000, X's bound) and an opaque pagination_token (here: the offset).
  const std::string max_text = query_value(query, "max_results");
  const std::string token = query_value(query, "pagination_token");
  std::size_t page = 1000, offset = 0;
  if (!max_text.empty()) {
    page = std::size_t(std::strtoull(max_text.c_str(), nullptr, 10));
    if (page < 1 || page > 1000) return invalid_request("The `max_results` query parameter value [" + max_text + "] is not between 1 and 1000");
  }
  if (!token.empty()) offset = std::size_t(std::strtoull(token.c_str(), nullptr, 10));
  std::vector<const Rule*> selected;
  for (const auto& r : rules_)
    if (ids.empty() || ("," + ids + ",").find("," + r.id + ",") != std::string::npos) selected.push_back(&r);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  std::size_t n = 0;
  for (std::size_t i = offset; i < selected.size() && n < page; ++i) {
    const Rule& r = *selected[i];
    if (n++ == 0) w.Key("data"), w.StartArray();
    w.StartObject();
    put(w, "id", r.id);
    put(w, "value", r.value);
    if (r.tag) put(w, "tag", *r.tag);
    w.EndObject();
  }
  if (n > 0) w.EndArray();  // with no rules, X leaves "data" out
  w.Key("meta");
  w.StartObject();
  meta_sent(w, now_ms);
  w.Key("result_count"), w.Uint64(n);
  if (offset + n < selected.size()) put(w, "next_token", std::to_string(offset + n));
  w.EndObject();
  w.EndObject();
  return {200, sb.GetString(), false};
}

RuleStore::Reply RuleStore::counts() const {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  const auto n = rules_.size();
  w.StartObject();
  w.Key("data");
  w.StartObject();
  w.Key("cap_per_client_app"), w.Uint64(max_rules_);
  w.Key("cap_per_project"), w.Uint64(max_rules_);
  w.Key("client_app_rules_count");
  w.StartObject();
  put(w, "client_app_id", "23074266");  // the client_id of X's captured 403 body
  w.Key("rule_count"), w.Uint64(n);
  w.EndObject();
  w.Key("project_rules_count"), w.Uint64(n);
  w.EndObject();
  w.EndObject();
  return {200, sb.GetString(), false};
}

RuleStore::Reply RuleStore::post(std::string_view query, std::string_view body, std::int64_t now_ms) {
  const bool dry_run = query_value(query, "dry_run") == "true";
  const bool delete_all = query_value(query, "delete_all") == "true";
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (delete_all) return remove(nullptr, dry_run, true, now_ms);
  if (d.HasParseError() || !d.IsObject()) return invalid_request("Request body is not valid JSON");
  if (d.HasMember("add") && d["add"].IsArray()) return add(&d["add"], dry_run, now_ms);
  if (d.HasMember("delete") && d["delete"].IsObject()) return remove(&d["delete"], dry_run, false, now_ms);
  return invalid_request("Request body must contain \"add\" (a list) or \"delete\" (an object)");
}

namespace {

// One per-rule failure, rendered into errors[] in X's shape (value first, as captured).
struct RuleError {
  std::string value, id, title, type, detail;
  std::vector<std::string> details;
};

void write_errors(Writer& w, const std::vector<RuleError>& errors) {
  if (errors.empty()) return;
  w.Key("errors");
  w.StartArray();
  for (const auto& e : errors) {
    w.StartObject();
    put(w, "value", e.value);
    if (!e.id.empty()) put(w, "id", e.id);
    if (!e.details.empty()) {
      w.Key("details");
      w.StartArray();
      for (const auto& s : e.details) w.String(s.c_str(), rapidjson::SizeType(s.size()));
      w.EndArray();
    }
    if (!e.detail.empty()) put(w, "detail", e.detail);
    put(w, "title", e.title);
    put(w, "type", e.type);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

RuleStore::Reply RuleStore::add(const void* add_array, bool dry_run, std::int64_t now_ms) {
  const auto& arr = *static_cast<const rapidjson::Value*>(add_array);
  std::vector<Rule> created;
  std::vector<RuleError> errors;
  for (const auto& item : arr.GetArray()) {
    if (!item.IsObject() || !item.HasMember("value") || !item["value"].IsString())
      return invalid_request("Each rule in \"add\" needs a \"value\" string");
    Rule r{"", item["value"].GetString(), std::nullopt};
    if (item.HasMember("tag") && item["tag"].IsString()) r.tag = item["tag"].GetString();
    auto same = [&](const Rule& x) { return x.value == r.value; };
    const auto existing = std::find_if(rules_.begin(), rules_.end(), same);
    auto details = syntax_errors(r.value);
    if (existing != rules_.end() || std::any_of(created.begin(), created.end(), same)) {
      errors.push_back({r.value, existing != rules_.end() ? existing->id : "", "DuplicateRule",
                        "https://api.twitter.com/2/problems/duplicate-rules", "", {}});
    } else if (r.value.size() > max_length_) {
      errors.push_back({r.value, "", "RuleLengthExceeded", "https://api.twitter.com/2/problems/rule-length",
                        "Rule length exceeds " + std::to_string(max_length_) + " characters", {}});
    } else if (!details.empty()) {
      errors.push_back({r.value, "", "UnprocessableEntity", "https://api.twitter.com/2/problems/invalid-rules", "",
                        std::move(details)});
    } else if (rules_.size() + created.size() >= max_rules_) {
      errors.push_back({r.value, "", "RulesCapExceeded", "https://api.twitter.com/2/problems/rule-cap",
                        "Rule cap of " + std::to_string(max_rules_) + " reached", {}});
    } else {
      r.id = std::to_string(make_snowflake(now_ms, 1, unsigned(next_seq_++ & 0xFFF)));
      created.push_back(std::move(r));
    }
  }
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  if (!created.empty()) {
    w.Key("data");
    w.StartArray();
    for (const auto& r : created) {
      w.StartObject();
      put(w, "value", r.value);
      if (r.tag) put(w, "tag", *r.tag);
      put(w, "id", r.id);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("meta");
  w.StartObject();
  meta_sent(w, now_ms);
  w.Key("summary");
  w.StartObject();
  // dry_run validates only: valid rules are counted as valid but not created.
  w.Key("created"), w.Uint64(dry_run ? 0 : created.size());
  w.Key("not_created"), w.Uint64(errors.size() + (dry_run ? created.size() : 0));
  w.Key("valid"), w.Uint64(created.size());
  w.Key("invalid"), w.Uint64(errors.size());
  w.EndObject();
  w.EndObject();
  write_errors(w, errors);
  w.EndObject();
  const bool stored = !dry_run && !created.empty();
  if (stored) rules_.insert(rules_.end(), created.begin(), created.end());
  return {stored ? 201 : 200, sb.GetString(), false};
}

RuleStore::Reply RuleStore::remove(const void* delete_object, bool dry_run, bool all, std::int64_t now_ms) {
  std::vector<std::string> wanted;  // ids or values
  bool by_value = false;
  if (!all) {
    const auto& del = *static_cast<const rapidjson::Value*>(delete_object);
    by_value = del.HasMember("values");
    const char* key = by_value ? "values" : "ids";
    if (!del.HasMember(key) || !del[key].IsArray()) return invalid_request("\"delete\" needs \"ids\" or \"values\" (a list)");
    for (const auto& v : del[key].GetArray())
      if (v.IsString()) wanted.emplace_back(v.GetString());
  }
  std::size_t deleted = 0;
  std::vector<RuleError> errors;
  std::vector<Rule> kept;
  for (const auto& r : rules_) {
    const bool hit = all || std::find(wanted.begin(), wanted.end(), by_value ? r.value : r.id) != wanted.end();
    deleted += hit;
    if (!hit) kept.push_back(r);
  }
  for (const auto& w : wanted) {
    const bool found = std::any_of(rules_.begin(), rules_.end(), [&](const Rule& r) { return (by_value ? r.value : r.id) == w; });
    if (!found)
      errors.push_back({w, "", "Not Found Error", "https://api.twitter.com/2/problems/resource-not-found",
                        "Rule " + w + " was not found", {}});
  }
  if (!dry_run) rules_ = std::move(kept);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("meta");
  w.StartObject();
  meta_sent(w, now_ms);
  w.Key("summary");
  w.StartObject();
  w.Key("deleted"), w.Uint64(dry_run ? 0 : deleted);
  w.Key("not_deleted"), w.Uint64(errors.size() + (dry_run ? deleted : 0));
  w.EndObject();
  w.EndObject();
  write_errors(w, errors);
  w.EndObject();
  return {200, sb.GetString(), false};
}

}  // namespace spillway::emu
