#pragma once
// What the integration tests share around child processes: run one of our programs to its end and take
// its output, wait for a server's ready file and read its URL, pick a loopback port nothing listens on.
// Test-only (Catch2 assertions inside); any test thread.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/child_process.hpp"

namespace spillway::testing {

struct cli_result {
  int code;         // exit code (128 + signal when killed)
  std::string out;  // stdout and stderr
};

// Runs argv to its end (it must end within `timeout`), its output going to `log_file`.
inline cli_result run_to_end(const std::vector<std::string>& argv, const std::string& log_file,
                             const std::vector<std::pair<std::string, std::string>>& env = {},
                             std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  child_process p(argv, log_file, env);
  const auto code = p.wait(timeout);
  REQUIRE(code.has_value());
  return {*code, slurp(log_file)};
}

// `text` without trailing line ends and spaces (ready files end with a newline).
inline std::string trim_end(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
  return text;
}

// The URL a server (spillway-emu --ready-file) wrote once it listens.
inline std::string wait_for_url(const std::string& ready_file,
                                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  REQUIRE(eventually([&] { return !slurp(ready_file).empty(); }, timeout, std::chrono::milliseconds(20)));
  return trim_end(slurp(ready_file));
}

// A port on 127.0.0.1 nothing listens on right now (bound, read, released; loopback ports are not
// handed out again at once).
inline std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Posts committed in the database at `db`, from `spillway stats` (a read-only open: works while `run`
// holds the database); 0 when it cannot be read yet.
inline std::uint64_t stored_posts(const std::string& db) {
  const auto json = capture(bin("spillway") + " stats --db " + db + " 2>/dev/null");
  std::smatch m;
  if (!std::regex_search(json, m, std::regex(R"("posts":(\d+))"))) return 0;
  return std::stoull(m[1]);
}

}  // namespace spillway::testing
