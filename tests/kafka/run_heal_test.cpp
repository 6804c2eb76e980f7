// Gap healing end to end (issue 12 item 2), the real binaries over real sockets: spillway-emu with a
// 30-minute history before any client (--clock-offset-s 1800, so the gap takes seconds), a database whose
// newest Post is 30 minutes old (so `spillway run` opens a 30-minute gap and closes it on the first
// delivery), then:
//   - Enterprise: `run` with recovery.mode = stream heals the gap beside the live stream (a Recovery
//     connection); every Post the emulator made since the seed is stored once, in RocksDB and in Kafka
//     (the mock broker, read back with kcat), healed ones with spillway_source = recovery;
//   - Pro: `spillway gaps heal` by search, one query per rule; a sample: rule is reported and the gap is
//     partially recovered with its name; every Post each searchable rule finds (asked here independently)
//     is stored once with the rules that found it;
//   - a heal stopped mid-way (SIGTERM during a rate-limit wait) resumes after the restart without reading
//     the committed slices again.
// The figures (Posts recovered, requests, time to heal) are printed on stdout ("heal figures:").
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "common/post_source.hpp"
#include "sinks/rocksdb/store.hpp"
#include "tests/kafka/run_test_support.hpp"

using namespace spillway::test;
using namespace spillway::test::run;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t gap_s = 1800;

std::int64_t created_ms(std::uint64_t id) { return static_cast<std::int64_t>(id >> 22) + spillway::common::snowflake_epoch_ms; }

// A Post 30 minutes old in an empty database: `run` starts with a 30-minute gap. Its id uses the largest
// worker and sequence, which the emulator's ids (worker 1) never do. Returns its id.
std::uint64_t seed_old_post(const std::string& db_path) {
  const std::int64_t ms = unix_ms() - gap_s * 1000 + 2000;  // inside the emulator's history
  const std::uint64_t id = (static_cast<std::uint64_t>(ms - spillway::common::snowflake_epoch_ms) << 22) | 0x3FFFFF;
  spillway::sinks::store db(db_path, spillway::sinks::open_mode::read_write);
  spillway::sinks::commit_batch batch(db);
  batch.put_post(id, "{\"data\":{\"id\":\"" + std::to_string(id) + "\",\"text\":\"seed\"}}");
  REQUIRE(db.commit(batch, true).has_value());
  return id;
}

