// log_format = "json" end to end: `spillway run` against the emulator through 503s, a stop and a 401, and
// a config error with SPILLWAY_LOG_FORMAT=json. Every stderr line must parse as one JSON object with ts,
// level and msg; the reconnect and stop lines carry their structured fields (reason, status, wait_ms);
// the token appears nowhere.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

const std::string token = "SECRET-json-log-leakcheck-4e1d";

// Every line of `log`, parsed; a line that is not a JSON object with ts/level/msg fails the test.
std::vector<rapidjson::Document> parse_lines(const std::string& log) {
  std::vector<rapidjson::Document> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    INFO("line: " << line);
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    REQUIRE_FALSE(doc.HasParseError());
    REQUIRE(doc.IsObject());
    REQUIRE(doc.HasMember("ts"));
    REQUIRE(doc.HasMember("level"));
    REQUIRE(doc.HasMember("msg"));
    out.push_back(std::move(doc));
  }
  return out;
}

std::string text_of(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : std::string();
}

// spillway-emu with scripted faults, and a config for `spillway run` in log_format = "json".
struct json_rig {
  explicit json_rig(const std::string& faults) {
    std::ofstream(dir.str("faults.json")) << faults;
    emu = std::make_unique<emulator_process>(
        dir, std::vector<std::string>{"--bearer", token, "--rate", "200", "--faults", dir.str("faults.json")});
    const std::string& url = emu->url;
    std::ofstream(dir.str("spillway.toml"))
        << "log_format = \"json\"\n[stream]\nbase_url = \"" << url << "\"\n[sinks.rocksdb]\npath = \"" << dir.str("db")
        << "\"\n[metrics]\nenabled = false\n[reconnect]\nhttp_base = \"200ms\"\nhttp_cap = \"2s\"\njitter = \"none\"\n";
  }
  std::unique_ptr<child_process> start_run() const {
    return std::make_unique<child_process>(
        std::vector<std::string>{bin("spillway"), "run", "--config", dir.str("spillway.toml")}, dir.str("run.log"),
        std::vector<std::pair<std::string, std::string>>{{"X_BEARER_TOKEN", token}});
  }
  ~json_rig() {
    emu->signal(SIGTERM);
    (void)emu->wait(10s);
  }
  json_rig(const json_rig&) = delete;
  json_rig& operator=(const json_rig&) = delete;

  temp_dir dir{"spillway-json-log"};
  std::unique_ptr<emulator_process> emu;
};

}  // namespace

TEST_CASE("json logs: reconnects after 503 carry reason, status and wait_ms - every line parses",
          "[integration][e2e][log]") {
  json_rig rig(R"([{"action":"status","status":503,"connects":2}])");
  auto run = rig.start_run();
  REQUIRE(eventually([&] { return stored_posts(rig.dir.str("db")) > 0; }, 20s, 50ms));
  run->signal(SIGTERM);
  const auto code = run->wait(30s);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  const std::string log = slurp(rig.dir.str("run.log"));
  INFO(log.substr(0, 4000));
  const auto lines = parse_lines(log);
  std::vector<std::int64_t> waits;
  bool stopped = false;
  for (const auto& l : lines) {
    if (text_of(l, "reason") == "server_error") {
      CHECK(text_of(l, "level") == "warn");
      REQUIRE(l.HasMember("status"));
      CHECK(l["status"].GetInt64() == 503);
      REQUIRE(l.HasMember("wait_ms"));
      waits.push_back(l["wait_ms"].GetInt64());
      CHECK(text_of(l, "msg").find("reconnecting in") != std::string::npos);
    }
    if (text_of(l, "msg").rfind("stopped:", 0) == 0) stopped = true;
  }
  CHECK(waits == std::vector<std::int64_t>{200, 400});  // http_base, doubled; jitter none
  CHECK(stopped);
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find("SECRET") == std::string::npos);
}

TEST_CASE("json logs: a 401 stop is one error line with reason and status, and no token",
          "[integration][e2e][log]") {
  json_rig rig(R"([{"action":"status","status":401,"connects":5}])");
  auto run = rig.start_run();
  const auto code = run->wait(20s);
  REQUIRE(code.has_value());
  CHECK(*code == 3);
  const std::string log = slurp(rig.dir.str("run.log"));
  INFO(log.substr(0, 4000));
  const auto lines = parse_lines(log);
  int stops = 0;
  for (const auto& l : lines) {
    if (text_of(l, "reason") != "unauthorized") continue;
    ++stops;
    CHECK(text_of(l, "level") == "error");
    REQUIRE(l.HasMember("status"));
    CHECK(l["status"].GetInt64() == 401);
    CHECK_FALSE(l.HasMember("wait_ms"));
  }
  CHECK(stops == 1);
  CHECK(log.find(token) == std::string::npos);
  CHECK(log.find("SECRET") == std::string::npos);
}

TEST_CASE("json logs: SPILLWAY_LOG_FORMAT=json makes even a config error a JSON line",
          "[integration][e2e][log]") {
  temp_dir dir{"spillway-json-log-config"};
  std::ofstream(dir.str("bad.toml")) << "log_level = \"loud\"\n[stream]\nbase_url = \"http://127.0.0.1:1\"\n";
  const auto r = run_to_end({bin("spillway"), "run", "--config", dir.str("bad.toml")}, dir.str("out.log"),
                            {{"SPILLWAY_LOG_FORMAT", "json"}});
  CHECK(r.code == 2);
  INFO(r.out);
  const auto lines = parse_lines(r.out);
  REQUIRE_FALSE(lines.empty());
  CHECK(text_of(lines[0], "level") == "error");
  CHECK(text_of(lines[0], "msg").find("log_level") != std::string::npos);  // names the bad key and its values
  CHECK(text_of(lines[0], "msg").find("must be one of") != std::string::npos);
}
