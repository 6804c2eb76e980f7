#pragma once
// PostIndex: what search needs to know about each template of the PostPool — its text (ASCII
// lower-cased, for X's case-insensitive keyword match), lang, whether it is a retweet, reply or quote,
// whether it has media, hashtags, mentions or links — and the template's `data` object alone
// (search results are bare Post objects: no `matching_rules`, no per-message `includes`), with the
// id and created_at placeholders at recorded offsets like the pool's templates.
// Built once from the pool at start (parsing each template with RapidJSON); immutable afterwards, so
// any thread may read it. The pool need not outlive it (everything is copied).

#include <cstdint>
#include <string>
#include <vector>

#include "bench/emu/post_pool.hpp"

namespace spillway::emu {

struct SearchFacts {
  std::string text_lower;  // data.text, ASCII letters lower-cased (X matches keywords case-insensitively)
  std::string lang;        // data.lang, "" when absent
  bool retweet = false, reply = false, quote = false;
  bool media = false, hashtags = false, mentions = false, links = false;
};

class PostIndex {
 public:
  explicit PostIndex(const PostPool& pool);

  std::size_t size() const { return facts_.size(); }
  const SearchFacts& facts(std::size_t tmpl) const { return facts_[tmpl]; }
  // Appends template `tmpl`'s data object, patched with `id` and `created_at` (kCreatedAtWidth chars).
  void render_data(std::size_t tmpl, std::uint64_t id, const char* created_at, std::string& out) const;

 private:
  std::vector<SearchFacts> facts_;
  std::vector<PostTemplate> data_;  // the `data` objects, as templates
};

}  // namespace spillway::emu
