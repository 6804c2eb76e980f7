#pragma once
// record_ledger: when an outbox batch record (sinks/rocksdb/store.hpp) may be deleted — once every Post it
// lists has either been delivered or moved to a single outbox entry of its own.
//
// Why: the pipeline writes one record per commit instead of an outbox entry per Post; the sink counts,
// per record, the Posts still in flight, plus one reference held from open() to seal() while the record's
// Posts are being handed over (so a report served in between cannot finish it early).
// Records are opened in ascending sequence order (one pipeline thread writes them) and finish in any
// order; the counts live in a deque indexed from the oldest unfinished record, so there is no per-Post
// allocation and a block is allocated only every few hundred records. Its length is bounded by how long a
// Post can stay in flight (librdkafka's message.timeout.ms) times the record rate.
// Owns: the counts. Thread: the producer (pipeline) thread only.
#include <cstdint>
#include <deque>

namespace spillway::sinks::kafka {

class record_ledger {
 public:
  // The record's Posts are about to be handed over. Sequence numbers ascend; an older one is ignored.
  void open(std::uint64_t record);
  // One more of its Posts is in flight.
  void hold(std::uint64_t record) noexcept;
  // One of its Posts left flight (delivered, or moved to a single entry); true when the record is
  // finished: the caller deletes it.
  [[nodiscard]] bool release(std::uint64_t record) noexcept;
  // Every Post of the record was handed over (or moved); true when the record is finished already.
  [[nodiscard]] bool seal(std::uint64_t record) noexcept { return release(record); }

  // Records opened and not finished.
  [[nodiscard]] std::size_t unfinished() const noexcept { return unfinished_; }

 private:
  [[nodiscard]] std::uint32_t* count_of(std::uint64_t record) noexcept;

  std::deque<std::uint32_t> counts_;  // counts_[i] is record first_ + i; 0 = finished (or never opened)
  std::uint64_t first_ = 0;
  std::uint64_t opened_end_ = 0;  // one past the newest record opened
  std::size_t unfinished_ = 0;
};

}  // namespace spillway::sinks::kafka
