#include "sinks/post_extractor.hpp"

#include <memory>

#include "sinks/json_reader.hpp"
#include "sinks/member_set.hpp"

namespace spillway::sinks {

namespace {

// Containers nested deeper than this are refused: the walk recurses, and X's Posts nest fewer than 10.
constexpr unsigned max_depth = 128;

constexpr const char* not_an_object = "not a JSON object";
constexpr const char* truncated = "invalid JSON: the line ends inside an object or array (truncated?)";
constexpr const char* expected_key = "invalid JSON: an object member does not start with a string key";
constexpr const char* expected_colon = "invalid JSON: missing colon after an object key";
constexpr const char* expected_comma_brace = "invalid JSON: missing comma or } after an object member";
constexpr const char* expected_comma_bracket = "invalid JSON: missing comma or ] after an array element";
constexpr const char* not_a_value =
    "invalid JSON: expected a value (string, number, object, array, true, false or null), e.g. a doubled or "
    "trailing comma";
constexpr const char* trailing = "invalid JSON: content after the top-level object";
constexpr const char* too_deep = "JSON nested more than 128 deep (Spillway's limit)";
constexpr const char* too_many_members = "JSON object with more than 128 members where Spillway checks for duplicate keys";
constexpr const char* escaped_keys_too_long = "object keys with escapes longer than stream.max_line_bytes in total";

// The duplicate-key tables of one extract(); each is cleared when its object starts.
struct member_sets {
  member_set top;    // names at the top level
  member_set data;   // names inside `data`
  member_set entry;  // names inside one matching rule or one error (never nested in each other)
};

// One extract(): reads every byte of the line once, checking the grammar between the tokens that
// json_reader checks, and fills `out` on the way. Every function takes the position of a value's first
// byte and returns the position just past it, or nullptr at the first problem (kept in problem_);
// nothing is skipped unchecked.
class walker {
 public:
  walker(const char* end, member_sets& sets, char* scratch, std::size_t scratch_size, extracted_post& out) noexcept
      : end_(end), sets_(sets), scratch_(scratch), scratch_left_(scratch_size), out_(out) {}

  [[nodiscard]] const char* problem() const noexcept { return problem_; }
  [[nodiscard]] const char* id_problem() const noexcept { return id_problem_; }
  [[nodiscard]] bool saw_data() const noexcept { return saw_data_; }
  [[nodiscard]] bool errors_array() const noexcept { return errors_array_; }

  bool line(const char* p) noexcept {
    p = ws(p);
    if (p == end_) return reject("invalid JSON: only whitespace");
    if (*p != '{') return reject(not_an_object);
    p = members(p, 1, &sets_.top, "duplicate key at the top level", [&](std::string_view name, const char* v) {
      if (name == "data") return data(v);
      if (name == "matching_rules") return rules(v);
      if (name == "errors") return errors(v);
      return value(v, 1);
    });
    if (p == nullptr) return false;
    return ws(p) == end_ || reject(trailing);
  }

 private:
  // nullptr, so that `return fail(...)` ends any reading function; reject() for the yes/no ones.
  std::nullptr_t fail(const char* why) noexcept {
    problem_ = why;
    return nullptr;
  }
  bool reject(const char* why) noexcept {
    problem_ = why;
    return false;
  }

  [[nodiscard]] const char* ws(const char* p) const noexcept { return json::skip_whitespace(p, end_); }
  [[nodiscard]] char at(const char* p) const noexcept { return p < end_ ? *p : '\0'; }

  const char* string(const char* p, std::string_view& body, bool& escaped) noexcept {
    const char* body_end = nullptr;
    const char* next = json::read_string(p, end_, body_end, escaped, problem_);
    if (next != nullptr) body = std::string_view(p + 1, static_cast<std::size_t>(body_end - p - 1));
    return next;
  }

  // Any value, checked all the way down. Strings and numbers (most values) are read inline here; the
  // rest goes through compound(), so that only containers recurse.
  const char* value(const char* p, unsigned depth) noexcept {
    const char c = at(p);
    if (c == '"') {
      const char* body_end = nullptr;
      bool escaped = false;
      return json::read_string(p, end_, body_end, escaped, problem_);
    }
    if ((c >= '0' && c <= '9') || c == '-') return json::read_number(p, end_, problem_);
    return compound(p, depth);
  }

