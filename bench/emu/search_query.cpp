#include "bench/emu/search_query.hpp"

#include <array>

namespace spillway::emu {

struct SearchQuery::Node {
  enum class Kind { any_of, all_of, negate, word, lang, is, has };
  Kind kind = Kind::word;
  std::string value;  // word/phrase (lower-cased, with its sigil), lang code, or is:/has: value
  std::vector<std::shared_ptr<const Node>> children;
};

namespace {

using NodePtr = std::shared_ptr<const SearchQuery::Node>;
using Kind = SearchQuery::Node::Kind;

// X's operators that exist on the filtered stream but not in search (XAPI.md "Healing longer gaps").
constexpr std::array<std::string_view, 4> kStreamOnly = {"sample", "bio", "bio_name", "bio_location"};
// Operators X's search has that the emulated Posts carry nothing for.
constexpr std::array<std::string_view, 14> kUnmodelled = {"from",  "to",        "url",          "retweets_of",
                                                          "context", "entity",  "conversation_id", "place",
                                                          "place_country", "point_radius", "bounding_box",
                                                          "list", "in_reply_to_tweet_id", "source"};

bool word_char(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80; }

// Whole-word occurrence: not preceded or followed by a word character (a sigil term such as "#f1"
// must not match inside "#f1x").
bool contains_word(const std::string& text, const std::string& needle) {
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) {
    const bool start_ok = p == 0 || !word_char((unsigned char)text[p - 1]) || !word_char((unsigned char)needle.front());
    const std::size_t end = p + needle.size();
    const bool end_ok = end == text.size() || !word_char((unsigned char)text[end]) || !word_char((unsigned char)needle.back());
    if (start_ok && end_ok) return true;
  }
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view q) : q_(q) {}

  std::variant<NodePtr, std::string> run() {
    NodePtr n = any_of();
    if (!error_.empty()) return error_;
    skip_space();
    if (pos_ < q_.size()) return fail("There were errors processing your request: unbalanced parentheses");
    if (!n) return fail("There were errors processing your request: the query has no terms");
    return n;
  }
  bool keyword() const { return keyword_; }

 private:
  NodePtr fail_node(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return nullptr;
  }
  std::string fail(std::string message) { return error_.empty() ? std::move(message) : error_; }

  void skip_space() {
    while (pos_ < q_.size() && (q_[pos_] == ' ' || q_[pos_] == '\t' || q_[pos_] == '\n')) ++pos_;
  }
  bool at_or() {
    skip_space();
    return q_.substr(pos_, 3) == "OR " || (q_.substr(pos_, 2) == "OR" && pos_ + 2 == q_.size());
  }

  NodePtr any_of() {
    auto node = std::make_shared<SearchQuery::Node>();
    node->kind = Kind::any_of;
    for (;;) {
      NodePtr a = all_of();
      if (!a) return nullptr;
      node->children.push_back(std::move(a));
      if (!at_or()) break;
      pos_ += 2;
    }
    return node->children.size() == 1 ? node->children.front() : node;
  }

  NodePtr all_of() {
    auto node = std::make_shared<SearchQuery::Node>();
    node->kind = Kind::all_of;
    for (;;) {
      skip_space();
      if (pos_ >= q_.size() || q_[pos_] == ')' || at_or()) break;
      NodePtr t = unary();
      if (!t) return nullptr;
      node->children.push_back(std::move(t));
    }
    if (node->children.empty()) return fail_node("There were errors processing your request: empty clause (at position " + std::to_string(pos_ + 1) + ")");
    return node->children.size() == 1 ? node->children.front() : node;
  }

  NodePtr unary() {
    const bool negated = q_[pos_] == '-';
    if (negated) ++pos_;
    depth_negated_ += negated ? 1 : 0;
    NodePtr p = primary();
    depth_negated_ -= negated ? 1 : 0;
    if (!p || !negated) return p;
    auto n = std::make_shared<SearchQuery::Node>();
    n->kind = Kind::negate;
    n->children.push_back(std::move(p));
    return n;
  }

