#include "sinks/pipeline.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <utility>

#include "common/log.hpp"

namespace spillway::sinks {

namespace {
constexpr std::size_t pop_chunk = 256;
// Metric label and deadletter value prefix, indexed by pipeline::dead_kind.
constexpr std::array<std::string_view, 4> dead_kind_names = {"invalid_json", "missing_id", "oversize", "truncated"};

std::size_t slot_capacity(const pipeline_options& options, const std::vector<pipeline_input>& inputs) noexcept {
  return options.write_batch_posts + pop_chunk * std::max<std::size_t>(inputs.size(), 1);
}
}  // namespace

pipeline::pipeline(common::spsc_ring<common::stream_item>& ring, common::slab_pool& pool, store& db,
                   common::metrics_registry& metrics, const pipeline_options& options, post_sink* downstream,
                   common::spool* spool)
    : pipeline(std::vector<pipeline_input>{{.ring = &ring, .pool = &pool, .spool = spool, .labels = {}}}, db, metrics,
               options, downstream) {}

pipeline::pipeline(const std::vector<pipeline_input>& inputs, store& db, common::metrics_registry& metrics,
                   const pipeline_options& options, post_sink* downstream)
    : db_(db),
      downstream_(downstream),
      options_(options),
      extractor_(options.max_line_bytes),
      window_(options.dedup_window),
      // One loop pops a batch from every input before it commits: room for all of them, so nothing grows later.
      slot_a_(db, slot_capacity(options, inputs), inputs.size()),
      slot_b_(db, slot_capacity(options, inputs), inputs.size()),
      committer_(db, downstream, metrics, slot_capacity(options, inputs)),
      notices_(metrics.counter(common::metric::stream_notices)),
      dedup_reads_(metrics.counter(common::metric::dedup_rocksdb_reads)) {
  static_assert(dead_kind_names.size() == dead_kind_count);
  for (std::size_t k = 0; k < dead_kind_count; ++k) {
    malformed_[k] = &metrics.counter(common::metric::malformed_lines, {{"kind", std::string(dead_kind_names[k])}});
  }
  if (inputs.empty()) throw std::invalid_argument("sinks::pipeline needs at least one input (ring and slab pool)");
  inputs_.reserve(inputs.size());
  for (const auto& in : inputs) {
    inputs_.push_back(input_state{.index = inputs_.size(),
                                  .ring = in.ring,
                                  .pool = in.pool,
                                  .spool = in.spool,
                                  .posts_received = &metrics.counter(common::metric::posts_received, in.labels),
                                  .duplicates = &metrics.counter(common::metric::duplicates_dropped, in.labels),
                                  .ring_depth = &metrics.gauge(common::metric::ring_depth, in.labels)});
  }
  current_ = &inputs_.front();
  popped_.resize(pop_chunk);
  deadletter_seq_ = db_.next_deadletter_seq();
  // Warm the window with the newest stored ids (time-ordered keys) so duplicates re-sent right after a
  // restart are caught without RocksDB reads; anything older is checked against RocksDB instead.
  std::vector<std::uint64_t> newest;
  db_.for_each_newest_id(options_.dedup_window, [&](std::uint64_t id) { newest.push_back(id); });
  for (auto it = newest.rbegin(); it != newest.rend(); ++it) window_.insert(*it);
  if (!newest.empty() && newest.size() == options_.dedup_window) window_.raise_floor(newest.back());
  warmed_ = newest.size();
}

bool pipeline::run() {
  // Named so per-thread CPU (top -H, /proc/<pid>/task, perf) shows what the pipeline costs apart from the
  // reader; at most 15 characters.
  pthread_setname_np(pthread_self(), "pipeline");
  committer_.start();
  const bool ok = run_until_stopped() && commit_and_wait(true);
  // The committer has written everything submitted (or refused all of it after a failed write).
  committer_.stop();
  (void)reclaim(slot_a_);
  (void)reclaim(slot_b_);
  return ok;
}

bool pipeline::run_until_stopped() {
  auto idle_spins = 0;
  for (;;) {
    const bool stopping = stop_.load(std::memory_order_acquire);
    // Every input in turn, one batch each: a busy connection cannot starve the other's ring.
    std::int64_t n = 0;
    bool drained = true;
    for (auto& in : inputs_) {
      const auto got = poll_input(in, stopping);
      if (got < 0) return false;
      n += got;
      if (static_cast<std::size_t>(got) >= pop_chunk) drained = false;
    }
    if (n == 0 && heal_ != nullptr && !stopping) {
      // Every ring and spool is empty: a healer's batch is next, so the live stream never waits for it.
      const int drained_batch = drain_heal_batch();
      if (drained_batch < 0) return false;
      if (drained_batch > 0) {
        idle_spins = 0;
        continue;
      }
    }
    if (filling_->holds_anything()) {
      if (filling_->posts.size() >= options_.write_batch_posts || drained) {
        if (!commit(false)) return false;
      }
    }
    if (n == 0) {
      if (stopping) break;  // stop_ was set before this (empty) pop: nothing more can arrive
      // Yield first (a busy stream refills within microseconds), then naps that grow to 1 ms: an idle
      // stream (heartbeats only) costs ~1,000 wake-ups a second, and a burst waits at most 1 ms.
      if (++idle_spins < 64) {
        std::this_thread::yield();
      } else {
        const auto nap = std::min(1000, 50 << std::min(idle_spins - 64, 5));
        std::this_thread::sleep_for(std::chrono::microseconds(nap));
      }
    } else {
      idle_spins = 0;
    }
  }
  return true;
}

std::int64_t pipeline::poll_input(input_state& in, bool stopping) {
  current_ = &in;
  const auto n = in.ring->pop_batch(std::span(popped_));
  if (n == 0 && in.spool != nullptr && !stopping) {
    // The ring is empty, so everything queued before the spool was handled: the spool is next.
    const int drained_chunk = drain_spool_chunk(in);
    if (drained_chunk < 0) return -1;
    if (drained_chunk > 0) return static_cast<std::int64_t>(pop_chunk);
  }
  if (n != 0) note_first_pop();
  in.ring_depth->set(static_cast<std::int64_t>(in.ring->size()));
  for (std::size_t i = 0; i < n; ++i) handle(popped_[i]);
  return static_cast<std::int64_t>(n);
}

int pipeline::drain_spool_chunk(input_state& in) {
  auto* spool = in.spool;
  std::size_t total = 0;
  for (std::size_t n; (n = spool->pop_batch(std::span(popped_))) != 0;) {
    note_first_pop();
    for (std::size_t i = 0; i < n; ++i) handle(popped_[i]);
    total += n;
    // The chunk's buffer stays put until release(), so batches may be committed inside it.
    if (filling_->posts.size() >= options_.write_batch_posts && !commit(false)) return -1;
  }
  if (total == 0) return 0;
  if (!commit_and_wait(false)) return -1;
  spool->release();
  return 1;
}

int pipeline::drain_heal_batch() {
  std::size_t total = 0;
  for (std::size_t n; (n = heal_->pop_batch(std::span(popped_))) != 0;) {
    // The batch's source may be read only once pop_batch has seen it published (its acquire): before that
    // the healer may be writing it (TSan found the read that came first).
    heal_source_ = heal_->source();
    for (std::size_t i = 0; i < n; ++i) handle(popped_[i]);
    total += n;
    if (filling_->posts.size() >= options_.write_batch_posts && !commit(false)) {
      heal_source_.reset();
      return -1;
    }
  }
  heal_source_.reset();
  if (total == 0) return 0;
  if (!commit_and_wait(false)) return -1;
  heal_->release();
  return 1;
}

pipeline::throughput pipeline::stored_throughput() const noexcept {
  std::uint64_t duplicates = 0;
  for (const auto& in : inputs_) duplicates += static_cast<std::uint64_t>(in.duplicates->get());
  throughput t{committer_.stored_posts(), committer_.stored_bytes(), 0, duplicates};
  if (t.posts != 0) t.seconds = std::chrono::duration<double>(committer_.last_commit() - first_popped_).count();
  return t;
}

void pipeline::handle(const common::stream_item& item) {
  using kind = common::stream_item::kind;
  switch (item.what) {
    case kind::line:
      handle_line(item);
      break;
    case kind::oversize:
      dead_letter(oversize, "line exceeds stream.max_line_bytes (sample of the first bytes)",
                  {item.bytes(), item.length});
      break;
    case kind::truncated:
      dead_letter(truncated, "the stream ended in the middle of this line", {item.bytes(), item.length});
      break;
    case kind::slab_retired:
      filling_->retired[current_->index].push_back(item.owner);
      break;
  }
}

void pipeline::handle_line(const common::stream_item& item) {
  const char* bytes = item.bytes();
  const std::size_t capacity = item.owner->capacity + common::slab_pool::padding_bytes - item.offset;
  auto fields = extractor_.extract(bytes, item.length, capacity);
  const std::string_view line(bytes, item.length);
  switch (fields.kind) {
    case sinks::line_kind::post:
      break;
    case sinks::line_kind::notice:
      notices_.add();
      spdlog::warn("stream notice: {} ({}): {}", fields.notice_title, fields.notice_disconnect_type,
                   common::log_sample(line, 400));
      return;
    case sinks::line_kind::malformed:
      dead_letter(invalid_json, fields.problem, line);
      return;
    case sinks::line_kind::missing_id:
      dead_letter(missing_id, fields.problem, line);
      return;
  }
  current_->posts_received->add();
  // The dedup check of this Post waits until the next line is extracted (or the batch is committed): its
  // window slot, a cache and TLB miss in a 16 MiB table, is fetched meanwhile instead of stalling now.
  window_.prefetch(fields.id);
  settle_unchecked();
  const auto source = heal_source_ ? *heal_source_ : common::classify_stream(fields.id, item.received_ms);
  filling_->posts.push_back(pending_post{fields, line, item.received_ms, source});
  unchecked_input_ = current_;
}

void pipeline::settle_unchecked() {
  if (unchecked_input_ == nullptr) return;
  auto* in = std::exchange(unchecked_input_, nullptr);
  auto& slot = *filling_;
  const auto& p = slot.posts.back();
  if (is_duplicate(p.fields.id)) {
    in->duplicates->add();  // with redundant connections: the copy that arrived second
    slot.posts.pop_back();
    return;
  }
  window_.insert(p.fields.id);
  slot.batch.put_post(p.fields.id, p.line);
  if (downstream_ != nullptr) slot.batch.add_to_outbox_record(p.fields.id, p.received_ms, p.source);
  slot.bytes += p.line.size();
}

bool pipeline::is_duplicate(std::uint64_t id) {
  if (window_.contains(id)) return true;
  if (id > window_.floor()) return false;
  // Older than anything the window vouches for (backfill after a long run): ask RocksDB.
  dedup_reads_.add();
  return db_.contains_post(id);
}

void pipeline::dead_letter(dead_kind which, std::string_view reason, std::string_view bytes) {
  const std::string_view kind = dead_kind_names[which];
  malformed_[which]->add();
  if (!logged_kind_[which]) {
    // Once per kind: a flood of bad lines must not flood the log; the metric counts every one.
    logged_kind_[which] = true;
    spdlog::warn("{} line sent to the deadletter column family: {}; sample: {}", kind, reason,
                 common::log_sample(bytes));
  }
  filling_->batch.put_deadletter(deadletter_seq_++, kind, reason, bytes);
}

bool pipeline::commit(bool sync) {
  settle_unchecked();
  auto& slot = *filling_;
  // The batch's Posts wait for Kafka in one outbox record, written with them (sinks/rocksdb/store.hpp);
  // its number is taken here, on the one thread that numbers records.
  slot.record = downstream_ != nullptr && !slot.posts.empty() ? db_.next_outbox_record() : 0;
  slot.sync = sync;
  committer_.submit(slot);
  filling_ = &other_slot();
  return reclaim(*filling_);
}

bool pipeline::commit_and_wait(bool sync) {
  if (!commit(sync)) return false;
  return reclaim(other_slot());
}

bool pipeline::reclaim(commit_slot& slot) {
  const bool ok = committer_.wait(slot);
  for (auto& in : inputs_) {
    for (auto* s : slot.retired[in.index]) in.pool->release(s);
  }
  slot.clear();
  return ok;
}

}  // namespace spillway::sinks
