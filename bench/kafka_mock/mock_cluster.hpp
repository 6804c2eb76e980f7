#pragma once
// mock_cluster: a librdkafka mock Kafka cluster (rdkafka_mock.h) plus the line commands that stage faults.
//
// Owns: the rd_kafka_t handle the mock cluster hangs off and the cluster itself (its brokers listen on
// 127.0.0.1, ephemeral ports, served by librdkafka's own mock thread).
// Threads: construct, execute() and destroy on one thread (the process's main thread); the brokers run on
// librdkafka's threads.
// Used by spillway-kafka-mock only; tests talk to it through stdin, never by linking it.
#include <string>
#include <string_view>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

namespace spillway::bench {

class mock_cluster {
 public:
  // Throws std::runtime_error (start-up only) when librdkafka cannot create the cluster.
  explicit mock_cluster(int brokers);
  ~mock_cluster();
  mock_cluster(const mock_cluster&) = delete;
  mock_cluster& operator=(const mock_cluster&) = delete;

  [[nodiscard]] std::string bootstraps() const;

  // "NAME" or "NAME:PARTITIONS"; returns "" on success or the error text.
  [[nodiscard]] std::string create_topic(std::string_view spec);

  // One command line (see README.md): answers "ok ..." or "error ...". Sets `quit` for "quit".
  [[nodiscard]] std::string execute(std::string_view line, bool& quit);

 private:
  std::string topic(std::string_view name, int partitions);
  std::string broker_state(std::string_view id_text, bool up);
  std::string produce_errors(std::string_view count_text, std::string_view err_name);

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  int brokers_ = 0;
};

// Finds a librdkafka error code by name: "NOT_ENOUGH_REPLICAS" or "RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS".
[[nodiscard]] bool parse_kafka_error(std::string_view name, rd_kafka_resp_err_t& out) noexcept;

}  // namespace spillway::bench
