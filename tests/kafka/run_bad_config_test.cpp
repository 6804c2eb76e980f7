// Through the binary: Kafka misconfiguration. An unknown librdkafka property stops `spillway run` at
// start-up with a message naming the property and the fix. Bootstrap servers that do not answer at start
// do not stop it: it streams into RocksDB, and delivers everything once a broker appears on that address.
#include "tests/kafka/run_test_support.hpp"

using namespace spillway::test;
using namespace spillway::test::run;

TEST_CASE("kafka run: an unknown librdkafka property is a start-up error naming it and the fix",
          "[integration][kafka][run]") {
  temp_dir dir("spillway-kafka-badprop");
  // Nothing listens on either port: start-up must fail before either is needed.
  const auto config = write_config(dir, "http://127.0.0.1:" + std::to_string(free_port()),
                                   "127.0.0.1:" + std::to_string(free_port()), {{"no.such.property", "1"}});
  spillway::testing::child_process run({bin("spillway"), "run", "--config", config}, dir.str("run.log"),
                             {{"X_BEARER_TOKEN", bearer}});
  const auto code = run.wait(30s);
  const auto log = slurp(dir.str("run.log"));
  INFO("spillway log:\n" << log);
  REQUIRE(code.has_value());
  CHECK(*code != 0);
  CHECK(log.find("no.such.property") != std::string::npos);
  CHECK(log.find("fix the spelling or remove it") != std::string::npos);
  CHECK(log.find("streaming from") == std::string::npos);  // it never started streaming
}

TEST_CASE("kafka run: unreachable bootstrap servers at start, stores, then delivers once Kafka is up",
          "[integration][kafka][run]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  constexpr std::uint64_t count = 5000;
  temp_dir dir("spillway-kafka-unreachable");
  const auto port = free_port();
  const auto bootstrap = "127.0.0.1:" + std::to_string(port);
  emulator emu(dir, {"--count", std::to_string(count), "--rate", "0", "--seed", "11"});
  const auto since_ms = unix_ms();
  auto run = start_spillway(dir, write_config(dir, emu.url, bootstrap));
  const auto db = dir.str("db");

  // Nothing listens on the port: every Post is stored, none delivered.
  if (!eventually([&] {
        const auto s = stats(db);
        return s && s->posts >= count;
      }, 60s, 250ms)) {
    FAIL("not all Posts stored in 60 s; spillway log:\n" << log_tail(dir.str("run.log")));
  }
  std::this_thread::sleep_for(1s);
  CHECK(stats(db)->outbox == count);
  CHECK(run->running());

  // The broker starts on exactly that address (spillway-kafka-mock --port forwards it to broker 1).
  child_process mock({bin("spillway-kafka-mock"), "--brokers", "1", "--topic", "x.posts:4", "--port",
                      std::to_string(port)},
                     true);
  REQUIRE(mock.read_line(10s) == bootstrap);
  const auto up_at = std::chrono::steady_clock::now();
  // librdkafka retries the bootstrap connection with a backoff of up to 10 s (reconnect.backoff.max.ms).
  if (!outbox_drains(db, 60s)) FAIL("not delivered in 60 s; spillway log:\n" << log_tail(dir.str("run.log")));
  WARN("all " << count << " Posts delivered "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - up_at).count()
              << " s after the broker started");
  CHECK(stop_spillway(*run) == 0);

  const auto stored = stored_posts(db);
  REQUIRE(stored.size() == count);
  const auto report = check_kafka(bootstrap, stored, since_ms);
  WARN(describe(report));
  CHECK(report.missing == 0);
  CHECK(report.phantom == 0);
  CHECK(report.duplicates() == 0);
  CHECK(report.value_mismatch == 0);
  CHECK(report.header_mismatch == 0);
  mock.close_stdin();
  CHECK(mock.wait_exit(10s) == 0);
}
