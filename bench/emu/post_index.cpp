#include "bench/emu/post_index.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string_view>

namespace spillway::emu {
namespace {

bool has_nonempty_array(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return false;
  const auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsArray() && !it->value.Empty();
}

SearchFacts facts_of(const rapidjson::Value& data) {
  SearchFacts f;
  if (auto it = data.FindMember("text"); it != data.MemberEnd() && it->value.IsString()) {
    f.text_lower.assign(it->value.GetString(), it->value.GetStringLength());
    for (char& c : f.text_lower)
      if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  }
  if (auto it = data.FindMember("lang"); it != data.MemberEnd() && it->value.IsString()) f.lang = it->value.GetString();
  if (auto it = data.FindMember("referenced_tweets"); it != data.MemberEnd() && it->value.IsArray()) {
    for (const auto& r : it->value.GetArray()) {
      if (!r.IsObject() || !r.HasMember("type") || !r["type"].IsString()) continue;
      const std::string_view type = r["type"].GetString();
      f.retweet |= type == "retweeted";
      f.reply |= type == "replied_to";
      f.quote |= type == "quoted";
    }
  }
  if (auto it = data.FindMember("attachments"); it != data.MemberEnd())
    f.media = has_nonempty_array(it->value, "media_keys");
  if (auto it = data.FindMember("entities"); it != data.MemberEnd()) {
    f.hashtags = has_nonempty_array(it->value, "hashtags");
    f.mentions = has_nonempty_array(it->value, "mentions");
    f.links = has_nonempty_array(it->value, "urls");
  }
  return f;
}

}  // namespace

PostIndex::PostIndex(const PostPool& pool) {
  facts_.reserve(pool.size());
  data_.reserve(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i) {
    rapidjson::Document doc;
    doc.Parse(pool.at(i).bytes.data(), pool.at(i).bytes.size());
    std::string bytes = "{}";  // every template the draft maker writes has a data object; else: matches nothing
    if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("data") && doc["data"].IsObject()) {
      facts_.push_back(facts_of(doc["data"]));
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      doc["data"].Accept(w);
      bytes.assign(sb.GetString(), sb.GetSize());
    } else {
      facts_.emplace_back();
    }
    data_.push_back(make_template(std::move(bytes)));
  }
}

void PostIndex::render_data(std::size_t tmpl, std::uint64_t id, const char* created_at, std::string& out) const {
  append_patched(data_[tmpl], id, created_at, out);
}

}  // namespace spillway::emu
