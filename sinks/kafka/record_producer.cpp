#include "sinks/kafka/record_producer.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include "sinks/kafka/kafka_config.hpp"

namespace spillway::sinks::kafka {

namespace {

// librdkafka repeats transport errors on every reconnect attempt; one line per kind per interval is enough.
constexpr auto error_log_interval = std::chrono::seconds(10);

// The timestamp produce() set (CreateTime): when Spillway received the Post. -1 when librdkafka does not
// report it (a failed delivery reports none; a LogAppendTime topic replaces it with the broker's time).
std::int64_t create_time(const rd_kafka_message_t* msg) noexcept {
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const auto ts = rd_kafka_message_timestamp(msg, &type);
  return type == RD_KAFKA_TIMESTAMP_CREATE_TIME && ts >= 0 ? ts : -1;
}

}  // namespace

std::int64_t received_ms_from_headers(const delivery_report& report) noexcept {
  rd_kafka_headers_t* headers = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  if (report.message == nullptr ||
      rd_kafka_message_headers(report.message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      rd_kafka_header_get_last(headers, "received_at", &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return 0;
  }
  const auto* text = static_cast<const char*>(value);
  std::int64_t at = 0;
  return std::from_chars(text, text + size, at).ptr == text + size ? at : 0;
}

record_producer::record_producer(const config::kafka_settings& settings, delivery_listener& listener)
    : listener_(listener) {
  auto pc = build_producer_conf(settings);
  max_queued_ = pc.max_queued;
  rd_kafka_conf_set_opaque(pc.conf, this);
  rd_kafka_conf_set_dr_msg_cb(pc.conf, &record_producer::on_dr);
  rd_kafka_conf_set_error_cb(pc.conf, &record_producer::on_error);
  rd_kafka_conf_set_log_cb(pc.conf, &record_producer::on_log);
  rk_ = create_producer(pc);
  try {
    router_ = std::make_unique<topic_router>(rk_, settings);
  } catch (...) {
    rd_kafka_destroy(rk_);
    throw;
  }
}

record_producer::~record_producer() {
  router_.reset();
  // Whatever is still queued stays in the outbox; do not wait for it here (flush() is the place).
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  rd_kafka_destroy_flags(rk_, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

rd_kafka_resp_err_t record_producer::produce(std::uint64_t id, std::string_view line,
                                             std::span<const sinks::rule_match> rules,
                                             std::int64_t received_ms,
                                             std::optional<common::post_source> source,
                                             std::uint64_t tag) noexcept {
  headers_.build(id, rules, received_ms);
  const auto key = headers_.key();
  const auto ids = headers_.rule_ids();
  const auto tags = headers_.rule_tags();
  const auto at = headers_.received_at();
  // The tag (or the id itself) fits in the pointer-sized opaque.
  static_assert(sizeof(void*) >= sizeof(std::uint64_t), "the tag travels as the message opaque");
  void* opaque = reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag != 0 ? tag : id));
  // spillway_source: how the Post reached Spillway (common/post_source.hpp), a static string; empty when the
  // caller does not know it (replay: the source is not kept with the stored Post).
  const std::string_view from = source ? common::to_string(*source) : std::string_view("");
  return rd_kafka_producev(
      rk_, RD_KAFKA_V_RKT(router_->route(rules)), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(const_cast<char*>(line.data()), line.size()),
      RD_KAFKA_V_KEY(key.data(), key.size()), RD_KAFKA_V_TIMESTAMP(received_ms),
      RD_KAFKA_V_HEADER("matching_rule_ids", ids.data(), static_cast<ssize_t>(ids.size())),
      RD_KAFKA_V_HEADER("matching_rule_tags", tags.data(), static_cast<ssize_t>(tags.size())),
      RD_KAFKA_V_HEADER("received_at", at.data(), static_cast<ssize_t>(at.size())),
      RD_KAFKA_V_HEADER("spillway_source", from.data(), static_cast<ssize_t>(from.size())), RD_KAFKA_V_OPAQUE(opaque),
      RD_KAFKA_V_END);
}

int record_producer::poll(std::chrono::milliseconds timeout) noexcept {
  return rd_kafka_poll(rk_, static_cast<int>(timeout.count()));
}

void record_producer::purge() noexcept {
  rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(rk_, 0);  // serve the purge reports now
}

void record_producer::inject_fatal_error(const char* reason) noexcept {
  rd_kafka_test_fatal_error(rk_, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, reason);
}

void record_producer::on_dr(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* self = static_cast<record_producer*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) self->brokers_up_ = true;
  delivery_report report;
  report.tag = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(msg->_private));
  report.key = std::string_view(static_cast<const char*>(msg->key), msg->key_len);
  report.bytes = msg->len;
  report.received_ms = create_time(msg);
  report.message = msg;
  report.err = msg->err;
  self->listener_.on_delivery(report);
}

void record_producer::on_error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<record_producer*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char why[512];
    const auto code = rd_kafka_fatal_error(rk, why, sizeof why);
    self->fatal_ = true;
    spdlog::critical("kafka: fatal producer error {}: {}; the producer will be recreated and undelivered Posts "
                     "re-produced from the outbox", rd_kafka_err2name(code), why);
    return;
  }
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) self->brokers_up_ = false;
  const auto now = std::chrono::steady_clock::now();
  auto& last = self->last_error_log_[err];
  if (last != std::chrono::steady_clock::time_point{} && now - last < error_log_interval) return;
  last = now;
  spdlog::warn("kafka: {} ({}); Posts stay in the RocksDB outbox and are delivered when the cluster is "
               "reachable — check sinks.kafka.bootstrap_servers and the brokers",
               reason, rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
}

void record_producer::on_log(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // Runs on librdkafka's threads (spdlog is thread-safe). Connection failures reach on_error already,
  // rate-limited; here they would repeat on every reconnect attempt.
  if (level <= 4 && std::string_view(facility) != "FAIL") {
    spdlog::warn("kafka: librdkafka {}: {}", facility, message);
  } else {
    spdlog::debug("kafka: librdkafka {}: {}", facility, message);
  }
}

}  // namespace spillway::sinks::kafka
