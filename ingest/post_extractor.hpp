#pragma once
// post_extractor: pulls the routing fields out of one stream line with simdjson On-Demand.
//
// Extracts `data.id`, `matching_rules[].id/tag` and in-band `errors` (XAPI.md "Wire format") and leaves
// the line's bytes untouched, because the raw line is what the sinks store (ARCHITECTURE.md "Parse").
// Owns: one simdjson parser, sized once for max_line_bytes, so steady state allocates nothing.
// Thread: the pipeline thread; one instance per thread.
//
// IMPORTANT: buffer lifetime. The line must be followed by at least simdjson::SIMDJSON_PADDING readable
// bytes (`capacity` >= length + padding); slabs guarantee it. Every string_view in `extracted_post`
// points into the line itself (raw JSON tokens, still escaped), so it is valid exactly as long as the
// line's buffer — and only until the next call to extract() for `notice_*` fields.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <simdjson.h>

namespace spillway::ingest {

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

class post_extractor {
 public:
  explicit post_extractor(std::size_t max_line_bytes);

  // Never throws. `capacity` is how many bytes starting at `line` may be read (>= length + padding).
  [[nodiscard]] extracted_post extract(const char* line, std::size_t length, std::size_t capacity) noexcept;

  // Rvalue buffers would dangle: extracted views point into the line.
  extracted_post extract(std::string&& line, std::size_t, std::size_t) = delete;

 private:
  simdjson::ondemand::parser parser_;
};

// Parses 1–19 decimal digits into a Post id. Ids are strings on the wire precisely because they do not
// fit a double (XAPI.md); returns false for empty, non-digit or overflowing text.
[[nodiscard]] bool parse_post_id(std::string_view digits, std::uint64_t& out) noexcept;

}  // namespace spillway::ingest
