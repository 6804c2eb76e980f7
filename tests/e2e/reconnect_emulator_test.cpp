// The reconnect supervisor against spillway-emu over real sockets: each fault class gives the right
// next-attempt delay (measured from the emulator's --log), fatal answers exit 3 with the message, an
// operational-disconnect reconnects at once, a stall is detected within the stall timeout; and a bounded
// chaos soak with backfill stores every Post the emulator sent exactly once without earning a 429.
// Small durations in the test config ([reconnect] ... jitter = "none") make the delays exact; the bounds
// leave room for a busy 2-core machine.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/post_ids.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

// One line of the emulator's --log for a stream connect (other calls, e.g. GET /2/usage/tweets after a
// UsageCapExceeded refusal, are not attempts).
struct attempt {
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  int status = 0;
  std::string outcome;
  std::string query;
  std::uint64_t posts = 0;
  std::uint64_t backfilled = 0;
  std::string ended;  // how the emulator saw it end (which fault, client close, ...)
};

std::vector<attempt> read_attempts(const std::string& path) {
  static const std::regex re(
      R"re("time_ms":(\d+),"end_ms":(\d+),"path":"/2/tweets/search/stream","query":"([^"]*)","status":(\d+),"outcome":"([^"]*)","posts_sent":(\d+),"backfilled":(\d+),(?:"posts_lost":\d+,)?"ended":"([^"]*)")re");
  std::vector<attempt> out;
  std::istringstream in(slurp(path));
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (!std::regex_search(line, m, re)) continue;
    out.push_back({std::stoll(m[1]), std::stoll(m[2]), std::stoi(m[4]), m[5], m[3], std::stoull(m[6]), std::stoull(m[7]), m[8]});
  }
  std::sort(out.begin(), out.end(), [](const attempt& a, const attempt& b) { return a.start_ms < b.start_ms; });
  return out;
}

std::int64_t now_unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

const char* const fast_reconnect =
    "[reconnect]\nstall_timeout = \"500ms\"\nnetwork_step = \"50ms\"\nnetwork_cap = \"1s\"\nhttp_base = \"200ms\"\n"
    "http_cap = \"2s\"\nrate_limit_base = \"300ms\"\ntoo_many_base = \"150ms\"\njitter = \"none\"\nalert_after = 3\n";

// spillway-emu + `spillway run` in a temp dir; both ended by pid (SIGTERM, SIGKILL at scope exit).
class rig {
 public:
  rig(const std::string& faults_json, std::vector<std::string> emu_extra, const std::string& reconnect_toml,
      bool backfill) {
    std::vector<std::string> args = {"--log", dir.str("connections.jsonl"), "--dump", dir.str("dump.jsonl"),
                                     "--seed", "4", "--bearer", "e2e-token", "--heartbeat", "0.1"};
    if (!faults_json.empty()) {
      std::ofstream(dir.str("faults.json")) << faults_json;
      args.insert(args.end(), {"--faults", dir.str("faults.json")});
    }
    args.insert(args.end(), emu_extra.begin(), emu_extra.end());
    emu = std::make_unique<emulator_process>(dir, args);
    const std::string& url = emu->url;
    ready_ms = now_unix_ms();
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"" << url << "\"\nbackfill = " << (backfill ? "true" : "false") << "\n";
    cfg << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n[metrics]\nenabled = false\n" << reconnect_toml;
    cfg.close();
    run = std::make_unique<child_process>(std::vector<std::string>{bin("spillway"), "run", "--config", dir.str("spillway.toml")},
                                          dir.str("run.log"), std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", "e2e-token"}});
  }

  std::vector<attempt> attempts() const { return read_attempts(dir.str("connections.jsonl")); }
  bool wait_attempts(std::size_t n, std::chrono::milliseconds timeout) const {
    return eventually([&] { return attempts().size() >= n; }, timeout, 20ms);
  }
  std::string run_log() const { return slurp(dir.str("run.log")); }

  // SIGTERM to spillway (exit code returned), then to the emulator.
  int stop() {
    run->signal(SIGTERM);
    const auto code = run->wait(30s);
    emu->signal(SIGTERM);
    CHECK(emu->wait(10s).has_value());
    REQUIRE(code.has_value());
    return *code;
  }

  temp_dir dir{"spillway-reconnect"};
  std::unique_ptr<emulator_process> emu;
  std::unique_ptr<child_process> run;
  std::int64_t ready_ms = 0;
};

// The waits between consecutive attempts: next start − previous end (the emulator's clock for both).
std::vector<std::int64_t> gaps_between(const std::vector<attempt>& a) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 1; i < a.size(); ++i) out.push_back(a[i].start_ms - a[i - 1].end_ms);
  return out;
}

