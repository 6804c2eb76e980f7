#pragma once
// topic_reader: reads every partition of one topic from the beginning with a plain librdkafka consumer
// (assign, no consumer group), for tests and the demo to verify what reached Kafka.
//
// Owns: the consumer rd_kafka_t handle. Thread: one caller thread. Start-up failures throw.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <librdkafka/rdkafka.h>

namespace spillway::bench {

struct topic_record {
  std::string_view topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string_view key;
  std::string_view value;
  rd_kafka_headers_t* headers = nullptr;  // may be null; owned by the message
};

class topic_reader {
 public:
  topic_reader(const std::string& bootstrap, const std::string& topic, std::chrono::milliseconds metadata_timeout);
  ~topic_reader();
  topic_reader(const topic_reader&) = delete;
  topic_reader& operator=(const topic_reader&) = delete;

  // Calls `on_record` per record until `expect` records were read (0 = no target), no record came for
  // `idle`, or `timeout` passed. Returns how many were read.
  std::uint64_t read(std::uint64_t expect, std::chrono::milliseconds idle, std::chrono::milliseconds timeout,
                     const std::function<void(const topic_record&)>& on_record);

  [[nodiscard]] int partitions() const noexcept { return partitions_; }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::string topic_;
  int partitions_ = 0;
};

// Header list as a JSON object {"name":"value",...}; values are JSON-escaped strings.
[[nodiscard]] std::string headers_json(rd_kafka_headers_t* headers);
// A record as one JSON object: topic, partition, offset, key, headers, value.
[[nodiscard]] std::string record_json(const topic_record& r);

}  // namespace spillway::bench
