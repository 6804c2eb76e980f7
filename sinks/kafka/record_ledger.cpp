#include "sinks/kafka/record_ledger.hpp"

#include <algorithm>
#include <utility>

namespace spillway::sinks::kafka {

void record_ledger::open(std::uint64_t record, std::int64_t oldest_received_ms) {
  if (record < opened_end_) return;
  opened_end_ = record + 1;
  if (counts_.empty()) first_ = record;
  // Sequence numbers skipped (records written before this run, or by nobody) stay finished.
  while (record - first_ >= counts_.size()) counts_.push_back({});
  counts_[record - first_] = {1, oldest_received_ms};  // 1: the hand-over reference, dropped by seal()
  ++unfinished_;
}

const record_ledger::entry* record_ledger::entry_of(std::uint64_t record) const noexcept {
  if (record < first_ || record - first_ >= counts_.size()) return nullptr;
  const auto& e = counts_[record - first_];
  return e.count == 0 ? nullptr : &e;
}

record_ledger::entry* record_ledger::entry_of(std::uint64_t record) noexcept {
  return const_cast<entry*>(std::as_const(*this).entry_of(record));
}

std::optional<std::int64_t> record_ledger::opened_ms(std::uint64_t record) const noexcept {
  if (const auto* e = entry_of(record)) return e->oldest_ms;
  return std::nullopt;
}

void record_ledger::hold(std::uint64_t record) noexcept {
  if (auto* e = entry_of(record)) ++e->count;
}

bool record_ledger::release(std::uint64_t record) noexcept {
  auto* e = entry_of(record);
  if (e == nullptr || --e->count != 0) return false;
  --unfinished_;
  while (!counts_.empty() && counts_.front().count == 0) {
    counts_.pop_front();
    ++first_;
  }
  return true;
}

std::int64_t record_ledger::oldest_received_ms(std::int64_t none) const noexcept {
  std::int64_t oldest = none;
  for (const auto& e : counts_) {
    if (e.count != 0) oldest = std::min(oldest, e.oldest_ms);
  }
  return oldest;
}

}  // namespace spillway::sinks::kafka
