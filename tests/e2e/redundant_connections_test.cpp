// Redundant connections end to end (stream.connections = 2, issue 12 item 1): spillway-emu plays an
// Enterprise app over TLS (--access enterprise: two concurrent streams; --full-copies: each carries every
// Post) while both connections fault independently for a minute — lane 1 and lane 2 of the emulator's
// fault plan take disconnect notices, FIN/RST closes and stalls the client must detect, never both at once.
// Checks: every Post the emulator wrote to either connection is stored exactly once in RocksDB; the copies
// are counted as duplicates per connection; both connections really dropped and came back; and the gap
// ledger recorded no gap (one connection was up throughout).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/post_ids.hpp"
#include "tests/support/scrape.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

// Distinct Post ids in `text` (the dump holds both copies of most Posts).
std::set<std::string> distinct_ids(const std::string& text) {
  const auto ids = post_ids(text);
  return {ids.begin(), ids.end()};
}

// Two independent fault schedules, one per lane (the stream holding it: a reconnect takes the lane its
// predecessor freed). Lane 1 faults at 4 s, 14 s, ...; lane 2 five seconds later: an outage (a stall is
// detected after stall_timeout, then X still counts the stalled socket for a while: 429s) ends well
// before the other lane's next fault.
std::string fault_plan() {
  const char* lane1[] = {R"("action":"disconnect","disconnect_type":"OperationalDisconnect")",
                         R"("action":"stall","duration_ms":2000)", R"("action":"close","mode":"rst")",
                         R"("action":"close","mode":"fin")", R"("action":"stall","duration_ms":2000)",
                         R"("action":"disconnect","disconnect_type":"ForceDisconnect")"};
  const char* lane2[5] = {R"("action":"close","mode":"rst")", R"("action":"disconnect","disconnect_type":"UpstreamOperationalDisconnect")",
                         R"("action":"stall","duration_ms":2000)", R"("action":"close","mode":"end")",
                         R"("action":"disconnect","disconnect_type":"OperationalDisconnect")"};
  std::string json = "[";
  for (int i = 0; i < 6; ++i) {
    if (i > 0) json += ",";
    json += "{\"after_ms\":" + std::to_string(4000 + i * 10000) + ",\"lane\":1," + lane1[i] + "}";
    // Lane 2's sixth would fall at the minute's end, when the test checks both are streaming again.
    if (i < 5) json += ",{\"after_ms\":" + std::to_string(9000 + i * 10000) + ",\"lane\":2," + lane2[i] + "}";
  }
  return json + "]";
}

}  // namespace

TEST_CASE("redundant connections: both under independent faults for a minute, every Post stored once, no gap",
          "[integration][e2e][redundant]") {
  constexpr std::uint64_t rate = 500;
  constexpr std::uint64_t count = rate * 60;  // a minute of Posts
  temp_dir dir{"spillway-redundant"};
  std::ofstream(dir.str("faults.json")) << fault_plan();
  emulator_process emu(dir, {"--tls", "--cert-out", dir.str("ca.pem"), "--access", "enterprise", "--full-copies",
                             "--rate", std::to_string(rate), "--count", std::to_string(count), "--faults",
                             dir.str("faults.json"), "--log", dir.str("connections.jsonl"), "--dump",
                             dir.str("dump.jsonl"), "--seed", "12", "--bearer", "e2e-token", "--heartbeat", "0.2",
                             "--reap-ms", "100", "--limit-connect", "1000"});
  const std::string& url = emu.url;
  const auto port = free_port();
  {
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"" << url << "\"\nca_file = \"" << dir.str("ca.pem")
        << "\"\nbackfill = true\nconnections = 2\n"
        << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n"
        << "[metrics]\nlisten = \"127.0.0.1:" << port << "\"\n"
        << "[reconnect]\nstall_timeout = \"1s\"\nnetwork_step = \"50ms\"\nnetwork_cap = \"1s\"\nhttp_base = \"200ms\"\n"
           "http_cap = \"2s\"\ntoo_many_base = \"100ms\"\njitter = \"none\"\n";
  }
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "e2e-token"}});

  // While the faults play out: the open-gap gauge must stay 0 (sampled every 100 ms).
  double open_gap_seen = 0;
  const bool all_stored = eventually(
      [&] {
        const auto text = http_body(scrape(port));
        open_gap_seen = std::max(open_gap_seen, metric_value(text, "spillway_open_gap_since_unix_ms"));
        return metric_value(text, "spillway_posts_stored_total") >= static_cast<double>(count);
      },
      150s, 100ms);
  INFO("spillway log (tail):\n" << last_bytes(slurp(dir.str("run.log")), 6000));
  CHECK(all_stored);
  // Both back after the last faults; then copies still in flight on the slower connection are dropped.
  CHECK(eventually(
      [&] {
        const auto t = http_body(scrape(port));
        return metric_value(t, "spillway_stream_state{connection=\"1\"}") == 2 && metric_value(t, "spillway_stream_state{connection=\"2\"}") == 2;
      },
      15s, 100ms));
  std::this_thread::sleep_for(500ms);
  const auto text = http_body(scrape(port));

  const auto code = run.terminate(30s);
  CHECK(emu.terminate(10s).has_value());
  REQUIRE(code.has_value());
  CHECK(*code == 0);

  const auto sent = distinct_ids(slurp(dir.str("dump.jsonl")));
  const auto exported = capture(bin("spillway") + " export --db " + dir.str("db") + " 2>/dev/null");
  const auto stored = distinct_ids(exported);
  const auto exported_lines = static_cast<std::size_t>(std::count(exported.begin(), exported.end(), '\n'));
  std::size_t missing = 0;
  for (const auto& id : sent) missing += stored.count(id) == 0;

  const auto per = [&](const std::string& name, int connection) {
    return metric_value(text, name + "{connection=\"" + std::to_string(connection) + "\"}");
  };
  double ends[3] = {0, 0, 0};
  for (int c = 1; c <= 2; ++c) {
    std::istringstream in(text);
    std::string line;
    const std::string prefix = "spillway_stream_session_ends_total{connection=\"" + std::to_string(c) + "\"";
    while (std::getline(in, line)) {
      if (line.rfind(prefix, 0) == 0) ends[c] += std::stod(line.substr(line.rfind(' ') + 1));
    }
  }
  const double dup1 = per("spillway_duplicates_dropped_total", 1), dup2 = per("spillway_duplicates_dropped_total", 2);
  std::cout << "redundant connections (1 min, rate " << rate << "): " << sent.size() << " distinct Posts sent, "
            << stored.size() << " stored (" << exported_lines << " lines exported), " << missing << " missing; "
            << "received " << per("spillway_posts_received_total", 1) << " / " << per("spillway_posts_received_total", 2)
            << ", duplicates dropped " << dup1 << " / " << dup2 << ", session ends " << ends[1] << " / " << ends[2]
            << ", gaps closed " << metric_value(text, "spillway_stream_gaps_total") << ", open-gap gauge max "
            << open_gap_seen << "\n";
  CHECK(sent.size() == count);
  CHECK(missing == 0);
  CHECK(stored.size() == sent.size());
  CHECK(exported_lines == stored.size());  // no Post stored twice
  // Both connections carried copies, and every copy beyond the first was dropped by id.
  CHECK(per("spillway_posts_received_total", 1) > count / 2);
  CHECK(per("spillway_posts_received_total", 2) > count / 2);
  CHECK(dup1 + dup2 == per("spillway_posts_received_total", 1) + per("spillway_posts_received_total", 2) -
                           metric_value(text, "spillway_posts_stored_total"));
  CHECK(dup1 + dup2 > count / 2);
  // Each connection dropped under its lane's faults (6 and 5) and came back.
  CHECK(ends[1] >= 5);
  CHECK(ends[2] >= 5);
  // No gap while one connection was up: none closed, none open at any sample.
  CHECK(metric_value(text, "spillway_stream_gaps_total") == 0);
  CHECK(open_gap_seen == 0);
  CHECK(metric_value(text, "spillway_backfill_requests_total") == 0);
}

