#include "bench/emu/form_codec.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <random>
#include <vector>

namespace spillway::emu {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::vector<unsigned char> out(in.size() / 4 * 3 + 1);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()), int(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the bytes the '=' padding stands for; drop them.
  std::size_t len = std::size_t(n);
  for (std::size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) --len;
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

}  // namespace

std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += char(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::string> form_value(std::string_view form, std::string_view key) {
  for (std::size_t p = 0; p <= form.size();) {
    const auto amp = std::min(form.find('&', p), form.size());
    const auto kv = form.substr(p, amp - p);
    const auto eq = kv.find('=');
    if (form_decode(kv.substr(0, eq)) == key) return eq == std::string_view::npos ? "" : form_decode(kv.substr(eq + 1));
    p = amp + 1;
  }
  return std::nullopt;
}

std::optional<BasicCredentials> basic_credentials(std::string_view authorization) {
  constexpr std::string_view scheme = "Basic ";
  if (authorization.substr(0, scheme.size()) != scheme) return std::nullopt;
  const auto decoded = base64_decode(authorization.substr(scheme.size()));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{form_decode(std::string_view(*decoded).substr(0, colon)),
                          form_decode(std::string_view(*decoded).substr(colon + 1))};
}

std::string base64_encode(std::string_view bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  const int n = EVP_EncodeBlock(out.data(), reinterpret_cast<const unsigned char*>(bytes.data()), int(bytes.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), std::size_t(n));
}

std::string random_token(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), int(raw.size())) != 1) {
    // Not reachable on a working system; a served request must not throw, so fall back.
    std::random_device rd;
    for (auto& b : raw) b = static_cast<unsigned char>(rd());
  }
  std::string s = base64_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

}  // namespace spillway::emu
