#include "ingest/reconnect/problem.hpp"

#include "common/log.hpp"

#include <rapidjson/document.h>

#include <array>
#include <utility>

namespace spillway::reconnect {
namespace {

using json = rapidjson::Value;

// The member as printable, capped text: JSON escapes are decoded by the parser, so "\n" or "\u001b"
// in the body would otherwise reach logs and terminals raw.
std::string string_member(const json& object, const char* name) {
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return common::log_sample({it->value.GetString(), it->value.GetStringLength()}, max_problem_text_bytes);
}

// Parses `text` into `doc`; true when it is a JSON object. Length-bounded: `text` need not end in NUL.
bool parse_object(rapidjson::Document& doc, std::string_view text) {
  doc.Parse(text.data(), text.size());
  return !doc.HasParseError() && doc.IsObject();
}

// The `errors` array of a legacy or in-band body, or nullptr.
const json* errors_array(const json& object) {
  const auto it = object.FindMember("errors");
  return it != object.MemberEnd() && it->value.IsArray() ? &it->value : nullptr;
}

http_class class_of(const http_problem& p) {
  switch (p.status) {
    case 400:
      return http_class::bad_request;
    case 401:
      return http_class::unauthorized;
    case 403:
      return http_class::forbidden;
    case 409:
      return http_class::no_rules;
    case 429:
      if (p.connection_issue == "TooManyConnections") return http_class::too_many_connections;
      if (p.type == "usage-capped" || p.title == "UsageCapExceeded") return http_class::usage_cap_exceeded;
      return http_class::rate_limited;
    default:
      return p.status >= 500 && p.status <= 599 ? http_class::server_error : http_class::other;
  }
}

constexpr std::array<std::pair<disconnect_type, std::string_view>, 8> disconnect_names{{
    {disconnect_type::operational_disconnect, "OperationalDisconnect"},
    {disconnect_type::upstream_operational_disconnect, "UpstreamOperationalDisconnect"},
    {disconnect_type::force_disconnect, "ForceDisconnect"},
    {disconnect_type::upstream_unclean_disconnect, "UpstreamUncleanDisconnect"},
    {disconnect_type::slow_reader, "SlowReader"},
    {disconnect_type::internal_error, "InternalError"},
    {disconnect_type::client_application_state_degraded, "ClientApplicationStateDegraded"},
    {disconnect_type::invalid_rules, "InvalidRules"},
}};

}  // namespace

std::string_view to_string(http_class c) noexcept {
  switch (c) {
    case http_class::unauthorized:
      return "unauthorized";
    case http_class::forbidden:
      return "forbidden";
    case http_class::bad_request:
      return "bad_request";
    case http_class::no_rules:
      return "no_rules";
    case http_class::rate_limited:
      return "rate_limited";
    case http_class::too_many_connections:
      return "too_many_connections";
    case http_class::usage_cap_exceeded:
      return "usage_cap_exceeded";
    case http_class::server_error:
      return "server_error";
    case http_class::other:
      return "http_other";
  }
  return "http_other";
}

std::string_view problem_suffix(std::string_view type_uri) noexcept {
  constexpr std::string_view marker = "/2/problems/";
  const auto at = type_uri.find(marker);
  return at == std::string_view::npos ? type_uri : type_uri.substr(at + marker.size());
}

http_problem classify_http(int status, std::string_view body, std::optional<std::int64_t> rate_limit_reset) {
  http_problem p;
  p.status = status;
  p.rate_limit_reset = rate_limit_reset;
  rapidjson::Document doc;
  if (parse_object(doc, body)) {
    p.body_parsed = true;
    p.type = std::string(problem_suffix(string_member(doc, "type")));
    p.title = string_member(doc, "title");
    p.detail = string_member(doc, "detail");
    p.reason = string_member(doc, "reason");
    p.required_enrollment = string_member(doc, "required_enrollment");
    p.registration_url = string_member(doc, "registration_url");
    p.connection_issue = string_member(doc, "connection_issue");
    p.period = string_member(doc, "period");
    // Legacy v1-style body: the first error's code and message.
    if (const json* errors = errors_array(doc); errors != nullptr && !errors->Empty() && (*errors)[0].IsObject()) {
      const json& first = (*errors)[0];
      if (const auto code = first.FindMember("code"); code != first.MemberEnd() && code->value.IsInt()) {
        p.legacy_code = code->value.GetInt();
      }
      p.legacy_message = string_member(first, "message");
    }
  }
  p.kind = class_of(p);
  return p;
}

std::string_view to_string(disconnect_type t) noexcept {
  for (const auto& [type, name] : disconnect_names) {
    if (type == t) return name;
  }
  return "unknown";
}

disconnect_type parse_disconnect_type(std::string_view x_spelling) noexcept {
  for (const auto& [type, name] : disconnect_names) {
    if (name == x_spelling) return type;
  }
  return disconnect_type::unknown;
}

std::optional<in_band_notice> classify_in_band(std::string_view line) {
  rapidjson::Document doc;
  if (!parse_object(doc, line) || doc.HasMember("data")) return std::nullopt;
  const json* errors = errors_array(doc);
  if (errors == nullptr) return std::nullopt;
  in_band_notice notice;
  // The first error that names a disconnect_type decides; otherwise the first error's problem type.
  for (const auto& error : errors->GetArray()) {
    if (!error.IsObject()) continue;
    std::string raw = string_member(error, "disconnect_type");
    if (raw.empty() && !notice.raw_type.empty()) continue;
    notice.detail = string_member(error, "detail");
    if (raw.empty()) {
      notice.raw_type = std::string(problem_suffix(string_member(error, "type")));
      if (notice.raw_type == "operational-disconnect") notice.type = disconnect_type::operational_disconnect;
      continue;
    }
    notice.type = parse_disconnect_type(raw);
    notice.raw_type = std::move(raw);
    break;
  }
  return notice;
}

}  // namespace spillway::reconnect