  // Containers, literals and errors: the values that are not strings or numbers. An if-chain rather than
  // a switch, whose jump table was where most indirect branches mispredicted (cachegrind --branch-sim).
  [[gnu::noinline]] const char* compound(const char* p, unsigned depth) noexcept {
    const char c = at(p);
    if (c == '{') {
      return members(p, depth + 1, nullptr, nullptr, [&](std::string_view, const char* v) { return value(v, depth + 1); });
    }
    if (c == '[') return elements(p, depth + 1, [&](std::size_t, const char* v) { return value(v, depth + 1); });
    if (c == 't' || c == 'f' || c == 'n') return json::read_literal(p, end_, problem_);
    return fail(p == end_ ? truncated : not_a_value);
  }

  // `p` at '{': reads the members, handing each value to `member(name, position)`. With `seen`, names are
  // compared as a parser would see them (escapes decoded) and must be unique.
  template <typename Member>
  const char* members(const char* p, unsigned depth, member_set* seen, const char* duplicate, Member&& member) noexcept {
    if (depth > max_depth) return fail(too_deep);
    if (seen != nullptr) seen->clear();
    p = ws(p + 1);
    if (at(p) == '}') return p + 1;
    for (bool closed = false;;) {
      if (at(p) != '"') return fail(p == end_ ? truncated : expected_key);
      std::string_view name;
      bool escaped = false;
      p = string(p, name, escaped);
      if (p == nullptr) return nullptr;
      if (seen != nullptr && !remember(*seen, name, escaped, duplicate)) return nullptr;
      p = ws(p);
      if (at(p) != ':') return fail(p == end_ ? truncated : expected_colon);
      p = member(name, ws(p + 1));
      if (p != nullptr) p = separator(p, '}', expected_comma_brace, closed);
      if (p == nullptr || closed) return p;
    }
  }

  // `p` at '[': reads the elements, handing each to `element(index, position)`.
  template <typename Element>
  const char* elements(const char* p, unsigned depth, Element&& element) noexcept {
    if (depth > max_depth) return fail(too_deep);
    p = ws(p + 1);
    if (at(p) == ']') return p + 1;
    bool closed = false;
    for (std::size_t index = 0;; ++index) {
      p = element(index, p);
      if (p != nullptr) p = separator(p, ']', expected_comma_bracket, closed);
      if (p == nullptr || closed) return p;
    }
  }

  // After a member or an element: a comma leads to the next one (its position is returned), `close` ends
  // the container (`closed` is set, the position after it returned), anything else is refused.
  const char* separator(const char* p, char close, const char* missing, bool& closed) noexcept {
    p = ws(p);
    const char next = at(p);
    if (next == close) {
      closed = true;
      return p + 1;
    }
    if (next != ',') return fail(p == end_ ? truncated : missing);
    return ws(p + 1);
  }

  // Adds `name` to `seen`; a name with escapes is decoded first (into scratch_, valid for this line), so
  // "i\u0064" and "id" are one name, as they are for every parser.
  bool remember(member_set& seen, std::string_view& name, bool escaped, const char* duplicate) noexcept {
    if (escaped) {
      if (name.size() > scratch_left_) return reject(escaped_keys_too_long);
      const std::size_t n = json::unescape(name, scratch_);
      name = std::string_view(scratch_, n);
      scratch_ += n;
      scratch_left_ -= n;
    }
    switch (seen.add(name)) {
      case member_set::outcome::added:
        return true;
      case member_set::outcome::duplicate:
        return reject(name == "id" ? "duplicate key \"id\" (consumers would not agree which one is the Post id)" : duplicate);
      case member_set::outcome::full:
        return reject(too_many_members);
    }
    return true;
  }

  const char* data(const char* p) noexcept {
    saw_data_ = true;
    if (at(p) != '{') {
      id_problem_ = "data is not an object";
      return value(p, 1);
    }
    id_problem_ = "data.id is missing";
    return members(p, 2, &sets_.data, "duplicate key inside data", [&](std::string_view name, const char* v) {
      if (name != "id") return value(v, 2);
      if (at(v) != '"') {
        // X always sends ids as strings; a bare number would already have lost precision upstream.
        id_problem_ = "data.id is not a string";
        return value(v, 2);
      }
      std::string_view digits;
      bool escaped = false;
      v = string(v, digits, escaped);
      if (v != nullptr) {
        out_.id_text = digits;
        id_problem_ = post_id_problem(digits, out_.id);
      }
      return v;
    });
  }

