#pragma once
// GET /2/tweets/search/recent and /2/tweets/search/all over the Posts the emulator remembers (the
// PostFeed history: what it streamed, and with --clock-offset-s what it "matched" before any client
// came). X's contract (XAPI.md "Healing longer gaps"): `query` required, at most 512/1,024/4,096
// characters by access level; `start_time`/`end_time` (ISO 8601; recent: not before 7 days ago;
// end at least 10 s before now, default 30 s before now) and/or `since_id`/`until_id` (exclusive);
// `max_results` 10–100 (recent) or 10–500 (all), default 10; `next_token` (or `pagination_token`)
// until absent — stateless, so the same token gives the same page; results newest first, bare Post
// objects without `matching_rules`. Each endpoint has its own window (450 / 300 per 15 minutes) and
// /all at most 1 request per second; refusals are X's 429 with x-rate-limit-* headers. The full
// archive is refused (403) below pay-per-use. Invalid parameters get X's 400 invalid-request body.
// Runs on the emulator's io thread (from route_request); the ServerState must outlive the call.

#include "bench/emu/api_router.hpp"

namespace spillway::emu {

inline constexpr std::string_view kSearchRecentPath = "/2/tweets/search/recent";
inline constexpr std::string_view kSearchAllPath = "/2/tweets/search/all";

ApiAnswer search_posts(ServerState& st, const ApiRequest& req, const RouteClock& now);

// The stateless page token for "continue below this id" and back (nullopt: not a token we issued).
std::string search_page_token(std::uint64_t below_id);
std::optional<std::uint64_t> parse_search_page_token(std::string_view token);

}  // namespace spillway::emu
