// Issue 12 items 3 and 4 end to end, the real binaries over real sockets: `spillway connections list | kill`
// and `diagnose` against spillway-emu; a stale connection (another client holding the only slot) closed
// through the Connections API ending `run`'s 429 TooManyConnections loop (reconnect.close_stale_connections),
// and the loop going on without the option; usage polled into metrics with the 80% warning and the 95% error;
// a UsageCapExceeded wait that lasts until the reset the usage endpoint reports.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <regex>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Another client of the same app holding a filtered-stream connection: a raw socket that sent the GET and
// read the 200 head. Closed at scope exit.
class stream_holder {
 public:
  explicit stream_holder(const std::string& url) {
    const auto port = std::stoi(url.substr(url.rfind(':') + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    const std::string req = "GET /2/tweets/search/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\n\r\n";
    REQUIRE(::send(fd_, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
    std::string head;
    REQUIRE(eventually([&] {
      drain(&head);
      return head.find("\r\n\r\n") != std::string::npos;
    }, 5s, 10ms));
    REQUIRE(head.starts_with("HTTP/1.1 200"));
  }
  ~stream_holder() { ::close(fd_); }
  stream_holder(const stream_holder&) = delete;
  stream_holder& operator=(const stream_holder&) = delete;

  // Reads what is there; true once the server closed the connection.
  bool closed_by_server() { return drain(nullptr); }

 private:
  // Non-blocking, and bounded: the stream never pauses long, so "until nothing is left" would never end.
  bool drain(std::string* keep) {
    char buf[65536];
    for (int reads = 0; reads < 256; ++reads) {
      const auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
      if (keep != nullptr) keep->append(buf, static_cast<std::size_t>(n));
    }
    return false;
  }
  int fd_ = -1;
};

// spillway-emu (Bearer "tok", one connection) and a config pointing at it; every process ended by pid.
struct rig {
  temp_dir dir{"spillway-conns-e2e"};
  std::unique_ptr<emulator_process> emu;
  std::unique_ptr<child_process> run;
  std::string url;
  int metrics_port = 0;

  explicit rig(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--bearer", "tok", "--max-connections", "1", "--reap-ms", "60000",
                                  "--heartbeat", "0.2"};
    args.insert(args.end(), extra.begin(), extra.end());
    emu = std::make_unique<emulator_process>(dir, args);
    url = emu->url;
  }
  ~rig() {
    if (run) {
      run->signal(SIGTERM);
      (void)run->wait(30s);
    }
    emu->signal(SIGTERM);
    (void)emu->wait(10s);
  }
  void config(const std::string& extra_toml) {
    metrics_port = free_port();
    std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
                                     << "\"\n[metrics]\nlisten = \"127.0.0.1:" << metrics_port << "\"\n"
                                     << extra_toml;
  }
  cli_result cli(std::vector<std::string> args) {
    std::vector<std::string> argv{bin("spillway")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", dir.str("c.toml")});
    return run_to_end(argv, dir.str("cli.log"), {{"X_BEARER_TOKEN", "tok"}});
  }
  void start_run() {
    run = std::make_unique<child_process>(std::vector<std::string>{bin("spillway"), "run", "--config", dir.str("c.toml")},
                                          dir.str("run.log"),
                                          std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", "tok"}});
  }
  std::string run_log() const { return slurp(dir.str("run.log")); }
  std::optional<double> metric(const std::string& series) const { return sample(http_body(scrape(metrics_port)), series); }
};

const std::string kFastReconnect =
    "[reconnect]\nnetwork_step = \"50ms\"\nnetwork_cap = \"500ms\"\nhttp_base = \"200ms\"\nhttp_cap = \"1s\"\n"
    "too_many_base = \"150ms\"\njitter = \"none\"\n";

}  // namespace

TEST_CASE("connections e2e: list shows another client's stream, kill ID closes it, then it is inactive (killed)",
          "[integration][connections]") {
  rig r({"--rate", "50"});
  r.config("");
  stream_holder other(r.url);
  const auto listed = r.cli({"connections", "list"});
  INFO(listed.out);
  REQUIRE(listed.code == 0);
  CHECK(has(listed.out, "1 active connection:"));
  CHECK(has(listed.out, "filtered_stream  from 127.0.0.1  connected "));
  std::smatch m;
  REQUIRE(std::regex_search(listed.out, m, std::regex("  ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})  ")));
  const std::string id = m[1];

  const auto diagnose = r.cli({"diagnose", "--offline"});
  INFO(diagnose.out);
  CHECK(has(diagnose.out, "1 active connection:"));
  CHECK(has(diagnose.out, id));
  CHECK(has(diagnose.out, "Posts used"));  // the usage finding (no cap given: X reports 0)

  const auto killed = r.cli({"connections", "kill", id});
  INFO(killed.out);
  CHECK(killed.code == 0);
  CHECK(has(killed.out, "closed 1 connection (0 failed)"));
  CHECK(has(killed.out, id + ": closed"));
  CHECK(eventually([&] { return other.closed_by_server(); }, 5s, 20ms));

  const auto after = r.cli({"connections", "list"});
  CHECK(has(after.out, "0 active connections"));
  const auto inactive = r.cli({"connections", "list", "--status", "inactive"});
  INFO(inactive.out);
  CHECK(has(inactive.out, id));
  CHECK(has(inactive.out, "(killed)"));
  const auto all = r.cli({"connections", "kill", "--all"});
  CHECK(all.code == 0);
  CHECK(has(all.out, "closed 0 connections (0 failed)"));
  const auto unknown = r.cli({"connections", "kill", "00000000-0000-4000-8000-000000000000"});
  CHECK(unknown.code == 1);  // X answered failed_kills 1
  CHECK(has(unknown.out, "failed (Connection not found)"));
  const auto refused = run_to_end({bin("spillway"), "connections", "list", "--config", r.dir.str("c.toml")},
                                  r.dir.str("cli.log"), {{"X_BEARER_TOKEN", "refused-token-7f3a"}});
  CHECK(refused.code == 3);  // 401: X refused the token
  CHECK_FALSE(has(refused.out, "refused-token-7f3a"));  // never the token
}

TEST_CASE("connections e2e: a stale connection holding the only slot is closed through the API, ending the 429 loop",
          "[integration][connections][reconnect]") {
  rig r({"--rate", "200"});
  r.config(kFastReconnect + "close_stale_connections = true\n");
  stream_holder stale(r.url);
  r.start_run();
  REQUIRE(eventually([&] { return stored_posts(r.dir.str("db")) >= 100; }, 30s, 100ms));
  CHECK(stale.closed_by_server());
  const auto log = r.run_log();
  INFO(log);
  CHECK(has(log, "maximum allowed connection limit"));
  CHECK(std::regex_search(log, std::regex("closed stale connection [0-9a-f-]{36} \\(filtered_stream, from 127\\.0\\.0\\.1, "
                                          "connected [0-9T:.-]+Z\\) through the Connections API")));
  CHECK(has(log, "closed 1 stale connection(s) of this app through the Connections API: reconnecting at once"));
  CHECK_FALSE(has(log, "tok\""));
  REQUIRE(eventually([&] { return r.metric("spillway_stale_connections_closed_total").value_or(0) == 1; }, 5s, 50ms));
}

TEST_CASE("connections e2e: without close_stale_connections the 429 loop goes on and nothing is closed",
          "[integration][connections][reconnect]") {
  rig r({"--rate", "200"});
  r.config(kFastReconnect);
  stream_holder other(r.url);
  r.start_run();
  REQUIRE(eventually([&] {
    const auto log = r.run_log();
    std::size_t n = 0;
    for (auto at = log.find("connection limit is reached"); at != std::string::npos; at = log.find("connection limit is reached", at + 1)) ++n;
    return n >= 4;
  }, 30s, 100ms));
  CHECK(stored_posts(r.dir.str("db")) == 0);
  CHECK_FALSE(other.closed_by_server());
  CHECK_FALSE(has(r.run_log(), "closed stale connection"));
}

TEST_CASE("usage e2e: polled into metrics - a warning from 80% of the cap, an error from 95%", "[integration][usage]") {
  // 790 of 1,000 used at start; 200 more Posts at 20/s cross 800 (80%) after ~0.5 s and 950 (95%) after ~8 s.
  rig r({"--rate", "20", "--count", "200", "--usage-cap", "1000", "--usage-start", "790", "--usage-reset-day", "10"});
  r.config("[usage]\npoll_interval = \"1s\"\n");
  r.start_run();
  REQUIRE(eventually([&] { return has(r.run_log(), "past 80% of the project cap"); }, 30s, 100ms));
  REQUIRE(eventually([&] { return has(r.run_log(), "at 95% of the project cap"); }, 30s, 100ms));
  REQUIRE(eventually([&] { return r.metric("spillway_usage_posts_consumed").value_or(0) == 990; }, 10s, 100ms));
  CHECK(r.metric("spillway_usage_posts_cap") == 1000);
  CHECK(r.metric("spillway_usage_cap_reset_day") == 10);
  CHECK(r.metric("spillway_usage_cap_reset_unix_seconds").value_or(0) > 0);
  const auto log = r.run_log();
  INFO(log);
  // The warning comes before the error, each at its level; the warning is logged once.
  const auto warn = log.find("past 80% of the project cap");
  const auto err = log.find("at 95% of the project cap");
  CHECK(warn < err);
  CHECK(log.find("past 80% of the project cap", warn + 1) == std::string::npos);
  CHECK(std::regex_search(log, std::regex(R"(Z warning usage: 8\d\d of 1000 Posts used \(8\d\.\d%\))")));
  CHECK(std::regex_search(log, std::regex(R"(Z error usage: 9[5-9]\d of 1000 Posts used)")));
}

TEST_CASE("usage e2e: a UsageCapExceeded refusal waits until the reset GET /2/usage/tweets reports",
          "[integration][usage][reconnect]") {
  rig r({"--usage-cap", "500", "--usage-start", "500", "--usage-reset-day", "10"});
  r.config(kFastReconnect);
  r.start_run();
  REQUIRE(eventually([&] { return has(r.run_log(), "(reported by GET /2/usage/tweets)"); }, 20s, 100ms));
  const auto log = r.run_log();
  INFO(log);
  CHECK(has(log, "UsageCapExceeded"));
  CHECK(std::regex_search(log, std::regex(R"(the cap resets at \d{4}-\d{2}-10T00:00:00Z \(reported by GET /2/usage/tweets\))")));
  CHECK(stored_posts(r.dir.str("db")) == 0);
}
