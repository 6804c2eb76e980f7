#include "sinks/commit_stage.hpp"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <prometheus/family.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <string>

#include "common/clock.hpp"

namespace spillway::sinks {

namespace {

// Sleeps while `word` still holds `seen`, at most `timeout` (spurious and early returns are fine: the
// caller re-checks). std::atomic::wait has no timeout, and the committer must wake to serve Kafka.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t seen, std::chrono::microseconds timeout) noexcept {
  const auto us = timeout.count();
  timespec ts{.tv_sec = static_cast<time_t>(us / 1000000), .tv_nsec = static_cast<long>(us % 1000000) * 1000};
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen, &ts, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) noexcept {
  (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

commit_slot::commit_slot(const store& db, std::size_t posts_capacity, std::size_t inputs)
    : batch(db), retired(inputs) {
  posts.reserve(posts_capacity);
  for (auto& r : retired) r.reserve(posts_capacity);
}

bool commit_slot::holds_anything() const noexcept {
  if (!posts.empty() || !batch.empty()) return true;
  for (const auto& r : retired) {
    if (!r.empty()) return true;
  }
  return false;
}

void commit_slot::clear() noexcept {
  batch.clear();
  posts.clear();
  for (auto& r : retired) r.clear();
  bytes = 0;
  record = 0;
  sync = false;
}

commit_stage::commit_stage(store& db, post_sink* downstream, common::metrics_registry& metrics,
                           std::size_t posts_capacity)
    : db_(db),
      downstream_(downstream),
      posts_stored_(metrics.counter(common::metric::posts_stored)),
      batches_(metrics.counter(common::metric::rocksdb_batches)),
      commit_latency_(prometheus::BuildHistogram()
                          .Name(std::string(common::metric::commit_latency.name))
                          .Help(std::string(common::metric::commit_latency.help))
                          .Register(metrics.prometheus_registry())
                          .Add({}, common::latency_buckets())) {
  committed_view_.reserve(posts_capacity);
}

commit_stage::~commit_stage() { stop(); }

void commit_stage::start() {
  stop_.store(false, std::memory_order_relaxed);
  thread_ = std::thread([this] { run(); });
}

void commit_stage::wake() noexcept {
  submissions_.fetch_add(1, std::memory_order_seq_cst);
  if (asleep_.load(std::memory_order_seq_cst)) futex_wake(submissions_);
}

void commit_stage::submit(commit_slot& slot) noexcept {
  slot.state_.store(commit_slot::submitted, std::memory_order_relaxed);
  // The committer pops in order; the pipeline has at most queue_size slots out, so this cell is free.
  queue_[push_at_].store(&slot, std::memory_order_release);
  push_at_ = (push_at_ + 1) % queue_size;
  wake();
}

bool commit_stage::wait(commit_slot& slot) noexcept {
  int s = slot.state_.load(std::memory_order_acquire);
  while (s == commit_slot::submitted) {
    slot.state_.wait(s, std::memory_order_acquire);
    s = slot.state_.load(std::memory_order_acquire);
  }
  slot.state_.store(commit_slot::idle, std::memory_order_relaxed);
  return s != commit_slot::failed;
}

void commit_stage::stop() noexcept {
  if (!thread_.joinable()) return;
  stop_.store(true, std::memory_order_release);
  wake();
  thread_.join();
}

void commit_stage::run() noexcept {
  // Named so per-thread CPU (top -H, perf) and bench-alloc tell it from the pipeline thread.
  pthread_setname_np(pthread_self(), "committer");
  for (;;) {
    const auto seen = submissions_.load(std::memory_order_seq_cst);
    if (auto* slot = queue_[pop_at_].exchange(nullptr, std::memory_order_acquire); slot != nullptr) {
      pop_at_ = (pop_at_ + 1) % queue_size;
      failed_ = failed_ || !write(*slot);
      slot->state_.store(failed_ ? commit_slot::failed : commit_slot::done, std::memory_order_release);
      slot->state_.notify_one();
      continue;
    }
    if (downstream_ != nullptr) downstream_->poll();
    // stop() is called after the last slot was waited for: nothing more can be queued.
    if (stop_.load(std::memory_order_acquire)) return;
    asleep_.store(true, std::memory_order_seq_cst);
    if (queue_[pop_at_].load(std::memory_order_seq_cst) == nullptr) {
      // Delivery reports are served within a millisecond; a sink with nothing to serve (and no sink) is
      // looked at ten times a second, so an idle service does not wake a thousand times a second for it.
      const bool serving = downstream_ != nullptr && downstream_->has_work();
      futex_wait(submissions_, seen, serving ? std::chrono::microseconds(1000) : std::chrono::microseconds(100000));
    }
    asleep_.store(false, std::memory_order_relaxed);
  }
}

bool commit_stage::write(commit_slot& slot) noexcept {
  if (failed_) return false;  // an earlier batch was not written: nothing after it is acknowledged
  if (slot.record != 0) slot.batch.put_outbox_record(slot.record);
  if (!slot.batch.empty() || slot.sync) {
    if (const auto written = db_.commit(slot.batch, slot.sync); !written) {
      spdlog::critical("{}; stopping without acknowledging these {} Posts", written.error().message, slot.posts.size());
      return false;
    }
    batches_.add();
  }
  if (slot.posts.empty()) return true;
  posts_stored_.add(static_cast<std::int64_t>(slot.posts.size()));
  stored_posts_ += slot.posts.size();
  stored_bytes_ += slot.bytes;
  last_commit_ = std::chrono::steady_clock::now();
  // One wall-clock read per batch: received_ms is Unix ms from the reader thread.
  const auto committed_ms = common::unix_ms_now();
  for (const auto& p : slot.posts) commit_latency_.add_ms(committed_ms - p.received_ms);
  commit_latency_.flush();
  if (downstream_ != nullptr) {
    committed_view_.clear();
    for (const auto& p : slot.posts) {
      committed_view_.push_back(committed_post{p.fields.id, p.line, &p.fields, p.received_ms, p.source, slot.record});
    }
    downstream_->on_committed(committed_view_);
  }
  return true;
}

}  // namespace spillway::sinks
