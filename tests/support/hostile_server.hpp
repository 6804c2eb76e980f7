#pragma once
// hostile_server: a misbehaving HTTP server on 127.0.0.1 for tests of Spillway's ceilings — one that
// answers with a head that never ends, a chunk-size line that never ends, a body without end, pages
// without end, or bytes that trickle without ever completing a line.
//
// Owns: the listening socket and one thread that accepts connections one after another, reads each
// request head and hands the socket to the test's handler. Every loop is bounded: the handler's writes
// stop when the client goes away, when the server is destroyed, or at the server's deadline.
// Thread: the handler runs on the server thread; the rest from the test's thread.
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace spillway::testing {

class hostile_server {
 public:
  using tcp = boost::asio::ip::tcp;
  // handler(conn, request_head, index): writes the answer of connection `index` (0, 1, ...).
  class connection;
  using handler = std::function<void(connection&, const std::string&, int)>;

  class connection {
   public:
    connection(tcp::socket& s, hostile_server& owner) : socket_(s), owner_(owner) {}
    // False once the client is gone, the server is stopping or its deadline passed.
    bool write(std::string_view bytes) {
      // Raw send with a send timeout (set at accept): a client that stops reading without closing
      // cannot hold this thread past the deadline.
      while (!bytes.empty()) {
        if (!open()) return false;
        const auto n = ::send(socket_.native_handle(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
          return false;
        }
        written_ += static_cast<std::uint64_t>(n);
        owner_.bytes_.fetch_add(static_cast<std::uint64_t>(n));
        bytes.remove_prefix(static_cast<std::size_t>(n));
      }
      return true;
    }
    // Writes `filler` again and again, pausing `pause` between writes, until write() fails.
    void flood(std::string_view filler, std::chrono::milliseconds pause = std::chrono::milliseconds(0)) {
      while (write(filler)) {
        if (pause.count() > 0) std::this_thread::sleep_for(pause);
      }
    }
    [[nodiscard]] bool open() const { return !owner_.stopping_.load() && std::chrono::steady_clock::now() < owner_.deadline_; }
    [[nodiscard]] std::uint64_t written() const { return written_; }

   private:
    tcp::socket& socket_;
    hostile_server& owner_;
    std::uint64_t written_ = 0;
  };

  // give_up: the server stops writing after this long whatever happens (a test that fails still ends).
  explicit hostile_server(handler h, std::chrono::seconds give_up = std::chrono::seconds(60))
      : handler_(std::move(h)), deadline_(std::chrono::steady_clock::now() + give_up) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    acceptor_.non_blocking(true);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~hostile_server() {
    stopping_.store(true);
    thread_.join();
  }
  hostile_server(const hostile_server&) = delete;
  hostile_server& operator=(const hostile_server&) = delete;

  [[nodiscard]] std::string port() const { return std::to_string(port_); }
  [[nodiscard]] int connections() const { return connections_.load(); }
  // Bytes handed to the kernel so far, over all connections (the client may not have read them all).
  [[nodiscard]] std::uint64_t bytes_written() const { return bytes_.load(); }

 private:
  void serve() {
    for (int index = 0; !stopping_.load() && std::chrono::steady_clock::now() < deadline_;) {
      boost::system::error_code ec;
      tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) {  // would_block: nobody is connecting right now
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      s.non_blocking(false);
      const timeval send_timeout{0, 200 * 1000};
      ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && head.size() < 65536 &&
             boost::asio::read(s, boost::asio::buffer(&c, 1), ec) == 1)
        head += c;
      connections_.fetch_add(1);
      connection conn(s, *this);
      handler_(conn, head, index++);
      s.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  handler handler_;
  std::chrono::steady_clock::time_point deadline_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<std::uint64_t> bytes_{0};
  std::thread thread_;
};

}  // namespace spillway::testing
