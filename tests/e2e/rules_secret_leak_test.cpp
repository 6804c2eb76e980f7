// Secret-leak grep: every control-plane command (rules list/diff/sync/--dry-run, diagnose text and JSON)
// run with a distinctive token — accepted and refused, from the environment and from a file — must never
// print it, on stdout or stderr.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

TEST_CASE("secret leak: no control-plane output contains the token", "[integration][rules][diagnose]") {
  const std::string good = "SECRET-spillway-leakcheck-7f3a9c";
  const std::string bad = "SECRET-wrong-leakcheck-51e0b2";
  temp_dir dir{"spillway-leak"};
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--bearer", good,
                     "--require-rules"},
                    dir.str("emu.log"));
  REQUIRE(eventually([&] { return std::filesystem::exists(dir.str("url")); }, 10s, 20ms));
  std::string url = slurp(dir.str("url"));
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r')) url.pop_back();
  const std::string base = "[stream]\nbase_url = \"" + url + "\"\n[metrics]\nenabled = false\n";
  const std::string rules = "[[rules]]\nvalue = \"cat\"\n[[rules]]\nvalue = \"-bad\"\n";
  std::ofstream(dir.str("env.toml")) << base << rules;
  std::ofstream(dir.str("token")) << bad << "\n";
  std::filesystem::permissions(dir.str("token"), std::filesystem::perms(0600));
  std::ofstream(dir.str("file.toml")) << base << "[auth]\nbearer_token_file = \"" << dir.str("token") << "\"\n" << rules;

  const std::vector<std::vector<std::string>> commands{
      {"rules", "list"}, {"rules", "diff"}, {"rules", "sync", "--dry-run"}, {"rules", "sync"},
      {"diagnose"},      {"diagnose", "--json"}, {"config", "check"}};
  std::string all;
  int runs = 0;
  for (const auto& token : {good, bad}) {
    for (const auto& cfg : {dir.str("env.toml"), dir.str("file.toml")}) {
      for (auto args : commands) {
        if (args[0] == "config") args.push_back(cfg);
        else args.insert(args.end(), {"--config", cfg});
        std::vector<std::string> argv{bin("spillway")};
        argv.insert(argv.end(), args.begin(), args.end());
        const std::string log = dir.str("out" + std::to_string(runs++) + ".log");
        child_process p(argv, log, {{"X_BEARER_TOKEN", token}});
        REQUIRE(p.wait(30s).has_value());
        all += slurp(log);
      }
    }
  }
  CHECK(runs == 28);
  CHECK(all.find("synced:") != std::string::npos);    // the commands really ran against the emulator
  CHECK(all.find("HTTP 401") != std::string::npos);   // and the wrong token was really refused
  CHECK(all.find(good) == std::string::npos);
  CHECK(all.find(bad) == std::string::npos);
  CHECK(all.find("SECRET-") == std::string::npos);
}
