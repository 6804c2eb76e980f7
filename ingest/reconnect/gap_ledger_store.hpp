#pragma once
// gap_ledger_store: where the gap ledger's records persist. The stream path knows only this interface;
// the service adapts it to RocksDB `meta` (app/meta_gap_ledger), so nothing under ingest/ touches the
// database and sinks/ stays the only owner of the store.
//
// Thread: called from the reader thread (gap_tracker) while the pipeline thread writes Posts; an
// implementation must be safe for that (RocksDB's Put is). What implements it must outlive its users.
#include <optional>

#include "common/error.hpp"
#include "ingest/reconnect/gap_ledger.hpp"

namespace spillway::reconnect {

class gap_ledger_store {
 public:
  virtual ~gap_ledger_store() = default;

  // The record with the newest stopped_at (unreadable records are skipped and logged), if any.
  [[nodiscard]] virtual std::optional<gap_record> newest() = 0;

  // Inserts the record, or replaces the one with the same stopped_at. errc::storage with the path,
  // the cause and the fix when the write failed.
  [[nodiscard]] virtual common::result<void> put(const gap_record& record) = 0;
};

}  // namespace spillway::reconnect
