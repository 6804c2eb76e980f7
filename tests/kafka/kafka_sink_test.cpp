// The Kafka sink against spillway-kafka-mock in its own process, verified with kcat and our consumer.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "common/metrics.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/kafka/topic_router.hpp"
#include "tests/kafka/kafka_test_support.hpp"

using namespace spillway;
using namespace spillway::test;
using namespace std::chrono_literals;
using post_list = std::vector<std::unique_ptr<test_post>>;

namespace {

constexpr std::size_t max_line = 1 << 20;

std::int64_t metric(common::metrics_registry& m, const std::string& name) {
  return m.counter(name, "").get();
}

// Every Post in `posts` is in `records` once or more with its exact value and headers; returns duplicates.
std::size_t check_records(const std::vector<kafka_record>& records, const post_list& posts, bool check_received_at = true) {
  std::map<std::string, const test_post*> by_key;
  for (const auto& p : posts) by_key[std::to_string(p->id())] = p.get();
  std::set<std::string> seen;
  std::size_t duplicates = 0;
  for (const auto& r : records) {
    auto it = by_key.find(r.key);
    REQUIRE(it != by_key.end());
    INFO("key " << r.key);
    REQUIRE(r.value == it->second->line());  // byte for byte
    auto want = expected_headers(*it->second);
    auto got = canonical_headers(r.headers);
    if (!check_received_at) {
      want.erase("received_at");
      REQUIRE(got.count("received_at") == 1);
      got.erase("received_at");
    }
    REQUIRE(got == want);
    if (!seen.insert(r.key).second) ++duplicates;
  }
  CHECK(seen.size() == posts.size());
  return duplicates;
}

// Reads the topic with kcat AND spillway-kafka-consume; both must hold every Post.
void verify_topic(const std::string& bootstrap, const std::string& topic, const post_list& posts,
                  std::size_t max_duplicates = 0) {
  const auto via_kcat = read_with_kcat(bootstrap, topic);
  CHECK(check_records(via_kcat, posts) <= max_duplicates);
  const auto via_consumer = read_with_consumer(bootstrap, topic, via_kcat.size());
  CHECK(via_consumer.size() == via_kcat.size());
  CHECK(check_records(via_consumer, posts) <= max_duplicates);
}

void commit_in_batches(sinks::store& db, sinks::post_sink& sink, const post_list& posts, std::size_t begin,
                       std::size_t end, std::size_t batch = 256) {
  for (std::size_t i = begin; i < end; i += batch) {
    commit_posts(db, &sink, posts, i, std::min(end, i + batch));
    sink.poll();
  }
}

}  // namespace

TEST_CASE("Posts committed through the sink reach Kafka byte for byte with their headers", "[integration]") {
  mock_broker broker(1, {"x.posts:3"});
  temp_dir dir;
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  common::metrics_registry metrics;
  const auto posts = make_posts(3000);
  sinks::kafka::kafka_sink sink(db, kafka_settings_for(broker.bootstrap()), metrics, max_line);

  commit_in_batches(db, sink, posts, 0, posts.size());
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 30s));
  CHECK(sink.flush(5s) == 0);
  CHECK(outbox_entries(db) == 0);
  CHECK(metric(metrics, "spillway_kafka_produced_total") == static_cast<std::int64_t>(posts.size()));
  CHECK(metric(metrics, "spillway_kafka_delivered_total") == static_cast<std::int64_t>(posts.size()));
  CHECK(metrics.gauge("spillway_kafka_outbox_posts", "").get() == 0);
  CHECK(metrics.gauge("spillway_kafka_outbox_bytes", "").get() == 0);
  const auto text = metrics.render_text();
  CHECK_THAT(text, Catch::Contains("spillway_kafka_delivery_latency_seconds_count 3000"));

  verify_topic(broker.bootstrap(), "x.posts", posts);
}

TEST_CASE("broker down mid-stream, then up: nothing lost, the outbox drains", "[integration]") {
  mock_broker broker(1, {"x.posts:3"});
  temp_dir dir;
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  common::metrics_registry metrics;
  const auto posts = make_posts(2000);
  // A short message timeout makes librdkafka give up during the outage, so the outbox path carries the load.
  sinks::kafka::kafka_sink sink(db, kafka_settings_for(broker.bootstrap(), {{"message.timeout.ms", "1500"}}),
                                metrics, max_line);
  commit_in_batches(db, sink, posts, 0, 500);
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 20s));

  REQUIRE(broker.command("down 1") == "ok down 1");
  const auto stream_start = std::chrono::steady_clock::now();
  commit_in_batches(db, sink, posts, 500, posts.size());
  // The pipeline never blocks on Kafka: committing 1500 Posts into a dead cluster takes no time.
  CHECK(std::chrono::steady_clock::now() - stream_start < 2s);
  poll_until(sink, [&] { return false; }, 3s);  // outlive message.timeout.ms
  CHECK(sink.outbox_posts() == posts.size() - 500);
  CHECK(outbox_entries(db) == posts.size() - 500);
  CHECK(metrics.counter("spillway_kafka_delivery_errors_total", "", {{"code", "_MSG_TIMED_OUT"}}).get() > 0);

  REQUIRE(broker.command("up 1") == "ok up 1");
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 40s));
  CHECK(sink.flush(5s) == 0);
  CHECK(outbox_entries(db) == 0);
  verify_topic(broker.bootstrap(), "x.posts", posts, posts.size());
}

