// `spillway rules list|diff|sync [--dry-run]` end to end: the real binary against spillway-emu over real
// sockets. Sync from empty, from drifted, with an invalid and a duplicate rule, and --dry-run changing nothing.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

// One emulator (require token "tok") and a config pointing at it; `rules` is the [[rules]] TOML text.
struct rules_env {
  temp_dir dir{"spillway-rules-e2e"};
  std::unique_ptr<emulator_process> emu;
  std::string url;
  explicit rules_env(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--bearer", "tok"};
    args.insert(args.end(), extra.begin(), extra.end());
    emu = std::make_unique<emulator_process>(dir, args);
    url = emu->url;
  }
  void config(const std::string& rules, bool delete_unmanaged = true) {
    std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\nrules_delete_unmanaged = "
                                     << (delete_unmanaged ? "true" : "false") << "\n[metrics]\nenabled = false\n"
                                     << rules;
  }
  cli_result run(std::vector<std::string> args, const std::string& token = "tok") {
    std::vector<std::string> argv{bin("spillway"), "rules"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", dir.str("c.toml")});
    return run_to_end(argv, dir.str("cli.log"), {{"X_BEARER_TOKEN", token}});
  }
};

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

const std::string kTwoRules = "[[rules]]\nvalue = \"cat has:images\"\ntag = \"cats\"\n[[rules]]\nvalue = \"from:xdevelopers\"\n";

}  // namespace

TEST_CASE("rules e2e: sync from empty, then in sync", "[integration][rules]") {
  rules_env env;
  env.config(kTwoRules);
  CHECK(env.run({"list"}).out.find("0 live rules") != std::string::npos);
  const auto diff = env.run({"diff"});
  CHECK(diff.code == 1);
  CHECK(has(diff.out, "2 to add, 0 to delete"));
  const auto sync = env.run({"sync"});
  INFO(sync.out);
  CHECK(sync.code == 0);
  CHECK(has(sync.out, "synced: 2 added, 0 deleted"));
  const auto list = env.run({"list"});
  CHECK(has(list.out, "2 live rules"));
  CHECK(has(list.out, "\"cat has:images\" tag \"cats\""));
  const auto again = env.run({"diff"});
  CHECK(again.code == 0);
  CHECK(has(again.out, "in sync"));
}

TEST_CASE("rules e2e: sync from drifted (stale rule, changed tag)", "[integration][rules]") {
  rules_env env;
  env.config("[[rules]]\nvalue = \"cat has:images\"\ntag = \"old\"\n[[rules]]\nvalue = \"stale\"\n");
  REQUIRE(env.run({"sync"}).code == 0);
  env.config(kTwoRules);
  const auto sync = env.run({"sync"});
  INFO(sync.out);
  CHECK(sync.code == 0);
  CHECK(has(sync.out, "synced: 2 added, 2 deleted"));
  const auto list = env.run({"list"});
  CHECK(has(list.out, "2 live rules"));
  CHECK(has(list.out, "tag \"cats\""));
  CHECK_FALSE(has(list.out, "stale"));
  CHECK(env.run({"diff"}).code == 0);
}

TEST_CASE("rules e2e: an invalid and a duplicate rule are reported and left out", "[integration][rules]") {
  rules_env env;
  env.config("[[rules]]\nvalue = \"dog\"\ntag = \"theirs\"\n");
  REQUIRE(env.run({"sync"}).code == 0);
  // rules_delete_unmanaged = false keeps "dog"/"theirs"; declaring "dog" with another tag is a duplicate.
  env.config(kTwoRules + "[[rules]]\nvalue = \"-cat\"\ntag = \"neg\"\n[[rules]]\nvalue = \"dog\"\ntag = \"mine\"\n",
             false);
  const auto sync = env.run({"sync"});
  INFO(sync.out);
  CHECK(sync.code == 1);
  CHECK(has(sync.out, "\"-cat\": UnprocessableEntity"));
  CHECK(has(sync.out, "Rules must contain a non-negation term"));  // X's details[]
  CHECK(has(sync.out, "\"dog\": duplicate: X already has this value as rule id"));
  CHECK(has(sync.out, "synced: 2 added, 0 deleted, 0 unchanged, 1 invalid, 1 duplicate"));
  const auto list = env.run({"list"});
  CHECK(has(list.out, "3 live rules"));  // dog/theirs + the two valid ones
  CHECK_FALSE(has(list.out, "-cat"));
}

TEST_CASE("rules e2e: --dry-run changes nothing", "[integration][rules]") {
  rules_env env;
  env.config("[[rules]]\nvalue = \"keepme\"\n");
  REQUIRE(env.run({"sync"}).code == 0);
  const auto before = env.run({"list"}).out;
  env.config(kTwoRules + "[[rules]]\nvalue = \"-bad\"\n");
  const auto dry = env.run({"sync", "--dry-run"});
  INFO(dry.out);
  CHECK(has(dry.out, "dry run: nothing changed; a sync would delete 1 and add 2; 1 invalid, 0 duplicate"));
  CHECK(dry.code == 1);  // the invalid rule needs action
  CHECK(env.run({"list"}).out == before);
}

TEST_CASE("rules e2e: after a real 429 from the rules endpoint, sync waits for the reset and succeeds",
          "[integration][rules]") {
  // One rules POST per 2 s window: the first sync spends it (and waits before its committing add); the
  // second sync, started at once, meets X's 429 on its validating add.
  rules_env env({"--limit-rules-post", "1", "--rate-window-s", "2"});
  env.config("[[rules]]\nvalue = \"cat\"\n");
  const auto first = env.run({"sync"});
  INFO(first.out);
  REQUIRE(first.code == 0);
  CHECK(has(first.out, "rate-limit window nearly spent; waiting"));
  env.config("[[rules]]\nvalue = \"cat\"\n[[rules]]\nvalue = \"dog\"\n");
  const auto start = std::chrono::steady_clock::now();
  const auto second = env.run({"sync"});
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(second.out);
  CHECK(second.code == 0);
  CHECK(has(second.out, "POST /2/tweets/search/stream/rules: X answered 429 (rate-limit window spent); waiting"));
  CHECK(has(second.out, "for the reset at "));
  CHECK(has(second.out, "synced: 1 added, 0 deleted, 1 unchanged"));
  CHECK(took >= 1s);  // it really waited (one window of 2 s, less the time already gone)
  CHECK(took < 20s);
  CHECK(has(env.run({"list"}).out, "2 live rules"));
}

TEST_CASE("rules e2e: X's refusal exits 3 and a missing token 2, from the error's code", "[integration][rules]") {
  rules_env env;
  env.config(kTwoRules);
  const auto refused = env.run({"list"}, "wrong-token-value");
  INFO(refused.out);
  CHECK(refused.code == 3);
  CHECK(has(refused.out, "HTTP 401"));
  CHECK_FALSE(has(refused.out, "wrong-token-value"));
  const auto missing = env.run({"diff"}, "");
  INFO(missing.out);
  CHECK(missing.code == 2);
  CHECK(has(missing.out, "X_BEARER_TOKEN"));
}
