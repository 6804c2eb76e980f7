#pragma once
// Helpers for the extractor tests: a line in a buffer with simdjson::SIMDJSON_PADDING readable bytes
// after it, as a slab holds it in production.
#include <string>

#include "sinks/post_extractor.hpp"

namespace spillway::testing {

struct padded_line {
  std::string storage;
  std::size_t length;
  // `hostile` padding is quotes, backslashes and closing brackets, so that nothing past the line's end
  // can pass for part of it (in a slab the padding holds the next line's bytes); otherwise spaces.
  explicit padded_line(const std::string& line, bool hostile = false) : storage(line), length(line.size()) {
    for (std::size_t i = 0; i < simdjson::SIMDJSON_PADDING; ++i) storage += hostile ? "\"\\}]"[i % 4] : ' ';
  }
  [[nodiscard]] sinks::extracted_post extract(sinks::post_extractor& x) const {
    return x.extract(storage.data(), length, storage.size());
  }
};

}  // namespace spillway::testing
