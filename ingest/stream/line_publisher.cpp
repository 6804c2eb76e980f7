#include "ingest/stream/line_publisher.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

namespace spillway::ingest {

namespace {
// Blocking the network thread is the last resort (a slow reader gets disconnected by X), but when the
// pipeline is behind there is nothing better to do: the kernel's socket buffer holds what arrives
// meanwhile. A few yields catch the pipeline about to free space; after that the reader sleeps (20 µs,
// doubling to 500 µs) instead of spinning, because on a small machine a spinning reader takes the very
// CPU the pipeline, RocksDB's flush and librdkafka need to catch up (perf: 36% of a core spent in
// sched_yield at saturation with Kafka on). Each wait is counted once.
// Returns false only when the consumer was abandoned (it will never free space again).
template <typename TryOnce>
bool wait_until(TryOnce&& try_once, common::metric_cell& waits, const std::atomic<bool>& abandoned) {
  if (try_once()) return true;
  waits.add();
  for (int i = 0; i < 8; ++i) {
    std::this_thread::yield();
    if (try_once()) return true;
  }
  auto pause = std::chrono::microseconds(20);
  while (!try_once()) {
    if (abandoned.load(std::memory_order_acquire)) return false;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(500));
  }
  return true;
}
}  // namespace

line_publisher::line_publisher(common::spsc_ring<common::stream_item>& ring, common::slab_pool& pool,
                               std::size_t max_line_bytes, common::metrics_registry& metrics, common::spool* spool,
                               const common::metric_labels& labels)
    : ring_(ring),
      pool_(pool),
      framer_(max_line_bytes),
      max_line_bytes_(max_line_bytes),
      spool_(spool),
      bytes_(metrics.counter(common::metric::bytes_received, labels)),
      lines_(metrics.counter(common::metric::lines_received, labels)),
      heartbeats_(metrics.counter(common::metric::heartbeats, labels)),
      ring_high_water_(metrics.gauge(common::metric::ring_high_water, labels)),
      ring_full_waits_(metrics.counter(common::metric::ring_full_waits, labels)),
      slabs_(metrics.gauge(common::metric::slabs_allocated, labels)) {
  if (pool_.slab_bytes() < max_line_bytes + 2 + min_read_bytes) {
    throw std::invalid_argument("slab size must exceed stream.max_line_bytes + 64 KiB");
  }
  if (spool_ != nullptr) {
    scratch_bytes_.resize(pool_.slab_bytes() + common::slab_pool::padding_bytes);
    scratch_.data = scratch_bytes_.data();
    scratch_.capacity = pool_.slab_bytes();
    // Lines recovered from the spool at start are older than anything the stream will send: they go first.
    spooling_ = !spool_->drained();
  }
}

void line_publisher::abandon() noexcept { abandoned_.store(true, std::memory_order_release); }

std::span<char> line_publisher::writable() {
  if (abandoned_.load(std::memory_order_acquire)) return discard_span();
  // Between reads, when the buffer holds only the incomplete tail: the one moment the reader can switch
  // back from the spool to the ring without a line of this read going to the wrong one.
  if (spooling_) leave_spool_if_drained();
  if (slab_ == nullptr) {
    if (spool_ != nullptr) {
      slab_ = spooling_ ? nullptr : pool_.acquire();
      if (slab_ == nullptr) {
        if (!spooling_) enter_spool();  // every slab is in use: the pipeline is behind
        slab_ = &scratch_;
      }
    } else if (!wait_until([&] { return (slab_ = pool_.acquire()) != nullptr; }, ring_full_waits_, abandoned_)) {
      return discard_span();
    }
    slabs_.set(static_cast<std::int64_t>(pool_.allocated()));
    fill_ = 0;
    framer_.reset();
  } else if (slab_->capacity - fill_ < min_read_bytes) {
    if (!rotate()) return discard_span();
  }
  return {slab_->data + fill_, slab_->capacity - fill_};
}

