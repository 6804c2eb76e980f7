#include "sinks/kafka/kafka_config.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include "common/thread_priority.hpp"
#include "config/kafka_properties.hpp"

namespace spillway::sinks::kafka {

namespace {

constexpr const char* properties_doc = "https://github.com/confluentinc/librdkafka/blob/v2.0.2/CONFIGURATION.md";

// Defaults chosen for the outbox design: the queue is bounded so memory stays bounded during an outage
// (the backlog lives in RocksDB's outbox, not in librdkafka), and a short linger batches without adding
// visible latency. Nagle's algorithm is off: with it, a ProduceRequest whose tail is a small segment waits
// for the broker's delayed ACK (40 ms on Linux), which put receive→delivered p99 at 50 ms instead of
// 12.5–15 ms at 50,000 Posts/s (README, Performance).
constexpr std::pair<const char*, const char*> spillway_defaults[] = {
    {"queue.buffering.max.messages", "100000"},
    {"queue.buffering.max.kbytes", "65536"},  // 64 MiB: ~40k Posts, far more than a healthy cluster keeps in flight
    {"linger.ms", "5"},
    {"socket.nagle.disable", "true"},
    {"log.connection.close", "false"},
};

void set_or_throw(rd_kafka_conf_t* conf, const std::string& name, const std::string& value, const char* origin) {
  char errstr[512];
  const auto r = rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr);
  if (r == RD_KAFKA_CONF_OK) return;
  rd_kafka_conf_destroy(conf);
  if (r == RD_KAFKA_CONF_UNKNOWN) {
    throw std::runtime_error(std::string(origin) + ": librdkafka has no property '" + name +
                             "'; fix the spelling or remove it (properties are listed at " + properties_doc + ")");
  }
  const std::string detail = config::is_secret_property(name) ? "invalid value (not shown: secret)" : errstr;
  throw std::runtime_error(std::string(origin) + ": property '" + name + "': " + detail +
                           "; set a value librdkafka accepts (see " + properties_doc + ")");
}

std::string get(rd_kafka_conf_t* conf, const char* name) {
  char buf[256];
  size_t size = sizeof buf;
  if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK) return {};
  return buf;
}

// librdkafka's threads (rdk:main, one per broker) serve the outbox, which absorbs any lag: they run below the
// reader (common/thread_priority.hpp). Called on each of them as it starts.
rd_kafka_resp_err_t lower_librdkafka_thread(rd_kafka_t*, rd_kafka_thread_type_t, const char*, void*) {
  (void)common::lower_this_thread_to_background();  // refused: the thread keeps its priority, nothing else changes
  return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t add_thread_interceptor(rd_kafka_t* rk, const rd_kafka_conf_t*, void*, char*, size_t) {
  return rd_kafka_interceptor_add_on_thread_start(rk, "spillway-thread-priority", &lower_librdkafka_thread, nullptr);
}

[[noreturn]] void fail(rd_kafka_conf_t* conf, const std::string& message) {
  rd_kafka_conf_destroy(conf);
  throw std::runtime_error(message);
}

}  // namespace

producer_conf build_producer_conf(const config::kafka_settings& settings) {
  if (settings.bootstrap_servers.empty()) {
    throw std::runtime_error("sinks.kafka.bootstrap_servers is empty; set it to host:port[,host:port] of the cluster");
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // Interceptors on a client can only be added from its on_new interceptor, which rd_kafka_new() calls.
  if (rd_kafka_conf_interceptor_add_on_new(conf, "spillway-thread-priority", &add_thread_interceptor, nullptr) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    fail(conf, "cannot register the Kafka producer's thread interceptor");
  }
  for (const auto& [name, value] : spillway_defaults) set_or_throw(conf, name, value, "built-in default");
  for (const auto& [name, value] : settings.properties) {
    // Guarantee 2 (ARCHITECTURE.md) is checked where the configuration is loaded, with the file and line
    // (config::check_property). Settings built in code (tests, benchmarks) never passed the loader: the
    // same rule refuses them here, in the same words — a contradicting property is an error, not
    // something to override behind the operator's back.
    if (const auto problem = config::check_property(name, value)) {
      fail(conf, "[sinks.kafka.properties] \"" + name + "\" " + problem->problem + "; " + problem->fix);
    }
    set_or_throw(conf, name, value, "[sinks.kafka.properties]");
  }
  set_or_throw(conf, "bootstrap.servers", settings.bootstrap_servers, "sinks.kafka.bootstrap_servers");
  // What the guarantees require, whatever librdkafka's defaults are.
  set_or_throw(conf, "enable.idempotence", "true", "required setting");
  set_or_throw(conf, "acks", "all", "required setting");

  producer_conf pc;
  pc.conf = conf;
  const auto max_msgs = get(conf, "queue.buffering.max.messages");
  std::from_chars(max_msgs.data(), max_msgs.data() + max_msgs.size(), pc.max_queued);
  if (pc.max_queued == 0) pc.max_queued = 100000;
  return pc;
}

rd_kafka_t* create_producer(producer_conf& pc) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, pc.conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(pc.conf);
    pc.conf = nullptr;
    throw std::runtime_error(std::string("cannot start the Kafka producer: ") + errstr +
                             "; fix the conflicting entries in [sinks.kafka.properties]");
  }
  pc.conf = nullptr;  // owned by rk now
  return rk;
}

}  // namespace spillway::sinks::kafka
