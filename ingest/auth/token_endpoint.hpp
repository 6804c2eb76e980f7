#pragma once
// token_endpoint: the wire format of X's two token endpoints (xapi/endpoints.hpp), pure so it is tested
// with tables —
//   paths::app_token    grant_type=client_credentials, Basic auth with the API key and secret → the
//                       app-only Bearer token;
//   paths::user_token   grant_type=refresh_token (OAuth 2.0 user context) → a new access token AND a
//                       new refresh token (X rotates them: the one sent is void from then on).
// And what an operator must be told when either refuses. No I/O; any thread; never puts a secret in a
// message.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace spillway::ingest::auth {

inline constexpr const char* kFormContentType = "application/x-www-form-urlencoded;charset=UTF-8";

struct user_tokens {
  std::string access_token;
  std::string refresh_token;
  std::int64_t expires_at = 0;  // Unix seconds
};

// RFC 4648 base64 with padding.
[[nodiscard]] std::string base64(std::string_view bytes);
// application/x-www-form-urlencoded: unreserved characters kept, everything else %XX (xapi/url's
// percent_encode).
[[nodiscard]] std::string form_encode(std::string_view value);
[[nodiscard]] std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields);
// "Basic base64(urlencode(id):urlencode(secret))" (RFC 6749 §2.3.1, X's app-only auth docs).
[[nodiscard]] std::string basic_authorization(std::string_view id, std::string_view secret);

// The longest lifetime taken from expires_in (one year; X documents 7200 s): larger values are clamped.
inline constexpr std::int64_t max_expires_in_s = 365LL * 24 * 3600;
// The longest error text kept from a token endpoint's body, before escaping.
inline constexpr std::size_t max_error_text_bytes = 300;

// {"token_type":"bearer","access_token":"..."} → the token; nullopt when the shape is not that or the token
// is not visible ASCII (it goes into an Authorization header as it is).
[[nodiscard]] std::optional<std::string> parse_app_token(std::string_view body);
// {"token_type":"bearer","expires_in":N,"access_token":"...","refresh_token":"..."} → tokens with
// expires_at = now + N, N clamped to 0..max_expires_in_s; nullopt without both tokens, or when either is
// not visible ASCII.
[[nodiscard]] std::optional<user_tokens> parse_user_tokens(std::string_view body, std::int64_t now_unix_s);

// The token store file's JSON, and back. parse: errc::bad_message naming what is missing ("has no
// \"refresh_token\" string"; the caller names the file).
[[nodiscard]] std::string serialize_user_tokens(const user_tokens& t);
[[nodiscard]] common::result<user_tokens> parse_user_token_file(std::string_view text);

enum class token_refusal : std::uint8_t {
  refresh_token_used,    // 400 invalid_request: the refresh token was already used (or never valid)
  bad_client,            // 400 unauthorized_client / invalid_client: client id (or secret) wrong
  bad_app_credentials,   // 403 code 99 / 401 on /oauth2/token: API key or secret wrong
  other,
};
[[nodiscard]] token_refusal classify_token_error(int status, std::string_view body);
// X's error text ("error"/"error_description" or errors[0].message), for messages; never a token. Server
// text is data: control bytes escaped as \xNN, capped at max_error_text_bytes (common::log_sample).
[[nodiscard]] std::string token_error_text(std::string_view body);

}  // namespace spillway::ingest::auth
