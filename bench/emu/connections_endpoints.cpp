#include "bench/emu/connections_endpoints.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <ctime>
#include <string>
#include <vector>

#include "bench/emu/form_codec.hpp"

namespace spillway::emu {
namespace {

constexpr std::string_view kConnectionsPath = "/2/connections";
constexpr std::string_view kUsagePath = "/2/usage/tweets";
// Streaming endpoint ids X names connections by (DELETE /2/connections/{endpoint_id}); the emulator
// serves only the first, the others are valid ids with nothing to kill.
constexpr std::array<std::string_view, 5> kEndpointIds = {"filtered_stream", "sample_stream", "sample10_stream",
                                                          "firehose_stream", "compliance_stream"};
constexpr std::string_view kDefaultFields = "id,endpoint_name,connected_at";

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), rapidjson::SizeType(key.size()));
  w.String(value.data(), rapidjson::SizeType(value.size()));
}

std::string iso_time(std::int64_t unix_ms) {
  const std::time_t t = std::time_t(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof ms, ".%03dZ", int(unix_ms % 1000));
  return std::string(buf, n) + ms;
}

ApiAnswer json_answer(int status, std::string outcome, const std::string& body, const RouteClock& now,
                      const RateLimitInfo& rl) {
  return ApiAnswer{false, rl, status, std::move(outcome), json_response(status, body, now.unix_ms / 1000, rl), std::nullopt};
}

ApiAnswer error_answer(int status, std::string outcome, std::string_view body, const RouteClock& now,
                       const RateLimitInfo& rl) {
  return ApiAnswer{false, rl, status, std::move(outcome), error_response(status, body, now.unix_ms / 1000, rl), std::nullopt};
}

// X's 400 for a query parameter it does not accept (invalid-request problem with the parameter named).
std::string invalid_parameter(std::string_view name, std::string_view value, std::string_view allowed) {
  const std::string message = "The `" + std::string(name) + "` query parameter value [" + std::string(value) +
                              "] is not one of [" + std::string(allowed) + "]";
  return invalid_request_body(message, name, value);
}

bool has_field(std::string_view list, std::string_view field) {
  for (std::size_t p = 0; p <= list.size();) {
    const auto comma = std::min(list.find(',', p), list.size());
    if (list.substr(p, comma - p) == field) return true;
    p = comma + 1;
  }
  return false;
}

ApiAnswer list_connections(ServerState& st, const ApiRequest& req, const RouteClock& now, const RateLimitInfo& rl) {
  const std::string status = form_value(req.query, "status").value_or("active");
  ConnectionTable::Filter filter = ConnectionTable::Filter::active;
  if (status == "inactive") filter = ConnectionTable::Filter::inactive;
  else if (status == "all") filter = ConnectionTable::Filter::all;
  else if (status != "active")
    return error_answer(400, "connections_invalid", invalid_parameter("status", status, "active,inactive,all"), now, rl);
  const std::string fields = form_value(req.query, "connection.fields").value_or(std::string(kDefaultFields));
  const auto rows = st.connections.list(filter, now.unix_ms);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  if (!rows.empty()) {
    w.Key("data");
    w.StartArray();
    for (const ConnectionEntry* e : rows) {
      w.StartObject();
      put(w, "id", e->uuid);  // always present, as X's ids are
      if (has_field(fields, "endpoint_name")) put(w, "endpoint_name", e->endpoint_name);
      if (has_field(fields, "client_ip")) put(w, "client_ip", e->client_ip);
      if (has_field(fields, "connected_at")) put(w, "connected_at", iso_time(e->connected_ms));
      if (e->disconnected_ms != 0 && has_field(fields, "disconnected_at")) put(w, "disconnected_at", iso_time(e->disconnected_ms));
      if (!e->disconnect_reason.empty() && has_field(fields, "disconnect_reason"))
        put(w, "disconnect_reason", e->disconnect_reason);
      w.EndObject();
    }
    w.EndArray();
  }
  w.Key("meta");
  w.StartObject();
  w.Key("result_count");
  w.Uint64(rows.size());
  w.EndObject();
  w.EndObject();
  return json_answer(200, "connections_list", sb.GetString(), now, rl);
}

ApiAnswer kill(ServerState& st, const std::vector<std::string>& uuids, std::string outcome, const RouteClock& now,
               const RateLimitInfo& rl) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  std::uint64_t ok = 0, failed = 0;
  w.StartObject();
  w.Key("data");
  w.StartObject();
  w.Key("results");
  w.StartArray();
  for (const auto& uuid : uuids) {
    const auto r = st.connections.kill(uuid, now.unix_ms, [&](std::uint64_t no) { st.slots.forget(no); });
    w.StartObject();
    put(w, "uuid", uuid);
    w.Key("success");
    w.Bool(r == ConnectionTable::KillResult::killed);
    if (r == ConnectionTable::KillResult::not_found) put(w, "error_message", "Connection not found");
    if (r == ConnectionTable::KillResult::not_active) put(w, "error_message", "Connection is not active");
    w.EndObject();
    (r == ConnectionTable::KillResult::killed ? ok : failed) += 1;
  }
  w.EndArray();
  w.Key("successful_kills");
  w.Uint64(ok);
  w.Key("failed_kills");
  w.Uint64(failed);
  w.EndObject();
  w.EndObject();
  return json_answer(200, std::move(outcome), sb.GetString(), now, rl);
}

