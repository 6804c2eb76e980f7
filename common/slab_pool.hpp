#pragma once
// slab_pool: large byte buffers that the stream reader fills and the pipeline releases.
//
// Owns: every slab it ever allocated (freed at destruction) and the return ring.
// Threads: acquire() runs on the reader thread only; release() on the pipeline thread only. The return
// path is its own SPSC ring (pipeline → reader), so the two threads still share nothing but lock-free
// SPSC rings. Slabs need no reference count: the reader hands a slab back by queueing a "retired" marker
// after the slab's last line, and the pipeline handles lines in order, so by the time it sees the marker
// it is done with every line in that slab.
// Must outlive: every slab pointer it handed out (the pipeline thread must be joined first).
//
// IMPORTANT: buffer lifetime. Each slab has `padding_bytes` readable bytes after its capacity, so
// simdjson On-Demand may read up to 64 bytes past the end of a line that ends at the slab's end.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/spsc_ring.hpp"

namespace spillway::common {

struct slab {
  char* data = nullptr;       // capacity + padding bytes
  std::size_t capacity = 0;   // usable bytes
};

class slab_pool {
 public:
  static constexpr std::size_t padding_bytes = 64;

  // max_slabs bounds the pool's memory: acquire() returns nullptr when all are in use.
  slab_pool(std::size_t slab_bytes, std::size_t max_slabs);
  ~slab_pool();
  slab_pool(const slab_pool&) = delete;
  slab_pool& operator=(const slab_pool&) = delete;

  // Reader thread. A free slab, a new one while under max_slabs, or nullptr when every slab is in use.
  [[nodiscard]] slab* acquire() noexcept;
  // Pipeline thread. Hands a slab back for reuse.
  void release(slab* s) noexcept;

  [[nodiscard]] std::size_t slab_bytes() const noexcept { return slab_bytes_; }
  [[nodiscard]] std::size_t allocated() const noexcept { return allocated_.load(std::memory_order_relaxed); }

 private:
  const std::size_t slab_bytes_;
  const std::size_t max_slabs_;
  spsc_ring<slab*> returned_;
  std::vector<std::unique_ptr<slab>> owned_;   // touched by the reader thread only (acquire)
  std::atomic<std::size_t> allocated_{0};
};

}  // namespace spillway::common