  NodePtr primary() {
    if (pos_ >= q_.size()) return fail_node("There were errors processing your request: dangling '-'");
    if (q_[pos_] == '(') {
      ++pos_;
      NodePtr inner = any_of();
      skip_space();
      if (!inner) return nullptr;
      if (pos_ >= q_.size() || q_[pos_] != ')') return fail_node("There were errors processing your request: unbalanced parentheses");
      ++pos_;
      return inner;
    }
    auto n = std::make_shared<SearchQuery::Node>();
    const std::size_t start = pos_;
    if (q_[pos_] == '"') {
      const auto close = q_.find('"', pos_ + 1);
      if (close == std::string_view::npos) return fail_node("There were errors processing your request: unbalanced quotes");
      n->value = lower(q_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      note_keyword();
      return n;
    }
    while (pos_ < q_.size() && q_[pos_] != ' ' && q_[pos_] != '\t' && q_[pos_] != '\n' && q_[pos_] != ')') ++pos_;
    const std::string_view tok = q_.substr(start, pos_ - start);
    const auto colon = tok.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      n->value = lower(tok);
      note_keyword();
      return n;
    }
    const std::string_view op = tok.substr(0, colon), value = tok.substr(colon + 1);
    const std::string at = " (at position " + std::to_string(start + 1) + ")";
    for (auto s : kStreamOnly)
      if (op == s)
        return fail_node("There were errors processing your request: Reference to invalid operator '" + std::string(op) +
                         "'. Operator is not available in current product or product packaging. Please refer to "
                         "complete available operator list at "
                         "https://developer.twitter.com/en/docs/twitter-api/tweets/search/integrate/build-a-query." + at);
    n->value = lower(value);
    if (op == "lang") n->kind = Kind::lang;
    else if (op == "is" && (value == "retweet" || value == "reply" || value == "quote")) n->kind = Kind::is;
    else if (op == "has" && (value == "media" || value == "hashtags" || value == "mentions" || value == "links"))
      n->kind = Kind::has;
    else {
      for (auto s : kUnmodelled)
        if (op == s)
          return fail_node("spillway-emu: operator '" + std::string(op) + ":' exists at X but the emulated Posts carry "
                           "nothing for it; use keywords, lang:, is:, has: in emulator tests" + at);
      return fail_node("There were errors processing your request: Reference to invalid operator '" + std::string(op) +
                       "'." + at);
    }
    return n;
  }

  void note_keyword() { keyword_ |= depth_negated_ == 0; }

  std::string_view q_;
  std::size_t pos_ = 0;
  int depth_negated_ = 0;
  bool keyword_ = false;
  std::string error_;
};

bool eval(const SearchQuery::Node& n, const SearchFacts& p) {
  switch (n.kind) {
    case Kind::any_of:
      for (const auto& c : n.children)
        if (eval(*c, p)) return true;
      return false;
    case Kind::all_of:
      for (const auto& c : n.children)
        if (!eval(*c, p)) return false;
      return true;
    case Kind::negate: return !eval(*n.children.front(), p);
    case Kind::word: return contains_word(p.text_lower, n.value);
    case Kind::lang: return p.lang == n.value;
    case Kind::is: return n.value == "retweet" ? p.retweet : n.value == "reply" ? p.reply : p.quote;
    case Kind::has:
      return n.value == "media" ? p.media : n.value == "hashtags" ? p.hashtags : n.value == "mentions" ? p.mentions : p.links;
  }
  return false;
}

}  // namespace

std::variant<SearchQuery, std::string> SearchQuery::parse(std::string_view query) {
  Parser parser(query);
  auto r = parser.run();
  if (auto* message = std::get_if<std::string>(&r)) return *message;
  SearchQuery q;
  q.root_ = std::get<NodePtr>(r);
  q.keyword_ = parser.keyword();
  return q;
}

bool SearchQuery::matches(const SearchFacts& post) const {
  if (keyword_ && post.retweet) return false;
  return root_ && eval(*root_, post);
}

}  // namespace spillway::emu
