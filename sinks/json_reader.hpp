#pragma once
// json_reader: reads one RFC 8259 token at a time from a line and checks it completely — strings (escapes,
// control characters, UTF-8, closing quote), numbers (grammar and range), literals (spelling). The grammar
// between tokens (commas, colons, brackets) is post_extractor's.
//
// UTF-8 is checked per string, and only for a string that holds a byte above 0x7F (the string scan sees
// them for free): outside strings such a byte is a grammar error anyway, so this checks every byte a
// whole-line pass would. The whole-line simdjson::validate_utf8 it replaced was the first read of each
// line on the pipeline thread and took 7% of the receive path (bench-receive).
//
// Choices, stricter than RFC 8259's grammar where parsers are known to disagree, so that every line
// Spillway stores decodes alike everywhere (and RapidJSON 1.1 with kParseValidateEncodingFlag, the
// differential reference, accepts it):
// - a \u escape of a UTF-16 surrogate must be a high one (D800-DBFF) followed at once by a \u low one
//   (DC00-DFFF). RFC 8259 §8.2 allows lone ones in the grammar but warns their behaviour is unpredictable;
//   I-JSON (RFC 7493 §2.1) forbids them; RapidJSON rejects a lone high one, simdjson and serde both.
// - a number may have at most 308 digits before the decimal point once its exponent is applied (so it is
//   below 1e308, a finite double). RFC 8259 §6 lets implementations limit the range; RapidJSON rejects
//   some numbers past it and turns others into infinity. Tiny numbers (1e-400) stay valid.
// - whitespace is exactly space, tab, LF and CR (RFC 8259 §2); a byte-order mark is not JSON.
//
// Every function takes the position of a token's first byte and the line's end, and returns the position
// just past the token, or nullptr with `problem` set (a static string). Positions stay in registers
// across a whole line this way, which is most of the speed (bench-extract). Nothing is allocated or owned.
// Reads [p, end) and, for vector loads only, up to `overread` bytes past `end`: the caller's
// simdjson::SIMDJSON_PADDING covers it. Pure functions; any thread.
//
// Internal linkage on purpose: the string scan is vector code for whatever instruction set the including
// file is built for (post_extractor.cpp: SPILLWAY_SIMD_ARCH, AVX2 on the target; a test: baseline SSE2).
// With ordinary inline functions the linker would keep one copy for all of them, and might pick the AVX2
// one for a caller built for machines without it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#if defined(__AVX2__) || defined(__SSE2__)
#include <immintrin.h>
#endif

namespace spillway::sinks::json {

inline constexpr std::size_t overread = 32;

// Out of line (json_reader.cpp): called per escape or per number, a few times per Post.
// `p` at a backslash inside a string: checks one escape (a surrogate pair counts as one).
[[nodiscard]] const char* read_escape(const char* p, const char* end, const char*& problem) noexcept;
// `p` at '-' or a digit.
[[nodiscard]] const char* read_number(const char* p, const char* end, const char*& problem) noexcept;
// `p` at 't', 'f' or 'n'.
[[nodiscard]] const char* read_literal(const char* p, const char* end, const char*& problem) noexcept;
// Whether [p, p + n) is valid UTF-8 (simdjson::validate_utf8, dispatched at run time).
[[nodiscard]] bool valid_utf8(const char* p, std::size_t n) noexcept;
// The text of a valid string body with its escapes decoded into UTF-8 at `out`, which has room for
// body.size() bytes (decoding never lengthens a string). Returns the decoded length.
[[nodiscard]] std::size_t unescape(std::string_view body, char* out) noexcept;

namespace {  // see "Internal linkage on purpose" above

inline const char* skip_whitespace(const char* p, const char* end) noexcept {
  while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  return p;
}

// One 32-byte block of a string: bit i of `special` set when p[i] is '"', '\\' or a control byte (the
// only bytes a string scan must stop at), bit i of `high` when p[i] is above 0x7F.
struct block_bits {
  std::uint32_t special;
  std::uint32_t high;
};
inline block_bits classify(const char* p) noexcept {
#if defined(__AVX2__)
  const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i low = _mm256_set1_epi8(0x1F);  // unsigned v <= 0x1F  <=>  max(v, 0x1F) == 0x1F
  const __m256i hits = _mm256_or_si256(
      _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('"')), _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'))),
      _mm256_cmpeq_epi8(_mm256_max_epu8(v, low), low));
  return {static_cast<std::uint32_t>(_mm256_movemask_epi8(hits)), static_cast<std::uint32_t>(_mm256_movemask_epi8(v))};
#elif defined(__SSE2__)
  const auto half = [](const char* h) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(h));
    const __m128i low = _mm_set1_epi8(0x1F);
    const __m128i hits = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
        _mm_cmpeq_epi8(_mm_max_epu8(v, low), low));
    return block_bits{static_cast<std::uint32_t>(_mm_movemask_epi8(hits)), static_cast<std::uint32_t>(_mm_movemask_epi8(v))};
  };
  const block_bits a = half(p);
  const block_bits b = half(p + 16);
  return {a.special | (b.special << 16), a.high | (b.high << 16)};
#else
  block_bits bits{0, 0};
  for (int i = 0; i < 32; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    bits.special |= static_cast<std::uint32_t>(c == '"' || c == '\\' || c < 0x20) << i;
    bits.high |= static_cast<std::uint32_t>(c > 0x7F) << i;
  }
  return bits;
#endif
}

// The first byte at or after `p` that is '"', '\\' or a control byte, or `end` when there is none.
// `high` gets a non-zero bit when a byte above 0x7F comes before it. Not inlined on purpose: a leaf keeps
// its vector constants in registers, where inlined into the recursive reader they were spilled and
// reloaded around every call (measured: a third slower).
[[gnu::noinline]] inline const char* find_special(const char* p, const char* end, std::uint32_t& high) noexcept {
  // Vector loads only over whole 32-byte blocks inside the line: the bytes after it may be the next line,
  // which the reader thread is writing into the same slab at this moment (TSan reports the overread).
  for (; end - p >= 32; p += 32) {
    const block_bits bits = classify(p);
    if (bits.special != 0) {
      const int at = __builtin_ctz(bits.special);
      high |= bits.high & ((std::uint32_t{1} << at) - 1);  // only the bytes before the stop are the string's
      return p + at;
    }
    high |= bits.high;
  }
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20) return p;
    high |= c & 0x80;
  }
  return end;
}

// `p` at an opening quote. The body (raw, escapes intact) is [p + 1, body_end); `escaped` is set when
// it holds an escape (then unescape() gives the text a parser would see).
inline const char* read_string(const char* p, const char* end, const char*& body_end, bool& escaped,
                               const char*& problem) noexcept {
  const char* const body = ++p;
  std::uint32_t high = 0;
  for (;;) {
    p = find_special(p, end, high);
    if (p == end) {
      problem = "invalid JSON: a string is not closed before the end of the line";
      return nullptr;
    }
    if (*p == '"') {
      // Escapes are ASCII, so only the raw bytes can be bad UTF-8, and only when one is above 0x7F.
      if (high != 0 && !valid_utf8(body, static_cast<std::size_t>(p - body))) {
        problem = "invalid JSON: not valid UTF-8";
        return nullptr;
      }
      body_end = p;
      return p + 1;
    }
    if (*p != '\\') {
      problem = "invalid JSON: a control character (below U+0020) unescaped inside a string";
      return nullptr;
    }
    escaped = true;
    p = read_escape(p, end, problem);
    if (p == nullptr) return nullptr;
  }
}

}  // namespace

}  // namespace spillway::sinks::json
