// Every buffer has a ceiling (issue 10 item 3): hostile servers on 127.0.0.1 send what the X API never
// would — a response head that never ends, a chunk-size line or chunk extension that never ends, a
// control-plane body without end, rules pages without end (fresh and repeated next_tokens), and a body
// that trickles bytes without ever completing a line. Each must end the session or the call with a
// message naming the cause, and the process's peak RSS (the kernel's VmHWM, reset before each case) must
// stay far below what the server sent. Before the ceilings the chunk-size line grew RSS to 2 GiB in 9 s.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdio>
#include <functional>

#include "common/metrics.hpp"
#include "ingest/control/rules_api.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "ingest/stream/stream_session.hpp"
#include "ingest/xapi/http_client.hpp"
#include "tests/ingest/result_printing.hpp"
#include "tests/support/hostile_server.hpp"
#include "tests/support/peak_rss.hpp"

using namespace spillway;
using namespace spillway::ingest;
using spillway::testing::hostile_server;
using spillway::testing::peak_rss;
using spillway::testing::rss_is_meaningful;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

constexpr std::uint64_t kRssBound = 64ull << 20;  // what a hostile server may make the process hold, at most

const std::string kStreamHead =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ntransfer-encoding: chunked\r\n\r\n";

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

// One stream session against `port` (plain HTTP), as the reader runs it.
struct stream_client {
  common::metrics_registry metrics;
  common::slab_pool pool{1 << 20, 4};
  common::spsc_ring<common::stream_item> ring{1024};
  line_publisher publisher{ring, pool, 64 * 1024, metrics};
  asio::ssl::context tls = make_client_tls_context(tls_trust{}).value();

  session_result run(const std::string& port, std::chrono::milliseconds stall) {
    asio::io_context io;
    stream_session session(io, tls, endpoint{false, "127.0.0.1", port}, session_options{5s, stall}, publisher);
    auto fut = asio::co_spawn(io, session.run("/2/tweets/search/stream", "tok"), asio::use_future);
    io.run();
    auto r = fut.get();
    while (auto* item = ring.front()) {  // hand the slabs back, as the pipeline would
      if (item->what == common::stream_item::kind::slab_retired) pool.release(item->owner);
      ring.pop();
    }
    return r;
  }
};

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

void report_rss(const char* what, const peak_rss& rss, std::uint64_t server_bytes) {
  // The figures quoted in the README's fault table and the closing notes come from these lines.
  std::printf("peak RSS growth under hostile server '%s': %.1f MiB (server sent %.1f MiB)\n", what,
              static_cast<double>(rss.growth()) / (1 << 20), static_cast<double>(server_bytes) / (1 << 20));
}

}  // namespace

namespace {

// One stream session against a server that writes `prefix`, then `filler` until the client goes away:
// the session must end as a protocol error of the http layer, with the peak RSS growth (reported as
// `name`) under the bound. Returns the session's result for the case's own checks.
session_result flooded_session(const std::string& prefix, const std::string& filler, const char* name,
                               std::string& port) {
  hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
    if (c.write(prefix)) c.flood(filler);
  });
  port = server.port();
  stream_client client;
  peak_rss rss;
  auto r = client.run(server.port(), 30s);
  INFO(r.detail);
  CHECK(r.what == session_result::kind::protocol_error);
  CHECK(r.failed_layer == session_result::layer::http);
  CHECK(has(r.detail, "check stream.base_url"));
  report_rss(name, rss, server.bytes_written());
  CHECK((!rss_is_meaningful || rss.growth() < kRssBound));
  return r;
}

}  // namespace

TEST_CASE("hostile stream: a chunk-size line that never ends is a protocol error, memory stays bounded",
          "[ingest][hostile][session]") {
  std::string port;
  const auto r = flooded_session(kStreamHead + chunk("{\"data\":{\"id\":\"1\"}}\r\n"), std::string(64 * 1024, 'f'),
                                 "chunk-size line", port);
  CHECK(has(r.detail, "chunk header (chunk-size line, extension or trailer) longer than 512 KiB"));
  CHECK(r.lines == 1);  // what came before the hostile bytes was delivered
}

TEST_CASE("hostile stream: a chunk extension that never ends is a protocol error, memory stays bounded",
          "[ingest][hostile][session]") {
  std::string port;
  const auto r = flooded_session(kStreamHead + "10;ext=", std::string(64 * 1024, 'e'), "chunk extension", port);
  CHECK(has(r.detail, "the stream from 127.0.0.1:" + port + " sent a chunk header"));
  CHECK(has(r.detail, "longer than 512 KiB"));
}

