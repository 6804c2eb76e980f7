#include "bench/emu/search_endpoint.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "bench/emu/form_codec.hpp"
#include "bench/emu/iso_time.hpp"
#include "bench/emu/search_query.hpp"

namespace spillway::emu {
namespace {

constexpr std::int64_t kRecentSpanMs = 7LL * 24 * 3600 * 1000;
constexpr std::int64_t kEndMarginMs = 10'000;      // end_time must be at least this far in the past
constexpr std::int64_t kDefaultEndLagMs = 30'000;  // end_time when not given: now - 30 s

struct Bounds {
  std::int64_t start_ms = std::numeric_limits<std::int64_t>::min();
  std::int64_t end_ms = std::numeric_limits<std::int64_t>::max();  // exclusive
  std::uint64_t since_id = 0;                                        // exclusive
  std::uint64_t until_id = std::numeric_limits<std::uint64_t>::max();  // exclusive
};

ApiAnswer answer(int status, std::string outcome, std::string response, const RateLimitInfo& rl) {
  return ApiAnswer{false, rl, status, std::move(outcome), std::move(response), {}};
}

ApiAnswer invalid(const std::string& message, const RouteClock& now, const RateLimitInfo& rl) {
  return answer(400, "search_invalid", error_response(400, invalid_request_body(message), now.unix_ms / 1000, rl), rl);
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The time bounds, or X's message for the first parameter it refuses.
std::variant<Bounds, std::string> read_bounds(std::string_view query, bool recent, std::int64_t now_ms) {
  Bounds b;
  const auto start = form_value(query, "start_time");
  const auto end = form_value(query, "end_time");
  if (start) {
    const auto t = parse_iso_time(*start);
    if (!t) return "Invalid 'start_time':'" + *start + "'. 'start_time' must be a valid ISO 8601 time (YYYY-MM-DDTHH:mm:ssZ).";
    if (recent && *t < now_ms - kRecentSpanMs)
      return "Invalid 'start_time':'" + *start + "'. 'start_time' must be on or after " + iso_time(now_ms - kRecentSpanMs);
    b.start_ms = *t;
  } else if (recent) {
    b.start_ms = now_ms - kRecentSpanMs;
  }
  if (end) {
    const auto t = parse_iso_time(*end);
    if (!t) return "Invalid 'end_time':'" + *end + "'. 'end_time' must be a valid ISO 8601 time (YYYY-MM-DDTHH:mm:ssZ).";
    if (*t > now_ms - kEndMarginMs)
      return "Invalid 'end_time':'" + *end + "'. 'end_time' must be a minimum of 10 seconds prior to the request time.";
    b.end_ms = *t;
  } else {
    b.end_ms = now_ms - kDefaultEndLagMs;
  }
  if (start && b.start_ms >= b.end_ms)
    return "Invalid 'start_time':'" + *start + "'. 'start_time' must be before 'end_time'.";
  for (auto [key, slot] : {std::pair{"since_id", &b.since_id}, std::pair{"until_id", &b.until_id}}) {
    if (const auto v = form_value(query, key)) {
      const auto id = parse_u64(*v);
      if (!id) return "The `" + std::string(key) + "` query parameter value [" + *v + "] is not a valid Post id";
      *slot = *id;
    }
  }
  return b;
}

}  // namespace

std::string search_page_token(std::uint64_t below_id) {
  std::string s;
  do {
    s.insert(s.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[below_id % 36]);
    below_id /= 36;
  } while (below_id != 0);
  return "b" + s;
}

std::optional<std::uint64_t> parse_search_page_token(std::string_view token) {
  if (token.size() < 2 || token.size() > 14 || token[0] != 'b') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : token.substr(1)) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : -1;
    if (d < 0 || v > (std::numeric_limits<std::uint64_t>::max() - std::uint64_t(d)) / 36) return std::nullopt;
    v = v * 36 + std::uint64_t(d);
  }
  return v;
}

