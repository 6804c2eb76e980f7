#pragma once
// post: what the pipeline needs to route one stream line — its kind, the Post id, the matching rules as
// raw JSON tokens, and (for notices) the disconnect type. Produced by post_extractor on the pipeline thread
// and read by every sink (RocksDB store, Kafka headers and keys); a plain value, no I/O.
//
// IMPORTANT: buffer lifetime. Every string_view points into the line it was extracted from (raw JSON
// tokens, still escaped), so it is valid exactly as long as that line's buffer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spillway::sinks {

enum class line_kind : std::uint8_t {
  post,        // has data.id
  notice,      // errors only: an in-band notice such as operational-disconnect
  malformed,   // not JSON, or JSON that is not an object
  missing_id,  // JSON object without a usable data.id (and not a notice)
};

struct rule_match {
  std::string_view id_json;   // raw JSON token of the rule id, quotes included: "1234"
  std::string_view tag_json;  // raw JSON token of the tag, quotes included; empty when the tag is absent
};

struct extracted_post {
  static constexpr std::size_t max_rules = 16;

  line_kind kind = line_kind::malformed;
  std::uint64_t id = 0;
  std::string_view id_text;                 // the digits of data.id
  std::array<rule_match, max_rules> rules{};
  std::uint32_t rule_count = 0;             // stored in `rules` (first max_rules)
  std::uint32_t rules_total = 0;            // as received; > rule_count when truncated
  bool has_errors = false;                  // partial-data `errors` alongside `data`, or a notice
  std::string_view notice_title;            // for notices: errors[0].title (raw, unescaped not needed)
  std::string_view notice_disconnect_type;  // for notices: errors[0].disconnect_type
  std::string_view problem;                 // for malformed / missing_id: what was wrong (static text)
};

}  // namespace spillway::sinks
