// Phase-2 behaviour: connection log, fault script, chaos, connection limit, backfill.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "bench/emu/connection_slots.hpp"
#include "bench/emu/emu_server.hpp"
#include "bench/emu/fault_plan.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::read_response;
using test::slurp;
using test::temp_path;
using test::testdata;
using test::Response;
using test::split_lines;
using test::TestClient;

namespace {

EmuConfig config_with_faults(const std::string& json) {
  EmuConfig c;
  c.seed = 17;
  c.start_ms = 1764418000000;
  c.pool_size = 128;
  c.heartbeat_s = 0.05;
  c.faults_path = temp_path("faults.json");
  std::ofstream(c.faults_path) << json;
  return c;
}

std::vector<std::string> posts_of(const std::string& body, std::string* tail = nullptr) {
  std::vector<std::string> out;
  for (auto& l : split_lines(body, tail))
    if (!l.empty()) out.push_back(l);
  return out;
}

bool parses(const std::string& line) {
  rapidjson::Document d;
  return !d.Parse(line.c_str()).HasParseError();
}

}  // namespace

TEST_CASE("log: one JSON line per connection attempt", "[bench][integration][phase2]") {
  EmuConfig cfg;
  cfg.seed = 1;
  cfg.pool_size = 64;
  cfg.count = 7;
  cfg.bearer = "t";
  cfg.log_path = temp_path("conn.log");
  std::filesystem::remove(cfg.log_path);
  {
    EmuServer server(cfg);
    server.start_thread();
    {
      TestClient c(server.port());
      c.get("/2/tweets/search/stream?backfill_minutes=0", "t");
      REQUIRE(read_response(c, [](const Response& r) { return r.chunks.done(); }).chunks.done());
    }
    for (std::string target : {"/nope", "/2/tweets/search/stream"}) {
      TestClient c(server.port());
      c.get(target, target == "/nope" ? "t" : "bad");
      read_response(c, [](const Response&) { return false; });
    }
  }
  std::vector<std::string> records;
  std::istringstream in(slurp(cfg.log_path));
  for (std::string l; std::getline(in, l);) records.push_back(l);
  REQUIRE(records.size() == 3);
  rapidjson::Document d;
  REQUIRE_FALSE(d.Parse(records[0].c_str()).HasParseError());
  CHECK(std::string(d["path"].GetString()) == "/2/tweets/search/stream");
  CHECK(std::string(d["query"].GetString()) == "backfill_minutes=0");
  CHECK(d["status"].GetInt() == 200);
  CHECK(d["posts_sent"].GetUint64() == 7);
  CHECK(std::string(d["ended"].GetString()) == "count_reached");
  CHECK(d["time_ms"].GetInt64() > 1700000000000);
  REQUIRE_FALSE(d.Parse(records[1].c_str()).HasParseError());
  CHECK(d["status"].GetInt() == 404);
  REQUIRE_FALSE(d.Parse(records[2].c_str()).HasParseError());
  CHECK(d["status"].GetInt() == 401);
  CHECK(std::string(d["outcome"].GetString()) == "unauthorized");
  std::filesystem::remove(cfg.log_path);
}

TEST_CASE("fault: in-band disconnect notice after N Posts, then the body ends", "[bench][integration][phase2]") {
  EmuServer server(config_with_faults(R"([{"after_posts":50,"action":"disconnect","disconnect_type":"OperationalDisconnect"}])"));
  server.start_thread();
  const auto r = test::fetch_until_done(server.port());
  REQUIRE(r.chunks.done());
  const auto lines = posts_of(r.chunks.body());
  REQUIRE(lines.size() == 51);
  CHECK(lines.back() == testdata("stream_msg_operational_disconnect.json"));
  // The next connect streams again.
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  CHECK(read_response(c, [](const Response& x) { return x.chunks.body().size() > 1000; }).status == 200);
}

TEST_CASE("fault: close with FIN mid-body, and with RST", "[bench][integration][phase2]") {
  EmuServer server(config_with_faults(R"([{"after_posts":20,"action":"close"},{"after_posts":40,"action":"close","mode":"rst"}])"));
  server.start_thread();
  {
    TestClient c(server.port());
    c.get("/2/tweets/search/stream");
    const auto r = read_response(c, [](const Response&) { return false; });
    CHECK(r.eof);
    CHECK_FALSE(r.chunks.done());
    std::string tail;
    CHECK(posts_of(r.chunks.body(), &tail).size() == 20);
    CHECK(tail.empty());
  }
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  const auto r = read_response(c, [](const Response&) { return false; });
  CHECK_FALSE(r.eof);  // read failed with ECONNRESET rather than an orderly end
  CHECK_FALSE(r.chunks.done());
}

