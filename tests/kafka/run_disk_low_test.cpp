// Disk low with Kafka on (issue 10, item 2): while the stream is closed because free space is below
// sinks.rocksdb.min_free_bytes, Posts already stored keep flowing to Kafka — the outbox drains, nothing
// waits for the disk. The database sits on a small tmpfs the test mounts (root, as in CI; SKIP otherwise);
// the broker starts only after the disk is low, so every delivery happens while the stream is closed.
#include <catch2/catch.hpp>

#include <filesystem>

#include "tests/kafka/run_test_support.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/tmpfs_mount.hpp"

using namespace spillway::test;
using namespace spillway::test::run;

TEST_CASE("kafka run: while the disk is low and the stream closed, the outbox still drains to Kafka",
          "[integration][kafka][run][disk]") {
  temp_dir dir("spillway-kafka-disk-low");
  const auto mnt = dir.str("mnt");
  std::filesystem::create_directories(mnt);
  spillway::testing::tmpfs_mount fs(mnt, "32m");
  if (!fs.mounted()) {
    WARN("SKIP: cannot mount a tmpfs on " << mnt << " (" << fs.error() << "); this test needs root, as in CI");
    return;
  }
  constexpr int count = 3000;
  const auto since_ms = unix_ms();
  emulator emu(dir, {"--count", std::to_string(count), "--rate", "1500", "--seed", "21"});
  const auto bootstrap = "127.0.0.1:" + std::to_string(spillway::testing::free_port());
  const auto metrics_port = spillway::testing::free_port();
  const auto db = mnt + "/db";
  {
    std::ofstream out(dir.str("spillway.toml"));
    out << "[stream]\nbase_url = \"" << emu.url << "\"\n";
    out << "[sinks.rocksdb]\npath = \"" << db << "\"\nmin_free_bytes = " << 12 * spillway::testing::mib
        << "\nfree_margin_bytes = " << 4 * spillway::testing::mib << "\n";
    out << "[sinks.kafka]\nbootstrap_servers = \"" << bootstrap << "\"\ntopic = \"x.posts\"\nshutdown_timeout = \"20s\"\n";
    out << "[metrics]\nlisten = \"127.0.0.1:" << metrics_port << "\"\n";
  }
  auto run = start_spillway(dir, dir.str("spillway.toml"));
  const auto metric = [&](const char* name) { return spillway::testing::sample(spillway::testing::scrape(metrics_port), name); };
  // No broker yet: every Post is stored and waits in the outbox.
  REQUIRE(eventually([&] { return metric("spillway_posts_stored_total").value_or(0) >= count; }, 60s, 200ms));
  CHECK(metric("spillway_kafka_outbox_posts").value_or(0) == count);

  // Fill the disk to 8 MiB free: below the 12 MiB mark.
  const auto free_now = spillway::testing::free_bytes(mnt);
  REQUIRE(free_now > 9 * spillway::testing::mib);
  spillway::testing::write_ballast(mnt + "/ballast", free_now - 8 * spillway::testing::mib);
  INFO(log_tail(dir.str("run.log")));
  REQUIRE(eventually([&] { return metric("spillway_disk_low").value_or(0) == 1; }, 10s, 100ms));
  CHECK(metric("spillway_stream_state{connection=\"1\"}").value_or(-1) == 4);  // paused: closed on purpose

  // Now the broker comes up (on the address spillway was given): the outbox drains while the disk stays low.
  const auto port = bootstrap.substr(bootstrap.find(':') + 1);
  child_process mock({bin("spillway-kafka-mock"), "--brokers", "1", "--topic", "x.posts:4", "--port", port}, true);
  REQUIRE(mock.read_line(10s) == bootstrap);
  CHECK(eventually([&] { return metric("spillway_kafka_outbox_posts").value_or(-1) == 0; }, 60s, 200ms));
  CHECK(metric("spillway_kafka_delivered_total").value_or(0) == count);
  CHECK(metric("spillway_disk_low").value_or(0) == 1);  // still low: the drain did not wait for the disk
  CHECK(metric("spillway_stream_state{connection=\"1\"}").value_or(-1) == 4);

  const auto stored = stored_posts(db);
  REQUIRE(stored.size() == static_cast<std::size_t>(count));
  CHECK(stop_spillway(*run) == 0);
  const auto report = check_kafka(bootstrap, stored, since_ms);
  WARN(describe(report));
  CHECK(report.missing == 0);
  CHECK(report.duplicates() == 0);
  CHECK(report.value_mismatch == 0);
  mock.close_stdin();
  CHECK(mock.wait_exit(10s) == 0);
  emu.proc.signal(SIGTERM);
  (void)emu.proc.wait(10s);
}
