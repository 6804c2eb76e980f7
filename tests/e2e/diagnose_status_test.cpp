// `spillway diagnose` against the emulator's status page (none / minor / major), offline and unreachable
// status pages (skipped, not failures), and an app without stream access (--access free → 403 with the
// required enrollment).
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

struct status_env {
  temp_dir dir{"spillway-diagnose-status"};
  std::unique_ptr<emulator_process> emu;
  std::string url;
  explicit status_env(std::vector<std::string> extra) {
    std::vector<std::string> args{"--bearer", "tok", "--heartbeat", "1", "--max-connections", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    emu = std::make_unique<emulator_process>(dir, args);
    url = emu->url;
    config(url + "/api/v2/status.json");
  }
  void config(const std::string& status_url) {
    std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\n[diagnose]\nstatus_url = \""
                                     << status_url << "\"\n[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
  }
  std::pair<int, std::string> spillway(std::vector<std::string> args) {
    std::vector<std::string> argv{bin("spillway")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", dir.str("c.toml")});
    auto r = run_to_end(argv, dir.str("cli.log"), {{"X_BEARER_TOKEN", "tok"}});
    return {r.code, std::move(r.out)};
  }
};

}  // namespace

TEST_CASE("diagnose: a minor incident on the status page is reported, not an alarm", "[integration][diagnose]") {
  status_env env({"--status", "minor"});
  REQUIRE(env.spillway({"rules", "sync"}).first == 0);
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 0);
  CHECK(has(out, "[info] status_page: X's status page says \"Minor Service Outage\" (indicator minor)"));
  CHECK(has(out, "X has an ongoing incident"));
  CHECK(has(out, "wait for X to resolve it and watch " + env.url));
}

TEST_CASE("diagnose: a major outage on the status page needs action, and --offline skips it", "[integration][diagnose]") {
  status_env env({"--status", "major"});
  REQUIRE(env.spillway({"rules", "sync"}).first == 0);
  const auto [code, out] = env.spillway({"diagnose", "--json"});
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, R"x({"check":"status_page","level":"action","summary":"X's status page says \"Partial System Outage\" (indicator major)")x"));
  CHECK(has(out, "nothing to change here: wait for X to resolve it"));
  const auto [off_code, off_out] = env.spillway({"diagnose", "--offline"});
  INFO(off_out);
  CHECK(off_code == 0);
  CHECK(has(off_out, "[skipped] status_page: status page not checked (--offline)"));
}

TEST_CASE("diagnose: an unreachable or empty status_url is skipped, not a failure", "[integration][diagnose]") {
  status_env env({});
  REQUIRE(env.spillway({"rules", "sync"}).first == 0);
  env.config("http://127.0.0.1:1/api/v2/status.json");  // nothing listens on port 1
  auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 0);
  CHECK(has(out, "[skipped] status_page: status page not checked: unreachable (cannot connect to 127.0.0.1:1"));
  env.config("");
  std::tie(code, out) = env.spillway({"diagnose"});
  CHECK(code == 0);
  CHECK(has(out, "[skipped] status_page: status page not checked (diagnose.status_url is empty)"));
}

TEST_CASE("diagnose: access level free answers 403 with the enrollment it needs", "[integration][diagnose]") {
  status_env env({"--access", "free"});
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, "[ok] status_page"));
  CHECK(has(out, "[action] token: GET /2/tweets/search/stream/rules (accepts app-only tokens) → HTTP 403"));
  CHECK(has(out, "[action] stream_connect: GET /2/tweets/search/stream → HTTP 403"));
  CHECK(has(out, "the token is valid but this app may not use this endpoint"));
  CHECK(has(out, "required access: "));
}
