#pragma once
// spool: the overload spool, an append-only file of framed lines (common/spool_format.hpp) between the
// reader and the pipeline. When the ring or the slab pool is full, the reader appends the lines it frames
// here instead of waiting (X cuts a reader that falls behind); the pipeline drains the spool in order
// once the ring has emptied, and the reader goes back to the ring only when the spool is drained, so
// lines reach the pipeline in the order they arrived.
//
// Owns: the file descriptor, the staging slots (a ring of buffers between the reader and the spool's own
// writer thread, mapped at open and touched only when used; no allocation per line), the pipeline's read
// buffer, and the writer thread ("spool-writer", at the nice value of the thread that opens the spool).
// Threads: the append side (append, flush, drained, restart, wait_written) runs on the reader thread only;
// the drain side (pop_batch, release) on the pipeline thread only; write(2) runs on the writer thread only.
// Why a writer thread: on ext4 a write(2) that must update the file's times waits for the journal, and a
// journal commit (RocksDB's WAL syncs start them) kept the reader in write(2) for 50-150 ms at a time: at
// 250,000 Posts/s X then cut it as a slow reader, spool or not (e2e overload test, 2026-12-03; never with
// the spool on tmpfs). Now the reader only copies into a slot; it waits only when every slot is full.
// They share atomics: each slot's published length and closed flag, the writer's slot (slots before it
// are free again), end_ (bytes written, published after write(2) returned, at a record boundary), read_
// (bytes the pipeline has committed to RocksDB) and base_ (the logical offset of the file's first byte,
// moved by restart()). Offsets are logical and only grow; the file holds [base_, end_).
// Must outlive it: nothing; the metrics registry must outlive it. Items handed out by pop_batch point into
// the read buffer and stay valid until release().
//
// Crash safety: the file is reopened at start (open()); whole records are kept and drained first, a torn
// tail is cut off, and recovery() tells when the last whole line was received (the gap ledger's start).
// Lines still in the slots at a kill -9 (up to staging_bytes, like the lines in the ring) are lost with
// the process; backfill from that last whole line covers them.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <thread>
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

  // --- append side: the reader thread ---
  // Stages one record in the current slot; a full slot goes to the writer thread, and the next one is
  // used (waiting for the writer only when every slot is full). full: the file would pass max_bytes
  // (nothing staged; wait for drained() and restart()). io_error: the writer's last write failed and
  // every slot is full (nothing staged; flush() asks it to try again).
  [[nodiscard]] append_result append(std::string_view line, stream_item::kind kind, std::int64_t received_ms) noexcept;
  // Hands the staged records to the writer thread, which writes them and then publishes them to the
  // pipeline; returns at once. False when the writer's last write failed (it is asked to try again).
  bool flush() noexcept;
  // Blocks until the writer has written everything handed to it, or failed. True when all is written.
  bool wait_written() noexcept;
  // Everything appended has been written, drained and committed by the pipeline (nothing staged either).
  [[nodiscard]] bool drained() const noexcept;
  // Only when drained(): empties the file so the next episode starts at offset 0.
  void restart() noexcept;
  // The writer's last write error (errno), 0 if none: for the reader's log line.
  [[nodiscard]] int last_errno() const noexcept { return last_errno_.load(std::memory_order_relaxed); }
  // Bytes of staging slots between the reader and the writer thread (reserved at open, touched when used).
  static constexpr std::size_t staging_bytes = 64u << 20;

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
  [[nodiscard]] char* slot_data(std::uint64_t slot) const noexcept { return slots_ + (slot % slot_count_) * slot_bytes_; }
  // Reader thread: hand the current slot's staged records to the writer; move to the next slot (false when
  // the writer has failed and every slot is full).
  void publish_slot() noexcept;
  bool next_slot() noexcept;
  // Writer thread.
  void writer_loop() noexcept;
  bool write_out(const char* data, std::size_t len) noexcept;  // on the writer thread; false on an error

  const std::filesystem::path path_;
  const int fd_;
  const std::uint64_t max_bytes_;
  const std::size_t max_line_bytes_;
  recovered recovered_;

  alignas(64) std::atomic<std::uint64_t> end_{0};
  std::atomic<std::uint64_t> base_{0};
  alignas(64) std::atomic<std::uint64_t> read_{0};

  // Staging slots: slot_count_ buffers of slot_bytes_, used in turn (slot numbers only grow).
  std::size_t slot_bytes_ = 0;
  std::size_t slot_count_ = 0;
  char* slots_ = nullptr;  // mmap'd
  std::unique_ptr<std::atomic<std::size_t>[]> slot_published_;  // bytes of the slot handed to the writer
  std::unique_ptr<std::atomic<bool>[]> slot_closed_;              // the reader has moved past the slot

  // Reader's side of the slots.
  alignas(64) std::uint64_t cur_slot_ = 0;
  std::size_t cur_used_ = 0;       // bytes of records in the current slot (published or not)
  std::size_t staged_used_ = 0;    // of which not yet handed to the writer
  std::uint64_t staged_lines_ = 0;
  std::uint64_t queued_end_ = 0;   // logical end of what was handed to the writer

  // Shared with the writer thread.
  alignas(64) std::atomic<std::uint64_t> handed_{0};       // bumped at each hand-over (the writer waits on it)
  std::atomic<std::uint64_t> writer_slot_{0};              // slots before it are written and free again
  std::atomic<int> last_errno_{0};
  std::atomic<bool> failed_{false};  // the writer's last write failed; it waits for flush() to retry
  std::atomic<bool> stopping_{false};
  std::thread writer_;

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
