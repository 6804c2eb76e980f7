#pragma once
// PostPool: a seeded pool of varied, realistic filtered-stream messages ("templates"), built once at
// start so the hot path only copies bytes and patches fixed-width fields.
// Each template holds the id placeholder (19 chars) and created_at placeholder (24 chars) at
// recorded offsets; render() copies the template and overwrites those spots, so a template never
// changes size. Built with RapidJSON's Writer (strings are pre-escaped by append_json_string so we
// control raw UTF-8 vs \uXXXX per Post, as X mixes both).
// Owns the templates; immutable after construction, so any thread may render from it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/emu/snowflake.hpp"

namespace spillway::emu {

struct PostTemplate {
  std::string bytes;  // one JSON message, no line terminator
  std::vector<std::uint32_t> id_offsets;
  std::vector<std::uint32_t> created_at_offsets;
};

// A template from one message with placeholders: records where they are.
PostTemplate make_template(std::string bytes);
// Appends `t`, patched with `id` and `created_at` (kCreatedAtWidth chars), without a line ending.
void append_patched(const PostTemplate& t, std::uint64_t id, const char* created_at, std::string& out);

class PostPool {
 public:
  // reference_ms: roughly when the stream starts; referenced Posts and users are dated before it.
  PostPool(std::uint64_t seed, std::size_t size, std::int64_t reference_ms);

  std::size_t size() const { return templates_.size(); }
  const PostTemplate& at(std::size_t i) const { return templates_[i]; }
  double mean_bytes() const;

  // Appends template i, patched with the id and a created_at already formatted by the caller
  // (kCreatedAtWidth chars), followed by "\r\n". Never allocates if `out` has capacity.
  void render(std::size_t i, std::uint64_t id, const char* created_at, std::string& out) const;

 private:
  std::vector<PostTemplate> templates_;
};

// Placeholders written into templates; render() finds them by offset, never by search.
inline constexpr std::string_view kIdPlaceholder = "~~~~~~~~~~~~~~~~~~~";
inline constexpr std::string_view kCreatedAtPlaceholder = "^^^^^^^^^^^^^^^^^^^^^^^^";
static_assert(kIdPlaceholder.size() == kIdWidth);
static_assert(kCreatedAtPlaceholder.size() == kCreatedAtWidth);

}  // namespace spillway::emu