TEST_CASE("injected produce errors are retried and none is lost", "[integration]") {
  mock_broker broker(1, {"x.posts:2"});
  temp_dir dir;
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  common::metrics_registry metrics;
  const auto posts = make_posts(1000);
  sinks::kafka::kafka_sink sink(db, kafka_settings_for(broker.bootstrap()), metrics, max_line);
  commit_in_batches(db, sink, posts, 0, 100);
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 20s));
  REQUIRE(broker.command("produce-errors 30 NOT_ENOUGH_REPLICAS").rfind("ok", 0) == 0);
  REQUIRE(broker.command("produce-errors 30 REQUEST_TIMED_OUT").rfind("ok", 0) == 0);
  commit_in_batches(db, sink, posts, 100, posts.size(), 50);
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 40s));
  CHECK(outbox_entries(db) == 0);
  verify_topic(broker.bootstrap(), "x.posts", posts, posts.size());
}

TEST_CASE("a full librdkafka queue never blocks: Posts wait in the outbox and are relayed", "[integration]") {
  mock_broker broker(1, {"x.posts:2"});
  temp_dir dir;
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  common::metrics_registry metrics;
  const auto posts = make_posts(3000);
  sinks::kafka::kafka_sink sink(db, kafka_settings_for(broker.bootstrap(), {{"queue.buffering.max.messages", "200"}}),
                                metrics, max_line);
  commit_posts(db, &sink, posts, 0, posts.size());  // one batch far larger than the queue
  CHECK(metric(metrics, "spillway_kafka_queue_full_total") > 0);
  CHECK(sink.in_flight() <= 200);
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 40s));
  CHECK(metric(metrics, "spillway_kafka_reproduced_total") > 0);
  CHECK(outbox_entries(db) == 0);
  verify_topic(broker.bootstrap(), "x.posts", posts);
}

TEST_CASE("cluster unreachable at start: the sink starts, keeps Posts, delivers once a broker is there",
          "[integration]") {
  mock_broker broker(1, {"x.posts:3"});
  REQUIRE(broker.command("down 1") == "ok down 1");
  temp_dir dir;
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  common::metrics_registry metrics;
  const auto posts = make_posts(500);
  sinks::kafka::kafka_sink sink(db, kafka_settings_for(broker.bootstrap()), metrics, max_line);
  commit_in_batches(db, sink, posts, 0, posts.size());
  poll_until(sink, [&] { return false; }, 1s);
  CHECK(sink.outbox_posts() == posts.size());
  CHECK(outbox_entries(db) == posts.size());
  REQUIRE(broker.command("up 1") == "ok up 1");
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 40s));
  CHECK(outbox_entries(db) == 0);
  verify_topic(broker.bootstrap(), "x.posts", posts);
}

TEST_CASE("a restart with a non-empty outbox re-produces it", "[integration]") {
  temp_dir dir;
  const auto posts = make_posts(800);
  {
    // Nothing listens on port 1: every Post stays in the outbox, and flush says so within its deadline.
    sinks::store db(dir.path(), sinks::open_mode::read_write);
    common::metrics_registry metrics;
    sinks::kafka::kafka_sink sink(db, kafka_settings_for("127.0.0.1:1"), metrics, max_line);
    commit_in_batches(db, sink, posts, 0, posts.size());
    const auto start = std::chrono::steady_clock::now();
    CHECK(sink.flush(500ms) == posts.size());
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(metrics.gauge("spillway_kafka_outbox_posts", "").get() == static_cast<std::int64_t>(posts.size()));
  }
  mock_broker broker(1, {"x.posts:3"});
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  REQUIRE(outbox_entries(db) == posts.size());
  common::metrics_registry metrics;
  sinks::kafka::kafka_sink sink(db, kafka_settings_for(broker.bootstrap()), metrics, max_line);
  CHECK(sink.outbox_posts() == posts.size());
  CHECK(metrics.gauge("spillway_kafka_outbox_bytes", "").get() > 0);
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 40s));
  CHECK(sink.flush(5s) == 0);
  CHECK(outbox_entries(db) == 0);
  CHECK(metric(metrics, "spillway_kafka_reproduced_total") == static_cast<std::int64_t>(posts.size()));
  verify_topic(broker.bootstrap(), "x.posts", posts);
}

TEST_CASE("topic_by_rule_tag routes by the first rule's tag, else to the fallback topic", "[integration]") {
  mock_broker broker(1, {"x.fallback:1"});
  temp_dir dir;
  sinks::store db(dir.path(), sinks::open_mode::read_write);
  common::metrics_registry metrics;
  const auto posts = make_posts(200);
  auto settings = kafka_settings_for(broker.bootstrap());
  settings.topic_by_rule_tag = true;
  settings.fallback_topic = "x.fallback";
  std::map<std::string, post_list> by_topic;
  for (const auto& p : posts) {
    std::string topic = p->fields.rule_count > 0 ? sinks::kafka::topic_router::sanitize_tag(p->fields.rules[0].tag_json) : "";
    if (topic.empty()) topic = "x.fallback";
    if (topic != "x.fallback") REQUIRE(broker.command("topic " + topic + " 1").rfind("ok", 0) == 0);
    by_topic[topic].push_back(std::make_unique<test_post>(*p));  // fields still view p's buffer: p outlives them
  }
  REQUIRE(by_topic.size() >= 3);
  REQUIRE(by_topic.count("cats") == 1);
  sinks::kafka::kafka_sink sink(db, settings, metrics, max_line);
  commit_in_batches(db, sink, posts, 0, posts.size());
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == 0; }, 30s));
  for (const auto& [topic, list] : by_topic) {
    INFO("topic " << topic);
    const auto records = read_with_kcat(broker.bootstrap(), topic);
    CHECK(records.size() == list.size());
    check_records(records, list);
  }
}
