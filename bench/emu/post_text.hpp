#pragma once
// Post text synthesis and X-style JSON string escaping.
// PostTextBuilder makes a Post's text from multilingual fragments (CJK, Arabic, Cyrillic, emoji with
// surrogate-pair code points, HTML entities as X sends them) and records the entities X would report,
// with start/end counted in Unicode code points as X does. Stateless apart from the caller's Rng.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bench/emu/rng.hpp"

namespace spillway::emu {

struct TextEntity {
  enum class Kind { mention, hashtag, cashtag, url };
  Kind kind = Kind::hashtag;
  std::int64_t start = 0;  // code points
  std::int64_t end = 0;
  std::string value;  // username / tag without sigil / t.co url
};

struct PostText {
  std::string utf8;
  std::string lang;
  std::vector<TextEntity> entities;
};

// How non-ASCII text is written. X mostly sends raw UTF-8 but escapes some code points (often the
// astral ones, as surrogate pairs, in either hex case); a client must handle every mix.
enum class EscapeStyle { raw, astral_lower, astral_upper, all_non_ascii };

// Appends `utf8` as a JSON string literal (with quotes). `utf8` must be valid UTF-8.
void append_json_string(std::string& out, std::string_view utf8, EscapeStyle style);

class PostTextBuilder {
 public:
  // target_cp: roughly how many code points the text should have (it may end a token later).
  PostText make(Rng& rng, std::int64_t target_cp, bool retweet_prefix) const;
  // A plausible user name / screen name / bio (for includes.users).
  static std::string username(Rng& rng);
  static std::string display_name(Rng& rng);
  static std::string bio(Rng& rng);
};

}  // namespace spillway::emu