TEST_CASE("hostile stream: a response head that never ends is a protocol error, memory stays bounded",
          "[ingest][hostile][session]") {
  std::string port;
  const auto r = flooded_session("HTTP/1.1 200 OK\r\n", "x-filler: " + std::string(1000, 'a') + "\r\n",
                                 "endless headers (stream)", port);
  CHECK(has(r.detail, "response head from 127.0.0.1:" + port + " is longer than 8192 bytes"));
}

TEST_CASE("hostile stream: bytes that trickle without completing a line are a stall within stall_timeout",
          "[ingest][hostile][session][stall]") {
  // One body byte every 200 ms: before, each byte restarted the stall clock and the session never ended.
  hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
    if (c.write(kStreamHead + chunk("{\"data\":{\"id\":\"1\"}}\r\n{\"data\""))) c.flood(chunk("a"), 200ms);
  });
  stream_client client;
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.run(server.port(), 1000ms);
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(r.detail);
  CHECK(r.what == session_result::kind::stall);
  CHECK(has(r.detail, "no complete line from 127.0.0.1:" + server.port() + " within reconnect.stall_timeout"));
  CHECK(r.lines == 1);
  CHECK(took >= 900ms);
  CHECK(took < 1000ms + 1500ms);  // stall_timeout plus slack for a loaded machine
  CHECK(server.bytes_written() > kStreamHead.size() + 20);  // bytes did keep coming
}

TEST_CASE("hostile stream: heartbeats that arrive within stall_timeout keep a quiet stream open",
          "[ingest][hostile][session][stall]") {
  // The control for the trickle case: complete (empty) lines every 200 ms for 2.4 s with a 1 s stall
  // timeout, then a clean end — no stall.
  hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
    if (!c.write(kStreamHead)) return;
    for (int i = 0; i < 12 && c.write(chunk("\r\n")); ++i) std::this_thread::sleep_for(200ms);
    (void)c.write("0\r\n\r\n");
  });
  stream_client client;
  const auto r = client.run(server.port(), 1000ms);
  INFO(r.detail);
  CHECK(r.what == session_result::kind::stream_ended);
  CHECK(r.connected);
}

namespace {

http_client control_client(const std::string& port) {
  return http_client::create(endpoint{false, "127.0.0.1", port}, tls_trust{}, 20s).value();
}

}  // namespace

TEST_CASE("hostile control plane: an endless body, head or chunk-size line is a protocol error, memory bounded",
          "[ingest][hostile][control]") {
  const std::string json_head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";
  struct hostile_case {
    const char* name;
    std::string head;
    std::string filler;
    std::string expected;
  };
  const std::vector<hostile_case> cases{
      {"endless chunked body (control)", json_head + "transfer-encoding: chunked\r\n\r\n",
       chunk(std::string(64 * 1024, ' ')), "has a body larger than 8 MiB"},
      {"endless content-length body (control)", json_head + "content-length: 99999999999\r\n\r\n",
       std::string(64 * 1024, ' '), "has a body larger than 8 MiB"},
      {"endless chunk-size line (control)", json_head + "transfer-encoding: chunked\r\n\r\n",
       std::string(64 * 1024, '0'), "has a chunk header (chunk-size line, extension or trailer) longer than 256 KiB"},
      {"endless headers (control)", "HTTP/1.1 200 OK\r\n", "x-filler: " + std::string(1000, 'b') + "\r\n",
       "has a head longer than 8 KiB"},
  };
  for (const auto& hc : cases) {
    DYNAMIC_SECTION(hc.name) {
      hostile_server server([&](hostile_server::connection& c, const std::string&, int) {
        if (c.write(hc.head)) c.flood(hc.filler);
      });
      auto client = control_client(server.port());
      peak_rss rss;
      const auto r = client.send({"GET", "/2/tweets/search/stream/rules", "", "tok", false});
      REQUIRE_FALSE(r);
      INFO(r.error().message);
      CHECK(r.error().is(common::errc::protocol));
      CHECK(has(r.error().message, "the answer from 127.0.0.1:" + server.port() + " " + hc.expected));
      CHECK(has(r.error().message, "not the X API; check stream.base_url"));
      report_rss(hc.name, rss, server.bytes_written());
      CHECK((!rss_is_meaningful || rss.growth() < kRssBound));
    }
  }
}

