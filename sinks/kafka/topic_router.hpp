#pragma once
// topic_router: picks the Kafka topic of a Post and caches librdkafka topic handles by name.
//
// Without topic_by_rule_tag every Post goes to `topic`. With it, the first matching rule's tag, made a
// legal Kafka topic name (characters outside [A-Za-z0-9._-] become '_', at most 249 characters), names
// the topic; no rule, an empty tag or a tag that sanitises to "." or ".." goes to the fallback topic
// (`fallback_topic`, or `topic` when that is empty). Handles are created once per name and reused, so
// routing a Post costs one hash lookup on a reused buffer.
// Owns: the rd_kafka_topic_t handles (destroyed before the producer). Thread: the producer thread.
// Must outlive it: the rd_kafka_t.
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include <librdkafka/rdkafka.h>

#include "config/settings.hpp"
#include "sinks/post.hpp"

namespace spillway::sinks::kafka {

class topic_router {
 public:
  topic_router(rd_kafka_t* rk, const config::kafka_settings& settings);
  ~topic_router();
  topic_router(const topic_router&) = delete;
  topic_router& operator=(const topic_router&) = delete;

  // Never null: falls back to the fallback topic's handle.
  [[nodiscard]] rd_kafka_topic_t* route(std::span<const sinks::rule_match> rules) noexcept;

  // The topic a tag routes to ("" when it routes to the fallback). Exposed for tests and docs.
  static std::string sanitize_tag(std::string_view tag_json);

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  rd_kafka_topic_t* handle(std::string_view name) noexcept;

  // A cap on distinct tag topics: tags come from the configured rules, so this is never reached in
  // practice; past it, new tags go to the fallback rather than growing without bound.
  static constexpr std::size_t max_topics = 1024;

  rd_kafka_t* rk_;
  bool by_tag_;
  rd_kafka_topic_t* fallback_ = nullptr;
  std::string scratch_;
  std::unordered_map<std::string, rd_kafka_topic_t*, hash, std::equal_to<>> topics_;
};

}  // namespace spillway::sinks::kafka
