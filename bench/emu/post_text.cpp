#include "bench/emu/post_text.hpp"

#include <array>

namespace spillway::emu {
namespace {

struct Corpus {
  const char* lang;
  std::vector<const char*> words;
};

const std::vector<Corpus>& corpora() {
  static const std::vector<Corpus> c = {
      {"en", {"the", "stream", "is", "live", "today", "we", "shipped", "a", "new", "release", "thanks", "everyone",
              "for", "coming", "out", "tonight", "great", "game", "what", "a", "finish", "can't", "believe", "it's",
              "Friday", "already", "coffee", "&amp;", "code", "&lt;3", "weather", "looks", "wild", "\xe2\x80\x99",
              "\xe2\x80\x9cquoted\xe2\x80\x9d", "breaking:", "update", "\xe2\x80\xa6", "RT", "if", "you", "agree"}},
      {"ja", {"\xe5\x8f\x82\xe5\x8a\xa0\xe8\x80\x85\xe5\x8b\x9f\xe9\x9b\x86\xef\xbc\x81",
              "\xe4\xbb\x8a\xe6\x97\xa5\xe3\x81\xaf\xe3\x81\x84\xe3\x81\x84\xe5\xa4\xa9\xe6\xb0\x97\xe3\x81\xa7\xe3\x81\x99\xe3\x81\xad",
              "\xe3\x81\x82\xe3\x82\x8a\xe3\x81\x8c\xe3\x81\xa8\xe3\x81\x86\xe3\x81\x94\xe3\x81\x96\xe3\x81\x84\xe3\x81\xbe\xe3\x81\x99",
              "\xe6\x96\xb0\xe4\xbd\x9c\xe7\x99\xba\xe8\xa1\xa8", "\xe6\x8b\xa1\xe6\x95\xa3\xe5\xb8\x8c\xe6\x9c\x9b",
              "Lv120", "\xe3\x82\xb0\xe3\x83\xaa\xe3\x83\xbc\xe3\x83\xa0\xe3\x83\x8b\xe3\x83\xab", "\xe3\x80\x90\xe9\x80\x9f\xe5\xa0\xb1\xe3\x80\x91"}},
      {"zh", {"\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c", "\xe4\xbb\x8a\xe5\xa4\xa9\xe7\x9a\x84\xe6\x96\xb0\xe9\x97\xbb",
              "\xe6\x88\x91\xe4\xbb\xac\xe4\xb8\x80\xe8\xb5\xb7\xe5\x8a\xa0\xe6\xb2\xb9", "\xe7\x9b\xb4\xe6\x92\xad"}},
      {"ko", {"\xec\x95\x88\xeb\x85\x95\xed\x95\x98\xec\x84\xb8\xec\x9a\x94", "\xec\x98\xa4\xeb\x8a\x98",
              "\xeb\x89\xb4\xec\x8a\xa4", "\xea\xb0\x90\xec\x82\xac\xed\x95\xa9\xeb\x8b\x88\xeb\x8b\xa4"}},
      {"ar", {"\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7", "\xd8\xa8\xd8\xa7\xd9\x84\xd8\xb9\xd8\xa7\xd9\x84\xd9\x85",
              "\xd8\xb4\xd9\x83\xd8\xb1\xd8\xa7", "\xd8\xac\xd8\xb2\xd9\x8a\xd9\x84\xd8\xa7"}},
      {"ru", {"\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\xd0\xbc\xd0\xb8\xd1\x80",
              "\xd1\x81\xd0\xbf\xd0\xb0\xd1\x81\xd0\xb8\xd0\xb1\xd0\xbe", "\xd0\xbd\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x81\xd1\x82\xd0\xb8"}},
      {"es", {"\xc2\xa1Qu\xc3\xa9", "d\xc3\xad" "a!", "ma\xc3\xb1" "ana", "caf\xc3\xa9", "f\xc3\xbatbol", "gracias", "a", "todos"}},
  };
  return c;
}

// Emoji: mostly astral (surrogate pairs when escaped), plus BMP ones with variation selectors.
constexpr std::array<const char*, 14> kEmoji = {
    "\xf0\x9f\x98\x80", "\xf0\x9f\x94\xa5", "\xf0\x9f\xa5\x81", "\xe2\x9d\xa4\xef\xb8\x8f",
    "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", "\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5", "\xf0\x9f\x8e\x89", "\xf0\x9f\x98\x82",
    "\xf0\x9f\x99\x8f", "\xe2\x9c\xa8", "\xf0\x9f\x9a\x80", "\xf0\x9f\x91\x80", "\xf0\x9f\x92\xaf", "\xe2\x98\x95"};
constexpr std::array<const char*, 10> kTags = {"TwitterAPI", "news", "F1", "tawanb", "\xe9\x80\x9f\xe5\xa0\xb1",
                                               "gamedev", "CES2026", "AI", "MUFC", "\xec\x98\xa4\xeb\x8a\x98"};
constexpr std::array<const char*, 6> kCashtags = {"TSLA", "AAPL", "BTC", "NVDA", "GME", "X"};
constexpr char kAlnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

std::int64_t count_cp(std::string_view s) {
  std::int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

void append_hex4(std::string& out, unsigned v, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += digits[(v >> shift) & 0xF];
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, EscapeStyle style) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) append_hex4(out, c, false);
          else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    const std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    unsigned cp = c & (len == 4 ? 0x07u : len == 3 ? 0x0Fu : 0x1Fu);
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    const bool astral = cp >= 0x10000;
    const bool escape = style == EscapeStyle::all_non_ascii || (astral && style != EscapeStyle::raw);
    if (!escape) {
      out.append(s.substr(i, len));
    } else {
      const bool upper = style == EscapeStyle::astral_upper;
      if (astral) {
        const unsigned v = cp - 0x10000;
        append_hex4(out, 0xD800 + (v >> 10), upper);
        append_hex4(out, 0xDC00 + (v & 0x3FF), upper);
      } else {
        append_hex4(out, cp, upper);
      }
    }
    i += len;
  }
  out += '"';
}

