#pragma once
// Test support: read a running Spillway's metrics endpoint with a plain socket (no client library in
// the way), and pick one sample out of the Prometheus text.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>

namespace spillway::testing {

// GET `path` from 127.0.0.1:port (HTTP/1.0); the whole response, headers included; empty when nothing answers.
inline std::string scrape(int port, const std::string& path = "/metrics") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

// "HTTP/1.1 503 ..." -> 503; 0 when nothing (or no HTTP) answered.
inline int http_status(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

// What follows the headers; empty when there is no header end.
inline std::string http_body(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

// The value of the sample whose name (with labels, if any) is exactly `series`, e.g.
// "spillway_posts_stored_total" or "spillway_malformed_lines_total{kind=\"not_json\"}".
inline std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// The sample's value, -1 when `text` has none: no series of ours goes negative, so a CHECK against an
// expected value fails on an absent series instead of throwing.
inline double metric_value(const std::string& text, const std::string& series) {
  return sample(text, series).value_or(-1);
}

// The same, from /metrics at 127.0.0.1:port scraped now (-1 also when nothing answers).
inline double scraped_metric(int port, const std::string& series) { return metric_value(scrape(port), series); }

}  // namespace spillway::testing
