// The overload spool on its own: records come back in the order appended, byte for byte; only released
// chunks count as drained; a torn tail is cut at open; a full spool refuses until drained and restarted.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/metrics.hpp"
#include "common/spool.hpp"
#include "common/spool_format.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;
using common::spool;

namespace {

constexpr std::size_t max_line = 4096;

std::unique_ptr<spool> open_spool(const std::filesystem::path& p, common::metrics_registry& m,
                                  std::uint64_t max_bytes = 1 << 30) {
  auto s = spool::open(p, max_bytes, max_line, m);
  REQUIRE(s.has_value());
  return std::move(*s);
}

std::string line_no(std::size_t i) { return R"({"data":{"id":")" + std::to_string(1000 + i) + R"("}})" + std::string(i % 97, 'x'); }

struct drained_line {
  std::string bytes;
  common::stream_item::kind kind;
  std::int64_t received_ms;
};

// Pops and releases until the spool reports nothing (the pipeline's loop, without RocksDB).
std::vector<drained_line> drain_all(spool& s) {
  std::vector<drained_line> out;
  std::vector<common::stream_item> items(50);
  for (;;) {
    std::size_t total = 0;
    for (std::size_t n; (n = s.pop_batch(items)) != 0; total += n) {
      for (std::size_t i = 0; i < n; ++i) out.push_back({std::string(items[i].bytes(), items[i].length), items[i].what, items[i].received_ms});
    }
    if (total == 0) return out;
    s.release();
  }
}

std::int64_t metric(common::metrics_registry& m, std::string_view name) { return m.counter(std::string(name), "").get(); }
std::int64_t gauge(common::metrics_registry& m, std::string_view name) { return m.gauge(std::string(name), "").get(); }

}  // namespace

TEST_CASE("spool: lines come back in order, byte for byte, and count as drained only once released", "[spool]") {
  testing::temp_dir dir;
  common::metrics_registry m;
  auto s = open_spool(dir.path() / "s", m);
  CHECK(s->drained());
  for (std::size_t i = 0; i < 20000; ++i) {
    const auto kind = i % 1000 == 999 ? common::stream_item::kind::truncated : common::stream_item::kind::line;
    REQUIRE(s->append(line_no(i), kind, std::int64_t(i)) == spool::append_result::ok);
  }
  CHECK_FALSE(s->drained());  // staged, not yet written
  REQUIRE(s->flush());
  REQUIRE(s->wait_written());  // the spool's writer thread has written them
  CHECK(metric(m, "spillway_spool_lines_spooled_total") == 20000);
  CHECK(gauge(m, "spillway_spool_bytes") > 0);

  // Handed out but not released: not drained (the pipeline has not committed them).
  std::vector<common::stream_item> items(10);
  REQUIRE(s->pop_batch(items) == 10);
  CHECK(std::string(items[3].bytes(), items[3].length) == line_no(3));
  s->release();  // the chunk is not all handed out yet: no effect
  CHECK_FALSE(s->drained());
  const auto rest = drain_all(*s);
  REQUIRE(rest.size() == 20000 - 10);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const auto n = i + 10;
    const auto kind = n % 1000 == 999 ? common::stream_item::kind::truncated : common::stream_item::kind::line;
    wrong += rest[i].bytes != line_no(n) || rest[i].kind != kind || rest[i].received_ms != std::int64_t(n);
  }
  CHECK(wrong == 0);
  CHECK(s->drained());
  CHECK(metric(m, "spillway_spool_lines_drained_total") == 20000);
  CHECK(gauge(m, "spillway_spool_bytes") == 0);
  CHECK(gauge(m, "spillway_spool_oldest_age_milliseconds") == 0);

  // A new episode starts the file afresh; offsets stay consistent across the restart.
  s->restart();
  CHECK(std::filesystem::file_size(dir.path() / "s") == 0);
  REQUIRE(s->append("again", common::stream_item::kind::line, 7) == spool::append_result::ok);
  REQUIRE(s->flush());
  REQUIRE(s->wait_written());  // the spool's writer thread has written them
  const auto again = drain_all(*s);
  REQUIRE(again.size() == 1);
  CHECK(again[0].bytes == "again");
}

