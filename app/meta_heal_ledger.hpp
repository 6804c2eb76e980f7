#pragma once
// meta_heal_ledger: where healing each gap stands (reconnect::heal_record), kept in RocksDB `meta` under
// "gapheal/" + the gap's stopped_at (8-byte big-endian Unix ms, the gap record's own key suffix), so a
// heal interrupted by a restart resumes and a healed gap is never paid for twice. Joins the gap ledger
// with these records for the planner and `spillway gaps`.
// Owns nothing; the store must outlive it. Thread: any (the store's meta API is thread-safe).
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/reconnect/heal_planner.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

inline constexpr std::string_view heal_key_prefix = "gapheal/";
[[nodiscard]] std::string heal_key(std::chrono::system_clock::time_point stopped_at);

class meta_heal_ledger {
 public:
  explicit meta_heal_ledger(sinks::store& db) : db_(db) {}

  [[nodiscard]] common::result<void> put(std::chrono::system_clock::time_point stopped_at, const reconnect::heal_record& r);
  // Every gap, oldest first, with its heal record when one exists. Unreadable records (either kind) are
  // counted in `unreadable` and skipped.
  [[nodiscard]] std::vector<reconnect::ledger_entry> load(std::size_t& unreadable);

 private:
  sinks::store& db_;
};

}  // namespace spillway::app