// GET on the emulator over a plain socket (written here, independent of the product's client): the body,
// de-chunked when chunked. Reads until the server closes (Connection: close), 30 s at most.
std::string emu_get(const std::string& url, const std::string& target, int* status = nullptr) {
  const auto port = std::stoi(url.substr(url.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{.tv_sec = 30, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + bearer +
                          "\r\nConnection: close\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  std::string all;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) all.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  const auto head_end = all.find("\r\n\r\n");
  REQUIRE(head_end != std::string::npos);
  const std::string head = all.substr(0, head_end);
  INFO(head);
  if (status != nullptr) {
    *status = std::stoi(head.substr(9, 3));
    if (*status != 200) return {};
  }
  REQUIRE(head.starts_with("HTTP/1.1 200"));
  std::string body = all.substr(head_end + 4);
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") == std::string::npos) return body;
  std::string out;
  for (std::size_t at = 0;;) {
    const auto eol = body.find("\r\n", at);
    REQUIRE(eol != std::string::npos);
    const auto size = std::stoul(body.substr(at, eol - at), nullptr, 16);
    if (size == 0) break;
    out += body.substr(eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

std::string iso(std::int64_t ms) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
                static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()));
  return out;
}

// Every Post the emulator made in [from_ms, now): an independent Recovery read (the emulator's stream
// ignores rules, so that is every Post it would have delivered).
std::set<std::uint64_t> emulator_posts_since(const std::string& url, std::int64_t from_ms) {
  const auto body = emu_get(url, "/2/tweets/search/stream?start_time=" + iso(from_ms));
  std::set<std::uint64_t> ids;
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (const auto id = post_id(line); id != 0) ids.insert(id);
  }
  return ids;
}

// Every Post search finds for `query` in [from_ms, to_ms), all pages.
std::set<std::uint64_t> emulator_search(const std::string& url, const std::string& query, std::int64_t from_ms,
                                        std::int64_t to_ms) {
  std::set<std::uint64_t> ids;
  std::string token;
  for (int page = 0; page < 1000; ++page) {
    std::string q;
    for (const unsigned char c : query) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      q += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(hex);
    }
    auto target = "/2/tweets/search/recent?max_results=100&query=" + q + "&start_time=" + iso(from_ms) +
                  "&end_time=" + iso(to_ms);
    if (!token.empty()) target += "&next_token=" + token;
    rapidjson::Document d;
    int status = 0;
    auto body = emu_get(url, target, &status);
    // A test emulator with a small search window (the resume test): wait for the next one.
    for (int tries = 0; status == 429 && tries < 30; ++tries) {
      std::this_thread::sleep_for(1s);
      body = emu_get(url, target, &status);
    }
    REQUIRE(status == 200);
    d.Parse(body.data(), body.size());
    REQUIRE(d.IsObject());
    if (d.HasMember("data"))
      for (const auto& p : d["data"].GetArray()) ids.insert(std::stoull(p["id"].GetString()));
    if (!d["meta"].HasMember("next_token")) return ids;
    token = d["meta"]["next_token"].GetString();
  }
  FAIL("search paged forever");
  return ids;
}

// The gap line of `spillway gaps --db`: stopped_at and resumed_at (whole seconds) and the status text.
struct gap_line {
  std::int64_t stopped_ms = 0, resumed_ms = 0;
  std::string status;
};
std::optional<gap_line> the_gap(const std::string& db) {
  const auto out = spillway::testing::capture(bin("spillway") + " gaps --db " + db + " 2>&1");
  std::smatch m;
  // Columns: stopped_at, resumed_at (24 wide), gap (12), backfill (9), status.
  const std::regex line(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z\s+(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z\s+(.{12}) (.{9}) ([^\n]*))");
  if (!std::regex_search(out, m, line)) return std::nullopt;
  const auto at = [&](int first) {
    using namespace std::chrono;
    const auto n = [&](int i) { return std::stoi(m[first + i].str()); };
    const sys_days day = year{n(0)} / n(1) / n(2);
    return duration_cast<milliseconds>((day + hours(n(3)) + minutes(n(4)) + seconds(n(5)))
                                           .time_since_epoch())
        .count();
  };
  return gap_line{at(1), at(7), m[15].str()};
}

// `spillway run` / `gaps heal` against the emulator: both sinks (Kafka only when `bootstrap` is given),
// `stream_extra` added to [stream], `recovery` as the [recovery] table, `rules` appended as [[rules]].
std::string heal_config(const temp_dir& dir, const std::string& url, const std::string& bootstrap,
                        const std::string& stream_extra, const std::string& recovery, const std::string& rules = "") {
  const auto path = dir.str("spillway.toml");
  std::ofstream out(path);
  out << "log_level = \"info\"\n[stream]\nbase_url = \"" << url << "\"\ntweet_fields = \"created_at,author_id\"\n"
      << stream_extra << "\n";
  out << "[sinks.rocksdb]\npath = \"" << dir.str("db") << "\"\n";
  if (!bootstrap.empty())
    out << "[sinks.kafka]\nenabled = true\nbootstrap_servers = \"" << bootstrap << "\"\ntopic = \"x.posts\"\n"
        << "shutdown_timeout = \"20s\"\n";
  out << "[metrics]\nenabled = false\n";
  out << "[reconnect]\nnetwork_step = \"100ms\"\nnetwork_cap = \"500ms\"\njitter = \"none\"\n";
  out << "[recovery]\n" << recovery << "\n" << rules;
  return path;
}

// `spillway <args> --config FILE` to its end (bounded), output in `log`.
spillway::testing::cli_result cli(const temp_dir& dir, std::vector<std::string> args, const std::string& config,
                        const std::string& log, std::chrono::milliseconds timeout = 120s) {
  std::vector<std::string> argv{bin("spillway")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--config", config});
  return spillway::testing::run_to_end(argv, dir.str(log), {{"X_BEARER_TOKEN", bearer}}, timeout);
}

}  // namespace

TEST_CASE("heal e2e: Enterprise - a 30-minute gap healed by a Recovery stream beside the live stream and every Post "
          "stored once in RocksDB and Kafka",
          "[integration][heal]") {
  temp_dir dir("spillway-heal-stream");
  mock_broker broker(1, {"x.posts:64"});  // the mock keeps ~5 MiB per partition: room for every record
  // 18,000 Posts made in the 30 minutes before any client; two connection slots (Enterprise).
  emulator emu(dir, {"--rate", "10", "--clock-offset-s", std::to_string(gap_s), "--access", "enterprise"});
  const auto seed = seed_old_post(dir.str("db"));
  const auto config = heal_config(dir, emu.url, broker.bootstrap(), "backfill = true",
                                  "mode = \"stream\"\ninterval = \"1s\"");
  const auto started_ms = unix_ms();
  const auto t0 = std::chrono::steady_clock::now();
  auto run = start_spillway(dir, config);
  std::optional<gap_line> gap;
  const bool healed = eventually([&] {
    gap = the_gap(dir.str("db"));
    return gap && gap->status.find("recovered by stream") != std::string::npos;
  }, 90s, 250ms);
  const double heal_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(slurp(dir.str("run.log")).substr(0, 6000));
  REQUIRE(healed);
  CHECK(gap->status.rfind("recovered by stream", 0) == 0);
  REQUIRE(stop_spillway(*run) == 0);
  const auto stopped_ms = unix_ms();

  // Every Post the emulator made from the seed until `run` stopped (a margin for the last second in
  // flight): live, backfilled (the last 5 min of the gap) or recovered (the rest).
  const auto made_all = emulator_posts_since(emu.url, created_ms(seed));
  const auto stored = stored_posts(dir.str("db"));
  std::size_t missing = 0, in_gap = 0, made = 0, phantom = 0;
  for (const auto id : made_all) {
    if (created_ms(id) >= stopped_ms - 3000) continue;
    ++made;
    missing += stored.count(id) == 0 ? 1 : 0;
    // The un-backfilled part, less 2 s: backfill starts 5 min before the emulator's connect, which is a little
    // before the client's resumed_ms, so Posts in that boundary sliver may come by backfill first.
    in_gap += created_ms(id) < gap->resumed_ms - 5 * 60 * 1000 - 2000 ? 1 : 0;
  }
  for (const auto& [id, line] : stored) phantom += id != seed && made_all.count(id) == 0 ? 1 : 0;
  CHECK(made > 15000);
  CHECK(missing == 0);
  CHECK(phantom == 0);  // nothing the emulator did not make; each id is one key, so stored once

  // Kafka: each stored Post once (the seed was stored before Kafka was on: it is not in the outbox), value
  // byte for byte, headers as derived from the line; Posts from the gap's un-backfilled part say recovery.
  REQUIRE(outbox_drains(dir.str("db"), 60s));
  auto without_seed = stored;
  without_seed.erase(seed);
  const auto report = check_kafka(broker.bootstrap(), without_seed, started_ms);
  INFO(describe(report));
  INFO(log_tail(dir.str("run.log"), 3000));
  INFO(spillway::testing::capture(bin("spillway") + " stats --db " + dir.str("db")));
  CHECK(report.missing == 0);
  CHECK(report.duplicates() == 0);
  CHECK(report.phantom == 0);
  CHECK(report.value_mismatch == 0);
  CHECK(report.header_mismatch == 0);
  std::map<std::string, std::size_t> sources;
  std::size_t gap_not_recovery = 0;
  for (const auto& rec : read_with_kcat(broker.bootstrap(), "x.posts")) {
    const auto source = rec.headers.count("spillway_source") ? rec.headers.at("spillway_source") : "(none)";
    ++sources[source];
    const auto id = std::stoull(rec.key);
    if (created_ms(id) < gap->resumed_ms - 6 * 60 * 1000 && source != "recovery") ++gap_not_recovery;
  }
  CHECK(gap_not_recovery == 0);
  CHECK(sources["recovery"] >= in_gap - 1);
  CHECK(sources["stream"] > 0);
  CHECK(sources["backfill"] > 0);
  std::smatch m;
  REQUIRE(std::regex_search(gap->status, m, std::regex(R"(\((\d+) Posts, (\d+) requests\))")));
  std::printf("heal figures: stream: %s Posts recovered, %s requests, healed %.1f s after start "
              "(recovery %zu, backfill %zu, stream %zu Kafka records; %zu Posts made since the seed)\n",
              m[1].str().c_str(), m[2].str().c_str(), heal_s, sources["recovery"], sources["backfill"], sources["stream"],
              made);
}

TEST_CASE("heal e2e: Pro - a 30-minute gap healed by search with `spillway gaps heal` and a sample: rule reported "
          "with the gap partially recovered by its name",
          "[integration][heal]") {
  temp_dir dir("spillway-heal-search");
  emulator emu(dir, {"--rate", "5", "--clock-offset-s", std::to_string(gap_s), "--access", "pro"});
  const auto seed = seed_old_post(dir.str("db"));
  const std::string rules =
      "[[rules]]\nvalue = \"has:hashtags\"\ntag = \"tagged\"\n"
      "[[rules]]\nvalue = \"has:mentions\"\ntag = \"mentions\"\n"
      "[[rules]]\nvalue = \"sample:10 has:media\"\ntag = \"sampled\"\n";
  // The service does not heal here (a long interval): `gaps heal` does, by hand.
  const auto config = heal_config(dir, emu.url, "", "rules_sync_on_start = true",
                                  "mode = \"search\"\ninterval = \"1h\"", rules);
  auto run = start_spillway(dir, config);
  REQUIRE(eventually([&] {
    const auto g = the_gap(dir.str("db"));
    return g.has_value();  // closed: a resumed_at is printed
  }, 30s, 200ms));
  REQUIRE(stop_spillway(*run) == 0);
  const auto gap = the_gap(dir.str("db"));
  REQUIRE(gap);
  CHECK(gap->status.find("UNRECOVERED") != std::string::npos);

  const auto plan = cli(dir, {"gaps", "heal", "--dry-run"}, config, "plan.log");
  INFO(plan.out);
  REQUIRE(plan.code == 0);
  CHECK(plan.out.find("heal by search over") != std::string::npos);
  CHECK(plan.out.find("Posts") != std::string::npos);

  const auto t0 = std::chrono::steady_clock::now();
  const auto healed = cli(dir, {"gaps", "heal"}, config, "heal.log");
  const double heal_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO(healed.out);
  REQUIRE(healed.code == 0);
  CHECK(healed.out.find("1 gaps healed, 0 left") != std::string::npos);
  CHECK(healed.out.find("sampled (sample:)") != std::string::npos);  // the warning names the rule

  const auto after = the_gap(dir.str("db"));
  REQUIRE(after);
  INFO(after->status);
  CHECK(after->status.rfind("partially recovered by search", 0) == 0);
  CHECK(after->status.find("not searchable: sampled (sample:)") != std::string::npos);

  // What each searchable rule matched in the gap, asked here on our own; every such Post is stored once,
  // with every rule that found it in matching_rules (ids as X lists them).
  // (to resumed_at − 2 s: the first live Posts, made just before resumed_at, carry the stream's rules)
  const auto tagged = emulator_search(emu.url, "has:hashtags", gap->stopped_ms, gap->resumed_ms - 2000);
  const auto mentions = emulator_search(emu.url, "has:mentions", gap->stopped_ms, gap->resumed_ms - 2000);
  CHECK(tagged.size() > 100);
  CHECK(mentions.size() > 100);
  const auto stored = stored_posts(dir.str("db"));
  std::size_t missing = 0, wrong_rules = 0, both = 0;
  std::set<std::uint64_t> wanted = tagged;
  wanted.insert(mentions.begin(), mentions.end());
  for (const auto id : wanted) {
    const auto it = stored.find(id);
    if (it == stored.end()) {
      ++missing;
      continue;
    }
    // A Post of the gap's window came from search (the live stream began at resumed_at): its rules are
    // exactly the searchable rules that found it.
    rapidjson::Document d;
    d.Parse(it->second.data(), it->second.size());
    std::set<std::string> tags;
    if (d.HasMember("matching_rules"))
      for (const auto& r : d["matching_rules"].GetArray()) tags.insert(r["tag"].GetString());
    std::set<std::string> expect;
    if (tagged.count(id)) expect.insert("tagged");
    if (mentions.count(id)) expect.insert("mentions");
    both += expect.size() == 2 ? 1 : 0;
    if (tags != expect) ++wrong_rules;
  }
  CHECK(missing == 0);
  CHECK(wrong_rules == 0);
  CHECK(both > 0);  // merged: Posts both rules found carry both
  std::smatch m;
  REQUIRE(std::regex_search(after->status, m, std::regex(R"(\((\d+) Posts, (\d+) requests\))")));
  CHECK(std::stoull(m[1]) >= wanted.size());  // and the edges: the window is asked in whole seconds
  std::printf("heal figures: search: %s Posts recovered (%zu + %zu found by the two rules, %zu by both), %s requests, "
              "gaps heal took %.1f s\n",
              m[1].str().c_str(), tagged.size(), mentions.size(), both, m[2].str().c_str(), heal_s);
  (void)seed;
}

TEST_CASE("heal e2e: a search heal stopped by SIGTERM during a rate-limit wait resumes after the restart without "
          "reading the committed slices again",
          "[integration][heal]") {
  temp_dir dir("spillway-heal-resume");
  // 3 searches per 12 s window: the heal waits for the window between slices (it keeps one in reserve).
  emulator emu(dir, {"--rate", "1", "--clock-offset-s", std::to_string(gap_s), "--access", "pro",
                     "--limit-search-recent", "3", "--rate-window-s", "12"});
  seed_old_post(dir.str("db"));
  const auto config = heal_config(dir, emu.url, "", "rules_sync_on_start = true", "mode = \"search\"\ninterval = \"1h\"",
                                  "[[rules]]\nvalue = \"has:hashtags\"\ntag = \"tagged\"\n");
  auto run = start_spillway(dir, config);
  REQUIRE(eventually([&] { return the_gap(dir.str("db")).has_value(); }, 30s, 200ms));
  REQUIRE(stop_spillway(*run) == 0);

  spillway::testing::child_process first({bin("spillway"), "gaps", "heal", "--config", config}, dir.str("heal1.log"),
                               {{"X_BEARER_TOKEN", bearer}});
  std::optional<gap_line> during;
  const bool some = eventually([&] {
    during = the_gap(dir.str("db"));
    return during && during->status.find("healing by search") != std::string::npos &&
           during->status.find("(0 Posts so far)") == std::string::npos;
  }, 60s, 100ms);
  INFO(log_tail(dir.str("heal1.log")));
  REQUIRE(some);
  first.signal(SIGTERM);
  const auto code = first.wait(5s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const auto interrupted = the_gap(dir.str("db"));
  REQUIRE(interrupted);
  INFO(interrupted->status);
  std::smatch so_far;
  REQUIRE(std::regex_search(interrupted->status, so_far, std::regex(R"(healing by search \((\d+) Posts so far\))")));
  const auto committed_first = std::stoull(so_far[1]);

  const auto second = cli(dir, {"gaps", "heal"}, config, "heal2.log", 180s);
  INFO(second.out);
  REQUIRE(second.code == 0);
  std::smatch read;
  REQUIRE(std::regex_search(second.out, read, std::regex(R"((\d+) Posts read \((\d+) stored, (\d+) already there\))")));
  // Nothing committed before the stop is read again: the only Posts already there are the live stream's
  // first ones, which the window's last second (asked whole) overlaps.
  CHECK(std::stoull(read[3]) <= 3);
  CHECK(std::stoull(read[1]) == std::stoull(read[2]) + std::stoull(read[3]));
  const auto done = the_gap(dir.str("db"));
  REQUIRE(done);
  INFO(done->status);
  CHECK(done->status.rfind("recovered by search", 0) == 0);
  std::smatch total;
  REQUIRE(std::regex_search(done->status, total, std::regex(R"(\((\d+) Posts, (\d+) requests\))")));
  CHECK(std::stoull(total[1]) == committed_first + std::stoull(read[1]));

  const auto wanted = emulator_search(emu.url, "has:hashtags", done->stopped_ms, done->resumed_ms - 2000);
  const auto stored = stored_posts(dir.str("db"));
  std::size_t missing = 0;
  for (const auto id : wanted) missing += stored.count(id) == 0 ? 1 : 0;
  CHECK(!wanted.empty());
  CHECK(missing == 0);
  std::printf("heal figures: resume: %llu Posts before SIGTERM, %s after the restart, %s requests in all\n",
              static_cast<unsigned long long>(committed_first), read[1].str().c_str(), total[2].str().c_str());
}
