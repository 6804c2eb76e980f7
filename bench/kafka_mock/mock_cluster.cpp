#include "bench/kafka_mock/mock_cluster.hpp"

#include <charconv>
#include <stdexcept>
#include <vector>

namespace spillway::bench {

namespace {

// Kafka protocol ApiKey of Produce (KIP-482 table; rdkafka_protocol.h is not a public header).
constexpr std::int16_t produce_api_key = 0;
constexpr int max_partitions = 1000;

bool parse_int(std::string_view text, int& out) noexcept {
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && p == end;
}

// Splits on single spaces, skipping empty fields.
std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

bool parse_kafka_error(std::string_view name, rd_kafka_resp_err_t& out) noexcept {
  constexpr std::string_view prefix = "RD_KAFKA_RESP_ERR_";
  if (name.starts_with(prefix)) name.remove_prefix(prefix.size());
  const rd_kafka_err_desc* descs = nullptr;
  size_t n = 0;
  rd_kafka_get_err_descs(&descs, &n);
  for (size_t i = 0; i < n; ++i) {
    if (descs[i].name != nullptr && name == descs[i].name) {
      out = descs[i].code;
      return true;
    }
  }
  return false;
}

mock_cluster::mock_cluster(int brokers) : brokers_(brokers) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; keep it quiet.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("cannot create the librdkafka handle for the mock cluster: ") + errstr);
  }
  cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("librdkafka could not start a mock cluster of " + std::to_string(brokers) +
                             " brokers on 127.0.0.1; check that loopback is up and ports are free");
  }
}

mock_cluster::~mock_cluster() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(rk_);
}

std::string mock_cluster::bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

std::string mock_cluster::create_topic(std::string_view spec) {
  int partitions = 1;
  auto colon = spec.rfind(':');
  std::string_view name = spec;
  if (colon != std::string_view::npos) {
    name = spec.substr(0, colon);
    if (!parse_int(spec.substr(colon + 1), partitions) || partitions < 1 || partitions > max_partitions) {
      return "bad partition count in '" + std::string(spec) + "'; use NAME:PARTITIONS with 1..1000";
    }
  }
  auto r = topic(name, partitions);
  return r.starts_with("ok") ? std::string() : r;
}

std::string mock_cluster::topic(std::string_view name, int partitions) {
  if (name.empty()) return "error topic name is empty";
  const std::string n(name);
  // Replication factor = all brokers, so acks=all means something when a broker goes down.
  auto err = rd_kafka_mock_topic_create(cluster_, n.c_str(), partitions, brokers_);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return "error topic " + n + ": " + rd_kafka_err2name(err);
  return "ok topic " + n + " " + std::to_string(partitions);
}

std::string mock_cluster::broker_state(std::string_view id_text, bool up) {
  int id = 0;
  if (!parse_int(id_text, id) || id < 1 || id > brokers_) {
    return "error broker id '" + std::string(id_text) + "' out of range; ids are 1.." + std::to_string(brokers_);
  }
  auto err = up ? rd_kafka_mock_broker_set_up(cluster_, id) : rd_kafka_mock_broker_set_down(cluster_, id);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return std::string("error ") + rd_kafka_err2name(err);
  return std::string(up ? "ok up " : "ok down ") + std::to_string(id);
}

std::string mock_cluster::produce_errors(std::string_view count_text, std::string_view err_name) {
  int count = 0;
  if (!parse_int(count_text, count) || count < 1 || count > 100000) {
    return "error count '" + std::string(count_text) + "' must be 1..100000";
  }
  rd_kafka_resp_err_t err{};
  if (!parse_kafka_error(err_name, err)) {
    return "error unknown Kafka error name '" + std::string(err_name) +
           "'; use a librdkafka name such as NOT_ENOUGH_REPLICAS or REQUEST_TIMED_OUT";
  }
  std::vector<rd_kafka_resp_err_t> errs(static_cast<std::size_t>(count), err);
  rd_kafka_mock_push_request_errors_array(cluster_, produce_api_key, errs.size(), errs.data());
  return "ok produce-errors " + std::to_string(count) + " " + rd_kafka_err2name(err);
}

std::string mock_cluster::execute(std::string_view line, bool& quit) {
  auto w = words(line);
  if (w.empty()) return "error empty command; commands: down ID, up ID, topic NAME [PARTITIONS], "
                        "produce-errors COUNT ERR_NAME, bootstrap, quit";
  const auto cmd = w[0];
  if (cmd == "quit" && w.size() == 1) {
    quit = true;
    return "ok quit";
  }
  if (cmd == "bootstrap" && w.size() == 1) return "ok " + bootstraps();
  if ((cmd == "down" || cmd == "up") && w.size() == 2) return broker_state(w[1], cmd == "up");
  if (cmd == "topic" && (w.size() == 2 || w.size() == 3)) {
    int partitions = 1;
    if (w.size() == 3 && (!parse_int(w[2], partitions) || partitions < 1 || partitions > max_partitions)) {
      return "error partitions '" + std::string(w[2]) + "' must be 1..1000";
    }
    return topic(w[1], partitions);
  }
  if (cmd == "produce-errors" && w.size() == 3) return produce_errors(w[1], w[2]);
  return "error cannot parse '" + std::string(line) + "'; commands: down ID, up ID, topic NAME [PARTITIONS], "
         "produce-errors COUNT ERR_NAME, bootstrap, quit";
}

}  // namespace spillway::bench
