#pragma once
// X's Connections API (Sep 2025; XAPI.md "Connections and usage") over the emulator's ConnectionTable,
// and the usage endpoint over its UsageMeter:
//   GET    /2/connections?status=active|inactive|all&connection.fields=...   (default status active)
//   DELETE /2/connections/all                  every active connection (25 per window: --limit-kill-all)
//   DELETE /2/connections/{endpoint_id}        every active connection of that endpoint (filtered_stream, ...)
//   DELETE /2/connections  {"uuids":[...]}     those connections
//   GET    /2/usage/tweets?usage.fields=...    project_usage, project_cap, cap_reset_day (+ daily_project_usage)
// Kills answer {"data":{"successful_kills":N,"failed_kills":M,"results":[{"uuid","success","error_message"?}]}};
// a killed stream is closed at once and its slot freed (a lingering one stops counting).
// The other calls share one window (--limit-connections; X publishes no figure for them).
// route_control() answers these paths (method, Bearer, window, then the call) and nothing else.
// Used on the emulator's io thread; the ServerState must outlive the call. No I/O.

#include <optional>

#include "bench/emu/api_router.hpp"

namespace spillway::emu {

// nullopt when `req.path` is neither /2/connections[/...] nor /2/usage/tweets.
std::optional<ApiAnswer> route_control(ServerState& st, const ApiRequest& req, const RouteClock& now);

// The connect-time answer once the project's usage cap is spent: X's 429 UsageCapExceeded.
ApiAnswer usage_capped_answer(ServerState& st, const RouteClock& now);

}  // namespace spillway::emu
