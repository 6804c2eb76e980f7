#pragma once
// [sinks.kafka.properties]: librdkafka properties passed through verbatim. Loads them from TOML
// (bare dotted keys become nested tables in TOML; they are flattened back to "a.b.c"), applies the
// SPILLWAY_SINKS_KAFKA_PROPERTIES__<NAME> overrides, and rejects the few properties that would break
// Spillway's delivery guarantees (idempotence, acks=all) — the one place those rules are written.
// Pure functions over their arguments; called on the loading thread (and at producer start-up).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/diagnostics.hpp"
#include "config/env_lookup.hpp"

namespace spillway::config {

struct property_entry {
  std::string key;
  std::string value;  // librdkafka takes every value as text
  std::string where;  // "file.toml:12:1" or "environment variable ..."
};

// Keys whose values are credentials: they contain password, secret, token or key.pem, or are SASL
// settings other than the mechanism (sasl.username, sasl.password, sasl.oauthbearer.config, ...).
bool is_secret_property(std::string_view key);

std::vector<property_entry> load_properties(const toml::node& node, std::string_view source, problem_list& problems);

// SPILLWAY_SINKS_KAFKA_PROPERTIES__SASL_PASSWORD sets "sasl.password": the name after "__" is
// lower-cased and each '_' becomes '.'. Replaces a property of that name or adds it.
void apply_property_overrides(const env_lookup& env, std::vector<property_entry>& entries, problem_list& problems);

// The guarantee check of one property: enable.idempotence must stay true, acks (request.required.acks)
// must stay all, the brokers are sinks.kafka.bootstrap_servers, and the name must look like a property.
// nullopt when the property may pass to librdkafka. Never quotes the value (it may be a secret).
[[nodiscard]] std::optional<issue> check_property(std::string_view key, std::string_view value);

// check_property on every entry, each problem placed at the entry's file position or variable.
void check_properties(const std::vector<property_entry>& entries, problem_list& problems);

}  // namespace spillway::config
