#pragma once
// stream_url: turns `stream.base_url` and the query options into what a connection needs.
// Pure; used at start-up and on every reconnect (backfill_minutes changes per attempt).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spillway::ingest {

struct endpoint {
  bool tls = true;
  std::string host;
  std::string port;  // "443" / "80" when the URL has none
};

// nullopt with `error` set when base_url is not http(s)://host[:port] (a trailing '/' is accepted).
std::optional<endpoint> parse_base_url(std::string_view base_url, std::string& error);

struct stream_query {
  std::string tweet_fields;
  std::string expansions;
  std::string user_fields;
  std::string media_fields;
  int backfill_minutes = 0;  // 0 = not sent
};

// "/2/tweets/search/stream?tweet.fields=...": only non-empty parameters, values percent-encoded
// except for ',' which X documents as the list separator.
std::string stream_target(const stream_query& query);

}  // namespace spillway::ingest
