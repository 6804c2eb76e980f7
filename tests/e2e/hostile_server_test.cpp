// `spillway run` against hostile servers on 127.0.0.1, through the real binary (issue 10, items 3 and 6):
// - a stream whose chunk-size line never ends: every session ends as a protocol error and the process's
//   peak RSS (VmHWM from /proc/<pid>/status) stays bounded — before, it grew 17 → 2,029 MiB in 9 s;
// - SIGTERM is honoured within 1 s in every start-up wait: a rules sync waiting out a 429 whose reset is
//   ten minutes away (before: the process slept through it), and a token grant whose server accepts the
//   connection and never answers (before: up to the 30 s control-plane deadline). Each run exits 0 with
//   "before streaming began": nothing was received, so nothing is lost.
#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/hostile_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Sends SIGTERM once `log` shows `waiting_line`, and returns how long the process took to exit.
std::chrono::milliseconds stop_when(child_process& run, const std::string& log, const std::string& waiting_line,
                                    int& code) {
  REQUIRE(eventually([&] { return has(slurp(log), waiting_line); }, 20s, 20ms));
  std::this_thread::sleep_for(300ms);  // well inside the wait, not at its start
  REQUIRE(run.running());
  const auto sent = std::chrono::steady_clock::now();
  run.signal(SIGTERM);
  const auto exited = run.wait(10s);
  REQUIRE(exited.has_value());
  code = *exited;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent);
}

// A /proc/<pid>/status field in MiB (VmHWM: the peak RSS); -1 when unreadable.
double status_mib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  return -1;
}

}  // namespace

TEST_CASE("run: a chunk-size line without end ends each session as a protocol error - peak RSS stays bounded",
          "[integration][e2e][hostile]") {
  temp_dir dir{"spillway-hostile-chunk"};
  const std::string filler(64 * 1024, 'f');
  hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
    if (c.write("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"))
      c.flood(filler);
  });
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"http://127.0.0.1:" << server.port()
                                   << "\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
                                   << "\"\n[metrics]\nenabled = false\n[reconnect]\nhttp_base = \"100ms\"\n"
                                   << "http_cap = \"200ms\"\nnetwork_step = \"100ms\"\nnetwork_cap = \"200ms\"\n";
  child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "tok"}});
  // Three sessions, each fed megabytes of one chunk-size line.
  REQUIRE(eventually([&] { return server.connections() >= 4; }, 30s, 50ms));
  const double peak = status_mib(run.pid(), "VmHWM");
  const std::string log = slurp(dir.str("run.log"));
  INFO(log.substr(0, 4000));
  std::printf("spillway run under an endless chunk-size line: peak RSS (VmHWM) %.1f MiB after %d sessions; the "
              "server sent %.1f MiB\n",
              peak, server.connections(), static_cast<double>(server.bytes_written()) / (1 << 20));
  CHECK(has(log, "chunk header (chunk-size line, extension or trailer) longer than 512 KiB"));
  CHECK(peak > 0);
  CHECK(peak < 256);  // the service's own footprint (RocksDB, slabs) plus the 512 KiB read ceiling
  run.signal(SIGTERM);
  const auto code = run.wait(10s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("start-up: SIGTERM during a rules sync waiting for a 429's reset exits within 1 s",
          "[integration][e2e][hostile][startup]") {
  temp_dir dir{"spillway-startup-429"};
  const auto reset = std::to_string(std::time(nullptr) + 600);  // ten minutes away
  hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
    const std::string body = R"({"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429})";
    (void)c.write("HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/problem+json\r\nx-rate-limit-limit: 450\r\n"
                  "x-rate-limit-remaining: 0\r\nx-rate-limit-reset: " + reset + "\r\ncontent-length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"http://127.0.0.1:" << server.port()
                                   << "\"\nrules_sync_on_start = true\n[sinks.rocksdb]\npath = \"" << dir.str("db")
                                   << "\"\n[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
  child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "tok"}});
  int code = -1;
  const auto took = stop_when(run, dir.str("run.log"), "s for the reset at", code);
  const std::string log = slurp(dir.str("run.log"));
  INFO(log);
  CHECK(took < 1000ms);
  CHECK(code == 0);
  CHECK(has(log, "before streaming began"));
  CHECK_FALSE(has(log, "streaming from"));  // the stream was never opened
}

TEST_CASE("start-up: SIGTERM during a token grant that never gets an answer exits within 1 s",
          "[integration][e2e][hostile][startup]") {
  temp_dir dir{"spillway-startup-grant"};
  hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
    while (c.open()) std::this_thread::sleep_for(50ms);  // accepts, reads the request, never answers
  });
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"http://127.0.0.1:" << server.port() << "\"\n"
                                   << "[auth]\napp_token_source = \"client_credentials\"\napp_key_env = \"E2E_KEY\"\n"
                                   << "app_secret_env = \"E2E_SECRET\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
                                   << "\"\n[metrics]\nenabled = false\n";
  child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run.log"),
                    {{"E2E_KEY", "k"}, {"E2E_SECRET", "s"}, {"X_BEARER_TOKEN", ""}});
  REQUIRE(eventually([&] { return server.connections() >= 1; }, 20s, 20ms));
  std::this_thread::sleep_for(500ms);  // the grant is now waiting for its answer
  REQUIRE(run.running());
  const auto sent = std::chrono::steady_clock::now();
  run.signal(SIGTERM);
  const auto code = run.wait(10s);
  const auto took = std::chrono::steady_clock::now() - sent;
  const std::string log = slurp(dir.str("run.log"));
  INFO(log);
  REQUIRE(code.has_value());
  CHECK(took < 1000ms);
  CHECK(*code == 0);
  CHECK(has(log, "before streaming began"));
}
