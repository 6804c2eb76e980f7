// Through the binary: 100,000 Posts from spillway-emu → `spillway run` → RocksDB and Kafka (the mock
// broker in its own process). kcat reads back exactly the stored set: ids = keys, values byte for byte,
// the three headers, no duplicates; and the store equals what the emulator sent.
#include "tests/kafka/run_test_support.hpp"

using namespace spillway::test;
using namespace spillway::test::run;

TEST_CASE("kafka run: 100,000 Posts land in RocksDB and Kafka exactly once", "[integration][kafka][run]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  constexpr std::uint64_t count = 100'000;
  temp_dir dir("spillway-kafka-run");
  // The mock keeps ~5 MiB per partition: 64 partitions hold 100,000 Posts of ~1.5 KB with room to spare.
  mock_broker broker(1, {"x.posts:64"});
  emulator emu(dir, {"--count", std::to_string(count), "--rate", "0", "--seed", "3", "--dump", dir.str("dump.jsonl")});
  const auto since_ms = unix_ms();
  auto run = start_spillway(dir, write_config(dir, emu.url, broker.bootstrap()));

  const auto t0 = std::chrono::steady_clock::now();
  const bool delivered = eventually([&] {
    const auto s = stats(dir.str("db"));
    return s && s->posts >= count && s->outbox == 0;
  }, 180s, 500ms);
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("spillway log:\n" << slurp(dir.str("run.log")).substr(0, 4000));
  REQUIRE(delivered);
  WARN("stored and delivered " << count << " Posts in " << seconds << " s (stats polled every 0.5 s)");
  CHECK(stop_spillway(*run) == 0);
  CHECK(slurp(dir.str("run.log")).find("kafka: 0 Posts still in the outbox") != std::string::npos);
  emu.proc.signal(SIGTERM);  // flushes --dump
  REQUIRE(emu.proc.wait(20s).has_value());

  std::string exported;
  const auto stored = stored_posts(dir.str("db"), &exported);
  REQUIRE(stored.size() == count);
  // Ids increase in send order: the emulator's dump is in id order, like the export.
  CHECK(exported == slurp(dir.str("dump.jsonl")));

  const auto report = check_kafka(broker.bootstrap(), stored, since_ms);
  WARN(describe(report));
  CHECK(report.records == count);
  CHECK(report.distinct == count);
  CHECK(report.duplicates() == 0);
  CHECK(report.missing == 0);
  CHECK(report.phantom == 0);
  CHECK(report.value_mismatch == 0);
  CHECK(report.header_mismatch == 0);
  // The token never reaches the log.
  CHECK(slurp(dir.str("run.log")).find(bearer) == std::string::npos);
}