TEST_CASE("fault: stall sends nothing, not even heartbeats, for the duration", "[bench][integration][phase2]") {
  auto cfg = config_with_faults(R"([{"after_posts":10,"action":"stall","duration_ms":400}])");
  cfg.count = 20;
  EmuServer server(cfg);
  server.start_thread();
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  std::vector<std::pair<double, std::size_t>> arrivals;  // (time, body size)
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = read_response(c, [&](const Response& x) {
    arrivals.emplace_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), x.chunks.body().size());
    return x.chunks.done();
  });
  REQUIRE(r.chunks.done());
  CHECK(posts_of(r.chunks.body()).size() == 20);
  double biggest_gap = 0;
  for (std::size_t i = 1; i < arrivals.size(); ++i) biggest_gap = std::max(biggest_gap, arrivals[i].first - arrivals[i - 1].first);
  CHECK(biggest_gap > 0.35);
  CHECK(biggest_gap < 2.0);
}

TEST_CASE("fault: status answers the next N connects with X's exact bodies", "[bench][integration][phase2]") {
  const struct {
    const char* spec;
    int status;
    std::string body;
  } table[] = {
      {R"({"action":"status","status":401})", 401, testdata("error_401_unauthorized.json")},
      {R"({"action":"status","status":403})", 403, testdata("error_403_client_forbidden.json")},
      {R"({"action":"status","status":409})", 409, testdata("connect_409_no_rules.json")},
      {R"({"action":"status","status":429})", 429, testdata("error_429_rate_limited.json")},
      {R"({"action":"status","status":429,"kind":"too_many_connections"})", 429, testdata("connect_429_too_many_connections.json")},
      {R"({"action":"status","status":429,"kind":"usage_capped"})", 429, testdata("error_429_usage_capped.json")},
      {R"({"action":"status","status":503,"connects":2})", 503, ""},
  };
  for (const auto& row : table) {
    INFO(row.spec);
    EmuServer server(config_with_faults(std::string("[") + row.spec + "]"));
    server.start_thread();
    const int n = row.status == 503 ? 2 : 1;
    for (int i = 0; i < n; ++i) {
      TestClient c(server.port());
      c.get("/2/tweets/search/stream");
      const auto r = read_response(c, [](const Response&) { return false; });
      CHECK(r.status == row.status);
      if (!row.body.empty()) CHECK(r.raw_body == row.body);
      REQUIRE(r.headers.count("x-rate-limit-reset") == 1);
      const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
      CHECK(std::stoll(r.headers.at("x-rate-limit-reset")) > now_s);
    }
    TestClient c(server.port());
    c.get("/2/tweets/search/stream");
    CHECK(test::read_status(c) == 200);
  }
}

TEST_CASE("fault: truncated chunk mid-line, then close", "[bench][integration][phase2]") {
  EmuServer server(config_with_faults(R"([{"after_posts":10,"action":"truncate"}])"));
  server.start_thread();
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  const auto r = read_response(c, [](const Response&) { return false; });
  CHECK(r.eof);
  CHECK_FALSE(r.chunks.done());
  CHECK_FALSE(r.chunks.error());
  CHECK(posts_of(r.chunks.body()).size() == 10);
  // The last chunk's header promises more than arrived, and it holds the start of a Post.
  const auto last_header = r.raw_body.rfind("\r\n{\"data\"");
  REQUIRE(last_header != std::string::npos);
  CHECK(r.raw_body.size() - last_header - 2 < std::stoul(r.raw_body.substr(r.raw_body.rfind("\r\n", last_header - 1) + 2), nullptr, 16));
}

TEST_CASE("fault: malformed line in an otherwise good stream", "[bench][integration][phase2]") {
  auto cfg = config_with_faults(R"([{"after_posts":5,"action":"malformed"}])");
  cfg.count = 12;
  EmuServer server(cfg);
  server.start_thread();
  const auto r = test::fetch_until_done(server.port());
  REQUIRE(r.chunks.done());
  const auto lines = posts_of(r.chunks.body());
  REQUIRE(lines.size() == 13);
  CHECK_FALSE(parses(lines[5]));
  for (std::size_t i = 0; i < lines.size(); ++i)
    if (i != 5) CHECK(parses(lines[i]));
}

TEST_CASE("fault: after_ms triggers on time", "[bench][integration][phase2]") {
  auto cfg = config_with_faults(R"([{"after_ms":300,"action":"disconnect","disconnect_type":"UpstreamOperationalDisconnect"}])");
  cfg.rate = 200;
  EmuServer server(cfg);
  server.start_thread();
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = test::fetch_until_done(server.port());
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(r.chunks.done());
  CHECK(posts_of(r.chunks.body()).back() == testdata("stream_msg_operational_disconnect_upstream_docs.json"));
  CHECK(took > 0.25);
  CHECK(took < 3.0);
}

