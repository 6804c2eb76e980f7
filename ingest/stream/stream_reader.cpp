#include "ingest/stream/stream_reader.hpp"

#include "common/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace spillway::ingest {

namespace asio = boost::asio;

stream_reader::stream_reader(endpoint ep, asio::ssl::context tls, session_options options,
                             line_publisher& publisher, reader_hooks hooks, common::metrics_registry& metrics,
                             const common::metric_labels& labels)
    : tls_(std::move(tls)),
      publisher_(publisher),
      session_(io_, tls_, std::move(ep), std::move(options), publisher),
      hooks_(std::move(hooks)),
      backoff_(io_),
      held_(io_),
      connects_(metrics.counter(common::metric::connect_attempts, labels)) {
  if (hooks_.on_established) session_.set_on_established(hooks_.on_established);
}

void stream_reader::request_shutdown() {
  shutdown_.store(true);
  asio::post(io_, [this] {
    session_.cancel();
    backoff_.cancel();
    held_.cancel();
  });
}

void stream_reader::hold() {
  hold_.store(true);
  asio::post(io_, [this] {
    session_.cancel();
    backoff_.cancel();
  });
}

void stream_reader::release() {
  hold_.store(false);
  asio::post(io_, [this] { held_.cancel(); });
}

common::exit_code stream_reader::run() {
  auto exit_code = common::exit_code::ok;
  asio::steady_timer ticker(io_);
  bool reading = true;  // both coroutines run on this thread

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
      if (hold_.load()) {
        // The flag is read and the wait started in one step on this thread; release() cancels the wait
        // from a handler posted after it, so a release is never missed.
        held_.expires_at(asio::steady_timer::time_point::max());
        co_await held_.async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      connects_.add();
      auto result = co_await session_.run(hooks_.next_target(), hooks_.bearer());
      if (hold_.load() && !shutdown_.load()) {
        if (hooks_.on_hold) hooks_.on_hold(result);
        continue;
      }
      // Shutdown still goes through the policy: it records where delivery stopped (the gap ledger).
      if (shutdown_.load()) result.what = session_result::kind::shutdown;
      const auto step = hooks_.on_session_end(result);
      if (result.what == session_result::kind::shutdown) break;
      if (step.stop) {
        common::log_with(spdlog::level::err, {{"reason", step.reason}, {"status", step.status}}, "{}", step.message);
        exit_code = step.exit_code;
        break;
      }
      common::log_with(spdlog::level::warn,
                       {{"reason", step.reason}, {"status", step.status}, {"wait_ms", step.delay.count()}},
                       "{}; reconnecting in {} ms", step.message, step.delay.count());
      if (step.delay.count() > 0 && !shutdown_.load()) {
        backoff_.expires_after(step.delay);
        co_await backoff_.async_wait(asio::as_tuple(asio::use_awaitable));
      }
    }
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
