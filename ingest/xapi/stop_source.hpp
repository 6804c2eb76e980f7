#pragma once
// stop_source: how a blocking control-plane step — a token grant, a rules page, a wait for a rate-limit
// window — learns that the process is stopping, so that SIGINT/SIGTERM end it within a second instead of
// after a 30 s exchange or a 15-minute window. The app's signal watcher implements it; tests their own.
//
// Owns: nothing. Thread: any; implementations must be thread-safe.
// Must outlive it: whoever holds a pointer to it (http_client, rules_api, app_token_source).
#include <chrono>

namespace spillway::ingest {

class stop_source {
 public:
  virtual ~stop_source() = default;
  [[nodiscard]] virtual bool stop_requested() const noexcept = 0;
  // Sleeps up to `d`; true as soon as a stop was requested (at once if it already was).
  [[nodiscard]] virtual bool wait_for(std::chrono::milliseconds d) = 0;
};

// How often a blocking exchange looks at its stop_source: well inside the 1 s a stop may take.
inline constexpr std::chrono::milliseconds stop_poll_interval{100};

}  // namespace spillway::ingest