std::span<char> line_publisher::discard_span() {
  // The consumer is gone: bytes still arriving have nowhere to be stored and are not acknowledged
  // anywhere; they land here until the session is cancelled (a gap the ledger records).
  if (discard_.empty()) discard_.resize(min_read_bytes);
  discarding_ = true;
  return {discard_.data(), discard_.size()};
}

bool line_publisher::rotate() {
  common::slab* next = nullptr;
  if (spool_ != nullptr) {
    next = spooling_ ? nullptr : pool_.acquire();
    if (next == nullptr) {
      if (!spooling_) enter_spool();  // every slab is in use: the pipeline is behind
      next = &scratch_;  // its lines are all in the spool already, so it is reused in place
    }
  } else if (!wait_until([&] { return (next = pool_.acquire()) != nullptr; }, ring_full_waits_, abandoned_)) {
    return false;
  }
  slabs_.set(static_cast<std::int64_t>(pool_.allocated()));
  common::slab* const old = slab_;
  move_tail_to(next);
  retire(old);
  return true;
}

void line_publisher::move_tail_to(common::slab* next) {
  const auto tail = fill_ - framer_.pending_begin();  // <= max_line_bytes + 1: the framer discards beyond
  std::memmove(next->data, slab_->data + framer_.pending_begin(), tail);  // next may be slab_ (the scratch)
  framer_.rebase();
  slab_ = next;
  fill_ = tail;
}

void line_publisher::retire(common::slab* s) {
  if (s == &scratch_) return;  // the reader's own buffer: nothing in the ring points into it
  const common::stream_item marker{common::stream_item::kind::slab_retired, 0, 0, s, 0};
  if (spool_ == nullptr) {
    push(marker);
    return;
  }
  if (!spooling_ && ring_.try_push(marker)) return;
  if (!spooling_) enter_spool();  // the ring is full: the pipeline is behind
  // A marker never goes to the spool (it names memory of this process): it follows the spooled lines
  // through the ring once they are drained. No pool slab is taken while spooling, so at most the slab
  // current when spooling began and the one rotated out just then are owed.
  if (owed_count_ == owed_.size()) {
    (void)wait_until([&] { return ring_.try_push(marker); }, ring_full_waits_, abandoned_);  // unreachable by the above
    return;
  }
  owed_[owed_count_++] = s;
}

void line_publisher::commit(std::size_t n, std::int64_t received_ms) {
  bytes_.add(static_cast<std::int64_t>(n));
  if (std::exchange(discarding_, false)) return;
  fill_ += n;
  framer_.feed(slab_->data, fill_, [&](const frame_event& e) {
    ++frames_;
    switch (e.kind) {
      case frame_kind::heartbeat:
        heartbeats_.add();
        return;
      case frame_kind::line:
        lines_.add();
        ++lines_in_body_;
        inspect_for_notice(slab_->data + e.offset, e.length);
        push({common::stream_item::kind::line, static_cast<std::uint32_t>(e.length),
              static_cast<std::uint32_t>(e.offset), slab_, received_ms});
        return;
      case frame_kind::oversize:
        push({common::stream_item::kind::oversize, static_cast<std::uint32_t>(e.length),
              static_cast<std::uint32_t>(e.offset), slab_, received_ms});
        return;
    }
  });
  // Once per read, not per line: size() touches the consumer's cache line.
  ring_high_water_.raise_to(static_cast<std::int64_t>(ring_.size()));
  // One write(2) per read; a failure leaves the records staged for the next attempt.
  if (spooling_) (void)spool_->flush();
}

void line_publisher::end_of_body(std::int64_t received_ms) {
  if (slab_ == nullptr || abandoned_.load(std::memory_order_acquire)) return;
  const auto begin = framer_.pending_begin();
  if (fill_ > begin && !framer_.discarding()) {
    // Nothing received is lost: the partial line goes to the deadletter store with the reason.
    push({common::stream_item::kind::truncated, static_cast<std::uint32_t>(fill_ - begin),
          static_cast<std::uint32_t>(begin), slab_, received_ms});
  }
  // A new body never continues the old one's partial line; start it on a fresh slab.
  retire(slab_);
  slab_ = nullptr;
  lines_in_body_ = 0;
  if (spooling_) (void)spool_->flush();  // the session may be over: what was spooled is on disk
}

