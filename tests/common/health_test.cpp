// health_registry: every check runs per evaluation, the report is ok only when all pass, and the JSON
// names each failing check with its reason, escaped (RFC 8259).
#include <catch2/catch.hpp>

#include <atomic>

#include <rapidjson/document.h>

#include "common/health.hpp"

using spillway::common::health_registry;
using spillway::common::health_status;

TEST_CASE("health_registry: no check is ok - a failing check fails the report and says why", "[health]") {
  health_registry h;
  CHECK(h.evaluate().ok);
  CHECK(h.evaluate().json == "{\"status\":\"ok\",\"checks\":[]}\n");

  std::atomic<bool> up{true};
  h.add("stream", [&] { return up.load() ? health_status::pass() : health_status::fail("not \"connected\"\n\x01"); });
  h.add("rocksdb", [] { return health_status::pass(); });
  auto report = h.evaluate();
  CHECK(report.ok);
  CHECK(report.json == "{\"status\":\"ok\",\"checks\":[{\"name\":\"stream\",\"ok\":true},{\"name\":\"rocksdb\",\"ok\":true}]}\n");

  up = false;  // evaluated per call, never cached
  report = h.evaluate();
  CHECK_FALSE(report.ok);
  rapidjson::Document d;
  d.Parse(report.json.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["status"].GetString()) == "failing");
  CHECK(std::string(d["checks"][0]["why"].GetString()) == "not \"connected\"\n\x01");
  CHECK(d["checks"][0]["ok"].GetBool() == false);
  CHECK(d["checks"][1]["ok"].GetBool() == true);
  CHECK(report.json.find("\\u0001") != std::string::npos);
}

TEST_CASE("health_registry: a check that throws fails with the exception's message", "[health]") {
  health_registry h;
  h.add("kafka", []() -> health_status { throw std::runtime_error("boom"); });
  const auto report = h.evaluate();
  CHECK_FALSE(report.ok);
  CHECK(report.json.find("the check itself failed: boom") != std::string::npos);
}
