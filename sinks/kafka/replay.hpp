#pragma once
// replay: re-publishes stored Posts to Kafka (`spillway replay`), for downstream teams who lost data.
//
// Reads `tweets` in id order between from_id and to_id (inclusive), re-extracts each Post's rules, and
// produces the same record as the live sink (key, raw line, headers, topic routing) through its own
// producer. Failed deliveries are produced again until every Post is delivered or the deadline passes.
// Does not touch the outbox. Thread: the caller's; blocking. Memory: librdkafka's bounded queue plus
// the ids of failed deliveries.
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::sinks::kafka {

struct replay_range {
  std::uint64_t from_id = 0;
  std::uint64_t to_id = std::numeric_limits<std::uint64_t>::max();
};

struct replay_progress {
  std::uint64_t total = 0;      // Posts in the range
  std::uint64_t produced = 0;   // produce calls accepted (retries included)
  std::uint64_t delivered = 0;  // acknowledged by Kafka
  std::uint64_t failed = 0;     // failed delivery reports so far (each retried)
};

struct replay_options {
  // stream.max_line_bytes of the configuration (no default here: config/options.cpp is the one place).
  explicit replay_options(std::size_t max_line) noexcept : max_line_bytes(max_line) {}

  std::size_t max_line_bytes;
  std::chrono::milliseconds deadline{std::chrono::minutes(30)};  // give up on Posts undelivered by then
  std::chrono::milliseconds progress_interval{200};
};

// Returns how many Posts were delivered (== progress.total), or errc::timeout when the deadline passed
// with Posts undelivered (naming how many and the fix). Throws std::runtime_error for a bad
// configuration, at start-up, before anything is produced.
[[nodiscard]] common::result<std::uint64_t> replay(const store& db, const config::kafka_settings& settings, replay_range range,
                                                   const std::function<void(const replay_progress&)>& progress,
                                                   const replay_options& options);

}  // namespace spillway::sinks::kafka
