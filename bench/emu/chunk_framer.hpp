#pragma once
// ChunkFramer: turns the message byte stream into HTTP/1.1 chunked framing with seeded, arbitrary
// chunk sizes, so chunk boundaries fall mid-message as they do from X (a client must never assume a
// chunk holds whole lines). Pure: no I/O, no clock; tested with tables.
// Owns its Rng; one per connection, used on the emulator's io thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "bench/emu/rng.hpp"

namespace spillway::emu {

class ChunkFramer {
 public:
  explicit ChunkFramer(std::uint64_t seed) : rng_(seed) { next_size_ = draw(); }

  // Frames bytes of `pending` into `out` as whole chunks of the drawn sizes. Bytes left over (fewer
  // than the next chunk size) stay for the next call unless `flush`, which emits them as a final
  // shorter chunk. Returns how many bytes of `pending` were consumed.
  std::size_t frame(std::string_view pending, bool flush, std::string& out);

  static void append_chunk(std::string_view data, std::string& out);
  static void append_last_chunk(std::string& out) { out.append("0\r\n\r\n"); }

 private:
  std::size_t draw();
  Rng rng_;
  std::size_t next_size_ = 0;
};

}  // namespace spillway::emu