// The emulator ends its side after the response; the client starts its timer when it has read it,
// which can be a little before: allow 60 ms early and 300 ms late (a loaded 2-core machine).
void check_delays(const std::vector<std::int64_t>& measured, const std::vector<std::int64_t>& expected) {
  REQUIRE(measured.size() >= expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO("attempt " << i + 1 << ": waited " << measured[i] << " ms, expected " << expected[i] << " ms");
    CHECK(measured[i] >= expected[i] - 60);
    CHECK(measured[i] <= expected[i] + 300);
  }
  std::cout << "delays (ms) measured:";
  for (std::size_t i = 0; i < expected.size(); ++i) std::cout << " " << measured[i] << " (want " << expected[i] << ")";
  std::cout << "\n";
}

// The emulator logs a connection when it ends: stop spillway (its last connection then ends too) before
// reading the attempts.
std::vector<attempt> attempts_after_stop(rig& r, std::size_t logged_before, std::chrono::milliseconds then_wait) {
  const bool reached = r.wait_attempts(logged_before, 15s);
  INFO("spillway log:\n" << r.run_log().substr(0, 4000));
  REQUIRE(reached);
  std::this_thread::sleep_for(then_wait);
  CHECK(r.stop() == 0);
  return r.attempts();
}

void check_status_schedule(const std::string& fault, std::size_t failures, const std::vector<std::int64_t>& expected) {
  rig r("[" + fault + "]", {"--rate", "200"}, fast_reconnect, false);
  const auto a = attempts_after_stop(r, failures, std::chrono::milliseconds(expected.back() + 700));
  REQUIRE(a.size() == failures + 1);
  for (std::size_t i = 0; i < failures; ++i) CHECK(a[i].outcome == "fault_status");
  CHECK(a.back().outcome == "stream");
  check_delays(gaps_between(a), expected);
}

}  // namespace

TEST_CASE("reconnect: 503 backs off exponentially from http_base", "[integration][e2e][reconnect]") {
  check_status_schedule(R"({"action":"status","status":503,"connects":3})", 3, {200, 400, 800});
}

TEST_CASE("reconnect: 500 waits http_base", "[integration][e2e][reconnect]") {
  check_status_schedule(R"({"action":"status","status":500,"connects":1})", 1, {200});
}

TEST_CASE("reconnect: 409 (no rules) retries on the HTTP schedule", "[integration][e2e][reconnect]") {
  rig r(R"([{"action":"status","status":409,"connects":2}])", {"--rate", "200"}, fast_reconnect, false);
  const auto a = attempts_after_stop(r, 2, 1100ms);
  REQUIRE(a.size() == 3);
  check_delays(gaps_between(a), {200, 400});
  CHECK(r.run_log().find("rules") != std::string::npos);
}

TEST_CASE("reconnect: 429 TooManyConnections waits too_many_base, then doubles", "[integration][e2e][reconnect]") {
  check_status_schedule(R"({"action":"status","status":429,"kind":"too_many_connections","connects":2})", 2, {150, 300});
}

