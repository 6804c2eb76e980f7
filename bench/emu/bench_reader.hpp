#pragma once
// What the emulator's benchmarks (bench-emu-throughput, bench-emu-schedule) share: a blocking reader of
// one stream response that de-chunks and counts Post lines and keeps a sample of lines to check (valid
// JSON, increasing 19-digit ids) before any figure is reported, optionally throttled to play a slow
// client; one measured run (an EmuServer on a thread of its own, whose CPU clock is read, and that
// reader on the caller's thread, plain or TLS); the CPU model the reports carry.
// Written here, not shared with ingest/ (the emulator shares no code with the client), and kept out of
// spillway_emu_lib: only the benchmark programs include it.
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <rapidjson/document.h>

#include <pthread.h>
#include <time.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/emu/emu_server.hpp"

namespace spillway::emu::bench {

// De-chunks the body and counts lines; keeps the first sample lines for checking.
struct BodyCounter {
  enum class St { size, size_lf, data, data_cr, data_lf } st = St::size;
  std::size_t chunk_left = 0, posts = 0, sample_limit = 200;
  std::size_t line_bytes = 0;  // bytes of the current line seen so far
  std::string line;
  std::vector<std::string> sample;
  void feed(const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n;) {
      switch (st) {
        case St::size: {
          const char c = p[i++];
          if (c == '\r') st = St::size_lf;
          else chunk_left = chunk_left * 16 + std::size_t(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
          break;
        }
        case St::size_lf:
          ++i;
          st = chunk_left == 0 ? St::data_cr : St::data;  // "0\r\n" then the final "\r\n"
          break;
        case St::data: {
          const std::size_t take = std::min(chunk_left, n - i);
          const char* d = p + i;
          for (const char* nl; (nl = static_cast<const char*>(memchr(d, '\n', std::size_t(p + i + take - d))));) {
            if (sample.size() < sample_limit) line.append(d, std::size_t(nl - d));
            // A line may span chunks: its length, not the piece in this chunk, tells a Post ("...\r")
            // from a heartbeat ("\r").
            if (line_bytes + std::size_t(nl - d) > 1) {
              ++posts;
              if (sample.size() < sample_limit) sample.push_back(line);
            }
            line.clear();
            line_bytes = 0;
            d = nl + 1;
          }
          line_bytes += std::size_t(p + i + take - d);
          if (sample.size() < sample_limit) line.append(d, std::size_t(p + i + take - d));
          i += take;
          chunk_left -= take;
          if (chunk_left == 0) st = St::data_cr;
          break;
        }
        case St::data_cr: ++i, st = St::data_lf; break;
        case St::data_lf: ++i, st = St::size; break;
      }
    }
  }
  // Every sampled line is a Post with a 19-digit id above the previous one (a SlowReader notice,
  // which has no "data", is allowed as the last line of a cut stream).
  bool check() const {
    std::string prev;
    for (std::size_t i = 0; i < sample.size(); ++i) {
      std::string s = sample[i];
      if (!s.empty() && s.back() == '\r') s.pop_back();
      if (s.empty()) continue;
      rapidjson::Document d;
      if (d.Parse(s.c_str()).HasParseError()) return false;
      if (!d.HasMember("data")) {
        if (i + 1 == sample.size() && s.find("SlowReader") != std::string::npos) continue;
        return false;
      }
      std::string id = d["data"]["id"].GetString();
      if (id.size() != 19 || id <= prev) return false;
      prev = id;
    }
    return !sample.empty();
  }
};

struct ReadLimits {
  std::size_t max_body_bytes = SIZE_MAX;  // stop after this many body bytes (SIZE_MAX: until the end)
  double max_bytes_per_s = 0;             // > 0: read no faster than this (a slow client); 0 = at once
};

struct ReadResult {
  std::string error;      // empty unless the read failed before the stream ended or the limit was met
  double seconds = 0;     // from the first body byte to the last
  std::size_t body_bytes = 0;
  bool ended = false;     // the server closed the connection (end of body or a cut)
};

// Sends the stream request, then reads the response into `counter` within `limits`.
template <class Stream>
ReadResult read_stream(Stream& s, const ReadLimits& limits, BodyCounter& counter) {
  const std::string req = "GET /2/tweets/search/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer b\r\n\r\n";
  ReadResult r;
  boost::system::error_code ec;
  boost::asio::write(s, boost::asio::buffer(req), ec);
  if (ec) return r.error = "request failed: " + ec.message(), r;
  std::vector<char> buf(1 << 20);
  std::string head;
  bool in_body = false;
  using Clock = std::chrono::steady_clock;
  Clock::time_point t0{}, last{};
  while (r.body_bytes < limits.max_body_bytes) {
    const std::size_t n = s.read_some(boost::asio::buffer(buf), ec);
    if (ec) {
      // eof, or a reset/short TLS read after a slow-reader cut: the stream has ended either way.
      r.ended = in_body;
      if (!in_body) r.error = "read failed before the body: " + ec.message();
      break;
    }
    last = Clock::now();
    const char* body = buf.data();
    std::size_t body_n = n;
    if (!in_body) {
      head.append(buf.data(), n);
      const auto e = head.find("\r\n\r\n");
      if (e == std::string::npos) continue;
      in_body = true;
      t0 = last;
      body = head.data() + e + 4;
      body_n = head.size() - e - 4;
    }
    counter.feed(body, body_n);
    r.body_bytes += body_n;
    if (limits.max_bytes_per_s > 0) {
      const auto due = t0 + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(double(r.body_bytes) / limits.max_bytes_per_s));
      std::this_thread::sleep_until(due);
    }
  }
  r.seconds = std::chrono::duration<double>(last - t0).count();
  return r;
}

inline double thread_cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

struct MeasuredRun {
  BodyCounter counter;
  ReadResult read;
  double server_cpu_s = 0;  // the emulator thread's CPU time over the read
};

// Serves `cfg` in-process on a thread of its own, reads one stream within `limits` (over TLS when
// cfg.tls, verifying the emulator's certificate), then stops the server: every session has ended and
// written its --log record when this returns.
inline MeasuredRun measured_run(const EmuConfig& cfg, const ReadLimits& limits) {
  namespace asio = boost::asio;
  using asio::ip::tcp;
  MeasuredRun run;
  EmuServer server(cfg);
  // The server's own thread, so that its CPU clock can be read: MB per server-CPU-second is the figure
  // that does not depend on what else the shared machine is doing.
  std::thread server_thread([&] { server.run(); });
  clockid_t server_clock{};
  pthread_getcpuclockid(server_thread.native_handle(), &server_clock);
  const double cpu0 = thread_cpu_seconds(server_clock);
  asio::io_context io;
  tcp::socket sock(io);
  sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  if (cfg.tls) {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.add_certificate_authority(asio::buffer(server.cert_pem()));
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<tcp::socket&> s(sock, ctx);
    s.handshake(asio::ssl::stream_base::client);
    run.read = read_stream(s, limits, run.counter);
  } else {
    run.read = read_stream(sock, limits, run.counter);
  }
  run.server_cpu_s = thread_cpu_seconds(server_clock) - cpu0;
  boost::system::error_code ec;
  sock.close(ec);
  server.stop();
  server_thread.join();
  return run;
}

inline std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string l; std::getline(f, l);)
    if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
  return "unknown";
}

}  // namespace spillway::emu::bench
