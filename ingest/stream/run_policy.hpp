#pragma once
// run_policy: glue between what a stream session observed (session_result) and the reconnect
// supervisor's decision; sizes each attempt's request (backfill_minutes from the gap ledger) and keeps
// the supervisor's metrics.
//
// Owns: the supervisor (real clocks, seeded RNG), the query options and the supervisor metrics.
// Thread: the reader thread only (called from stream_reader's hooks).
// Must outlive it: the gap sink (optional) and the metrics registry.
#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "common/error.hpp"
#include "config/settings.hpp"
#include "ingest/stream/gap_tracker.hpp"
#include "ingest/reconnect/supervisor.hpp"
#include "ingest/stream/session_result.hpp"
#include "ingest/stream/stream_reader.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"
#include "ingest/stream/supervisor_metrics.hpp"

namespace spillway::ingest {

// session_result → the supervisor's typed end reason.
[[nodiscard]] reconnect::end_reason to_end_reason(const session_result& r, std::chrono::milliseconds stall_timeout);

class run_policy {
 public:
  // Re-obtains the Bearer token after a 401 (client credentials); an error (problem and fix, never the
  // token) when it cannot. Runs on the reader thread and may block for one HTTP exchange.
  using token_refresher = std::function<common::result<void>()>;

  // gaps may be null (no ledger, no backfill). With a refresher, a 401 refreshes the token once and
  // reconnects (issue 4: "401: if a token source can refresh, refresh once and retry, else stop with 3").
  // `labels`: the connection's label on the supervisor metrics ({connection="N"} in the service).
  run_policy(const config::settings& cfg, gap_sink* gaps, common::metrics_registry& metrics,
             token_refresher refresher = {}, const common::metric_labels& labels = {});

  // reconnect.close_stale_connections: closes this app's streaming connections that are not this
  // process's own (Connections API) and returns how many it closed (it logs which), or an error. Called on
  // the reader thread after the second 429 TooManyConnections in a row; may block for two HTTP exchanges.
  using stale_closer = std::function<common::result<std::size_t>()>;
  void set_stale_closer(stale_closer closer) { stale_closer_ = std::move(closer); }
  // The usage cap's reset as X reports it now (GET /2/usage/tweets); nullopt when unknown. Called on the
  // reader thread when a connect is refused with UsageCapExceeded; may block for one HTTP exchange.
  using usage_reset_source = std::function<std::optional<std::chrono::system_clock::time_point>()>;
  void set_usage_reset_source(usage_reset_source source) { usage_reset_ = std::move(source); }
  // TooManyConnections refusals in a row before the stale closer runs: the first one right after our own
  // drop is expected (X still counts the old socket for a few seconds, XAPI.md).
  static constexpr std::uint32_t stale_close_after = 2;

  next_step on_session_end(const session_result& r);
  // The session was closed on purpose (stream_reader::hold): records the gap with `reason`, not a failure
  // for the supervisor; the stream state shows `paused` until the next connect.
  void on_hold(const session_result& r, reconnect::gap_reason reason);
  // A 200 arrived: the connect's rate-limit headers are exported now, not only when the stream ends
  // (which may be months later).
  void on_established(const rate_limit_headers& connect_headers = {});
  // The target for the attempt about to start (asks for backfill while a gap is open).
  [[nodiscard]] std::string next_target();
  // The target without backfill, for the start-up log.
  [[nodiscard]] std::string base_target() const;
  // Reader tick: samples delivery (closes a gap, resets the backoff once data flows).
  void on_tick();
  [[nodiscard]] bool healthy() const noexcept { return supervisor_.healthy(); }

 private:
  void update_health();

  std::chrono::milliseconds stall_timeout_;
  stream_query query_;
  common::steady_clock_source steady_;
  common::wall_clock_source wall_;
  std::mt19937_64 rng_;
  reconnect::supervisor supervisor_;
  gap_sink* gaps_;
  supervisor_metrics metrics_;
  common::metrics_registry& registry_;
  const std::string stream_call_ = paths::call("GET", paths::stream);  // the connect's rate-limit label
  token_refresher refresher_;
  stale_closer stale_closer_;
  usage_reset_source usage_reset_;
  std::uint32_t too_many_streak_ = 0;  // consecutive 429 TooManyConnections
  bool redundant_ = false;             // stream.connections = 2: a TooManyConnections may be the access level
  bool healthy_ = true;
  std::int64_t session_lines_base_ = 0;  // lines counter when the current stream was established
};

}  // namespace spillway::ingest
