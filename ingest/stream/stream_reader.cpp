#include "ingest/stream/stream_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <pthread.h>
#include <signal.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace spillway::ingest {

namespace asio = boost::asio;

stream_reader::stream_reader(endpoint ep, const std::string& ca_file, session_options options,
                             line_publisher& publisher, reader_hooks hooks, common::metrics_registry& metrics)
    : tls_(make_client_tls_context(ca_file)),
      publisher_(publisher),
      session_(io_, tls_, std::move(ep), std::move(options), publisher),
      hooks_(std::move(hooks)),
      connects_(metrics.counter("spillway_connect_attempts_total", "Stream connection attempts")) {
  if (hooks_.on_established) session_.set_on_established(hooks_.on_established);
}

void stream_reader::request_shutdown() {
  asio::post(io_, [this] {
    shutdown_.store(true);
    session_.cancel();
  });
}

int stream_reader::run() {
  int exit_code = 0;
  asio::steady_timer backoff(io_);
  asio::steady_timer ticker(io_);
  bool reading = true;  // both coroutines run on this thread
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received signal {}: stopping the stream, draining and committing", signo);
    shutdown_.store(true);
    session_.cancel();
    backoff.cancel();
  });
  // run_command blocked these signals during start-up; from here asio's handler owns them, and one that
  // arrived meanwhile is delivered now.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);

  // Samples delivery off the per-line path; ends with the read loop (which cancels it).
  auto tick = [&]() -> asio::awaitable<void> {
    while (reading && hooks_.on_tick) {
      ticker.expires_after(tick_interval);
      const auto [ec] = co_await ticker.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || !reading) break;
      hooks_.on_tick();
    }
  };

  auto loop = [&]() -> asio::awaitable<void> {
    while (!shutdown_.load()) {
      connects_.add();
      auto result = co_await session_.run(hooks_.next_target(), hooks_.bearer());
      // Shutdown still goes through the policy: it records where delivery stopped (the gap ledger).
      if (shutdown_.load()) result.what = session_result::kind::shutdown;
      const auto step = hooks_.on_session_end(result);
      if (result.what == session_result::kind::shutdown) break;
      if (step.stop) {
        spdlog::error("{}", step.message);
        exit_code = step.exit_code;
        break;
      }
      spdlog::warn("{}; reconnecting in {} ms", step.message, step.delay.count());
      if (step.delay.count() > 0) {
        backoff.expires_after(step.delay);
        co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
    signals.cancel();
    reading = false;
    ticker.cancel();
  };
  asio::co_spawn(io_, loop(), asio::detached);
  asio::co_spawn(io_, tick(), asio::detached);
  io_.run();
  publisher_.finish();
  return exit_code;
}

}  // namespace spillway::ingest
