#include "sinks/kafka/kafka_sink.hpp"

#include <algorithm>
#include <charconv>
#include <span>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "common/log.hpp"

namespace spillway::sinks::kafka {

namespace {

// Entries the relay examines per poll(): bounds the time one poll() can take (~a few ms).
constexpr std::size_t relay_batch = 2048;
// In flight at most (whatever queue.buffering.max.messages says): the tracker's table is 24 B × 2 × this.
constexpr std::size_t max_tracked = std::size_t{1} << 20;
// Outbox deletes are written when this many are pending or this long after the first one: poll() may run
// far more often than deliveries arrive, and each RocksDB write costs a WAL append. A crash loses at most
// this window of deletes, i.e. re-produces (never loses) those Posts.
constexpr std::size_t delete_batch = 1024;
constexpr std::chrono::milliseconds delete_delay{5};

std::span<const sinks::rule_match> rules_of(const sinks::extracted_post* fields) noexcept {
  if (fields == nullptr) return {};
  return {fields->rules.data(), std::min<std::size_t>(fields->rule_count, fields->rules.size())};
}

// The message tag of a Post listed in an outbox record, all its delivery report needs without a table
// lookup or a search of the message's headers:
//   bit 63       set: a record's Post (never set in a Post id, so never in a single entry's tag, its id)
//   bits 16–62   the record's sequence number (one per commit, from 1 per database: 2^47 outlasts any
//                deployment even at 10,000 commits a second)
//   bits 8–15    when the Post was received, in ms after the record's first Post (255: 255 ms or more
//                later, so the report reads the received_at header instead)
//   bits 0–7     its source, which a move to a single entry needs
constexpr std::uint64_t record_tag_bit = std::uint64_t{1} << 63;
constexpr std::uint64_t no_offset = 0xFF;
std::uint64_t record_tag(std::uint64_t record, common::post_source source, std::int64_t after_first_ms) noexcept {
  const auto offset = after_first_ms >= 0 && after_first_ms < static_cast<std::int64_t>(no_offset)
                          ? static_cast<std::uint64_t>(after_first_ms)
                          : no_offset;
  return record_tag_bit | record << 16 | offset << 8 | static_cast<std::uint8_t>(source);
}
bool is_record_tag(std::uint64_t tag) noexcept { return (tag & record_tag_bit) != 0; }
std::uint64_t record_of(std::uint64_t tag) noexcept { return (tag & ~record_tag_bit) >> 16; }
std::uint64_t offset_of(std::uint64_t tag) noexcept { return (tag >> 8) & 0xFF; }
common::post_source source_of(std::uint64_t tag) noexcept {
  return common::post_source_from_byte(static_cast<std::uint8_t>(tag & 0xFF));
}

}  // namespace

kafka_sink::kafka_sink(store& db, const config::kafka_settings& settings, common::metrics_registry& metrics,
                       std::size_t max_line_bytes)
    : db_(db),
      settings_(settings),
      metrics_(metrics),
      producer_(std::make_unique<record_producer>(settings_, static_cast<delivery_listener&>(*this))),
      tracker_(std::min(producer_->max_queued(), max_tracked)),
      relay_(db, max_line_bytes),
      deletes_(db),
      latency_(metrics_.latency),
      pacer_(clock_) {
  // poll() commits at delete_batch; one poll's reports may add more.
  pending_singles_.reserve(4 * delete_batch);
  pending_deletes_.reserve(4 * delete_batch);
  pending_record_deletes_.reserve(delete_batch);
  // Whatever a previous run left undelivered (a crash, an outage at shutdown) is produced again: the
  // records it left become single entries, which the relay walks.
  const auto unpacked = db_.unpack_outbox_records();
  if (!unpacked) throw std::runtime_error("kafka: cannot read the outbox: " + unpacked.error().message);
  if (*unpacked > 0) spdlog::info("kafka: {} Posts listed in outbox records of a previous run wait as single entries", *unpacked);
  const auto totals = measure_outbox(db_);
  outbox_posts_ = totals.posts;
  outbox_bytes_ = totals.bytes;
  parked_ = totals.posts;
  if (totals.posts > 0) {
    parked_oldest_ms_ = totals.oldest_received_ms;
    spdlog::info("kafka: {} Posts ({} bytes) in the outbox from a previous run; re-producing them", totals.posts,
                 totals.bytes);
  }
  update_gauges(true);
}

kafka_sink::~kafka_sink() {
  commit_deletes(true);
  producer_.reset();  // before the members its callbacks would touch
}

void kafka_sink::on_committed(std::span<const committed_post> posts) noexcept {
  if (!posts.empty()) first_received_ms_ = std::min(first_received_ms_, posts.front().received_ms);
  std::uint64_t open_record = 0;
  std::int64_t opened_ms = 0;
  for (const auto& p : posts) {
    if (p.outbox_record != open_record) {
      if (open_record != 0 && records_.seal(open_record)) release_record(open_record);
      open_record = p.outbox_record;
      opened_ms = p.received_ms;
      // A record's Posts are in receive order, so its first is its oldest.
      if (open_record != 0) records_.open(open_record, opened_ms);
    }
    const auto result = produce(p.id, p.line, p.fields, p.received_ms, p.source, p.outbox_record, opened_ms);
    if (result == produce_result::already) continue;  // the same id, already on its way
    ++outbox_posts_;
    outbox_bytes_ += p.line.size();
    if (result == produce_result::handed) continue;
    park(p.received_ms);
    if (p.outbox_record != 0) {
      pending_singles_.push_back({p.id, p.received_ms, p.source});
      note_pending_write();
    }
  }
  if (open_record != 0 && records_.seal(open_record)) release_record(open_record);
  serve_reports(std::chrono::milliseconds(0));
}

void kafka_sink::serve_reports(std::chrono::milliseconds timeout) noexcept {
  // One clock read per poll, by its first successful report: the reports of one poll are served back to back.
  serving_reports_ = true;
  reports_now_ms_ = 0;
  producer_->poll(timeout);
  serving_reports_ = false;
  latency_.flush();
}

kafka_sink::produce_result kafka_sink::produce(std::uint64_t id, std::string_view line,
                                               const sinks::extracted_post* fields, std::int64_t received_ms,
                                               common::post_source source, std::uint64_t record,
                                               std::int64_t record_opened_ms) noexcept {
  if (in_flight_total() >= tracker_.capacity()) {
    metrics_.queue_full.add();
    return produce_result::no_room;
  }
  // A single entry's Post is tracked by id, so the relay never produces it twice at once; a record's
  // Posts are not walked by the relay, and their tag says where they belong.
  if (record == 0) {
    switch (tracker_.try_insert(id, received_ms)) {
      case delivery_tracker::insert_result::inserted:
        break;
      case delivery_tracker::insert_result::present:
        return produce_result::already;
      case delivery_tracker::insert_result::full:
        metrics_.queue_full.add();
        return produce_result::no_room;
    }
  }
  const auto tag = record != 0 ? record_tag(record, source, received_ms - record_opened_ms) : 0;
  const auto err = producer_->produce(id, line, rules_of(fields), received_ms, source, tag);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    metrics_.produced.add();
    if (record != 0) {
      ++records_in_flight_;
      records_.hold(record);
    }
    return produce_result::handed;
  }
  std::int64_t ignored = 0;
  if (record == 0) (void)tracker_.erase(id, ignored);
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    metrics_.queue_full.add();
    return produce_result::no_room;
  }
  metrics_.delivery_error(err).add();
  return produce_result::refused;
}

