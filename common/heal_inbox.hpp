#pragma once
// heal_inbox: how Posts read by a gap healer (a Recovery connection, search) reach the pipeline, so they
// take the one path every Post takes — dedup by id, the RocksDB batch, the outbox, Kafka — and are never
// written beside it. One batch at a time: the healer hands over its lines and waits until the pipeline has
// committed them, then records its progress in `meta`; what was committed is never read twice after a
// restart, and what was not is read again (duplicates are dropped by id).
//
// Owns: the batch's bytes (one buffer, padded like a slab so the extractor may read past a line's end).
// Threads: submit() on the healer's thread (it may allocate: healing is off the hot path); pop_batch() and
// release() on the pipeline thread, which sees the buffer only between a published batch and its release
// (the submitter waits meanwhile), so the bytes need no lock. abandon() from any thread.
// Must outlive it: nothing; the pipeline and the healer must not outlive it.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/post_source.hpp"
#include "common/slab_pool.hpp"
#include "common/stream_item.hpp"

namespace spillway::common {

class heal_inbox {
 public:
  // --- healer thread ---
  // Hands `lines` (each one Post, without "\r\n") to the pipeline as `source`, received at `received_ms`,
  // and waits until they are committed. False when the inbox was abandoned first (the service is stopping
  // or the pipeline failed): the lines may or may not be stored, so progress must not move past them.
  [[nodiscard]] bool submit(std::span<const std::string> lines, post_source source, std::int64_t received_ms);
  // submit() returns false from now on, and a waiting submit() returns at once.
  void abandon();

  // --- pipeline thread ---
  // Up to out.size() lines of the published batch; 0 when none is published or all were handed out.
  std::size_t pop_batch(std::span<stream_item> out) noexcept;
  [[nodiscard]] post_source source() const noexcept { return source_; }
  // Every line handed out is committed: the waiting submit() returns true. Only acts once all were handed out.
  void release() noexcept;

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool abandoned_ = false;            // under mutex_
  std::atomic<bool> published_{false};  // a batch waits for the pipeline (the pipeline's only check when idle)
  std::string buffer_;                // the lines back to back, then slab_pool::padding_bytes
  std::vector<std::uint32_t> ends_;   // end offset of each line in buffer_
  slab slab_{};                       // a view of buffer_ for stream_item::bytes()
  std::size_t cursor_ = 0;            // next line to hand out (pipeline)
  post_source source_ = post_source::stream;
  std::int64_t received_ms_ = 0;
};

}  // namespace spillway::common
