#include "ingest/control/rules_api.hpp"

#include "common/log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "ingest/control/diagnose_explain.hpp"
#include "ingest/reconnect/problem.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

common::error not_a_json_object(const http_response& r) {
  return common::error(common::errc::protocol,
                       "the rules endpoint answered HTTP " + std::to_string(r.status) +
                           " with a body that is not a JSON object; check that stream.base_url points at the X API");
}

template <typename Fill>
std::string json_body(Fill&& fill) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  fill(w);
  return sb.GetString();
}

}  // namespace

rules_api::rules_api(http_client& client, rate_limit_tracker& limits, std::string bearer, rules_api_options options,
                     sleeper sleep, stop_source* stop)
    : client_(client), limits_(limits), bearer_(std::move(bearer)), options_(options), sleep_(std::move(sleep)) {
  if (sleep_) return;
  if (stop != nullptr)
    sleep_ = [stop](std::chrono::seconds s) { return !stop->wait_for(s); };
  else
    sleep_ = [](std::chrono::seconds s) {
      std::this_thread::sleep_for(s);
      return true;
    };
}

common::result<void> rules_api::wait_for_window(const std::string& key, std::int64_t reset_hint) {
  // reset_hint > 0: X has just answered 429 (the window was spent, e.g. by another process).
  const std::int64_t now = unix_now_s();
  auto wait = limits_.wait_before(key, now);
  if (reset_hint > 0) wait = std::max(wait, std::chrono::seconds(std::max<std::int64_t>(reset_hint - now + 1, 1)));
  if (wait.count() == 0) return {};
  if (wait > options_.max_wait)
    return common::error(common::errc::rate_limited,
                         key + ": the rate-limit window is spent until " + describe_reset(now + wait.count() - 1, now) +
                             "; wait until then (another process may be using this app's rules limits)");
  if (reset_hint > 0)
    common::log_with(spdlog::level::warn, {{"endpoint", key}, {"status", 429}, {"wait_ms", wait.count() * 1000}},
                     "{}: X answered 429 (rate-limit window spent); waiting {} s for the reset at {}, then retrying once",
                     key, wait.count(), describe_reset(reset_hint, now));
  else
    common::log_with(spdlog::level::info, {{"endpoint", key}, {"wait_ms", wait.count() * 1000}},
                     "{}: rate-limit window nearly spent; waiting {} s for its reset rather than spend the last request",
                     key, wait.count());
  if (!sleep_(wait))
    return common::error(common::errc::network,
                         key + ": stopped (SIGINT/SIGTERM) while waiting for the rate-limit window to reset");
  waited_ += wait;
  return {};
}

common::result<http_response> rules_api::call(const std::string& method, const std::string& target,
                                              const std::string& body) {
  const std::string key = paths::call(method, paths::rules);
  for (int attempt = 0; attempt < 2; ++attempt) {  // the second attempt only after a 429 was waited out
    if (auto ready = wait_for_window(key, 0); !ready) return ready.error();
    auto answer = client_.send({method, target, body, bearer_, false});
    ++requests_;
    if (!answer) return answer.error();
    const http_response& r = *answer;
    limits_.record(key, r.rate);
    if (r.status >= 200 && r.status < 300) return answer;
    const auto problem = reconnect::classify_http(r.status, r.body, r.rate.reset);
    if (problem.kind == reconnect::http_class::rate_limited && attempt == 0) {
      if (auto ready = wait_for_window(key, r.rate.reset.value_or(unix_now_s() + 60)); !ready) return ready.error();
      continue;
    }
    return common::error(errc_for_refusal(problem.kind), one_line(explain_refusal(problem, key, unix_now_s())));
  }
  return common::error(common::errc::rate_limited,
                       key + " was refused with 429 again after waiting for the reset; wait 15 minutes and retry");
}

common::result<void> rules_api::list(std::vector<live_rule>& out) {
  const auto endless = [](const std::string& why) {
    return common::error(common::errc::protocol, "the rules listing " + why +
                                                     ": not the X API's paging; check stream.base_url");
  };
  std::string token;
  std::set<std::string> seen;  // at most max_pages tokens, each capped by the body ceiling
  std::size_t bytes = 0;
  for (std::size_t page = 0; page < options_.max_pages; ++page) {
    auto r = call("GET", rules_page_target(options_.page_size, token), "");
    if (!r) return r.error();
    bytes += r->body.size();
    if (bytes > options_.max_listing_bytes)
      return endless("passed " + std::to_string(options_.max_listing_bytes >> 20) + " MiB after " +
                     std::to_string(page + 1) + " pages");
    if (!parse_rules_page(r->body, out, token)) return not_a_json_object(*r);
    if (token.empty()) return {};
    if (!seen.insert(token).second)
      return endless("repeats a next_token after " + std::to_string(page + 1) + " pages (it would never end)");
  }
  return endless("did not end after " + std::to_string(options_.max_pages) + " pages");
}

common::result<void> rules_api::add(const std::vector<config::rule_spec>& rules, bool dry_run, add_outcome& out) {
  for (std::size_t at = 0; at < rules.size(); at += options_.batch_size) {
    const std::string body = json_body([&](auto& w) {
      w.StartObject();
      w.Key("add");
      w.StartArray();
      for (std::size_t i = at; i < std::min(rules.size(), at + options_.batch_size); ++i) {
        w.StartObject();
        w.Key("value");
        w.String(rules[i].value.c_str(), rapidjson::SizeType(rules[i].value.size()));
        if (!rules[i].tag.empty()) w.Key("tag"), w.String(rules[i].tag.c_str(), rapidjson::SizeType(rules[i].tag.size()));
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    });
    std::string target(paths::rules);
    if (dry_run) append_query(target, "dry_run", "true");
    auto r = call("POST", target, body);
    if (!r) return r.error();
    if (!parse_add_response(r->body, dry_run, out)) return not_a_json_object(*r);
  }
  return {};
}

common::result<void> rules_api::remove(const std::vector<std::string>& ids, delete_outcome& out) {
  for (std::size_t at = 0; at < ids.size(); at += options_.batch_size) {
    const std::string body = json_body([&](auto& w) {
      w.StartObject();
      w.Key("delete");
      w.StartObject();
      w.Key("ids");
      w.StartArray();
      for (std::size_t i = at; i < std::min(ids.size(), at + options_.batch_size); ++i)
        w.String(ids[i].c_str(), rapidjson::SizeType(ids[i].size()));
      w.EndArray();
      w.EndObject();
      w.EndObject();
    });
    auto r = call("POST", std::string(paths::rules), body);
    if (!r) return r.error();
    if (!parse_delete_response(r->body, out)) return not_a_json_object(*r);
  }
  return {};
}

}  // namespace spillway::ingest
