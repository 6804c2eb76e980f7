#pragma once
// post_extractor: checks that one stream line is valid JSON and pulls out its routing fields, in one pass.
//
// Extracts `data.id`, `matching_rules[].id/tag` and in-band `errors` (XAPI.md "Wire format") and leaves
// the line's bytes untouched, because the raw line is what the sinks store (ARCHITECTURE.md "Parse").
// Only a line that is valid RFC 8259 JSON in UTF-8 (json_reader.hpp has the choices where RFC 8259
// leaves room), whose top-level object, `data`, rule and error objects have no duplicate key, and whose
// data.id is canonical (parse_post_id) is a `post`; anything else is `malformed` or `missing_id`, with
// the reason in `problem`. A `notice` is recognised by its shape alone: a top-level `errors` array and
// no `data`.
//
// Why a hand-written validating reader (json_reader, with simdjson::validate_utf8 for non-ASCII strings)
// and not simdjson:
// On-Demand checks only what it is asked to read, and asking it to read every value halves its speed;
// the DOM validates everything but keeps no source positions, and the sinks need the rule ids and tags
// as raw tokens inside the line, so the DOM would come on top of a second pass. Measured with
// bench-extract on the emulator corpus: sinks/README.md "Validation".
//
// Owns: the duplicate-key tables and a scratch buffer for keys with escapes, sized once for
// max_line_bytes, so steady state allocates nothing. Thread: the pipeline thread (or the Kafka relay's, the committer thread,
// or replay's); one instance per thread.
//
// IMPORTANT: buffer lifetime. The line must be followed by at least simdjson::SIMDJSON_PADDING readable
// bytes (`capacity` >= length + padding); slabs guarantee it (the reader loads 32 bytes at a time).
// Every string_view in `extracted_post` points into the line itself (raw JSON tokens, still escaped), so
// it is valid exactly as long as the line's buffer; `problem` is a static string.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <simdjson.h>  // simdjson::SIMDJSON_PADDING, which every caller's buffer must provide

#include "sinks/post.hpp"

namespace spillway::sinks {

class post_extractor {
 public:
  // Allocates its tables; throws std::bad_alloc at start-up if it cannot.
  explicit post_extractor(std::size_t max_line_bytes);
  ~post_extractor();
  post_extractor(post_extractor&&) noexcept;
  post_extractor& operator=(post_extractor&&) noexcept;

  // Never throws, never allocates. `capacity` is how many bytes starting at `line` may be read
  // (>= length + padding).
  [[nodiscard]] extracted_post extract(const char* line, std::size_t length, std::size_t capacity) noexcept;

  // Rvalue buffers would dangle: extracted views point into the line.
  extracted_post extract(std::string&& line, std::size_t, std::size_t) = delete;

 private:
  // Behind a pointer: ~25 KiB of tables that the pipeline's own object need not carry, and no detail of
  // post_extractor.cpp (built for SPILLWAY_SIMD_ARCH) in a class every sink includes.
  struct state;
  std::unique_ptr<state> state_;
};

// Parses a canonical Post id: 1-19 decimal digits, no leading zero, not zero, at most 2^63-1 (X's ids are
// signed 64-bit snowflakes; strings on the wire because they do not fit a double, XAPI.md). Anything else
// (sign, leading zero, escape, space, overflow, empty) is refused, so two spellings never share one key.
[[nodiscard]] bool parse_post_id(std::string_view digits, std::uint64_t& out) noexcept;

// Why `digits` is not a canonical Post id (static text), or nullptr when it is (then `out` holds it).
[[nodiscard]] const char* post_id_problem(std::string_view digits, std::uint64_t& out) noexcept;

}  // namespace spillway::sinks
