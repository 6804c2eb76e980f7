#include "bench/kafka_mock/port_forwarder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace spillway::bench {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

port_forwarder::port_forwarder(std::uint16_t port, const std::string& target) {
  const auto colon = target.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("forward target '" + target + "' is not host:port");
  target_port_ = static_cast<std::uint16_t>(std::stoi(target.substr(colon + 1)));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const auto addr = loopback(port);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    const std::string why = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port) + " (" + why +
                             "); choose a free port for --port");
  }
  thread_ = std::thread([this] { serve(); });
}

port_forwarder::~port_forwarder() {
  stop_ = true;
  thread_.join();
  for (auto [a, b] : pairs_) {
    ::close(a);
    ::close(b);
  }
  ::close(listen_fd_);
}

void port_forwarder::serve() {
  std::vector<pollfd> fds;
  while (!stop_) {
    fds.assign(1, pollfd{listen_fd_, POLLIN, 0});
    for (auto [a, b] : pairs_) {
      fds.push_back({a, POLLIN, 0});
      fds.push_back({b, POLLIN, 0});
    }
    // Wakes every 100 ms to notice stop_.
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    const std::size_t polled = pairs_.size();
    std::vector<std::pair<int, int>> alive;
    for (std::size_t i = 0; i < polled; ++i) {
      const auto [a, b] = pairs_[i];
      const bool ok = (fds[1 + 2 * i].revents == 0 || pump(a, b)) && (fds[2 + 2 * i].revents == 0 || pump(b, a));
      if (ok) {
        alive.emplace_back(a, b);
      } else {
        ::close(a);
        ::close(b);
      }
    }
    pairs_.swap(alive);
    if (fds[0].revents != 0) accept_one();
  }
}

void port_forwarder::accept_one() {
  const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  const int broker = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const auto addr = loopback(target_port_);
  if (broker < 0 || ::connect(broker, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    // The broker is down (`down 1`): refuse the client as a closed port would.
    if (broker >= 0) ::close(broker);
    ::close(client);
    return;
  }
  pairs_.emplace_back(client, broker);
}

bool port_forwarder::pump(int from, int to) {
  char buf[65536];
  const auto n = ::recv(from, buf, sizeof buf, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  return write_all(to, buf, static_cast<std::size_t>(n));
}

}  // namespace spillway::bench
