#include "ingest/stream_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
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
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("received signal {}: stopping the stream, draining and committing", signo);
    shutdown_.store(true);
    session_.cancel();
    backoff.cancel();
  });

  auto loop = [&]() -> asio::awaitable<void> {
    while (!shutdown_.load()) {
      connects_.add();
      auto result = co_await session_.run(hooks_.next_target(), hooks_.bearer());
      if (shutdown_.load() || result.what == session_result::kind::shutdown) break;
      const auto step = hooks_.on_session_end(result);
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
  };
  asio::co_spawn(io_, loop(), asio::detached);
  io_.run();
  publisher_.finish();
  return exit_code;
}

}  // namespace spillway::ingest
