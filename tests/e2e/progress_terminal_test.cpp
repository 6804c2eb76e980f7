// Long commands show progress on a terminal and stay quiet when piped (issue 11, item 10): `export` and
// `rules sync` run once under a pseudo-terminal (util-linux `script`) and once with stderr to a file.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// `command` run with a pseudo-terminal as its stdin/stdout/stderr; what the terminal received.
std::string on_terminal(const std::string& command, const std::string& log) {
  (void)capture("script -qfec '" + command + "' " + log + " >/dev/null 2>&1 </dev/null");
  return slurp(log);
}

}  // namespace

TEST_CASE("progress: export and rules sync draw a progress line on a terminal, nothing when piped",
          "[integration][e2e][progress]") {
  REQUIRE(!capture("command -v script").empty());
  temp_dir dir{"spillway-progress"};
  emulator_process emu(dir, {"--count", "3000", "--rate", "0", "--seed", "3", "--bearer", "tok"});
  const std::string& url = emu.url;
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\n[sinks.rocksdb]\npath = \""
                                   << dir.str("db") << "\"\n[metrics]\nenabled = false\n"
                                   << "[[rules]]\nvalue = \"cat has:images\"\ntag = \"cats\"\n";
  {
    child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run.log"), {{"X_BEARER_TOKEN", "tok"}});
    REQUIRE(eventually([&] { return stored_posts(dir.str("db")) == 3000; }, 60s, 200ms));
    run.signal(SIGTERM);
    REQUIRE(run.wait(30s) == 0);
  }

  SECTION("export") {
    const auto tty = on_terminal(bin("spillway") + " export --db " + dir.str("db") + " >" + dir.str("posts.jsonl"),
                                 dir.str("tty.log"));
    INFO(tty);
    CHECK(has(tty, "\rexport: 0 Posts, 0 MiB\x1b[K"));  // drawn in place...
    CHECK(has(tty, "\r\x1b[K"));                       // ...and erased before the summary
    CHECK(has(tty, "export: 3000 Posts from"));
    const auto piped = run_to_end({bin("spillway"), "export", "--db", dir.str("db")}, dir.str("piped.log"));
    CHECK(piped.code == 0);
    const auto err_only = capture(bin("spillway") + " export --db " + dir.str("db") + " 2>&1 >/dev/null");
    CHECK(has(err_only, "export: 3000 Posts from"));
    CHECK_FALSE(has(err_only, "\r"));
    CHECK_FALSE(has(err_only, "\x1b[K"));
  }
  SECTION("rules sync") {
    const auto tty = on_terminal("X_BEARER_TOKEN=tok " + bin("spillway") + " rules sync --config " + dir.str("c.toml"),
                                 dir.str("tty.log"));
    INFO(tty);
    CHECK(has(tty, "\rrules sync: listing the live rules ...\x1b[K"));
    CHECK(has(tty, "rules sync: adding 1 rules ...") != has(tty, "synced: 0 added"));  // a step per call that is made
    CHECK(has(tty, "synced:"));
    const auto piped = capture("X_BEARER_TOKEN=tok " + bin("spillway") + " rules sync --config " + dir.str("c.toml") + " 2>&1");
    CHECK(has(piped, "synced:"));
    CHECK_FALSE(has(piped, "rules sync: listing"));
  }
  emu.signal(SIGTERM);
  (void)emu.wait(10s);
}
