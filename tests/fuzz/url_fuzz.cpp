// Property: the two readers of "scheme://host[:port]" and "host:port" agree with each other and never let
// through a host that would corrupt a request line, a Host header or an SNI name:
//   - ingest::parse_base_url: an accepted URL has a non-empty host of host characters only (letters,
//     digits, . _ ~ - and, for a bracketed IPv6 address, : and %) and a decimal port 1..65535; printing
//     the endpoint back and parsing it again gives the same endpoint; a refusal's message has no control
//     byte (it may quote what was given);
//   - config's http_origin check (stream.base_url at load time): what it accepts, parse_base_url accepts
//     too (else a config that passes `spillway config check` cannot connect), with the same host;
//   - config's host_port / host_port_list checks (metrics.listen, Kafka bootstrap servers): an accepted
//     entry's host is host characters only and its port 0..65535 (host_port_list: 1..65535); no issue
//     ever has a control byte;
//   - ingest::stream_target: every query value is percent-encoded (only unreserved characters, ',' and
//     %XX in it) and decodes back to the value given.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/values.hpp"
#include "ingest/xapi/url.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using spillway::config::check_string;
using spillway::config::value_check;
using spillway::fuzz::has_control_byte;
using spillway::ingest::endpoint;
using spillway::ingest::parse_base_url;

namespace {

bool host_chars_only(std::string_view host) {
  if (host.empty()) return false;
  for (const char c : host)
    if (!spillway::fuzz::is_unreserved(c) && c != ':' && c != '%') return false;
  return true;
}

std::optional<unsigned> port_number(std::string_view port) {
  if (port.empty() || port.size() > 5) return std::nullopt;
  unsigned v = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  return v;
}

std::string print(const endpoint& ep) {
  const std::string host = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  return (ep.tls ? "https://" : "http://") + host + ":" + ep.port;
}

void check_base_url(std::string_view url) {
  const auto ep = parse_base_url(url);
  if (!ep) {
    FUZZ_CHECK(!ep.error().message.empty() && !has_control_byte(ep.error().message), ep.error().message);
    return;
  }
  FUZZ_CHECK(host_chars_only(ep->host), ep->host);
  const auto port = port_number(ep->port);
  FUZZ_CHECK(port && *port >= 1 && *port <= 65535, ep->port);
  const auto again = parse_base_url(print(*ep));
  FUZZ_CHECK(again && again->tls == ep->tls && again->host == ep->host && again->port == ep->port, print(*ep));
}

// The config check runs first (`spillway config check`, start-up): whatever it lets through must connect.
void check_origin_agrees(std::string_view url) {
  const auto issue = check_string(value_check::http_origin, url);
  if (issue) {
    FUZZ_CHECK(!has_control_byte(issue->problem) && !has_control_byte(issue->fix), issue->problem);
    return;
  }
  if (url.empty()) return;  // "" is "unset" to the config check
  const auto ep = parse_base_url(url);
  FUZZ_CHECK(ep.has_value(), ep ? std::string_view() : std::string_view(ep.error().message));
}

// One host:port entry the config check accepted: split it the way a resolver would read it.
void check_accepted_authority(std::string_view entry, unsigned min_port) {
  std::string_view host;
  std::string_view port;
  if (entry.starts_with('[')) {
    const auto close = entry.find(']');
    FUZZ_CHECK(close != std::string_view::npos && close + 1 < entry.size() && entry[close + 1] == ':', entry);
    host = entry.substr(1, close - 1);
    port = entry.substr(close + 2);
  } else {
    const auto colon = entry.rfind(':');
    FUZZ_CHECK(colon != std::string_view::npos, entry);
    host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
  }
  FUZZ_CHECK(host_chars_only(host), host);
  // The config check reads the port as a whole number (leading zeros allowed), not as 1-5 digits.
  std::uint64_t value = 0;
  for (const char c : port) {
    FUZZ_CHECK(c >= '0' && c <= '9', port);
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
    FUZZ_CHECK(value <= 65535, port);
  }
  FUZZ_CHECK(!port.empty() && value >= min_port, port);
}

void check_host_port(std::string_view text) {
  if (text.empty()) return;
  if (const auto issue = check_string(value_check::host_port, text)) {
    FUZZ_CHECK(!has_control_byte(issue->problem) && !has_control_byte(issue->fix), issue->problem);
  } else {
    check_accepted_authority(text, 0);
  }
  if (const auto issue = check_string(value_check::host_port_list, text)) {
    FUZZ_CHECK(!has_control_byte(issue->problem) && !has_control_byte(issue->fix), issue->problem);
    return;
  }
  for (std::size_t start = 0; start <= text.size();) {
    const auto comma = std::min(text.find(',', start), text.size());
    check_accepted_authority(text.substr(start, comma - start), 1);
    start = comma + 1;
  }
}

void check_stream_target(std::string_view value, int backfill) {
  spillway::ingest::stream_query q;
  q.tweet_fields = std::string(value);
  q.expansions = std::string(value);
  q.user_fields = std::string(value);
  q.media_fields = std::string(value);
  q.backfill_minutes = backfill;
  const std::string target = spillway::ingest::stream_target(q);
  const std::string_view path = "/2/tweets/search/stream";
  FUZZ_CHECK(std::string_view(target).substr(0, path.size()) == path, target);
  // Every parameter's value decodes back to what was given; nothing outside the encoded alphabet.
  std::size_t params = 0;
  for (std::size_t at = path.size(); at < target.size();) {
    FUZZ_CHECK(target[at] == (params == 0 ? '?' : '&'), target);
    const auto eq = target.find('=', at);
    const auto end = std::min(target.find('&', at + 1), target.size());
    FUZZ_CHECK(eq != std::string::npos && eq < end, target);
    const std::string_view name = std::string_view(target).substr(at + 1, eq - at - 1);
    // ',' stays as it is: X documents it as the list separator.
    const auto decoded = spillway::fuzz::percent_decode(std::string_view(target).substr(eq + 1, end - eq - 1), ",");
    const std::string expected = name == "backfill_minutes" ? std::to_string(backfill) : std::string(value);
    FUZZ_CHECK(decoded && *decoded == expected, target);
    ++params;
    at = end;
  }
  const std::size_t expected_params = (value.empty() ? 0 : 4) + (backfill > 0 ? 1 : 0);
  FUZZ_CHECK(params == expected_params, target);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_base_url(input);
  check_origin_agrees(input);
  check_host_port(input);
  check_stream_target(input, size == 0 ? 0 : static_cast<int>(data[0] % 7));
  return 0;
}
