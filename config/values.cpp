#include "config/values.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace spillway::config {
namespace {

bool is_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

std::optional<issue> check_port(std::string_view port, bool allow_zero) {
  const auto n = parse_uint(port);
  if (!n || *n > 65535 || (*n == 0 && !allow_zero)) {
    return issue{"the port must be a number from " + std::string(allow_zero ? "0" : "1") + " to 65535",
                 "write host:port, e.g. 127.0.0.1:9464"};
  }
  return std::nullopt;
}

// host:port where host is a name, an IPv4 address or a bracketed IPv6 address.
std::optional<issue> check_authority(std::string_view authority, bool port_required, bool allow_zero_port) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return issue{"an IPv6 address is missing its closing ']'", "write it as [::1]:port"};
    }
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return issue{"unexpected text after ']'", "write [addr]:port"};
    if (rest == ":") return issue{"the port after ':' is empty", "write [addr]:port or drop the ':'"};
    if (!rest.empty()) port = rest.substr(1);
    else if (port_required) return issue{"the port is missing", "write [addr]:port"};
  } else {
    const auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      if (port.empty()) return issue{"the port after ':' is empty", "write host:port or drop the ':'"};
    } else if (port_required) {
      return issue{"the port is missing", "write host:port, e.g. localhost:9092"};
    }
  }
  if (host.empty()) return issue{"the host is empty", "write host:port, e.g. localhost:9092"};
  // Only what a host name or address can hold (a CR/LF or space would split a Host header or a request
  // line later); ':' and '%' only inside [] (IPv6, with a zone), and there at least one ':'. Not quoted
  // back: it may be anything.
  const bool bracketed = authority.starts_with('[');
  const auto bad = std::ranges::find_if(host, [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '.' ||
                       c == '-' || c == '_' || c == '~';
    return !plain && !(bracketed && (c == ':' || c == '%'));
  });
  if (bad != host.end() || (bracketed && host.find(':') == std::string_view::npos)) {
    return issue{"the host has a character a host name cannot have (a space, a control character, or one of / \\ ? # @ ...)",
                 "write only the host name or address (letters, digits, '.', '-', '_'; an IPv6 address in [])"};
  }
  if (!port.empty()) return check_port(port, allow_zero_port);
  return std::nullopt;
}

std::optional<issue> check_http_origin(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://")) rest = url.substr(8);
  else if (url.starts_with("http://")) rest = url.substr(7);
  else return issue{"must start with https:// or http://", "write the origin only, e.g. https://api.x.com"};
  if (rest.find('@') != std::string_view::npos) {
    // Credentials in a URL end up in logs; the value is deliberately not repeated here.
    return issue{"must not contain user:password@", "remove the credentials; the bearer token comes from [auth]"};
  }
  const auto path_at = rest.find_first_of("/?#");
  if (path_at != std::string_view::npos) {
    // Not quoted back: a query string may carry a credential.
    return issue{"must not contain a path, query or trailing '/'",
                 "give only scheme://host[:port]; Spillway adds /2/tweets/search/stream itself"};
  }
  return check_authority(rest, false, false);
}

std::optional<issue> check_host_port_list(std::string_view list) {
  std::size_t start = 0;
  for (int entry = 1; start <= list.size(); ++entry) {
    const auto comma = std::min(list.find(',', start), list.size());
    if (auto bad = check_authority(list.substr(start, comma - start), true, false)) {
      bad->problem = "entry " + std::to_string(entry) + ": " + bad->problem;
      bad->fix = "write host:port[,host:port...] with no spaces, e.g. broker1:9092,broker2:9092";
      return bad;
    }
    start = comma + 1;
  }
  return std::nullopt;
}

std::optional<issue> check_field_list(std::string_view list) {
  if (list.empty()) return std::nullopt;
  const bool bad_chars = list.find_first_not_of(
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.,") != std::string_view::npos;
  if (bad_chars || list.starts_with(',') || list.ends_with(',') || list.find(",,") != std::string_view::npos) {
    return issue{"must be a comma-separated list of field names with no spaces",
                 "write e.g. \"created_at,author_id,lang\""};
  }
  return std::nullopt;
}

std::optional<issue> check_kafka_topic(std::string_view topic) {
  if (topic.empty() || topic.size() > 249 || topic == "." || topic == ".." ||
      topic.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
          std::string_view::npos) {
    return issue{"is not a valid Kafka topic name (1-249 characters of a-z A-Z 0-9 . _ -)",
                 "choose a name such as \"x.posts\""};
  }
  return std::nullopt;
}

std::optional<issue> check_env_var_name(std::string_view name) {
  if (name.empty()) return std::nullopt;
  if (name.size() > 64) {
    // Not quoted back: a value this long is most likely the token itself.
    return issue{"is too long for a variable name (it looks like a token)",
                 "give the name of the variable that holds the token, e.g. X_BEARER_TOKEN"};
  }
  const bool first_ok = !(name[0] >= '0' && name[0] <= '9');
  if (!first_ok || name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
                       std::string_view::npos) {
    return issue{"is not an environment variable name (letters, digits, '_'; not starting with a digit)",
                 "give the variable's name, e.g. X_BEARER_TOKEN, never the token itself"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  const auto unit_at = text.find_first_not_of("0123456789");
  if (unit_at == 0 || unit_at == std::string_view::npos) return std::nullopt;
  const auto number = parse_uint(text.substr(0, unit_at));
  const auto unit = text.substr(unit_at);
  std::uint64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s") scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  constexpr auto max_ms = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!number || scale == 0 || *number > max_ms / scale) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(*number * scale));
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = d.count();
  if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::optional<bool> parse_bool(std::string_view text) {
  const std::string t = ascii_lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return std::nullopt;
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  if (!is_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<issue> check_string(value_check check, std::string_view value) {
  if (value.empty()) return std::nullopt;
  switch (check) {
    case value_check::http_origin: return check_http_origin(value);
    case value_check::host_port: return check_authority(value, true, true);
    case value_check::host_port_list: return check_host_port_list(value);
    case value_check::field_list: return check_field_list(value);
    case value_check::kafka_topic: return check_kafka_topic(value);
    case value_check::env_var_name: return check_env_var_name(value);
    case value_check::power_of_two:
    case value_check::connection_count:
    case value_check::none: return std::nullopt;
  }
  return std::nullopt;
}

std::optional<issue> check_integer(value_check check, std::uint64_t value) {
  if (check == value_check::power_of_two && (value == 0 || (value & (value - 1)) != 0)) {
    std::uint64_t below = 1;
    while (below * 2 <= value) below *= 2;
    return issue{"must be a power of two (got " + std::to_string(value) + ")",
                 "use " + std::to_string(below) + " or " + std::to_string(below * 2)};
  }
  if (check == value_check::connection_count && value != 1 && value != 2) {
    return issue{"must be 1 or 2 (got " + std::to_string(value) + ")",
                 "use 1 (one connection, every access level) or 2 (redundant connections: Enterprise access only, X "
                 "allows at most 2 concurrent filtered-stream connections)"};
  }
  return std::nullopt;
}

std::string toml_quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char hex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string ascii_upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out) if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace spillway::config
