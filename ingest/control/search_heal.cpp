#include "ingest/control/search_heal.hpp"

#include <array>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace spillway::ingest {
namespace {
// Stream operators X's search does not have (XAPI.md).
constexpr std::array<std::string_view, 4> kStreamOnly = {"sample", "bio", "bio_name", "bio_location"};

bool boundary(char c) { return c == ' ' || c == '(' || c == '-' || c == '\t' || c == '\n'; }
}  // namespace

std::optional<std::string> search_unsupported_operator(std::string_view rule) {
  bool quoted = false;
  for (std::size_t i = 0; i < rule.size(); ++i) {
    if (rule[i] == '"') quoted = !quoted;
    if (quoted || (i > 0 && !boundary(rule[i - 1]))) continue;
    for (auto op : kStreamOnly)
      if (rule.substr(i, op.size()) == op && i + op.size() < rule.size() && rule[i + op.size()] == ':')
        return std::string(op);
  }
  return std::nullopt;
}

search_rule_split split_rules_for_search(const std::vector<config::rule_spec>& rules) {
  search_rule_split out;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (auto op = search_unsupported_operator(rules[i].value))
      out.unsupported.push_back((rules[i].tag.empty() ? rules[i].value : rules[i].tag) + " (" + *op + ":)");
    else
      out.searchable.push_back(i);
  }
  return out;
}

std::optional<std::string> search_query_for(const config::rule_spec& rule, std::size_t max_query_length) {
  if (rule.value.size() > max_query_length) return std::nullopt;
  return rule.value;
}

void matching_rules_merger::add(std::string_view id, std::string_view data, std::string_view rule_id, std::string_view tag) {
  auto [it, fresh] = posts_.try_emplace(std::string(id));
  if (fresh) it->second.data.assign(data);
  for (const auto& r : it->second.rules)
    if (r.first == rule_id) return;
  it->second.rules.emplace_back(std::string(rule_id), std::string(tag));
}

std::vector<std::string> matching_rules_merger::lines() const {
  std::vector<std::string> out;
  out.reserve(posts_.size());
  for (const auto& [id, e] : posts_) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.StartArray();
    for (const auto& [rid, tag] : e.rules) {
      w.StartObject();
      w.Key("id");
      w.String(rid.data(), rapidjson::SizeType(rid.size()));
      w.Key("tag");
      w.String(tag.data(), rapidjson::SizeType(tag.size()));
      w.EndObject();
    }
    w.EndArray();
    out.push_back("{\"data\":" + e.data + ",\"matching_rules\":" + std::string(sb.GetString(), sb.GetSize()) + "}");
  }
  return out;
}

}  // namespace spillway::ingest
