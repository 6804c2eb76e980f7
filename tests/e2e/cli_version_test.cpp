// The `spillway` binary says what it is and what a config will do: `--version` (git describe at build
// time, build type, library versions), the summary at the end of `config check`, and `config example`.
#include <catch2/catch.hpp>

#include <boost/version.hpp>
#include <librdkafka/rdkafka.h>
#include <openssl/opensslv.h>
#include <rocksdb/version.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {
cli_result run_spillway(const temp_dir& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv{bin("spillway")};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_end(argv, dir.str("out.log"), {}, 60s);
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// `git ...` in the source tree; nullopt when it fails (not a checkout, or no git).
std::optional<std::string> git(const temp_dir& dir, const std::vector<std::string>& args) {
  if (!std::filesystem::exists("/usr/bin/git")) return std::nullopt;
  std::vector<std::string> argv{"/usr/bin/git", "-C", SPILLWAY_SOURCE_DIR};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto r = run_to_end(argv, dir.str("git.log"), {}, 30s);
  if (r.code != 0) return std::nullopt;
  return trim_end(r.out);
}

std::string version_of(long packed) {  // major * 100000 + minor * 100 + patch (Boost)
  return std::to_string(packed / 100000) + "." + std::to_string(packed / 100 % 1000) + "." + std::to_string(packed % 100);
}
}  // namespace

TEST_CASE("cli: --version names the build and the libraries in use", "[integration][cli][version]") {
  temp_dir dir;
  const auto r = run_spillway(dir, {"--version"});
  INFO(r.out);
  REQUIRE(r.code == 0);
  const std::string first_line = r.out.substr(0, r.out.find('\n'));
  REQUIRE(first_line.starts_with("spillway "));
  const std::string version = first_line.substr(9);
  if (const auto head = git(dir, {"rev-parse", "HEAD"})) {
    if (const auto tag = git(dir, {"describe", "--tags", "--exact-match", "HEAD"})) {
      CHECK(version.starts_with(*tag));
    } else {
      CHECK(contains(version, "g" + head->substr(0, 7)));  // describe's abbreviated commit
      // With no tag at all, the project version stands in front of it.
      if (!git(dir, {"describe", "--tags"})) CHECK(version.starts_with(SPILLWAY_EXPECTED_PROJECT_VERSION "-g"));
    }
  } else {
    CHECK(version == SPILLWAY_EXPECTED_PROJECT_VERSION);
  }
  CHECK(contains(r.out, "\nbuild type: " SPILLWAY_EXPECTED_BUILD_TYPE "\n"));
  CHECK(contains(r.out, "\nBoost: " + version_of(BOOST_VERSION) + "\n"));
  CHECK(contains(r.out, "\nOpenSSL: OpenSSL " OPENSSL_VERSION_STR " "));
  CHECK(contains(r.out, "\nRocksDB: " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "." +
                            std::to_string(ROCKSDB_PATCH) + "\n"));
  // WAL checksums: Spillway's SSE4.2 CRC32C in place of librocksdb's table loop (sinks/rocksdb/crc32c_hw.hpp).
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2")) CHECK(contains(r.out, "\nRocksDB CRC32C: SSE4.2 (Spillway's, in place of"));
#endif
  CHECK(contains(r.out, "\nRocksDB CRC32C: "));
  // RD_KAFKA_VERSION is 0xMMmmrrxx.
  CHECK(contains(r.out, "\nlibrdkafka: " + std::to_string(RD_KAFKA_VERSION >> 24 & 0xff) + "." +
                            std::to_string(RD_KAFKA_VERSION >> 16 & 0xff) + "." + std::to_string(RD_KAFKA_VERSION >> 8 & 0xff)));
  CHECK(contains(r.out, "\nsimdjson: 3."));
  CHECK(contains(r.out, "\ncompiler: "));
}

TEST_CASE("cli: config check ends with what the config will do", "[integration][cli][summary]") {
  temp_dir dir;
  std::ofstream(dir.str("c.toml")) << "[stream]\ntweet_fields = \"created_at,lang\"\n"
                                      "[auth]\nbearer_token_file = \"" << dir.str("token") << "\"\n"
                                      "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n"
                                      "[sinks.kafka]\nbootstrap_servers = \"127.0.0.1:9092\"\ntopic = \"posts\"\n";
  std::ofstream(dir.str("token")) << "token-file-secret-value\n";
  const auto r = run_spillway(dir, {"config", "check", dir.str("c.toml")});
  INFO(r.out);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "#   stream:  https://api.x.com/2/tweets/search/stream?tweet.fields=created_at,lang\n"));
  CHECK(contains(r.out, "#   token:   the file " + dir.str("token") + " (auth.bearer_token_file)\n"));
  CHECK(contains(r.out, "#   sinks:   RocksDB + Kafka\n"));
  CHECK(contains(r.out, "#   RocksDB: " + dir.str("db") + "\n"));
  CHECK(contains(r.out, "#   Kafka:   brokers 127.0.0.1:9092, topic posts\n"));
  CHECK_FALSE(contains(r.out, "token-file-secret-value"));
}

TEST_CASE("cli: config example prints a commented config that config check accepts", "[integration][cli][example]") {
  temp_dir dir;
  const auto example = run_spillway(dir, {"config", "example"});
  REQUIRE(example.code == 0);
  CHECK(example.out.starts_with("# Every Spillway option"));
  std::ofstream(dir.str("example.toml")) << example.out;
  const auto check = run_spillway(dir, {"config", "check", dir.str("example.toml")});
  INFO(check.out);
  CHECK(check.code == 0);
  CHECK(contains(check.out, "#   sinks:   RocksDB only\n"));
}