TEST_CASE("fault plan: bad scripts are refused with the fix, chaos is seeded", "[bench][phase2]") {
  CHECK_THROWS_WITH(FaultPlan::from_json("{}"), Catch::Contains("JSON list"));
  CHECK_THROWS_WITH(FaultPlan::from_json(R"([{"action":"explode"}])"), Catch::Contains("unknown action"));
  CHECK_THROWS_WITH(FaultPlan::from_json(R"([{"after_ms":1,"after_posts":2,"action":"close"}])"), Catch::Contains("not both"));
  auto a = FaultPlan::chaos(5, 200), b = FaultPlan::chaos(5, 200);
  std::set<int> kinds;
  std::uint64_t posts = 0;
  for (int i = 0; i < 200; ++i) {
    const auto n = a.posts_until_next(posts);
    REQUIRE(n != UINT64_MAX);
    posts += n;
    const auto fa = a.take_due(posts, 0);
    const auto fb = b.take_due(posts, 0);
    REQUIRE(fa);
    REQUIRE(fb);
    CHECK(int(fa->action) == int(fb->action));
    kinds.insert(int(fa->action));
  }
  CHECK(kinds.size() >= 5);
}

TEST_CASE("connection slots: limit, lingering after a client drop, reaping", "[bench][phase2]") {
  ConnectionSlots slots(1, 3000);
  CHECK(slots.try_acquire(0));
  CHECK_FALSE(slots.try_acquire(10));
  slots.release(100, false);  // server-side end: free at once
  CHECK(slots.try_acquire(100));
  slots.release(200, true);  // client dropped: counts until 3200
  CHECK_FALSE(slots.try_acquire(3199));
  CHECK(slots.try_acquire(3200));
}

TEST_CASE("second concurrent stream gets 429 TooManyConnections, a dropped one lingers", "[bench][integration][phase2]") {
  EmuConfig cfg;
  cfg.pool_size = 64;
  cfg.rate = 50;
  cfg.heartbeat_s = 0.02;
  cfg.reap_ms = 1500;
  EmuServer server(cfg);
  server.start_thread();
  const std::string tmc = testdata("connect_429_too_many_connections.json");
  {
    TestClient a(server.port());
    a.get("/2/tweets/search/stream");
    REQUIRE(test::read_status(a) == 200);
    TestClient b(server.port());
    b.get("/2/tweets/search/stream");
    const auto r = read_response(b, [](const Response&) { return false; });
    CHECK(r.status == 429);
    CHECK(r.raw_body == tmc);
  }  // a drops abruptly
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the server notices on its next write
  {
    TestClient c(server.port());
    c.get("/2/tweets/search/stream");
    CHECK(read_response(c, [](const Response&) { return false; }).status == 429);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  TestClient d(server.port());
  d.get("/2/tweets/search/stream");
  CHECK(test::read_status(d) == 200);
}

TEST_CASE("backfill_minutes re-sends recent Posts, duplicates included, before new ones", "[bench][integration][phase2]") {
  EmuConfig cfg;
  cfg.pool_size = 64;
  cfg.rate = 2000;
  cfg.reap_ms = 0;
  EmuServer server(cfg);
  server.start_thread();
  std::vector<std::string> first;
  {
    TestClient a(server.port());
    a.get("/2/tweets/search/stream");
    const auto r = read_response(a, [](const Response& x) { return std::count(x.chunks.body().begin(), x.chunks.body().end(), '\n') >= 100; });
    first = posts_of(r.chunks.body());
    REQUIRE(first.size() >= 100);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  TestClient b(server.port());
  b.get("/2/tweets/search/stream?backfill_minutes=2&tweet.fields=created_at");
  const auto r = read_response(b, [&](const Response& x) {
    return std::count(x.chunks.body().begin(), x.chunks.body().end(), '\n') >= long(first.size() + 20);
  });
  const auto second = posts_of(r.chunks.body());
  REQUIRE(second.size() >= first.size() + 20);
  CHECK(std::equal(first.begin(), first.end(), second.begin()));
  // After the replay, new Posts with ids above every replayed one.
  rapidjson::Document d;
  d.Parse(second.back().c_str());
  const std::string last_id = d["data"]["id"].GetString();
  d.Parse(first.back().c_str());
  CHECK(last_id > std::string(d["data"]["id"].GetString()));
}

TEST_CASE("chaos: a seeded stream is cut by faults", "[bench][integration][phase2]") {
  EmuConfig cfg;
  cfg.pool_size = 64;
  cfg.chaos_seed = 3;
  cfg.max_connections = 0;
  EmuServer server(cfg);
  server.start_thread();
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = read_response(c, [](const Response&) { return false; }, 8);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(r.status == 200);
  // The server ended the stream (a fault), well before our 8 s deadline, after some Posts.
  CHECK(took < 7);
  CHECK(std::count(r.raw_body.begin(), r.raw_body.end(), '\n') > 1000);
}
