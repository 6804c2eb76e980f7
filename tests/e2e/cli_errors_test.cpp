// The `spillway` binary's start-up failures: each is one clear message naming the problem and the fix,
// with exit code 2 (config/usage) or 3 (X refused access); no crash, no secret in the output.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {
cli_result run_spillway(const temp_dir& dir, const std::vector<std::string>& args,
                        const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> argv{bin("spillway")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_end(argv, dir.str("out.log"), env, 60s);
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
}  // namespace

TEST_CASE("cli: unreadable config names the path and the fix", "[integration][cli]") {
  temp_dir dir;
  const auto r = run_spillway(dir, {"run", "--config", dir.str("missing.toml")}, {{"X_BEARER_TOKEN", "t"}});
  CHECK(r.code == 2);
  CHECK(r.out.find(dir.str("missing.toml")) != std::string::npos);
}

TEST_CASE("cli: a bad config key names the key and the line", "[integration][cli]") {
  temp_dir dir;
  write(dir.str("bad.toml"), "[stream]\nbase_url = \"https://api.x.com\"\nmax_line_byte = 10\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("bad.toml")}, {{"X_BEARER_TOKEN", "t"}});
  CHECK(r.code == 2);
  CHECK(r.out.find("bad.toml:3") != std::string::npos);
  CHECK(r.out.find("max_line_bytes") != std::string::npos);  // the "did you mean"
}

TEST_CASE("cli: a missing token says which variable to set", "[integration][cli]") {
  temp_dir dir;
  write(dir.str("ok.toml"), "[sinks.rocksdb]\npath = \"" + dir.str("db") + "\"\n[metrics]\nenabled = false\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("ok.toml")}, {{"X_BEARER_TOKEN", ""}});
  CHECK(r.code == 2);
  CHECK(r.out.find("X_BEARER_TOKEN") != std::string::npos);
  CHECK(r.out.find("Bearer token") != std::string::npos);
}

TEST_CASE("cli: a token file readable by others is refused with the chmod fix", "[integration][cli]") {
  temp_dir dir;
  write(dir.str("token"), "file-secret-value\n");
  std::filesystem::permissions(dir.str("token"), std::filesystem::perms(0644));
  write(dir.str("ok.toml"), "[auth]\nbearer_token_file = \"" + dir.str("token") + "\"\n[sinks.rocksdb]\npath = \"" +
                                dir.str("db") + "\"\n[metrics]\nenabled = false\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("ok.toml")}, {});
  CHECK(r.code == 2);
  CHECK(r.out.find("chmod 600") != std::string::npos);
  CHECK(r.out.find("file-secret-value") == std::string::npos);
}

TEST_CASE("cli: a wrong token gets X's 401 and stops with exit code 3", "[integration][cli]") {
  temp_dir dir;
  emulator_process emu(dir, {"--bearer", "right-token"});
  const std::string& url = emu.url;
  write(dir.str("c.toml"), "[stream]\nbase_url = \"" + url + "\"\n[sinks.rocksdb]\npath = \"" + dir.str("db") +
                               "\"\n[metrics]\nenabled = false\n");
  const auto r = run_spillway(dir, {"run", "--config", dir.str("c.toml")}, {{"X_BEARER_TOKEN", "wrong-token-value"}});
  CHECK(r.code == 3);
  CHECK(r.out.find("401") != std::string::npos);
  CHECK(r.out.find("X_BEARER_TOKEN") != std::string::npos);
  CHECK(r.out.find("wrong-token-value") == std::string::npos);
}
