#include "bench/emu/fault_plan.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "bench/emu/rng.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace {

[[noreturn]] void bad(const std::string& what) {
  throw std::runtime_error("spillway-emu: --faults: " + what +
                           "; expected a JSON list of {\"after_posts\":N | \"after_ms\":N, \"action\":"
                           "\"close|stall|disconnect|status|truncate|malformed\", ...} (see bench/emu/README.md)");
}

std::string body_for(int status, const std::string& kind) {
  if (status == 429) {
    if (kind == "too_many_connections" || kind == "TooManyConnections") return std::string(x_body::too_many_connections_429);
    if (kind == "usage_capped" || kind == "UsageCapExceeded") return std::string(x_body::usage_capped_429);
    if (kind.empty() || kind == "rate_limit") return std::string(x_body::rate_limited_429);
    bad("unknown 429 kind '" + kind + "' (rate_limit, too_many_connections, usage_capped)");
  }
  return std::string(default_body(status));
}

Fault parse_one(const rapidjson::Value& v) {
  if (!v.IsObject()) bad("each fault must be an object");
  Fault f;
  if (v.HasMember("after_posts")) {
    if (!v["after_posts"].IsUint64()) bad("after_posts must be a non-negative integer");
    f.after_posts = v["after_posts"].GetUint64();
  }
  if (v.HasMember("after_ms")) {
    if (!v["after_ms"].IsInt64() || v["after_ms"].GetInt64() < 0) bad("after_ms must be a non-negative integer");
    f.after_ms = v["after_ms"].GetInt64();
  }
  if (f.after_posts && f.after_ms) bad("a fault takes after_posts or after_ms, not both");
  if (v.HasMember("lane")) {
    if (!v["lane"].IsInt() || v["lane"].GetInt() < 1) bad("lane must be a positive integer (1 = the first live stream)");
    f.lane = v["lane"].GetInt();
  }
  if (!v.HasMember("action") || !v["action"].IsString()) bad("every fault needs an \"action\" string");
  const std::string action = v["action"].GetString();
  auto str = [&](const char* k, const char* dflt) {
    return v.HasMember(k) && v[k].IsString() ? std::string(v[k].GetString()) : std::string(dflt);
  };
  if (action == "close") {
    f.action = Fault::Action::close;
    const std::string mode = str("mode", "fin");
    f.close_mode = mode == "rst" ? Fault::CloseMode::rst : mode == "end" ? Fault::CloseMode::end : Fault::CloseMode::fin;
    if (mode != "rst" && mode != "end" && mode != "fin") bad("close mode must be fin, end or rst");
  } else if (action == "stall") {
    f.action = Fault::Action::stall;
    if (!v.HasMember("duration_ms") || !v["duration_ms"].IsInt64()) bad("stall needs duration_ms");
    f.duration_ms = v["duration_ms"].GetInt64();
  } else if (action == "disconnect") {
    f.action = Fault::Action::disconnect;
    f.disconnect_type = str("disconnect_type", "OperationalDisconnect");
  } else if (action == "status") {
    f.action = Fault::Action::status;
    if (!v.HasMember("status") || !v["status"].IsInt()) bad("status needs an HTTP \"status\" number");
    f.status = v["status"].GetInt();
    f.body = body_for(f.status, str("kind", ""));
    f.connects = v.HasMember("connects") && v["connects"].IsInt() ? v["connects"].GetInt() : 1;
  } else if (action == "truncate") {
    f.action = Fault::Action::truncate;
  } else if (action == "malformed") {
    f.action = Fault::Action::malformed;
  } else {
    bad("unknown action '" + action + "'");
  }
  return f;
}

}  // namespace

FaultPlan FaultPlan::from_json(std::string_view json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsArray()) bad("not a JSON list");
  FaultPlan p;
  for (const auto& v : d.GetArray()) p.pending_.push_back(parse_one(v));
  return p;
}

FaultPlan FaultPlan::from_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("spillway-emu: cannot read --faults " + path + "; check the path");
  std::stringstream ss;
  ss << f.rdbuf();
  return from_json(ss.str());
}

FaultPlan FaultPlan::chaos(std::uint64_t seed, std::size_t n) {
  Rng rng(seed ^ 0xC4A05ULL);
  FaultPlan p;
  std::uint64_t at = 0;
  static const char* kTypes[] = {"OperationalDisconnect", "UpstreamOperationalDisconnect", "ForceDisconnect",
                                 "UpstreamUncleanDisconnect", "SlowReader", "InternalError"};
  for (std::size_t i = 0; i < n; ++i) {
    at += std::uint64_t(rng.range(2000, 20000));
    Fault f;
    f.after_posts = at;
    const auto roll = rng.below(100);
    if (roll < 30) {
      f.action = Fault::Action::disconnect;
      f.disconnect_type = kTypes[rng.below(std::size(kTypes))];
    } else if (roll < 50) {
      f.action = Fault::Action::close;
      f.close_mode = rng.chance(0.5) ? Fault::CloseMode::rst : Fault::CloseMode::fin;
    } else if (roll < 62) {
      f.action = Fault::Action::stall;
      f.duration_ms = rng.range(200, 3000);
    } else if (roll < 74) {
      f.action = Fault::Action::truncate;
    } else if (roll < 84) {
      f.action = Fault::Action::malformed;
    } else {
      // A status fault arms for the next connects, so pair it with a close that causes one.
      f.action = Fault::Action::status;
      f.status = rng.chance(0.5) ? 429 : 503;
      f.body = f.status == 429 ? std::string(x_body::too_many_connections_429) : std::string(default_body(503));
      p.pending_.push_back(f);
      f = Fault{};
      f.after_posts = at;
      f.action = Fault::Action::close;
    }
    p.pending_.push_back(f);
  }
  return p;
}

bool FaultPlan::due(const Fault& f, std::uint64_t posts, std::int64_t ms) const {
  if (f.after_posts) return posts >= *f.after_posts;
  if (f.after_ms) return ms >= *f.after_ms;
  return true;
}

void FaultPlan::fire_status(std::uint64_t posts, std::int64_t ms) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->action == Fault::Action::status && due(*it, posts, ms)) {
      armed_ = *it;
      armed_left_ = it->connects;
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Fault> FaultPlan::on_connect(std::uint64_t posts, std::int64_t ms) {
  fire_status(posts, ms);
  if (armed_left_ <= 0) return std::nullopt;
  --armed_left_;
  return armed_;
}

std::optional<Fault> FaultPlan::take_due(std::uint64_t posts, std::int64_t ms, int lane) {
  fire_status(posts, ms);
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (for_lane(*it, lane) && due(*it, posts, ms)) {
      Fault f = *it;
      pending_.erase(it);
      return f;
    }
  }
  return std::nullopt;
}

std::uint64_t FaultPlan::posts_until_next(std::uint64_t posts, int lane) const {
  std::uint64_t best = std::numeric_limits<std::uint64_t>::max();
  for (const auto& f : pending_)
    if (f.after_posts && f.action != Fault::Action::status && for_lane(f, lane)) best = std::min(best, *f.after_posts > posts ? *f.after_posts - posts : 0);
  return best;
}

std::int64_t FaultPlan::next_ms(int lane) const {
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  for (const auto& f : pending_)
    if (f.after_ms && for_lane(f, lane)) best = std::min(best, *f.after_ms);
  return best;
}

}  // namespace spillway::emu
