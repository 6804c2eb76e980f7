// --access levels: what free/basic, pro/payg and enterprise allow on the filtered stream (403s,
// concurrent streams, rule caps, backfill), and the flag's parsing in the real binary.
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <thread>

#include "bench/emu/emu_server.hpp"
#include "bench/emu/form_codec.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::http_request;
using test::post_lines;
using test::read_response;
using test::Response;
using test::TestClient;

namespace {

const std::string kAuth = "Authorization: Bearer t\r\n";

EmuConfig level_config(std::optional<AccessLevel> level) {
  EmuConfig c;
  c.pool_size = 32;
  c.bearer = "t";
  c.access = level;
  c.heartbeat_s = 0.05;
  return c;
}

using test::parse_json;

// The statuses of n stream connects held open at once (each until all n have answered).
std::vector<int> concurrent_streams(std::uint16_t port, int n) {
  std::vector<std::unique_ptr<TestClient>> held;
  std::vector<int> statuses;
  for (int i = 0; i < n; ++i) {
    held.push_back(std::make_unique<TestClient>(port));
    held.back()->get("/2/tweets/search/stream", "t");
    statuses.push_back(test::read_status(*held.back()));
  }
  return statuses;
}

Response post_rule(std::uint16_t port, std::size_t length) {
  return http_request(port, "POST", "/2/tweets/search/stream/rules", kAuth + "Content-Type: application/json\r\n",
                      R"({"add":[{"value":")" + std::string(length, 'a') + R"("}]})");
}

void check_caps(std::uint16_t port, std::size_t rules, std::size_t length) {
  auto counts = parse_json(http_request(port, "GET", "/2/tweets/search/stream/rules/counts", kAuth).raw_body);
  CHECK(counts["data"]["cap_per_client_app"].GetUint64() == rules);
  CHECK(counts["data"]["cap_per_project"].GetUint64() == rules);
  CHECK(post_rule(port, length).status == 201);
  auto too_long = parse_json(post_rule(port, length + 1).raw_body);
  CHECK(std::string(too_long["errors"][0]["title"].GetString()) == "RuleLengthExceeded");
}

// --count 5 goes out on a first connection; a second one asks for backfill. Returns its Post lines.
std::size_t backfilled_posts(std::optional<AccessLevel> level) {
  auto cfg = level_config(level);
  cfg.count = 5;
  EmuServer server(cfg);
  server.start_thread();
  TestClient first(server.port());
  first.get("/2/tweets/search/stream", "t");
  const auto r1 = read_response(first, [](const Response& r) { return r.chunks.done(); });
  REQUIRE(post_lines(r1) == 5);
  TestClient second(server.port());
  second.get("/2/tweets/search/stream?backfill_minutes=2", "t");
  // Heartbeats every 50 ms: ~10 of them is plenty of time for a replay to show up.
  const auto r2 = read_response(second, [](const Response& r) { return r.chunks.body().size() > 5 * 300 + 20; }, 0.5);
  CHECK(r2.status == 200);
  return post_lines(r2);
}

}  // namespace

TEST_CASE("free and basic: stream and rules endpoints answer 403 client-forbidden", "[bench][integration][access]") {
  for (auto level : {AccessLevel::free, AccessLevel::basic}) {
    EmuServer server(level_config(level));
    server.start_thread();
    INFO(kAccessLevelNames[std::size_t(level)]);
    for (const auto& [method, path] : {std::pair{"GET", "/2/tweets/search/stream"},
                                       {"GET", "/2/tweets/search/stream/rules"},
                                       {"POST", "/2/tweets/search/stream/rules"},
                                       {"GET", "/2/tweets/search/stream/rules/counts"}}) {
      INFO(method << " " << path);
      auto r = http_request(server.port(), method, path, kAuth, std::string(method) == "POST" ? R"({"add":[]})" : "");
      CHECK(r.status == 403);
      CHECK(r.headers["content-type"] == "application/problem+json");
      // X's captured client-forbidden body, naming the access level needed instead of enrollment.
      auto body = parse_json(r.raw_body);
      auto sample = parse_json(test::testdata("error_403_client_forbidden.json"));
      CHECK(std::string(body["required_enrollment"].GetString()) == "Appropriate Level of API Access");
      sample["required_enrollment"].SetString("Appropriate Level of API Access");
      CHECK(body == sample);
    }
    // A wrong token is still 401 first, and the status page needs no level.
    CHECK(http_request(server.port(), "GET", "/2/tweets/search/stream", "Authorization: Bearer x\r\n").status == 401);
    CHECK(http_request(server.port(), "GET", "/api/v2/status.json").status == 200);
  }
}

TEST_CASE("pro and payg: 1 stream, 1,000 rules of 1,024 chars, backfill ignored", "[bench][integration][access]") {
  for (auto level : {AccessLevel::pro, AccessLevel::payg}) {
    INFO(kAccessLevelNames[std::size_t(level)]);
    {
      EmuServer server(level_config(level));
      server.start_thread();
      CHECK(concurrent_streams(server.port(), 2) == std::vector<int>{200, 429});
      check_caps(server.port(), 1000, 1024);
    }
    CHECK(backfilled_posts(level) == 0);
  }
}

