// Issue 10 item 5: `diagnose` prints the user's name from GET /2/users/me; a server's name with a newline
// forged a report line and an escape sequence reached the operator's terminal. It is escaped and capped.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ingest/auth/token_endpoint.hpp"
#include "ingest/control/diagnose.hpp"
#include "tests/support/hostile_server.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using namespace std::chrono_literals;
using spillway::testing::hostile_server;

namespace {

std::string json_answer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("diagnose: the user name from /2/users/me is escaped and capped", "[ingest][diagnose][hostile]") {
  const std::string name = "evil\\n2026-01-01 [info] all good\\u001b[2J" + std::string(500, 'n');
  hostile_server server([&](hostile_server::connection& c, const std::string& request, int) {
    if (request.rfind("GET /2/users/me", 0) == 0)
      (void)c.write(json_answer(R"({"data":{"id":"1","username":")" + name + "\"}}"));
    else if (request.rfind("GET /2/tweets/search/stream/rules", 0) == 0)
      (void)c.write(json_answer(R"({"data":[{"id":"1","value":"cat"}],"meta":{"result_count":1}})"));
    else
      (void)c.write("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
  });
  testing::temp_dir dir{"spillway-diagnose-name"};
  config::settings s;
  s.stream.base_url = "http://127.0.0.1:" + server.port();
  s.auth.bearer_token_env = "SPILLWAY_DIAGNOSE_NAME_TEST_TOKEN";
  ::setenv("SPILLWAY_DIAGNOSE_NAME_TEST_TOKEN", "tok", 1);
  s.auth.user_token_file = dir.str("user.json");
  std::ofstream(s.auth.user_token_file) << ingest::auth::serialize_user_tokens({"UA", "UR", 4'000'000'000});
  std::filesystem::permissions(s.auth.user_token_file, std::filesystem::perms(0600));
  const auto report = ingest::run_diagnose(s, 5000ms, true);
  ::unsetenv("SPILLWAY_DIAGNOSE_NAME_TEST_TOKEN");
  const ingest::finding* user = nullptr;
  for (const auto& f : report.findings)
    if (f.check == "user_token") user = &f;
  REQUIRE(user != nullptr);
  INFO(user->summary);
  CHECK(user->level == ingest::finding_level::ok);
  CHECK(user->summary.find(R"( as @evil\x0a2026-01-01 [info] all good\x1b[2J)") != std::string::npos);
  CHECK(user->summary.find_first_of(std::string("\n\r\x1b", 3)) == std::string::npos);
  CHECK(user->summary.find("bytes)") != std::string::npos);  // capped, with the length it had
  CHECK(user->summary.size() < 300);
  const auto text = ingest::render_diagnose_text(report);
  CHECK(text.find('\x1b') == std::string::npos);
}
