// Secret-leak grep: every control-plane command (rules list/diff/sync/--dry-run, diagnose text and JSON)
// run with a distinctive token — accepted and refused, from the environment and from a file, logging as
// text and as JSON — must never print it, on stdout or stderr.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

TEST_CASE("secret leak: no control-plane output contains the token", "[integration][rules][diagnose]") {
  const std::string good = "SECRET-spillway-leakcheck-7f3a9c";
  const std::string bad = "SECRET-wrong-leakcheck-51e0b2";
  temp_dir dir{"spillway-leak"};
  emulator_process emu(dir, {"--bearer", good, "--require-rules"});
  const std::string& url = emu.url;
  const std::string base = "[stream]\nbase_url = \"" + url + "\"\n[diagnose]\nstatus_url = \"\"\n[metrics]\nenabled = false\n";
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
        // The file-token runs log as JSON (structured fields are logged too and must not leak either).
        std::vector<std::pair<std::string, std::string>> env{{"X_BEARER_TOKEN", token}};
        if (cfg == dir.str("file.toml")) env.emplace_back("SPILLWAY_LOG_FORMAT", "json");
        child_process p(argv, log, env);
        REQUIRE(p.wait(30s).has_value());
        all += slurp(log);
      }
    }
  }
  CHECK(runs == 28);
  CHECK(all.find("synced:") != std::string::npos);    // the commands really ran against the emulator
  CHECK(all.find("HTTP 401") != std::string::npos);   // and the wrong token was really refused
  CHECK(all.find("{\"ts\":\"") != std::string::npos);  // and some runs really logged JSON
  CHECK(all.find(good) == std::string::npos);
  CHECK(all.find(bad) == std::string::npos);
  CHECK(all.find("SECRET-") == std::string::npos);
}

TEST_CASE("secret leak: app key/secret, client-credentials Bearer, user access and refresh tokens never appear",
          "[integration][rules][diagnose][auth]") {
  const std::string bearer = "SECRET-cc-bearer-leakcheck-19ad";
  const std::string key = "SECRETappkeyleak4c";
  const std::string secret = "SECRETappsecretleak8e";
  const std::string refresh0 = "SECRET-user-refresh-leakcheck-0";
  temp_dir dir{"spillway-leak-auth"};
  emulator_process emu(dir, {"--bearer", bearer, "--app-key", key, "--app-secret", secret, "--user-client-id",
                             "leak-client", "--user-refresh-token", refresh0, "--user-refresh-token-file",
                             dir.str("issued.txt"), "--max-connections", "0", "--status", "major"});
  const std::string& url = emu.url;
  const std::string store = dir.str("user.json");
  std::ofstream(store) << "{\"access_token\":\"\",\"refresh_token\":\"" << refresh0 << "\",\"expires_at\":0}";
  std::filesystem::permissions(store, std::filesystem::perms(0600));
  std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\n[auth]\napp_key_env = \"LEAK_K\"\n"
                                   << "app_secret_env = \"LEAK_S\"\nuser_token_file = \"" << store
                                   << "\"\nuser_client_id = \"leak-client\"\n[diagnose]\nstatus_url = \"" << url
                                   << "/api/v2/status.json\"\n[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
  const std::vector<std::vector<std::string>> commands{
      {"auth", "status"}, {"auth", "refresh"}, {"rules", "sync"}, {"rules", "list"}, {"diagnose"},
      {"diagnose", "--json"}, {"auth", "refresh"}, {"auth", "status"}, {"config", "check"}};
  std::string all;
  std::vector<std::string> secrets{bearer, key, secret, refresh0};
  int runs = 0;
  for (const auto& key_value : {key, std::string("wrong-key")}) {
    for (auto args : commands) {
      if (args[0] == "config") args.push_back(dir.str("c.toml"));
      else args.insert(args.end(), {"--config", dir.str("c.toml")});
      std::vector<std::string> argv{bin("spillway")};
      argv.insert(argv.end(), args.begin(), args.end());
      const std::string log = dir.str("auth" + std::to_string(runs++) + ".log");
      // The wrong-key runs log as JSON.
      std::vector<std::pair<std::string, std::string>> env{{"LEAK_K", key_value}, {"LEAK_S", secret}, {"X_BEARER_TOKEN", ""}};
      if (key_value != key) env.emplace_back("SPILLWAY_LOG_FORMAT", "json");
      child_process p(argv, log, env);
      REQUIRE(p.wait(30s).has_value());
      all += slurp(log);
      // Every token the store has held so far is a secret too.
      const std::string stored = slurp(store);
      for (const char* name : {"\"access_token\":\"", "\"refresh_token\":\""}) {
        const auto at = stored.find(name);
        if (at == std::string::npos) continue;
        const auto from = at + std::string(name).size();
        const auto value = stored.substr(from, stored.find('"', from) - from);
        if (!value.empty()) secrets.push_back(value);
      }
    }
  }
  CHECK(runs == 18);
  CHECK(all.find("user token refreshed") != std::string::npos);        // the flows really ran
  CHECK(all.find("synced:") != std::string::npos);
  CHECK(all.find("Unable to verify your credentials") != std::string::npos);  // and the wrong key was refused
  CHECK(all.find("Partial System Outage") != std::string::npos);
  CHECK(secrets.size() > 6);
  for (const auto& s : secrets) {
    INFO(s);
    CHECK(all.find(s) == std::string::npos);
  }
  CHECK(all.find("SECRET") == std::string::npos);
}