  const char* rules(const char* p) noexcept {
    if (at(p) != '[') return value(p, 1);
    return elements(p, 2, [&](std::size_t, const char* element) -> const char* {
      if (at(element) != '{') return value(element, 2);
      rule_match match;
      const char* next = members(element, 3, &sets_.entry, "duplicate key inside a matching_rules entry",
                                 [&](std::string_view name, const char* v) {
        const char* const after = value(v, 3);
        // Scalars only: the Kafka headers carry these as JSON tokens, and a container is not one token.
        if (after != nullptr && *v != '{' && *v != '[') {
          const std::string_view token(v, static_cast<std::size_t>(after - v));
          if (name == "id") match.id_json = token;
          if (name == "tag") match.tag_json = token;
        }
        return after;
      });
      if (next == nullptr) return nullptr;
      if (out_.rule_count < extracted_post::max_rules) out_.rules[out_.rule_count++] = match;
      ++out_.rules_total;
      return next;
    });
  }

  const char* errors(const char* p) noexcept {
    if (at(p) != '[') return value(p, 1);
    errors_array_ = true;
    out_.has_errors = true;
    return elements(p, 2, [&](std::size_t index, const char* element) {
      if (index != 0 || at(element) != '{') return value(element, 2);  // the first error names the notice
      return members(element, 3, &sets_.entry, "duplicate key inside an errors entry", [&](std::string_view name, const char* v) {
        if (at(v) != '"' || (name != "title" && name != "disconnect_type")) return value(v, 3);
        std::string_view text;
        bool escaped = false;
        v = string(v, text, escaped);
        if (v != nullptr) (name == "title" ? out_.notice_title : out_.notice_disconnect_type) = text;
        return v;
      });
    });
  }

  const char* const end_;
  member_sets& sets_;
  char* scratch_;
  std::size_t scratch_left_;
  extracted_post& out_;
  const char* problem_ = nullptr;
  const char* id_problem_ = nullptr;
  bool saw_data_ = false;
  bool errors_array_ = false;
};

}  // namespace

struct post_extractor::state {
  explicit state(std::size_t max_line_bytes)
      : scratch(std::make_unique<char[]>(max_line_bytes)), scratch_size(max_line_bytes) {}
  member_sets sets;
  std::unique_ptr<char[]> scratch;  // decoded keys that had escapes (never longer than the line)
  std::size_t scratch_size;
};

const char* post_id_problem(std::string_view digits, std::uint64_t& out) noexcept {
  constexpr std::uint64_t max_id = 9'223'372'036'854'775'807ULL;  // 2^63 - 1
  if (digits.empty()) return "data.id is empty";
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return "data.id is not canonical: not only the digits 0-9 (a sign, escape or space)";
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (max_id - d) / 10) return "data.id is above 2^63-1";
    value = value * 10 + d;
  }
  if (value == 0) return "data.id is zero";
  if (digits.front() == '0') return "data.id is not canonical: leading zero";
  out = value;
  return nullptr;
}

bool parse_post_id(std::string_view digits, std::uint64_t& out) noexcept {
  return post_id_problem(digits, out) == nullptr;
}

post_extractor::post_extractor(std::size_t max_line_bytes) : state_(std::make_unique<state>(max_line_bytes)) {
  // simdjson picks its implementation for this CPU at the first call and allocates while it does. Only a
  // string with a byte above 0x7F calls it, so without this the first such Post would pay it mid-stream.
  (void)json::valid_utf8("", 0);
}

post_extractor::~post_extractor() = default;
post_extractor::post_extractor(post_extractor&&) noexcept = default;
post_extractor& post_extractor::operator=(post_extractor&&) noexcept = default;

extracted_post post_extractor::extract(const char* line, std::size_t length, std::size_t capacity) noexcept {
  extracted_post out;
  const auto malformed = [&out](const char* why) {
    out = extracted_post{};
    out.problem = why;
    return out;
  };
  if (capacity < length + json::overread) return malformed("line buffer without the required padding");
  // UTF-8 is checked inside each string that needs it (json_reader.hpp): a byte above 0x7F anywhere else
  // is a grammar error.
  walker walk(line + length, state_->sets, state_->scratch.get(), state_->scratch_size, out);
  if (!walk.line(line)) return malformed(walk.problem());
  if (walk.saw_data()) {
    const char* id_problem = walk.id_problem();
    out.kind = id_problem == nullptr ? line_kind::post : line_kind::missing_id;
    if (id_problem != nullptr) out.problem = id_problem;
  } else if (walk.errors_array()) {
    // A notice by its shape only: a top-level `errors` array and no `data`, whatever any text says.
    out.kind = line_kind::notice;
  } else {
    out.kind = line_kind::missing_id;
    out.problem = "no data (not a Post) and no errors array (not a notice)";
  }
  return out;
}

}  // namespace spillway::sinks