void line_publisher::finish() { end_of_body(0); }

void line_publisher::push(const common::stream_item& item) {
  if (spool_ != nullptr) {
    if (!spooling_ && ring_.try_push(item)) return;
    if (!spooling_) enter_spool();  // the ring is full: the pipeline is behind
    spool_item(item);
    return;
  }
  // A push that finds the consumer abandoned drops the reference: nothing can store it any more.
  (void)wait_until([&] { return ring_.try_push(item); }, ring_full_waits_, abandoned_);
}

void line_publisher::enter_spool() {
  // Not spooling means the spool was drained: its file starts afresh.
  if (spool_->drained()) spool_->restart();
  spooling_ = true;
}

void line_publisher::spool_item(const common::stream_item& item) {
  for (;;) {
    const auto appended = spool_->append({item.bytes(), item.length}, item.what, item.received_ms);
    if (appended == common::spool::append_result::ok) return;
    wait_for_spool_drain(appended);
    if (abandoned_.load(std::memory_order_acquire)) return;  // nothing can store it any more
  }
}

void line_publisher::wait_for_spool_drain(common::spool::append_result why) {
  // The last resort, as without a spool: the reader stops reading and X may cut it as a slow reader.
  if (why == common::spool::append_result::full) {
    spdlog::error("the overload spool {} is full (pipeline.spool_max_bytes = {} bytes): the reader waits for the "
                  "pipeline to drain it, and X may cut the stream as a slow reader; raise pipeline.spool_max_bytes "
                  "or make the pipeline faster (Kafka, disk)",
                  spool_->path().string(), spool_->max_bytes());
  } else {
    spdlog::error("cannot write the overload spool {}: {}; the reader waits for the pipeline to drain it, and X "
                  "may cut the stream as a slow reader; free disk space or set pipeline.spool_path",
                  spool_->path().string(), std::strerror(spool_->last_errno()));
  }
  // The staged records must reach the file before the spool can count as drained.
  if (wait_until([&] { return spool_->flush() && spool_->drained(); }, ring_full_waits_, abandoned_)) {
    spool_->restart();
    spdlog::info("the overload spool {} is drained; spooling again", spool_->path().string());
  }
}

void line_publisher::leave_spool_if_drained() {
  if (!spool_->drained()) return;
  // The pipeline has committed every spooled line, and it drains the ring before the spool: the ring is
  // empty, so the owed markers fit. Without a free slab the reader keeps spooling for now.
  while (owed_done_ < owed_count_) {
    if (!ring_.try_push(common::stream_item{common::stream_item::kind::slab_retired, 0, 0, owed_[owed_done_], 0})) return;
    ++owed_done_;
  }
  owed_count_ = owed_done_ = 0;
  if (slab_ == &scratch_) {
    common::slab* next = pool_.acquire();
    if (next == nullptr) return;
    slabs_.set(static_cast<std::int64_t>(pool_.allocated()));
    move_tail_to(next);
  }
  spooling_ = false;
}

void line_publisher::inspect_for_notice(const char* line, std::size_t len) {
  // In-band notices are short errors-only objects (XAPI.md). A line that opens with "data" is a Post
  // (perhaps with partial errors beside it), never a notice: skipping those keeps this scan off the
  // common path (it was 4% of the receive path's CPU when every Post under 2 KiB was searched). The
  // quote before the key cannot occur unescaped inside a string.
  static constexpr std::string_view post_start = "{\"data\":";
  static constexpr std::string_view key = "\"disconnect_type\"";
  if (len > 2048) return;
  const std::string_view text(line, len);
  if (text.starts_with(post_start)) return;
  if (text.find(key) != std::string_view::npos) notice_.assign(text);
}

}  // namespace spillway::ingest
