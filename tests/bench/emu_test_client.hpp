#pragma once
// Test-side client for the emulator: a raw POSIX socket (optionally wrapped in OpenSSL) with a
// receive timeout, and a tiny chunked-body decoder written here on purpose, independent of both
// the emulator and the product's framer. Every read is bounded in time.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace spillway::emu::test {

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A capture from /work/shared/testdata/xapi, without the trailing newline some files have.
inline std::string testdata(const std::string& name) {
  std::string s = slurp(std::string(SPILLWAY_TESTDATA_DIR) + "/" + name);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A per-process path in the temp directory (tests may run in parallel under ctest).
inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("spillway-emu-test-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

// Decodes "size\r\ndata\r\n"... "0\r\n\r\n". Records each chunk's size; flags malformed framing.
class ChunkDecoder {
 public:
  void feed(std::string_view in) {
    raw_.append(in);
    for (;;) {
      if (done_ || error_) return;
      const auto crlf = raw_.find("\r\n", pos_);
      if (crlf == std::string::npos) return;
      std::size_t size = 0;
      for (std::size_t i = pos_; i < crlf; ++i) {
        const char c = raw_[i];
        const int v = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
        if (v < 0) return void(error_ = true);
        size = size * 16 + std::size_t(v);
      }
      if (crlf == pos_) return void(error_ = true);
      if (raw_.size() < crlf + 2 + size + 2) return;
      if (raw_.compare(crlf + 2 + size, 2, "\r\n") != 0) return void(error_ = true);
      if (size == 0) {
        done_ = true;
        return;
      }
      body_.append(raw_, crlf + 2, size);
      sizes_.push_back(size);
      pos_ = crlf + 2 + size + 2;
    }
  }
  const std::string& body() const { return body_; }
  const std::vector<std::size_t>& chunk_sizes() const { return sizes_; }
  bool done() const { return done_; }
  bool error() const { return error_; }

 private:
  std::string raw_, body_;
  std::size_t pos_ = 0;
  std::vector<std::size_t> sizes_;
  bool done_ = false, error_ = false;
};

// Splits a stream body into lines on "\r\n"; empty lines are heartbeats.
inline std::vector<std::string> split_lines(const std::string& body, std::string* tail = nullptr) {
  std::vector<std::string> lines;
  std::size_t p = 0;
  for (auto e = body.find("\r\n"); e != std::string::npos; p = e + 2, e = body.find("\r\n", p))
    lines.push_back(body.substr(p, e - p));
  if (tail) *tail = body.substr(p);
  return lines;
}

class TestClient {
 public:
  // ca_pem empty: plain TCP. Otherwise TLS, verifying the server against this certificate and the
  // name "localhost" (so the SAN is checked too).
  TestClient(std::uint16_t port, const std::string& ca_pem = "", double timeout_s = 5) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{long(timeout_s), long((timeout_s - double(long(timeout_s))) * 1e6)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("connect failed");
    if (ca_pem.empty()) return;
    ctx_ = SSL_CTX_new(TLS_client_method());
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), int(ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!ca) throw std::runtime_error("bad CA PEM");
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("TLS handshake or certificate verification failed");
  }
  ~TestClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  void send(const std::string& s) {
    const long n = ssl_ ? SSL_write(ssl_, s.data(), int(s.size())) : long(::send(fd_, s.data(), s.size(), 0));
    if (n != long(s.size())) throw std::runtime_error("send failed");
  }
  // > 0 bytes; 0 = orderly end; < 0 = timeout or error.
  long read_some(char* buf, std::size_t n) {
    if (!ssl_) return long(::recv(fd_, buf, n, 0));
    const int r = SSL_read(ssl_, buf, int(n));
    if (r > 0) return r;
    const int e = SSL_get_error(ssl_, r);
    return e == SSL_ERROR_ZERO_RETURN ? 0 : (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0 ? 0 : -1);
  }
  void get(const std::string& target, const std::string& bearer = "") {
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: spillway-test\r\n";
    if (!bearer.empty()) req += "Authorization: Bearer " + bearer + "\r\n";
    send(req + "\r\n");
  }

 private:
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string raw_body;                        // as received (chunked framing still on)
  ChunkDecoder chunks;
  bool eof = false;  // the server closed the connection
};

// Reads the head, then body bytes until `enough(resp)` is true, the server closes, or `max_s` pass.
template <class Pred>
Response read_response(TestClient& c, Pred enough, double max_s = 5) {
  Response r;
  std::string buf(256 * 1024, '\0'), head;
  bool in_body = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  while (std::chrono::steady_clock::now() < deadline) {
    const long n = c.read_some(buf.data(), buf.size());
    if (n <= 0) {
      r.eof = n == 0;
      break;
    }
    if (!in_body) {
      head.append(buf.data(), std::size_t(n));
      const auto e = head.find("\r\n\r\n");
      if (e == std::string::npos) continue;
      in_body = true;
      r.status = std::stoi(head.substr(9, 3));
      for (std::size_t p = head.find("\r\n") + 2; p < e;) {
        const auto le = head.find("\r\n", p);
        const std::string line = head.substr(p, le - p);
        std::string name = line.substr(0, line.find(':'));
        for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
        r.headers[name] = line.substr(line.find(':') + 2);
        p = le + 2;
      }
      r.raw_body = head.substr(e + 4);
      if (r.headers.count("transfer-encoding")) r.chunks.feed(r.raw_body);
    } else {
      r.raw_body.append(buf.data(), std::size_t(n));
      if (r.headers.count("transfer-encoding")) r.chunks.feed(std::string_view(buf.data(), std::size_t(n)));
    }
    if (enough(r)) break;
  }
  return r;
}

// The Post lines of a streamed body (heartbeats, the empty lines, left out).
inline std::size_t post_lines(const Response& r) {
  std::size_t n = 0;
  for (const auto& l : split_lines(r.chunks.body())) n += !l.empty();
  return n;
}

// The status of the answer to what `c` sent (0 when none came within max_s); the body is not waited for,
// so a 200 stream stays open on `c` (holding its connection slot).
inline int read_status(TestClient& c, double max_s = 5) {
  return read_response(c, [](const Response& r) { return r.status != 0; }, max_s).status;
}

// One GET of the stream, read until the chunked body ends or the server closes (bounded by max_s).
inline Response fetch_until_done(std::uint16_t port, const std::string& target = "/2/tweets/search/stream",
                                 const std::string& ca_pem = "", double max_s = 5) {
  TestClient c(port, ca_pem);
  c.get(target);
  return read_response(c, [](const Response& r) { return r.chunks.done(); }, max_s);
}

// One request with extra header lines (each "Name: value\r\n") and a body, read until the server
// closes (every non-stream answer is connection: close) or max_s pass.
inline Response http_request(std::uint16_t port, const std::string& method, const std::string& target,
                             const std::string& headers = "", const std::string& body = "", double max_s = 5) {
  TestClient c(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  c.send(req + "\r\n" + body);
  return read_response(c, [](const Response&) { return false; }, max_s);
}

// A JSON document; throws (a test failure under Catch) when `s` is not JSON.
inline rapidjson::Document parse_json(const std::string& s) {
  rapidjson::Document d;
  if (d.Parse(s.c_str()).HasParseError()) throw std::runtime_error("not JSON: " + s.substr(0, 200));
  return d;
}

// Unix seconds now (x-rate-limit-reset is in these).
inline std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Waits (bounded by max_s) until `path` holds a line containing `needle`; returns that line or "".
inline std::string wait_for_line(const std::string& path, const std::string& needle, double max_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(max_s);
  for (;;) {
    std::istringstream in(slurp(path));
    for (std::string line; std::getline(in, line);)
      if (line.find(needle) != std::string::npos) return line;
    if (std::chrono::steady_clock::now() >= deadline) return "";
    ::usleep(10000);
  }
}

}  // namespace spillway::emu::test
