#include "bench/emu/post_draft.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

#include "bench/emu/post_pool.hpp"
#include "bench/emu/post_text.hpp"
#include "bench/emu/snowflake.hpp"

namespace spillway::emu {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Everything optional about one message; fillers grow it until it reaches the size target.
struct Draft {
  PostText text;
  EscapeStyle style = EscapeStyle::raw;
  std::string author_id;
  int kind = 0;  // 0 original, 1 retweet, 2 reply, 3 quote
  std::string ref_id;
  std::vector<std::pair<std::string, std::string>> context;  // (domain, entity) names
  int n_users = 0, n_tweets = 0, n_media = 0;
  bool rich_urls = false, created_at = true, edit_history = true, attachments_empty = false, sensitive = false;
  std::vector<std::pair<std::string, int>> rules;  // (id, tag index; -1 = no tag key)
  std::vector<std::string> order;                  // data field order
};

constexpr std::string_view kRuleTags[] = {"", "cats", "news en", "\xe6\x97\xa5\xe6\x9c\xac", "tawanb", "has:media -is:retweet"};
constexpr std::string_view kDomains[] = {"Brand Category", "Brand", "Person", "Sports Event", "Entities [Entity Service]",
                                          "Video Game", "Musician", "Unified Twitter Taxonomy"};
constexpr std::string_view kEntities[] = {"Services", "Twitter", "Technology", "Formula 1",
                                           "\xe3\x82\xb2\xe3\x83\xbc\xe3\x83\xa0", "Football", "Music", "News"};

class JsonOut {
 public:
  JsonOut(Writer& w, EscapeStyle style) : w_(w), style_(style) {}
  void str(std::string_view s) {
    scratch_.clear();
    append_json_string(scratch_, s, style_);
    w_.RawValue(scratch_.data(), scratch_.size(), rapidjson::kStringType);
  }
  void key(const char* k) { w_.Key(k); }
  void kv(const char* k, std::string_view s) { key(k), str(s); }
  void kv(const char* k, std::int64_t v) { key(k), w_.Int64(v); }
  void kb(const char* k, bool v) { key(k), w_.Bool(v); }
  Writer& w() { return w_; }