void kafka_sink::park(std::int64_t received_ms) noexcept {
  ++parked_;
  ++pass_parked_;
  parked_oldest_ms_ = std::min(parked_oldest_ms_, received_ms);
}

void kafka_sink::on_delivery(const delivery_report& report) noexcept {
  const bool from_record = is_record_tag(report.tag);
  std::int64_t received_ms = report.received_ms;
  if (from_record) {
    if (records_in_flight_ > 0) --records_in_flight_;
    if (received_ms < 0) received_ms = record_post_received_ms(report);
  } else if (!tracker_.erase(report.tag, received_ms)) {
    return;  // not ours any more (purged producer): the outbox decides
  }
  if (report.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    metrics_.delivered.add();
    // Reports served elsewhere (a purge) read the clock each time: no poll bounds how long a reading stays true.
    if (!serving_reports_ || reports_now_ms_ == 0) reports_now_ms_ = common::unix_ms_now();
    last_delivered_ms_ = reports_now_ms_;
    ++run_delivered_;
    run_delivered_bytes_ += report.bytes;
    latency_.add_ms(last_delivered_ms_ - received_ms);  // handed to the histogram once per poll
    if (from_record) {
      outbox_posts_ -= std::min<std::uint64_t>(outbox_posts_, 1);
      outbox_bytes_ -= std::min<std::uint64_t>(outbox_bytes_, report.bytes);
      if (records_.release(record_of(report.tag))) release_record(record_of(report.tag));
    } else {
      delete_outbox_entry(report.tag, report.bytes);
    }
    // Kafka answers again: whatever waits in the outbox can go now.
    pacer_.succeeded();
    return;
  }
  // Never dropped (not even after message.timeout.ms): back to the outbox for the relay.
  metrics_.delivery_error(report.err).add();
  park(received_ms);
  if (from_record) {
    std::uint64_t id = 0;
    const auto* end = report.key.data() + report.key.size();
    if (std::from_chars(report.key.data(), end, id).ptr == end && id != 0) {
      move_to_single(id, received_ms, source_of(report.tag), record_of(report.tag));
    } else {
      // Not a key Spillway wrote; the record stays whole (its Posts are produced again at the next start).
      spdlog::error("kafka: a failed delivery report carries the key '{}', not a Post id; its outbox record {} is "
                    "kept", common::log_sample(report.key, 40), record_of(report.tag));
    }
  }
  pacer_.failed();
}

