// EmuServer over real loopback sockets (in-process), plain and TLS.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/emu/emu_server.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::post_lines;
using test::read_response;
using test::slurp;
using test::temp_path;
using test::testdata;
using test::Response;
using test::TestClient;

namespace {

EmuConfig base_config() {
  EmuConfig c;
  c.seed = 99;
  c.start_ms = 1764418000000;
  c.pool_size = 256;
  return c;
}

}  // namespace

TEST_CASE("plain stream: X's headers, chunked body, --count ends it cleanly", "[bench][integration]") {
  auto cfg = base_config();
  cfg.count = 300;
  cfg.heartbeat_s = 0.2;
  EmuServer server(cfg);
  server.start_thread();
  TestClient c(server.port());
  c.get("/2/tweets/search/stream?tweet.fields=created_at,lang&expansions=author_id");
  auto r = read_response(c, [](const Response& x) { return x.chunks.done(); });
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
  CHECK(r.headers["transfer-encoding"] == "chunked");
  CHECK(r.headers["x-rate-limit-limit"] == "50");
  CHECK(r.headers["x-rate-limit-remaining"] == "49");
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto reset = std::stoll(r.headers["x-rate-limit-reset"]);
  CHECK(reset > now_s + 890);
  CHECK(reset <= now_s + 901);
  CHECK(r.headers.count("x-connection-hash") == 1);
  REQUIRE_FALSE(r.chunks.error());
  REQUIRE(r.chunks.done());
  std::string tail;
  const auto lines = test::split_lines(r.chunks.body(), &tail);
  CHECK(tail.empty());
  REQUIRE(lines.size() == 300);
  // Chunks carry many messages and end mid-line.
  std::size_t off = 0, aligned = 0;
  for (auto n : r.chunks.chunk_sizes()) {
    off += n;
    aligned += r.chunks.body().compare(off - 2, 2, "\r\n") == 0;
  }
  CHECK(r.chunks.chunk_sizes().size() > 3);
  CHECK(aligned < r.chunks.chunk_sizes().size());
  std::string prev;
  for (const auto& l : lines) {
    rapidjson::Document d;
    REQUIRE_FALSE(d.Parse(l.c_str()).HasParseError());
    const std::string id = d["data"]["id"].GetString();
    REQUIRE(id > prev);
    prev = id;
  }
  // The body ended with 0\r\n\r\n and the server closed the socket.
  char b[16];
  CHECK(c.read_some(b, sizeof b) == 0);

  // Later connections: 200 with heartbeats only.
  TestClient c2(server.port());
  c2.get("/2/tweets/search/stream");
  auto r2 = read_response(c2, [](const Response& x) { return !x.chunks.body().empty(); });
  CHECK(r2.status == 200);
  CHECK(r2.headers["x-rate-limit-remaining"] == "48");
}

TEST_CASE("same seed and start give byte-identical streams, chunking included", "[bench][integration]") {
  auto body_of = [](std::uint64_t seed) {
    auto cfg = base_config();
    cfg.seed = seed;
    cfg.count = 2000;
    EmuServer server(cfg);
    server.start_thread();
    auto r = test::fetch_until_done(server.port());
    REQUIRE(r.chunks.done());
    return r.raw_body;
  };
  const auto a = body_of(5);
  CHECK(a.size() > 1000000);
  CHECK(a == body_of(5));
  CHECK(a != body_of(6));
}

TEST_CASE("TLS stream verifies against the --cert-out certificate", "[bench][integration]") {
  auto cfg = base_config();
  cfg.tls = true;
  cfg.cert_out = temp_path("cert.pem");
  cfg.count = 50;
  EmuServer server(cfg);
  server.start_thread();
  CHECK(server.base_url().rfind("https://127.0.0.1:", 0) == 0);
  const std::string pem = slurp(cfg.cert_out);
  REQUIRE(pem.find("BEGIN CERTIFICATE") != std::string::npos);
  TestClient c(server.port(), pem);
  c.get("/2/tweets/search/stream");
  auto r = read_response(c, [](const Response& x) { return x.chunks.done(); });
  CHECK(r.status == 200);
  REQUIRE(r.chunks.done());
  CHECK(post_lines(r) == 50);
  std::filesystem::remove(cfg.cert_out);
}

TEST_CASE("bearer: missing or wrong token gets X's exact 401", "[bench][integration]") {
  auto cfg = base_config();
  cfg.bearer = "s3cret";
  EmuServer server(cfg);
  server.start_thread();
  const std::string expect = testdata("error_401_unauthorized.json");
  for (std::string token : {std::string(), std::string("wrong")}) {
    TestClient c(server.port());
    c.get("/2/tweets/search/stream", token);
    auto r = read_response(c, [](const Response&) { return false; });
    CHECK(r.status == 401);
    CHECK(r.headers["content-type"] == "application/problem+json");
    CHECK(r.raw_body == expect);
    CHECK(r.eof);
  }
  TestClient ok(server.port());
  ok.get("/2/tweets/search/stream", "s3cret");
  auto r = read_response(ok, [](const Response& x) { return !x.chunks.body().empty(); });
  CHECK(r.status == 200);
}

