// stream_session against canned servers on 127.0.0.1: every way a connection can go wrong ends in a
// session_result with a one-line message naming the cause and the fix, and nothing received is lost.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <thread>

#include "common/metrics.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "ingest/stream/stream_session.hpp"

using namespace spillway;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Accepts one connection, reads the request head, writes `response` (then closes).
class canned_server {
 public:
  explicit canned_server(std::string response) : response_(std::move(response)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      boost::system::error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && asio::read(s, asio::buffer(&c, 1), ec) == 1) head += c;
      request_ = head;
      asio::write(s, asio::buffer(response_), ec);
      s.shutdown(tcp::socket::shutdown_both, ec);
    });
  }
  ~canned_server() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    thread_.join();
  }
  [[nodiscard]] std::string port() const { return std::to_string(port_); }
  [[nodiscard]] const std::string& request() const { return request_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  std::string response_;
  std::string request_;
  unsigned short port_ = 0;
  std::thread thread_;
};

struct client {
  common::metrics_registry metrics;
  common::slab_pool pool{1 << 20, 4};
  common::spsc_ring<common::stream_item> ring{1024};
  ingest::line_publisher publisher{ring, pool, 64 * 1024, metrics};
  asio::ssl::context tls = ingest::make_client_tls_context(ingest::tls_trust{}).value();

  ingest::session_result run(const std::string& port, bool use_tls = false) {
    asio::io_context io;
    const ingest::session_options o{std::chrono::seconds(5), std::chrono::seconds(5)};
    ingest::stream_session session(io, tls, ingest::endpoint{use_tls, "127.0.0.1", port}, o, publisher);
    auto fut = asio::co_spawn(io, session.run("/2/tweets/search/stream?tweet.fields=id", "s3cr3t-token"), asio::use_future);
    io.run();
    return fut.get();
  }
  // Lines queued into the ring, by kind, as text.
  std::vector<std::pair<common::stream_item::kind, std::string>> drain() {
    std::vector<std::pair<common::stream_item::kind, std::string>> out;
    while (auto* item = ring.front()) {
      if (item->what == common::stream_item::kind::slab_retired) {
        pool.release(item->owner);
      } else {
        out.emplace_back(item->what, std::string(item->bytes(), item->length));
      }
      ring.pop();
    }
    return out;
  }
};

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

const std::string stream_head =
    "HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ntransfer-encoding: chunked\r\n"
    "x-rate-limit-limit: 50\r\nx-rate-limit-remaining: 49\r\nx-rate-limit-reset: 1700000900\r\n\r\n";

}  // namespace

TEST_CASE("session: a 200 chunked stream is read line by line until the body ends", "[session][integration]") {
  const std::string body = "{\"data\":{\"id\":\"1\"}}\r\n\r\n{\"data\":{\"id\":\"2\"}}\r\n{\"data\":{\"id\":\"3\"}}\r\n";
  canned_server server(stream_head + chunk(body.substr(0, 10)) + chunk(body.substr(10, 17)) + chunk(body.substr(27)) + "0\r\n\r\n");
  client c;
  const auto r = c.run(server.port());
  CHECK(r.what == ingest::session_result::kind::stream_ended);
  CHECK(r.connected);
  CHECK(r.lines == 3);
  CHECK(r.rate_limit.limit == 50);
  CHECK(r.rate_limit.remaining == 49);
  CHECK(r.rate_limit.reset == 1700000900);
  const auto lines = c.drain();
  REQUIRE(lines.size() == 3);
  CHECK(lines[1].second == "{\"data\":{\"id\":\"2\"}}");
  CHECK(server.request().find("GET /2/tweets/search/stream?tweet.fields=id HTTP/1.1") == 0);
  CHECK(server.request().find("Authorization: Bearer s3cr3t-token") != std::string::npos);
}

