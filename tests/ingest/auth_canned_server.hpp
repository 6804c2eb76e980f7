#pragma once
// auth_canned_server: a tiny HTTP server on 127.0.0.1 for the token-flow unit tests. It answers the
// n-th connection with the n-th canned response (one request per connection, as http_client sends) and
// records each request (head and body) so a test can check what the client sent.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spillway::testing {

class auth_canned_server {
 public:
  explicit auth_canned_server(std::vector<std::string> responses) : responses_(std::move(responses)) {
    namespace asio = boost::asio;
    using tcp = asio::ip::tcp;
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      for (const auto& response : responses_) {  // bounded: one connection per canned response
        boost::system::error_code ec;
        tcp::socket s(io_);
        acceptor_.accept(s, ec);
        if (ec || stopping_.load()) return;
        std::string head;
        char c;
        while (head.find("\r\n\r\n") == std::string::npos && asio::read(s, asio::buffer(&c, 1), ec) == 1) head += c;
        std::string body;
        const auto at = lower(head).find("content-length:");
        if (at != std::string::npos) {
          body.resize(std::stoul(head.substr(at + 15)));
          asio::read(s, asio::buffer(body), ec);
        }
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(head + body);
        }
        asio::write(s, asio::buffer(response), ec);
        s.shutdown(tcp::socket::shutdown_both, ec);
      }
    });
  }
  ~auth_canned_server() {
    // Closing the acceptor under a blocked accept() would race with it: wake it with a connection instead.
    stopping_.store(true);
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket waker(io_);
    waker.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    thread_.join();
    acceptor_.close(ec);
  }
  auth_canned_server(const auth_canned_server&) = delete;
  auth_canned_server& operator=(const auth_canned_server&) = delete;

  [[nodiscard]] std::string port() const { return std::to_string(port_); }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + port(); }
  [[nodiscard]] std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  // A complete HTTP/1.1 response with a JSON body.
  static std::string json(int status, const std::string& body, const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\ncontent-type: application/json\r\ncontent-length: " +
           std::to_string(body.size()) + "\r\nconnection: close\r\n" + extra_headers + "\r\n" + body;
  }

 private:
  static std::string lower(std::string s) {
    for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::vector<std::string> responses_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  unsigned short port_ = 0;
  std::thread thread_;
};

}  // namespace spillway::testing
