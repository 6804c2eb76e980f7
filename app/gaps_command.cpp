// `spillway gaps --db DIR`: one line per recorded gap in delivery, oldest first, then a summary.
// Gaps longer than the 5 minutes X can backfill are marked UNRECOVERED with the lost span; a gap Spillway
// opened on purpose (the disk fell below sinks.rocksdb.min_free_bytes) says `reason disk_low`.
#include "app/commands.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/meta_gap_ledger.hpp"
#include "ingest/reconnect/policy.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {

common::exit_code gaps_command(const std::string& db_path) {
  std::unique_ptr<sinks::store> db;
  try {
    db = std::make_unique<sinks::store>(db_path, sinks::open_mode::read_only);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return common::exit_code::config;
  }
  std::size_t total = 0, open = 0, long_gaps = 0, unreadable = 0;
  std::chrono::milliseconds unrecovered_sum{0};
  std::fputs("stopped_at               resumed_at               gap          backfill  status\n", stdout);
  meta_gap_ledger ledger(*db);
  ledger.for_each([&](const reconnect::gap_record& rec) {
    const auto* record = &rec;
    ++total;
    const auto stopped = reconnect::format_utc(record->stopped_at);
    const std::string reason = record->reason == reconnect::gap_reason::stream
                                   ? std::string()
                                   : fmt::format("; reason {}", reconnect::to_string(record->reason));
    if (!record->resumed_at) {
      ++open;
      std::fputs(fmt::format("{:<24} {:<24} {:<12} {:<9} open (not delivering since then{})\n", stopped, "-", "-", "-",
                             reason)
                     .c_str(),
                 stdout);
      return;
    }
    const auto m = reconnect::measure_gap(record->stopped_at, *record->resumed_at);
    std::string status = "recoverable";
    if (m.unrecovered.count() > 0) {
      ++long_gaps;
      unrecovered_sum += m.unrecovered;
      status = "UNRECOVERED " + reconnect::format_wait(m.unrecovered) + " (longer than 5 min)";
    }
    if (!reason.empty()) status += " (" + reason.substr(2) + ")";
    std::fputs(fmt::format("{:<24} {:<24} {:<12} {:<9} {}\n", stopped, reconnect::format_utc(*record->resumed_at),
                           reconnect::format_wait(m.gap), fmt::format("{} min", m.backfill_minutes), status)
                   .c_str(),
               stdout);
  }, unreadable);
  std::fputs(fmt::format("{} gaps, {} open, {} longer than 5 min ({} unrecovered){}\n", total, open, long_gaps,
                         reconnect::format_wait(unrecovered_sum),
                         unreadable > 0 ? fmt::format(", {} unreadable records skipped", unreadable) : "")
                 .c_str(),
             stdout);
  return common::exit_code::ok;
}

}  // namespace spillway::app