ApiAnswer search_posts(ServerState& st, const ApiRequest& req, const RouteClock& now) {
  const bool recent = req.path == kSearchRecentPath;
  RateWindow& window = recent ? st.search_recent_window : st.search_all_window;
  const std::int64_t now_s = now.unix_ms / 1000;
  if (!recent && !st.caps.search_all)
    return answer(403, "access_forbidden", error_response(403, x_body::access_forbidden_403, now_s, window.peek(now_s)),
                  window.peek(now_s));
  if (!recent && now.unix_ms - st.search_all_last_ms < st.config.search_all_min_interval_ms) {
    // X's "1 request per second" on the full archive: refused without spending the 15-minute window.
    const RateLimitInfo rl = window.peek(now_s);
    return answer(429, "rate_limited", error_response(429, x_body::rate_limited_429, now_s, rl), rl);
  }
  const auto v = window.on_request(now_s);
  if (!v.allowed) return answer(429, "rate_limited", error_response(429, x_body::rate_limited_429, now_s, v.info), v.info);
  if (!recent) st.search_all_last_ms = now.unix_ms;

  const std::string text = form_value(req.query, "query").value_or("");
  if (text.empty()) return invalid("The `query` query parameter can not be empty", now, v.info);
  if (text.size() > st.caps.max_query_length)
    return invalid("There were errors processing your request: Query length exceeds the max allowed query length of " +
                       std::to_string(st.caps.max_query_length) + " (at position 1)",
                   now, v.info);
  const auto parsed = SearchQuery::parse(text);
  if (const auto* message = std::get_if<std::string>(&parsed)) return invalid(*message, now, v.info);
  const SearchQuery& q = std::get<SearchQuery>(parsed);

  const std::size_t max_cap = recent ? 100 : 500;
  std::size_t max_results = 10;
  if (const auto m = form_value(req.query, "max_results")) {
    const auto n = parse_u64(*m);
    if (!n || *n < 10 || *n > max_cap)
      return invalid("The `max_results` query parameter value [" + *m + "] is not between 10 and " + std::to_string(max_cap),
                     now, v.info);
    max_results = std::size_t(*n);
  }
  const auto bounds_or = read_bounds(req.query, recent, now.unix_ms);
  if (const auto* message = std::get_if<std::string>(&bounds_or)) return invalid(*message, now, v.info);
  Bounds b = std::get<Bounds>(bounds_or);
  auto token = form_value(req.query, "next_token");
  if (!token) token = form_value(req.query, "pagination_token");
  if (token) {
    const auto below = parse_search_page_token(*token);
    if (!below) return invalid("The `next_token` query parameter value [" + *token + "] is not valid", now, v.info);
    b.until_id = std::min(b.until_id, *below);
  }

  // Newest first: walk the history (ids ascending) down from until_id.
  const auto& h = st.feed.history();
  auto it = std::lower_bound(h.begin(), h.end(), b.until_id, [](const PostFeed::Sent& s, std::uint64_t id) { return s.id < id; });
  std::string data;
  std::size_t n = 0;
  std::uint64_t newest = 0, oldest = 0;
  bool more = false;
  char created[kCreatedAtWidth];
  while (it != h.begin()) {
    --it;
    const std::int64_t ms = snowflake_ms(it->id);
    if (it->id <= b.since_id || ms < b.start_ms) break;
    if (ms >= b.end_ms || !q.matches(st.index.facts(it->tmpl))) continue;
    if (n == max_results) {
      more = true;
      break;
    }
    data += n == 0 ? "" : ",";
    format_created_at(ms, created);
    st.index.render_data(it->tmpl, it->id, created, data);
    newest = n == 0 ? it->id : newest;
    oldest = it->id;
    ++n;
  }
  std::string body;
  if (n > 0) body = "{\"data\":[" + data + "],\"meta\":{\"newest_id\":\"" + std::to_string(newest) +
                    "\",\"oldest_id\":\"" + std::to_string(oldest) + "\",\"result_count\":" + std::to_string(n);
  else body = "{\"meta\":{\"result_count\":0";
  if (more) body += ",\"next_token\":\"" + search_page_token(oldest) + "\"";
  body += "}}";
  st.search_posts_returned += n;
  return answer(200, recent ? "search_recent" : "search_all", json_response(200, body, now_s, v.info), v.info);
}

}  // namespace spillway::emu