 private:
  Writer& w_;
  EscapeStyle style_;
  std::string scratch_;
};

std::string snowflake_before(Rng& rng, std::int64_t ms, std::int64_t max_age_ms) {
  return std::to_string(make_snowflake(ms - rng.range(1000, max_age_ms), unsigned(rng.below(1024)),
                                       unsigned(rng.below(4096))));
}

std::string created_before(Rng& rng, std::int64_t ms, std::int64_t max_age_ms) {
  char buf[kCreatedAtWidth];
  format_created_at(ms - rng.range(1000, max_age_ms), buf);
  return std::string(buf, kCreatedAtWidth);
}

void write_entities(JsonOut& o, const Draft& d, Rng& rng) {
  using K = TextEntity::Kind;
  o.key("entities");
  o.w().StartObject();
  for (K kind : {K::url, K::mention, K::hashtag, K::cashtag}) {
    bool any = false;
    for (const auto& e : d.text.entities) {
      if (e.kind != kind) continue;
      if (!any) {
        o.key(kind == K::url ? "urls" : kind == K::mention ? "mentions" : kind == K::hashtag ? "hashtags" : "cashtags");
        o.w().StartArray();
        any = true;
      }
      o.w().StartObject();
      o.kv("start", e.start);
      o.kv("end", e.end);
      if (kind == K::url) {
        o.kv("url", e.value);
        o.kv("expanded_url", "https://example.com/" + e.value.substr(13));
        o.kv("display_url", "example.com/" + e.value.substr(13, 6) + "\xe2\x80\xa6");
        if (d.rich_urls) {
          o.kv("status", rng.chance(0.8) ? 200 : 404);
          o.kv("title", "Search the world's information &amp; more");
          o.kv("description", "Marovo Lagoon in the Solomon Islands is the largest saltwater lagoon in the world.");
          o.kv("unwound_url", "https://www.example.com/articles/" + e.value.substr(13));
        }
      } else if (kind == K::mention) {
        o.kv("username", e.value);
        o.kv("id", std::to_string(10000000 + rng.below(1000000000)));
      } else {
        o.kv("tag", e.value);
      }
      o.w().EndObject();
    }
    if (any) o.w().EndArray();
  }
  o.w().EndObject();
}

void write_field(JsonOut& o, const std::string& f, const Draft& d, Rng& rng, std::int64_t ref_ms) {
  if (f == "id") return o.kv("id", kIdPlaceholder);
  if (f == "text") return o.kv("text", d.text.utf8);
  if (f == "author_id") return o.kv("author_id", d.author_id);
  if (f == "created_at") return o.kv("created_at", kCreatedAtPlaceholder);
  if (f == "lang") return o.kv("lang", d.text.lang);
  if (f == "possibly_sensitive") return o.kb("possibly_sensitive", d.sensitive);
  if (f == "reply_settings") return o.kv("reply_settings", "everyone");
  if (f == "conversation_id") return o.kv("conversation_id", d.kind == 2 ? d.ref_id : std::string(kIdPlaceholder));
  if (f == "in_reply_to_user_id") return o.kv("in_reply_to_user_id", std::to_string(rng.below(2000000000)));
  if (f == "geo") return o.key("geo"), o.w().StartObject(), void(o.w().EndObject());
  if (f == "entities") return write_entities(o, d, rng);
  if (f == "edit_history_tweet_ids") {
    o.key("edit_history_tweet_ids");
    o.w().StartArray();
    o.str(kIdPlaceholder);
    return void(o.w().EndArray());
  }
  if (f == "attachments") {
    o.key("attachments");
    o.w().StartObject();
    if (!d.attachments_empty) {
      o.key("media_keys");
      o.w().StartArray();
      for (int m = 0; m < d.n_media; ++m) o.str("3_" + snowflake_before(rng, ref_ms, 60000));
      o.w().EndArray();
    }
    return void(o.w().EndObject());
  }
  if (f == "referenced_tweets") {
    o.key("referenced_tweets");
    o.w().StartArray();
    o.w().StartObject();
    o.kv("type", d.kind == 1 ? "retweeted" : d.kind == 2 ? "replied_to" : "quoted");
    o.kv("id", d.ref_id);
    o.w().EndObject();
    return void(o.w().EndArray());
  }
  if (f == "public_metrics") {
    o.key("public_metrics");
    o.w().StartObject();
    for (const char* m : {"retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count"})
      o.kv(m, rng.chance(0.5) ? 0 : std::int64_t(rng.below(100000)));
    return void(o.w().EndObject());
  }
  if (f == "context_annotations") {
    o.key("context_annotations");
    o.w().StartArray();
    for (const auto& [dom, ent] : d.context) {
      o.w().StartObject();
      o.key("domain");
      o.w().StartObject();
      o.kv("id", std::to_string(rng.range(10, 180)));
      o.kv("name", dom);
      o.kv("description", "Categories within Brand Verticals that narrow down the scope of Brands");
      o.w().EndObject();
      o.key("entity");
      o.w().StartObject();
      o.kv("id", std::to_string(rng.range(10000000, 999999999999999999LL)));
      o.kv("name", ent);
      o.w().EndObject();
      o.w().EndObject();
    }
    return void(o.w().EndArray());
  }
  if (f == "note_tweet") {
    o.key("note_tweet");
    o.w().StartObject();
    o.kv("text", d.text.utf8 + "\n\n" + d.text.utf8);
    o.w().EndObject();
    return;
  }
  if (f == "edit_controls") {
    o.key("edit_controls");
    o.w().StartObject();
    o.kv("edits_remaining", rng.range(0, 5));
    o.kb("is_edit_eligible", rng.chance(0.7));
    o.kv("editable_until", created_before(rng, ref_ms + 3600000, 1800000));
    return void(o.w().EndObject());
  }
}

void write_includes(JsonOut& o, const Draft& d, Rng& rng, std::int64_t ref_ms) {
  if (d.n_users + d.n_tweets + d.n_media == 0) return;
  o.key("includes");
  o.w().StartObject();
  if (d.n_media > 0) {
    o.key("media");
    o.w().StartArray();
    for (int m = 0; m < d.n_media; ++m) {
      o.w().StartObject();
      o.kv("media_key", "3_" + snowflake_before(rng, ref_ms, 60000));
      o.kv("type", rng.chance(0.8) ? "photo" : "video");
      o.kv("url", "https://pbs.twimg.com/media/FpJudWfakAQW8V7.jpg");
      if (rng.chance(0.5)) o.kv("width", rng.range(200, 4096)), o.kv("height", rng.range(200, 4096));
      o.w().EndObject();
    }
    o.w().EndArray();
  }
  if (d.n_users > 0) {
    o.key("users");
    o.w().StartArray();
    for (int u = 0; u < d.n_users; ++u) {
      o.w().StartObject();
      o.kv("id", u == 0 ? d.author_id : std::to_string(rng.range(1000000, 1999999999999999999LL)));
      o.kv("name", PostTextBuilder::display_name(rng));
      o.kv("username", PostTextBuilder::username(rng));
      if (rng.chance(0.7)) {
        o.kv("created_at", created_before(rng, ref_ms, 400LL * 86400 * 1000 * 12));
        o.kv("description", PostTextBuilder::bio(rng));
        o.kv("profile_image_url", "https://pbs.twimg.com/profile_images/1206047447451086848/GEMbd3wB_normal.jpg");
        o.kb("protected", false);
        o.key("public_metrics");
        o.w().StartObject();
        for (const char* m : {"followers_count", "following_count", "tweet_count", "listed_count"})
          o.kv(m, std::int64_t(rng.below(5000000)));
        o.w().EndObject();
        o.kv("url", "");
        o.kb("verified", rng.chance(0.1));
      }
      o.w().EndObject();
    }
    o.w().EndArray();
  }
  if (d.n_tweets > 0) {
    o.key("tweets");
    o.w().StartArray();
    PostTextBuilder tb;
    for (int t = 0; t < d.n_tweets; ++t) {
      const std::string id = t == 0 && !d.ref_id.empty() ? d.ref_id : snowflake_before(rng, ref_ms, 86400000);
      o.w().StartObject();
      o.kv("author_id", std::to_string(rng.range(1000000, 1999999999999999999LL)));
      o.kv("created_at", created_before(rng, ref_ms, 86400000));
      o.key("edit_history_tweet_ids");
      o.w().StartArray();
      o.str(id);
      o.w().EndArray();
      o.kv("id", id);
      o.kv("text", tb.make(rng, rng.range(20, 280), false).utf8);
      o.w().EndObject();
    }
    o.w().EndArray();
  }
  o.w().EndObject();
}

std::string serialize(const Draft& d, std::uint64_t detail_seed, std::int64_t ref_ms) {
  // Details (metric values, media keys...) come from their own Rng so re-serializing a growing
  // draft is deterministic and does not disturb the main sequence.
  Rng rng(detail_seed);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  JsonOut o(w, d.style);
  w.StartObject();
  o.key("data");
  w.StartObject();
  for (const auto& f : d.order) write_field(o, f, d, rng, ref_ms);
  w.EndObject();
  write_includes(o, d, rng, ref_ms);
  o.key("matching_rules");
  w.StartArray();
  for (const auto& [id, tag] : d.rules) {
    w.StartObject();
    o.kv("id", id);
    if (tag >= 0) o.kv("tag", kRuleTags[tag]);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::size_t draw_target(Rng& rng) {
  const auto roll = rng.below(100);
  if (roll < 25) return std::size_t(rng.range(300, 700));
  if (roll < 70) return std::size_t(rng.range(700, 1600));
  if (roll < 95) return std::size_t(rng.range(1600, 2800));
  return std::size_t(rng.range(2800, 5600));
}

}  // namespace

std::string PostDraftMaker::make(Rng& rng) const {
  const std::size_t target = draw_target(rng);
  Draft d;
  const auto style_roll = rng.below(10);
  d.style = style_roll < 5   ? EscapeStyle::raw
            : style_roll < 7 ? EscapeStyle::astral_upper
            : style_roll < 9 ? EscapeStyle::astral_lower
                             : EscapeStyle::all_non_ascii;
  d.kind = rng.chance(0.6) ? 0 : int(rng.range(1, 3));
  if (d.kind != 0) d.ref_id = snowflake_before(rng, reference_ms_, 86400000);
  d.author_id = rng.chance(0.3) ? std::to_string(rng.range(10000000, 999999999))
                                : snowflake_before(rng, reference_ms_, 400LL * 86400 * 1000 * 10);
  d.text = PostTextBuilder().make(rng, std::min<std::int64_t>(280, std::int64_t(target / 12) + rng.range(5, 40)),
                                  d.kind == 1);
  d.created_at = rng.chance(0.92);
  d.sensitive = rng.chance(0.05);
  d.edit_history = rng.chance(0.9);
  // The 12 rule ids this "app" has; tags "" and missing both occur in real captures.
  const int n_rules = rng.chance(0.75) ? 1 : int(rng.range(2, 3));
  for (int r = 0; r < n_rules; ++r) {
    const auto k = rng.below(12);
    d.rules.emplace_back(std::to_string(make_snowflake(reference_ms_ - 86400000 * std::int64_t(k + 1), 7, unsigned(k))),
                         k % 7 == 6 ? -1 : int(k % 6));
  }
  const std::uint64_t detail_seed = rng.next();
  d.order = {"id", "text"};
  if (d.created_at) d.order.push_back("created_at");
  if (d.edit_history) d.order.push_back("edit_history_tweet_ids");
  if (rng.chance(0.85)) d.order.push_back("author_id");
  if (d.kind != 0) d.order.push_back("referenced_tweets");
  if (d.kind == 2) d.order.push_back("in_reply_to_user_id");
  if (!d.text.entities.empty() && rng.chance(0.85)) d.order.push_back("entities");
  // Fillers in the order they are tried; each makes the message bigger.
  std::vector<std::function<bool()>> fillers = {
      [&] { return d.order.push_back("lang"), d.order.push_back("possibly_sensitive"), true; },
      [&] { return d.order.push_back("public_metrics"), true; },
      [&] { return d.order.push_back("conversation_id"), d.order.push_back("reply_settings"), true; },
      [&] { return d.n_users = 1, true; },
      [&] {
        if (d.kind == 0) return false;
        return d.n_tweets = 1, true;
      },
      [&] {
        d.attachments_empty = rng.chance(0.3);
        if (!d.attachments_empty) d.n_media = int(rng.range(1, 4));
        return d.order.push_back("attachments"), true;
      },
      [&] { return d.rich_urls = true, d.order.push_back("edit_controls"), true; },
      [&] {
        // Long Posts carry their full text in note_tweet (X's 2023+ shape).
        if (target < 2500 || !rng.chance(0.3)) return false;
        return d.order.push_back("note_tweet"), true;
      },
  };
  if (rng.chance(0.2)) d.order.push_back("geo");
  std::string out = serialize(d, detail_seed, reference_ms_);
  for (std::size_t i = 0; out.size() < target && i < 40; ++i) {
    if (i < fillers.size()) {
      if (!fillers[i]()) continue;
    } else if (i % 3 == 0 && d.n_users < 4) {
      ++d.n_users;
    } else if (i % 3 == 1 && d.kind != 0 && d.n_tweets < 3) {
      ++d.n_tweets;
    } else {
      if (d.context.empty()) d.order.push_back("context_annotations");
      d.context.emplace_back(kDomains[rng.below(std::size(kDomains))], kEntities[rng.below(std::size(kEntities))]);
    }
    std::string next = serialize(d, detail_seed, reference_ms_);
    if (next.size() > kMaxPostBytes) break;
    out = std::move(next);
  }
  if (rng.chance(0.35)) {
    // Older captures list fields in no particular order; re-serialize with a shuffled order.
    rng.shuffle(d.order);
    out = serialize(d, detail_seed, reference_ms_);
  } else {
    std::sort(d.order.begin(), d.order.end());
    out = serialize(d, detail_seed, reference_ms_);
  }
  return out;
}

}  // namespace spillway::emu
