#include "sinks/post_extractor.hpp"

#include <string>

namespace spillway::sinks {

namespace od = simdjson::ondemand;
using value_result = od::value&;

namespace {

// raw_json_token() may carry trailing whitespace before the next structural character.
std::string_view trim_token(std::string_view token) noexcept {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r' ||
                            token.back() == '\n')) {
    token.remove_suffix(1);
  }
  return token;
}

// A JSON string token without its quotes; escapes stay as they are (ids and types are plain ASCII).
std::string_view string_token(value_result value) noexcept {
  std::string_view raw;
  od::json_type type;
  if (value.type().get(type) || type != od::json_type::string) return {};
  raw = trim_token(value.raw_json_token());
  return raw.size() >= 2 ? raw.substr(1, raw.size() - 2) : std::string_view{};
}

bool read_data_id(value_result data, extracted_post& out) noexcept {
  od::object object;
  if (data.get_object().get(object)) return false;
  for (auto field_result : object) {
    od::field field;
    if (std::move(field_result).get(field)) return false;
    const od::raw_json_string key = field.key();
    if (key == "id") {
      std::string_view digits = string_token(field.value());
      if (digits.empty()) {
        // X always sends ids as strings; a bare number would already have lost precision upstream.
        return false;
      }
      out.id_text = digits;
      return parse_post_id(digits, out.id);
    }
  }
  return false;
}

void read_rules(value_result rules_value, extracted_post& out) noexcept {
  od::array rules;
  if (rules_value.get_array().get(rules)) return;
  for (auto element : rules) {
    od::object rule;
    if (element.get_object().get(rule)) continue;
    rule_match match;
    for (auto field_result : rule) {
      od::field field;
      if (std::move(field_result).get(field)) break;
      const od::raw_json_string key = field.key();
      if (key == "id" || key == "tag") {
        (key == "id" ? match.id_json : match.tag_json) = trim_token(field.value().raw_json_token());
      }
    }
    if (out.rule_count < extracted_post::max_rules) out.rules[out.rule_count++] = match;
    ++out.rules_total;
  }
}

void read_errors(value_result errors_value, extracted_post& out) noexcept {
  out.has_errors = true;
  od::array errors;
  if (errors_value.get_array().get(errors)) return;
  for (auto element : errors) {
    od::object error;
    if (element.get_object().get(error)) return;
    for (auto field_result : error) {
      od::field field;
      if (std::move(field_result).get(field)) return;
      const od::raw_json_string key = field.key();
      if (key == "title") out.notice_title = string_token(field.value());
      if (key == "disconnect_type") out.notice_disconnect_type = string_token(field.value());
    }
    return;  // the first error names the notice
  }
}

}  // namespace

bool parse_post_id(std::string_view digits, std::uint64_t& out) noexcept {
  if (digits.empty() || digits.size() > 20) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - d) / 10) return false;
    value = value * 10 + d;
  }
  if (value == 0) return false;
  out = value;
  return true;
}

post_extractor::post_extractor(std::size_t max_line_bytes) {
  // Sized once so that extract() never allocates; a failure here is a start-up failure.
  if (parser_.allocate(max_line_bytes + simdjson::SIMDJSON_PADDING) != simdjson::SUCCESS) {
    throw std::bad_alloc();
  }
}

extracted_post post_extractor::extract(const char* line, std::size_t length, std::size_t capacity) noexcept {
  extracted_post out;
  od::document doc;
  if (parser_.iterate(line, length, capacity).get(doc)) {
    out.problem = "not valid JSON (bad UTF-8 or unbalanced structure)";
    return out;
  }
  od::object top;
  if (doc.get_object().get(top)) {
    out.problem = "not a JSON object";
    return out;
  }
  bool saw_data = false;
  bool id_ok = false;
  for (auto field_result : top) {
    od::field field;
    if (std::move(field_result).get(field)) {
      out.problem = "not valid JSON (bad object key)";
      out.kind = line_kind::malformed;
      return out;
    }
    const od::raw_json_string key = field.key();
    if (key == "data") {
      saw_data = true;
      id_ok = read_data_id(field.value(), out);
    } else if (key == "matching_rules") {
      read_rules(field.value(), out);
    } else if (key == "errors") {
      read_errors(field.value(), out);
    }
    // Other fields (includes, new message types) are skipped: On-Demand never materialises them.
  }
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    // A truncated or concatenated document fails here rather than half-way.
    out = extracted_post{};
    out.problem = "not valid JSON (truncated or trailing content)";
    return out;
  }
  if (id_ok) {
    out.kind = line_kind::post;
  } else if (!saw_data && out.has_errors) {
    out.kind = line_kind::notice;
  } else {
    out.kind = line_kind::missing_id;
    out.problem = saw_data ? "data.id is missing or not a decimal string" : "no data.id (not a Post)";
  }
  return out;
}

}  // namespace spillway::sinks
