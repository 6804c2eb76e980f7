// Through the binary: `kill -9` of `spillway run` at a random point, three times in a row, restarting it
// each time while the emulator keeps streaming. Afterwards every Post in RocksDB is in Kafka. Duplicates
// may only be Posts that were in the outbox (stored, delivery not yet recorded) at a kill: each one is
// checked against the outbox contents read right after each kill, and they are counted.
#include <cstdlib>
#include <random>
#include <map>
#include <set>

#include "sinks/rocksdb/store.hpp"
#include "tests/kafka/run_test_support.hpp"

using namespace spillway::test;
using namespace spillway::test::run;

namespace {

// The ids in the outbox column family of a stopped service's database.
std::set<std::uint64_t> outbox_ids(const std::string& db_path) {
  const spillway::sinks::store db(db_path, spillway::sinks::open_mode::read_only);
  std::set<std::uint64_t> ids;
  for (auto entry = db.outbox(); entry.valid(); entry.next()) ids.insert(entry.id());
  return ids;
}

}  // namespace

TEST_CASE("kafka run: kill -9 three times, every stored Post reaches Kafka", "[integration][kafka][run]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  constexpr int rate = 5000;  // Posts/s from the emulator, which stays up across the kills
  constexpr int kills = 3;
  // SPILLWAY_CRASH_SEED replays a failing run.
  const char* env_seed = std::getenv("SPILLWAY_CRASH_SEED");
  const std::uint64_t seed = env_seed != nullptr ? std::strtoull(env_seed, nullptr, 10) : std::random_device{}();
  WARN("crash test seed " << seed << " (rerun with SPILLWAY_CRASH_SEED=" << seed << ")");
  std::mt19937_64 rng(seed);
  // The kill lands between 0 and 2.5 s after the restarted service stored its first new Posts.
  std::uniform_int_distribution<int> delay_ms(0, 2500);

  temp_dir dir("spillway-kafka-crash");
  mock_broker broker(1, {"x.posts:64"});
  // No concurrent-stream limit: like X, the emulator may still count a killed client's stream for a while
  // and answer the restart with 429 TooManyConnections (then spillway backs off for a minute); that path
  // is the reconnect tests' business, this one is about what reached RocksDB.
  emulator emu(dir, {"--count", "0", "--rate", std::to_string(rate), "--seed", "7", "--max-connections", "0"});
  const auto since_ms = unix_ms();
  const auto config = write_config(dir, emu.url, broker.bootstrap());
  const auto db = dir.str("db");

  // id → at how many kills it was in the outbox: each such kill may add one copy in Kafka.
  std::map<std::uint64_t, std::size_t> in_outbox_at_kills;
  std::size_t in_flight_total = 0;
  std::uint64_t stored_before = 0;
  for (int k = 0; k < kills; ++k) {
    const auto log = "run" + std::to_string(k) + ".log";
    auto run = start_spillway(dir, config, log);
    if (!eventually([&] {
          const auto s = stats(db);
          return s && s->posts > stored_before;
        }, 30s, 100ms)) {
      FAIL("run " << k << " stored nothing new in 30 s; spillway log:\n"
                  << log_tail(dir.str(log)) << "\nemulator log:\n" << log_tail(dir.str("emu.log")));
    }
    const int wait_ms = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
    run->signal(SIGKILL);
    REQUIRE(run->wait(10s) == 128 + SIGKILL);
    const auto after = stats(db);
    REQUIRE(after.has_value());
    const auto ids = outbox_ids(db);
    CHECK(ids.size() == after->outbox);
    for (auto id : ids) ++in_outbox_at_kills[id];
    in_flight_total += ids.size();
    WARN("kill " << k + 1 << " after " << wait_ms << " ms: " << after->posts << " Posts stored, " << ids.size()
                 << " in the outbox (stored, delivery not recorded)");
    stored_before = after->posts;
  }

  // A last, clean run: the outbox left by the kills is produced again; then the stream ends and it drains.
  auto run = start_spillway(dir, config, "run-final.log");
  if (!eventually([&] {
        const auto s = stats(db);
        return s && s->posts > stored_before + rate;
      }, 30s, 200ms)) {
    FAIL("the final run stored too little in 30 s; spillway log:\n"
         << log_tail(dir.str("run-final.log")) << "\nemulator log:\n" << log_tail(dir.str("emu.log")));
  }
  emu.proc.signal(SIGTERM);
  REQUIRE(emu.proc.wait(20s).has_value());
  REQUIRE(outbox_drains(db, 120s));
  CHECK(stop_spillway(*run) == 0);

  const auto stored = stored_posts(db);
  const auto report = check_kafka(broker.bootstrap(), stored, since_ms);
  std::size_t unexplained = 0;  // copies beyond what the kills can explain
  for (const auto& [id, extra] : report.duplicated) {
    const auto it = in_outbox_at_kills.find(id);
    const std::size_t allowed = it == in_outbox_at_kills.end() ? 0 : it->second;
    if (extra > allowed) unexplained += extra - allowed;
  }
  WARN("stored " << stored.size() << "; " << describe(report) << "; in the outbox at the kills: "
                 << in_flight_total << " (" << in_outbox_at_kills.size() << " distinct); duplicates not explained by a kill: "
                 << unexplained);
  CHECK(report.missing == 0);
  CHECK(report.phantom == 0);
  CHECK(report.value_mismatch == 0);
  CHECK(report.header_mismatch == 0);
  // Each kill re-produces what its outbox held once: a Post gets at most one extra copy per kill that
  // found it in the outbox, and no other Post is duplicated.
  CHECK(unexplained == 0);
  CHECK(report.duplicates() <= in_flight_total);
}
