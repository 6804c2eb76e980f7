#include "config/summary.hpp"

namespace spillway::config {
namespace {

// The token source as the configuration states it; which variable holds a value is known only in the
// environment the service runs in, so `auto` lists both candidates in the order they are tried.
std::string token_source(const auth_settings& a) {
  const std::string credentials = "client credentials ($" + a.app_key_env + ", $" + a.app_secret_env +
                                  " to POST /oauth2/token)";
  if (a.app_token_source == "client_credentials") return credentials;
  const std::string bearer = !a.bearer_token_file.empty() ? "the file " + a.bearer_token_file + " (auth.bearer_token_file)"
                                                          : "$" + a.bearer_token_env + " (auth.bearer_token_env)";
  if (a.app_token_source == "bearer" || !a.bearer_token_file.empty()) return bearer;
  return bearer + " if set, else " + credentials;
}

std::string kafka_destination(const kafka_settings& k) {
  if (!k.enabled) {
    return k.bootstrap_servers.empty() ? "off (sinks.kafka.bootstrap_servers is not set)"
                                       : "off (sinks.kafka.enabled = false)";
  }
  std::string where = "brokers " + k.bootstrap_servers + ", ";
  if (k.topic_by_rule_tag) {
    where += "topic named by each Post's first matching rule tag (else " +
             (k.fallback_topic.empty() ? k.topic : k.fallback_topic) + ")";
  } else {
    where += "topic " + k.topic;
  }
  for (const auto& [key, value] : k.properties) {
    if (key == "security.protocol") where += ", " + value;
  }
  return where;
}

std::string connection_summary(const stream_settings& st) {
  if (st.connections == 1) return "1";
  return std::to_string(st.connections) +
         " redundant (Enterprise access only: on other access levels X answers the second connection with 429 "
         "TooManyConnections and it retries with backoff while the first streams); each carries a full copy, "
         "duplicates are dropped by id";
}

}  // namespace

std::string render_summary(const settings& s, std::string_view stream_target) {
  std::string out = "\n# Summary: what `spillway run` does with this configuration (secrets are never shown).\n";
  // base_url is scheme://host[:port] with no trailing '/' (validated on load).
  out += "#   stream:  " + s.stream.base_url + std::string(stream_target) + "\n";
  out += "#   connections: " + connection_summary(s.stream) + "\n";
  out += "#   token:   " + token_source(s.auth) + "\n";
  out += "#   rules:   " + std::to_string(s.rules.size()) + " in [[rules]]" +
         (s.stream.rules_sync_on_start ? ", synced with X before connecting" : ", not synced on start") + "\n";
  out += "#   sinks:   RocksDB" + std::string(s.kafka.enabled ? " + Kafka" : " only") + "\n";
  out += "#   RocksDB: " + s.rocksdb.path + "\n";
  out += "#   Kafka:   " + kafka_destination(s.kafka) + "\n";
  out += "#   metrics: " + (s.metrics.enabled ? "http://" + s.metrics.listen + "/metrics" : std::string("off")) + "\n";
  return out;
}

}  // namespace spillway::config
