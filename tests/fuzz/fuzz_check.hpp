#pragma once
// Shared by the libFuzzer targets in tests/fuzz/: the property check that turns a violation into a crash
// (libFuzzer then saves the input as crash-<sha1>), the small predicates several properties use, and the
// UBSan defaults every target runs with. Header-only and included by exactly one source per target (each
// target is one translation unit, one single-threaded process).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace spillway::fuzz {

// A property violation: say which, then abort so libFuzzer records the input.
[[noreturn]] inline void violated(const char* property, const char* file, int line, std::string_view detail) {
  std::fprintf(stderr, "\nPROPERTY VIOLATED at %s:%d: %s\n", file, line, property);
  if (!detail.empty()) {
    std::fprintf(stderr, "  detail (%zu bytes): ", detail.size());
    for (const char c : detail.substr(0, 400)) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f || u == '\\') std::fprintf(stderr, "\\x%02x", u);
      else std::fputc(c, stderr);
    }
    std::fputc('\n', stderr);
  }
  std::abort();
}

// A byte that would move the cursor, clear the screen or forge a line in a log or terminal.
inline bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

inline bool has_control_byte(std::string_view text) {
  for (const char c : text)
    if (is_control(static_cast<unsigned char>(c))) return true;
  return false;
}

// RFC 3986 unreserved: what a percent-encoder may leave as it is.
inline bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Decodes a percent-encoded value; nullopt when a byte is neither unreserved, one of `also`, nor part of
// a well-formed %XX (uppercase hex, as Spillway's encoders write it).
inline std::optional<std::string> percent_decode(std::string_view encoded, std::string_view also = {}) {
  const auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  std::string out;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c != '%') {
      if (!is_unreserved(c) && also.find(c) == std::string_view::npos) return std::nullopt;
      out += c;
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;  // a cut-off %X
    if (hex(encoded[i + 1]) < 0 || hex(encoded[i + 2]) < 0) return std::nullopt;
    out += static_cast<char>(hex(encoded[i + 1]) * 16 + hex(encoded[i + 2]));
    i += 2;
  }
  return out;
}

// FNV-1a: a cheap deterministic seed derived from the input bytes (split points, option choices).
inline std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// xorshift64*: the split-point generator, seeded from the input so a crash replays exactly.
class input_rng {
 public:
  explicit input_rng(std::uint64_t seed) : state_(seed == 0 ? 0x9e3779b97f4a7c15ULL : seed) {}
  std::uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dULL;
  }
  // Uniform enough in [0, n) for choosing split sizes; n > 0.
  std::uint64_t below(std::uint64_t n) { return next() % n; }

 private:
  std::uint64_t state_;
};

}  // namespace spillway::fuzz

// Built into the binary, so a target run by hand behaves as in CI: any UBSan report halts (pointer-overflow
// is compiled recoverable only so that the suppressions file can name a third-party finding; see
// cmake/fuzz.cmake). UBSAN_OPTIONS in the environment still overrides these.
extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" SPILLWAY_FUZZ_UBSAN_SUPPRESSIONS;
}

// Checks a property on every build type (never compiled out, unlike assert).
#define FUZZ_CHECK(cond, detail)                                                     \
  do {                                                                               \
    if (!(cond)) ::spillway::fuzz::violated(#cond, __FILE__, __LINE__, (detail));    \
  } while (false)
