// GET /api/v2/status.json: the statuspage.io summary, per --status, with no authentication.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "bench/emu/emu_server.hpp"
#include "tests/bench/emu_test_client.hpp"

using namespace spillway::emu;
using test::http_request;

TEST_CASE("status page: indicator and description per --status, no auth needed", "[bench][integration][status]") {
  const std::pair<StatusLevel, const char*> table[] = {
      {StatusLevel::none, R"("indicator":"none","description":"All Systems Operational")"},
      {StatusLevel::minor, R"("indicator":"minor","description":"Minor Service Outage")"},
      {StatusLevel::major, R"("indicator":"major","description":"Partial System Outage")"},
      {StatusLevel::critical, R"("indicator":"critical","description":"Major System Outage")"},
  };
  for (const auto& [level, status] : table) {
    EmuConfig cfg;
    cfg.pool_size = 16;
    cfg.bearer = "secret";  // not needed for the status page
    cfg.status = level;
    EmuServer server(cfg);
    server.start_thread();
    auto r = http_request(server.port(), "GET", "/api/v2/status.json");
    INFO(status);
    CHECK(r.status == 200);
    CHECK(r.headers["content-type"] == "application/json; charset=utf-8");
    CHECK(r.headers.count("x-rate-limit-limit") == 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(server.port());
    CHECK(r.raw_body == R"js({"page":{"id":"emu","name":"X API (emulated)","url":")js" + url + R"("},"status":{)" +
                            status + "}}");
    rapidjson::Document d;
    CHECK_FALSE(d.Parse(r.raw_body.c_str()).HasParseError());
    CHECK(http_request(server.port(), "POST", "/api/v2/status.json").status == 405);
  }
}

TEST_CASE("status page: default is none", "[bench][integration][status]") {
  EmuConfig cfg;
  cfg.pool_size = 16;
  EmuServer server(cfg);
  server.start_thread();
  const auto r = http_request(server.port(), "GET", "/api/v2/status.json");
  CHECK(r.status == 200);
  CHECK(r.raw_body.find(R"("indicator":"none")") != std::string::npos);
}
