// Slow-reader detection (--slow-reader-bytes with --rate): a client that stops reading is cut with
// X's SlowReader notice (when it still fits) and the log says slow_reader; one that reads promptly
// at the same rate is not; the Posts it missed come back only by backfill.
#include <sys/socket.h>

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "bench/emu/emu_server.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::read_response;
using test::Response;
using test::TestClient;

namespace {

const std::string kNotice =
    R"({"errors":[{"title":"operational-disconnect","disconnect_type":"SlowReader","detail":"This stream has been disconnected because your client was unable to keep up with us.","type":"https://api.twitter.com/2/problems/operational-disconnect"}]})";

EmuConfig slow_config(const std::string& log_name) {
  EmuConfig c;
  c.seed = 5;
  c.pool_size = 128;
  c.rate = 20000;
  c.slow_reader_bytes = 256 * 1024;
  c.heartbeat_s = 5;
  c.log_path = test::temp_path(log_name);
  std::filesystem::remove(c.log_path);
  return c;
}

using test::parse_json;

// An emulator at 20,000 Posts/s that cuts at 256 KiB, and one stream client connected to it.
struct Rig {
  explicit Rig(const std::string& log_name) : cfg(slow_config(log_name)), server(cfg), client(started(server), "", 10) {
    client.get("/2/tweets/search/stream");
  }
  static std::uint16_t started(EmuServer& s) {
    s.start_thread();
    return s.port();
  }
  EmuConfig cfg;
  EmuServer server;
  TestClient client;
};

// Complete Post lines in the (possibly cut) body, and whether the last complete line is the notice.
struct Received {
  std::size_t posts = 0;
  bool notice_last = false;
  bool notice_anywhere = false;
};
Received received(const std::string& body) {
  Received r;
  const auto lines = test::split_lines(body);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] == kNotice) {
      r.notice_anywhere = true;
      r.notice_last = i + 1 == lines.size();
    } else if (!lines[i].empty()) {
      ++r.posts;
    }
  }
  return r;
}

}  // namespace

TEST_CASE("slow reader: a client that stops reading is cut and logged", "[bench][integration][slow_reader]") {
  Rig rig("slow-stalled.log");
  auto& c = rig.client;
  const auto& cfg = rig.cfg;
  // Not reading: the kernel buffers fill, then the due bytes pile up past 256 KiB.
  const std::string line = test::wait_for_line(cfg.log_path, "\"connection\"", 10);
  REQUIRE_FALSE(line.empty());
  auto rec = parse_json(line);
  CHECK(std::string(rec["outcome"].GetString()) == "slow_reader");
  const std::string ended = rec["ended"].GetString();
  CHECK((ended == "slow_reader_notice" || ended == "slow_reader_cut"));
  CHECK(rec["status"].GetInt() == 200);
  CHECK(rec["posts_lost"].GetUint64() > 0);  // due while the client stalled, never written
  // Reading now drains what the kernel held, then the end of the connection.
  auto r = read_response(c, [](const Response&) { return false; }, 10);
  CHECK(r.status == 200);
  CHECK(r.eof);
  const auto got = received(r.chunks.body());
  CHECK(got.posts > 100);
  // The notice is best effort (the socket was full); when it came, it came last and ended the body.
  if (got.notice_anywhere) {
    CHECK(got.notice_last);
    CHECK(r.chunks.done());
  }
  CHECK(ended == (got.notice_anywhere ? "slow_reader_notice" : "slow_reader_cut"));
}

