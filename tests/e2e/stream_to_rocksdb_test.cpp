// End to end over real sockets: spillway-emu → spillway run → SIGTERM → spillway export equals the
// emulator's --dump byte for byte. Plain HTTP and TLS (the emulator's self-signed CA via stream.ca_file).
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

void write_config(const std::string& path, const std::string& url, const std::string& db, const std::string& ca) {
  std::ofstream out(path);
  out << "[stream]\nbase_url = \"" << url << "\"\n";
  if (!ca.empty()) out << "ca_file = \"" << ca << "\"\n";
  out << "tweet_fields = \"created_at,author_id\"\n";
  out << "[sinks.rocksdb]\npath = \"" << db << "\"\n";
  out << "[metrics]\nenabled = false\n";
}

void stream_and_compare(bool tls, std::uint64_t count) {
  temp_dir dir("spillway-e2e");
  std::vector<std::string> emu_args = {"--count", std::to_string(count), "--dump", dir.str("dump.jsonl"),
                                       "--seed", "2026", "--bearer", "e2e-token"};
  if (tls) {
    emu_args.insert(emu_args.end(), {"--tls", "--cert-out", dir.str("ca.pem")});
  }
  emulator_process emu(dir, emu_args);
  const std::string& url = emu.url;
  CHECK(url.rfind(tls ? "https://" : "http://", 0) == 0);

  write_config(dir.str("spillway.toml"), url, dir.str("db"), tls ? dir.str("ca.pem") : "");
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "e2e-token"}});
  const bool all_stored = eventually([&] { return stored_posts(dir.str("db")) >= count; }, 240s, 500ms);
  INFO("spillway log:\n" << slurp(dir.str("run.log")).substr(0, 4000));
  REQUIRE(all_stored);

  const auto code = run.terminate(30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  REQUIRE(emu.terminate(10s).has_value());

  const auto exported = capture(bin("spillway") + " export --db " + dir.str("db") + " 2>/dev/null");
  const auto dump = slurp(dir.str("dump.jsonl"));
  CHECK(std::count(dump.begin(), dump.end(), '\n') == static_cast<long>(count));
  // Ids increase in send order, so the dump is already sorted by id: compare byte for byte.
  CHECK(exported.size() == dump.size());
  CHECK(exported == dump);
  // The token never reaches the log.
  CHECK(slurp(dir.str("run.log")).find("e2e-token") == std::string::npos);
}

}  // namespace

TEST_CASE("e2e: 100,000 Posts over plain HTTP land byte for byte", "[integration][e2e]") {
  stream_and_compare(false, 100'000);
}

TEST_CASE("e2e: 100,000 Posts over TLS land byte for byte", "[integration][e2e]") {
  stream_and_compare(true, 100'000);
}