TEST_CASE("redundant connections below Enterprise: the second is refused with the fix, the first streams everything",
          "[integration][e2e][redundant]") {
  constexpr std::uint64_t count = 3000;
  temp_dir dir{"spillway-redundant-pro"};
  emulator_process emu(dir, {"--tls", "--cert-out", dir.str("ca.pem"), "--access", "pro", "--rate", "500", "--count",
                             std::to_string(count), "--seed", "13", "--bearer", "e2e-token", "--heartbeat", "0.2",
                             "--limit-connect", "1000"});
  const std::string& url = emu.url;
  const auto port = free_port();
  {
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"" << url << "\"\nca_file = \"" << dir.str("ca.pem") << "\"\nconnections = 2\n"
        << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n[metrics]\nlisten = \"127.0.0.1:" << port << "\"\n"
        << "[reconnect]\ntoo_many_base = \"100ms\"\njitter = \"none\"\n";
  }
  // `config check` says what two connections need before anything runs.
  const auto check = capture(bin("spillway") + " config check " + dir.str("spillway.toml") + " 2>&1");
  CHECK(check.find("connections: 2 redundant (Enterprise access only") != std::string::npos);
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "e2e-token"}});
  const bool all_stored = eventually([&] { return stored_posts(dir.str("db")) >= count; }, 60s, 200ms);
  const auto hint = "set stream.connections = 1 unless this app is on Enterprise";
  CHECK(eventually([&] { return slurp(dir.str("run.log")).find(hint) != std::string::npos; }, 20s, 100ms));
  INFO("spillway log (tail):\n" << last_bytes(slurp(dir.str("run.log")), 4000));
  CHECK(all_stored);
  const auto text = http_body(scrape(port));
  const double refused = metric_value(text, R"(spillway_stream_session_ends_total{connection="1",reason="too_many_connections"})") +
                         metric_value(text, R"(spillway_stream_session_ends_total{connection="2",reason="too_many_connections"})");
  const double streaming = (metric_value(text, R"(spillway_stream_state{connection="1"})") == 2) +
                           (metric_value(text, R"(spillway_stream_state{connection="2"})") == 2);
  std::cout << "redundant connections on Pro: " << refused << " refusals (429 TooManyConnections) of the second\n";
  CHECK(refused >= 2);
  CHECK(streaming == 1);
  CHECK(http_status(scrape(port, "/readyz")) == 200);  // one connection streaming is ready
  CHECK(metric_value(text, "spillway_stream_gaps_total") == 0);
  const auto code = run.terminate(30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(emu.terminate(10s).has_value());
}
