// The `spillway` binary's start-up failures: each is one clear message naming the problem and the fix,
// with exit code 2 (config/usage) or 3 (X refused access); no crash, no secret in the output.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {
struct outcome {
  int code;
  std::string log;
};

outcome run_spillway(const temp_dir& dir, const std::vector<std::string>& args,
                     const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> argv{bin("spillway")};
  argv.insert(argv.end(), args.begin(), args.end());
  child_process p(argv, dir.str("out.log"), env);
  const auto code = p.wait(60s);
  REQUIRE(code.has_value());
  return {*code, slurp(dir.str("out.log"))};
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
}  // namespace

TEST_CASE("cli: unreadable config names the path and the fix", "[integration][cli]") {
  temp_dir dir;
  const auto r = run_spillway(dir, {"run", "--config", dir.str("missing.toml")}, {{"X_BEARER_TOKEN", "t"}});
  CHECK(r.code == 2);
  CHECK(r.log.find(dir.str("missing.toml")) != std::string::npos);
}

TEST_CASE("cli: a bad config key names the key and the line", "[integration][cli]") {
  temp_dir dir;
  write(dir.str("bad.toml"), "[stream]\nbase_url = \"https://api.x.com\"\nmax_line_byte = 10\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("bad.toml")}, {{"X_BEARER_TOKEN", "t"}});
  CHECK(r.code == 2);
  CHECK(r.log.find("bad.toml:3") != std::string::npos);
  CHECK(r.log.find("max_line_bytes") != std::string::npos);  // the "did you mean"
}

TEST_CASE("cli: a missing token says which variable to set", "[integration][cli]") {
  temp_dir dir;
  write(dir.str("ok.toml"), "[sinks.rocksdb]\npath = \"" + dir.str("db") + "\"\n[metrics]\nenabled = false\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("ok.toml")}, {{"X_BEARER_TOKEN", ""}});
  CHECK(r.code == 2);
  CHECK(r.log.find("X_BEARER_TOKEN") != std::string::npos);
  CHECK(r.log.find("Bearer token") != std::string::npos);
}

TEST_CASE("cli: a token file readable by others is refused with the chmod fix", "[integration][cli]") {
  temp_dir dir;
  write(dir.str("token"), "file-secret-value\n");
  std::filesystem::permissions(dir.str("token"), std::filesystem::perms(0644));
  write(dir.str("ok.toml"), "[auth]\nbearer_token_file = \"" + dir.str("token") + "\"\n[sinks.rocksdb]\npath = \"" +
                                dir.str("db") + "\"\n[metrics]\nenabled = false\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("ok.toml")}, {});
  CHECK(r.code == 2);
  CHECK(r.log.find("chmod 600") != std::string::npos);
  CHECK(r.log.find("file-secret-value") == std::string::npos);
}

TEST_CASE("cli: a wrong token gets X's 401 and stops with exit code 3", "[integration][cli]") {
  temp_dir dir;
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--bearer", "right-token"},
                    dir.str("emu.log"));
  REQUIRE(eventually([&] { return !slurp(dir.str("url")).empty(); }, 10s));
  std::string url = slurp(dir.str("url"));
  while (!url.empty() && url.back() == '\n') url.pop_back();
  write(dir.str("c.toml"), "[stream]\nbase_url = \"" + url + "\"\n[sinks.rocksdb]\npath = \"" + dir.str("db") +
                               "\"\n[metrics]\nenabled = false\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("c.toml")}, {{"X_BEARER_TOKEN", "wrong-token-value"}});
  CHECK(r.code == 3);
  CHECK(r.log.find("401") != std::string::npos);
  CHECK(r.log.find("X_BEARER_TOKEN") != std::string::npos);
  CHECK(r.log.find("wrong-token-value") == std::string::npos);
}
