#include "bench/emu/emu_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "bench/emu/snowflake.hpp"
#include "bench/emu/stream_session.hpp"

namespace spillway::emu {
namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::int64_t resolve_start_ms(std::int64_t configured) {
  if (configured == 0)
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  if (configured < kMinStartMs)
    throw std::runtime_error("spillway-emu: --start-ms " + std::to_string(configured) +
                             " is before 2019-01-01, where X ids would have fewer than 19 digits; pass a "
                             "later Unix time in milliseconds (or 0 for now)");
  return configured;
}

void write_file_atomically(const std::string& path, const std::string& text, const char* flag) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text << '\n';
    if (!f.flush())
      throw std::runtime_error(std::string("spillway-emu: cannot write ") + flag + " " + path +
                               "; pick a writable path");
  }
  std::filesystem::rename(tmp, path);
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> st, tcp::acceptor& acceptor,
                                  asio::ssl::context* tls) {
  for (;;) {
    auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (!acceptor.is_open() || st->stopping) co_return;
      // e.g. EMFILE: keep serving the connections we have, and do not spin while fds are short.
      asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    boost::system::error_code ignored;
    sock.set_option(tcp::no_delay(true), ignored);
    const std::uint64_t no = st->next_connection_no++;
    if (tls) {
      auto s = std::make_shared<TlsSession>(st, asio::ssl::stream<tcp::socket>(std::move(sock), *tls), no);
      asio::co_spawn(acceptor.get_executor(), s->run(), asio::detached);
    } else {
      auto s = std::make_shared<PlainSession>(st, std::move(sock), no);
      asio::co_spawn(acceptor.get_executor(), s->run(), asio::detached);
    }
  }
}

}  // namespace

EmuServer::EmuServer(EmuConfig config) : acceptor_(io_) {
  if (config.heartbeat_s <= 0)
    throw std::runtime_error("spillway-emu: --heartbeat must be > 0 seconds (e.g. 20 or 0.5)");
  if (config.rate < 0) throw std::runtime_error("spillway-emu: --rate must be >= 0 (0 = as fast as possible)");
  if (config.pool_size == 0) throw std::runtime_error("spillway-emu: the template pool needs at least 1 Post");
  if (config.clock_offset_s < 0 || (config.clock_offset_s > 0 && config.rate <= 0))
    throw std::runtime_error("spillway-emu: --clock-offset-s needs --rate > 0 (the span is filled at that rate) "
                             "and a non-negative number of seconds");
  if (config.clock_offset_s > 0 && config.start_ms != 0)
    throw std::runtime_error("spillway-emu: --clock-offset-s and --start-ms both set the first Post's time; pass one");
  const std::int64_t now_ms = resolve_start_ms(0);
  const std::int64_t start_ms = config.clock_offset_s > 0 ? now_ms - config.clock_offset_s * 1000
                                                          : resolve_start_ms(config.start_ms);
  state_ = std::make_shared<ServerState>(std::move(config), start_ms);
  const EmuConfig& cfg = state_->config;
  if (cfg.clock_offset_s > 0)
    state_->feed.prefill(std::size_t(double(cfg.clock_offset_s) * cfg.rate), feed_now_ms(), now_ms);
  if (!cfg.dump_path.empty()) {
    state_->dump.reset(std::fopen(cfg.dump_path.c_str(), "wb"));
    if (!state_->dump) throw std::runtime_error("spillway-emu: cannot open --dump " + cfg.dump_path + "; pick a writable path");
  }
  if (!cfg.log_path.empty()) state_->log.open(cfg.log_path);
  if (!cfg.faults_path.empty() && cfg.chaos_seed)
    throw std::runtime_error("spillway-emu: --faults and --chaos exclude each other; pass one");
  if (!cfg.faults_path.empty()) state_->faults = FaultPlan::from_file(cfg.faults_path);
  if (cfg.chaos_seed) state_->faults = FaultPlan::chaos(*cfg.chaos_seed);
  if (cfg.tls) {
    if (cfg.tls_cert.empty() != cfg.tls_key.empty())
      throw std::runtime_error("spillway-emu: --tls-cert and --tls-key go together; pass both or neither");
    tls_.emplace(cfg.tls_cert.empty() ? TlsIdentity::self_signed(cfg.cert_out)
                                      : TlsIdentity::from_files(cfg.tls_cert, cfg.tls_key));
  }
  boost::system::error_code ec;
  const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), cfg.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("spillway-emu: cannot listen on 127.0.0.1:" + std::to_string(cfg.port) + " (" +
                             ec.message() + "); pick another --port, or 0 for any free port");
  port_ = acceptor_.local_endpoint().port();
  state_->base_url = base_url();
  if (!cfg.ready_file.empty()) write_file_atomically(cfg.ready_file, base_url(), "--ready-file");
  start_accepting();
}

EmuServer::~EmuServer() {
  stop();
  if (thread_.joinable()) thread_.join();
}

std::string EmuServer::base_url() const {
  return std::string(state_->config.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

const std::string& EmuServer::cert_pem() const {
  static const std::string none;
  return tls_ ? tls_->cert_pem() : none;
}

void EmuServer::start_accepting() {
  asio::co_spawn(io_, accept_loop(state_, acceptor_, tls_ ? &tls_->context() : nullptr), asio::detached);
}

void EmuServer::run() { io_.run(); }

void EmuServer::start_thread() {
  thread_ = std::thread([this] { io_.run(); });
}

void EmuServer::stop() {
  asio::post(io_, [st = state_, this] {
    if (st->stopping) return;
    st->stopping = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    auto live = st->live;  // closing may erase entries
    for (auto& [no, close] : live) close();
  });
}

void EmuServer::stop_when_count_done() {
  state_->on_count_done = [this] { stop(); };
}

}  // namespace spillway::emu
