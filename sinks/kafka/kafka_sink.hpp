#pragma once
// kafka_sink: delivers every stored Post to Kafka at least once, with RocksDB's outbox as the source of
// truth (ARCHITECTURE.md, guarantee 2).
//
// A Post reaches on_committed() already in `tweets` and listed in an outbox batch record (one commit_batch
// holds both). The sink produces it; a record is deleted once each of its Posts has a successful delivery
// report (acks=all) or has moved to a single outbox entry. A Post that cannot be delivered now — QUEUE_FULL
// (the pipeline never blocks on Kafka), a failed or expired delivery, a broker outage — moves to a single
// entry, which the relay re-produces and whose report deletes it. Outbox writes are batched into one
// commit_batch (up to 1024 or 5 ms, whichever first), moves before deletes. At start, records a previous
// run left are unpacked into single entries, so the relay re-produces their Posts. librdkafka's queue is
// bounded, so during an outage memory stays flat and the backlog is on disk.
// Owns: the producer, the in-flight tracker, the record ledger, the outbox relay and its pacer, the
// pending outbox writes, running totals.
// Thread: every member function runs on one thread at a time: the pipeline's committer thread while the
// pipeline runs (sinks/commit_stage.hpp), then the thread that flushes it at shutdown (delivery reports are
// served inside poll() and flush()); metric cells are read by the exposer thread.
// Must outlive it: the store and the metrics registry.
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/clock.hpp"
#include "common/latency_histogram.hpp"
#include "common/metrics.hpp"
#include "config/settings.hpp"
#include "sinks/kafka/delivery_tracker.hpp"
#include "sinks/kafka/kafka_metrics.hpp"
#include "sinks/kafka/outbox_relay.hpp"
#include "sinks/kafka/record_ledger.hpp"
#include "sinks/kafka/record_producer.hpp"
#include "sinks/kafka/relay_pacer.hpp"
#include "sinks/post_sink.hpp"
#include "sinks/rocksdb/store.hpp"

namespace spillway::sinks::kafka {

class kafka_sink final : public post_sink, private delivery_listener, private relay_target {
 public:
  // Throws std::runtime_error (start-up) for a bad configuration; an unreachable cluster is not an error.
  kafka_sink(store& db, const config::kafka_settings& settings, common::metrics_registry& metrics,
             std::size_t max_line_bytes);
  ~kafka_sink() override;
  kafka_sink(const kafka_sink&) = delete;
  kafka_sink& operator=(const kafka_sink&) = delete;

  void on_committed(std::span<const committed_post> posts) noexcept override;
  void poll() noexcept override;
  [[nodiscard]] bool has_work() const noexcept override {
    return in_flight_total() > 0 || pending_writes() > 0 || parked_ > 0;
  }
  std::size_t flush(std::chrono::milliseconds deadline) noexcept override;

  // Posts in the outbox (in flight + waiting), as a running total.
  [[nodiscard]] std::uint64_t outbox_posts() const noexcept { return outbox_posts_; }
  [[nodiscard]] std::size_t in_flight() const noexcept { return in_flight_total(); }
  // Posts in the outbox that are not in flight (waiting for the relay).
  [[nodiscard]] std::uint64_t waiting() const noexcept { return parked_; }
  // Tests: make the producer fail fatally, as an idempotence violation would.
  void inject_fatal_error(const char* reason) noexcept { producer_->inject_fatal_error(reason); }

 private:
  using clock = common::steady_clock_source::clock;

