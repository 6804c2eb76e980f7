// The Kafka sink against spillway-kafka-mock in its own process, verified with kcat and our consumer.
#include <algorithm>
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "common/clock.hpp"
#include "sinks/kafka/topic_router.hpp"
#include "tests/kafka/kafka_test_support.hpp"

using namespace spillway;
using namespace spillway::test;
using namespace std::chrono_literals;
using post_list = std::vector<std::unique_ptr<test_post>>;

namespace {

// Every Post in `posts` is in `records` once or more with its exact value and headers; returns duplicates.
std::size_t check_records(const std::vector<kafka_record>& records, const post_list& posts) {
  std::map<std::string, const test_post*> by_key;
  for (const auto& p : posts) by_key[std::to_string(p->id())] = p.get();
  std::set<std::string> seen;
  std::size_t duplicates = 0;
  for (const auto& r : records) {
    auto it = by_key.find(r.key);
    REQUIRE(it != by_key.end());
    INFO("key " << r.key);
    REQUIRE(r.value == it->second->line());  // byte for byte
    REQUIRE(canonical_headers(r.headers) == expected_headers(*it->second));
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

}  // namespace

TEST_CASE("Posts committed through the sink reach Kafka byte for byte with their headers", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(3000);
  auto& sink = rig.start();
  rig.commit(0, rig.posts.size());
  REQUIRE(rig.drained(30s));
  CHECK(sink.flush(5s) == 0);
  CHECK(outbox_entries(rig.db) == 0);
  CHECK(rig.counter("spillway_kafka_produced_total") == 3000);
  CHECK(rig.counter("spillway_kafka_delivered_total") == 3000);
  CHECK(rig.gauge("spillway_kafka_outbox_posts") == 0);
  CHECK(rig.gauge("spillway_kafka_outbox_bytes") == 0);
  CHECK_THAT(rig.metrics.render_text(), Catch::Contains("spillway_kafka_delivery_latency_seconds_count 3000"));
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts);
}

TEST_CASE("broker down mid-stream, then up: nothing lost, the outbox drains", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(2000);
  // A short message timeout makes librdkafka give up during the outage, so the outbox path carries the load.
  auto& sink = rig.start({{"message.timeout.ms", "1500"}});
  rig.commit(0, 500);
  REQUIRE(rig.drained(20s));

  REQUIRE(rig.broker.command("down 1") == "ok down 1");
  const auto stream_start = std::chrono::steady_clock::now();
  rig.commit(500, rig.posts.size());
  // The pipeline never blocks on Kafka: committing 1500 Posts into a dead cluster takes no time.
  CHECK(std::chrono::steady_clock::now() - stream_start < 2s);
  // Outlive message.timeout.ms: librdkafka reports the timeouts after 1.5 s, later on a loaded machine.
  auto& timed_out = rig.metrics.counter("spillway_kafka_delivery_errors_total", "", {{"code", "_MSG_TIMED_OUT"}});
  CHECK(poll_until(sink, [&] { return timed_out.get() > 0; }, 15s));
  CHECK(sink.outbox_posts() == 1500);
  CHECK(outbox_entries(rig.db) == 1500);
  // Every undelivered Post moves out of its record to a single entry for the relay, keeping its receive
  // time and source (the received_at and spillway_source headers of the records produced from it).
  const auto singles = [&] {
    std::map<std::uint64_t, std::pair<std::int64_t, common::post_source>> out;
    for (auto e = rig.db.outbox(0, sinks::outbox_scope::singles); e.valid(); e.next()) {
      out[e.id()] = {e.received_ms(), e.source()};
    }
    return out;
  };
  CHECK(poll_until(sink, [&] { return singles().size() == 1500; }, 15s));
  std::map<std::uint64_t, std::pair<std::int64_t, common::post_source>> expected;
  for (std::size_t i = 500; i < rig.posts.size(); ++i) {
    expected[rig.posts[i]->id()] = {rig.posts[i]->received_ms, rig.posts[i]->source};
  }
  CHECK(singles() == expected);

  REQUIRE(rig.broker.command("up 1") == "ok up 1");
  REQUIRE(rig.drained(40s));
  CHECK(sink.flush(5s) == 0);
  CHECK(outbox_entries(rig.db) == 0);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts, rig.posts.size());
}

TEST_CASE("injected produce errors are retried and none is lost", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(1000, {"x.posts:2"});
  rig.start();
  rig.commit(0, 100);
  REQUIRE(rig.drained(20s));
  REQUIRE(rig.broker.command("produce-errors 30 NOT_ENOUGH_REPLICAS").rfind("ok", 0) == 0);
  REQUIRE(rig.broker.command("produce-errors 30 REQUEST_TIMED_OUT").rfind("ok", 0) == 0);
  rig.commit(100, rig.posts.size(), 50);
  REQUIRE(rig.drained(40s));
  CHECK(outbox_entries(rig.db) == 0);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts, rig.posts.size());
}

