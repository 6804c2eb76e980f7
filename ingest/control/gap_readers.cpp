#include "ingest/control/gap_readers.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/log.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

constexpr std::string_view search_recent = "/2/tweets/search/recent";

std::string iso_seconds(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

// X's answer other than 200, as the error the caller sorts by: what X said (escaped, capped), and the fix.
common::error refusal(std::string_view call, const http_response& r) {
  const auto said = common::log_sample(r.body, 300);
  if (r.status == 401 || r.status == 403)
    return {common::errc::refused, fmt::format("{}: X refused it (HTTP {}): {}; check the token and the app's access "
                                               "level (Recovery needs Enterprise)", call, r.status, said)};
  if (r.status == 400)
    return {common::errc::rejected, fmt::format("{}: X rejected the request (HTTP 400): {}", call, said)};
  if (r.status == 429)
    return {common::errc::rate_limited, fmt::format("{}: HTTP 429 from X: {}", call, said)};
  return {common::errc::network, fmt::format("{}: HTTP {} from X: {}; retried at the next healing pass", call,
                                             r.status, said)};
}

}  // namespace

std::string iso_time_floor(heal_clock::time_point t) { return iso_seconds(std::chrono::floor<std::chrono::seconds>(t)); }
std::string iso_time_ceil(heal_clock::time_point t) { return iso_seconds(std::chrono::ceil<std::chrono::seconds>(t)); }

std::string recovery_target(const config::settings& cfg, heal_clock::time_point from, heal_clock::time_point to) {
  std::string target = stream_target(
      stream_query{cfg.stream.tweet_fields, cfg.stream.expansions, cfg.stream.user_fields, cfg.stream.media_fields, 0});
  append_query(target, "start_time", iso_time_floor(from), ":");
  append_query(target, "end_time", iso_time_ceil(to), ":");
  return target;
}

common::result<void> recover(http_client& client, const std::string& bearer, const std::string& target,
                             const std::function<bool(std::string_view)>& on_line) {
  std::string partial;
  bool stopped = false;
  http_request_extra extra;
  extra.on_body = [&](std::string_view piece) {
    partial += piece;
    std::size_t start = 0;
    for (auto nl = partial.find('\n', start); nl != std::string::npos; nl = partial.find('\n', start)) {
      std::string_view line(partial.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      start = nl + 1;
      if (!line.empty() && !on_line(line)) {
        stopped = true;
        return false;
      }
    }
    partial.erase(0, start);
    return true;
  };
  auto answer = client.send(http_request{.method = "GET", .target = target, .body = {}, .bearer = bearer,
                                         .header_only_on_200 = false},
                            extra);
  if (!answer) return answer.error();
  const auto call = paths::call("GET", paths::stream) + " (Recovery)";
  if (answer->status != 200) return refusal(call, *answer);
  if (stopped) return common::error(common::errc::network, call + ": stopped by the caller");
  // A last line without its "\r\n": X ended the body cleanly, so it is whole.
  if (!partial.empty() && partial != "\r" && !on_line(partial)) return common::error(common::errc::network, call + ": stopped by the caller");
  return {};
}

search_reader::search_reader(http_client& client, rate_limit_tracker& limits, std::string bearer, stop_source* stop,
                             search_options options)
    : client_(client), limits_(limits), bearer_(std::move(bearer)), stop_(stop), options_(options) {}

common::result<http_response> search_reader::get(const std::string& target) {
  const std::string key = paths::call("GET", search_recent);
  for (int attempt = 0;; ++attempt) {
    // Before the call: wait rather than spend the window's last request; after a 429: until its reset.
    const auto wait = limits_.wait_before(key, unix_now_s());
    if (wait.count() > 0) {
      if (waited_ + wait > options_.max_wait)
        return common::error(common::errc::rate_limited,
                             fmt::format("{}: the rate-limit window resets in {} s, past the {} s a heal waits; "
                                         "healing resumes at the next pass", key, wait.count(), options_.max_wait.count()));
      waited_ += wait;
      if (stop_ != nullptr ? stop_->wait_for(wait) : false)
        return common::error(common::errc::network, key + ": stopped (SIGINT/SIGTERM) while waiting for the rate limit");
    }
    if (stop_ != nullptr && stop_->stop_requested()) return common::error(common::errc::network, key + ": stopped");
    auto answer = client_.send(http_request{.method = "GET", .target = target, .body = {}, .bearer = bearer_,
                                            .header_only_on_200 = false});
    if (!answer) return answer.error();
    ++requests_;
    limits_.record(key, answer->rate);
    if (answer->status == 429 && attempt < 3) {
      // The window is spent: the tracker now knows it (remaining 0 until reset); without the headers, a minute.
      if (!answer->rate.reset) limits_.record(key, rate_limit_headers{.limit = {}, .remaining = 0, .reset = unix_now_s() + 60});
      else if (!answer->rate.remaining) limits_.record(key, rate_limit_headers{.limit = {}, .remaining = 0, .reset = answer->rate.reset});
      continue;
    }
    if (answer->status != 200) return refusal(key, *answer);
    return answer;
  }
}

common::result<void> search_reader::search(const std::string& query, heal_clock::time_point from,
                                           heal_clock::time_point to, const std::string& resume_token,
                                           const std::function<bool(std::string_view, std::string_view)>& on_post,
                                           const std::function<void(const std::string&)>& on_page) {
  std::string token = resume_token;
  const std::string key = paths::call("GET", search_recent);
  // X answers a page or two beyond the last without a token: bounded so a server that pages forever stops.
  for (int page = 0; page < 100000; ++page) {
    std::string target(search_recent);
    append_query(target, "query", query);
    append_query(target, "start_time", iso_time_floor(from), ":");
    append_query(target, "end_time", iso_time_ceil(to), ":");
    append_query(target, "max_results", std::to_string(options_.max_results));
    if (!token.empty()) append_query(target, "next_token", token);
    auto answer = get(target);
    if (!answer) return answer.error();
    rapidjson::Document doc;
    doc.Parse(answer->body.data(), answer->body.size());
    if (doc.HasParseError() || !doc.IsObject())
      return common::error(common::errc::protocol, key + ": the answer is not JSON; check stream.base_url");
    if (doc.HasMember("data") && doc["data"].IsArray()) {
      for (const auto& post : doc["data"].GetArray()) {
        if (!post.IsObject() || !post.HasMember("id") || !post["id"].IsString()) continue;
        rapidjson::StringBuffer sb;
        rapidjson::Writer<rapidjson::StringBuffer> w(sb);
        post.Accept(w);
        if (!on_post(std::string_view(post["id"].GetString(), post["id"].GetStringLength()),
                     std::string_view(sb.GetString(), sb.GetSize())))
          return {};
      }
    }
    token.clear();
    if (doc.HasMember("meta") && doc["meta"].IsObject() && doc["meta"].HasMember("next_token") &&
        doc["meta"]["next_token"].IsString())
      token = doc["meta"]["next_token"].GetString();
    on_page(token);
    if (token.empty()) return {};
  }
  return common::error(common::errc::protocol, key + ": more than 100,000 pages for one query; not the X API");
}

}  // namespace spillway::ingest
