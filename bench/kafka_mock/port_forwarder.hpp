#pragma once
// port_forwarder: accepts TCP connections on a fixed 127.0.0.1 port and splices each one to a target
// address. librdkafka's mock brokers (2.0.2) always listen on ephemeral ports; this lets a test point a
// client at a port chosen in advance and start the broker later (`spillway-kafka-mock --port P`). Only
// the bootstrap connection goes through it: metadata advertises the brokers' own addresses.
//
// Owns: the listening socket, every spliced pair of sockets, and the thread that serves them (poll()).
// Threads: construct and destroy on one thread; the forwarding runs on its own thread.
// Test and demo tool: blocking writes, one thread, no back-pressure beyond the kernel's buffers.
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace spillway::bench {

class port_forwarder {
 public:
  // Throws std::runtime_error (start-up) when the port cannot be bound; `target` is "127.0.0.1:PORT".
  port_forwarder(std::uint16_t port, const std::string& target);
  ~port_forwarder();
  port_forwarder(const port_forwarder&) = delete;
  port_forwarder& operator=(const port_forwarder&) = delete;

 private:
  void serve();
  void accept_one();
  // Copies what is readable on `from` to `to`; false when either side is finished.
  static bool pump(int from, int to);

  int listen_fd_ = -1;
  std::uint16_t target_port_ = 0;
  std::vector<std::pair<int, int>> pairs_;  // (client, broker), touched by the serving thread only
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace spillway::bench