// {"uuids":["..."]}; nullopt for any other body.
std::optional<std::vector<std::string>> body_uuids(std::string_view body) {
  rapidjson::Document d;
  d.Parse(body.data(), body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("uuids") || !d["uuids"].IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& v : d["uuids"].GetArray()) {
    if (!v.IsString()) return std::nullopt;
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  if (out.empty()) return std::nullopt;
  return out;
}

constexpr std::string_view kUuidsInvalid =
    R"({"errors":[{"message":"The request body must be a JSON object with a non-empty `uuids` array of strings"}],"title":"Invalid Request","detail":"One or more parameters to your request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"})";

ApiAnswer usage(ServerState& st, const ApiRequest& req, const RouteClock& now, const RateLimitInfo& rl) {
  const auto& u = st.usage;
  const std::string fields = form_value(req.query, "usage.fields").value_or("");
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("data");
  w.StartObject();
  w.Key("cap_reset_day");
  w.Int(u.reset_day());
  // X sends the counts as decimal strings (its docs' example), the reset day as a number.
  put(w, "project_cap", std::to_string(u.cap()));
  put(w, "project_id", "1369785403853424");
  put(w, "project_usage", std::to_string(u.used()));
  if (has_field(fields, "daily_project_usage")) {
    w.Key("daily_project_usage");
    w.StartObject();
    put(w, "project_id", "1369785403853424");
    w.Key("usage");
    w.StartArray();
    for (const auto& [day, n] : u.daily()) {
      w.StartObject();
      put(w, "date", iso_time(day * UsageMeter::kDayMs));
      put(w, "usage", std::to_string(n));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return json_answer(200, "usage", sb.GetString(), now, rl);
}

}  // namespace

ApiAnswer usage_capped_answer(ServerState& st, const RouteClock& now) {
  return error_answer(429, "usage_capped", x_body::usage_capped_429, now, st.window.peek(now.unix_ms / 1000));
}

std::optional<ApiAnswer> route_control(ServerState& st, const ApiRequest& req, const RouteClock& now) {
  const bool usage_path = req.path == kUsagePath;
  const bool connections_path = req.path == kConnectionsPath || req.path.starts_with(std::string(kConnectionsPath) + "/");
  if (!usage_path && !connections_path) return std::nullopt;
  const std::string_view rest = connections_path ? req.path.substr(std::min(req.path.size(), kConnectionsPath.size() + 1)) : "";
  const bool kill_all = rest == "all";
  RateWindow& window = kill_all ? st.kill_all_window : st.connections_window;
  const RateLimitInfo current = window.peek(now.unix_ms / 1000);
  const bool method_ok = usage_path ? req.method == "GET"
                         : rest.empty() ? req.method == "GET" || req.method == "DELETE"
                                        : req.method == "DELETE";
  if (!method_ok) return error_answer(405, "method_not_allowed", x_body::method_not_allowed_405, now, current);
  if (st.config.bearer && req.authorization != "Bearer " + *st.config.bearer)
    return error_answer(401, "unauthorized", x_body::unauthorized_401, now, current);
  const auto v = window.on_request(now.unix_ms / 1000);
  if (!v.allowed) return error_answer(429, "rate_limited", x_body::rate_limited_429, now, v.info);
  if (usage_path) return usage(st, req, now, v.info);
  if (rest.empty() && req.method == "GET") return list_connections(st, req, now, v.info);
  if (rest.empty()) {
    const auto uuids = body_uuids(req.body);
    if (!uuids) return error_answer(400, "connections_invalid", kUuidsInvalid, now, v.info);
    return kill(st, *uuids, "connections_kill", now, v.info);
  }
  if (kill_all) return kill(st, st.connections.active_uuids(now.unix_ms), "connections_kill_all", now, v.info);
  for (const auto id : kEndpointIds)
    if (rest == id) return kill(st, st.connections.active_uuids(now.unix_ms, id), "connections_kill_endpoint", now, v.info);
  return error_answer(400, "connections_invalid",
                      invalid_parameter("endpoint_id", rest,
                                        "filtered_stream,sample_stream,sample10_stream,firehose_stream,compliance_stream"),
                      now, v.info);
}

}  // namespace spillway::emu
