#pragma once
// EmuServer: the X filtered-stream emulator as a library object. Owns the io_context, the listening
// socket on 127.0.0.1, the TLS identity and the shared ServerState. All connection work runs on one
// thread: the caller's (run()) or one the server starts (start_thread()). stop() may be called from
// any thread. Start-up failures (port in use, bad cert, unwritable file) throw std::runtime_error
// whose message names the fix.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "bench/emu/emu_config.hpp"
#include "bench/emu/server_state.hpp"
#include "bench/emu/tls_identity.hpp"

namespace spillway::emu {

class EmuServer {
 public:
  // Builds the Post pool, binds and listens, writes --cert-out and --ready-file.
  explicit EmuServer(EmuConfig config);
  ~EmuServer();
  EmuServer(const EmuServer&) = delete;
  EmuServer& operator=(const EmuServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string base_url() const;
  const std::string& cert_pem() const;

  // Serves until stop() (or, with exit_after_count, until the count is done). Blocks.
  void run();
  void start_thread();
  // Closes the listener and every connection; run() then returns. Thread-safe, idempotent.
  void stop();
  // Stops after the Post that uses up --count has been sent and its stream closed.
  void stop_when_count_done();

 private:
  void start_accepting();

  boost::asio::io_context io_{1};
  std::shared_ptr<ServerState> state_;
  std::optional<TlsIdentity> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace spillway::emu
