#pragma once
// record_producer: one librdkafka producer that writes Spillway records (key, raw line, headers) and
// hands each delivery report to a listener. Shared by the live sink and `spillway replay`.
//
// Produce copies the line once (RD_KAFKA_MSG_F_COPY) — the slab it points into is recycled right after —
// and passes the caller's 64-bit tag (by default the Post id) as the message opaque, so a delivery report
// needs no lookup to know its Post.
// The record timestamp is received_at, so Kafka's CreateTime is when Spillway received the Post.
// Owns: the rd_kafka_t, its topic handles and header buffers.
// Thread: produce/poll/flush and every listener callback run on the caller's thread (delivery reports
// are served inside poll/flush). librdkafka's own threads never call the listener.
// Must outlive it: the listener.
#include <chrono>
#include <optional>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>

#include <librdkafka/rdkafka.h>

#include "common/post_source.hpp"
#include "config/settings.hpp"
#include "sinks/post.hpp"
#include "sinks/kafka/record_headers.hpp"
#include "sinks/kafka/topic_router.hpp"

namespace spillway::sinks::kafka {

// One delivery report, as the listener sees it. Views are valid during the callback only.
struct delivery_report {
  std::uint64_t tag = 0;         // what produce() was given (the Post id unless the caller chose a tag)
  std::string_view key;          // the record key: the Post id in decimal
  std::size_t bytes = 0;         // value size
  // When Spillway received the Post, if the report says so cheaply: its CreateTime timestamp. -1 when it carries
  // none (a failed delivery; a topic stamped with LogAppendTime, as the mock cluster stamps every topic):
  // the caller then knows it itself, or reads the received_at header with received_ms_from_headers().
  std::int64_t received_ms = -1;
  const rd_kafka_message_t* message = nullptr;  // the message reported on
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;  // NO_ERROR: the broker acknowledged (acks=all)
};

// The received_at header of the reported message (a search of its headers); 0 when it has none.
[[nodiscard]] std::int64_t received_ms_from_headers(const delivery_report& report) noexcept;

class delivery_listener {
 public:
  virtual ~delivery_listener() = default;
  virtual void on_delivery(const delivery_report& report) noexcept = 0;
};

class record_producer {
 public:
  // Throws std::runtime_error (start-up) for a bad configuration, naming the property and the fix.
  record_producer(const config::kafka_settings& settings, delivery_listener& listener);
  ~record_producer();
  record_producer(const record_producer&) = delete;
  record_producer& operator=(const record_producer&) = delete;

  // Enqueues one record. RD_KAFKA_RESP_ERR__QUEUE_FULL when librdkafka's bounded queue is full. `tag`
  // comes back in the delivery report; 0 means the id.
  [[nodiscard]] rd_kafka_resp_err_t produce(std::uint64_t id, std::string_view line,
                                            std::span<const sinks::rule_match> rules,
                                            std::int64_t received_ms,
                                            std::optional<common::post_source> source = std::nullopt,
                                            std::uint64_t tag = 0) noexcept;

  // Serves delivery reports and errors; returns how many events were served.
  int poll(std::chrono::milliseconds timeout) noexcept;

  // Messages queued or in flight inside librdkafka.
  [[nodiscard]] int queue_depth() const noexcept { return rd_kafka_outq_len(rk_); }
  // queue.buffering.max.messages in effect.
  [[nodiscard]] std::size_t max_queued() const noexcept { return max_queued_; }
  // True once librdkafka raised a fatal error (the idempotent producer cannot continue): recreate it.
  [[nodiscard]] bool fatal() const noexcept { return fatal_; }
  // False from librdkafka's "all brokers down" error until the next acknowledged delivery (the relay
  // keeps re-producing the outbox, so a returning cluster is noticed within its backoff). Poll thread.
  [[nodiscard]] bool brokers_up() const noexcept { return brokers_up_; }
  // Fails every queued message back to the listener (err = purge code), e.g. before recreation.
  void purge() noexcept;
  // Tests: raise a fatal error as the broker would (rd_kafka_test_fatal_error).
  void inject_fatal_error(const char* reason) noexcept;

 private:
  static void on_dr(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque);
  static void on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void on_log(const rd_kafka_t* rk, int level, const char* facility, const char* message);

  delivery_listener& listener_;
  rd_kafka_t* rk_ = nullptr;
  std::size_t max_queued_ = 0;
  std::unique_ptr<topic_router> router_;  // destroyed before rk_
  record_headers headers_;
  bool fatal_ = false;
  bool brokers_up_ = true;  // no evidence against them yet
  std::map<int, std::chrono::steady_clock::time_point> last_error_log_;  // per error code; errors only
};

}  // namespace spillway::sinks::kafka
