#include "sinks/kafka/record_headers.hpp"

#include <charconv>

namespace spillway::sinks::kafka {

record_headers::record_headers() {
  // 16 rules × (id ~20 bytes + tag up to a few hundred) covers real rule sets without regrowth.
  ids_.reserve(512);
  tags_.reserve(4096);
}

void record_headers::append_string_token(std::string& out, std::string_view token) {
  if (token.empty() || token == "null") {
    out += "\"\"";
  } else if (token.front() == '"') {
    out += token;  // a JSON string token, escapes intact
  } else {
    // X sends rule ids as strings; a bare number is quoted so the header stays an array of strings.
    out += '"';
    out += token;
    out += '"';
  }
}

void record_headers::build(std::uint64_t id, std::span<const sinks::rule_match> rules, std::int64_t received_ms) {
  key_len_ = static_cast<std::size_t>(std::to_chars(key_, key_ + sizeof key_, id).ptr - key_);
  received_len_ = static_cast<std::size_t>(std::to_chars(received_, received_ + sizeof received_, received_ms).ptr - received_);
  ids_.assign(1, '[');
  tags_.assign(1, '[');
  for (std::size_t i = 0; i < rules.size(); ++i) {
    if (i > 0) {
      ids_ += ',';
      tags_ += ',';
    }
    append_string_token(ids_, rules[i].id_json);
    append_string_token(tags_, rules[i].tag_json);
  }
  ids_ += ']';
  tags_ += ']';
}

}  // namespace spillway::sinks::kafka