TEST_CASE("reconnect: 429 rate limit waits for x-rate-limit-reset", "[integration][e2e][reconnect]") {
  rig r(R"([{"action":"status","status":429,"kind":"rate_limit","connects":1}])", {"--rate", "200"}, fast_reconnect, false);
  REQUIRE(r.wait_attempts(1, 10s));
  // The reset is the end of the emulator's 15-minute window: no second attempt may come soon.
  std::this_thread::sleep_for(2s);
  CHECK(r.attempts().size() == 1);
  CHECK(r.run_log().find("x-rate-limit-reset") != std::string::npos);
  CHECK(r.stop() == 0);
}

TEST_CASE("reconnect: 401 and 403 stop with exit code 3 and say why", "[integration][e2e][reconnect]") {
  const auto [status, words] = GENERATE(table<int, std::string>({{401, "token"}, {403, "403"}}));
  const std::string fault = R"({"action":"status","status":)" + std::to_string(status) + R"(,"connects":5})";
  rig r("[" + fault + "]", {}, fast_reconnect, false);
  const auto code = r.run->wait(15s);
  REQUIRE(code.has_value());
  CHECK(*code == 3);
  const auto log = r.run_log();
  INFO(log.substr(0, 3000));
  CHECK(log.find(words) != std::string::npos);
  CHECK(log.find("e2e-token") == std::string::npos);
  CHECK(r.attempts().size() == 1);  // no retry
  r.emu->signal(SIGTERM);
  CHECK(r.emu->wait(10s).has_value());
}

TEST_CASE("reconnect: an operational-disconnect reconnects within 100 ms", "[integration][e2e][reconnect]") {
  rig r(R"([{"after_posts":300,"action":"disconnect","disconnect_type":"OperationalDisconnect"}])", {"--rate", "1000"},
        fast_reconnect, false);
  const auto a = attempts_after_stop(r, 1, 500ms);
  REQUIRE(a.size() == 2);
  CHECK(a[0].outcome == "stream");
  const auto waited = a[1].start_ms - a[0].end_ms;
  std::cout << "operational-disconnect: reconnected " << waited << " ms after the close\n";
  CHECK(waited <= 100);
}

TEST_CASE("reconnect: a server close (RST) mid-stream reconnects at once", "[integration][e2e][reconnect]") {
  rig r(R"([{"after_posts":300,"action":"close","mode":"rst"}])", {"--rate", "1000"}, fast_reconnect, false);
  const auto a = attempts_after_stop(r, 1, 500ms);
  REQUIRE(a.size() == 2);
  const auto waited = a[1].start_ms - a[0].end_ms;
  std::cout << "rst close: reconnected " << waited << " ms after the close\n";
  CHECK(waited <= 100);
}

TEST_CASE("reconnect: a stall is detected within the stall timeout", "[integration][e2e][reconnect]") {
  // Stall 1.5 s after the emulator started, for 4 s (heartbeats too); stall_timeout 500 ms, step 50 ms.
  rig r(R"([{"after_ms":1500,"action":"stall","duration_ms":4000}])", {"--rate", "500", "--max-connections", "0"},
        fast_reconnect, false);
  // The stalled connection is logged when the stall ends (4 s): the emulator sees the drop at its next write.
  const auto a = attempts_after_stop(r, 1, 500ms);
  REQUIRE(a.size() == 2);
  const auto stall_start = r.ready_ms + 1500;  // the emulator started a little before ready_ms
  const auto detected = a[1].start_ms - stall_start;
  std::cout << "stall: next attempt " << detected << " ms after the stall began (timeout 500 + step 50)\n";
  CHECK(detected >= 500 - 100);
  CHECK(detected <= 550 + 400);
  CHECK(r.run_log().find("not even a heartbeat") != std::string::npos);
}

