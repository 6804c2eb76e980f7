#pragma once
// record_ledger: when an outbox batch record (sinks/rocksdb/store.hpp) may be deleted — once every Post it
// lists has either been delivered or moved to a single outbox entry of its own.
//
// Why: the pipeline writes one record per commit instead of an outbox entry per Post; the sink counts,
// per record, the Posts still in flight, plus one reference held from open() to seal() while the record's
// Posts are being handed over (so a report served in between cannot finish it early).
// Records are opened in ascending sequence order (the pipeline thread numbers them, the committer hands them over in order) and finish in any
// order; the counts live in a deque indexed from the oldest unfinished record, so there is no per-Post
// allocation and a block is allocated only every few hundred records. Its length is bounded by how long a
// Post can stay in flight (librdkafka's message.timeout.ms) times the record rate.
// Owns: the counts. Thread: the producer (pipeline) thread only.
#include <cstdint>
#include <deque>
#include <limits>
#include <optional>

namespace spillway::sinks::kafka {

class record_ledger {
 public:
  // The record's Posts are about to be handed over; `oldest_received_ms` is the earliest receive time
  // among them. Sequence numbers ascend; an older one is ignored.
  void open(std::uint64_t record, std::int64_t oldest_received_ms = 0);
  // One more of its Posts is in flight.
  void hold(std::uint64_t record) noexcept;
  // One of its Posts left flight (delivered, or moved to a single entry); true when the record is
  // finished: the caller deletes it.
  [[nodiscard]] bool release(std::uint64_t record) noexcept;
  // Every Post of the record was handed over (or moved); true when the record is finished already.
  [[nodiscard]] bool seal(std::uint64_t record) noexcept { return release(record); }

  // The receive time open() was given, while the record is unfinished.
  [[nodiscard]] std::optional<std::int64_t> opened_ms(std::uint64_t record) const noexcept;
  // Records opened and not finished.
  [[nodiscard]] std::size_t unfinished() const noexcept { return unfinished_; }
  // The earliest receive time of an unfinished record's Posts (a scan: call at most once a second);
  // `none` when every record is finished.
  [[nodiscard]] std::int64_t oldest_received_ms(std::int64_t none) const noexcept;
  // f(record) for every unfinished record, then forgets them all (their Posts' reports will never come).
  template <typename F>
  void abandon(F&& f) {
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      if (counts_[i].count != 0) f(first_ + i);
    }
    counts_.clear();
    unfinished_ = 0;
  }

 private:
  struct entry {
    std::uint32_t count = 0;  // 0 = finished (or never opened)
    std::int64_t oldest_ms = 0;
  };
  // The unfinished record's entry; nullptr when it is finished or was never opened.
  [[nodiscard]] const entry* entry_of(std::uint64_t record) const noexcept;
  [[nodiscard]] entry* entry_of(std::uint64_t record) noexcept;

  std::deque<entry> counts_;  // counts_[i] is record first_ + i
  std::uint64_t first_ = 0;
  std::uint64_t opened_end_ = 0;  // one past the newest record opened
  std::size_t unfinished_ = 0;
};

}  // namespace spillway::sinks::kafka
