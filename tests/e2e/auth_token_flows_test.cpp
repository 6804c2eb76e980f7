// Token flows end to end: the real `spillway` against spillway-emu over real sockets.
// - OAuth 2.0 user token: `auth refresh` rotates and persists; a SIGKILL between X's answer and the
//   write leaves the file whole; the restart says the refresh token was already used; a freshly written
//   token works again; a tmp completed before a crash is adopted at the next start; `auth status` never prints a token.
// - Client credentials in `run`: a 401 at connect re-obtains the Bearer once and the stream goes on;
//   the per-endpoint rate-limit gauges are on /metrics.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

std::string last_line(const std::string& text) {
  const std::string t = trim_end(text);
  const auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

std::string field(const std::string& json, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + name + "\":\"([^\"]*)\""))) return {};
  return m[1];
}

struct emu_env {
  temp_dir dir{"spillway-auth-e2e"};
  std::unique_ptr<emulator_process> emu;
  std::string url;
  // "@/name" in `extra` becomes a path in this test's directory.
  explicit emu_env(std::vector<std::string> extra) {
    std::vector<std::string> args;
    for (auto& a : extra) args.push_back(a.starts_with("@/") ? dir.str(a.substr(2)) : a);
    emu = std::make_unique<emulator_process>(dir, args);
    url = emu->url;
  }
  cli_result spillway(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {}) {
    std::vector<std::string> argv{bin("spillway")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", dir.str("c.toml")});
    auto result = run_to_end(argv, dir.str("cli" + std::to_string(runs_++) + ".log"), env);
    all_output += result.out;
    return result;
  }
  std::string all_output;

 private:
  int runs_ = 0;
};

void write_tokens(const std::string& path, const std::string& refresh) {
  std::ofstream(path, std::ios::trunc) << "{\"access_token\":\"\",\"refresh_token\":\"" << refresh << "\",\"expires_at\":0}\n";
  std::filesystem::permissions(path, std::filesystem::perms(0600));
}

}  // namespace

