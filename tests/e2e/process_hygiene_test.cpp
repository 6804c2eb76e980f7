// Process hygiene (issue 10, item 6), through the real binary: SIGPIPE on a closed stderr does not kill
// the service; the database directory is created owner-only; a metrics listener reachable from other
// hosts is called out in the log.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <regex>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

void write_config(const std::string& path, const std::string& url, const std::string& db, const std::string& listen) {
  std::ofstream out(path);
  out << "[stream]\nbase_url = \"" << url << "\"\n[sinks.rocksdb]\npath = \"" << db << "\"\n";
  out << "[metrics]\nlisten = \"" << listen << "\"\n";
}

struct emulator {
  temp_dir dir{"spillway-hygiene"};
  std::unique_ptr<emulator_process> emu;
  std::string url;
  emulator() {
    emu = std::make_unique<emulator_process>(
        dir, std::vector<std::string>{"--rate", "2000", "--seed", "11", "--bearer", "hygiene-token"});
    url = emu->url;
  }
  ~emulator() {
    emu->signal(SIGTERM);
    (void)emu->wait(10s);
  }
};

}  // namespace

TEST_CASE("hygiene: a closed stderr pipe does not kill the service (SIGPIPE ignored) - it still drains on SIGTERM",
          "[integration][e2e][hygiene]") {
  emulator e;
  write_config(e.dir.str("spillway.toml"), e.url, e.dir.str("db"), "127.0.0.1:0");
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::setenv("X_BEARER_TOKEN", "hygiene-token", 1);
    ::execl(bin("spillway").c_str(), "spillway", "run", "--config", e.dir.str("spillway.toml").c_str(), nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  ::close(fds[0]);  // the reader of spillway's stderr is gone: every log line now meets EPIPE
  const bool streaming = eventually([&] { return stored_posts(e.dir.str("db")) >= 500; }, 60s, 200ms);
  ::kill(pid, SIGTERM);
  int status = 0;
  std::optional<int> code;
  for (int i = 0; i < 1500 && !code; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    else std::this_thread::sleep_for(20ms);
  }
  if (!code) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  CHECK(streaming);
  REQUIRE(code.has_value());
  CHECK(*code == 0);  // not 141 (128 + SIGPIPE)
}

TEST_CASE("hygiene: the database directory is created owner-only - an exposed metrics listener is logged",
          "[integration][e2e][hygiene]") {
  emulator e;
  const auto db = e.dir.str("nested/db");
  write_config(e.dir.str("spillway.toml"), e.url, db, "0.0.0.0:" + std::to_string(free_port()));
  child_process run({bin("spillway"), "run", "--config", e.dir.str("spillway.toml")}, e.dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "hygiene-token"}});
  REQUIRE(eventually([&] { return stored_posts(db) >= 100; }, 60s, 200ms));
  run.signal(SIGTERM);
  REQUIRE(run.wait(30s) == 0);
  struct stat st {};
  REQUIRE(::stat(db.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  const auto log = slurp(e.dir.str("run.log"));
  CHECK(log.find("serves /metrics to other hosts without authentication") != std::string::npos);
}