TEST_CASE("reconnect: chaos soak with backfill stores every Post exactly once and earns no 429",
          "[integration][e2e][reconnect][soak]") {
  constexpr std::uint64_t count = 120'000;
  // stall_timeout well above the chaos stalls (≤ 3 s, plus scheduling delay on a loaded machine): a stall is waited out as X's 20 s heartbeat rule
  // would, so every drop is the server's and the emulator never holds a dead slot.
  const std::string reconnect_toml =
      "[reconnect]\nstall_timeout = \"8s\"\nnetwork_step = \"50ms\"\nnetwork_cap = \"1s\"\nhttp_base = \"200ms\"\n"
      "http_cap = \"2s\"\ntoo_many_base = \"200ms\"\n";
  const auto started = std::chrono::steady_clock::now();
  rig r("", {"--chaos", "7", "--rate", "2000", "--count", std::to_string(count), "--reap-ms", "500"}, reconnect_toml, true);
  // The emulator hands out `count` distinct Posts; wait until that many are stored (the dump is
  // buffered by the emulator, so it is read after it stopped).
  const bool all_stored = eventually([&] { return stored_posts(r.dir.str("db")) >= count; }, 170s, 500ms);
  INFO("spillway log (tail):\n" << [&] { auto l = r.run_log(); return l.substr(l.size() > 6000 ? l.size() - 6000 : 0); }());
  CHECK(all_stored);
  CHECK(r.stop() == 0);

  const auto dumped = post_ids(slurp(r.dir.str("dump.jsonl")));
  const std::set<std::string> sent(dumped.begin(), dumped.end());
  const auto exported = post_ids(capture(bin("spillway") + " export --db " + r.dir.str("db") + " 2>/dev/null"));
  const std::set<std::string> stored(exported.begin(), exported.end());
  const auto attempts = r.attempts();
  std::size_t earned_429 = 0, fault_statuses = 0, backfill_asks = 0;
  std::uint64_t lines_sent = 0, backfilled = 0;
  std::map<std::string, int> outcomes;
  for (const auto& a : attempts) {
    ++outcomes[a.outcome + "/" + a.ended];
    if (a.outcome == "rate_limited" || a.outcome == "too_many_connections") ++earned_429;
    if (a.outcome == "fault_status") ++fault_statuses;
    if (a.query.find("backfill_minutes=") != std::string::npos) ++backfill_asks;
    lines_sent += a.posts;
    backfilled += a.backfilled;
  }
  std::size_t missing = 0;
  for (const auto& id : sent) missing += stored.count(id) == 0 ? 1 : 0;
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "chaos soak (seed 7): " << attempts.size() << " connection attempts (" << fault_statuses
            << " scripted status answers, " << earned_429 << " earned 429s), " << backfill_asks
            << " asked for backfill; Posts sent " << lines_sent << " (" << backfilled << " re-sent by backfill), "
            << sent.size() << " distinct in the dump, " << exported.size() << " exported (" << stored.size()
            << " distinct), " << missing << " missing; " << secs << " s\n  outcomes:";
  for (const auto& [o, n] : outcomes) std::cout << " " << o << "=" << n;
  std::cout << "\n";
  CHECK(attempts.size() >= 5);  // the seed must really have dropped us several times
  CHECK(earned_429 == 0);
  CHECK(missing == 0);
  CHECK(exported.size() == stored.size());  // no Post stored twice
  CHECK(stored.size() == sent.size());
  CHECK(sent.size() == count);
}