TEST_CASE("auth e2e: user token rotation, a crash between receive and persist, and recovery",
          "[integration][auth]") {
  const std::string r0 = "SECRET-user-refresh-R0-93b1";
  emu_env env({"--bearer", "SECRET-app-bearer-77", "--user-client-id", "client-e2e", "--user-refresh-token", r0,
               "--user-refresh-token-file", "@/issued.txt", "--max-connections", "0"});
  const std::string store = env.dir.str("user.json");
  std::ofstream(env.dir.str("c.toml")) << "[stream]\nbase_url = \"" << env.url << "\"\n[auth]\nuser_token_file = \""
                                       << store << "\"\nuser_client_id = \"client-e2e\"\n[diagnose]\nstatus_url = \"\"\n"
                                       << "[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
  write_tokens(store, r0);
  std::vector<std::string> secrets{r0};
  const std::vector<std::pair<std::string, std::string>> bearer{{"X_BEARER_TOKEN", "SECRET-app-bearer-77"}};

  // Refresh rotates: the file holds the token the emulator issued last, with mode 0600.
  auto r = env.spillway({"auth", "refresh"});
  INFO(r.out);
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "user token refreshed; the rotated tokens are saved in " + store));
  const std::string r1 = field(slurp(store), "refresh_token");
  CHECK(r1 == last_line(slurp(env.dir.str("issued.txt"))));
  CHECK(r1 != r0);
  secrets.push_back(r1);
  secrets.push_back(field(slurp(store), "access_token"));
  struct stat st{};
  REQUIRE(::stat(store.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // The user token works for user-context calls: /2/users/me answers 200.
  REQUIRE(env.spillway({"rules", "sync"}, bearer).code == 0);  // diagnose wants live rules too
  r = env.spillway({"diagnose", "--offline"}, bearer);
  CHECK(has(r.out, "[ok] user_token: the OAuth 2.0 user token works: GET /2/users/me answered 200 as @XDevelopers"));
  CHECK(r.code == 0);

  // Killed after X answered with new tokens, before they were written: the old file is intact.
  const std::string before_crash = slurp(store);
  r = env.spillway({"auth", "refresh"}, {{"SPILLWAY_TEST_CRASH_AFTER_REFRESH_RESPONSE", "1"}});
  CHECK(r.code == 128 + 9);
  CHECK(slurp(store) == before_crash);
  const std::string lost = last_line(slurp(env.dir.str("issued.txt")));  // issued by X, never saved
  CHECK(lost != r1);
  secrets.push_back(lost);

  // The restart: X refuses the spent token, and the message says exactly that and how to fix it.
  r = env.spillway({"auth", "refresh"});
  CHECK(r.code == 3);
  CHECK(has(r.out, "was already used"));
  CHECK(has(r.out, "re-authorize the app"));
  CHECK(has(r.out, "write the new tokens to " + store));
  CHECK(slurp(store) == before_crash);
  // diagnose still holds the old access token, which X superseded when it answered the lost refresh.
  r = env.spillway({"diagnose", "--offline"}, bearer);
  CHECK(r.code == 1);
  CHECK(has(r.out, "[action] user_token: GET /2/users/me with the user token → HTTP 401"));
  CHECK(has(r.out, "run `spillway auth refresh --config FILE`"));

  // A freshly written token (here: the one X issued before the crash) works and rotates again.
  write_tokens(store, lost);
  r = env.spillway({"auth", "refresh"});
  REQUIRE(r.code == 0);
  const std::string r2 = field(slurp(store), "refresh_token");
  CHECK(r2 != lost);
  CHECK(r2 == last_line(slurp(env.dir.str("issued.txt"))));
  secrets.push_back(r2);

  // Killed after the tmp was complete, before the rename: the old file is intact, and the next start
  // finishes the rename (the tmp holds the tokens X issued; the stored refresh token is already spent).
  const std::string before_rename = slurp(store);
  r = env.spillway({"auth", "refresh"}, {{"SPILLWAY_TEST_CRASH_BEFORE_RENAME", "1"}});
  CHECK(r.code == 128 + 9);
  CHECK(slurp(store) == before_rename);
  REQUIRE(std::filesystem::exists(store + ".tmp"));
  const std::string pending = slurp(store + ".tmp");
  secrets.push_back(field(pending, "refresh_token"));
  secrets.push_back(field(pending, "access_token"));
  CHECK(field(pending, "refresh_token") == last_line(slurp(env.dir.str("issued.txt"))));
  r = env.spillway({"auth", "status"}, bearer);
  CHECK(has(r.out, "finished a refresh interrupted before its rename"));
  CHECK(has(r.out, "user token (OAuth 2.0): store " + store));
  CHECK(has(r.out, "expires "));
  CHECK_FALSE(std::filesystem::exists(store + ".tmp"));
  CHECK(slurp(store) == pending);
  CHECK((std::filesystem::status(store).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
  // The adopted refresh token is the live one: the next refresh succeeds and rotates.
  r = env.spillway({"auth", "refresh"});
  CHECK(r.code == 0);
  const std::string r3 = field(slurp(store), "refresh_token");
  CHECK(r3 != field(pending, "refresh_token"));
  secrets.push_back(r3);

  // Never a token in any output.
  for (const auto& s : secrets) {
    INFO(s);
    CHECK_FALSE(s.empty());
    CHECK_FALSE(has(env.all_output, s));
  }
  CHECK_FALSE(has(env.all_output, "SECRET-"));
}

TEST_CASE("auth e2e: run with client credentials refreshes once after a 401 and exports rate limits",
          "[integration][auth]") {
  temp_dir dir{"spillway-auth-run"};
  std::ofstream(dir.str("faults.json")) << R"([{"action":"status","status":401}])";
  emulator_process emu(dir, {"--bearer", "SECRET-cc-bearer-5d", "--app-key", "SECRETkey1", "--app-secret",
                             "SECRETsecret1", "--faults", dir.str("faults.json"), "--rate", "200", "--heartbeat", "1"});
  const std::string& url = emu.url;
  const int port = free_port();
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\nrules_sync_on_start = true\n"
                                   << "[auth]\napp_token_source = \"client_credentials\"\napp_key_env = \"E2E_KEY\"\n"
                                   << "app_secret_env = \"E2E_SECRET\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
                                   << "\"\n[metrics]\nlisten = \"127.0.0.1:" << port << "\"\n"
                                   << "[reconnect]\nhttp_base = \"100ms\"\n[[rules]]\nvalue = \"cat\"\n";
  child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run.log"),
                    {{"E2E_KEY", "SECRETkey1"}, {"E2E_SECRET", "SECRETsecret1"}, {"X_BEARER_TOKEN", ""}});
  std::string metrics;
  const bool streaming = eventually(
      [&] {
        metrics = scrape(port);
        return has(metrics, "spillway_stream_state{connection=\"1\"} 2") && has(metrics, "spillway_posts_stored_total");
      },
      20s, 200ms);
  const std::string log = slurp(dir.str("run.log"));
  INFO(log.substr(0, 6000));
  INFO(metrics.substr(0, 6000));
  CHECK(streaming);
  CHECK(has(log, "app-only Bearer token from client credentials"));
  CHECK(has(log, "refreshing the token once"));
  // Obtained at start, and once more after the 401.
  std::size_t grants = 0;
  for (std::size_t at = 0; (at = log.find("obtained the app-only Bearer token", at)) != std::string::npos; ++at) ++grants;
  CHECK(grants == 2);
  CHECK(has(metrics, R"(spillway_x_rate_limit_remaining{endpoint="GET /2/tweets/search/stream/rules"})"));
  CHECK(has(metrics, R"(spillway_x_rate_limit_remaining{endpoint="POST /2/tweets/search/stream/rules"})"));
  CHECK(has(metrics, R"(spillway_x_rate_limit_limit{endpoint="GET /2/tweets/search/stream"} 50)"));
  run.signal(SIGTERM);
  const auto code = run.wait(30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const std::string all = slurp(dir.str("run.log")) + metrics;
  for (const char* secret : {"SECRETkey1", "SECRETsecret1", "SECRET-cc-bearer-5d"}) CHECK_FALSE(has(all, secret));
}

TEST_CASE("auth e2e: run with client credentials waits for an unreachable X at start, then streams",
          "[integration][auth]") {
  temp_dir dir{"spillway-auth-late"};
  const int port = free_port();  // nothing listens here until the emulator starts on it
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"http://127.0.0.1:" << port << "\"\n"
                                   << "[auth]\napp_token_source = \"client_credentials\"\napp_key_env = \"E2E_KEY\"\n"
                                   << "app_secret_env = \"E2E_SECRET\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
                                   << "\"\n[metrics]\nenabled = false\n"
                                   << "[reconnect]\nnetwork_step = \"50ms\"\nnetwork_cap = \"400ms\"\n";
  const std::vector<std::pair<std::string, std::string>> env = {
      {"E2E_KEY", "SECRETkey2"}, {"E2E_SECRET", "SECRETsecret2"}, {"X_BEARER_TOKEN", ""}};

  // SIGTERM while it waits: a clean exit 0 (nothing was received).
  {
    child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run0.log"), env);
    REQUIRE(eventually([&] { return has(slurp(dir.str("run0.log")), "retrying in"); }, 10s, 20ms));
    run.signal(SIGTERM);
    CHECK(run.wait(10s) == 0);
    CHECK(has(slurp(dir.str("run0.log")), "before streaming began"));
  }

  child_process run({bin("spillway"), "run", "--config", dir.str("c.toml")}, dir.str("run.log"), env);
  std::this_thread::sleep_for(1500ms);
  REQUIRE(run.running());
  std::string log = slurp(dir.str("run.log"));
  INFO(log.substr(0, 3000));
  CHECK(has(log, "start-up attempt 2 to obtain the app-only Bearer token failed"));
  CHECK(has(log, "retrying in 100 ms"));  // linear: 50, 100, 150 ... ms

  child_process emu({bin("spillway-emu"), "--port", std::to_string(port), "--bearer", "SECRET-cc-bearer-late",
                     "--app-key", "SECRETkey2", "--app-secret", "SECRETsecret2", "--rate", "500", "--heartbeat", "1"},
                    dir.str("emu.log"));
  const bool streaming = eventually(
      [&] {
        std::smatch m;
        const auto stats = capture(bin("spillway") + " stats --db " + dir.str("db") + " 2>/dev/null");
        return std::regex_search(stats, m, std::regex(R"("posts":(\d+))")) && std::stoull(m[1]) >= 100;
      },
      15s, 200ms);
  log = slurp(dir.str("run.log"));
  INFO(log.substr(0, 4000));
  CHECK(streaming);
  CHECK(has(log, "app-only Bearer token from client credentials"));
  run.signal(SIGTERM);
  CHECK(run.wait(30s) == 0);
  emu.signal(SIGTERM);
  CHECK(emu.wait(10s).has_value());
  const std::string all = slurp(dir.str("run0.log")) + slurp(dir.str("run.log"));
  for (const char* secret : {"SECRETkey2", "SECRETsecret2", "SECRET-cc-bearer-late"}) CHECK_FALSE(has(all, secret));
}
