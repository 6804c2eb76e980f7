#pragma once
// meta_gap_ledger: the gap ledger kept in RocksDB `meta` — the adapter that lets the stream path
// (ingest/stream/gap_tracker) persist gaps without knowing the database.
//
// Keys: "gap/" + stopped_at as 8-byte big-endian Unix ms, so the ledger iterates oldest first; values are
// reconnect::serialize(gap_record).
// Owns nothing; the store must outlive it. Thread: any (the store's meta API is thread-safe); in the
// service the reader thread.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/reconnect/gap_ledger_store.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

inline constexpr std::string_view gap_key_prefix = "gap/";
[[nodiscard]] std::string gap_key(std::chrono::system_clock::time_point stopped_at);

class meta_gap_ledger final : public reconnect::gap_ledger_store {
 public:
  explicit meta_gap_ledger(sinks::store& db) : db_(db) {}

  [[nodiscard]] std::optional<reconnect::gap_record> newest() override;
  [[nodiscard]] common::result<void> put(const reconnect::gap_record& record) override;

  // Every record, oldest first; unreadable ones are counted in `unreadable` and skipped.
  void for_each(const std::function<void(const reconnect::gap_record&)>& f, std::size_t& unreadable);

 private:
  sinks::store& db_;
};

}  // namespace spillway::app
