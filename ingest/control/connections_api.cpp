#include "ingest/control/connections_api.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/log.hpp"
#include "ingest/control/diagnose_explain.hpp"
#include "ingest/reconnect/problem.hpp"
#include "ingest/xapi/endpoints.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {
namespace {

// Server text is data: printable and bounded before it reaches a log line or a terminal.
constexpr std::size_t kMaxFieldBytes = 120;
// A listing or a kill answer with more entries than this is not the X API's (an app holds a handful).
constexpr std::size_t kMaxEntries = 10000;

std::string field(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) return {};
  return common::log_sample(std::string_view(it->value.GetString(), it->value.GetStringLength()), kMaxFieldBytes);
}

std::uint64_t count(const rapidjson::Value& obj, const char* key) {
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsUint64()) return 0;
  return std::min<std::uint64_t>(it->value.GetUint64(), kMaxEntries);
}

bool parse_object(std::string_view body, rapidjson::Document& d) {
  d.Parse(body.data(), body.size());
  return !d.HasParseError() && d.IsObject();
}

}  // namespace

std::string_view to_string(connection_status s) noexcept {
  switch (s) {
    case connection_status::active: return "active";
    case connection_status::inactive: return "inactive";
    case connection_status::all: return "all";
  }
  return "active";
}

bool parse_connections(std::string_view body, std::vector<stream_connection>& out) {
  rapidjson::Document d;
  if (!parse_object(body, d)) return false;
  const auto it = d.FindMember("data");
  if (it == d.MemberEnd() || !it->value.IsArray()) return true;  // no connections: X leaves `data` out
  for (const auto& v : it->value.GetArray()) {
    if (out.size() >= kMaxEntries) break;
    out.push_back({field(v, "id"), field(v, "endpoint_name"), field(v, "client_ip"), field(v, "connected_at"),
                   field(v, "disconnected_at"), field(v, "disconnect_reason")});
  }
  return true;
}

bool parse_kill_report(std::string_view body, kill_report& out) {
  rapidjson::Document d;
  if (!parse_object(body, d)) return false;
  const auto it = d.FindMember("data");
  if (it == d.MemberEnd() || !it->value.IsObject()) return false;
  const auto& data = it->value;
  out.successful = count(data, "successful_kills");
  out.failed = count(data, "failed_kills");
  const auto results = data.FindMember("results");
  if (results != data.MemberEnd() && results->value.IsArray()) {
    for (const auto& r : results->value.GetArray()) {
      if (out.results.size() >= kMaxEntries) break;
      const auto ok = r.IsObject() ? r.FindMember("success") : r.MemberEnd();
      out.results.push_back({field(r, "uuid"), ok != r.MemberEnd() && ok->value.IsBool() && ok->value.GetBool(),
                             field(r, "error_message")});
    }
  }
  return true;
}

connections_api::connections_api(http_client& client, rate_limit_tracker& limits, std::string bearer)
    : client_(client), limits_(limits), bearer_(std::move(bearer)) {}

common::result<http_response> send_control_call(http_client& client, rate_limit_tracker& limits,
                                                const std::string& bearer, const std::string& method,
                                                const std::string& target, std::string_view path,
                                                const std::string& body) {
  const std::string key = paths::call(method, path);
  auto answer = client.send({method, target, body, bearer, false});
  if (!answer) return answer.error();
  const http_response& r = *answer;
  limits.record(key, r.rate);
  if (r.status >= 200 && r.status < 300) return answer;
  if (r.status == 404)
    return common::error(common::errc::protocol,
                         key + " answered 404: this server does not offer it; check stream.base_url points at the "
                               "X API (api.x.com)");
  const auto problem = reconnect::classify_http(r.status, r.body, r.rate.reset);
  return common::error(errc_for_refusal(problem.kind), one_line(explain_refusal(problem, key, unix_now_s())));
}

common::result<std::vector<stream_connection>> connections_api::list(connection_status status) {
  std::string target(paths::connections);
  append_query(target, "status", to_string(status));
  append_query(target, "connection.fields", "client_ip,connected_at,disconnect_reason,disconnected_at,endpoint_name,id",
               ",");
  auto r = send_control_call(client_, limits_, bearer_, "GET", target, paths::connections);
  if (!r) return r.error();
  std::vector<stream_connection> out;
  if (!parse_connections(r->body, out))
    return common::error(common::errc::protocol, paths::call("GET", paths::connections) +
                                                     " answered with a body that is not a JSON object; check "
                                                     "stream.base_url points at the X API");
  return out;
}

common::result<kill_report> connections_api::kill_call(const std::string& target, std::string_view path,
                                                       const std::string& body) {
  auto r = send_control_call(client_, limits_, bearer_, "DELETE", target, path, body);
  if (!r) return r.error();
  kill_report out;
  if (!parse_kill_report(r->body, out))
    return common::error(common::errc::protocol,
                         paths::call("DELETE", path) +
                             " answered without data.successful_kills; check stream.base_url points at the X API");
  return out;
}

common::result<kill_report> connections_api::kill_all() {
  return kill_call(std::string(paths::connections_all), paths::connections_all, "");
}

common::result<kill_report> connections_api::kill_endpoint(std::string_view endpoint_id) {
  std::string target(paths::connections);
  target += '/';
  target += percent_encode(endpoint_id);
  return kill_call(target, target, "");
}

common::result<kill_report> connections_api::kill(const std::vector<std::string>& uuids) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("uuids");
  w.StartArray();
  for (const auto& u : uuids) w.String(u.c_str(), rapidjson::SizeType(u.size()));
  w.EndArray();
  w.EndObject();
  return kill_call(std::string(paths::connections), paths::connections, sb.GetString());
}

std::string render_connections(const std::vector<stream_connection>& list, connection_status status) {
  std::string out = std::to_string(list.size()) + " " + std::string(status == connection_status::all ? "" : to_string(status));
  if (status != connection_status::all) out += ' ';
  out += list.size() == 1 ? "connection" : "connections";
  out += list.empty() ? "\n" : ":\n";
  for (const auto& c : list) {
    out += "  " + (c.id.empty() ? std::string("(no id)") : c.id);
    if (!c.endpoint_name.empty()) out += "  " + c.endpoint_name;
    if (!c.client_ip.empty()) out += "  from " + c.client_ip;
    if (!c.connected_at.empty()) out += "  connected " + c.connected_at;
    if (!c.disconnected_at.empty()) out += "  closed " + c.disconnected_at;
    if (!c.disconnect_reason.empty()) out += " (" + c.disconnect_reason + ")";
    out += '\n';
  }
  return out;
}

std::string render_kills(const kill_report& report) {
  std::string out = "closed " + std::to_string(report.successful) +
                    (report.successful == 1 ? " connection" : " connections") + " (" + std::to_string(report.failed) +
                    " failed)\n";
  for (const auto& r : report.results) {
    out += "  " + r.uuid + ": " + (r.success ? std::string("closed") : "failed");
    if (!r.error_message.empty()) out += " (" + r.error_message + ")";
    out += '\n';
  }
  return out;
}

}  // namespace spillway::ingest
