#pragma once
// run_policy: glue between what a stream session observed (session_result) and the reconnect
// supervisor's decision, plus the request target for each attempt.
//
// Owns: the supervisor (real clocks, seeded RNG) and the query options.
// Thread: the reader thread only (called from stream_reader's hooks).
#include <random>
#include <string>

#include "config/settings.hpp"
#include "ingest/reconnect/supervisor.hpp"
#include "ingest/session_result.hpp"
#include "ingest/stream_reader.hpp"
#include "ingest/stream_url.hpp"

namespace spillway::ingest {

// session_result → the supervisor's typed end reason.
[[nodiscard]] reconnect::end_reason to_end_reason(const session_result& r, std::chrono::milliseconds stall_timeout);

// config [reconnect] → supervisor options.
[[nodiscard]] reconnect::reconnect_options to_reconnect_options(const config::reconnect_settings& s);

class run_policy {
 public:
  explicit run_policy(const config::settings& cfg);

  next_step on_session_end(const session_result& r);
  void on_established() { supervisor_.on_established(); }
  [[nodiscard]] std::string next_target() const { return stream_target(query_); }
  [[nodiscard]] bool healthy() const noexcept { return supervisor_.healthy(); }

 private:
  std::chrono::milliseconds stall_timeout_;
  stream_query query_;
  common::steady_clock_source steady_;
  common::wall_clock_source wall_;
  std::mt19937_64 rng_;
  reconnect::supervisor supervisor_;
};

}  // namespace spillway::ingest