TEST_CASE("session: a body that ends mid-line keeps the partial line as truncated", "[session][integration]") {
  canned_server server(stream_head + chunk("{\"data\":{\"id\":\"1\"}}\r\n{\"data\":{\"id\":\"2\",\"te"));
  client c;
  const auto r = c.run(server.port());
  CHECK(r.what == ingest::session_result::kind::stream_ended);
  const auto lines = c.drain();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].first == common::stream_item::kind::line);
  CHECK(lines[1].first == common::stream_item::kind::truncated);
  CHECK(lines[1].second == "{\"data\":{\"id\":\"2\",\"te");
}

TEST_CASE("session: a non-200 answer carries status, body and rate-limit headers", "[session][integration]") {
  const std::string body = R"({"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"})";
  canned_server server("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/problem+json\r\ncontent-length: " +
                       std::to_string(body.size()) + "\r\nx-rate-limit-reset: 1700000999\r\n\r\n" + body);
  client c;
  const auto r = c.run(server.port());
  CHECK(r.what == ingest::session_result::kind::http_status);
  CHECK(r.status == 401);
  CHECK(r.body == body);
  CHECK(r.rate_limit.reset == 1700000999);
  CHECK_FALSE(r.connected);
  CHECK(r.detail.find("s3cr3t") == std::string::npos);
}

TEST_CASE("session: a huge x-rate-limit-reset is clamped by the one header parser", "[session][integration]") {
  canned_server server("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nx-rate-limit-remaining: 0\r\n"
                       "x-rate-limit-reset: 9223372036854775807\r\n\r\n");
  client c;
  const auto r = c.run(server.port());
  CHECK(r.what == ingest::session_result::kind::http_status);
  CHECK(r.status == 429);
  CHECK(r.rate_limit.remaining == 0);
  CHECK(r.rate_limit.reset == ingest::rate_limit_value_max);
}

TEST_CASE("session: wrong content-type or no chunking is a protocol error naming both", "[session][integration]") {
  SECTION("html") {
    canned_server server("HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ntransfer-encoding: chunked\r\n\r\n" + chunk("<html>") + "0\r\n\r\n");
    client c;
    const auto r = c.run(server.port());
    CHECK(r.what == ingest::session_result::kind::protocol_error);
    CHECK(r.detail.find("content-type 'text/html'") != std::string::npos);
    CHECK(r.detail.find("stream.base_url") != std::string::npos);
  }
  SECTION("content-length instead of chunked") {
    canned_server server("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
    client c;
    const auto r = c.run(server.port());
    CHECK(r.what == ingest::session_result::kind::protocol_error);
    CHECK(r.detail.find("without chunked transfer-encoding") != std::string::npos);
  }
}

TEST_CASE("session: garbage instead of HTTP is a protocol error with the fix", "[session][integration]") {
  canned_server server("SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\r\n");
  client c;
  const auto r = c.run(server.port());
  CHECK(r.what == ingest::session_result::kind::protocol_error);
  CHECK(r.detail.find("did not answer with HTTP/1.1") != std::string::npos);
  CHECK(r.detail.find("https vs http") != std::string::npos);
}

TEST_CASE("session: an unreachable host is a network error naming host and port", "[session][integration]") {
  std::string port;
  {
    canned_server closed("");  // take a free port, then close it
    port = closed.port();
    client c;
    (void)c.run(port);
  }
  client c;
  const auto r = c.run(port);
  CHECK(r.what == ingest::session_result::kind::network_error);
  CHECK(r.detail.find("cannot connect to 127.0.0.1:" + port) != std::string::npos);
}

TEST_CASE("session: TLS to a plain HTTP server fails the handshake with the fix", "[session][integration]") {
  canned_server server("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
  client c;
  const auto r = c.run(server.port(), /*use_tls=*/true);
  CHECK(r.what == ingest::session_result::kind::network_error);
  CHECK(r.failed_layer == ingest::session_result::layer::tls);
  CHECK(r.detail.find("TLS handshake") != std::string::npos);
}