std::int64_t kafka_sink::record_post_received_ms(const delivery_report& report) const noexcept {
  // Reports without CreateTime (failed deliveries; LogAppendTime topics, the mock cluster's included): the
  // tag's offset from the record's first Post, while the ledger knows the record, spares a header search.
  if (const auto opened = records_.opened_ms(record_of(report.tag)); opened && offset_of(report.tag) != no_offset) {
    return *opened + static_cast<std::int64_t>(offset_of(report.tag));
  }
  return received_ms_from_headers(report);
}

void kafka_sink::move_to_single(std::uint64_t id, std::int64_t received_ms, common::post_source source,
                                std::uint64_t record) noexcept {
  note_pending_write();
  pending_singles_.push_back({id, received_ms, source});
  if (records_.release(record)) release_record(record);
}

void kafka_sink::release_record(std::uint64_t record) noexcept {
  note_pending_write();
  pending_record_deletes_.push_back(record);
}

void kafka_sink::note_pending_write() noexcept {
  if (pending_writes() == 0) first_pending_delete_ = clock_.now();
}

void kafka_sink::delete_outbox_entry(std::uint64_t id, std::size_t bytes) noexcept {
  note_pending_write();
  pending_deletes_.push_back(id);
  outbox_posts_ -= std::min<std::uint64_t>(outbox_posts_, 1);
  outbox_bytes_ -= std::min<std::uint64_t>(outbox_bytes_, bytes);
}

