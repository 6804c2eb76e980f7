#include "bench/kafka_mock/topic_reader.hpp"

#include <stdexcept>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace spillway::bench {

namespace {

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("consumer setting ") + name + ": " + errstr);
  }
}

using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_headers(json_writer& w, rd_kafka_headers_t* headers) {
  w.StartObject();
  if (headers != nullptr) {
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      w.Key(name);
      w.String(value == nullptr ? "" : static_cast<const char*>(value), static_cast<rapidjson::SizeType>(size));
    }
  }
  w.EndObject();
}

}  // namespace

topic_reader::topic_reader(const std::string& bootstrap, const std::string& topic,
                           std::chrono::milliseconds metadata_timeout)
    : topic_(topic) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "group.id", "spillway-kafka-consume");  // required by librdkafka; never joined (assign only)
  set(conf, "enable.auto.commit", "false");
  set(conf, "enable.partition.eof", "false");
  set(conf, "log_level", "3");
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("cannot create a consumer: ") + errstr);
  }
  rd_kafka_poll_set_consumer(rk_);

  // Topic metadata tells how many partitions to assign; retry while the broker or topic appears.
  const auto until = std::chrono::steady_clock::now() + metadata_timeout;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
  do {
    const rd_kafka_metadata_t* md = nullptr;
    if (rd_kafka_metadata(rk_, 0, rkt, &md, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) partitions_ = md->topics[0].partition_cnt;
      rd_kafka_metadata_destroy(md);
    }
  } while (partitions_ == 0 && std::chrono::steady_clock::now() < until);
  rd_kafka_topic_destroy(rkt);
  if (partitions_ == 0) {
    rd_kafka_destroy(rk_);
    throw std::runtime_error("no metadata for topic '" + topic + "' from " + bootstrap +
                             "; check the bootstrap address and that the topic exists");
  }
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(partitions_);
  for (int p = 0; p < partitions_; ++p) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk_, parts);
  rd_kafka_topic_partition_list_destroy(parts);
}

topic_reader::~topic_reader() {
  rd_kafka_assign(rk_, nullptr);
  rd_kafka_consumer_close(rk_);
  rd_kafka_destroy(rk_);
}

std::uint64_t topic_reader::read(std::uint64_t expect, std::chrono::milliseconds idle,
                                 std::chrono::milliseconds timeout,
                                 const std::function<void(const topic_record&)>& on_record) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + timeout;
  auto last = clock::now();
  std::uint64_t n = 0;
  while ((expect == 0 || n < expect) && clock::now() < deadline && clock::now() - last < idle) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      topic_record r;
      r.topic = rd_kafka_topic_name(m->rkt);
      r.partition = m->partition;
      r.offset = m->offset;
      r.key = {static_cast<const char*>(m->key), m->key_len};
      r.value = {static_cast<const char*>(m->payload), m->len};
      if (rd_kafka_message_headers(m, &r.headers) != RD_KAFKA_RESP_ERR_NO_ERROR) r.headers = nullptr;
      on_record(r);
      ++n;
      last = clock::now();
    }
    rd_kafka_message_destroy(m);
  }
  return n;
}

std::string headers_json(rd_kafka_headers_t* headers) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  write_headers(w, headers);
  return {sb.GetString(), sb.GetSize()};
}

std::string record_json(const topic_record& r) {
  rapidjson::StringBuffer sb;
  json_writer w(sb);
  w.StartObject();
  w.Key("topic");
  w.String(r.topic.data(), static_cast<rapidjson::SizeType>(r.topic.size()));
  w.Key("partition");
  w.Int(r.partition);
  w.Key("offset");
  w.Int64(r.offset);
  w.Key("key");
  w.String(r.key.data(), static_cast<rapidjson::SizeType>(r.key.size()));
  w.Key("headers");
  write_headers(w, r.headers);
  w.Key("value");
  w.String(r.value.data(), static_cast<rapidjson::SizeType>(r.value.size()));
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

}  // namespace spillway::bench
