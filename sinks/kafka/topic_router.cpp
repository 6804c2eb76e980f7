#include "sinks/kafka/topic_router.hpp"

#include <stdexcept>

namespace spillway::sinks::kafka {

namespace {

constexpr std::size_t max_topic_length = 249;  // Kafka's limit (kafka.common.internals.Topic)

bool legal_topic_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

void sanitize_into(std::string& out, std::string_view tag_json) {
  out.clear();
  if (tag_json.size() >= 2 && tag_json.front() == '"' && tag_json.back() == '"') {
    tag_json = tag_json.substr(1, tag_json.size() - 2);
  } else if (tag_json == "null") {
    tag_json = {};
  }
  for (char c : tag_json.substr(0, max_topic_length)) out += legal_topic_char(c) ? c : '_';
  if (out == "." || out == "..") out.clear();  // illegal topic names
}

}  // namespace

topic_router::topic_router(rd_kafka_t* rk, const config::kafka_settings& settings)
    : rk_(rk), by_tag_(settings.topic_by_rule_tag) {
  const std::string& fallback = settings.topic_by_rule_tag && !settings.fallback_topic.empty()
                                    ? settings.fallback_topic
                                    : settings.topic;
  if (fallback.empty()) {
    throw std::runtime_error("sinks.kafka.topic is empty; set the topic Posts are written to");
  }
  scratch_.reserve(max_topic_length);
  topics_.reserve(64);
  fallback_ = handle(fallback);
  if (fallback_ == nullptr) {
    throw std::runtime_error("librdkafka rejected topic '" + fallback + "'; use a legal Kafka topic name");
  }
}

topic_router::~topic_router() {
  for (auto& [name, rkt] : topics_) rd_kafka_topic_destroy(rkt);
}

std::string topic_router::sanitize_tag(std::string_view tag_json) {
  std::string out;
  sanitize_into(out, tag_json);
  return out;
}

rd_kafka_topic_t* topic_router::handle(std::string_view name) noexcept {
  if (auto it = topics_.find(name); it != topics_.end()) return it->second;
  if (topics_.size() >= max_topics) return nullptr;
  std::string owned(name);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, owned.c_str(), nullptr);
  if (rkt != nullptr) topics_.emplace(std::move(owned), rkt);
  return rkt;
}

rd_kafka_topic_t* topic_router::route(std::span<const sinks::rule_match> rules) noexcept {
  if (!by_tag_ || rules.empty()) return fallback_;
  sanitize_into(scratch_, rules[0].tag_json);
  if (scratch_.empty()) return fallback_;
  rd_kafka_topic_t* rkt = handle(scratch_);
  return rkt != nullptr ? rkt : fallback_;
}

}  // namespace spillway::sinks::kafka
