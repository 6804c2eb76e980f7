#pragma once
// SearchQuery: the emulator's reading of a search `query` (GET /2/tweets/search/recent|all), and
// whether a Post's SearchFacts match it. The grammar is X's, cut to what the emulated Posts can
// answer: keywords (whole words, case-insensitive), "exact phrases", #hashtags, @mentions, $cashtags,
// lang:xx, is:retweet|reply|quote, has:media|hashtags|mentions|links, '-' negation, implicit AND,
// OR (binds looser than AND) and parentheses.
// Stream-only operators (X's search lacks them: sample:, bio:, bio_name:, bio_location:) are refused
// with X's "Reference to invalid operator" wording; other operators X has but the emulated Posts cannot
// answer (from:, url:, ...) are refused naming the emulator, so a test never passes on a silent no-match.
// Since May 2026 X's keyword searches return no retweets: a query with a positive keyword, phrase,
// hashtag, mention or cashtag excludes retweets (XAPI.md).
// A value type; pure; any thread.

#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bench/emu/post_index.hpp"

namespace spillway::emu {

class SearchQuery {
 public:
  // The parsed query, or the message X's 400 invalid-request body carries.
  static std::variant<SearchQuery, std::string> parse(std::string_view query);

  bool matches(const SearchFacts& post) const;

  struct Node;  // defined in search_query.cpp

 private:
  std::shared_ptr<const Node> root_;
  bool keyword_ = false;  // a positive keyword-like term: retweets excluded
};

}  // namespace spillway::emu