TEST_CASE("spool: reopened after a crash, whole records are kept and a torn tail is cut off", "[spool]") {
  testing::temp_dir dir;
  const auto path = dir.path() / "s";
  std::uintmax_t whole_size = 0;
  {
    common::metrics_registry m;
    auto s = open_spool(path, m);
    for (std::size_t i = 0; i < 300; ++i) REQUIRE(s->append(line_no(i), common::stream_item::kind::line, 5000 + std::int64_t(i)) == spool::append_result::ok);
    REQUIRE(s->flush());
    REQUIRE(s->wait_written());  // the spool's writer thread has written them
    // 100 drained and released before the "crash": still in the file (only a drained spool is emptied), so
    // they come back and the pipeline's dedup drops them.
    std::vector<common::stream_item> items(100);
    REQUIRE(s->pop_batch(items) == 100);
    whole_size = std::filesystem::file_size(path);
  }
  SECTION("a record cut in its bytes") {
    std::string rec(common::spool_format::record_bytes(40), '\0');
    common::spool_format::encode(rec.data(), std::string(40, 'z'), 0, 9999);
    std::ofstream(path, std::ios::app | std::ios::binary).write(rec.data(), 30);
  }
  SECTION("a record cut in its header") {
    std::ofstream(path, std::ios::app | std::ios::binary).write("\x28\0\0\0\0SP", 7);
  }
  SECTION("garbage after the last record") {
    std::ofstream(path, std::ios::app | std::ios::binary) << std::string(5000, '\xff');
  }
  const auto torn_size = std::filesystem::file_size(path);
  REQUIRE(torn_size > whole_size);
  common::metrics_registry m;
  auto s = open_spool(path, m);
  CHECK(s->recovery().records == 300);
  CHECK(s->recovery().bytes == whole_size);
  CHECK(s->recovery().torn_bytes == torn_size - whole_size);
  CHECK(std::filesystem::file_size(path) == whole_size);
  REQUIRE(s->recovery().last_received_ms.has_value());
  CHECK(*s->recovery().last_received_ms == 5299);  // the last whole line: the gap ledger's start
  CHECK_FALSE(s->drained());                      // recovered lines go first
  const auto lines = drain_all(*s);
  REQUIRE(lines.size() == 300);
  CHECK(lines.front().bytes == line_no(0));
  CHECK(lines.back().bytes == line_no(299));
  // Appends after recovery follow the recovered records.
  REQUIRE(s->append("next", common::stream_item::kind::line, 1) == spool::append_result::ok);
  REQUIRE(s->flush());
  REQUIRE(s->wait_written());  // the spool's writer thread has written them
  CHECK(drain_all(*s).at(0).bytes == "next");
}

TEST_CASE("spool: a missing or empty file recovers nothing", "[spool]") {
  testing::temp_dir dir;
  common::metrics_registry m;
  auto s = open_spool(dir.path() / "new", m);
  CHECK(s->recovery().records == 0);
  CHECK(s->recovery().torn_bytes == 0);
  CHECK_FALSE(s->recovery().last_received_ms.has_value());
  CHECK(s->drained());
  CHECK(drain_all(*s).empty());
  CHECK_FALSE(spool::open(dir.path() / "no" / "such" / "dir", 1 << 20, max_line, m).has_value());
}

TEST_CASE("spool: full at spool_max_bytes until drained and restarted", "[spool]") {
  testing::temp_dir dir;
  common::metrics_registry m;
  const std::string line(1000, 'a');
  const auto rec = common::spool_format::record_bytes(line.size());
  auto s = open_spool(dir.path() / "s", m, rec * 10);
  for (int i = 0; i < 10; ++i) REQUIRE(s->append(line, common::stream_item::kind::line, i) == spool::append_result::ok);
  CHECK(s->append(line, common::stream_item::kind::line, 10) == spool::append_result::full);
  REQUIRE(s->flush());
  REQUIRE(s->wait_written());  // the spool's writer thread has written them
  CHECK(s->append(line, common::stream_item::kind::line, 10) == spool::append_result::full);  // written, not drained
  CHECK(drain_all(*s).size() == 10);
  CHECK(s->append(line, common::stream_item::kind::line, 10) == spool::append_result::full);  // the file still holds them
  REQUIRE(s->drained());
  s->restart();
  CHECK(s->append(line, common::stream_item::kind::line, 10) == spool::append_result::ok);
}