  // handed: librdkafka has it. already: it is in flight (the same outbox key, produced before): nothing
  // to do. no_room: the bounded queue is full. refused: librdkafka rejected this Post itself (e.g. larger
  // than message.max.bytes). no_room and refused leave it waiting in the outbox.
  enum class produce_result { handed, already, no_room, refused };
  // record: the outbox batch record listing the Post, 0 for a single entry; record_opened_ms: when the
  // record's first Post was received.
  produce_result produce(std::uint64_t id, std::string_view line, const sinks::extracted_post* fields,
                         std::int64_t received_ms, common::post_source source, std::uint64_t record,
                         std::int64_t record_opened_ms = 0) noexcept;
  // When a record's Post, reported without CreateTime, was received.
  [[nodiscard]] std::int64_t record_post_received_ms(const delivery_report& report) const noexcept;
  // A Post listed in `record` leaves flight undelivered (or never entered it): it gets a single outbox
  // entry, and the record may be finished.
  void move_to_single(std::uint64_t id, std::int64_t received_ms, common::post_source source,
                      std::uint64_t record) noexcept;
  void release_record(std::uint64_t record) noexcept;
  void note_pending_write() noexcept;
  // Posts with librdkafka: single entries (tracked by id) and records' Posts (counted).
  [[nodiscard]] std::size_t in_flight_total() const noexcept { return tracker_.size() + records_in_flight_; }
  [[nodiscard]] std::size_t pending_writes() const noexcept {
    return pending_singles_.size() + pending_deletes_.size() + pending_record_deletes_.size();
  }
  void park(std::int64_t received_ms) noexcept;
  // Serves delivery reports (blocking up to timeout) and hands their latencies to the histogram.
  void serve_reports(std::chrono::milliseconds timeout) noexcept;
  void run_relay() noexcept;
  void commit_deletes(bool sync) noexcept;
  void update_gauges(bool with_age) noexcept;
  void recreate_producer() noexcept;
  void delete_outbox_entry(std::uint64_t id, std::size_t bytes) noexcept;

  void on_delivery(const delivery_report& report) noexcept override;
  [[nodiscard]] bool in_flight(std::uint64_t id) const noexcept override { return tracker_.contains(id); }
  relay_verdict relay(std::uint64_t id, std::string_view line, const sinks::extracted_post& fields,
                      std::int64_t received_ms, common::post_source source) noexcept override;
  void orphan(std::uint64_t id) noexcept override;

  store& db_;
  common::steady_clock_source clock_;
  config::kafka_settings settings_;
  kafka_metrics metrics_;
  std::unique_ptr<record_producer> producer_;
  delivery_tracker tracker_;
  outbox_relay relay_;
  commit_batch deletes_;
  common::latency_batch latency_;  // receive→delivered of the reports served by one poll
  record_ledger records_;
  std::size_t records_in_flight_ = 0;
  // Outbox writes not committed yet (commit_deletes), in this order: Posts moved out of their record to
  // single entries; delivered single entries (written sorted); finished records.
  struct single_entry {
    std::uint64_t id;
    std::int64_t received_ms;
    common::post_source source;
  };
  std::vector<single_entry> pending_singles_;
  std::vector<std::uint64_t> pending_deletes_;
  std::vector<std::uint64_t> pending_record_deletes_;
  clock::time_point first_pending_delete_{};
  bool delete_error_logged_ = false;

  std::uint64_t outbox_posts_ = 0;
  std::uint64_t outbox_bytes_ = 0;
  std::uint64_t parked_ = 0;  // in the outbox, not in flight: the relay's work
  std::int64_t parked_oldest_ms_ = delivery_tracker::none;  // a lower bound on the waiting Posts' receive time

  // Relay pacing: after failures wait (100 ms doubling to 5 s); a success resumes at once.
  relay_pacer<common::steady_clock_source> pacer_;
  std::uint64_t pass_produced_ = 0;  // in the current relay pass
  std::uint64_t pass_found_ = 0;     // waiting Posts the current pass met (produced or refused)
  std::uint64_t pass_parked_ = 0;    // Posts parked since the current relay pass began
  clock::time_point next_age_update_{};

  // This run's delivery rate, logged by flush() at shutdown: first live Post received → last delivery.
  std::int64_t first_received_ms_ = delivery_tracker::none;
  std::int64_t last_delivered_ms_ = 0;
  bool serving_reports_ = false;      // inside serve_reports(): reports_now_ms_ may be reused
  std::int64_t reports_now_ms_ = 0;  // Unix ms of the poll being served (0: not read yet in this poll)
  std::uint64_t run_delivered_ = 0;
  std::uint64_t run_delivered_bytes_ = 0;
};

}  // namespace spillway::sinks::kafka
