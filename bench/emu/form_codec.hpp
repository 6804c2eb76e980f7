#pragma once
// Small codecs the OAuth endpoints need: application/x-www-form-urlencoded values, HTTP Basic
// credentials, and random opaque tokens. Written here rather than taken from the client side on
// purpose (the emulator shares no code with ingest/). Pure functions, except random_token (OpenSSL's
// CSPRNG); callable from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace spillway::emu {

// Percent- and '+'-decoding of one form or query component. Invalid escapes are kept as is.
std::string form_decode(std::string_view s);

// The decoded value of `key` in a form body or query string ("a=1&b=2"); nullopt when absent.
std::optional<std::string> form_value(std::string_view form, std::string_view key);

struct BasicCredentials {
  std::string user, password;  // form-decoded, as RFC 6749 §2.3.1 has clients encode them
};
// Parses "Basic base64(user:password)"; nullopt for any other scheme or a malformed value.
std::optional<BasicCredentials> basic_credentials(std::string_view authorization);

// Standard base64 with padding (tests use it to build Authorization headers).
std::string base64_encode(std::string_view bytes);

// `bytes` random bytes as unpadded base64url: the shape of X's OAuth 2.0 tokens.
std::string random_token(std::size_t bytes);

}  // namespace spillway::emu