TEST_CASE("TLS with --tls-cert/--tls-key files, start-up errors name the fix", "[bench][integration]") {
  const std::string key = temp_path("key.pem"), cert = temp_path("own-cert.pem");
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost "
                          "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " + key + " -out " + cert + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto cfg = base_config();
  cfg.tls = true;
  cfg.tls_cert = cert;
  cfg.tls_key = key;
  cfg.count = 5;
  {
    EmuServer server(cfg);
    server.start_thread();
    TestClient c(server.port(), slurp(cert));
    c.get("/2/tweets/search/stream");
    auto r = read_response(c, [](const Response& x) { return x.chunks.done(); });
    CHECK(post_lines(r) == 5);
    // The port is taken now: a second server on it must say so and how to fix it.
    auto clash = base_config();
    clash.port = server.port();
    CHECK_THROWS_WITH(EmuServer(clash), Catch::Contains("pick another --port"));
  }
  cfg.tls_key = temp_path("missing-key.pem");
  CHECK_THROWS_WITH(EmuServer(cfg), Catch::Contains("--tls-key"));
  std::filesystem::remove(key);
  std::filesystem::remove(cert);
}

TEST_CASE("unknown path gets a 404 problem document", "[bench][integration]") {
  EmuServer server(base_config());
  server.start_thread();
  TestClient c(server.port());
  c.get("/2/tweets/nope");
  auto r = read_response(c, [](const Response&) { return false; });
  CHECK(r.status == 404);
  CHECK(r.headers["content-type"] == "application/problem+json");
  rapidjson::Document d;
  REQUIRE_FALSE(d.Parse(r.raw_body.c_str()).HasParseError());
  CHECK(d.HasMember("title"));
  CHECK(d.HasMember("type"));
}

TEST_CASE("dump file holds exactly the lines received, LF-terminated, no heartbeats", "[bench][integration]") {
  auto cfg = base_config();
  cfg.count = 400;
  cfg.rate = 4000;         // paced, so heartbeats interleave with Posts
  cfg.heartbeat_s = 0.02;
  cfg.dump_path = temp_path("dump.jsonl");
  std::string body;
  {
    EmuServer server(cfg);
    server.start_thread();
    auto r = test::fetch_until_done(server.port());
    REQUIRE(r.chunks.done());
    body = r.chunks.body();
  }  // server stopped: dump flushed and closed
  std::string expect;
  std::size_t heartbeats = 0;
  for (const auto& l : test::split_lines(body)) {
    if (l.empty()) ++heartbeats;
    else expect += l + "\n";
  }
  CHECK(heartbeats > 0);
  CHECK(slurp(cfg.dump_path) == expect);
  std::filesystem::remove(cfg.dump_path);
}

TEST_CASE("heartbeats arrive every --heartbeat seconds", "[bench][integration]") {
  auto cfg = base_config();
  cfg.count = 1;
  cfg.heartbeat_s = 0.1;
  EmuServer server(cfg);
  server.start_thread();
  {
    TestClient first(server.port());  // takes the only Post
    first.get("/2/tweets/search/stream");
    auto r = read_response(first, [](const Response& x) { return x.chunks.done(); });
    REQUIRE(post_lines(r) == 1);
  }
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  std::vector<double> at;
  const auto t0 = std::chrono::steady_clock::now();
  auto r = read_response(c, [&](const Response& x) {
    const auto n = x.chunks.body().size() / 2;
    while (at.size() < n) at.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    return n >= 6;
  });
  REQUIRE(r.chunks.body() == std::string(12, '\r').replace(0, 12, "\r\n\r\n\r\n\r\n\r\n\r\n"));
  REQUIRE(at.size() >= 6);
  const double per = (at[5] - at[0]) / 5;
  CHECK(per > 0.07);
  CHECK(per < 0.3);  // generous: the machine is shared
}

TEST_CASE("connects beyond the window limit get 429 with the reset time", "[bench][integration]") {
  auto cfg = base_config();
  cfg.connects_per_window = 2;
  cfg.count = 1;
  EmuServer server(cfg);
  server.start_thread();
  for (int i = 0; i < 2; ++i) {
    TestClient c(server.port());
    c.get("/2/tweets/search/stream");
    auto r = read_response(c, [](const Response& x) { return x.status != 0; });
    CHECK(r.status == 200);
  }
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  auto r = read_response(c, [](const Response&) { return false; });
  CHECK(r.status == 429);
  CHECK(r.headers["x-rate-limit-remaining"] == "0");
  CHECK(r.raw_body == testdata("error_429_rate_limited.json"));
}

TEST_CASE("stop() ends live streams and returns", "[bench][integration]") {
  auto cfg = base_config();
  EmuServer server(cfg);
  server.start_thread();
  TestClient c(server.port());
  c.get("/2/tweets/search/stream");
  auto r = read_response(c, [](const Response& x) { return x.chunks.body().size() > 100000; });
  CHECK(r.status == 200);
  server.stop();
  char buf[65536];
  long n = 1;
  for (int i = 0; i < 10000 && n > 0; ++i) n = c.read_some(buf, sizeof buf);
  CHECK(n <= 0);
}
