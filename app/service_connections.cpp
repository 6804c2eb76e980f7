// service_connections: the service's stream connections (stream.connections = 1 | 2), each built, wired and
// run the same way; see app/service_connection.hpp for what one owns.
//
// Threads: built on the main thread; connection 1's reader runs on run()'s thread, connection 2's on its own
// thread ("reader-2"), both joined before the pipeline is asked to stop (it then drains every ring).
#include <pthread.h>

#include <string>

#include <spdlog/spdlog.h>

#include "app/service.hpp"
#include "app/service_connection.hpp"
#include "app/stale_connections.hpp"

namespace spillway::app {
namespace {

std::size_t slab_bytes_for(std::size_t max_line_bytes) {
  // Room for one maximal partial line plus a full read, rounded to 1 MiB; at least 4 MiB so that a slab
  // holds thousands of typical Posts and rotations (the one copy) stay rare.
  const std::size_t need = max_line_bytes + 2 + ingest::line_publisher::min_read_bytes;
  const std::size_t mib = 1 << 20;
  const std::size_t rounded = (need + mib - 1) / mib * mib;
  return rounded < 4 * mib ? 4 * mib : rounded;
}

// Slabs in flight are bounded by what the ring can reference; 32 slabs of >= 4 MiB absorb a long burst.
constexpr std::size_t slab_count = 32;

}  // namespace

common::result<void> service::open_connection(std::size_t index) {
  auto c = std::make_unique<stream_connection>();
  c->index = index;
  c->labels = {{"connection", std::to_string(index + 1)}};
  c->pool = std::make_unique<common::slab_pool>(slab_bytes_for(cfg_.stream.max_line_bytes), slab_count);
  c->ring = std::make_unique<common::spsc_ring<common::stream_item>>(cfg_.pipeline.ring_capacity);
  // The overload spool is connection 1's only: with two connections, a second whose ring is full waits (and
  // X may cut it as a slow reader) while connection 1 spools the same Posts — nothing is lost while it runs.
  common::spool* spool = index == 0 ? spool_.get() : nullptr;
  c->publisher = std::make_unique<ingest::line_publisher>(*c->ring, *c->pool, cfg_.stream.max_line_bytes, metrics_,
                                                          spool, c->labels);
  connections_.push_back(std::move(c));
  return {};
}

common::result<void> service::wire_connection(stream_connection& c) {
  ingest::run_policy::token_refresher refresher;
  if (token_source_->refreshable()) {
    // Reader thread: after a 401, obtain the token again once (the supervisor allows one refresh until
    // data flows again); the next connect's bearer hook then reads the new one. One refresh at a time:
    // both connections may be refused together.
    refresher = [this]() -> common::result<void> {
      const std::lock_guard one_at_a_time(refresh_mutex_);
      if (auto refreshed = token_source_->refresh(); !refreshed) return refreshed;
      if (auto token = token_source_->token()) {
        const std::lock_guard lock(token_mutex_);
        token_ = std::move(*token);
      }
      return {};
    };
  }
  c.policy = std::make_unique<ingest::run_policy>(cfg_, &shared_gaps_->connection(c.index), metrics_,
                                                  std::move(refresher), c.labels);
  auto& policy = *c.policy;
  // Reader thread, on a UsageCapExceeded refusal: wait until the reset X reports, read afresh.
  policy.set_usage_reset_source([this] { return usage_->reset(); });
  if (cfg_.reconnect.close_stale_connections) {
    // Never while our other connection is connecting or streaming: X would list it, and it is not stale.
    policy.set_stale_closer([this, &c]() -> common::result<std::size_t> {
      if (other_connection_active(c)) return std::size_t{0};
      return close_stale_connections(cfg_, current_token(), metrics_, &signals_);
    });
  }
  ingest::reader_hooks hooks;
  hooks.on_session_end = [&policy](const ingest::session_result& r) { return policy.on_session_end(r); };
  hooks.next_target = [&policy] { return policy.next_target(); };
  hooks.bearer = [this] { return current_token(); };
  hooks.on_established = [&policy](const ingest::rate_limit_headers& rl) { policy.on_established(rl); };
  hooks.on_tick = [&policy] { policy.on_tick(); };
  // Only the disk guard holds the stream: a close on purpose is a disk_low gap.
  hooks.on_hold = [&policy](const ingest::session_result& r) { policy.on_hold(r, reconnect::gap_reason::disk_low); };
  auto tls = ingest::make_client_tls_context(ingest::tls_trust_from(cfg_));
  if (!tls) return tls.error();
  c.reader = std::make_unique<ingest::stream_reader>(ep_, std::move(*tls), ingest::session_options_from(cfg_),
                                                     *c.publisher, std::move(hooks), metrics_, c.labels);
  return {};
}

void service::for_each_reader(void (ingest::stream_reader::*action)()) {
  for (auto& c : connections_) ((*c->reader).*action)();
}

bool service::other_connection_active(const stream_connection& self) const {
  for (const auto& c : connections_) {
    if (c.get() == &self) continue;
    const auto* state = metrics_.find(std::string(common::metric::stream_state.name), c->labels);
    if (state == nullptr) continue;
    const auto s = static_cast<ingest::connection_state>(state->get());
    if (s == ingest::connection_state::streaming || s == ingest::connection_state::connecting) return true;
  }
  return false;
}

common::exit_code service::run_connections() {
  for (std::size_t i = 1; i < connections_.size(); ++i) {
    auto& c = *connections_[i];
    c.thread = std::thread([this, &c] {
      const std::string name = "reader-" + std::to_string(c.index + 1);
      pthread_setname_np(pthread_self(), name.c_str());
      c.exit = c.reader->run();
      // A fatal end (403, a refused token) stops the service: the other connection would meet it too.
      if (c.exit != common::exit_code::ok) for_each_reader(&ingest::stream_reader::request_shutdown);
    });
  }
  auto& first = *connections_.front();
  first.exit = first.reader->run();
  if (first.exit != common::exit_code::ok) for_each_reader(&ingest::stream_reader::request_shutdown);
  for (std::size_t i = 1; i < connections_.size(); ++i) connections_[i]->thread.join();
  for (const auto& c : connections_) {
    if (c->exit != common::exit_code::ok) return c->exit;
  }
  return common::exit_code::ok;
}

}  // namespace spillway::app