TEST_CASE("a full librdkafka queue never blocks: Posts wait in the outbox and are relayed", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(3000, {"x.posts:2"});
  auto& sink = rig.start({{"queue.buffering.max.messages", "200"}});
  commit_posts(rig.db, &sink, rig.posts, 0, rig.posts.size());  // one batch far larger than the queue
  CHECK(rig.counter("spillway_kafka_queue_full_total") > 0);
  CHECK(sink.in_flight() <= 200);
  REQUIRE(rig.drained(40s));
  CHECK(rig.counter("spillway_kafka_reproduced_total") > 0);
  CHECK(outbox_entries(rig.db) == 0);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts);
}

TEST_CASE("cluster unreachable at start: the sink starts, keeps Posts, delivers once a broker is there",
          "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(500);
  REQUIRE(rig.broker.command("down 1") == "ok down 1");
  auto& sink = rig.start();
  rig.commit(0, rig.posts.size());
  poll_until(sink, [] { return false; }, 1s);
  CHECK(sink.outbox_posts() == 500);
  CHECK(outbox_entries(rig.db) == 500);
  REQUIRE(rig.broker.command("up 1") == "ok up 1");
  REQUIRE(rig.drained(40s));
  CHECK(outbox_entries(rig.db) == 0);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts);
}

TEST_CASE("a restart with a non-empty outbox re-produces it", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(800);
  {
    // Nothing listens on port 1: every Post stays in the outbox, and flush says so within its deadline.
    common::metrics_registry metrics;
    sinks::kafka::kafka_sink first(rig.db, kafka_settings_for("127.0.0.1:1"), metrics, 1 << 20);
    commit_posts(rig.db, &first, rig.posts, 0, rig.posts.size());
    const auto start = std::chrono::steady_clock::now();
    CHECK(first.flush(500ms) == 800);
    CHECK(std::chrono::steady_clock::now() - start < 3s);
    CHECK(metrics.gauge("spillway_kafka_outbox_posts", "").get() == 800);
  }
  REQUIRE(outbox_entries(rig.db) == 800);
  auto& sink = rig.start();
  CHECK(sink.outbox_posts() == 800);
  CHECK(rig.gauge("spillway_kafka_outbox_bytes") > 0);
  REQUIRE(rig.drained(40s));
  CHECK(sink.flush(5s) == 0);
  CHECK(outbox_entries(rig.db) == 0);
  CHECK(rig.counter("spillway_kafka_reproduced_total") == 800);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts);
}

TEST_CASE("topic_by_rule_tag routes by the first rule's tag, else to the fallback topic", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(200, {"x.fallback:1"});
  auto settings = kafka_settings_for(rig.broker.bootstrap());
  settings.topic_by_rule_tag = true;
  settings.fallback_topic = "x.fallback";
  std::map<std::string, post_list> by_topic;
  for (const auto& p : rig.posts) {
    std::string topic = p->fields.rule_count > 0 ? sinks::kafka::topic_router::sanitize_tag(p->fields.rules[0].tag_json) : "";
    if (topic.empty()) topic = "x.fallback";
    if (topic != "x.fallback" && by_topic.count(topic) == 0) {
      REQUIRE(rig.broker.command("topic " + topic + " 1").rfind("ok", 0) == 0);
    }
    by_topic[topic].push_back(std::make_unique<test_post>(*p));  // fields still view p's buffer: p outlives them
  }
  REQUIRE(by_topic.size() >= 3);
  REQUIRE(by_topic.count("cats") == 1);
  rig.start(settings);
  rig.commit(0, rig.posts.size());
  REQUIRE(rig.drained(30s));
  for (const auto& [topic, list] : by_topic) {
    INFO("topic " << topic);
    const auto records = read_with_kcat(rig.broker.bootstrap(), topic);
    CHECK(records.size() == list.size());
    check_records(records, list);
  }
}