TEST_CASE("enterprise: 2 streams, 25,000 rules of 2,048 chars, backfill honoured", "[bench][integration][access]") {
  {
    EmuServer server(level_config(AccessLevel::enterprise));
    server.start_thread();
    CHECK(concurrent_streams(server.port(), 3) == std::vector<int>{200, 200, 429});
    check_caps(server.port(), 25000, 2048);
  }
  CHECK(backfilled_posts(AccessLevel::enterprise) == 5);
  // An explicit --max-connections wins over the level's 2.
  auto cfg = level_config(AccessLevel::enterprise);
  cfg.max_connections = 1;
  EmuServer server(cfg);
  server.start_thread();
  CHECK(concurrent_streams(server.port(), 2) == std::vector<int>{200, 429});
}

TEST_CASE("no --access: the historical defaults", "[bench][integration][access]") {
  {
    EmuServer server(level_config(std::nullopt));
    server.start_thread();
    CHECK(concurrent_streams(server.port(), 2) == std::vector<int>{200, 429});
    check_caps(server.port(), 1000, 1024);
  }
  CHECK(backfilled_posts(std::nullopt) == 5);
}

namespace {

// Runs the real binary with stderr captured; returns its exit status (-1: still running after max_s,
// then killed by its pid).
int run_emu(std::vector<std::string> args, const std::string& stderr_path, double max_s) {
  args.insert(args.begin(), std::string(SPILLWAY_BIN_DIR) + "/spillway-emu");
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!::freopen("/dev/null", "w", stdout) || !::freopen(stderr_path.c_str(), "w", stderr)) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return -1;
}

}  // namespace

TEST_CASE("spillway-emu --access bogus: non-zero exit naming the flag and its values", "[bench][integration][access]") {
  const std::string err = test::temp_path("access-bogus.err");
  const int rc = run_emu({"--port", "0", "--access", "bogus"}, err, 10);
  CHECK(rc > 0);
  const std::string text = test::slurp(err);
  INFO(text);
  CHECK(text.find("--access") != std::string::npos);
  for (const char* level : {"free", "basic", "pro", "payg", "enterprise"}) CHECK(text.find(level) != std::string::npos);
  CHECK(run_emu({"--port", "0", "--status", "bogus"}, err, 10) > 0);
  CHECK(test::slurp(err).find("--status") != std::string::npos);
}

TEST_CASE("spillway-emu: the new flags reach the server", "[bench][integration][access]") {
  const std::string ready = test::temp_path("flags.url");
  std::filesystem::remove(ready);
  std::vector<std::string> args = {std::string(SPILLWAY_BIN_DIR) + "/spillway-emu", "--port", "0", "--ready-file", ready,
                                   "--bearer", "t", "--access", "enterprise", "--status", "major", "--app-key", "k",
                                   "--app-secret", "s", "--user-client-id", "c", "--user-refresh-token", "r0",
                                   "--rate-window-s", "30", "--limit-users-me", "3", "--rate", "10",
                                   "--slow-reader-bytes", "65536"};
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (!::freopen("/dev/null", "w", stdout)) ::_exit(126);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      ::kill(pid, SIGTERM);
      ::waitpid(pid, nullptr, 0);
    }
  } reaper{pid};
  std::string url;
  for (int i = 0; i < 500 && url.empty(); ++i) {
    std::ifstream f(ready);
    if (!(f && std::getline(f, url))) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
  const auto port = std::uint16_t(std::stoi(url.substr(url.rfind(':') + 1)));
  CHECK(http_request(port, "GET", "/api/v2/status.json").raw_body.find(R"("indicator":"major")") != std::string::npos);
  auto counts = parse_json(http_request(port, "GET", "/2/tweets/search/stream/rules/counts", kAuth).raw_body);
  CHECK(counts["data"]["cap_per_client_app"].GetUint64() == 25000);
  const std::string form = "Content-Type: application/x-www-form-urlencoded\r\n";
  auto r = http_request(port, "POST", "/oauth2/token", "Authorization: Basic " + base64_encode("k:s") + "\r\n" + form,
                        "grant_type=client_credentials");
  CHECK(r.raw_body == R"({"token_type":"bearer","access_token":"t"})");
  r = http_request(port, "POST", "/2/oauth2/token", form, "grant_type=refresh_token&refresh_token=r0&client_id=c");
  CHECK(r.status == 200);
  r = http_request(port, "GET", "/2/users/me", kAuth);
  CHECK(r.headers["x-rate-limit-limit"] == "3");
  const auto reset = std::stoll(r.headers["x-rate-limit-reset"]);
  CHECK(reset > test::unix_now_s() + 25);
  CHECK(reset <= test::unix_now_s() + 31);
}
