#include "sinks/kafka/record_ledger.hpp"

namespace spillway::sinks::kafka {

void record_ledger::open(std::uint64_t record) {
  if (record < opened_end_) return;
  opened_end_ = record + 1;
  if (counts_.empty()) first_ = record;
  // Sequence numbers skipped (records written before this run, or by nobody) stay 0: finished.
  while (record - first_ >= counts_.size()) counts_.push_back(0);
  counts_[record - first_] = 1;  // the hand-over reference, dropped by seal()
  ++unfinished_;
}

std::uint32_t* record_ledger::count_of(std::uint64_t record) noexcept {
  if (record < first_ || record - first_ >= counts_.size()) return nullptr;
  auto& c = counts_[record - first_];
  return c == 0 ? nullptr : &c;
}

void record_ledger::hold(std::uint64_t record) noexcept {
  if (auto* c = count_of(record)) ++*c;
}

bool record_ledger::release(std::uint64_t record) noexcept {
  auto* c = count_of(record);
  if (c == nullptr || --*c != 0) return false;
  --unfinished_;
  while (!counts_.empty() && counts_.front() == 0) {
    counts_.pop_front();
    ++first_;
  }
  return true;
}

}  // namespace spillway::sinks::kafka
