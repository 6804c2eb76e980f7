#pragma once
// Plain settings structs with their defaults. These initialisers are the single source of every
// default: the option table (options.cpp) reads them from a default-constructed `settings` when it
// renders help, the Markdown reference and the effective config, so nothing is written twice.
// Values only; no behaviour. Safe to copy and to share read-only between threads after loading.
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spillway::config {

struct stream_settings {
  std::string base_url = "https://api.x.com";
  bool allow_insecure_http = false;
  std::string ca_file;
  bool trust_system_roots = true;
  std::string tweet_fields;
  std::string expansions;
  std::string user_fields;
  std::string media_fields;
  std::uint64_t max_line_bytes = 1 << 20;
  bool backfill = false;
  std::uint64_t connections = 1;  // 1 | 2 (redundant connections, Enterprise)
  bool rules_sync_on_start = false;
  bool rules_delete_unmanaged = true;
  std::chrono::milliseconds connect_timeout{10000};
};

struct auth_settings {
  std::string bearer_token_env = "X_BEARER_TOKEN";
  std::string bearer_token_file;
  std::string app_token_source = "auto";  // auto | bearer | client_credentials
  std::string app_key_env = "X_API_KEY";
  std::string app_secret_env = "X_API_SECRET";
  std::string user_token_file;
  std::string user_client_id;
  std::string user_client_secret_env;
  std::chrono::milliseconds user_refresh_margin{300000};
};

struct diagnose_settings {
  std::string status_url = "https://api.twitterstat.us/api/v2/status.json";
};

struct rocksdb_settings {
  std::string path = "./spillway-data";
  std::uint32_t write_batch_posts = 512;
  std::uint64_t min_free_bytes = 0;     // 0: auto (config/options: effective_min_free_bytes)
  std::uint64_t free_margin_bytes = 0;  // 0: auto (config/options: effective_free_margin_bytes)
};

struct kafka_settings {
  // A configured sink is on: with bootstrap_servers set Kafka produces unless `enabled = false` says
  // otherwise. The loader turns this off when no brokers are configured (and no one asked for Kafka
  // explicitly), so after loading `enabled` alone says whether the Kafka sink runs.
  bool enabled = true;
  std::string bootstrap_servers;
  std::string topic = "x.posts";
  bool topic_by_rule_tag = false;
  std::string fallback_topic;
  std::chrono::milliseconds shutdown_timeout{10000};
  // [sinks.kafka.properties] verbatim, in file order, for librdkafka; ints and bools are rendered
  // as librdkafka expects them ("5", "true"). Some values are secrets: see is_secret_property().
  std::vector<std::pair<std::string, std::string>> properties;
};

struct metrics_settings {
  std::string listen = "127.0.0.1:9464";
  bool enabled = true;
  // /readyz fails the kafka check once the oldest undelivered Post has waited longer than this.
  std::chrono::milliseconds ready_max_outbox_age{60000};
};

struct reconnect_settings {
  std::chrono::milliseconds stall_timeout{30000};
  std::chrono::milliseconds network_step{250};
  std::chrono::milliseconds network_cap{16000};
  std::chrono::milliseconds http_base{5000};
  std::chrono::milliseconds http_cap{320000};
  std::chrono::milliseconds rate_limit_base{60000};
  std::chrono::milliseconds too_many_base{5000};
  std::string jitter = "full";  // full | equal | decorrelated | none
  std::uint32_t alert_after = 10;
  bool close_stale_connections = false;
};

struct usage_settings {
  std::chrono::milliseconds poll_interval{15 * 60 * 1000};
};

struct pipeline_settings {
  std::uint32_t ring_capacity = 65536;
  std::uint32_t dedup_window = 1000000;
  std::string spool_path;                              // empty: beside the database (effective_spool_path)
  std::uint64_t spool_max_bytes = std::uint64_t{2} << 30;  // 0: no spool
};

// Healing gaps longer than backfill covers (XAPI.md "Healing longer gaps").
struct recovery_settings {
  std::string mode = "off";  // off | stream | search | auto
  std::chrono::milliseconds max_age{24LL * 3600 * 1000};  // X's Recovery reaches 24 h back
  std::uint64_t max_posts_per_gap = 100000;               // spending cap: healing one gap stops here
  std::chrono::milliseconds interval{30000};              // `run`: how often the ledger is looked at for gaps to heal
};

struct rule_spec {
  std::string value;
  std::string tag;
  bool operator==(const rule_spec&) const = default;
};

struct settings {
  stream_settings stream;
  auth_settings auth;
  diagnose_settings diagnose;
  rocksdb_settings rocksdb;
  kafka_settings kafka;
  metrics_settings metrics;
  reconnect_settings reconnect;
  usage_settings usage;
  pipeline_settings pipeline;
  recovery_settings recovery;
  std::vector<rule_spec> rules;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" for people, "json" (one object per line) for log shippers
  std::string source_path;  // the file (or source name) these settings were loaded from
};

}  // namespace spillway::config
