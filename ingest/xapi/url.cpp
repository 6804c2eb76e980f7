#include "ingest/xapi/url.hpp"

#include <algorithm>
#include <cctype>

namespace spillway::ingest {

std::optional<endpoint> parse_base_url(std::string_view url, std::string& error) {
  endpoint ep;
  if (url.starts_with("https://")) {
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    ep.tls = false;
    url.remove_prefix(7);
  } else {
    error = "stream.base_url must start with https:// or http:// (e.g. https://api.x.com)";
    return std::nullopt;
  }
  if (url.ends_with('/')) url.remove_suffix(1);
  if (url.find('/') != std::string_view::npos || url.find('?') != std::string_view::npos) {
    error = "stream.base_url must be scheme://host[:port] with no path (e.g. https://api.x.com)";
    return std::nullopt;
  }
  std::string_view host = url;
  std::string_view port = ep.tls ? "443" : "80";
  if (!host.empty() && host.front() == '[') {  // [::1]:8443
    const auto close = host.find(']');
    if (close == std::string_view::npos) {
      error = "stream.base_url has an unclosed IPv6 bracket";
      return std::nullopt;
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        error = "stream.base_url: expected ':' after the IPv6 address";
        return std::nullopt;
      }
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.empty()) {
    error = "stream.base_url has no host name";
    return std::nullopt;
  }
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    error = "stream.base_url has an invalid port '" + std::string(port) + "'";
    return std::nullopt;
  }
  ep.host = host;
  ep.port = port;
  return ep;
}

namespace {
void append_param(std::string& target, bool& first, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  target += first ? '?' : '&';
  first = false;
  target += name;
  target += '=';
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '.' || c == '_' || c == '-' || c == '~' || c == ',') {
      target += c;
    } else {
      target += '%';
      target += hex[u >> 4];
      target += hex[u & 15];
    }
  }
}
}  // namespace

std::string stream_target(const stream_query& q) {
  std::string target = "/2/tweets/search/stream";
  bool first = true;
  append_param(target, first, "tweet.fields", q.tweet_fields);
  append_param(target, first, "expansions", q.expansions);
  append_param(target, first, "user.fields", q.user_fields);
  append_param(target, first, "media.fields", q.media_fields);
  if (q.backfill_minutes > 0) append_param(target, first, "backfill_minutes", std::to_string(q.backfill_minutes));
  return target;
}

}  // namespace spillway::ingest
