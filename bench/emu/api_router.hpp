#pragma once
// Routing of one HTTP request to the emulator's answer, in X's order of checks: unknown path (404),
// method (405), the unauthenticated status page, the token endpoints (Basic / client_id auth),
// /2/users/me (its window, then user vs app token), Bearer (401), access level (403), then the
// rules endpoints (their windows) or the stream (armed status faults, 409 no rules, Recovery window
// checks, connect window, connection slots). Search has its own file (search_endpoint.hpp). Spends rate windows and takes the stream slot; does no I/O, so the whole
// decision table is testable without sockets.
// Used on the emulator's io thread; the ServerState must outlive the call.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/emu/recovery_window.hpp"
#include "bench/emu/server_state.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {

struct ApiRequest {
  std::string_view method, path, query, authorization, body;
};

struct ApiAnswer {
  bool stream = false;   // a stream slot was taken: the caller streams with `rl`, then releases it
  RateLimitInfo rl;      // the window the response reports
  int status = 0;
  std::string outcome;   // for the connection log
  std::string response;  // the complete HTTP response when !stream
  std::optional<RecoveryWindow> recovery;  // with stream: re-stream this window, then end the body
};

struct RouteClock {
  std::int64_t unix_ms;      // wall clock: rate windows, dates
  std::int64_t mono_ms;      // feed_now_ms(): slots, user-token expiry
  std::int64_t since_start;  // ms since the emulator started: scripted faults
};

ApiAnswer route_request(ServerState& st, const ApiRequest& req, const RouteClock& now);

}  // namespace spillway::emu