namespace {

// A rules page of `rules` rules of ~`value_bytes` each, with next_token `token` (none when empty).
std::string rules_page(int first_id, int rules, std::size_t value_bytes, const std::string& token) {
  std::string body = "{\"data\":[";
  for (int i = 0; i < rules; ++i) {
    if (i != 0) body += ',';
    body += "{\"id\":\"" + std::to_string(first_id + i) + "\",\"value\":\"" + std::string(value_bytes, 'v') + "\"}";
  }
  body += "],\"meta\":{\"result_count\":" + std::to_string(rules);
  if (!token.empty()) body += ",\"next_token\":\"" + token + "\"";
  body += "}}";
  return "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// Lists the rules from a server whose answer to request `index` is page(index): the listing must fail
// (errc::protocol) with `expected` after exactly `pages` requests, keeping `kept` rules, with the peak RSS
// growth (reported as `name`) under the bound.
void expect_listing_cut(const std::function<std::string(int)>& page, const rules_api_options& options,
                        const std::string& expected, int pages, std::size_t kept, const char* name) {
  hostile_server server([&](hostile_server::connection& c, const std::string&, int index) { (void)c.write(page(index)); });
  auto client = control_client(server.port());
  rate_limit_tracker limits;
  rules_api api(client, limits, "tok", options);
  std::vector<live_rule> live;
  peak_rss rss;
  const auto r = api.list(live);
  REQUIRE_FALSE(r);
  INFO(r.error().message);
  CHECK(r.error().is(common::errc::protocol));
  CHECK(has(r.error().message, expected));
  CHECK(has(r.error().message, "not the X API's paging; check stream.base_url"));
  CHECK(server.connections() == pages);
  CHECK(live.size() == kept);  // partial results stay, as documented
  report_rss(name, rss, server.bytes_written());
  CHECK((!rss_is_meaningful || rss.growth() < kRssBound));
}

}  // namespace

TEST_CASE("hostile rules server: paging forever with fresh tokens stops at the page ceiling, memory bounded",
          "[ingest][hostile][rules]") {
  // Pages of 200 rules of 1 KB (~200 KB each) and a fresh next_token each time: the listing stops at
  // max_pages (100) instead of going on for as long as the server does.
  expect_listing_cut([](int index) { return rules_page(index * 200, 200, 1000, "fresh-" + std::to_string(index)); },
                     rules_api_options{}, "the rules listing did not end after 100 pages", 100, 100u * 200u,
                     "rules paging, fresh tokens");
}

TEST_CASE("hostile rules server: a next_token handed back twice ends the listing at once",
          "[ingest][hostile][rules]") {
  // Alternates two tokens: a loop that would never end, and would take max_pages to trip a page count.
  expect_listing_cut([](int index) { return rules_page(index, 1, 10, index % 2 == 0 ? "ping" : "pong"); },
                     rules_api_options{}, "the rules listing repeats a next_token after 3 pages", 3, 3,
                     "rules paging, repeated token");
}

TEST_CASE("hostile rules server: the listing stops at its byte ceiling", "[ingest][hostile][rules]") {
  // ~1 MB pages with fresh tokens against a 4 MiB ceiling: the fifth page passes it (and is not kept).
  rules_api_options options;
  options.max_listing_bytes = 4 << 20;
  expect_listing_cut([](int index) { return rules_page(index * 1000, 1000, 1000, "t" + std::to_string(index)); },
                     options, "the rules listing passed 4 MiB after 5 pages", 5, 4000, "rules paging, 1 MB pages");
}

// Issue 10 item 5: header text from the server reaches a session's message escaped and capped.
TEST_CASE("hostile stream: a long reason phrase and content-type are capped in the session's message",
          "[ingest][hostile][session]") {
  const std::string reason(5000, 'R');
  const std::string type = "text/html" + std::string(5000, 'T');
  hostile_server refusing([&](hostile_server::connection& c, const std::string&, int) {
    (void)c.write("HTTP/1.1 503 " + reason + "\r\ncontent-length: 0\r\n\r\n");
  });
  stream_client client;
  const auto refused = client.run(refusing.port(), 5s);
  INFO(refused.detail);
  CHECK(refused.what == session_result::kind::http_status);
  CHECK(has(refused.detail, "the stream answered HTTP 503 RRR"));
  CHECK(has(refused.detail, "… (5000 bytes)"));
  CHECK(refused.detail.size() < 400);

  hostile_server wrong_type([&](hostile_server::connection& c, const std::string&, int) {
    (void)c.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: " + type + "\r\n\r\n0\r\n\r\n");
  });
  const auto odd = client.run(wrong_type.port(), 5s);
  INFO(odd.detail);
  CHECK(odd.what == session_result::kind::protocol_error);
  CHECK(has(odd.detail, "content-type 'text/htmlTTT"));
  CHECK(has(odd.detail, "… (5009 bytes)"));
  CHECK(odd.detail.size() < 500);
}
