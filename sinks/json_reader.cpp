#include "sinks/json_reader.hpp"

#include <cstring>

#include <simdjson.h>

namespace spillway::sinks::json {

namespace {

constexpr const char* unclosed_string = "invalid JSON: a string is not closed before the end of the line";
constexpr const char* bad_escape = "invalid JSON: bad escape in a string (only \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)";
constexpr const char* lone_surrogate =
    "invalid JSON: unpaired UTF-16 surrogate escape in a string (a \\uD800-\\uDBFF must be followed by a "
    "\\uDC00-\\uDFFF)";
constexpr const char* bad_number = "invalid JSON: malformed number";
constexpr const char* huge_number =
    "invalid JSON: number too large (more than 308 digits before the decimal point once the exponent is applied)";
constexpr const char* bad_literal = "invalid JSON: a bare word that is not true, false or null";
// At most this many digits before the decimal point once the exponent is applied: the value is below 1e308.
constexpr long max_decimal_exponent = 308;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 4 hex digits at `p` (just after "\u"); false when fewer than 4 remain before `end` or one is not hex.
bool hex4(const char* p, const char* end, std::uint32_t& out) noexcept {
  if (end - p < 4) return false;
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    const int h = hex_value(p[i]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<std::uint32_t>(h);
  }
  out = v;
  return true;
}

char* put_utf8(std::uint32_t cp, char* out) noexcept {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xC0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xE0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out++ = static_cast<char>(0xF0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out++ = static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

const char* read_escape(const char* p, const char* end, const char*& problem) noexcept {
  const auto failed = [&problem](const char* why) -> const char* {
    problem = why;
    return nullptr;
  };
  if (end - p < 2) return failed(unclosed_string);
  switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      return p + 2;
    case 'u':
      break;
    default:
      return failed(bad_escape);
  }
  std::uint32_t unit = 0;
  if (!hex4(p + 2, end, unit)) return failed(bad_escape);
  p += 6;
  if (unit >= 0xDC00 && unit <= 0xDFFF) return failed(lone_surrogate);
  if (unit < 0xD800 || unit > 0xDBFF) return p;
  std::uint32_t low = 0;
  if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return failed(lone_surrogate);
  if (!hex4(p + 2, end, low)) return failed(bad_escape);
  if (low < 0xDC00 || low > 0xDFFF) return failed(lone_surrogate);
  return p + 6;
}

const char* read_number(const char* p, const char* end, const char*& problem) noexcept {
  // RFC 8259 §6: [ minus ] int [ frac ] [ exp ], int = zero / ( digit1-9 *DIGIT ). What follows the number
  // (a comma, a bracket, or garbage such as the "x" of "1x") is the grammar's to judge.
  const auto failed = [&problem](const char* why) -> const char* {
    problem = why;
    return nullptr;
  };
  if (p < end && *p == '-') ++p;
  const char* const int_begin = p;
  if (p < end && *p == '0') {
    ++p;
  } else if (p < end && *p >= '1' && *p <= '9') {
    while (p < end && is_digit(*p)) ++p;
  } else {
    return failed(bad_number);
  }
  const long int_digits = p - int_begin;
  if (p < end && *p == '.') {
    const char* const frac_begin = ++p;
    while (p < end && is_digit(*p)) ++p;
    if (p == frac_begin) return failed(bad_number);
  }
  long exponent = 0;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool negative = false;
    if (p < end && (*p == '+' || *p == '-')) negative = *p++ == '-';
    const char* const exp_begin = p;
    while (p < end && is_digit(*p)) {
      // Saturates: only "more than 308" matters, and a long run of digits must not overflow.
      if (!negative && exponent <= max_decimal_exponent) exponent = exponent * 10 + (*p - '0');
      ++p;
    }
    if (p == exp_begin) return failed(bad_number);
  }
  if (int_digits > max_decimal_exponent || int_digits + exponent > max_decimal_exponent) return failed(huge_number);
  return p;
}

const char* read_literal(const char* p, const char* end, const char*& problem) noexcept {
  const auto left = static_cast<std::size_t>(end - p);
  for (const std::string_view word : {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
    // "truex" passes here and leaves "x" for the grammar to refuse.
    if (left >= word.size() && std::memcmp(p, word.data(), word.size()) == 0) return p + word.size();
  }
  problem = bad_literal;
  return nullptr;
}

bool valid_utf8(const char* p, std::size_t n) noexcept { return simdjson::validate_utf8(p, n); }

std::size_t unescape(std::string_view body, char* out) noexcept {
  char* const begin = out;
  for (std::size_t i = 0; i < body.size();) {
    if (body[i] != '\\') {
      *out++ = body[i++];
      continue;
    }
    const char kind = body[i + 1];
    i += 2;
    switch (kind) {
      case 'b': *out++ = '\b'; continue;
      case 'f': *out++ = '\f'; continue;
      case 'n': *out++ = '\n'; continue;
      case 'r': *out++ = '\r'; continue;
      case 't': *out++ = '\t'; continue;
      case 'u': break;
      default: *out++ = kind; continue;  // " \ /
    }
    // The body was validated by read_string(): 4 hex digits, and a high surrogate has its low one.
    std::uint32_t cp = 0;
    (void)hex4(body.data() + i, body.data() + body.size(), cp);
    i += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      std::uint32_t low = 0;
      (void)hex4(body.data() + i + 2, body.data() + body.size(), low);
      i += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    out = put_utf8(cp, out);
  }
  return static_cast<std::size_t>(out - begin);
}

}  // namespace spillway::sinks::json
