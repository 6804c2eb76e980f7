// The emulator's Connections API and usage endpoint (bench/emu/connections_endpoints, connection_table,
// usage_meter) over real sockets: a listed stream is killed by uuid, by endpoint and by "all", its client
// sees the stream end and the next connect gets the freed slot at once; a client-dropped stream lingers as
// active and is killable; DELETE /2/connections/all is limited per window; usage counts the Posts streamed,
// ends the stream at the cap and refuses connects with X's UsageCapExceeded body.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <cerrno>
#include <thread>

#include "bench/emu/connection_table.hpp"
#include "bench/emu/emu_server.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using namespace std::chrono_literals;
using test::http_request;
using test::read_response;
using test::Response;
using test::TestClient;

namespace {

EmuConfig base_config() {
  EmuConfig cfg;
  cfg.seed = 3;
  cfg.pool_size = 64;
  cfg.bearer = "t";
  cfg.rate = 200;
  cfg.heartbeat_s = 0.2;
  cfg.max_connections = 1;
  cfg.reap_ms = 60'000;  // a dropped client's slot would linger for the whole test
  return cfg;
}

const std::string kAuth = "Authorization: Bearer t\r\n";

rapidjson::Document json(const Response& r) {
  rapidjson::Document d;
  d.Parse(r.raw_body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

// An open stream: a client that connected and read the 200 head and some Posts.
std::unique_ptr<TestClient> open_stream(std::uint16_t port) {
  auto c = std::make_unique<TestClient>(port, "", 5);
  c->get("/2/tweets/search/stream", "t");
  const auto r = read_response(*c, [](const Response& x) { return x.status != 0 && !x.chunks.body().empty(); });
  REQUIRE(r.status == 200);
  return c;
}

// Reads until the server ends the stream (clean end or close); true when it did within max_s.
bool stream_ends(TestClient& c, double max_s = 5) {
  char buf[65536];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const long n = c.read_some(buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;  // reset counts as ended; a timeout does not
  }
  return false;
}

std::vector<std::string> ids(const rapidjson::Document& d) {
  std::vector<std::string> out;
  if (!d.HasMember("data")) return out;
  for (const auto& c : d["data"].GetArray()) out.emplace_back(c["id"].GetString());
  return out;
}

int connect_status(std::uint16_t port) {
  TestClient c(port);
  c.get("/2/tweets/search/stream", "t");
  return test::read_status(c);
}

}  // namespace

TEST_CASE("connection table: open, close, linger, kill, and only closed entries are trimmed", "[bench][connections]") {
  ConnectionTable t(7, 2);
  int killed = 0;
  const std::string a = t.open(1, "filtered_stream", "127.0.0.1", 1000, [&] { ++killed; });
  const std::string b = t.open(2, "filtered_stream", "127.0.0.1", 1100, [&] { ++killed; });
  CHECK(a.size() == 36);
  CHECK(a != b);
  CHECK(a == ConnectionTable(7).open(1, "x", "", 0, {}));  // deterministic from the seed and number
  CHECK(t.list(ConnectionTable::Filter::active, 1200).size() == 2);
  t.close(2, "client_closed", 1200, 3000);  // dropped by the client: still active until 4200
  CHECK(t.active_uuids(4199).size() == 2);
  CHECK(t.active_uuids(4200).size() == 1);
  std::vector<std::uint64_t> forgotten;
  CHECK(t.kill(b, 2000, [&](std::uint64_t no) { forgotten.push_back(no); }) == ConnectionTable::KillResult::killed);
  CHECK(forgotten == std::vector<std::uint64_t>{2});
  CHECK(killed == 0);  // a lingering one has no session left to close
  CHECK(t.kill(b, 2000, [](std::uint64_t) {}) == ConnectionTable::KillResult::not_active);
  CHECK(t.kill("nope", 2000, [](std::uint64_t) {}) == ConnectionTable::KillResult::not_found);
  CHECK(t.kill(a, 2000, [](std::uint64_t) {}) == ConnectionTable::KillResult::killed);
  CHECK(killed == 1);
  for (std::uint64_t no = 3; no < 8; ++no) {
    t.open(no, "filtered_stream", "", 3000, {});
    t.close(no, "closed", 3000, 0);
  }
  CHECK(t.list(ConnectionTable::Filter::inactive, 5000).size() == 2);  // keep_closed
  CHECK(t.list(ConnectionTable::Filter::active, 5000).size() == 1);    // `a`: its session never closed it
}

TEST_CASE("connections API: list, kill by uuid frees the only slot at once, then inactive with its reason",
          "[bench][connections]") {
  EmuServer server(base_config());
  server.start_thread();
  const auto port = server.port();
  auto holder = open_stream(port);
  CHECK(connect_status(port) == 429);  // the only slot is taken

  const auto listed = http_request(port, "GET", "/2/connections?connection.fields=client_ip,connected_at,endpoint_name,disconnect_reason", kAuth);
  REQUIRE(listed.status == 200);
  const auto d = json(listed);
  REQUIRE(ids(d).size() == 1);
  CHECK(d["meta"]["result_count"].GetInt() == 1);
  const auto& c = d["data"][0];
  CHECK(std::string(c["endpoint_name"].GetString()) == "filtered_stream");
  CHECK(std::string(c["client_ip"].GetString()) == "127.0.0.1");
  CHECK(std::string(c["connected_at"].GetString()).ends_with("Z"));
  CHECK_FALSE(c.HasMember("disconnect_reason"));
  const std::string uuid = ids(d)[0];

  const auto killed = http_request(port, "DELETE", "/2/connections", kAuth + "Content-Type: application/json\r\n",
                                   R"({"uuids":[")" + uuid + R"(","not-a-connection"]})");
  REQUIRE(killed.status == 200);
  const auto k = json(killed);
  CHECK(k["data"]["successful_kills"].GetInt() == 1);
  CHECK(k["data"]["failed_kills"].GetInt() == 1);
  CHECK(k["data"]["results"][0]["success"].GetBool());
  CHECK(std::string(k["data"]["results"][1]["error_message"].GetString()) == "Connection not found");
  CHECK(stream_ends(*holder));
  CHECK(connect_status(port) == 200);  // no reap wait: a killed connection's slot is free

  const auto inactive = json(http_request(port, "GET", "/2/connections?status=inactive&connection.fields=disconnect_reason,disconnected_at", kAuth));
  REQUIRE(ids(inactive).size() >= 1);
  CHECK(std::string(inactive["data"][0]["id"].GetString()) == uuid);
  CHECK(std::string(inactive["data"][0]["disconnect_reason"].GetString()) == "killed");
  CHECK(inactive["data"][0].HasMember("disconnected_at"));
  CHECK(http_request(port, "GET", "/2/connections?status=bogus", kAuth).status == 400);
  CHECK(http_request(port, "GET", "/2/connections").status == 401);  // Bearer required like every X call
  CHECK(http_request(port, "DELETE", "/2/connections", kAuth, R"({"ids":[]})").status == 400);
  CHECK(http_request(port, "DELETE", "/2/connections/not_an_endpoint", kAuth).status == 400);
  server.stop();
}

TEST_CASE("connections API: a client-dropped stream stays active while X counts it - kill by endpoint frees it",
          "[bench][connections]") {
  EmuServer server(base_config());
  server.start_thread();
  const auto port = server.port();
  {
    auto gone = open_stream(port);
  }  // closed without a word: the emulator notices at its next write, and the slot lingers (reap 60 s)
  bool lingering = false;
  for (int i = 0; i < 50 && !lingering; ++i) {
    std::this_thread::sleep_for(100ms);
    lingering = connect_status(port) == 429;
  }
  REQUIRE(lingering);
  const auto active = json(http_request(port, "GET", "/2/connections?connection.fields=disconnect_reason", kAuth));
  REQUIRE(ids(active).size() == 1);
  CHECK(std::string(active["data"][0]["disconnect_reason"].GetString()) == "client_closed");
  const auto k = json(http_request(port, "DELETE", "/2/connections/filtered_stream", kAuth));
  CHECK(k["data"]["successful_kills"].GetInt() == 1);
  CHECK(connect_status(port) == 200);
  server.stop();
}

TEST_CASE("connections API: DELETE /2/connections/all closes every stream, 25 per window by default (here 2)",
          "[bench][connections]") {
  auto cfg = base_config();
  cfg.max_connections = 0;  // no limit: two streams at once
  cfg.kill_all_per_window = 2;
  EmuServer server(cfg);
  server.start_thread();
  const auto port = server.port();
  auto one = open_stream(port);
  auto two = open_stream(port);
  const auto all = http_request(port, "DELETE", "/2/connections/all", kAuth);
  REQUIRE(all.status == 200);
  CHECK(all.headers.at("x-rate-limit-limit") == "2");
  CHECK(json(all)["data"]["successful_kills"].GetInt() == 2);
  CHECK(stream_ends(*one));
  CHECK(stream_ends(*two));
  CHECK(json(http_request(port, "DELETE", "/2/connections/all", kAuth))["data"]["successful_kills"].GetInt() == 0);
  const auto spent = http_request(port, "DELETE", "/2/connections/all", kAuth);
  CHECK(spent.status == 429);
  CHECK(spent.headers.at("x-rate-limit-remaining") == "0");
  // The other calls have their own window.
  CHECK(http_request(port, "GET", "/2/connections", kAuth).status == 200);
  server.stop();
}

TEST_CASE("usage: counts the Posts streamed, ends the stream at the cap, then 429 UsageCapExceeded", "[bench][usage]") {
  auto cfg = base_config();
  cfg.rate = 0;
  cfg.usage_cap = 1000;
  cfg.usage_start = 900;
  cfg.usage_reset_day = 17;
  EmuServer server(cfg);
  server.start_thread();
  const auto port = server.port();
  const auto before = json(http_request(port, "GET", "/2/usage/tweets", kAuth));
  CHECK(std::string(before["data"]["project_usage"].GetString()) == "900");
  CHECK(std::string(before["data"]["project_cap"].GetString()) == "1000");
  CHECK(before["data"]["cap_reset_day"].GetInt() == 17);

  TestClient c(port);
  c.get("/2/tweets/search/stream", "t");
  const auto streamed = read_response(c, [](const Response& r) { return r.chunks.done(); }, 10);
  REQUIRE(streamed.chunks.done());  // the body ended cleanly at the cap
  CHECK(test::post_lines(streamed) == 100);

  const auto after = json(http_request(port, "GET", "/2/usage/tweets?usage.fields=daily_project_usage", kAuth));
  CHECK(std::string(after["data"]["project_usage"].GetString()) == "1000");
  CHECK(std::string(after["data"]["daily_project_usage"]["usage"][0]["usage"].GetString()) == "100");
  const auto refused = http_request(port, "GET", "/2/tweets/search/stream", kAuth);
  CHECK(refused.status == 429);
  CHECK(refused.raw_body == test::testdata("error_429_usage_capped.json"));
  server.stop();
}
