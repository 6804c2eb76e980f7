// Search over the emulator's history (GET /2/tweets/search/recent|all) and Recovery windows on the
// stream: X's parameters, limits, pagination, rate limits and operator gaps (XAPI.md "Healing longer
// gaps"). The reference for "which Posts matched" is computed here from the Recovery stream's own
// Post text, independently of the emulator's query matcher.
#include <catch2/catch.hpp>
#include <algorithm>
#include <iterator>
#include <set>
#include <vector>

#include "bench/emu/emu_server.hpp"
#include "bench/emu/iso_time.hpp"
#include "bench/emu/search_endpoint.hpp"
#include "bench/emu/search_query.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::parse_json;
using test::Response;

namespace {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// An emulator whose feed started 30 minutes ago at 2 Posts/s: 3,600 Posts of history before any client.
EmuConfig gap_config(AccessLevel level) {
  EmuConfig cfg;
  cfg.pool_size = 256;
  cfg.rate = 2;
  cfg.clock_offset_s = 1800;
  cfg.access = level;
  return cfg;
}

Response get(std::uint16_t port, const std::string& target) { return test::http_request(port, "GET", target); }

bool has_word(std::string text, const std::string& word) {
  for (auto& c : text) c = char(std::tolower((unsigned char)c));
  auto is_word = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
  for (auto p = text.find(word); p != std::string::npos; p = text.find(word, p + 1))
    if ((p == 0 || !is_word((unsigned char)text[p - 1])) &&
        (p + word.size() == text.size() || !is_word((unsigned char)text[p + word.size()])))
      return true;
  return false;
}

bool is_retweet(const rapidjson::Value& data) {
  if (!data.HasMember("referenced_tweets")) return false;
  for (const auto& r : data["referenced_tweets"].GetArray())
    if (std::string_view(r["type"].GetString()) == "retweeted") return true;
  return false;
}

}  // namespace

TEST_CASE("search query: X's grammar cut to the emulated Posts", "[bench][search]") {
  SearchFacts en_weather{"sunny weather today #f1 @nasa", "en", false, false, false, true, true, true, false};
  SearchFacts rt = en_weather;
  rt.retweet = true;
  SearchFacts ru{"привет мир", "ru", false, true, false, false, false, false, false};
  struct Row {
    const char* query;
    bool en, retweet, russian;
  };
  const Row rows[] = {
      {"weather", true, false, false},          // keyword: retweets excluded (X since May 2026)
      {"WEATHER", true, false, false},          // case-insensitive
      {"weath", false, false, false},           // whole words only
      {"\"weather today\"", true, false, false},
      {"#f1", true, false, false},
      {"#f", false, false, false},
      {"@nasa", true, false, false},
      {"lang:ru", false, false, true},
      {"is:retweet", false, true, false},       // operator-only query: retweets kept
      {"has:media -is:retweet", true, false, false},
      {"weather OR lang:ru", true, false, true},
      {"(weather OR привет) -lang:en", false, false, true},
      {"has:mentions -привет", true, true, false},  // a negated keyword does not drop retweets
      {"is:reply", false, false, true},
  };
  for (const auto& row : rows) {
    INFO(row.query);
    auto q = SearchQuery::parse(row.query);
    REQUIRE(std::holds_alternative<SearchQuery>(q));
    CHECK(std::get<SearchQuery>(q).matches(en_weather) == row.en);
    CHECK(std::get<SearchQuery>(q).matches(rt) == row.retweet);
    CHECK(std::get<SearchQuery>(q).matches(ru) == row.russian);
  }
  for (const char* bad : {"sample:10 weather", "weather bio:cats", "bio_name:x", "bio_location:paris", "(weather", "\"open",
                          "nosuchop:1", "from:XDevelopers", "weather OR"}) {
    INFO(bad);
    CHECK(std::holds_alternative<std::string>(SearchQuery::parse(bad)));
  }
  CHECK(std::get<std::string>(SearchQuery::parse("weather sample:10")).find("Reference to invalid operator 'sample'") !=
        std::string::npos);
}

TEST_CASE("search page tokens round-trip and refuse strangers", "[bench][search]") {
  for (std::uint64_t id : {0ULL, 1ULL, 2127973880803774464ULL, ~0ULL}) CHECK(parse_search_page_token(search_page_token(id)) == id);
  CHECK_FALSE(parse_search_page_token("x123"));
  CHECK_FALSE(parse_search_page_token("b!"));
  CHECK_FALSE(parse_search_page_token("bzzzzzzzzzzzzzzzz"));
}

