// json_reader's token functions on their own. This file is built for baseline x86-64, so the string scan
// here is the SSE2 one (json_reader.hpp has internal linkage for exactly this): the AVX2 one runs in
// post_extractor.cpp and is covered through extract() (post_validation_test.cpp).
#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "sinks/json_reader.hpp"

namespace json = spillway::sinks::json;

namespace {

// The reference: one byte at a time, as RFC 8259 §7 reads a string (escapes are only stepped over here;
// which escapes are valid is checked by the table below).
struct scan {
  bool ok = false;
  std::size_t body_end = 0;
  bool escaped = false;
};
// RFC 3629 §4 one sequence at a time: the reference for the string scan's UTF-8 check.
bool naive_utf8(const std::string& s, std::size_t from, std::size_t to) {
  for (std::size_t i = from; i < to;) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) n = 3, hi = 0x9F;  // no surrogates
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) n = 4, hi = 0x8F;  // nothing above U+10FFFF
    else return false;
    if (i + n > to) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xBF)) return false;
    }
    i += n;
  }
  return true;
}

scan naive_scan(const std::string& s, std::size_t len) {
  scan r;
  for (std::size_t i = 1; i < len; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') return {naive_utf8(s, 1, i), i, r.escaped};
    if (c < 0x20) return r;
    if (c == '\\') {
      r.escaped = true;
      ++i;  // the escape's second byte ('n' here) is never special
    }
  }
  return r;
}

}  // namespace

TEST_CASE("json_reader: the string scan finds the same end and the same UTF-8 verdict as a byte-by-byte reader",
          "[json_reader]") {
  // Whole characters of 1 to 4 bytes, and now and then a sequence cut short, a stray continuation byte or
  // a byte UTF-8 never uses, so that broken UTF-8 lands in every block of a string, before and after escapes.
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"a", "a", "a", "a", "a", "a", "a", "a", "xyz", " ", "\xc3\xa9", "\xe6\x97\xa5",
                                           "\xf0\x9f\x98\x80", "\"", "\\n", "\x01"};
  const std::vector<std::string> broken = {"\xc3", "\xa9", "\xe6\x97", "\xf0\x9f\x98", "\xff", "\xc0\xaf", "\xed\xa0\x80"};
  for (int round = 0; round < 20000; ++round) {
    std::string s = "\"";
    const std::size_t len = 1 + rng() % 90;
    while (s.size() < len) {
      s += rng() % 64 == 0 ? broken[rng() % broken.size()] : pieces[rng() % pieces.size()];
    }
    const std::size_t line_len = s.size();
    s += std::string(json::overread, '"');  // padding: never part of the string
    INFO(s.substr(0, line_len));
    const auto expected = naive_scan(s, line_len);
    const char* body_end = nullptr;
    bool escaped = false;
    const char* problem = nullptr;
    const char* next = json::read_string(s.data(), s.data() + line_len, body_end, escaped, problem);
    REQUIRE((next != nullptr) == expected.ok);
    if (expected.ok) {
      CHECK(static_cast<std::size_t>(body_end - s.data()) == expected.body_end);
      CHECK(next == body_end + 1);
      CHECK(escaped == expected.escaped);
    } else {
      CHECK(problem != nullptr);
    }
  }
}

TEST_CASE("json_reader: escapes", "[json_reader]") {
  struct row {
    std::string body;
    bool valid;
  };
  for (const auto& r : std::vector<row>{
           {R"(\" \\ \/ \b \f \n \r \t)", true},
           {R"(\u0000\u001f\u00e9\uFFFF\uD83D\uDE00\ud83d\ude00)", true},
           {R"(\a)", false},
           {R"(\U0041)", false},
           {R"(\u004)", false},
           {R"(\u00G1)", false},
           {R"(\uD800)", false},
           {R"(\uDBFF\u0041)", false},
           {R"(\uDC00)", false},
           {R"(\uDFFF\uD800)", false},
           {R"(\uD83D\\uDE00)", false},
       }) {
    INFO(r.body);
    const std::string s = "\"" + r.body + "\"" + std::string(json::overread, ' ');
    const char* body_end = nullptr;
    bool escaped = false;
    const char* problem = nullptr;
    const char* next = json::read_string(s.data(), s.data() + r.body.size() + 2, body_end, escaped, problem);
    CHECK((next != nullptr) == r.valid);
    CHECK(escaped);
  }
}

TEST_CASE("json_reader: unescape decodes what a parser sees", "[json_reader]") {
  const auto decoded = [](std::string_view body) {
    std::string out(body.size(), '\0');
    out.resize(json::unescape(body, out.data()));
    return out;
  };
  CHECK(decoded(R"(plain)") == "plain");
  CHECK(decoded(R"(\u0069d)") == "id");
  CHECK(decoded(R"(a\"b\\c\/d\b\f\n\r\t)") == "a\"b\\c/d\b\f\n\r\t");
  CHECK(decoded(R"(caf\u00e9 \u65e5 \ud83d\ude00)") == "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
  CHECK(decoded(R"(\u0000)") == std::string(1, '\0'));
}

TEST_CASE("json_reader: numbers stop where the grammar says, literals are spelled out", "[json_reader]") {
  using reader = const char* (*)(const char*, const char*, const char*&) noexcept;
  // Where `read` stops in `text` (-1 when it refuses it).
  const auto end_of = [](reader read, const std::string& text) -> long {
    const std::string s = text + std::string(json::overread, ' ');
    const char* problem = nullptr;
    const char* next = read(s.data(), s.data() + text.size(), problem);
    return next == nullptr ? -1 : next - s.data();
  };
  CHECK(end_of(json::read_number, "0") == 1);
  CHECK(end_of(json::read_number, "-0.5e+10,") == 8);
  CHECK(end_of(json::read_number, "01") == 1);  // the "1" is left for the grammar to refuse
  CHECK(end_of(json::read_number, "1.5.") == 3);
  CHECK(end_of(json::read_number, "-") == -1);
  CHECK(end_of(json::read_number, "1.") == -1);
  CHECK(end_of(json::read_number, "1e") == -1);
  CHECK(end_of(json::read_number, "1e308") == -1);
  CHECK(end_of(json::read_number, "1e307") == 5);
  CHECK(end_of(json::read_number, "0.0001e310") == -1);  // stricter than needed (it is 1e306): documented
  CHECK(end_of(json::read_number, "1e-99999") == 8);
  CHECK(end_of(json::read_literal, "true") == 4);
  CHECK(end_of(json::read_literal, "false]") == 5);
  CHECK(end_of(json::read_literal, "null") == 4);
  for (const char* bad : {"nul", "tru", "fals", "nan", "True"}) CHECK(end_of(json::read_literal, bad) == -1);
}
