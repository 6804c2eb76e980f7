#pragma once
// stream_reader: the network thread. Runs stream sessions back to back — connect, read until the session
// ends, ask the reconnect policy what to do, wait, reconnect — until shutdown or a fatal end.
//
// Owns: the io_context, the TLS context, the line publisher and the current session.
// Thread: run() executes on the calling thread (the reader thread); request_shutdown(), hold() and
// release() may come from any thread (the service's signal watcher, the pipeline failing, the disk
// guard): they set a flag and post the cancellation onto the io_context. The reader owns no signal handler: a handler on this io_context could
// not run while the reader waits for ring space.
// Must outlive it: the ring, the slab pool and the metrics registry (via the publisher).
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/error.hpp"
#include "common/metrics.hpp"
#include "ingest/stream/line_publisher.hpp"
#include "ingest/stream/session_result.hpp"
#include "ingest/stream/stream_session.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::ingest {

// What to do after a session ended: reconnect after `delay` (with `target` rebuilt by the caller's
// query hook), or stop with `exit_code`.
struct next_step {
  bool stop = false;
  common::exit_code exit_code = common::exit_code::ok;
  std::chrono::milliseconds delay{0};
  std::string message;  // logged: why, and what to do
  std::string_view reason;  // the end class's metric label (static text), a structured log field
  int status = 0;           // the HTTP status when the session ended on one, else 0
};

struct reader_hooks {
  // Decides from how the session ended. Called on the reader thread.
  std::function<next_step(const session_result&)> on_session_end;
  // The request target for the next attempt (backfill_minutes may change per attempt).
  std::function<std::string()> next_target;
  // A 200 stream was established.
  std::function<void(const rate_limit_headers&)> on_established;  // with the 200's x-rate-limit-*
  // The Bearer token for the next attempt (a token source may have refreshed it).
  std::function<std::string()> bearer;
  // Every tick_interval on the reader thread while running (samples delivery for gaps and metrics).
  std::function<void()> on_tick;
  // A session was closed on purpose by hold(): not a failure, so the reconnect policy is not asked; the
  // hook records the gap (its reason) instead. Optional.
  std::function<void(const session_result&)> on_hold;
};

class stream_reader {
 public:
  // tls: the client context (xapi/connector's make_client_tls_context), owned from here on.
  // `labels`: the connection's label on its metrics ({connection="N"} in the service).
  stream_reader(endpoint ep, boost::asio::ssl::context tls, session_options options, line_publisher& publisher,
                reader_hooks hooks, common::metrics_registry& metrics, const common::metric_labels& labels = {});

  // Blocks until shutdown or a fatal end; returns the process exit code.
  [[nodiscard]] common::exit_code run();
  static constexpr std::chrono::milliseconds tick_interval{200};
  // Ends the current session or reconnect wait and makes run() return; idempotent, any thread.
  void request_shutdown();
  // Closes the current session (or ends the reconnect wait) and connects no more until release();
  // idempotent, any thread. Lines already read stay in the ring for the pipeline.
  void hold();
  // Ends a hold: the reader connects again at once (the next target carries backfill if a gap is open).
  void release();

 private:
  boost::asio::io_context io_;
  boost::asio::ssl::context tls_;
  line_publisher& publisher_;
  stream_session session_;
  reader_hooks hooks_;
  boost::asio::steady_timer backoff_;  // the wait before a reconnect; request_shutdown cancels it
  boost::asio::steady_timer held_;     // waits (without deadline) while held; release and shutdown cancel it
  std::atomic<bool> shutdown_{false};
  std::atomic<bool> hold_{false};
  common::metric_cell& connects_;
};

}  // namespace spillway::ingest