TEST_CASE("slow reader: a client that reads too slowly gets the SlowReader notice", "[bench][integration][slow_reader]") {
  Rig rig("slow-trickle.log");
  auto& c = rig.client;
  const auto& cfg = rig.cfg;
  // ~6 MB/s against ~30 MB/s due: it falls behind, but drains enough for the notice to fit.
  Response r;
  std::string buf(64 * 1024, '\0');
  bool in_body = false;
  std::string head;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    const long n = c.read_some(buf.data(), buf.size());
    if (n <= 0) {
      r.eof = n == 0;
      break;
    }
    if (in_body) {
      r.chunks.feed(std::string_view(buf.data(), std::size_t(n)));
    } else {
      head.append(buf.data(), std::size_t(n));
      if (const auto e = head.find("\r\n\r\n"); e != std::string::npos) {
        in_body = true;
        r.chunks.feed(std::string_view(head).substr(e + 4));
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(r.eof);
  CHECK_FALSE(r.chunks.error());
  CHECK(r.chunks.done());
  const auto got = received(r.chunks.body());
  CHECK(got.notice_last);
  const auto rec = parse_json(test::wait_for_line(cfg.log_path, "\"connection\"", 5));
  CHECK(std::string(rec["outcome"].GetString()) == "slow_reader");
  CHECK(std::string(rec["ended"].GetString()) == "slow_reader_notice");
}

TEST_CASE("slow reader: a client that reads promptly at the same rate is not cut", "[bench][integration][slow_reader]") {
  Rig rig("slow-prompt.log");
  // Read as cheaply as possible (no decoding): on a loaded machine a test client that parses 30 MB/s
  // would itself be a slow reader.
  std::string buf(1 << 20, '\0'), start;
  std::size_t bytes = 0;
  bool eof = false, notice = false;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1500)) {
    const long n = rig.client.read_some(buf.data(), buf.size());
    if (n <= 0) {
      eof = true;
      break;
    }
    if (start.size() < 16) start.append(buf.data(), std::size_t(std::min<long>(n, 16)));
    notice = notice || std::string_view(buf.data(), std::size_t(n)).find("SlowReader") != std::string_view::npos;
    bytes += std::size_t(n);
  }
  CHECK(start.rfind("HTTP/1.1 200 OK", 0) == 0);
  CHECK_FALSE(eof);
  CHECK_FALSE(notice);
  CHECK(bytes > 3'000'000);  // 20,000/s × ~1.5 KB nominal; generous for a shared machine
  // Still streaming: nothing has been logged for this connection yet.
  CHECK(test::slurp(rig.cfg.log_path).find("slow_reader") == std::string::npos);
}

TEST_CASE("slow reader: the Posts a cut client missed come back only by backfill", "[bench][integration][slow_reader]") {
  Rig rig("slow-backfill.log");
  REQUIRE_FALSE(test::wait_for_line(rig.cfg.log_path, "slow_reader", 10).empty());
  const auto delivered = received(read_response(rig.client, [](const Response&) { return false; }, 10).chunks.body()).posts;
  // The backfill replays every Post of the last minute, the ones lost in the cut included.
  {
    TestClient b(rig.server.port(), "", 10);
    b.get("/2/tweets/search/stream?backfill_minutes=1");
    const auto r = read_response(b, [](const Response& x) { return x.chunks.body().size() > 1024 * 1024; }, 5);
    CHECK(r.status == 200);
  }  // closed: the emulator logs the connection at its next write
  const std::string line = test::wait_for_line(rig.cfg.log_path, "backfill_minutes=1", 10);
  REQUIRE_FALSE(line.empty());
  const auto rec = parse_json(line);
  CHECK(rec["backfilled"].GetUint64() > delivered);
}

TEST_CASE("slow reader over TLS: cut without a notice", "[bench][integration][slow_reader]") {
  auto cfg = slow_config("slow-tls.log");
  cfg.tls = true;
  EmuServer server(cfg);
  server.start_thread();
  TestClient c(server.port(), server.cert_pem(), 10);
  c.get("/2/tweets/search/stream");
  const std::string line = test::wait_for_line(cfg.log_path, "\"connection\"", 10);
  REQUIRE_FALSE(line.empty());
  const auto rec = parse_json(line);
  CHECK(std::string(rec["outcome"].GetString()) == "slow_reader");
  CHECK(std::string(rec["ended"].GetString()) == "slow_reader_cut");
  // The client drains what the kernel held and then meets the end (a cut TLS record reads as an error).
  auto r = read_response(c, [](const Response&) { return false; }, 10);
  CHECK(r.status == 200);
  CHECK(r.chunks.body().find("SlowReader") == std::string::npos);
}
