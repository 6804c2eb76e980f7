#pragma once
// stream_item: what the reader thread hands to the pipeline thread through the SPSC ring.
// Trivially copyable (two words and change), so the ring moves it with plain stores.
#include <cstdint>

#include "common/slab_pool.hpp"

namespace spillway::common {

struct stream_item {
  enum class kind : std::uint8_t {
    line,          // one complete message (no "\r\n") at slab->data + offset
    oversize,      // a line over stream.max_line_bytes: `length` bytes of sample; the rest was discarded
    truncated,     // the body ended mid-line: the partial bytes as received
    slab_retired,  // the reader is done with `slab`; every earlier item in it has been queued
  };
  kind what = kind::line;
  std::uint32_t length = 0;
  std::uint32_t offset = 0;
  slab* owner = nullptr;
  std::int64_t received_ms = 0;  // Unix ms when the read that completed this line returned

  [[nodiscard]] const char* bytes() const noexcept { return owner->data + offset; }
};

}  // namespace spillway::common
