#pragma once
// post: what the pipeline needs to route one stream line — its kind, the Post id, the matching rules as
// raw JSON tokens (scalars only), and (for notices) the disconnect type. Produced by post_extractor on
// the pipeline thread and read by every sink (RocksDB store, Kafka headers and keys); a plain value, no I/O.
//
// IMPORTANT: buffer lifetime. Every string_view points into the line it was extracted from (raw JSON
// tokens, still escaped), so it is valid exactly as long as that line's buffer.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spillway::sinks {

enum class line_kind : std::uint8_t {
  post,        // valid JSON with a canonical data.id
  notice,      // a top-level `errors` array and no `data`: an in-band notice such as operational-disconnect
  malformed,   // not valid JSON (RFC 8259, UTF-8), not an object, or a duplicate key where Spillway reads
  missing_id,  // a valid JSON object without a canonical data.id (and not a notice)
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
  bool has_errors = false;                  // a top-level `errors` array: partial data beside `data`, or a notice
  std::string_view notice_title;            // errors[0].title when a string (raw: escapes intact)
  std::string_view notice_disconnect_type;  // errors[0].disconnect_type when a string (raw)
  std::string_view problem;                 // for malformed / missing_id: what was wrong (static text)
};

}  // namespace spillway::sinks
