#pragma once
// url: what a connection needs from a URL, and the one percent-encoder.
//   - parse_base_url: `stream.base_url` (scheme://host[:port]) → endpoint;
//   - parse_url: a full URL (diagnose.status_url) → endpoint + request target;
//   - percent_encode / append_query: every query value and form field Spillway sends goes through here,
//     so a value from outside (a pagination token from X, a field list from the config) can never end
//     the request line or add a header;
//   - stream_target: the filtered stream's target with its query parameters.
// Pure; used at start-up and on every reconnect (backfill_minutes changes per attempt); any thread.
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace spillway::ingest {

struct endpoint {
  bool tls = true;
  std::string host;
  std::string port;  // "443" / "80" when the URL has none
};

// errc::config naming the problem and an example when base_url is not http(s)://host[:port] (a trailing
// '/' is accepted), the host has a character no host name has (anything but letters, digits, . - _ ~; in
// [], an IPv6 address), or the port is not 1..65535. The port comes back as its decimal number
// ("0443" → "443").
[[nodiscard]] common::result<endpoint> parse_base_url(std::string_view base_url);

struct url_parts {
  endpoint origin;
  std::string target;  // "/path?query"; "/" when the URL has no path
};

// scheme://host[:port][/path[?query]]; errc::config as parse_base_url for the origin part.
[[nodiscard]] common::result<url_parts> parse_url(std::string_view url);

// RFC 3986 percent-encoding: unreserved characters (ALPHA DIGIT - . _ ~) and those in `keep` stay, every
// other byte becomes %XX (upper-case hex).
[[nodiscard]] std::string percent_encode(std::string_view value, std::string_view keep = {});

// Appends "?name=value" (or "&name=value" when `target` already has a query) with the value
// percent-encoded (`keep` as above). `name` must be a literal query name (it is not encoded).
void append_query(std::string& target, std::string_view name, std::string_view value, std::string_view keep = {});

struct stream_query {
  std::string tweet_fields;
  std::string expansions;
  std::string user_fields;
  std::string media_fields;
  int backfill_minutes = 0;  // 0 = not sent
};

// "/2/tweets/search/stream?tweet.fields=...": only non-empty parameters, values percent-encoded
// except for ',' which X documents as the list separator.
[[nodiscard]] std::string stream_target(const stream_query& query);

}  // namespace spillway::ingest
