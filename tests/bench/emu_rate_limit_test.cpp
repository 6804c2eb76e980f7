// Per-endpoint rate-limit windows (--limit-*, --rate-window-s): every answer carries the window's
// x-rate-limit-* headers; the request after the last one of a window gets X's 429 until it resets.
#include <catch2/catch.hpp>
#include <thread>

#include "bench/emu/emu_server.hpp"
#include "bench/emu/rate_window.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::http_request;
using test::read_response;
using test::Response;
using test::TestClient;

namespace {

struct Endpoint {
  const char* name;
  const char* method;
  const char* target;
  const char* body;
  int ok_status;
};

// Each endpoint's own limit, so a mix-up between windows shows as a wrong x-rate-limit-limit.
constexpr int kLimit[] = {2, 3, 2, 3};
const Endpoint kEndpoints[] = {
    {"stream connect", "GET", "/2/tweets/search/stream", "", 200},
    {"rules GET", "GET", "/2/tweets/search/stream/rules", "", 200},
    {"rules POST", "POST", "/2/tweets/search/stream/rules?dry_run=true", R"({"add":[{"value":"cats"}]})", 200},
    {"users/me", "GET", "/2/users/me", "", 403},  // app-only bearer: 403, but counted all the same
};

Response call(std::uint16_t port, const Endpoint& e) {
  TestClient c(port);
  std::string req = std::string(e.method) + " " + e.target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n";
  const std::string body = e.body;
  if (!body.empty()) req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  c.send(req + "\r\n" + body);
  // A stream never ends by itself: its head is enough (the client then drops it).
  return read_response(c, [](const Response& r) { return r.status == 200 && r.headers.count("transfer-encoding"); });
}

}  // namespace

TEST_CASE("rate window: counts within a window, resets after it", "[bench][ratelimit]") {
  RateWindow w(2, 10);
  CHECK(w.peek(1000).remaining == 2);
  auto v = w.on_request(1000);
  CHECK((v.allowed && v.info.remaining == 1 && v.info.reset_unix_s == 1010));
  CHECK(w.on_request(1005).allowed);
  v = w.on_request(1009);
  CHECK_FALSE(v.allowed);
  CHECK(v.info.remaining == 0);
  CHECK(v.info.reset_unix_s == 1010);
  v = w.on_request(1010);
  CHECK((v.allowed && v.info.remaining == 1 && v.info.reset_unix_s == 1020));
}

TEST_CASE("every limited endpoint: headers, 429 at the limit, allowed again after reset",
          "[bench][integration][ratelimit]") {
  EmuConfig cfg;
  cfg.pool_size = 16;
  cfg.bearer = "t";
  cfg.heartbeat_s = 0.05;
  cfg.rate = 10;
  cfg.max_connections = 0;  // only the connect window may refuse a stream here
  cfg.rate_window_s = 2;
  cfg.connects_per_window = kLimit[0];
  cfg.rules_get_per_window = kLimit[1];
  cfg.rules_post_per_window = kLimit[2];
  cfg.users_me_per_window = kLimit[3];
  EmuServer server(cfg);
  server.start_thread();
  std::int64_t last_reset = 0;
  for (std::size_t i = 0; i < std::size(kEndpoints); ++i) {
    const auto& e = kEndpoints[i];
    INFO(e.name);
    for (int n = 1; n <= kLimit[i]; ++n) {
      const auto r = call(server.port(), e);
      CHECK(r.status == e.ok_status);
      CHECK(r.headers.at("x-rate-limit-limit") == std::to_string(kLimit[i]));
      CHECK(r.headers.at("x-rate-limit-remaining") == std::to_string(kLimit[i] - n));
    }
    const auto r = call(server.port(), e);
    CHECK(r.status == 429);
    CHECK(r.raw_body == test::testdata("error_429_rate_limited.json"));
    CHECK(r.headers.at("x-rate-limit-limit") == std::to_string(kLimit[i]));
    CHECK(r.headers.at("x-rate-limit-remaining") == "0");
    const auto reset = std::stoll(r.headers.at("x-rate-limit-reset"));
    CHECK(reset > test::unix_now_s() - 1);
    CHECK(reset <= test::unix_now_s() + 2);
    last_reset = std::max<std::int64_t>(last_reset, reset);
  }
  // rules/counts shares the rules GET window, which is spent.
  CHECK(call(server.port(), {"counts", "GET", "/2/tweets/search/stream/rules/counts", "", 200}).status == 429);
  for (int i = 0; i < 400 && test::unix_now_s() < last_reset; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(test::unix_now_s() >= last_reset);
  for (std::size_t i = 0; i < std::size(kEndpoints); ++i) {
    INFO(kEndpoints[i].name << " after reset");
    const auto r = call(server.port(), kEndpoints[i]);
    CHECK(r.status == kEndpoints[i].ok_status);
    CHECK(r.headers.at("x-rate-limit-remaining") == std::to_string(kLimit[i] - 1));
  }
}

TEST_CASE("default windows are X's: 50 connects, 450 rules GET, 100 POST, 75 users/me per 900 s",
          "[bench][integration][ratelimit]") {
  EmuConfig cfg;
  cfg.pool_size = 16;
  cfg.bearer = "t";
  cfg.count = 1;
  EmuServer server(cfg);
  server.start_thread();
  const std::pair<Endpoint, const char*> expected[] = {
      {kEndpoints[0], "50"}, {kEndpoints[1], "450"}, {kEndpoints[2], "100"}, {kEndpoints[3], "75"}};
  for (const auto& [e, limit] : expected) {
    INFO(e.name);
    const auto r = call(server.port(), e);
    CHECK(r.headers.at("x-rate-limit-limit") == limit);
    const auto reset = std::stoll(r.headers.at("x-rate-limit-reset"));
    CHECK(reset > test::unix_now_s() + 890);
    CHECK(reset <= test::unix_now_s() + 901);
  }
}
