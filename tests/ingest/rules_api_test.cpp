// rules_api and sync_rules against spillway-emu over a real socket: paged listing, batched posts,
// the rate-limit wait before the last request, drift and duplicates.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include <cstdlib>
#include <set>

#include "ingest/control/rules_sync.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::ingest;
using namespace spillway::testing;
using namespace std::chrono_literals;
using spillway::config::rule_spec;

namespace {

struct emulator {
  temp_dir dir{"spillway-rules-api"};
  std::unique_ptr<child_process> proc;
  std::unique_ptr<http_client> client;
  emulator() {
    proc = std::make_unique<child_process>(
        std::vector<std::string>{bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--bearer", "tok"},
        dir.str("emu.log"));
    const std::string url = wait_for_url(dir.str("url"));
    std::string error;
    auto ep = parse_base_url(url, error);
    INFO(error);
    REQUIRE(ep);
    client = std::make_unique<http_client>(*ep, "", 5000ms);
  }
};

std::vector<rule_spec> numbered(int n, const std::string& tag) {
  std::vector<rule_spec> out;
  for (int i = 0; i < n; ++i) out.push_back({"word" + std::to_string(i), tag});
  return out;
}

}  // namespace

TEST_CASE("rules api: more rules than one page, batched adds", "[ingest][rules][integration]") {
  emulator emu;
  rate_limit_tracker limits;
  rules_api api(*emu.client, limits, "tok", rules_api_options{10, 7, 60s});
  sync_report report;
  std::string error;
  REQUIRE(sync_rules(api, numbered(25, "t"), true, false, report, error));
  CHECK(report.added.size() == 25);
  CHECK(report.complete());
  // 1 GET (empty) + 4 dry-run batches of ≤7 + 4 committing batches.
  CHECK(api.requests() == 1 + 4 + 4);

  rules_api lister(*emu.client, limits, "tok", rules_api_options{10, 7, 60s});
  std::vector<live_rule> live;
  REQUIRE(lister.list(live, error));
  CHECK(live.size() == 25);
  CHECK(lister.requests() == 3);  // pages of 10, 10, 5
  std::set<std::string> values;
  for (const auto& r : live) values.insert(r.value);
  CHECK(values.size() == 25);

  // A second sync changes nothing and makes only the listing calls.
  rules_api again(*emu.client, limits, "tok", rules_api_options{10, 7, 60s});
  sync_report second;
  REQUIRE(sync_rules(again, numbered(25, "t"), true, false, second, error));
  CHECK(second.plan.in_sync());
  CHECK(again.requests() == 3);
}

TEST_CASE("rules api: waits for the reset rather than spend the last request", "[ingest][rules][integration]") {
  emulator emu;
  rate_limit_tracker limits;
  const auto now = unix_now_s();
  limits.record("GET /2/tweets/search/stream/rules", {450, 1, now + 30});
  std::vector<std::chrono::seconds> slept;
  rules_api api(*emu.client, limits, "tok", rules_api_options{}, [&](std::chrono::seconds s) { slept.push_back(s); });
  std::vector<live_rule> live;
  std::string error;
  REQUIRE(api.list(live, error));
  REQUIRE(slept.size() == 1);
  CHECK(slept[0].count() >= 29);
  CHECK(slept[0].count() <= 32);

  // Beyond max_wait it gives up with the reset time instead of sleeping.
  limits.record("GET /2/tweets/search/stream/rules", {450, 0, now + 3600});
  rules_api impatient(*emu.client, limits, "tok", rules_api_options{1000, 100, 60s}, [&](std::chrono::seconds s) { slept.push_back(s); });
  CHECK_FALSE(impatient.list(live, error));
  CHECK(error.find("UTC") != std::string::npos);
  CHECK(slept.size() == 1);
  CHECK(impatient.requests() == 0);
}

TEST_CASE("rules sync: drifted tag, duplicate kept when unmanaged rules are left alone", "[ingest][rules][integration]") {
  emulator emu;
  rate_limit_tracker limits;
  std::string error;
  {
    rules_api api(*emu.client, limits, "tok");
    sync_report r;
    REQUIRE(sync_rules(api, {{"cat", "animals"}, {"dog", ""}}, true, false, r, error));
    REQUIRE(r.added.size() == 2);
  }
  SECTION("delete_unmanaged = false: the value is live under another tag → duplicate with X's id") {
    rules_api api(*emu.client, limits, "tok");
    sync_report r;
    REQUIRE(sync_rules(api, {{"cat", "pets"}}, false, false, r, error));
    REQUIRE(r.duplicates.size() == 1);
    CHECK(r.duplicates[0].value == "cat");
    CHECK_FALSE(r.duplicates[0].id.empty());
    CHECK(r.duplicates[0].id == r.plan.left_alone[0].id);
    CHECK(r.added.empty());
    CHECK_FALSE(r.complete());
  }
  SECTION("delete_unmanaged = true: the stale rule goes first, then the declared one is added") {
    rules_api api(*emu.client, limits, "tok");
    sync_report r;
    REQUIRE(sync_rules(api, {{"cat", "pets"}}, true, false, r, error));
    CHECK(r.duplicates.empty());
    CHECK(r.deleted == 2);
    REQUIRE(r.added.size() == 1);
    CHECK(r.added[0].tag == "pets");
    std::vector<live_rule> live;
    REQUIRE(api.list(live, error));
    REQUIRE(live.size() == 1);
    CHECK(live[0].value == "cat");
    CHECK(live[0].tag == "pets");
  }
}

TEST_CASE("rules api: a wrong token is reported with cause and fix, no token echoed", "[ingest][rules][integration]") {
  emulator emu;
  rate_limit_tracker limits;
  rules_api api(*emu.client, limits, "distinctive-wrong-token-42");
  std::vector<live_rule> live;
  std::string error;
  CHECK_FALSE(api.list(live, error));
  CHECK(error.find("HTTP 401") != std::string::npos);
  CHECK(error.find("Fix:") != std::string::npos);
  CHECK(error.find("distinctive-wrong-token-42") == std::string::npos);
}

TEST_CASE("sync_rules_on_start: syncs with the run's settings, fails with the cause", "[ingest][rules][integration]") {
  emulator emu;
  spillway::config::settings s;
  s.stream.base_url = trim_end(slurp(emu.dir.str("url")));
  s.auth.bearer_token_env = "SPILLWAY_RULES_TEST_TOKEN";
  s.rules = {{"cat", "pets"}, {"from:xdevelopers", ""}};
  std::string error;
  ::setenv("SPILLWAY_RULES_TEST_TOKEN", "tok", 1);
  REQUIRE(sync_rules_on_start(s, error));
  rate_limit_tracker limits;
  rules_api api(*emu.client, limits, "tok");
  std::vector<live_rule> live;
  REQUIRE(api.list(live, error));
  CHECK(live.size() == 2);

  ::setenv("SPILLWAY_RULES_TEST_TOKEN", "wrong", 1);
  CHECK_FALSE(sync_rules_on_start(s, error));
  CHECK(error.find("stream.rules_sync_on_start") != std::string::npos);
  CHECK(error.find("HTTP 401") != std::string::npos);
  ::unsetenv("SPILLWAY_RULES_TEST_TOKEN");
  CHECK_FALSE(sync_rules_on_start(s, error));
  CHECK(error.find("SPILLWAY_RULES_TEST_TOKEN") != std::string::npos);
}

TEST_CASE("http client: a peer that never answers ends at the deadline", "[ingest][rules]") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});  // listens, never accepts
  http_client client({false, "127.0.0.1", std::to_string(silent.local_endpoint().port())}, "", 300ms);
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.send({"GET", "/2/tweets/search/stream/rules", "", "tok", false});
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r.status == 0);
  CHECK(r.error.find("within 300 ms") != std::string::npos);
  CHECK(took >= 250ms);
  CHECK(took < 3s);
}
