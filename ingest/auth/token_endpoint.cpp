#include "ingest/auth/token_endpoint.hpp"

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>

#include "common/log.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest::auth {
namespace {

// The whole string, embedded NULs included (a token cut at a NUL would be a different token).
std::string str(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return {};
  const auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                       : std::string();
}

// A token goes into an Authorization header as it is: only visible ASCII (RFC 6750 b64token is a subset),
// so a CR/LF, space or NUL from the server can never add or split a header.
bool header_safe(std::string_view token) {
  if (token.empty()) return false;
  for (const char c : token)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

std::optional<std::int64_t> int_of(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return std::nullopt;
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return std::nullopt;
  return it->value.GetInt64();
}

// A JSON number as seconds, clamped to 0..max: 2^63 (a uint64 to RapidJSON) and 1e30 (a double) clamp
// like any other large value instead of falling back to a default. nullopt when absent or not a number.
std::optional<std::int64_t> clamped_seconds(const rapidjson::Value& obj, const char* key, std::int64_t max) {
  if (!obj.IsObject()) return std::nullopt;
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsNumber()) return std::nullopt;
  const auto& v = it->value;
  if (v.IsInt64()) return std::clamp<std::int64_t>(v.GetInt64(), 0, max);
  if (v.IsUint64()) return max;  // above INT64_MAX
  const double d = v.GetDouble();
  if (!(d > 0)) return 0;
  return d >= static_cast<double>(max) ? max : static_cast<std::int64_t>(d);
}

bool parse(std::string_view body, rapidjson::Document& d) {
  d.Parse(body.data(), body.size());
  return !d.HasParseError() && d.IsObject();
}

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string form_encode(std::string_view value) { return percent_encode(value); }

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for `"literal" + std::string&&`.
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += form_encode(k);
    out += '=';
    out += form_encode(v);
  }
  return out;
}

std::string basic_authorization(std::string_view id, std::string_view secret) {
  return "Basic " + base64(form_encode(id) + ":" + form_encode(secret));
}

std::optional<std::string> parse_app_token(std::string_view body) {
  rapidjson::Document d;
  if (!parse(body, d)) return std::nullopt;
  std::string type = str(d, "token_type");
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string token = str(d, "access_token");
  if (type != "bearer" || !header_safe(token)) return std::nullopt;
  return token;
}

std::optional<user_tokens> parse_user_tokens(std::string_view body, std::int64_t now_unix_s) {
  rapidjson::Document d;
  if (!parse(body, d)) return std::nullopt;
  user_tokens t{str(d, "access_token"), str(d, "refresh_token"), 0};
  if (!header_safe(t.access_token) || !header_safe(t.refresh_token)) return std::nullopt;
  // X documents 7200 s for user access tokens; assume that when expires_in is missing. Clamped, so a
  // hostile value can neither overflow the sum nor put the expiry before now.
  t.expires_at = now_unix_s + clamped_seconds(d, "expires_in", max_expires_in_s).value_or(7200);
  return t;
}

std::string serialize_user_tokens(const user_tokens& t) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("access_token");
  w.String(t.access_token.c_str(), static_cast<rapidjson::SizeType>(t.access_token.size()));
  w.Key("refresh_token");
  w.String(t.refresh_token.c_str(), static_cast<rapidjson::SizeType>(t.refresh_token.size()));
  w.Key("expires_at");
  w.Int64(t.expires_at);
  w.EndObject();
  return std::string(sb.GetString()) + "\n";
}

common::result<user_tokens> parse_user_token_file(std::string_view text) {
  const auto bad = [](const char* what) { return common::error(common::errc::bad_message, what); };
  rapidjson::Document d;
  if (!parse(text, d)) return bad("is not a JSON object");
  user_tokens t{str(d, "access_token"), str(d, "refresh_token"), int_of(d, "expires_at").value_or(-1)};
  if (t.refresh_token.empty()) return bad("has no \"refresh_token\" string");
  if (t.expires_at < 0) return bad("has no \"expires_at\" (Unix seconds, integer)");
  return t;  // an empty access_token is allowed: the first use refreshes
}

token_refusal classify_token_error(int status, std::string_view body) {
  rapidjson::Document d;
  const bool json = parse(body, d);
  const std::string error = json ? str(d, "error") : std::string();
  if (status == 400 && error == "invalid_request") return token_refusal::refresh_token_used;
  if ((status == 400 || status == 401) && (error == "unauthorized_client" || error == "invalid_client"))
    return token_refusal::bad_client;
  if (status == 401 || status == 403) {
    if (json && d.HasMember("errors") && d["errors"].IsArray() && !d["errors"].Empty() &&
        int_of(d["errors"][0], "code") == 99)
      return token_refusal::bad_app_credentials;
    if (error.empty()) return token_refusal::bad_app_credentials;
  }
  return token_refusal::other;
}

std::string token_error_text(std::string_view body) {
  rapidjson::Document d;
  if (!parse(body, d)) return {};
  std::string text = str(d, "error");
  const std::string description = str(d, "error_description");
  if (!description.empty()) text += (text.empty() ? "" : ": ") + description;
  if (text.empty() && d.HasMember("errors") && d["errors"].IsArray() && !d["errors"].Empty())
    text = str(d["errors"][0], "message");
  return common::log_sample(text, max_error_text_bytes);  // server text is data: escaped, capped
}

}  // namespace spillway::ingest::auth