relay_verdict kafka_sink::relay(std::uint64_t id, std::string_view line, const sinks::extracted_post& fields,
                                std::int64_t received_ms, common::post_source source) noexcept {
  // Leave half the queue to live Posts, so a backlog drain never starves the stream.
  const auto result = in_flight_total() >= tracker_.capacity() / 2 ? produce_result::no_room
                                                                 : produce(id, line, &fields, received_ms, source, 0);
  if (result == produce_result::no_room) {
    if (pass_found_ == 0) parked_oldest_ms_ = received_ms;  // the first waiting Post of this pass
    return relay_verdict::stop;
  }
  // The relay asks in_flight() first, so this is not expected; if it happens the Post is on its way and
  // not waiting: move past it without counting it as produced or failed.
  if (result == produce_result::already) return relay_verdict::skipped;
  ++pass_found_;
  if (result == produce_result::refused) {
    // This Post cannot be produced as it is (counted by error name); it stays in the outbox and the
    // relay moves past it, slowed by the backoff, so one bad Post never blocks the rest.
    pacer_.failed();
    return relay_verdict::skipped;
  }
  metrics_.reproduced.add();
  ++pass_produced_;
  if (parked_ > 0) --parked_;
  return relay_verdict::produced;
}

void kafka_sink::orphan(std::uint64_t id) noexcept {
  metrics_.orphans.add();
  delete_outbox_entry(id, 0);
  if (parked_ > 0) --parked_;
}

void kafka_sink::run_relay() noexcept {
  if (parked_ == 0 || !pacer_.ready()) return;
  if (in_flight_total() >= tracker_.capacity() / 2) return;
  // The relay must not see entries whose delivery is known but whose delete is still pending.
  commit_deletes(false);
  if (pending_writes() != 0) return;
  // Every pass starts at the outbox's first entry (the cursor is rewound whenever nothing waits), so a
  // pass that wraps has seen every entry parked before it began.
  if (relay_.cursor() == 0) {
    pass_produced_ = 0;
    pass_found_ = 0;
    pass_parked_ = 0;
  }
  const auto step = relay_.step(relay_batch, *this);
  if (parked_ == 0) {
    relay_.rewind();
    parked_oldest_ms_ = delivery_tracker::none;
    return;
  }
  if (step.wrapped && pass_found_ == 0 && pass_parked_ == 0) {
    // A whole pass found nothing waiting and nothing was parked meanwhile: the running count drifted
    // (e.g. a Post committed twice). Trust the outbox.
    spdlog::warn("kafka: outbox relay expected {} waiting Posts but found none; resetting the count", parked_);
    parked_ = 0;
    parked_oldest_ms_ = delivery_tracker::none;
  }
}

void kafka_sink::commit_deletes(bool sync) noexcept {
  if (pending_writes() == 0) return;
  // Delivery reports arrive in partition order, not id order: sorted, the Deletes enter the outbox
  // memtable as an ascending run (one short skip-list step each, like the Puts) instead of a search each.
  std::sort(pending_deletes_.begin(), pending_deletes_.end());
  deletes_.clear();
  // A Post's single entry lands no later than its record's delete: both are in this one batch.
  for (const auto& e : pending_singles_) deletes_.put_outbox(e.id, e.received_ms, e.source);
  for (const auto id : pending_deletes_) deletes_.delete_outbox(id);
  for (const auto record : pending_record_deletes_) deletes_.delete_outbox_record(record);
  if (const auto written = db_.commit(deletes_, sync); !written) {
    // The records are in Kafka; keeping the deletes only risks a duplicate after a restart. Retry later.
    if (!delete_error_logged_) {
      spdlog::error("kafka: cannot update the outbox ({} delivered Posts, {} finished records, {} Posts waiting): {}; "
                    "the write will be retried (a restart now would re-produce them)",
                    pending_deletes_.size(), pending_record_deletes_.size(), pending_singles_.size(),
                    written.error().message);
      delete_error_logged_ = true;
    }
    return;
  }
  pending_singles_.clear();
  pending_deletes_.clear();
  pending_record_deletes_.clear();
}

void kafka_sink::update_gauges(bool with_age) noexcept {
  metrics_.outbox_posts.set(static_cast<std::int64_t>(outbox_posts_));
  metrics_.outbox_bytes.set(static_cast<std::int64_t>(outbox_bytes_));
  metrics_.queue_depth.set(producer_->queue_depth());
  metrics_.in_flight.set(static_cast<std::int64_t>(in_flight_total()));
  metrics_.brokers_up.set(producer_->brokers_up() ? 1 : 0);
  if (!with_age) return;
  const auto oldest = std::min({tracker_.oldest_received_ms(), records_.oldest_received_ms(delivery_tracker::none),
                                parked_ > 0 ? parked_oldest_ms_ : delivery_tracker::none});
  metrics_.outbox_oldest_age_ms.set(oldest == delivery_tracker::none ? 0 : std::max<std::int64_t>(0, common::unix_ms_now() - oldest));
}

