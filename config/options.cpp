#include "config/options.hpp"

#include <algorithm>

namespace spillway::config {
namespace {

// A capture-less accessor from settings to one field; keeps each table row on a few lines.
#define SPILLWAY_FIELD(member) [](settings& s) -> field_ref { return &s.member; }

constexpr std::uint64_t kib = 1024;
constexpr std::uint64_t second = 1000;
constexpr std::uint64_t minute = 60 * second;
constexpr std::uint64_t hour = 60 * minute;

std::vector<option_spec> build_table() {
  using enum option_type;
  return {
      // [stream]
      {.key = "stream.base_url", .type = string, .help = "Origin of the X API, scheme://host[:port] with no path. Point it at the emulator (http://127.0.0.1:PORT) for tests.",
       .field = SPILLWAY_FIELD(stream.base_url), .check = value_check::http_origin, .required = true},
      {.key = "stream.allow_insecure_http", .type = boolean, .help = "Allow an http:// base_url to a host other than loopback. The Bearer token then crosses the network in clear: only for a trusted proxy or test network.",
       .field = SPILLWAY_FIELD(stream.allow_insecure_http)},
      {.key = "stream.ca_file", .type = string, .help = "PEM file of CA certificates trusted in addition to the system store (e.g. the emulator's CA), or instead of it when stream.trust_system_roots = false. Empty: the system store only.",
       .field = SPILLWAY_FIELD(stream.ca_file)},
      {.key = "stream.trust_system_roots", .type = boolean, .help = "Verify the server against the system's CA store as well as stream.ca_file. false: trust only the CAs in stream.ca_file (which must then be set), e.g. to pin a private CA.",
       .field = SPILLWAY_FIELD(stream.trust_system_roots)},
      {.key = "stream.tweet_fields", .type = string, .help = "The tweet.fields query parameter, comma-separated with no spaces. Empty: X's default fields.",
       .field = SPILLWAY_FIELD(stream.tweet_fields), .check = value_check::field_list},
      {.key = "stream.expansions", .type = string, .help = "The expansions query parameter, comma-separated with no spaces.",
       .field = SPILLWAY_FIELD(stream.expansions), .check = value_check::field_list},
      {.key = "stream.user_fields", .type = string, .help = "The user.fields query parameter, comma-separated with no spaces.",
       .field = SPILLWAY_FIELD(stream.user_fields), .check = value_check::field_list},
      {.key = "stream.media_fields", .type = string, .help = "The media.fields query parameter, comma-separated with no spaces.",
       .field = SPILLWAY_FIELD(stream.media_fields), .check = value_check::field_list},
      {.key = "stream.max_line_bytes", .type = integer, .help = "Longest accepted stream line in bytes; a longer line goes to the dead-letter store and the stream goes on.",
       .field = SPILLWAY_FIELD(stream.max_line_bytes), .min = 1 * kib, .max = 64 * kib * kib},
      {.key = "stream.backfill", .type = boolean, .help = "On reconnect, ask for backfill_minutes sized from the measured gap (at most 5). Enterprise access only; duplicates are dropped by id.",
       .field = SPILLWAY_FIELD(stream.backfill)},
      {.key = "stream.connections", .type = integer, .help = "Filtered-stream connections held at once: 1, or 2 for redundant connections (Enterprise access only: X answers a second connection on other levels with 429 TooManyConnections). Each carries a full copy; duplicates are dropped by id, and a gap is recorded only while every connection is down.",
       .field = SPILLWAY_FIELD(stream.connections), .check = value_check::connection_count},
      {.key = "stream.rules_sync_on_start", .type = boolean, .help = "Sync [[rules]] with the live rules before connecting.",
       .field = SPILLWAY_FIELD(stream.rules_sync_on_start)},
      {.key = "stream.rules_delete_unmanaged", .type = boolean, .help = "When syncing, delete live rules that are not in [[rules]].",
       .field = SPILLWAY_FIELD(stream.rules_delete_unmanaged)},
      {.key = "stream.connect_timeout", .type = duration, .help = "Deadline for resolve, connect, TLS handshake and response headers.",
       .field = SPILLWAY_FIELD(stream.connect_timeout), .min = 1, .max = 5 * minute},
      // [auth]
      {.key = "auth.bearer_token_env", .type = string, .help = "Name of the environment variable that holds the app-only Bearer token. The token itself never goes in this file.",
       .field = SPILLWAY_FIELD(auth.bearer_token_env), .check = value_check::env_var_name},
      {.key = "auth.bearer_token_file", .type = string, .help = "Alternative to bearer_token_env: a file (readable only by the service user) holding the token on one line.",
       .field = SPILLWAY_FIELD(auth.bearer_token_file)},
      {.key = "auth.app_token_source", .type = string, .help = "Where the app-only Bearer token comes from: bearer (bearer_token_file or bearer_token_env), client_credentials (POST /oauth2/token with the API key and secret), auto (bearer if one is set, else client_credentials if the key and secret are set).",
       .field = SPILLWAY_FIELD(auth.app_token_source), .allowed = {"auto", "bearer", "client_credentials"}, .required = true},
      {.key = "auth.app_key_env", .type = string, .help = "Name of the environment variable that holds the app's API key (consumer key) for the client-credentials grant.",
       .field = SPILLWAY_FIELD(auth.app_key_env), .check = value_check::env_var_name},
      {.key = "auth.app_secret_env", .type = string, .help = "Name of the environment variable that holds the app's API key secret for the client-credentials grant.",
       .field = SPILLWAY_FIELD(auth.app_secret_env), .check = value_check::env_var_name},
      {.key = "auth.user_token_file", .type = string, .help = "OAuth 2.0 user token store for user-context calls: JSON {access_token, refresh_token, expires_at} in a file readable only by the service user; rewritten atomically on every refresh. Empty: no user token.",
       .field = SPILLWAY_FIELD(auth.user_token_file)},
      {.key = "auth.user_client_id", .type = string, .help = "OAuth 2.0 client id of the app, sent when refreshing the user token.",
       .field = SPILLWAY_FIELD(auth.user_client_id)},
      {.key = "auth.user_client_secret_env", .type = string, .help = "Confidential clients only: name of the environment variable that holds the OAuth 2.0 client secret (the refresh then uses Basic auth). Empty: a public client.",
       .field = SPILLWAY_FIELD(auth.user_client_secret_env), .check = value_check::env_var_name},
      {.key = "auth.user_refresh_margin", .type = duration, .help = "Refresh the user token when it expires within this margin.",
       .field = SPILLWAY_FIELD(auth.user_refresh_margin), .min = 1, .max = 1 * hour},
      // [diagnose]
      {.key = "diagnose.status_url", .type = string, .help = "statuspage.io JSON of the X API status page that diagnose checks. Empty: skip the check.",
       .field = SPILLWAY_FIELD(diagnose.status_url)},
      // [sinks.rocksdb]
      {.key = "sinks.rocksdb.path", .type = string, .help = "Directory of the RocksDB database; created if missing.",
       .field = SPILLWAY_FIELD(rocksdb.path), .required = true},
      {.key = "sinks.rocksdb.write_batch_posts", .type = integer, .help = "Most Posts written in one RocksDB WriteBatch.",
       .field = SPILLWAY_FIELD(rocksdb.write_batch_posts), .min = 1, .max = 65536},
      {.key = "sinks.rocksdb.min_free_bytes", .type = integer, .help = "Free bytes the database's filesystem must keep. Below it the stream is closed on purpose (a disk_low gap; Kafka delivery goes on) until free space is back above this plus free_margin_bytes. 0 = auto: the larger of 1 GiB and 5% of the filesystem.",
       .field = SPILLWAY_FIELD(rocksdb.min_free_bytes)},
      {.key = "sinks.rocksdb.free_margin_bytes", .type = integer, .help = "Free bytes above min_free_bytes needed before the stream reconnects after a disk_low close (so it does not flap). 0 = auto: the larger of 256 MiB and 1% of the filesystem.",
       .field = SPILLWAY_FIELD(rocksdb.free_margin_bytes)},
      // [sinks.kafka]
      {.key = "sinks.kafka.enabled", .type = boolean, .help = "Produce every Post to Kafka. On whenever bootstrap_servers is set; false turns the Kafka sink off and keeps its settings. true without bootstrap_servers is an error.",
       .field = SPILLWAY_FIELD(kafka.enabled)},
      {.key = "sinks.kafka.bootstrap_servers", .type = string, .help = "Kafka brokers, host:port[,host:port...].",
       .field = SPILLWAY_FIELD(kafka.bootstrap_servers), .check = value_check::host_port_list},
      {.key = "sinks.kafka.topic", .type = string, .help = "Topic every Post is produced to (key = Post id, value = the raw line).",
       .field = SPILLWAY_FIELD(kafka.topic), .check = value_check::kafka_topic, .required = true},
      {.key = "sinks.kafka.topic_by_rule_tag", .type = boolean, .help = "Produce to the topic named by the first matching rule's tag instead of `topic`.",
       .field = SPILLWAY_FIELD(kafka.topic_by_rule_tag)},
      {.key = "sinks.kafka.fallback_topic", .type = string, .help = "With topic_by_rule_tag: topic for Posts whose tag is empty or not a valid topic name. Empty: `topic`.",
       .field = SPILLWAY_FIELD(kafka.fallback_topic), .check = value_check::kafka_topic},
      {.key = "sinks.kafka.shutdown_timeout", .type = duration, .help = "How long shutdown waits for delivery reports; undelivered Posts stay in the outbox for the next start.",
       .field = SPILLWAY_FIELD(kafka.shutdown_timeout), .min = 1, .max = 10 * minute},
      {.key = "sinks.kafka.properties", .type = properties, .help = "librdkafka properties passed verbatim (string, integer or boolean values). Values of keys naming a password, secret, token or SASL credential are secret: set them with SPILLWAY_SINKS_KAFKA_PROPERTIES__<NAME> rather than in this file."},
      // [metrics]
      {.key = "metrics.listen", .type = string, .help = "host:port of the Prometheus /metrics and health endpoint; port 0 picks a free port.",
       .field = SPILLWAY_FIELD(metrics.listen), .check = value_check::host_port, .required = true},
      {.key = "metrics.enabled", .type = boolean, .help = "Serve the metrics endpoint.",
       .field = SPILLWAY_FIELD(metrics.enabled)},
      {.key = "metrics.ready_max_outbox_age", .type = duration, .help = "/readyz reports not ready when Kafka is on and the oldest Post in the outbox has waited longer than this.",
       .field = SPILLWAY_FIELD(metrics.ready_max_outbox_age), .min = 1, .max = hour},
      // [reconnect] (X's published policy is the default; see docs XAPI.md)
      {.key = "reconnect.stall_timeout", .type = duration, .help = "No complete line for this long (heartbeats count; bytes that never end a line do not) means the connection is dead. X sends a heartbeat every 20 s: keep it above 20s outside tests.",
       .field = SPILLWAY_FIELD(reconnect.stall_timeout), .min = 1, .max = 10 * minute},
      {.key = "reconnect.network_step", .type = duration, .help = "Linear backoff step after TCP/TLS/DNS errors and stalls.",
       .field = SPILLWAY_FIELD(reconnect.network_step), .min = 1, .max = 1 * minute},
      {.key = "reconnect.network_cap", .type = duration, .help = "Longest linear backoff wait.",
       .field = SPILLWAY_FIELD(reconnect.network_cap), .min = 1, .max = 1 * hour},
      {.key = "reconnect.http_base", .type = duration, .help = "First wait after an HTTP error (5xx); doubles per attempt.",
       .field = SPILLWAY_FIELD(reconnect.http_base), .min = 1, .max = 1 * hour},
      {.key = "reconnect.http_cap", .type = duration, .help = "Longest exponential backoff wait after HTTP errors.",
       .field = SPILLWAY_FIELD(reconnect.http_cap), .min = 1, .max = 24 * hour},
      {.key = "reconnect.rate_limit_base", .type = duration, .help = "First wait after a 429 without x-rate-limit-reset; doubles after each further 429.",
       .field = SPILLWAY_FIELD(reconnect.rate_limit_base), .min = 1, .max = 24 * hour},
      {.key = "reconnect.too_many_base", .type = duration, .help = "First wait after a 429 TooManyConnections right after our own drop (the old connection not yet reaped).",
       .field = SPILLWAY_FIELD(reconnect.too_many_base), .min = 1, .max = 1 * hour},
      {.key = "reconnect.jitter", .type = string, .help = "Jitter applied to every wait, so a fleet does not reconnect in lockstep.",
       .field = SPILLWAY_FIELD(reconnect.jitter), .allowed = {"full", "equal", "decorrelated", "none"}, .required = true},
      {.key = "reconnect.alert_after", .type = integer, .help = "Consecutive failed attempts before health turns unhealthy and an alert is logged.",
       .field = SPILLWAY_FIELD(reconnect.alert_after), .min = 1, .max = 1000000},
      {.key = "reconnect.close_stale_connections", .type = boolean, .help = "After a second 429 TooManyConnections in a row, close this app's streaming connections that are not this process's own through X's Connections API (DELETE /2/connections), log what was closed, and reconnect at once. They are typically a crashed client's connection X still counts; also another process streaming with the same app. Off: wait with backoff (X's rule).",
       .field = SPILLWAY_FIELD(reconnect.close_stale_connections)},
      // [usage]
      {.key = "usage.poll_interval", .type = duration, .help = "How often `run` reads GET /2/usage/tweets (Posts consumed, the project cap, the reset day) into metrics; a warning is logged from 80% of the cap, an error from 95%. A UsageCapExceeded wait lasts until the reset it reports.",
       .field = SPILLWAY_FIELD(usage.poll_interval), .min = 1 * second, .max = 24 * hour},
      // [pipeline]
      {.key = "pipeline.ring_capacity", .type = integer, .help = "Slots in the SPSC ring between the network and pipeline threads (a power of two).",
       .field = SPILLWAY_FIELD(pipeline.ring_capacity), .min = 1024, .max = 1048576, .check = value_check::power_of_two},
      {.key = "pipeline.dedup_window", .type = integer, .help = "Recent Post ids remembered in memory to drop duplicates before RocksDB is asked.",
       .field = SPILLWAY_FIELD(pipeline.dedup_window), .min = 1, .max = 100000000},
      {.key = "pipeline.spool_path", .type = string, .help = "The overload spool: an append-only file where the reader keeps reading at line rate when the pipeline is behind (X cuts a slow reader), drained in order before newer lines, kept across restarts and crashes. Empty: beside the database, sinks.rocksdb.path + \".spool\".",
       .field = SPILLWAY_FIELD(pipeline.spool_path)},
      {.key = "pipeline.spool_max_bytes", .type = integer, .help = "Largest overload spool in bytes. When it is full the reader waits for the pipeline (and X may cut the stream as a slow reader). 0: no spool, the reader waits as soon as the ring is full.",
       .field = SPILLWAY_FIELD(pipeline.spool_max_bytes)},
      // [recovery]
      {.key = "recovery.mode", .type = string, .help = "How gaps longer than backfill are healed (spillway gaps heal). stream: a Recovery connection for the gap's window (Enterprise; it takes a connection slot beside the live stream); search: GET /2/tweets/search/recent per managed rule over the window (results get matching_rules from the rule(s) that found them; Posts read are billed); auto: stream when stream.backfill is on (Enterprise), else search; off: gaps stay in the ledger.",
       .field = SPILLWAY_FIELD(recovery.mode), .allowed = {"off", "stream", "search", "auto"}, .required = true},
      {.key = "recovery.max_age", .type = duration, .help = "Gaps that began longer ago than this are marked unrecoverable instead of healed. X's Recovery reaches 24 h back.",
       .field = SPILLWAY_FIELD(recovery.max_age), .min = 1 * minute, .max = 24 * hour},
      {.key = "recovery.max_posts_per_gap", .type = integer, .help = "Spending cap: healing one gap stops after this many Posts read (the plan logs its estimate and the cost before it starts).",
       .field = SPILLWAY_FIELD(recovery.max_posts_per_gap), .min = 1, .max = 100000000},
      {.key = "recovery.interval", .type = duration, .help = "With recovery.mode other than off, `run` heals gaps in the background, beside the live stream: every interval it looks at the ledger and heals each gap that has closed and is past backfill (a gap that fails is tried again at the next look).",
       .field = SPILLWAY_FIELD(recovery.interval), .min = 1 * second, .max = 24 * hour},
      // [[rules]]
      {.key = "rules", .type = rules, .help = "Desired filtered-stream rules, one [[rules]] table each: value (required, 1-2048 characters, unique) and tag (optional). File only; no environment override."},
      // top level
      {.key = "log_level", .type = string, .help = "Least severe log level written.",
       .field = SPILLWAY_FIELD(log_level), .allowed = {"trace", "debug", "info", "warn", "error", "critical", "off"}, .required = true},
      {.key = "log_format", .type = string, .help = "Log lines on stderr: text (for people) or json (one object per line: ts, level, msg and fields such as reason, status, wait_ms, endpoint).",
       .field = SPILLWAY_FIELD(log_format), .allowed = {"text", "json"}, .required = true},
  };
}
#undef SPILLWAY_FIELD

// The automatic disk watermark (the help of the two options above says the same).
constexpr std::uint64_t auto_min_free_floor = std::uint64_t{1} << 30;      // 1 GiB
constexpr std::uint64_t auto_min_free_percent = 5;
constexpr std::uint64_t auto_free_margin_floor = std::uint64_t{256} << 20;  // 256 MiB
constexpr std::uint64_t auto_free_margin_percent = 1;

std::string describe_limit(option_type type, std::uint64_t v) {
  return type == option_type::duration ? format_duration(std::chrono::milliseconds(v)) : std::to_string(v);
}

std::optional<issue> check_range(const option_spec& spec, std::uint64_t v) {
  if (v >= spec.min && (spec.max == 0 || v <= spec.max)) return std::nullopt;
  const std::string got = spec.secret ? std::string() : " (got " + describe_limit(spec.type, v) + ")";
  if (spec.max == 0) {
    return issue{"must be at least " + describe_limit(spec.type, spec.min) + got,
                 "use a value of " + describe_limit(spec.type, spec.min) + " or more"};
  }
  return issue{"must be between " + describe_limit(spec.type, spec.min) + " and " +
                   describe_limit(spec.type, spec.max) + got,
               "use a value in that range"};
}

std::optional<issue> check_allowed(const option_spec& spec, const std::string& v) {
  if (spec.allowed.empty() || std::ranges::find(spec.allowed, v) != spec.allowed.end()) return std::nullopt;
  std::string list;
  std::vector<std::string> candidates;
  for (const auto a : spec.allowed) {
    list += (list.empty() ? "" : ", ") + std::string(a);
    candidates.emplace_back(a);
  }
  const auto near = closest_match(v, candidates);
  return issue{"must be one of " + list + (spec.secret ? "" : " (got " + toml_quote(v) + ")"),
               near ? "did you mean \"" + *near + "\"?" : "use one of " + list};
}

}  // namespace

std::string effective_spool_path(const settings& s) {
  return s.pipeline.spool_path.empty() ? s.rocksdb.path + ".spool" : s.pipeline.spool_path;
}

std::uint64_t effective_min_free_bytes(const rocksdb_settings& r, std::uint64_t filesystem_bytes) {
  if (r.min_free_bytes != 0) return r.min_free_bytes;
  return std::max(auto_min_free_floor, filesystem_bytes / 100 * auto_min_free_percent);
}

std::uint64_t effective_free_margin_bytes(const rocksdb_settings& r, std::uint64_t filesystem_bytes) {
  if (r.free_margin_bytes != 0) return r.free_margin_bytes;
  return std::max(auto_free_margin_floor, filesystem_bytes / 100 * auto_free_margin_percent);
}

const std::vector<option_spec>& option_table() {
  static const std::vector<option_spec> table = build_table();
  return table;
}

const option_spec* find_option(std::string_view key) {
  for (const auto& spec : option_table()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

bool is_known_table(std::string_view path) {
  for (const auto& spec : option_table()) {
    if (spec.key.size() > path.size() && spec.key.starts_with(path) && spec.key[path.size()] == '.') return true;
  }
  return false;
}

std::string env_var_name(std::string_view key) {
  std::string name(env_prefix);
  const auto dot = key.rfind('.');
  if (dot != std::string_view::npos) {
    std::string section = ascii_upper(key.substr(0, dot));
    std::ranges::replace(section, '.', '_');
    name += section + "__";
  }
  return name + ascii_upper(key.substr(dot == std::string_view::npos ? 0 : dot + 1));
}

std::string_view section_of(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
}

std::string_view leaf_of(std::string_view key) {
  const auto dot = key.rfind('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

std::string_view type_name(option_type type) {
  switch (type) {
    case option_type::string: return "string";
    case option_type::boolean: return "boolean";
    case option_type::integer: return "integer";
    case option_type::duration: return "duration";
    case option_type::properties: return "table";
    case option_type::rules: return "array of tables";
  }
  return "?";
}

option_value read_option(const option_spec& spec, const settings& s) {
  // One accessor per option serves reads and writes; this path only reads through it, so the
  // const_cast never lets a const settings be modified.
  return std::visit(
      [](auto* field) -> option_value {
        using field_type = std::remove_pointer_t<decltype(field)>;
        if constexpr (std::is_same_v<field_type, std::uint32_t>) return std::uint64_t{*field};
        else return *field;
      },
      spec.field(const_cast<settings&>(s)));
}

void write_option(const option_spec& spec, settings& s, const option_value& value) {
  std::visit(
      [&value](auto* field) {
        using field_type = std::remove_pointer_t<decltype(field)>;
        // The table guarantees the stored alternative matches the field; validate() has bounded it.
        if constexpr (std::is_same_v<field_type, std::uint32_t>) *field = static_cast<std::uint32_t>(std::get<std::uint64_t>(value));
        else *field = std::get<field_type>(value);
      },
      spec.field(s));
}

std::string format_value(const option_spec& spec, const option_value& value) {
  if (spec.type == option_type::duration) return toml_quote(format_duration(std::get<std::chrono::milliseconds>(value)));
  if (spec.type == option_type::boolean) return std::get<bool>(value) ? "true" : "false";
  if (spec.type == option_type::integer) return std::to_string(std::get<std::uint64_t>(value));
  return toml_quote(std::get<std::string>(value));
}

std::optional<issue> validate(const option_spec& spec, const option_value& value) {
  switch (spec.type) {
    case option_type::integer: {
      const auto v = std::get<std::uint64_t>(value);
      if (auto bad = check_range(spec, v)) return bad;
      return check_integer(spec.check, v);
    }
    case option_type::duration: {
      const auto ms = std::get<std::chrono::milliseconds>(value).count();
      if (ms <= 0) return issue{"must be greater than zero", "write a positive duration such as \"250ms\" or \"5s\""};
      return check_range(spec, static_cast<std::uint64_t>(ms));
    }
    case option_type::string: {
      const auto& v = std::get<std::string>(value);
      if (v.empty()) {
        if (spec.required) return issue{"must not be empty", "set a value, or remove the key to use the default"};
        return std::nullopt;
      }
      if (auto bad = check_allowed(spec, v)) return bad;
      return check_string(spec.check, v);
    }
    default: return std::nullopt;
  }
}

}  // namespace spillway::config
