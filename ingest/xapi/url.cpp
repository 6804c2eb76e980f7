#include "ingest/xapi/url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/log.hpp"
#include "ingest/xapi/endpoints.hpp"

namespace spillway::ingest {
namespace {

common::error bad(std::string message) { return {common::errc::config, std::move(message)}; }

bool unreserved(unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~'; }

// What a host may hold: a DNS name or IPv4 address (unreserved characters); in brackets, an IPv6 address
// (hex digits, ':', '.', a zone after '%'; at least one ':'). The host goes into the Host header and the
// TLS SNI as it is: a CR/LF, space, '@' or '/' there would split a header or change where the request goes.
bool host_char(char c, bool bracketed) {
  return unreserved(static_cast<unsigned char>(c)) || (bracketed && (c == ':' || c == '%'));
}

}  // namespace

common::result<endpoint> parse_base_url(std::string_view url) {
  endpoint ep;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    ep.tls = false;
    url.remove_prefix(7);
  } else {
    return bad("stream.base_url must start with https:// or http:// (e.g. https://api.x.com)");
  }
  if (url.ends_with('/')) url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos || url.find('?') != std::string_view::npos)
    return bad("stream.base_url must be scheme://host[:port] with no path (e.g. https://api.x.com)");
  std::string_view host = url;
  std::string_view port = ep.tls ? "443" : "80";
  const bool bracketed = !host.empty() && host.front() == '[';
  if (bracketed) {  // [::1]:8443
    const auto close = host.find(']');
    if (close == std::string_view::npos) return bad("stream.base_url has an unclosed IPv6 bracket");
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') return bad("stream.base_url: expected ':' after the IPv6 address");
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) return bad("stream.base_url has no host name");
  if (!std::all_of(host.begin(), host.end(), [&](char c) { return host_char(c, bracketed); }) ||
      (bracketed && host.find(':') == std::string_view::npos))
    return bad("stream.base_url: the host '" + common::log_sample(host, 64) +
               "' has a character a host name cannot have (letters, digits, '.', '-', '_'; an IPv6 address in [])");
  // The same reading as the config check (config/values.cpp): a whole number 1..65535, leading zeros allowed.
  unsigned number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc{} || end != port.data() + port.size() || number == 0 || number > 65535)
    return bad("stream.base_url has an invalid port '" + common::log_sample(port, 16) + "' (1 to 65535)");
  ep.host = host;
  ep.port = std::to_string(number);
  return ep;
}

common::result<url_parts> parse_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  const auto path_at = scheme_end == std::string_view::npos ? std::string_view::npos : url.find('/', scheme_end + 3);
  auto origin = parse_base_url(url.substr(0, path_at));
  if (!origin) return origin.error();
  return url_parts{std::move(*origin), path_at == std::string_view::npos ? "/" : std::string(url.substr(path_at))};
}

std::string percent_encode(std::string_view value, std::string_view keep) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || keep.find(ch) != std::string_view::npos) {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

void append_query(std::string& target, std::string_view name, std::string_view value, std::string_view keep) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += percent_encode(value, keep);
}

std::string stream_target(const stream_query& q) {
  std::string target(paths::stream);
  constexpr std::string_view list_separator = ",";
  const auto add = [&](std::string_view name, std::string_view value) {
    if (!value.empty()) append_query(target, name, value, list_separator);
  };
  add("tweet.fields", q.tweet_fields);
  add("expansions", q.expansions);
  add("user.fields", q.user_fields);
  add("media.fields", q.media_fields);
  if (q.backfill_minutes > 0) add("backfill_minutes", std::to_string(q.backfill_minutes));
  return target;
}

}  // namespace spillway::ingest