void kafka_sink::recreate_producer() noexcept {
  // The idempotent producer cannot continue after a fatal error: fail everything back to the outbox
  // and start a fresh producer (new producer id) that the relay feeds.
  producer_->purge();
  try {
    auto fresh = std::make_unique<record_producer>(settings_, static_cast<delivery_listener&>(*this));
    producer_.swap(fresh);
  } catch (const std::exception& e) {
    spdlog::critical("kafka: cannot recreate the producer: {}; Posts stay in the outbox", e.what());
    return;
  }
  metrics_.producer_restarts.add();
  // Reports the old producer never served: those Posts are waiting in the outbox now. Which Posts of a
  // record that is still unfinished were delivered is not known: the record is unpacked whole into single
  // entries, so its Posts are all produced again (at least once, as after a crash).
  commit_deletes(true);
  records_.abandon([this](std::uint64_t record) {
    if (const auto moved = db_.unpack_outbox_record(record); !moved) {
      spdlog::error("kafka: {}; outbox record {} is produced again at the next start", moved.error().message, record);
    }
  });
  records_in_flight_ = 0;
  (void)tracker_.clear();
  // The running totals are re-read from the outbox: every Post in it waits now.
  const auto totals = measure_outbox(db_);
  outbox_posts_ = totals.posts;
  outbox_bytes_ = totals.bytes;
  pass_parked_ += totals.posts > parked_ ? totals.posts - parked_ : 0;
  parked_ = totals.posts;
  parked_oldest_ms_ = totals.posts > 0 ? totals.oldest_received_ms : delivery_tracker::none;
  relay_.rewind();
}

void kafka_sink::poll() noexcept {
  serve_reports(std::chrono::milliseconds(0));
  if (producer_->fatal()) recreate_producer();
  const auto now = clock_.now();
  if (pending_writes() >= delete_batch || (pending_writes() != 0 && now - first_pending_delete_ >= delete_delay)) {
    commit_deletes(false);
  }
  run_relay();
  const bool with_age = now >= next_age_update_;
  if (with_age) next_age_update_ = now + std::chrono::seconds(1);
  update_gauges(with_age);
}

std::size_t kafka_sink::flush(std::chrono::milliseconds deadline) noexcept {
  const auto until = clock_.now() + deadline;
  for (;;) {
    serve_reports(std::chrono::milliseconds(0));
    commit_deletes(false);
    run_relay();
    const auto now = clock_.now();
    if ((in_flight_total() == 0 && parked_ == 0) || now >= until) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - now);
    serve_reports(std::min(left, std::chrono::milliseconds(50)));
  }
  commit_deletes(true);
  update_gauges(true);
  if (run_delivered_ > 0 && first_received_ms_ < last_delivered_ms_) {
    const double seconds = static_cast<double>(last_delivered_ms_ - first_received_ms_) / 1000.0;
    spdlog::info("kafka: delivered {} Posts ({} MB) in {:.3f} s from the first Post received to the last delivery "
                 "report = {:.0f} Posts/s, {:.1f} MB/s",
                 run_delivered_, run_delivered_bytes_ / 1000000, seconds, static_cast<double>(run_delivered_) / seconds,
                 static_cast<double>(run_delivered_bytes_) / seconds / 1e6);
  }
  if (outbox_posts_ > 0) {
    spdlog::warn("kafka: {} Posts stay in the RocksDB outbox ({} in flight at the deadline); they are produced "
                 "again at the next start", outbox_posts_, in_flight_total());
  }
  return static_cast<std::size_t>(outbox_posts_);
}

}  // namespace spillway::sinks::kafka
