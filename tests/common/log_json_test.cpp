// JSON log lines: one object per line, ts/level/msg first, structured fields with their JSON types, and
// every line valid JSON whatever bytes the message carries (a log shipper drops a line it cannot parse).
#include <catch2/catch.hpp>

#include <sstream>

#include <rapidjson/document.h>
#include <spdlog/sinks/ostream_sink.h>

#include "common/log.hpp"
#include "common/log_json.hpp"

using spillway::common::json_log_formatter;
using spillway::common::log_field;
using spillway::common::log_with;

namespace {

// Routes the default logger into a string stream, JSON formatted, for the test's lifetime.
class captured_log {
 public:
  captured_log() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("json-test", sink);
    logger->set_formatter(std::make_unique<json_log_formatter>());
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~captured_log() { spdlog::set_default_logger(previous_); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;

  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

rapidjson::Document parse(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  INFO(line);
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  return doc;
}

}  // namespace

TEST_CASE("json log: ts, level and msg, then the fields with their types", "[log]") {
  captured_log log;
  log_with(spdlog::level::warn, {{"reason", "server_error"}, {"status", 503}, {"wait_ms", std::int64_t{5000}},
                                 {"healthy", false}, {"ratio", 0.25}},
           "X answered {}; reconnecting in {} ms", 503, 5000);
  const auto lines = log.lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("{\"ts\":\"", 0) == 0);
  const auto doc = parse(lines[0]);
  const std::string ts = doc["ts"].GetString();
  // 2026-12-02T04:30:00.123Z: UTC with milliseconds.
  REQUIRE(ts.size() == 24);
  CHECK(ts[4] == '-');
  CHECK(ts[10] == 'T');
  CHECK(ts[19] == '.');
  CHECK(ts[23] == 'Z');
  CHECK(std::string(doc["level"].GetString()) == "warn");
  CHECK(std::string(doc["msg"].GetString()) == "X answered 503; reconnecting in 5000 ms");
  CHECK(std::string(doc["reason"].GetString()) == "server_error");
  CHECK(doc["status"].IsInt64());
  CHECK(doc["status"].GetInt64() == 503);
  CHECK(doc["wait_ms"].GetInt64() == 5000);
  CHECK(doc["healthy"].IsBool());
  CHECK_FALSE(doc["healthy"].GetBool());
  CHECK(doc["ratio"].GetDouble() == 0.25);
}

TEST_CASE("json log: plain spdlog calls are JSON too, without fields - levels use the config's names", "[log]") {
  captured_log log;
  spdlog::error("plain {}", "error");
  spdlog::info("plain info");
  spdlog::critical("plain critical");
  const auto lines = log.lines();
  REQUIRE(lines.size() == 3);
  const std::vector<std::string> levels{"error", "info", "critical"};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto doc = parse(lines[i]);
    CHECK(std::string(doc["level"].GetString()) == levels[i]);
    CHECK(doc.MemberCount() == 3);  // ts, level, msg: the fields of an earlier log_with do not stick
  }
}

TEST_CASE("json log: quotes, newlines, control bytes and invalid UTF-8 still make one valid line", "[log]") {
  captured_log log;
  const std::string hostile = std::string("a \"quoted\" \\ path\nsecond line\t\x01\x1b[31m\x7f ") +
                              "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 " +  // é € 😀 stay as they are
                              "bad:\xff\xc3(\xed\xa0\x80\xe2\x82";              // invalid bytes and a torn tail
  log_with(spdlog::level::info, {{"sample", hostile}}, "{}", hostile);
  const auto lines = log.lines();
  REQUIRE(lines.size() == 1);  // the newline in the message was escaped, not written
  const auto doc = parse(lines[0]);
  const std::string msg = doc["msg"].GetString();
  CHECK(msg == std::string(doc["sample"].GetString()));
  CHECK(msg.find("a \"quoted\" \\ path\nsecond line\t\x01\x1b[31m\x7f caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 bad:") == 0);
  // Each byte that starts no well-formed sequence became U+FFFD (EF BF BD).
  const std::string tail = msg.substr(msg.find("bad:") + 4);
  const std::string fffd = "\xef\xbf\xbd";
  CHECK(tail == fffd + fffd + "(" + fffd + fffd + fffd + fffd + fffd);
  CHECK(lines[0].find('\x1b') == std::string::npos);  // no raw escape byte reaches the terminal or the shipper
}

TEST_CASE("json log: fields are dropped when the level is filtered out, and restored after a nested call", "[log]") {
  captured_log log;
  spdlog::default_logger()->set_level(spdlog::level::info);
  log_with(spdlog::level::debug, {{"reason", "hidden"}}, "not written");
  log_with(spdlog::level::info, {{"outer", 1}}, "outer");
  spdlog::default_logger()->set_level(spdlog::level::trace);
  const auto lines = log.lines();
  REQUIRE(lines.size() == 1);
  const auto doc = parse(lines[0]);
  CHECK(doc["outer"].GetInt64() == 1);
  CHECK_FALSE(doc.HasMember("reason"));
  CHECK(spillway::common::detail::current_log_fields().empty());
}

TEST_CASE("parse_log_format: json, else text", "[log]") {
  using spillway::common::log_format;
  using spillway::common::parse_log_format;
  CHECK(parse_log_format("json") == log_format::json);
  CHECK(parse_log_format("text") == log_format::text);
  CHECK(parse_log_format("") == log_format::text);
  CHECK(parse_log_format("JSON") == log_format::text);
}
