#pragma once
// padded_line: a stored line copied into a buffer with simdjson's padding after it, so post_extractor can
// read it again. A line from RocksDB (the outbox relay, replay — both here in sinks/kafka/) has no readable
// bytes past its end; a slab line has (the pipeline extracts in place and needs no copy). This is the one
// place that copy is written.
//
// Owns: one buffer, sized once for max_line_bytes + padding; it grows only for a longer stored line (one
// written while stream.max_line_bytes was larger), so re-extracting allocates nothing in steady state.
// Thread: its owner's (the committer thread for the relay, the caller's for replay). Views returned by
// assign() and fields returned by extract() point into the buffer: valid until the next assign().
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

#include <simdjson.h>

#include "sinks/post_extractor.hpp"

namespace spillway::sinks {

class padded_line {
 public:
  static constexpr std::size_t padding = simdjson::SIMDJSON_PADDING;

  explicit padded_line(std::size_t max_line_bytes)
      : capacity_(max_line_bytes), buffer_(std::make_unique_for_overwrite<char[]>(max_line_bytes + padding)) {}

  // Copies `line` in and zeroes the padding after it; returns the copy.
  std::string_view assign(std::string_view line) {
    if (line.size() > capacity_) {
      capacity_ = line.size();
      buffer_ = std::make_unique_for_overwrite<char[]>(capacity_ + padding);
    }
    std::memcpy(buffer_.get(), line.data(), line.size());
    std::memset(buffer_.get() + line.size(), 0, padding);
    size_ = line.size();
    return view();
  }

  [[nodiscard]] std::string_view view() const noexcept { return {buffer_.get(), size_}; }

  // Extracts the current line; the fields' views point into this buffer.
  [[nodiscard]] extracted_post extract(post_extractor& extractor) const& noexcept {
    return extractor.extract(buffer_.get(), size_, size_ + padding);
  }
  // On a temporary the fields would point into a freed buffer.
  extracted_post extract(post_extractor&) const&& = delete;

 private:
  std::size_t capacity_;  // longest line the buffer holds (padding not counted)
  std::size_t size_ = 0;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace spillway::sinks
