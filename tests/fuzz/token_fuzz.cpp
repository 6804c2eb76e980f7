// Property: the token endpoints' bodies (ingest/auth/token_endpoint), whatever X or a hostile server sends:
//   - an accepted app-only or user token is visible ASCII only (it goes into an Authorization header as it
//     is: no CR/LF, space or NUL can add or split a header);
//   - a user token's expires_at is now .. now + max_expires_in_s (no overflow: UBSan), and the token store
//     file written from it reads back equal;
//   - the error text for messages has no control byte and is capped; a 429 or 5xx is never classified
//     as a credentials problem, whatever the body says;
//   - form_encode (the form body and Basic credentials) keeps only unreserved characters and %XX, and
//     decodes back to its input; basic_authorization is "Basic " + base64 of the right length.
// The input is the body; its bytes also serve as the client id and secret for the encoders.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/auth/token_endpoint.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace spillway::ingest::auth;
using spillway::fuzz::has_control_byte;

namespace {

bool visible_ascii(std::string_view s) {
  for (const char c : s)
    if (c < 0x21 || c > 0x7e) return false;
  return !s.empty();
}

void check_form_encode(std::string_view value) {
  const std::string encoded = form_encode(value);
  const auto decoded = spillway::fuzz::percent_decode(encoded);
  FUZZ_CHECK(decoded && *decoded == value, encoded);
}

void check_basic(std::string_view id, std::string_view secret) {
  const std::string header = basic_authorization(id, secret);
  const std::size_t raw = form_encode(id).size() + 1 + form_encode(secret).size();
  FUZZ_CHECK(header.starts_with("Basic ") && header.size() == 6 + 4 * ((raw + 2) / 3), header);
  FUZZ_CHECK(visible_ascii(header.substr(6)), header);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  if (const auto token = parse_app_token(body)) FUZZ_CHECK(visible_ascii(*token), *token);

  constexpr std::int64_t now = 1'795'953'600;  // 2026-11-29T12:00:00Z
  if (const auto tokens = parse_user_tokens(body, now)) {
    FUZZ_CHECK(visible_ascii(tokens->access_token) && visible_ascii(tokens->refresh_token), tokens->access_token);
    FUZZ_CHECK(tokens->expires_at >= now && tokens->expires_at <= now + max_expires_in_s, "expires_at out of range");
    const auto back = parse_user_token_file(serialize_user_tokens(*tokens));
    FUZZ_CHECK(back && back->access_token == tokens->access_token && back->refresh_token == tokens->refresh_token &&
                   back->expires_at == tokens->expires_at,
               back ? std::string_view() : std::string_view(back.error().message));
  }
  if (const auto file = parse_user_token_file(body); !file) FUZZ_CHECK(!file.error().message.empty(), "no reason");

  const std::string said = token_error_text(body);
  FUZZ_CHECK(!has_control_byte(said), said);
  FUZZ_CHECK(said.size() <= 4 * max_error_text_bytes + 32, said);
  // Whatever the body says, a 429 or 5xx is X's load, never bad credentials (which would stop the service).
  for (const int status : {429, 500, 503}) FUZZ_CHECK(classify_token_error(status, body) == token_refusal::other, said);
  for (const int status : {400, 401, 403}) static_cast<void>(classify_token_error(status, body));  // UBSan/ASan

  check_form_encode(body);
  const std::size_t half = size / 2;
  check_basic(body.substr(0, half), body.substr(half));
  return 0;
}
