#include "bench/emu/chunk_framer.hpp"

namespace spillway::emu {

std::size_t ChunkFramer::draw() {
  // Mostly large chunks (cheap to write, many messages each), some small, a few tiny ones that split
  // a message into slivers: a client's framer sees every case.
  const auto roll = rng_.below(100);
  if (roll < 75) return std::size_t(rng_.range(8 * 1024, 64 * 1024));
  if (roll < 95) return std::size_t(rng_.range(256, 8 * 1024));
  return std::size_t(rng_.range(1, 255));
}

void ChunkFramer::append_chunk(std::string_view data, std::string& out) {
  if (data.empty()) return;  // an empty chunk would end the body
  char hex[20];
  int n = 0;
  for (std::size_t v = data.size(); v != 0; v >>= 4) hex[n++] = "0123456789abcdef"[v & 0xF];
  while (n > 0) out.push_back(hex[--n]);
  out.append("\r\n", 2);
  out.append(data);
  out.append("\r\n", 2);
}

std::size_t ChunkFramer::frame(std::string_view pending, bool flush, std::string& out) {
  std::size_t used = 0;
  while (pending.size() - used >= next_size_) {
    append_chunk(pending.substr(used, next_size_), out);
    used += next_size_;
    next_size_ = draw();
  }
  if (flush && used < pending.size()) {
    append_chunk(pending.substr(used), out);
    used = pending.size();
  }
  return used;
}

}  // namespace spillway::emu