TEST_CASE("a 30-minute window: search pages match the Recovery stream's Posts", "[bench][integration][search]") {
  EmuServer server(gap_config(AccessLevel::enterprise));
  server.start_thread();
  const std::int64_t now = unix_ms_now();
  const std::string start = iso_time(now - 29 * 60'000), end = iso_time(now - 60'000);

  // Recovery: the whole window, oldest first, then the body ends.
  auto rec = test::fetch_until_done(server.port(), "/2/tweets/search/stream?start_time=" + start + "&end_time=" + end, "", 20);
  REQUIRE(rec.status == 200);
  REQUIRE(rec.chunks.done());
  std::set<std::string> expected;
  std::size_t recovered = 0;
  std::string previous_id;
  for (const auto& line : test::split_lines(rec.chunks.body())) {
    if (line.empty()) continue;
    auto doc = parse_json(line);
    const auto& data = doc["data"];
    const std::string id = data["id"].GetString();
    // Some templates leave created_at out (as X does without tweet.fields): the id carries the time
    // (X's snowflake layout: ms since the Twitter epoch above 22 bits).
    const std::int64_t created = std::int64_t(std::stoull(id) >> 22) + 1288834974657;
    CHECK(created >= now - 29 * 60'000);
    CHECK(created < now - 60'000);
    CHECK(doc.HasMember("matching_rules"));
    CHECK((previous_id.empty() || previous_id.size() < id.size() || previous_id < id));  // oldest first
    previous_id = id;
    ++recovered;
    if (has_word(data["text"].GetString(), "weather") && !is_retweet(data)) expected.insert(id);
  }
  // 28 minutes at 2 Posts/s (the window is measured from the test's clock, a few ms off the emulator's).
  CHECK(recovered >= 3356);
  CHECK(recovered <= 3364);
  REQUIRE(expected.size() > 10);

  // Search: every page, newest first, no matching_rules, the same set as the reference.
  std::set<std::string> found;
  std::string token, last_id;
  int pages = 0;
  for (; pages < 50; ++pages) {
    auto r = get(server.port(), "/2/tweets/search/all?query=weather&max_results=100&start_time=" + start + "&end_time=" + end +
                                    (token.empty() ? "" : "&next_token=" + token));
    REQUIRE(r.status == 200);
    CHECK(r.headers["x-rate-limit-limit"] == "300");
    auto doc = parse_json(r.raw_body);
    for (const auto& p : doc["data"].GetArray()) {
      CHECK_FALSE(p.HasMember("matching_rules"));
      const std::string id = p["id"].GetString();
      CHECK((last_id.empty() || id < last_id));  // newest first across pages
      last_id = id;
      CHECK(found.insert(id).second);
    }
    if (!doc["meta"].HasMember("next_token")) break;
    const std::string next = doc["meta"]["next_token"].GetString();
    if (pages == 0) {
      // The same token gives the same page (X: tokens never expire).
      std::this_thread::sleep_for(std::chrono::milliseconds(1010));
      auto a = get(server.port(), "/2/tweets/search/all?query=weather&max_results=100&start_time=" + start + "&end_time=" + end + "&next_token=" + next);
      std::this_thread::sleep_for(std::chrono::milliseconds(1010));
      auto b = get(server.port(), "/2/tweets/search/all?query=weather&max_results=100&start_time=" + start + "&end_time=" + end + "&next_token=" + next);
      CHECK(a.status == 200);
      CHECK(parse_json(a.raw_body)["data"] == parse_json(b.raw_body)["data"]);
    }
    token = next;
    std::this_thread::sleep_for(std::chrono::milliseconds(1010));  // /all: 1 request per second
  }
  std::vector<std::string> missing, extra;
  std::set_difference(expected.begin(), expected.end(), found.begin(), found.end(), std::back_inserter(missing));
  std::set_difference(found.begin(), found.end(), expected.begin(), expected.end(), std::back_inserter(extra));
  INFO("found " << found.size() << ", expected " << expected.size());
  CHECK(missing.empty());
  CHECK(extra.empty());
}

TEST_CASE("search: X's parameter limits and operator gaps", "[bench][integration][search]") {
  auto cfg = gap_config(AccessLevel::payg);
  cfg.search_all_min_interval_ms = 0;
  EmuServer server(cfg);
  server.start_thread();
  const int port = server.port();
  auto invalid = [&](const std::string& target, const std::string& needle) {
    INFO(target);
    auto r = get(std::uint16_t(port), target);
    CHECK(r.status == 400);
    CHECK(r.headers["content-type"].find("application/problem+json") == 0);
    auto doc = parse_json(r.raw_body);
    CHECK(std::string(doc["type"].GetString()) == "https://api.twitter.com/2/problems/invalid-request");
    CHECK(std::string(doc["errors"][0]["message"].GetString()).find(needle) != std::string::npos);
  };
  invalid("/2/tweets/search/recent?query=cats%20bio:cats", "Reference to invalid operator 'bio'");
  invalid("/2/tweets/search/recent?query=sample:10%20cats", "Reference to invalid operator 'sample'");
  invalid("/2/tweets/search/recent", "can not be empty");
  invalid("/2/tweets/search/recent?query=" + std::string(1025, 'a'), "max allowed query length of 1024");
  invalid("/2/tweets/search/recent?query=cats&max_results=101", "not between 10 and 100");
  invalid("/2/tweets/search/recent?query=cats&max_results=9", "not between 10 and 100");
  invalid("/2/tweets/search/all?query=cats&max_results=501", "not between 10 and 500");
  invalid("/2/tweets/search/recent?query=cats&start_time=" + iso_time(unix_ms_now() - 8LL * 86400'000), "must be on or after");
  invalid("/2/tweets/search/recent?query=cats&end_time=" + iso_time(unix_ms_now()), "10 seconds prior");
  invalid("/2/tweets/search/recent?query=cats&next_token=nope", "next_token");
  CHECK(get(std::uint16_t(port), "/2/tweets/search/all?query=cats&max_results=500").status == 200);
  CHECK(get(std::uint16_t(port), "/2/tweets/search/recent?query=" + std::string(1024, 'a')).status == 200);
  // Pay-per-use has no Recovery: the stream refuses a window.
  auto r = get(std::uint16_t(port), "/2/tweets/search/stream?start_time=" + iso_time(unix_ms_now() - 600'000));
  CHECK(r.status == 403);
}

TEST_CASE("search access: Enterprise queries up to 4,096 - Pro has no full archive", "[bench][integration][search]") {
  EmuServer ent(gap_config(AccessLevel::enterprise));
  ent.start_thread();
  CHECK(get(ent.port(), "/2/tweets/search/recent?query=" + std::string(4096, 'a')).status == 200);
  CHECK(get(ent.port(), "/2/tweets/search/recent?query=" + std::string(4097, 'a')).status == 400);
  EmuServer pro(gap_config(AccessLevel::pro));
  pro.start_thread();
  auto r = get(pro.port(), "/2/tweets/search/all?query=cats");
  CHECK(r.status == 403);
  CHECK(r.headers.count("x-rate-limit-limit") == 1);
  CHECK(get(pro.port(), "/2/tweets/search/recent?query=cats").status == 200);
}

TEST_CASE("search rate limits: X's headers and 429 bodies", "[bench][integration][search]") {
  auto cfg = gap_config(AccessLevel::payg);
  cfg.search_all_per_window = 2;
  cfg.search_recent_per_window = 3;
  EmuServer server(cfg);
  server.start_thread();
  // /all: one request per second; the refusal spends nothing from the 15-minute window.
  auto a = get(server.port(), "/2/tweets/search/all?query=cats");
  auto b = get(server.port(), "/2/tweets/search/all?query=cats");
  CHECK(a.status == 200);
  CHECK(a.headers["x-rate-limit-remaining"] == "1");
  CHECK(b.status == 429);
  CHECK(b.raw_body == test::testdata("error_429_rate_limited.json"));
  CHECK(b.headers["x-rate-limit-remaining"] == "1");
  std::this_thread::sleep_for(std::chrono::milliseconds(1010));
  CHECK(get(server.port(), "/2/tweets/search/all?query=cats").status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1010));
  auto c = get(server.port(), "/2/tweets/search/all?query=cats");
  CHECK(c.status == 429);
  CHECK(c.headers["x-rate-limit-remaining"] == "0");
  CHECK(std::stoll(c.headers["x-rate-limit-reset"]) > test::unix_now_s());
  // recent has its own window.
  for (int i = 0; i < 3; ++i) CHECK(get(server.port(), "/2/tweets/search/recent?query=cats").status == 200);
  auto d = get(server.port(), "/2/tweets/search/recent?query=cats");
  CHECK(d.status == 429);
  CHECK(d.headers["x-rate-limit-limit"] == "3");
}

TEST_CASE("recovery windows: 24 h back at most, and they take a connection slot", "[bench][integration][recovery]") {
  EmuServer server(gap_config(AccessLevel::enterprise));
  server.start_thread();
  auto r = get(server.port(), "/2/tweets/search/stream?start_time=" + iso_time(unix_ms_now() - 25LL * 3600'000));
  CHECK(r.status == 400);
  CHECK(std::string(parse_json(r.raw_body)["errors"][0]["message"].GetString()).find("last 24 hours") != std::string::npos);
  CHECK(get(server.port(), "/2/tweets/search/stream?end_time=" + iso_time(unix_ms_now() - 60'000)).status == 400);
  // Enterprise holds 2 connections: two live streams leave no slot for a recovery connection.
  test::TestClient live1(server.port()), live2(server.port());
  live1.get("/2/tweets/search/stream");
  live2.get("/2/tweets/search/stream");
  auto head = [](const Response& x) { return x.status != 0; };
  CHECK(test::read_response(live1, head).status == 200);
  CHECK(test::read_response(live2, head).status == 200);
  auto busy = get(server.port(), "/2/tweets/search/stream?start_time=" + iso_time(unix_ms_now() - 600'000));
  CHECK(busy.status == 429);
  CHECK(busy.raw_body == test::testdata("connect_429_too_many_connections.json"));
}
