// `spillway gaps --db DIR`: one line per recorded gap in delivery, oldest first, then a summary.
// Gaps longer than the 5 minutes X can backfill are marked UNRECOVERED with the lost span; a gap Spillway
// opened on purpose (the disk fell below sinks.rocksdb.min_free_bytes) says `reason disk_low`. A gap with a
// heal record (meta_heal_ledger) shows its state instead: backfilled, recovered, partially recovered (the
// rules search could not express), unrecoverable (why), or healing in progress.
#include "app/commands.hpp"

#include <cstdio>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/meta_heal_ledger.hpp"
#include "ingest/reconnect/policy.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::app {
namespace {

// The heal record's word on a gap; `measured` (the backfill arithmetic) while healing has not ended.
std::string heal_status(const reconnect::heal_record& h, const std::string& measured) {
  if (h.state == reconnect::heal_state::open)
    return h.in_progress ? fmt::format("{}; healing by {} ({} Posts so far)", measured, reconnect::to_string(h.method), h.posts)
                         : measured;
  std::string s(reconnect::to_string(h.state));
  if (h.method != reconnect::heal_method::none) s += fmt::format(" by {} ({} Posts, {} requests)", reconnect::to_string(h.method), h.posts, h.requests);
  if (!h.detail.empty()) s += ": " + h.detail;
  return s;
}

}  // namespace

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
  for (const auto& entry : meta_heal_ledger(*db).load(unreadable)) {
    const auto* record = &entry.gap;
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
      continue;
    }
    const auto m = reconnect::measure_gap(record->stopped_at, *record->resumed_at);
    std::string status = "recoverable";
    if (m.unrecovered.count() > 0) {
      ++long_gaps;
      unrecovered_sum += m.unrecovered;
      status = "UNRECOVERED " + reconnect::format_wait(m.unrecovered) + " (longer than 5 min)";
    }
    if (!reason.empty()) status += " (" + reason.substr(2) + ")";
    if (entry.heal) status = heal_status(*entry.heal, status);
    std::fputs(fmt::format("{:<24} {:<24} {:<12} {:<9} {}\n", stopped, reconnect::format_utc(*record->resumed_at),
                           reconnect::format_wait(m.gap), fmt::format("{} min", m.backfill_minutes), status)
                   .c_str(),
               stdout);
  }
  std::fputs(fmt::format("{} gaps, {} open, {} longer than 5 min ({} unrecovered){}\n", total, open, long_gaps,
                         reconnect::format_wait(unrecovered_sum),
                         unreadable > 0 ? fmt::format(", {} unreadable records skipped", unreadable) : "")
                 .c_str(),
             stdout);
  return common::exit_code::ok;
}

}  // namespace spillway::app
