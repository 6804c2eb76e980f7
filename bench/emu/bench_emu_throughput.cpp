// bench-emu-throughput: how fast the emulator serves at --rate 0. Starts an EmuServer in-process on
// its own thread (the "one core" the emulator gets), reads N MB over loopback with a blocking client
// on the main thread, plain HTTP and then TLS, and prints one JSON object.
// The client de-chunks and counts Post lines, and checks a sample of lines (valid JSON, increasing
// ids) before it reports any figure: a benchmark of wrong bytes is worthless.
#include <CLI/CLI.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <rapidjson/document.h>

#include <pthread.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "bench/emu/emu_server.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// De-chunks the body and counts lines; keeps the first sample lines for checking.
struct BodyCounter {
  enum class St { size, size_lf, data, data_cr, data_lf } st = St::size;
  std::size_t chunk_left = 0, posts = 0, sample_limit = 200;
  std::string line;
  std::vector<std::string> sample;
  bool bad = false;
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
            if (nl - d > 1 || !line.empty()) {
              ++posts;
              if (sample.size() < sample_limit) sample.push_back(line);
            }
            line.clear();
            d = nl + 1;
          }
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
  bool check() const {
    std::string prev;
    for (const auto& l : sample) {
      rapidjson::Document d;
      std::string s = l;
      if (!s.empty() && s.back() == '\r') s.pop_back();
      if (s.empty()) continue;
      if (d.Parse(s.c_str()).HasParseError() || !d.HasMember("data")) return false;
      std::string id = d["data"]["id"].GetString();
      if (id.size() != 19 || id <= prev) return false;
      prev = id;
    }
    return !sample.empty();
  }
};

template <class Stream>
std::string read_run(Stream& s, std::size_t bytes_wanted, double& secs, BodyCounter& counter) {
  const std::string req = "GET /2/tweets/search/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer b\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::vector<char> buf(1 << 20);
  std::string head;
  std::size_t got = 0;
  boost::system::error_code ec;
  const auto t0 = std::chrono::steady_clock::now();
  while (got < bytes_wanted) {
    const std::size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) return "read failed: " + ec.message();
    if (head.find("\r\n\r\n") == std::string::npos) {
      head.append(buf.data(), n);
      const auto e = head.find("\r\n\r\n");
      if (e == std::string::npos) continue;
      counter.feed(head.data() + e + 4, head.size() - e - 4);
      got += head.size() - e - 4;
      continue;
    }
    counter.feed(buf.data(), n);
    got += n;
  }
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return "";
}

double thread_cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string l; std::getline(f, l);)
    if (l.rfind("model name", 0) == 0) return l.substr(l.find(':') + 2);
  return "unknown";
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 2000;
  std::uint64_t seed = 1;
  bool plain = true, tls = true;
  CLI::App app{"bench-emu-throughput: spillway-emu serving rate at --rate 0, plain and TLS"};
  app.add_option("--mb", mb, "MB to read per run");
  app.add_option("--seed", seed, "emulator seed");
  app.add_flag("!--no-plain", plain, "skip the plain-HTTP run");
  app.add_flag("!--no-tls", tls, "skip the TLS run");
  CLI11_PARSE(app, argc, argv);
  std::cout << "{\"hardware\":{\"cpu\":\"" << cpu_model() << "\",\"threads\":" << std::thread::hardware_concurrency()
            << "},\"mb_per_run\":" << mb << ",\"runs\":[";
  bool first = true;
  for (bool use_tls : {false, true}) {
    if ((use_tls && !tls) || (!use_tls && !plain)) continue;
    spillway::emu::EmuConfig cfg;
    cfg.seed = seed;
    cfg.tls = use_tls;
    cfg.heartbeat_s = 20;
    spillway::emu::EmuServer server(cfg);
    // Our own thread for the server so we can read its CPU clock: MB per server-CPU-second is the
    // figure that does not depend on what else the shared machine is doing.
    std::thread server_thread([&] { server.run(); });
    clockid_t server_clock{};
    pthread_getcpuclockid(server_thread.native_handle(), &server_clock);
    const double cpu0 = thread_cpu_seconds(server_clock);
    asio::io_context io;
    tcp::socket sock(io);
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    double secs = 0;
    BodyCounter counter;
    std::string err;
    if (use_tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.add_certificate_authority(asio::buffer(server.cert_pem()));
      ctx.set_verify_mode(asio::ssl::verify_peer);
      asio::ssl::stream<tcp::socket&> s(sock, ctx);
      s.handshake(asio::ssl::stream_base::client);
      err = read_run(s, mb << 20, secs, counter);
    } else {
      err = read_run(sock, mb << 20, secs, counter);
    }
    const double server_cpu = thread_cpu_seconds(server_clock) - cpu0;
    sock.close();
    server.stop();
    server_thread.join();
    if (!err.empty() || !counter.check()) {
      std::cout << "]}\n";
      std::cerr << "bench-emu-throughput: " << (err.empty() ? "sampled lines failed the check" : err) << "\n";
      return 1;
    }
    std::printf("%s{\"transport\":\"%s\",\"seconds\":%.3f,\"MB_per_s\":%.1f,\"posts\":%zu,\"posts_per_s\":%.0f,"
                "\"mean_post_bytes\":%.0f,\"server_cpu_s\":%.3f,\"MB_per_server_cpu_s\":%.0f}",
                first ? "" : ",", use_tls ? "tls" : "plain", secs, double(mb) / secs, counter.posts,
                double(counter.posts) / secs, double(mb << 20) / double(counter.posts), server_cpu, double(mb) / server_cpu);
    std::fflush(stdout);
    first = false;
  }
  std::cout << "]}\n";
  return 0;
}
