#pragma once
// record_headers: the key and headers of one Kafka record, built in buffers reused for every Post.
//
//   key                 Post id, decimal
//   matching_rule_ids   JSON array of strings, rule order as received: ["1","2"]
//   matching_rule_tags  JSON array of strings, same order; a rule without a tag gives ""
//   received_at         Unix ms, decimal
// (and spillway_source, a constant string, which record_producer adds itself: common/post_source.hpp)
// The rule tokens are copied as raw JSON (quotes and escapes kept), so the arrays are valid JSON without
// unescaping anything. Buffers grow to the largest Post seen and are then reused: no allocation per Post.
// Owns: the buffers. Thread: one producer thread. Views returned stay valid until the next build().
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sinks/post.hpp"

namespace spillway::sinks::kafka {

class record_headers {
 public:
  record_headers();

  void build(std::uint64_t id, std::span<const sinks::rule_match> rules, std::int64_t received_ms);

  [[nodiscard]] std::string_view key() const noexcept { return {key_, key_len_}; }
  [[nodiscard]] std::string_view rule_ids() const noexcept { return ids_; }
  [[nodiscard]] std::string_view rule_tags() const noexcept { return tags_; }
  [[nodiscard]] std::string_view received_at() const noexcept { return {received_, received_len_}; }

 private:
  static void append_string_token(std::string& out, std::string_view token);

  char key_[24] = {};
  std::size_t key_len_ = 0;
  char received_[24] = {};
  std::size_t received_len_ = 0;
  std::string ids_;
  std::string tags_;
};

}  // namespace spillway::sinks::kafka
