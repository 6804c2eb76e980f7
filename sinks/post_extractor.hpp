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

#include "sinks/post.hpp"

namespace spillway::sinks {

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

}  // namespace spillway::sinks
