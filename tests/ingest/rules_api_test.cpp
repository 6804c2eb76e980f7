// rules_api and sync_rules against spillway-emu over a real socket: paged listing, batched posts,
// the rate-limit wait before the last request, drift and duplicates.
#include <catch2/catch.hpp>

#include "tests/ingest/result_printing.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <cstdlib>
#include <set>

#include "ingest/auth/app_token_source.hpp"
#include "ingest/control/rules_sync.hpp"
#include "tests/ingest/auth_canned_server.hpp"
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
    auto ep = parse_base_url(url);
    REQUIRE(ep);
    client = std::make_unique<http_client>(http_client::create(*ep, tls_trust{}, 5000ms).value());
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
  REQUIRE(sync_rules(api, numbered(25, "t"), true, false, report));
  CHECK(report.added.size() == 25);
  CHECK(report.complete());
  // 1 GET (empty) + 4 dry-run batches of ≤7 + 4 committing batches.
  CHECK(api.requests() == 1 + 4 + 4);

  rules_api lister(*emu.client, limits, "tok", rules_api_options{10, 7, 60s});
  std::vector<live_rule> live;
  REQUIRE(lister.list(live));
  CHECK(live.size() == 25);
  CHECK(lister.requests() == 3);  // pages of 10, 10, 5
  std::set<std::string> values;
  for (const auto& r : live) values.insert(r.value);
  CHECK(values.size() == 25);

  // A second sync changes nothing and makes only the listing calls.
  rules_api again(*emu.client, limits, "tok", rules_api_options{10, 7, 60s});
  sync_report second;
  REQUIRE(sync_rules(again, numbered(25, "t"), true, false, second));
  CHECK(second.plan.in_sync());
  CHECK(again.requests() == 3);
}

TEST_CASE("rules api: waits for the reset rather than spend the last request", "[ingest][rules][integration]") {
  emulator emu;
  rate_limit_tracker limits;
  const auto now = unix_now_s();
  limits.record("GET /2/tweets/search/stream/rules", {450, 1, now + 30});
  std::vector<std::chrono::seconds> slept;
  rules_api api(*emu.client, limits, "tok", rules_api_options{}, [&](std::chrono::seconds s) { slept.push_back(s); return true; });
  std::vector<live_rule> live;
  REQUIRE(api.list(live));
  REQUIRE(slept.size() == 1);
  CHECK(slept[0].count() >= 29);
  CHECK(slept[0].count() <= 32);

  // Beyond max_wait it gives up with the reset time instead of sleeping.
  limits.record("GET /2/tweets/search/stream/rules", {450, 0, now + 3600});
  rules_api impatient(*emu.client, limits, "tok", rules_api_options{1000, 100, 60s}, [&](std::chrono::seconds s) { slept.push_back(s); return true; });
  const auto spent = impatient.list(live);
  REQUIRE_FALSE(spent);
  CHECK(spent.error().is(spillway::common::errc::rate_limited));
  CHECK(spent.error().message.find("UTC") != std::string::npos);
  CHECK(slept.size() == 1);
  CHECK(impatient.requests() == 0);
}

