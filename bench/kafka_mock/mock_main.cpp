// spillway-kafka-mock: a librdkafka mock Kafka cluster in its own process, driven by commands on stdin.
// See README.md for flags and commands. Exits 0 on SIGTERM/SIGINT, "quit", or stdin EOF (unless
// --ignore-eof), 1 on a start-up error.
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/kafka_mock/mock_cluster.hpp"
#include "bench/kafka_mock/port_forwarder.hpp"

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }

// Reads stdin without blocking signal handling: poll() wakes every 100 ms to look at the stop flag.
class line_reader {
 public:
  // Returns 1 with a line, 0 when nothing yet, -1 at EOF.
  int next(std::string& line) {
    for (;;) {
      auto nl = buf_.find('\n');
      if (nl != std::string::npos) {
        line.assign(buf_, 0, nl);
        buf_.erase(0, nl + 1);
        return 1;
      }
      if (eof_) {
        if (buf_.empty()) return -1;
        line.swap(buf_);
        buf_.clear();
        return 1;
      }
      pollfd p{STDIN_FILENO, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) return 0;
      char chunk[4096];
      auto n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n <= 0) {
        eof_ = true;
      } else {
        buf_.append(chunk, static_cast<std::size_t>(n));
      }
    }
  }

 private:
  std::string buf_;
  bool eof_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"spillway-kafka-mock: librdkafka mock Kafka cluster on 127.0.0.1 for tests and demos"};
  int brokers = 1;
  std::vector<std::string> topics;
  std::string ready_file;
  bool ignore_eof = false;
  int port = 0;
  app.add_option("--brokers", brokers, "number of brokers (ids 1..N)")->check(CLI::Range(1, 16));
  app.add_option("--topic", topics, "create topic NAME[:PARTITIONS] at start (repeatable)");
  app.add_option("--ready-file", ready_file, "write the bootstrap address to this file once up");
  app.add_flag("--ignore-eof", ignore_eof, "keep running when stdin closes (stop with SIGTERM)");
  app.add_option("--port", port,
                 "also accept bootstrap connections on 127.0.0.1:PORT (forwarded to broker 1), so a client "
                 "can be pointed at a port before the broker starts")
      ->check(CLI::Range(1, 65535));
  CLI11_PARSE(app, argc, argv);

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    spillway::bench::mock_cluster cluster(brokers);
    for (const auto& t : topics) {
      auto err = cluster.create_topic(t);
      if (!err.empty()) {
        std::cerr << "spillway-kafka-mock: --topic " << t << ": " << err << "\n";
        return 1;
      }
    }
    auto address = cluster.bootstraps();
    std::unique_ptr<spillway::bench::port_forwarder> forwarder;
    if (port != 0) {
      forwarder = std::make_unique<spillway::bench::port_forwarder>(static_cast<std::uint16_t>(port),
                                                                     address.substr(0, address.find(',')));
      address = "127.0.0.1:" + std::to_string(port);
    }
    std::cout << address << std::endl;
    if (!ready_file.empty()) {
      // Write then rename, so a watcher never reads a half-written address.
      const auto tmp = ready_file + ".tmp";
      std::ofstream(tmp) << address << "\n";
      if (std::rename(tmp.c_str(), ready_file.c_str()) != 0) {
        std::cerr << "spillway-kafka-mock: cannot write --ready-file " << ready_file
                  << "; pass a path in a writable directory\n";
        return 1;
      }
    }
    line_reader reader;
    std::string line;
    bool quit = false;
    while (stop_requested == 0 && !quit) {
      const int r = reader.next(line);
      if (r < 0) {
        if (!ignore_eof) break;
        // stdin is gone: wait for a signal only.
        while (stop_requested == 0) ::pause();
        break;
      }
      if (r == 0) continue;
      if (line.empty() || line[0] == '#') continue;
      std::cout << cluster.execute(line, quit) << std::endl;
    }
  } catch (const std::exception& e) {
    std::cerr << "spillway-kafka-mock: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
