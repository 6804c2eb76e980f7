#include "ingest/control/rules_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "ingest/control/diagnose_explain.hpp"
#include "ingest/reconnect/problem.hpp"

namespace spillway::ingest {
namespace {

constexpr const char* kRulesPath = "/2/tweets/search/stream/rules";

std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  const auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString()) : std::string();
}

std::int64_t num(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return 0;
  const auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsInt64() ? it->value.GetInt64() : 0;
}

bool parse_body(const http_response& r, rapidjson::Document& d, std::string& error) {
  d.Parse(r.body.data(), r.body.size());
  if (d.HasParseError() || !d.IsObject()) {
    error = "the rules endpoint answered HTTP " + std::to_string(r.status) +
            " with a body that is not a JSON object; check that stream.base_url points at the X API";
    return false;
  }
  return true;
}

void read_errors(const rapidjson::Document& d, std::vector<rule_error>& out) {
  const auto it = d.FindMember("errors");
  if (it == d.MemberEnd() || !it->value.IsArray()) return;
  for (const auto& e : it->value.GetArray()) {
    rule_error re{str(e, "value"), str(e, "id"), str(e, "title"),
                  std::string(reconnect::problem_suffix(str(e, "type"))), str(e, "detail"), {}};
    if (e.IsObject() && e.HasMember("details") && e["details"].IsArray())
      for (const auto& s : e["details"].GetArray())
        if (s.IsString()) re.details.emplace_back(s.GetString());
    out.push_back(std::move(re));
  }
}

template <typename Fill>
std::string json_body(Fill&& fill) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  fill(w);
  return sb.GetString();
}

const rapidjson::Value* summary_of(const rapidjson::Document& d) {
  const auto meta = d.FindMember("meta");
  if (meta == d.MemberEnd() || !meta->value.IsObject() || !meta->value.HasMember("summary")) return nullptr;
  return &meta->value["summary"];
}

}  // namespace

rules_api::rules_api(http_client& client, rate_limit_tracker& limits, std::string bearer, rules_api_options options,
                     sleeper sleep)
    : client_(client), limits_(limits), bearer_(std::move(bearer)), options_(options), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::seconds s) { std::this_thread::sleep_for(s); };
}

bool rules_api::wait_for_window(const std::string& key, std::int64_t reset_hint, std::string& error) {
  // reset_hint > 0: X has just answered 429 (the window was spent, e.g. by another process).
  const std::int64_t now = unix_now_s();
  auto wait = limits_.wait_before(key, now);
  if (reset_hint > 0) wait = std::max(wait, std::chrono::seconds(std::max<std::int64_t>(reset_hint - now + 1, 1)));
  if (wait.count() == 0) return true;
  if (wait > options_.max_wait) {
    error = key + ": the rate-limit window is spent until " + describe_reset(now + wait.count() - 1, now) +
            "; wait until then (another process may be using this app's rules limits)";
    return false;
  }
  if (reset_hint > 0)
    spdlog::warn("{}: X answered 429 (rate-limit window spent); waiting {} s for the reset at {}, then retrying once",
                 key, wait.count(), describe_reset(reset_hint, now));
  else
    spdlog::info("{}: rate-limit window nearly spent; waiting {} s for its reset rather than spend the last request",
                 key, wait.count());
  sleep_(wait);
  waited_ += wait;
  return true;
}

std::optional<http_response> rules_api::call(const std::string& method, const std::string& target,
                                             const std::string& body, std::string& error) {
  const std::string key = method + " " + kRulesPath;
  for (int attempt = 0; attempt < 2; ++attempt) {  // the second attempt only after a 429 was waited out
    if (!wait_for_window(key, 0, error)) return std::nullopt;
    http_response r = client_.send({method, target, body, bearer_, false});
    ++requests_;
    if (!r.error.empty()) {
      error = r.error;
      return std::nullopt;
    }
    limits_.record(key, r.rate);
    if (r.status >= 200 && r.status < 300) return r;
    const auto reset = r.rate.reset ? std::to_string(*r.rate.reset) : std::string();
    const auto problem = reconnect::classify_http(r.status, r.body, reset);
    if (problem.kind == reconnect::http_class::rate_limited && attempt == 0) {
      if (!wait_for_window(key, r.rate.reset.value_or(unix_now_s() + 60), error)) return std::nullopt;
      continue;
    }
    error = one_line(explain_refusal(problem, key, unix_now_s()));
    return std::nullopt;
  }
  error = key + " was refused with 429 again after waiting for the reset; wait 15 minutes and retry";
  return std::nullopt;
}

bool rules_api::list(std::vector<live_rule>& out, std::string& error) {
  std::string token;
  for (int page = 0; page < 100'000; ++page) {  // bounded: X caps rules at 25,000+ per app
    std::string target = std::string(kRulesPath) + "?max_results=" + std::to_string(options_.page_size);
    if (!token.empty()) target += "&pagination_token=" + token;
    auto r = call("GET", target, "", error);
    if (!r) return false;
    rapidjson::Document d;
    if (!parse_body(*r, d, error)) return false;
    if (d.HasMember("data") && d["data"].IsArray())
      for (const auto& v : d["data"].GetArray()) out.push_back({str(v, "id"), str(v, "value"), str(v, "tag")});
    token = d.HasMember("meta") ? str(d["meta"], "next_token") : std::string();
    if (token.empty()) return true;
  }
  error = "the rules listing did not end after 100000 pages; check stream.base_url";
  return false;
}

bool rules_api::add(const std::vector<config::rule_spec>& rules, bool dry_run, add_outcome& out, std::string& error) {
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
    auto r = call("POST", std::string(kRulesPath) + (dry_run ? "?dry_run=true" : ""), body, error);
    rapidjson::Document d;
    if (!r || !parse_body(*r, d, error)) return false;
    if (!dry_run && d.HasMember("data") && d["data"].IsArray())
      for (const auto& v : d["data"].GetArray()) out.created.push_back({str(v, "id"), str(v, "value"), str(v, "tag")});
    if (const auto* sum = summary_of(d)) out.valid += num(*sum, "valid"), out.invalid += num(*sum, "invalid");
    read_errors(d, out.errors);
  }
  return true;
}

bool rules_api::remove(const std::vector<std::string>& ids, delete_outcome& out, std::string& error) {
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
    auto r = call("POST", kRulesPath, body, error);
    rapidjson::Document d;
    if (!r || !parse_body(*r, d, error)) return false;
    if (const auto* sum = summary_of(d)) out.deleted += num(*sum, "deleted");
    read_errors(d, out.errors);
  }
  return true;
}

}  // namespace spillway::ingest
