#pragma once
// kafka_config: turns `[sinks.kafka]` settings into a librdkafka producer configuration.
//
// Order: our defaults (bounded queue, small linger) → `[sinks.kafka.properties]` verbatim (so SASL/SSL,
// compression and batching pass straight through) → what Spillway's guarantees require (idempotence,
// acks=all). Whether a property contradicts them is decided by config::check_property alone (the loader
// reports it with file and line); settings built in code are refused here by that same function, never
// silently overridden. Every failure is a start-up error that names the property and the fix; values of
// secret properties never appear in a message.
// Thread: start-up only. Owns nothing after returning (the caller owns the rd_kafka_conf_t).
#include <cstddef>

#include <librdkafka/rdkafka.h>

#include "config/settings.hpp"

namespace spillway::sinks::kafka {

struct producer_conf {
  rd_kafka_conf_t* conf = nullptr;  // caller owns (rd_kafka_new takes it on success)
  std::size_t max_queued = 0;       // queue.buffering.max.messages in effect: bounds Posts in flight
};

// Throws std::runtime_error naming the property and the fix.
[[nodiscard]] producer_conf build_producer_conf(const config::kafka_settings& settings);

// Creates the producer from `pc` (takes ownership of pc.conf in every case). Throws std::runtime_error.
[[nodiscard]] rd_kafka_t* create_producer(producer_conf& pc);

}  // namespace spillway::sinks::kafka