TEST_CASE("spool: a writer and a drainer on two threads see every line once, in order", "[spool]") {
  testing::temp_dir dir;
  common::metrics_registry m;
  auto s = open_spool(dir.path() / "s", m, 256 * 1024);  // small: the writer restarts the file many times
  constexpr std::size_t total = 200000;
  std::atomic<bool> done{false};
  std::vector<std::string> got;
  got.reserve(total);
  std::thread drainer([&] {
    std::vector<common::stream_item> items(64);
    for (int idle = 0; idle < 100000;) {
      std::size_t n_total = 0;
      for (std::size_t n; (n = s->pop_batch(items)) != 0; n_total += n) {
        for (std::size_t i = 0; i < n; ++i) got.emplace_back(items[i].bytes(), items[i].length);
      }
      if (n_total != 0) {
        s->release();
        idle = 0;
      } else if (done.load()) {
        ++idle;
        std::this_thread::yield();
      } else {
        std::this_thread::yield();
      }
      if (done.load() && got.size() == total) break;
    }
  });
  for (std::size_t i = 0; i < total; ++i) {
    for (int tries = 0;; ++tries) {
      const auto r = s->append(line_no(i), common::stream_item::kind::line, std::int64_t(i));
      if (r == spool::append_result::ok) break;
      REQUIRE(r == spool::append_result::full);
      REQUIRE(tries < 10000000);
      (void)s->flush();
      if (s->drained()) s->restart();
      std::this_thread::yield();
    }
    if (i % 100 == 99) REQUIRE(s->flush());
  }
  REQUIRE(s->flush());
  REQUIRE(s->wait_written());
  done.store(true);
  drainer.join();
  REQUIRE(got.size() == total);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < total; ++i) wrong += got[i] != line_no(i);
  CHECK(wrong == 0);
}

namespace {
// Caps the size of any file this process writes (RLIMIT_FSIZE) while it lives; writes past the cap fail with
// EFBIG instead of raising SIGXFSZ. A full disk, without mounting one.
struct file_size_cap {
  rlimit saved{};
  explicit file_size_cap(rlim_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved) == 0);
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit capped = saved;
    capped.rlim_cur = bytes;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &capped) == 0);
  }
  ~file_size_cap() { lift(); }
  void lift() { (void)::setrlimit(RLIMIT_FSIZE, &saved); }
};
}  // namespace

TEST_CASE("spool: when writes fail the lines wait in memory, and a retry once there is room loses none",
          "[spool]") {
  testing::temp_dir dir;
  common::metrics_registry m;
  auto s = open_spool(dir.path() / "s", m);
  file_size_cap cap(64 * 1024);
  std::size_t appended = 0;
  // The writer fails at 64 KiB; the reader goes on staging (it never waits on the file) until every slot
  // is full, and only then hears of the failure.
  for (;; ++appended) {
    const auto r = s->append(line_no(appended), common::stream_item::kind::line, std::int64_t(appended));
    if (r == spool::append_result::io_error) break;
    REQUIRE(r == spool::append_result::ok);
    if (appended % 1000 == 999) (void)s->flush();
    REQUIRE(appended < 10'000'000);
  }
  CHECK(appended * 100 > spool::staging_bytes);  // the slots held megabytes the file could not take
  CHECK(s->last_errno() == EFBIG);
  CHECK_FALSE(s->wait_written());
  CHECK(std::filesystem::file_size(dir.path() / "s") <= 64 * 1024);  // cut back to whole records
  CHECK_FALSE(s->drained());

  cap.lift();  // room again
  CHECK_FALSE(s->flush());  // reports the failure and asks the writer to try again
  REQUIRE(s->wait_written());
  // The line refused above goes in now, then the rest.
  REQUIRE(s->append(line_no(appended), common::stream_item::kind::line, std::int64_t(appended)) == spool::append_result::ok);
  REQUIRE(s->flush());
  REQUIRE(s->wait_written());
  const auto lines = drain_all(*s);
  REQUIRE(lines.size() == appended + 1);
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) wrong += lines[i].bytes != line_no(i);
  CHECK(wrong == 0);
  CHECK(s->drained());
}
