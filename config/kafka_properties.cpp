#include "config/kafka_properties.hpp"

#include <algorithm>
#include <charconv>

#include "config/options.hpp"
#include "config/toml_support.hpp"

namespace spillway::config {
namespace {

constexpr std::string_view section = "sinks.kafka.properties";

std::string display_key(std::string_view key) { return std::string(section) + "." + toml_quote(key); }

void flatten(const toml::table& table, const std::string& prefix, std::string_view source,
             std::vector<std::pair<toml::source_position, property_entry>>& out, problem_list& problems) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    const std::string where = position(source, node.source());
    std::string text;
    if (const auto* sub = node.as_table()) {
      flatten(*sub, key, source, out, problems);
      continue;
    }
    if (const auto* s = node.as_string()) {
      text = s->get();
    } else if (const auto* i = node.as_integer()) {
      text = std::to_string(i->get());
    } else if (const auto* b = node.as_boolean()) {
      text = b->get() ? "true" : "false";
    } else if (const auto* f = node.as_floating_point()) {
      char buffer[64];
      const auto result = std::to_chars(buffer, buffer + sizeof buffer, f->get());
      text.assign(buffer, result.ptr);
    } else {
      problems.add(where, display_key(key),
                   {"must be a string, number or boolean, not " + std::string(node_kind(node)),
                    "librdkafka properties are single values; write e.g. \"sasl.mechanism\" = \"PLAIN\""});
      continue;
    }
    const auto same = std::ranges::find_if(out, [&](const auto& e) { return e.second.key == key; });
    if (same != out.end()) {
      problems.add(where, display_key(key),
                   {"is set twice (also at " + same->second.where + "), once quoted and once as bare dotted keys",
                    "keep one of the two"});
      continue;
    }
    out.push_back({node.source().begin, property_entry{key, std::move(text), where}});
  }
}

}  // namespace

bool is_secret_property(std::string_view key) {
  const std::string k = ascii_lower(key);
  for (const std::string_view word : {"password", "secret", "token", "key.pem", "credential"}) {
    if (k.find(word) != std::string::npos) return true;
  }
  return k.starts_with("sasl.") && k != "sasl.mechanism" && k != "sasl.mechanisms";
}

std::vector<property_entry> load_properties(const toml::node& node, std::string_view source, problem_list& problems) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    problems.add(position(source, node.source()), section,
                 {"must be a table, not " + std::string(node_kind(node)),
                  "write [sinks.kafka.properties] followed by \"name\" = value lines"});
    return {};
  }
  std::vector<std::pair<toml::source_position, property_entry>> found;
  flatten(*table, "", source, found, problems);
  // toml++ keeps keys sorted; file order is what a reader of the effective config expects.
  std::ranges::stable_sort(found, [](const auto& a, const auto& b) {
    return a.first.line != b.first.line ? a.first.line < b.first.line : a.first.column < b.first.column;
  });
  std::vector<property_entry> entries;
  for (auto& [pos, entry] : found) entries.push_back(std::move(entry));
  return entries;
}

void apply_property_overrides(const env_lookup& env, std::vector<property_entry>& entries, problem_list& problems) {
  for (const auto& name : env.names_with_prefix(property_env_prefix)) {
    const std::string where = "environment variable " + name;
    std::string key = ascii_lower(std::string_view(name).substr(property_env_prefix.size()));
    if (key.empty()) {
      problems.add(where, section, {"names no property", "append the property, e.g. SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD"});
      continue;
    }
    std::ranges::replace(key, '_', '.');
    std::string value = env.get(name).value_or("");
    const auto it = std::ranges::find_if(entries, [&](const auto& e) { return e.key == key; });
    if (it != entries.end()) {
      it->value = std::move(value);
      it->where = where;
    } else {
      entries.push_back({std::move(key), std::move(value), where});
    }
  }
}

std::optional<issue> check_property(std::string_view key, std::string_view raw_value) {
  const std::string value = ascii_lower(raw_value);
  if (key == "bootstrap.servers" || key == "metadata.broker.list") {
    return issue{"duplicates sinks.kafka.bootstrap_servers", "remove it and set sinks.kafka.bootstrap_servers"};
  }
  if (key == "enable.idempotence" && value != "true") {
    return issue{"must stay true: Spillway's exactly-once-per-id delivery relies on the idempotent producer",
                 "remove the property"};
  }
  if ((key == "acks" || key == "request.required.acks") && value != "all" && value != "-1") {
    return issue{"must stay \"all\" (acks=all): a Post counts as delivered only once every in-sync replica has it",
                 "remove the property"};
  }
  if (key.empty() || key.find_first_of(" \t=") != std::string_view::npos) {
    return issue{"is not a librdkafka property name", "use names such as \"security.protocol\""};
  }
  return std::nullopt;
}

void check_properties(const std::vector<property_entry>& entries, problem_list& problems) {
  for (const auto& e : entries) {
    if (auto found = check_property(e.key, e.value)) problems.add(e.where, display_key(e.key), *found);
  }
}

}  // namespace spillway::config