TEST_CASE("rules sync: drifted tag, duplicate kept when unmanaged rules are left alone", "[ingest][rules][integration]") {
  emulator emu;
  rate_limit_tracker limits;
  {
    rules_api api(*emu.client, limits, "tok");
    sync_report r;
    REQUIRE(sync_rules(api, {{"cat", "animals"}, {"dog", ""}}, true, false, r));
    REQUIRE(r.added.size() == 2);
  }
  SECTION("delete_unmanaged = false: the value is live under another tag → duplicate with X's id") {
    rules_api api(*emu.client, limits, "tok");
    sync_report r;
    REQUIRE(sync_rules(api, {{"cat", "pets"}}, false, false, r));
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
    REQUIRE(sync_rules(api, {{"cat", "pets"}}, true, false, r));
    CHECK(r.duplicates.empty());
    CHECK(r.deleted == 2);
    REQUIRE(r.added.size() == 1);
    CHECK(r.added[0].tag == "pets");
    std::vector<live_rule> live;
    REQUIRE(api.list(live));
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
  const auto refused = api.list(live);
  REQUIRE_FALSE(refused);
  const std::string error = refused.error().message;
  CHECK(error.find("HTTP 401") != std::string::npos);
  CHECK(error.find("Fix:") != std::string::npos);
  CHECK(error.find("distinctive-wrong-token-42") == std::string::npos);
  // The code, not the message, says "refused": `spillway rules` exits 3 from it.
  CHECK(refused.error().is(spillway::common::errc::refused));
  CHECK(spillway::common::exit_code_for(refused.error()) == spillway::common::exit_code::refused);
}

TEST_CASE("sync_rules_on_start: syncs with the run's settings, fails with the cause", "[ingest][rules][integration]") {
  emulator emu;
  spillway::config::settings s;
  s.stream.base_url = trim_end(slurp(emu.dir.str("url")));
  s.auth.bearer_token_env = "SPILLWAY_RULES_TEST_TOKEN";
  s.rules = {{"cat", "pets"}, {"from:xdevelopers", ""}};
  // What `run` does (app/service): the token from the app token source, then the sync with it.
  const auto sync_on_start = [&]() -> spillway::common::result<void> {
    rate_limit_tracker limits;
    auth::app_token_source app(s, &limits);
    const auto bearer = app.token();
    if (!bearer) return bearer.error();
    return sync_rules_on_start(s, *bearer, limits);
  };
  ::setenv("SPILLWAY_RULES_TEST_TOKEN", "tok", 1);
  REQUIRE(sync_on_start());
  rate_limit_tracker limits;
  rules_api api(*emu.client, limits, "tok");
  std::vector<live_rule> live;
  REQUIRE(api.list(live));
  CHECK(live.size() == 2);

  ::setenv("SPILLWAY_RULES_TEST_TOKEN", "wrong", 1);
  const auto refused = sync_on_start();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("stream.rules_sync_on_start") != std::string::npos);
  CHECK(refused.error().message.find("HTTP 401") != std::string::npos);
  CHECK(refused.error().is(spillway::common::errc::refused));
  ::unsetenv("SPILLWAY_RULES_TEST_TOKEN");
  const auto no_token = sync_on_start();
  REQUIRE_FALSE(no_token);
  CHECK(no_token.error().message.find("SPILLWAY_RULES_TEST_TOKEN") != std::string::npos);
}

// Regression: X's next_token went into the next request's target unencoded, so a token holding CR LF
// ended the request line and added a header of its own.
TEST_CASE("rules api: the pagination token is percent-encoded into the next request", "[ingest][rules]") {
  using spillway::testing::auth_canned_server;
  auth_canned_server server(
      {auth_canned_server::json(
           200, R"({"data":[{"id":"1","value":"cat"}],"meta":{"result_count":1,"next_token":"abc\r\nX-Injected: 1"}})"),
       auth_canned_server::json(200, R"({"data":[{"id":"2","value":"dog"}],"meta":{"result_count":1}})")});
  auto client = http_client::create(endpoint{false, "127.0.0.1", server.port()}, tls_trust{}, 5000ms).value();
  rate_limit_tracker limits;
  rules_api api(client, limits, "tok");
  std::vector<live_rule> live;
  REQUIRE(api.list(live));
  CHECK(live.size() == 2);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  INFO(requests[1]);
  CHECK(requests[1].find("GET /2/tweets/search/stream/rules?max_results=1000&pagination_token=abc%0D%0AX-Injected%3A%201 "
                         "HTTP/1.1\r\n") == 0);
  CHECK(requests[1].find("\r\nX-Injected") == std::string::npos);
}

TEST_CASE("http client: a peer that never answers ends at the deadline", "[ingest][rules]") {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});  // listens, never accepts
  auto client = http_client::create({false, "127.0.0.1", std::to_string(silent.local_endpoint().port())}, tls_trust{}, 300ms).value();
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.send({"GET", "/2/tweets/search/stream/rules", "", "tok", false});
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r);  // no status line: an error, not an answer
  CHECK(r.error().is(spillway::common::errc::network));
  CHECK(r.error().message.find("within 300 ms") != std::string::npos);
  CHECK(took >= 250ms);
  CHECK(took < 3s);
}
