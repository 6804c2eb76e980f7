#include "config/rule_list.hpp"

#include <map>
#include <optional>
#include <string>

#include "config/toml_support.hpp"

namespace spillway::config {
namespace {

// The rule text as a string, or nullopt with the problem recorded.
std::optional<std::string> rule_string(const toml::node& node, const std::string& key, std::string_view source,
                                       problem_list& problems) {
  if (const auto* s = node.as_string()) return s->get();
  problems.add(position(source, node.source()), key,
               {"must be a string, not " + std::string(node_kind(node)), "put the text in double quotes"});
  return std::nullopt;
}

std::optional<rule_spec> load_rule(const toml::table& table, const std::string& name, std::string_view source,
                                   problem_list& problems) {
  rule_spec rule;
  bool ok = true;
  bool has_value = false;
  for (const auto& [k, node] : table) {
    const std::string key = name + "." + std::string(k.str());
    if (k.str() == "value" || k.str() == "tag") {
      auto text = rule_string(node, key, source, problems);
      if (!text) {
        ok = false;
      } else if (k.str() == "value") {
        has_value = true;
        rule.value = std::move(*text);
      } else {
        rule.tag = std::move(*text);
      }
      continue;
    }
    ok = false;
    const auto near = closest_match(k.str(), {"value", "tag"});
    problems.add(position(source, k.source()), key,
                 {"is not a rule setting", near ? "did you mean `" + *near + "`?" : "a rule has only `value` and `tag`"});
  }
  const std::string where = position(source, table.source());
  if (has_value && rule.value.empty()) {
    problems.add(where, name + ".value", {"is empty", "write the rule text, or delete this [[rules]] table"});
    ok = false;
  } else if (has_value && rule.value.size() > max_rule_length) {
    problems.add(where, name + ".value",
                 {"must be 1 to " + std::to_string(max_rule_length) + " characters (has " +
                      std::to_string(rule.value.size()) + ")",
                  "shorten the rule or split it into several rules"});
    ok = false;
  } else if (!has_value && ok) {
    problems.add(where, name, {"has no `value`", "add value = \"your rule\" to this [[rules]] table"});
    ok = false;
  }
  return ok ? std::optional<rule_spec>(std::move(rule)) : std::nullopt;
}

}  // namespace

std::vector<rule_spec> load_rules(const toml::node& node, std::string_view source, problem_list& problems) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    problems.add(position(source, node.source()), "rules",
                 {"must be an array of tables, not " + std::string(node_kind(node)),
                  "write each rule as its own [[rules]] table (double brackets) with value = \"...\""});
    return {};
  }
  std::vector<rule_spec> rules;
  std::map<std::string, std::string, std::less<>> first_seen;  // value -> where
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    const std::string name = "rules[" + std::to_string(i) + "]";
    const auto* table = element.as_table();
    if (table == nullptr) {
      problems.add(position(source, element.source()), name,
                   {"must be a table, not " + std::string(node_kind(element)), "write { value = \"...\", tag = \"...\" }"});
      continue;
    }
    auto rule = load_rule(*table, name, source, problems);
    if (!rule) continue;
    const std::string where = position(source, table->source());
    if (const auto seen = first_seen.find(rule->value); seen != first_seen.end()) {
      problems.add(where, name + ".value",
                   {"repeats the rule at " + seen->second + "; X rejects duplicate rules", "delete one of the two"});
      continue;
    }
    first_seen.emplace(rule->value, where);
    rules.push_back(std::move(*rule));
  }
  return rules;
}

}  // namespace spillway::config