PostText PostTextBuilder::make(Rng& rng, std::int64_t target_cp, bool retweet_prefix) const {
  PostText t;
  const auto& corpus = corpora()[rng.chance(0.5) ? 0 : rng.below(corpora().size())];
  t.lang = corpus.lang;
  std::int64_t cp = 0;
  auto add = [&](std::string_view piece) {
    t.utf8.append(piece);
    cp += count_cp(piece);
  };
  auto add_entity = [&](TextEntity::Kind kind, std::string sigil, std::string value) {
    if (cp > 0 && t.utf8.back() != ' ' && t.utf8.back() != '\n') add(" ");
    TextEntity e{kind, cp, 0, value};
    add(sigil + value);
    e.end = cp;
    t.entities.push_back(std::move(e));
  };
  if (retweet_prefix) {
    add("RT ");
    add_entity(TextEntity::Kind::mention, "@", username(rng));
    add(":");
  }
  while (cp < target_cp) {
    if (cp > 0) add(rng.chance(0.06) ? "\n" : " ");
    const auto roll = rng.below(100);
    if (roll < 62) {
      add(rng.pick(corpus.words));
    } else if (roll < 74) {
      add(kEmoji[rng.below(kEmoji.size())]);
    } else if (roll < 80) {
      add_entity(TextEntity::Kind::mention, "@", username(rng));
    } else if (roll < 86) {
      add_entity(TextEntity::Kind::hashtag, "#", kTags[rng.below(kTags.size())]);
    } else if (roll < 88) {
      add_entity(TextEntity::Kind::cashtag, "$", kCashtags[rng.below(kCashtags.size())]);
    } else if (roll < 92) {
      std::string url = "https://t.co/";
      for (int k = 0; k < 10; ++k) url += kAlnum[rng.below(sizeof(kAlnum) - 1)];
      add_entity(TextEntity::Kind::url, "", url);
    } else {
      add(rng.pick(corpora()[0].words));
    }
  }
  return t;
}

std::string PostTextBuilder::username(Rng& rng) {
  static const std::vector<const char*> stems = {"ayy_gbr", "Tboonmaeiei", "BayanRahman", "XDevelopers", "nasa",
                                                 "news_bot", "kat", "jp_fan", "dev", "mufc_daily"};
  std::string u = rng.pick(stems);
  if (rng.chance(0.6)) u += std::to_string(rng.below(100000));
  return u.substr(0, 15);
}

std::string PostTextBuilder::display_name(Rng& rng) {
  static const std::vector<const char*> names = {
      "Aaron", "TawanB.", "Mohammad Habib", "X Developers", "\xe3\x81\x8b\xe3\x81\xa4 \xf0\x9f\x8c\xb8",
      "Dana \xf0\x9f\x8f\xb3\xef\xb8\x8f\xe2\x80\x8d\xf0\x9f\x8c\x88", "\xd0\x90\xd0\xbd\xd0\xbd\xd0\xb0",
      "Jos\xc3\xa9 Garc\xc3\xad" "a", "\xea\xb9\x80\xeb\xaf\xbc\xec\xa4\x80"};
  return rng.pick(names);
}

std::string PostTextBuilder::bio(Rng& rng) {
  static const std::vector<const char*> bios = {
      "GBR", "",
      "Official account. Tweets about builds, releases &amp; outages. Not monitored 24/7.",
      "\xe6\x97\xa5\xe5\xb8\xb8\xe3\x81\xae\xe3\x81\x93\xe3\x81\xa8\xe3\x82\x92\xe3\x81\xa4\xe3\x81\xb6\xe3\x82\x84\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x99 \xf0\x9f\x90\xb1",
      "he/him \xe2\x80\xa2 coffee \xe2\x98\x95 \xe2\x80\xa2 opinions my own \xe2\x80\xa2 \xf0\x9f\x87\xac\xf0\x9f\x87\xa7",
      "Breaking news and analysis from around the world. Follow for live updates, long reads and more."};
  return rng.pick(bios);
}

}  // namespace spillway::emu