TEST_CASE("a Post librdkafka refuses stays in the outbox and does not block the others", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(300, {"x.posts:2"});
  // Keep Posts clearly below or clearly above message.max.bytes (record overhead blurs the edge).
  std::erase_if(rig.posts, [](const auto& p) { return p->length > 700 && p->length < 1500; });
  std::size_t too_large = 0;
  for (const auto& p : rig.posts) too_large += p->length >= 1500 ? 1 : 0;
  REQUIRE(too_large >= 1);
  auto& sink = rig.start({{"message.max.bytes", "1200"}});
  rig.commit(0, rig.posts.size());
  REQUIRE(poll_until(sink, [&] { return sink.outbox_posts() == too_large; }, 30s));
  poll_until(sink, [] { return false; }, 500ms);  // the relay retries them; they stay
  CHECK(sink.flush(100ms) == too_large);
  CHECK(sink.waiting() == too_large);
  CHECK(rig.counter("spillway_kafka_delivered_total") == static_cast<std::int64_t>(rig.posts.size() - too_large));
  CHECK(outbox_entries(rig.db) == too_large);
  CHECK(rig.metrics.counter("spillway_kafka_delivery_errors_total", "", {{"code", "MSG_SIZE_TOO_LARGE"}}).get() > 0);
  post_list small;
  for (const auto& p : rig.posts) {
    if (p->length < 1500) small.push_back(std::make_unique<test_post>(*p));
  }
  verify_topic(rig.broker.bootstrap(), "x.posts", small);
}

TEST_CASE("one broker of three down, then up: its partitions catch up, nothing lost", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(1500, {"x.posts:6"}, 3);
  auto& sink = rig.start({{"message.timeout.ms", "2000"}});
  rig.commit(0, 300);
  REQUIRE(rig.drained(20s));
  REQUIRE(rig.broker.command("down 2") == "ok down 2");
  rig.commit(300, rig.posts.size());
  // The mock moves no leadership: Posts keyed to broker 2's partitions wait in the outbox. Sampled over
  // the whole outage, not at one instant, so a loaded machine's scheduling cannot hide it.
  std::uint64_t outbox_peak = 0;
  poll_until(sink, [&] {
    outbox_peak = std::max<std::uint64_t>(outbox_peak, sink.outbox_posts());
    return false;
  }, 2500ms);
  CHECK(outbox_peak > 0);
  REQUIRE(rig.broker.command("up 2") == "ok up 2");
  REQUIRE(rig.drained(40s));
  CHECK(outbox_entries(rig.db) == 0);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts, rig.posts.size());
}

TEST_CASE("a fatal producer error recreates the producer and loses nothing", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  kafka_rig rig(1000, {"x.posts:3"});
  auto& sink = rig.start();
  rig.commit(0, 300);
  REQUIRE(rig.drained(20s));
  REQUIRE(rig.broker.command("down 1") == "ok down 1");
  rig.commit(300, 700);  // in flight when the producer dies
  sink.inject_fatal_error("test: simulated idempotence failure");
  poll_until(sink, [&] { return rig.counter("spillway_kafka_producer_restarts_total") > 0; }, 5s);
  CHECK(rig.counter("spillway_kafka_producer_restarts_total") == 1);
  REQUIRE(rig.broker.command("up 1") == "ok up 1");
  rig.commit(700, rig.posts.size());
  REQUIRE(rig.drained(40s));
  CHECK(outbox_entries(rig.db) == 0);
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts, rig.posts.size());
}

TEST_CASE("delivery latency counts from each Post's receive time, also when reports carry no CreateTime",
          "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  // The mock cluster stamps every topic with LogAppendTime, so its reports never carry the CreateTime the
  // sink set: the receive time comes from the tag's offset within the record, or from the received_at header
  // when the Post came 255 ms or more after its record's first.
  kafka_rig rig(12);
  const auto now_ms = common::unix_ms_now();
  for (std::size_t i = 0; i < 10; ++i) rig.posts[i]->received_ms = now_ms - 20'000 + static_cast<std::int64_t>(i) * 20;
  rig.posts[10]->received_ms = now_ms - 5'000;  // 15 s after the record's first: the header path
  rig.posts[11]->received_ms = now_ms - 5'000 + 7;
  auto& sink = rig.start();
  rig.commit(0, rig.posts.size());  // one record
  REQUIRE(rig.drained(30s));
  CHECK(sink.flush(5s) == 0);
  std::map<double, std::int64_t> buckets;  // le → cumulative count
  const std::string prefix = "spillway_kafka_delivery_latency_seconds_bucket{le=\"";
  const auto text = rig.metrics.render_text();
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    const auto le = text.substr(at + prefix.size(), text.find('"', at + prefix.size()) - at - prefix.size());
    const auto count = std::stoll(text.substr(text.find(' ', at) + 1));
    buckets[le == "+Inf" ? 1e300 : std::stod(le)] = count;
  }
  REQUIRE(buckets.count(3.0) == 1);
  CHECK(buckets[3.0] == 0);    // none counted from a later time than its own
  CHECK(buckets[10.0] == 2);   // the two received 5 s ago (delivery takes well under 5 s more)
  CHECK(buckets[600.0] == 12);  // none counted from 0 or another nonsense time
  verify_topic(rig.broker.bootstrap(), "x.posts", rig.posts);
}
