// `spillway top` in a real terminal (issue 11, item 9): a tmux session of 80×24 runs it against a live
// instance fed by the emulator; the captured pane must show the figures /metrics serves, and 'q' must end
// it. The tmux server is private to the test (its own -L socket) and is killed by its pid at the end.
#include <catch2/catch.hpp>

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

// A tmux server of its own; every command goes to it. Killed by pid when the test ends.
struct tmux_server {
  std::string socket = "spillway-top-test-" + std::to_string(::getpid());
  std::string run(const std::string& args) const { return capture("tmux -L " + socket + " " + args + " 2>&1"); }
  ~tmux_server() {
    const auto pid = trim_end(run("display-message -p '#{pid}'"));
    (void)run("kill-server");
    if (!pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos) ::kill(std::stoi(pid), SIGKILL);
  }
};

// "  stored   2,000   0": the figure in the total column of the row called `row`, digits only.
std::string total_on_screen(const std::string& pane, const std::string& row) {
  std::smatch m;
  if (!std::regex_search(pane, m, std::regex("\\n  " + row + " +([0-9,]+)"))) return {};
  std::string digits;
  for (char c : std::string(m[1])) {
    if (c != ',') digits += c;
  }
  return digits;
}

}  // namespace

TEST_CASE("top: a live view in an 80x24 terminal shows what /metrics says, and q quits",
          "[integration][e2e][top]") {
  REQUIRE(!capture("command -v tmux").empty());
  temp_dir dir{"spillway-top"};
  emulator_process emu(dir, {"--count", "2000", "--rate", "4000", "--seed", "5", "--bearer", "top-token"});
  const std::string& url = emu.url;
  const int port = free_port();
  {
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"" << url << "\"\n[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n"
        << "[metrics]\nlisten = \"127.0.0.1:" << port << "\"\n";
  }
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "top-token"}});
  // Every Post the emulator will send is stored: the counters stand still while the pane is compared.
  REQUIRE(eventually([&] { return sample(scrape(port), "spillway_posts_stored_total").value_or(0) == 2000; }, 60s,
                     100ms));

  tmux_server tmux;
  const auto started = tmux.run("new-session -d -s top -x 80 -y 24 '" + bin("spillway") +
                                " top --url http://127.0.0.1:" + std::to_string(port) + "'");
  INFO(started);
  std::string pane;
  // Two refreshes: the second one has per-second rates.
  REQUIRE(eventually(
      [&] {
        pane = tmux.run("capture-pane -p -t top");
        return pane.find("state  streaming (healthy)") != std::string::npos && pane.find("per second") != std::string::npos;
      },
      10s, 200ms));
  std::this_thread::sleep_for(2500ms);
  pane = tmux.run("capture-pane -p -t top");
  INFO(pane);
  const auto metrics = scrape(port);
  CHECK(total_on_screen(pane, "received") ==
        std::to_string(static_cast<long long>(*sample(metrics, "spillway_posts_received_total{connection=\"1\"}"))));
  CHECK(total_on_screen(pane, "stored") == "2000");
  CHECK(pane.find("delivered    Kafka off") != std::string::npos);
  CHECK(pane.find("last Post") != std::string::npos);
  CHECK(pane.find("rate limit  stream connects") != std::string::npos);
  // The emulator closes the stream after its --count: top shows the open gap /metrics reports.
  const bool gap_open = sample(metrics, "spillway_open_gap_since_unix_ms").value_or(0) > 0;
  CHECK(pane.find(gap_open ? "gaps     OPEN since" : "gaps     none open") != std::string::npos);
  CHECK(std::regex_search(pane, std::regex("\\n  stored +2,000 +0\\s")));  // nothing arrives now: 0 per second
  std::size_t rows = 0, widest = 0;
  for (std::size_t at = 0, nl; (nl = pane.find('\n', at)) != std::string::npos; at = nl + 1, ++rows) {
    widest = std::max(widest, nl - at);
  }
  CHECK(rows <= 24);
  CHECK(widest <= 80);

  (void)tmux.run("send-keys -t top q");
  // The session ends when top exits: has-session then fails.
  CHECK(eventually([&] { return trim_end(tmux.run("has-session -t top >/dev/null 2>&1; echo $?")) != "0"; }, 3s,
                   100ms));

  run.signal(SIGTERM);
  CHECK(run.wait(30s) == 0);
  emu.signal(SIGTERM);
  (void)emu.wait(10s);
}

TEST_CASE("top: piped, it prints one plain frame - an instance that is not there is named", "[integration][e2e][top]") {
  const int port = free_port();
  const auto absent = capture(bin("spillway") + " top --url http://127.0.0.1:" + std::to_string(port) + " 2>&1; echo rc=$?");
  CHECK_THAT(absent, Catch::Contains("cannot read http://127.0.0.1:" + std::to_string(port) + "/metrics"));
  CHECK_THAT(absent, Catch::Contains("rc=1"));
  const auto tls = capture(bin("spillway") + " top --url https://127.0.0.1:9 2>&1; echo rc=$?");
  CHECK_THAT(tls, Catch::Contains("plain HTTP"));
  CHECK_THAT(tls, Catch::Contains("rc=2"));
}
