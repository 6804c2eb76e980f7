// Rules endpoints: X's shapes for list, add (created, duplicate, invalid, dry_run), delete, and the
// 409 on connect while no rules exist (--require-rules).
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "bench/emu/emu_server.hpp"
#include "bench/emu/rule_store.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::read_response;
using test::Response;
using test::TestClient;
using test::testdata;

namespace {

constexpr std::int64_t kNow = 1764418000000;

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

Response request(std::uint16_t port, const std::string& method, const std::string& target, const std::string& body = "") {
  TestClient c(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n";
  if (!body.empty()) req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  c.send(req + "\r\n" + body);
  return read_response(c, [](const Response&) { return false; });
}

}  // namespace

TEST_CASE("rule store: add, duplicate, invalid, dry_run, list, delete", "[bench][rules]") {
  RuleStore store;
  auto empty = parse(store.get("", kNow).body);
  CHECK_FALSE(empty.HasMember("data"));
  CHECK(empty["meta"]["result_count"].GetUint() == 0);

  auto dry = store.post("dry_run=true", R"({"add":[{"value":"cat has:images","tag":"cats with images"}]})", kNow);
  CHECK(dry.status == 200);
  CHECK(parse(dry.body)["meta"]["summary"]["valid"].GetUint() == 1);
  CHECK(store.size() == 0);

  auto created = store.post("", R"({"add":[{"value":"cat has:images","tag":"cats with images"}]})", kNow);
  CHECK(created.status == 201);
  auto c = parse(created.body);
  const auto& sample = parse(testdata("rules_add_created_docs.json"));
  CHECK(c["meta"]["summary"] == sample["meta"]["summary"]);
  const std::string id = c["data"][0]["id"].GetString();
  CHECK(id.size() == 19);
  CHECK(std::string(c["data"][0]["tag"].GetString()) == "cats with images");

  auto dup = parse(store.post("", R"({"add":[{"value":"cat has:images"}]})", kNow).body);
  CHECK(std::string(dup["errors"][0]["title"].GetString()) == "DuplicateRule");
  CHECK(std::string(dup["errors"][0]["id"].GetString()) == id);
  CHECK(dup["meta"]["summary"] == parse(testdata("rules_add_duplicate.json"))["meta"]["summary"]);

  auto bad = parse(store.post("", R"({"add":[{"value":"--b"}]})", kNow).body);
  const auto invalid = parse(testdata("rules_add_invalid.json"));
  CHECK(bad["errors"][0] == invalid["errors"][0]);
  CHECK(bad["meta"]["summary"] == invalid["meta"]["summary"]);

  auto listed = parse(store.get("", kNow).body);
  REQUIRE(listed["data"].Size() == 1);
  CHECK(listed["meta"]["result_count"].GetUint() == 1);

  auto del = parse(store.post("", R"({"delete":{"ids":[")" + id + R"(","1"]}})", kNow).body);
  CHECK(del["meta"]["summary"]["deleted"].GetUint() == 1);
  CHECK(del["meta"]["summary"]["not_deleted"].GetUint() == 1);
  CHECK(store.size() == 0);
  CHECK(store.post("", "not json", kNow).status == 400);
}

TEST_CASE("rules over HTTP, and 409 on connect with no rules", "[bench][integration][rules]") {
  EmuConfig cfg;
  cfg.pool_size = 32;
  cfg.bearer = "t";
  cfg.require_rules = true;
  cfg.count = 3;
  EmuServer server(cfg);
  server.start_thread();
  auto r = request(server.port(), "GET", "/2/tweets/search/stream");
  CHECK(r.status == 409);
  CHECK(r.raw_body == testdata("connect_409_no_rules.json"));
  r = request(server.port(), "POST", "/2/tweets/search/stream/rules", R"({"add":[{"value":"news lang:en","tag":"news"}]})");
  CHECK(r.status == 201);
  CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
  CHECK(r.headers["x-rate-limit-limit"] == "100");
  r = request(server.port(), "GET", "/2/tweets/search/stream/rules");
  CHECK(r.status == 200);
  CHECK(r.headers["x-rate-limit-limit"] == "450");
  CHECK(parse(r.raw_body)["meta"]["result_count"].GetUint() == 1);
  TestClient s(server.port());
  s.get("/2/tweets/search/stream", "t");
  CHECK(read_response(s, [](const Response& x) { return x.chunks.done(); }).chunks.done());
}