TEST_CASE("reconnect: after kill -9 the restart asks for backfill and nothing is lost or stored twice",
          "[integration][e2e][reconnect]") {
  rig r("", {"--rate", "1000", "--count", "6000", "--max-connections", "0"}, fast_reconnect, true);
  REQUIRE(eventually([&] { return stored_posts(r.dir.str("db")) >= 1500; }, 30s, 100ms));
  r.run->signal(SIGKILL);
  REQUIRE(r.run->wait(10s) == 128 + SIGKILL);
  // Posts keep coming while nobody listens (the emulator's --count goes on only while connected, so
  // the gap is the restart itself); restart after a pause.
  std::this_thread::sleep_for(1500ms);
  r.run = std::make_unique<child_process>(std::vector<std::string>{bin("spillway"), "run", "--config", r.dir.str("spillway.toml")},
                                          r.dir.str("run2.log"), std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", "e2e-token"}});
  const bool all_stored = eventually([&] { return stored_posts(r.dir.str("db")) >= 6000; }, 60s, 200ms);
  INFO("second run:\n" << slurp(r.dir.str("run2.log")).substr(0, 4000));
  CHECK(all_stored);
  CHECK(r.stop() == 0);
  const auto a = r.attempts();
  REQUIRE(a.size() >= 2);
  CHECK(a[0].query.find("backfill_minutes") == std::string::npos);  // a fresh database has no gap
  CHECK(a[1].query.find("backfill_minutes=1") != std::string::npos);
  CHECK(a[1].backfilled > 0);
  const auto log2 = slurp(r.dir.str("run2.log"));
  CHECK(log2.find("delivery stopped at") != std::string::npos);
  const auto dumped = post_ids(slurp(r.dir.str("dump.jsonl")));
  const auto exported = post_ids(capture(bin("spillway") + " export --db " + r.dir.str("db") + " 2>/dev/null"));
  const std::set<std::string> sent(dumped.begin(), dumped.end()), stored(exported.begin(), exported.end());
  CHECK(sent.size() == 6000);
  CHECK(stored == sent);
  CHECK(exported.size() == stored.size());
  // The ledger lists the restart gap first, closed: from the newest stored Post's time (the kill -9
  // lower bound) to the first delivery after the restart (`spillway gaps`, read-only).
  const auto gaps = capture(bin("spillway") + " gaps --db " + r.dir.str("db") + " 2>&1");
  INFO(gaps);
  std::smatch m;
  REQUIRE(std::regex_search(gaps, m, std::regex(R"(Z\s+\S+Z\s+([0-9.]+) s\s+1 min\s+recoverable)")));
  CHECK(std::stod(m[1]) >= 1.5);
  CHECK(std::stod(m[1]) <= 5.0);
  CHECK(gaps.find("0 longer than 5 min") != std::string::npos);
  std::cout << "kill -9 restart: second connect asked " << a[1].query.substr(a[1].query.find("backfill_minutes"))
            << ", " << a[1].backfilled << " Posts re-sent; " << stored.size() << " stored once\n" << gaps;
}

TEST_CASE("reconnect: 429 UsageCapExceeded waits for the period reset and says so loudly",
          "[integration][e2e][reconnect]") {
  rig r(R"([{"action":"status","status":429,"kind":"usage_capped","connects":1}])", {"--rate", "200"}, fast_reconnect,
        false);
  REQUIRE(r.wait_attempts(1, 10s));
  // Backing off does not help against a cap: the next attempt is at the period's reset (the first of
  // next month, UTC) or the hourly re-check, never on the HTTP schedule (200 ms here).
  std::this_thread::sleep_for(2500ms);
  CHECK(r.attempts().size() == 1);
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  const int next_year = utc.tm_year + 1900 + (utc.tm_mon == 11 ? 1 : 0);
  const int next_month = utc.tm_mon == 11 ? 1 : utc.tm_mon + 2;
  char reset_day[32];
  std::snprintf(reset_day, sizeof reset_day, "%04d-%02d-01", next_year, next_month);
  const auto log = r.run_log();
  INFO(log.substr(0, 3000));
  CHECK(log.find("Monthly") != std::string::npos);
  CHECK(log.find(std::string("period resets at ") + reset_day) != std::string::npos);
  CHECK(log.find("re-checking at") != std::string::npos);
  CHECK(r.stop() == 0);
}

TEST_CASE("reconnect: connection refused backs off linearly and streams once the server is up",
          "[integration][e2e][reconnect]") {
  temp_dir dir{"spillway-refused"};
  const auto port = std::to_string(free_port());
  {
    std::ofstream cfg(dir.str("spillway.toml"));
    cfg << "[stream]\nbase_url = \"http://127.0.0.1:" << port << "\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
        << "\"\n[metrics]\nenabled = false\n" << fast_reconnect;
  }
  child_process run({bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
                    {{"X_BEARER_TOKEN", "e2e-token"}});
  // network_step 50 ms, cap 1 s: in 2.5 s that is about a dozen refused attempts, each logged with the
  // layer and the fix, and the process keeps running.
  std::this_thread::sleep_for(2500ms);
  REQUIRE_FALSE(run.wait(0ms).has_value());
  const auto refused_log = slurp(dir.str("run.log"));
  INFO(refused_log.substr(0, 3000));
  CHECK(refused_log.find("refused") != std::string::npos);
  CHECK(refused_log.find("e2e-token") == std::string::npos);

  child_process emu({bin("spillway-emu"), "--port", port, "--rate", "500", "--bearer", "e2e-token", "--seed", "9"},
                    dir.str("emu.log"));
  // The next attempt comes within network_cap (1 s) of the server appearing.
  const bool streaming = eventually([&] { return stored_posts(dir.str("db")) >= 200; }, 15s, 100ms);
  INFO(slurp(dir.str("run.log")).substr(0, 4000) << "\nemulator:\n" << slurp(dir.str("emu.log")));
  CHECK(streaming);
  run.signal(SIGTERM);
  CHECK(run.wait(30s) == 0);
  emu.signal(SIGTERM);
  CHECK(emu.wait(10s).has_value());
}

TEST_CASE("reconnect: a slow reader is cut by the emulator, reconnects with backfill and loses nothing",
          "[integration][e2e][reconnect]") {
  // SIGSTOP makes spillway a reader that has fallen behind: the emulator's Posts keep falling due at
  // 4,000/s; past 256 KiB of backlog (once the kernel's socket buffers are full) it sends the SlowReader
  // notice and closes, and the Posts due at the cut are gone from the live stream, as on X.
  constexpr int count = 30'000;  // well past what the kernel buffers hold (~11 MB ≈ 7,700 Posts here)
  rig r("", {"--rate", "4000", "--count", std::to_string(count), "--slow-reader-bytes", "262144", "--max-connections", "0"},
        fast_reconnect, true);
  REQUIRE(eventually([&] { return stored_posts(r.dir.str("db")) >= 1000; }, 30s, 50ms));
  r.run->signal(SIGSTOP);
  const bool cut = eventually(
      [&] {
        for (const auto& a : r.attempts())
          if (a.outcome == "slow_reader") return true;
        return false;
      },
      15s, 50ms);
  r.run->signal(SIGCONT);
  REQUIRE(cut);
  const bool all_stored = eventually([&] { return stored_posts(r.dir.str("db")) >= count; }, 60s, 200ms);
  INFO("spillway log:\n" << r.run_log().substr(0, 5000));
  CHECK(all_stored);
  CHECK(r.stop() == 0);
  const auto a = r.attempts();
  REQUIRE(a.size() >= 2);
  CHECK(a[0].outcome == "slow_reader");
  CHECK(a[1].query.find("backfill_minutes=1") != std::string::npos);
  // Immediate once spillway has read what the kernel buffered before the cut (~11 MB) and seen the close.
  CHECK(a[1].start_ms - a[0].end_ms <= 3000);
  const auto log = r.run_log();
  CHECK((log.find("SlowReader") != std::string::npos || log.find("closed") != std::string::npos));
  const auto dumped = post_ids(slurp(r.dir.str("dump.jsonl")));
  const auto exported = post_ids(capture(bin("spillway") + " export --db " + r.dir.str("db") + " 2>/dev/null"));
  const std::set<std::string> sent(dumped.begin(), dumped.end()), stored(exported.begin(), exported.end());
  CHECK(sent.size() == static_cast<std::size_t>(count));
  CHECK(stored == sent);
  CHECK(exported.size() == stored.size());
  std::cout << "slow reader: cut after " << a[0].posts << " Posts sent on the first connection; reconnect "
            << a[1].start_ms - a[0].end_ms << " ms later asked " << a[1].query << ", " << a[1].backfilled
            << " re-sent; " << stored.size() << " stored once\n";
}
