// `spillway diagnose` against each emulator state: healthy, 401, 403 (not enrolled), 429 with reset, 503,
// and no rules (409). Asserts the finding (cause and fix) and the exit code.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

struct diag_env {
  temp_dir dir{"spillway-diagnose-e2e"};
  std::unique_ptr<emulator_process> emu;
  explicit diag_env(std::vector<std::string> extra = {}, const std::string& faults = "") {
    std::vector<std::string> args{"--bearer", "tok", "--heartbeat", "1"};
    if (!faults.empty()) {
      std::ofstream(dir.str("faults.json")) << faults;
      args.insert(args.end(), {"--faults", dir.str("faults.json")});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    emu = std::make_unique<emulator_process>(dir, args);
    const std::string& url = emu->url;
    std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url
                                     << "\"\n[diagnose]\nstatus_url = \"" << url << "/api/v2/status.json\"\n"
                                     << "[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
  }
  std::pair<int, std::string> spillway(std::vector<std::string> args, const std::string& token = "tok") {
    std::vector<std::string> argv{bin("spillway")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", dir.str("c.toml")});
    auto r = run_to_end(argv, dir.str("cli.log"), {{"X_BEARER_TOKEN", token}});
    return {r.code, std::move(r.out)};
  }
  void add_rules() { REQUIRE(spillway({"rules", "sync"}).first == 0); }
};

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("diagnose: healthy", "[integration][diagnose]") {
  // Two diagnose runs back to back: without --max-connections 0 the second would meet the first's
  // connection still counted (429 TooManyConnections), as at X.
  diag_env env({"--max-connections", "0"});
  env.add_rules();
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 0);
  CHECK(has(out, "[ok] token"));
  CHECK(has(out, "[ok] stream_connect"));
  CHECK(has(out, "[ok] status_page: X's status page says \"All Systems Operational\" (indicator none)"));
  CHECK(has(out, "[ok] access_level: 1 of 1000 rules used by this app (self-serve / pay-per-use cap)"));
  // The app-only trap: a 403 from /2/users/me is reported as needing a user token, not as a bad token.
  CHECK(has(out, "[info] user_context: GET /2/users/me answered 403"));
  CHECK(has(out, "needs a user token"));
  CHECK(has(out, "does NOT mean the token is bad"));
  CHECK(has(out, "requests left in this window"));
  CHECK(has(out, "UTC"));
  CHECK(has(out, "local"));
  CHECK(has(out, "\nhealthy\n"));
  const auto [jcode, json] = env.spillway({"diagnose", "--json"});
  CHECK(jcode == 0);
  CHECK(has(json, "\"healthy\":true"));
  CHECK(has(json, "\"endpoint\":\"GET /2/tweets/search/stream\",\"limit\":50"));
}

TEST_CASE("diagnose: 401 wrong token", "[integration][diagnose]") {
  diag_env env;
  const auto [code, out] = env.spillway({"diagnose", "--json"}, "not-the-token");
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, "\"healthy\":false"));
  CHECK(has(out, "{\"check\":\"token\",\"level\":\"action\""));
  CHECK(has(out, "answered HTTP 401: the Bearer token is missing, wrong"));
  CHECK(has(out, "auth.bearer_token_env"));
  CHECK_FALSE(has(out, "not-the-token"));
}

TEST_CASE("diagnose: 403 client not enrolled", "[integration][diagnose]") {
  diag_env env({}, R"([{"action":"status","status":403}])");
  env.add_rules();
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, "[ok] token"));  // the token is fine; the app lacks access
  CHECK(has(out, "[action] stream_connect"));
  CHECK(has(out, "reason: client-not-enrolled"));
  CHECK(has(out, "required access: Standard Basic"));
  CHECK(has(out, "attach the app to a Project"));
}

TEST_CASE("diagnose: 429 with the reset time", "[integration][diagnose]") {
  diag_env env({}, R"([{"action":"status","status":429,"kind":"rate_limit"}])");
  env.add_rules();
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, "[action] stream_connect: GET /2/tweets/search/stream → HTTP 429"));
  CHECK(has(out, "the window resets at "));
  CHECK(has(out, " UTC ("));
  CHECK(has(out, " local, in "));
  CHECK(has(out, "[action] rate_limits: GET /2/tweets/search/stream: 0 of 50"));
}

TEST_CASE("diagnose: 503", "[integration][diagnose]") {
  diag_env env({}, R"([{"action":"status","status":503}])");
  env.add_rules();
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, "[action] stream_connect: GET /2/tweets/search/stream → HTTP 503"));
  CHECK(has(out, "failing on its side"));
  CHECK(has(out, "retry with backoff"));
}

TEST_CASE("diagnose: no rules (409)", "[integration][diagnose]") {
  diag_env env({"--require-rules"});
  const auto [code, out] = env.spillway({"diagnose"});
  INFO(out);
  CHECK(code == 1);
  CHECK(has(out, "[action] rules: no rules are live"));
  CHECK(has(out, "[action] stream_connect: GET /2/tweets/search/stream → HTTP 409"));
  CHECK(has(out, "spillway rules sync --config FILE"));
}
