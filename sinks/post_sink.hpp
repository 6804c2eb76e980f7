#pragma once
// post_sink: what the pipeline hands committed Posts to (the Kafka sink; a null sink in benchmarks).
//
// The pipeline's committer thread (sinks/commit_stage.hpp) calls on_committed() right after the RocksDB
// batch holding these Posts was written (so every Post given here is already durable and in the outbox,
// listed in one batch record whose sequence number each committed_post carries), then poll() whenever it
// has a moment; every call comes from that one thread while the pipeline runs. Views in committed_post point into slabs that are released after on_committed returns:
// a sink must copy what it keeps (librdkafka's RD_KAFKA_MSG_F_COPY does exactly one copy).
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>

#include "common/post_source.hpp"
#include "sinks/post.hpp"

namespace spillway::sinks {

struct committed_post {
  std::uint64_t id = 0;
  std::string_view line;                   // raw JSON as received, without "\r\n"
  const sinks::extracted_post* fields = nullptr;  // rule ids/tags (raw JSON tokens into `line`)
  std::int64_t received_ms = 0;
  common::post_source source = common::post_source::stream;  // the Kafka header spillway_source
  // The outbox batch record listing this Post (store::put_outbox_record); 0 when its outbox entry is a
  // single entry of its own (or, without Kafka, when there is none).
  std::uint64_t outbox_record = 0;
};

class post_sink {
 public:
  virtual ~post_sink() = default;
  virtual void on_committed(std::span<const committed_post> posts) noexcept = 0;
  // Serve callbacks (delivery reports); must not block.
  virtual void poll() noexcept = 0;
  // True while poll() has work soon (Posts in flight, writes pending, Posts waiting to be produced again):
  // the caller then polls about every millisecond, otherwise about every 100 ms and after each hand-over.
  [[nodiscard]] virtual bool has_work() const noexcept { return true; }
  // Shutdown: deliver what is in flight within the deadline; returns how many remain undelivered.
  virtual std::size_t flush(std::chrono::milliseconds deadline) noexcept = 0;
};

}  // namespace spillway::sinks
