#pragma once
// spool: the overload spool, an append-only file of framed lines (common/spool_format.hpp) between the
// reader and the pipeline. When the ring or the slab pool is full, the reader appends the lines it frames
// here instead of waiting (X cuts a reader that falls behind); the pipeline drains the spool in order
// once the ring has emptied, and the reader goes back to the ring only when the spool is drained, so
// lines reach the pipeline in the order they arrived.
//
// Owns: the file descriptor, the writer's staging buffer and the pipeline's read buffer (both sized at
// open; no allocation per line).
// Threads: the writer side (append, flush, drained, restart) runs on the reader thread only; the drain side
// (pop_batch, release) on the pipeline thread only. They share three atomics: end_ (bytes written, published
// after write(2) returned), read_ (bytes the pipeline has committed to RocksDB) and base_ (the logical
// offset of the file's first byte, moved by restart()). Offsets are logical and only grow; the file holds
// [base_, end_).
// Must outlive it: nothing; the metrics registry must outlive it. Items handed out by pop_batch point into
// the read buffer and stay valid until release().
//
// Crash safety: the file is reopened at start (open()); whole records are kept and drained first, a torn
// tail is cut off, and recovery() tells when the last whole line was received (the gap ledger's start).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/metrics.hpp"
#include "common/slab_pool.hpp"
#include "common/stream_item.hpp"

namespace spillway::common {

class spool {
 public:
  struct recovered {
    std::uint64_t records = 0;     // whole records found at open (drained before anything new)
    std::uint64_t bytes = 0;       // their bytes
    std::uint64_t torn_bytes = 0;  // the torn tail cut off
    std::optional<std::int64_t> last_received_ms;  // Unix ms of the last whole record
  };

  enum class append_result { ok, full, io_error };

  // Opens (creating it 0600 if missing) the spool at `path` and recovers it. `max_bytes` bounds the file;
  // `max_line_bytes` bounds one record (stream.max_line_bytes).
  [[nodiscard]] static result<std::unique_ptr<spool>> open(const std::filesystem::path& path, std::uint64_t max_bytes,
                                                           std::size_t max_line_bytes, metrics_registry& metrics);
  ~spool();
  spool(const spool&) = delete;
  spool& operator=(const spool&) = delete;

  [[nodiscard]] const recovered& recovery() const noexcept { return recovered_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::uint64_t max_bytes() const noexcept { return max_bytes_; }

  // --- writer: the reader thread ---
  // Stages one record; the staging buffer is written out when full and by flush(). full: the file would
  // pass max_bytes (nothing staged; wait for drained() and restart()). io_error: the write failed (logged).
  [[nodiscard]] append_result append(std::string_view line, stream_item::kind kind, std::int64_t received_ms) noexcept;
  // Writes the staged records and publishes them to the pipeline. False on a write error (logged).
  bool flush() noexcept;
  // Everything written has been drained and committed by the pipeline (nothing staged either).
  [[nodiscard]] bool drained() const noexcept;
  // Only when drained(): empties the file so the next episode starts at offset 0.
  void restart() noexcept;
  // The last write error (errno), 0 if none: for the reader's log line.
  [[nodiscard]] int last_errno() const noexcept { return last_errno_; }

  // --- drain side: the pipeline thread ---
  // Up to out.size() lines of the current chunk (read from the file when the previous one was released).
  // 0 when nothing is spooled, or when the current chunk is all handed out and awaits release().
  std::size_t pop_batch(std::span<stream_item> out) noexcept;
  // Every line handed out so far is committed: the chunk's bytes count as drained and the buffer is reused.
  // Only acts once the whole chunk has been handed out.
  void release() noexcept;

 private:
  spool(std::filesystem::path path, int fd, std::uint64_t max_bytes, std::size_t max_line_bytes,
        metrics_registry& metrics);
  [[nodiscard]] result<void> recover();
  bool read_chunk() noexcept;
  void publish_gauges() noexcept;

  const std::filesystem::path path_;
  const int fd_;
  const std::uint64_t max_bytes_;
  const std::size_t max_line_bytes_;
  recovered recovered_;

  alignas(64) std::atomic<std::uint64_t> end_{0};
  std::atomic<std::uint64_t> base_{0};
  alignas(64) std::atomic<std::uint64_t> read_{0};

  // Writer side.
  alignas(64) std::vector<char> staged_;
  std::size_t staged_used_ = 0;
  std::uint64_t staged_lines_ = 0;
  int last_errno_ = 0;

  // Drain side. read_slab_ wraps read_buf_ so that items carry an owner like ring items do (the extractor
  // reads the slab's padding past a line's end).
  alignas(64) std::vector<char> read_buf_;
  slab read_slab_;
  std::size_t chunk_used_ = 0;    // bytes of whole records in the buffer
  std::size_t chunk_cursor_ = 0;  // next record to hand out
  std::uint64_t chunk_lines_ = 0;
  bool chunk_open_ = false;       // read and not yet released

  metric_cell& bytes_;
  metric_cell& oldest_age_ms_;
  metric_cell& spooled_;
  metric_cell& drained_;
};

}  // namespace spillway::common
