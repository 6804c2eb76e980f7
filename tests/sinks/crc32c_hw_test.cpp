// sinks/rocksdb/crc32c_hw: Spillway's CRC32C takes the place of librocksdb's, gives exactly librocksdb's
// checksums, and a database whose WAL it wrote reads back whole.
#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sinks/rocksdb/crc32c_hw.hpp"
#include "sinks/rocksdb/store.hpp"
#include "tests/support/temp_dir.hpp"

using spillway::sinks::commit_batch;
using spillway::sinks::crc32c_in_use;
using spillway::sinks::librocksdb_crc32c;
using spillway::sinks::open_mode;
using spillway::sinks::store;

TEST_CASE("crc32c: librocksdb's calls resolve to Spillway's SSE4.2 function on x86-64", "[crc32c]") {
  const auto in_use = crc32c_in_use();
  INFO(in_use.name);
#if defined(__x86_64__)
  // What librocksdb's PLT binds to is the first definition in the global scope: ours, in this executable.
  CHECK(in_use.interposed);
  CHECK(dlsym(RTLD_DEFAULT, "_ZN7rocksdb6crc32c6ExtendEjPKcm") != reinterpret_cast<void*>(librocksdb_crc32c()));
  if (__builtin_cpu_supports("sse4.2")) {
    CHECK(in_use.hardware);
    CHECK(std::string(in_use.name).starts_with("SSE4.2"));
  }
#else
  CHECK_FALSE(in_use.interposed);
#endif
}

TEST_CASE("crc32c: the same checksum as librocksdb's own for every length, offset and seed", "[crc32c]") {
  const auto library = librocksdb_crc32c();
  REQUIRE(library != nullptr);  // librocksdb is linked dynamically
  REQUIRE(library != &rocksdb::crc32c::Extend);
  // RFC 3720 B.4's check value, and the iSCSI test vector of 32 zero bytes.
  CHECK(rocksdb::crc32c::Extend(0, "123456789", 9) == 0xE3069283u);
  const std::string zeros(32, '\0');
  CHECK(rocksdb::crc32c::Extend(0, zeros.data(), zeros.size()) == 0x8A9136AAu);

  std::mt19937_64 random(20261202);
  std::vector<char> bytes(70000);
  for (auto& b : bytes) b = static_cast<char>(random());
  std::size_t compared = 0;
  for (int round = 0; round < 3000; ++round) {
    // Every short length; then around one and two three-lane stripes (768 bytes: crc32c_hw.cpp); then any.
    const std::size_t length = round < 200   ? static_cast<std::size_t>(round)
                               : round < 220 ? static_cast<std::size_t>(760 + round - 200)
                               : round < 240 ? static_cast<std::size_t>(1530 + round - 220)
                                             : random() % 66000;
    const std::size_t offset = random() % 16;
    const auto seed = static_cast<std::uint32_t>(random());
    const auto ours = rocksdb::crc32c::Extend(seed, bytes.data() + offset, length);
    const auto theirs = library(seed, bytes.data() + offset, length);
    if (ours != theirs) {
      FAIL("length " << length << ", offset " << offset << ", seed " << seed << ": " << ours << " != " << theirs);
    }
    ++compared;
  }
  CHECK(compared == 3000);
  // Extending in pieces is extending at once (RocksDB checksums a WAL record's header, then its payload).
  const auto whole = rocksdb::crc32c::Extend(0, bytes.data(), 5000);
  CHECK(rocksdb::crc32c::Extend(rocksdb::crc32c::Extend(0, bytes.data(), 1234), bytes.data() + 1234, 3766) == whole);
}

TEST_CASE("crc32c: a database written and reopened (the WAL replayed) keeps every Post", "[crc32c]") {
  spillway::testing::temp_dir dir;
  const std::string path = dir.str("db");
  std::vector<std::string> lines;
  for (int i = 0; i < 2000; ++i) lines.push_back("{\"data\":{\"id\":\"" + std::to_string(1000 + i) + "\",\"text\":\"" +
                                                 std::string(static_cast<std::size_t>(i % 700), 'x') + "\"}}");
  {
    store db(path, open_mode::read_write);
    commit_batch batch(db);
    for (int i = 0; i < 2000; ++i) {
      batch.put_post(static_cast<std::uint64_t>(1000 + i), lines[static_cast<std::size_t>(i)]);
      if (i % 100 == 99) {
        REQUIRE(db.commit(batch, false).has_value());
        batch.clear();
      }
    }
  }  // closed without a flush of the memtable: reopening replays the WAL, checking every record's CRC32C
  store db(path, open_mode::read_only);
  std::size_t found = 0;
  for (auto c = db.posts(); c.valid(); c.next()) {
    REQUIRE(c.id() == static_cast<std::uint64_t>(1000 + found));
    REQUIRE(c.line() == lines[found]);
    ++found;
  }
  CHECK(found == lines.size());
}
