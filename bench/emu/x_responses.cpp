#include "bench/emu/x_responses.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <ctime>

#include "bench/emu/rng.hpp"

namespace spillway::emu {
namespace {

std::string http_date(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  const auto n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string_view reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

// Headers X sends on every API response (from captured responses); values are plausible.
std::string common_headers(std::int64_t now_unix_s, const RateLimitInfo* rl, std::uint64_t salt) {
  Rng rng(salt ^ std::uint64_t(now_unix_s));
  std::string hash;
  for (int i = 0; i < 64; ++i) hash += "0123456789abcdef"[rng.below(16)];
  std::string txid;
  for (int i = 0; i < 16; ++i) txid += "0123456789abcdef"[rng.below(16)];
  std::string h;
  h += "date: " + http_date(now_unix_s) + "\r\n";
  h += "server: tsa_b\r\n";
  h += "api-version: 2.167\r\n";
  h += "cache-control: no-cache, no-store, max-age=0\r\n";
  if (rl) {
    h += "x-rate-limit-limit: " + std::to_string(rl->limit) + "\r\n";
    h += "x-rate-limit-remaining: " + std::to_string(rl->remaining) + "\r\n";
    h += "x-rate-limit-reset: " + std::to_string(rl->reset_unix_s) + "\r\n";
  }
  h += "x-access-level: read\r\n";
  h += "x-frame-options: SAMEORIGIN\r\n";
  h += "x-xss-protection: 0\r\n";
  h += "x-content-type-options: nosniff\r\n";
  h += "strict-transport-security: max-age=631138519\r\n";
  h += "x-transaction-id: " + txid + "\r\n";
  h += "x-response-time: " + std::to_string(8 + rng.below(40)) + "\r\n";
  h += "x-connection-hash: " + hash + "\r\n";
  return h;
}

}  // namespace

std::string stream_response_head(std::int64_t now_unix_s, const RateLimitInfo& rl, std::uint64_t connection_no) {
  std::string h = "HTTP/1.1 200 OK\r\n";
  h += common_headers(now_unix_s, &rl, connection_no);
  h += "content-type: application/json; charset=utf-8\r\n";
  h += "transfer-encoding: chunked\r\n\r\n";
  return h;
}

namespace {
std::string complete_response(int status, std::string_view body, std::int64_t now_unix_s, const RateLimitInfo* rl,
                              bool problem) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason(status)) + "\r\n";
  h += common_headers(now_unix_s, rl, std::uint64_t(status));
  h += problem ? "content-type: application/problem+json\r\n" : "content-type: application/json; charset=utf-8\r\n";
  h += "content-length: " + std::to_string(body.size()) + "\r\n";
  h += "connection: close\r\n\r\n";
  h.append(body);
  return h;
}
}  // namespace

std::string error_response(int status, std::string_view body, std::int64_t now_unix_s, const RateLimitInfo& rl) {
  return complete_response(status, body, now_unix_s, &rl, body.find("\"type\"") != std::string_view::npos);
}

std::string json_response(int status, std::string_view body, std::int64_t now_unix_s, const RateLimitInfo& rl) {
  return complete_response(status, body, now_unix_s, &rl, false);
}

std::string json_response(int status, std::string_view body, std::int64_t now_unix_s) {
  return complete_response(status, body, now_unix_s, nullptr, false);
}

std::string_view default_body(int status) {
  switch (status) {
    case 401: return x_body::unauthorized_401;
    case 403: return x_body::client_forbidden_403;
    case 404: return x_body::not_found_404;
    case 405: return x_body::method_not_allowed_405;
    case 409: return x_body::no_rules_409;
    case 429: return x_body::rate_limited_429;
    case 503: return x_body::service_unavailable_503;
    default: return x_body::internal_error_500;
  }
}

std::string disconnect_notice(std::string_view type) {
  // Upstream variant documented with the api.x.com host; the others as captured (api.twitter.com).
  // SlowReader has its own detail (X's wording for a client that fell behind).
  const bool upstream = type == "UpstreamOperationalDisconnect";
  const bool slow = type == "SlowReader";
  std::string s = R"({"errors":[{"title":"operational-disconnect","disconnect_type":")";
  s.append(type);
  s += R"(","detail":")";
  s += upstream ? "This stream has been disconnected upstream for operational reasons."
         : slow ? "This stream has been disconnected because your client was unable to keep up with us."
                : "This stream has been disconnected for operational reasons.";
  s += R"(","type":")";
  s += upstream ? "https://api.x.com" : "https://api.twitter.com";
  s += R"(/2/problems/operational-disconnect"}]})";
  return s;
}

namespace {

// The parameter an invalid-request 400 names, with the value refused (X lists values in an array).
struct refused_parameter {
  std::string_view name;
  std::string_view value;
};

// Both invalid-request bodies: "parameters" is {} when X names none.
std::string invalid_request(std::string_view message, const refused_parameter* refused) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("errors");
  w.StartArray();
  w.StartObject();
  w.Key("parameters");
  w.StartObject();
  if (refused) {
    w.Key(refused->name.data(), rapidjson::SizeType(refused->name.size()));
    w.StartArray();
    w.String(refused->value.data(), rapidjson::SizeType(refused->value.size()));
    w.EndArray();
  }
  w.EndObject();
  w.Key("message");
  w.String(message.data(), rapidjson::SizeType(message.size()));
  w.EndObject();
  w.EndArray();
  w.Key("title");
  w.String("Invalid Request");
  w.Key("detail");
  w.String("One or more parameters to your request was invalid.");
  w.Key("type");
  w.String("https://api.twitter.com/2/problems/invalid-request");
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace

std::string invalid_request_body(std::string_view message) { return invalid_request(message, nullptr); }

std::string invalid_request_body(std::string_view message, std::string_view parameter, std::string_view value) {
  const refused_parameter refused{parameter, value};
  return invalid_request(message, &refused);
}

}  // namespace spillway::emu
