// RocksDB's info log goes through spdlog (sinks/rocksdb/spdlog_logger), never to a LOG file in the
// database directory: a LOG write on a full disk aborted the process inside RocksDB (issue 10).
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "sinks/rocksdb/spdlog_logger.hpp"
#include "sinks/rocksdb/store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway;

namespace {

// Routes spdlog's default logger into a string for the scope (and restores the previous one).
class captured_log {
 public:
  explicit captured_log(spdlog::level::level_enum level) : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out_);
    sink->set_pattern("[%l] %v");
    auto logger = std::make_shared<spdlog::logger>("captured", sink);
    logger->set_level(level);
    spdlog::set_default_logger(logger);
  }
  ~captured_log() { spdlog::set_default_logger(previous_); }
  captured_log(const captured_log&) = delete;
  captured_log& operator=(const captured_log&) = delete;
  [[nodiscard]] std::string text() const { return out_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream out_;
};

}  // namespace

TEST_CASE("spdlog_logger: RocksDB lines reach spdlog at the mapped level, prefixed", "[sinks][rocksdb]") {
  captured_log log(spdlog::level::debug);
  auto logger = std::make_shared<sinks::spdlog_logger>();
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, logger, "stall %d ms\n", 42);
  rocksdb::Log(rocksdb::InfoLogLevel::ERROR_LEVEL, logger, "benign %s", "open");
  rocksdb::Log(rocksdb::InfoLogLevel::FATAL_LEVEL, logger, "fatal %s", "thing");
  rocksdb::Log(rocksdb::InfoLogLevel::INFO_LEVEL, logger, "flush %s", "done");
  rocksdb::Log(rocksdb::InfoLogLevel::DEBUG_LEVEL, logger, "below the logger's level");
  const auto text = log.text();
  CHECK(text.find("[warning] rocksdb: stall 42 ms\n") != std::string::npos);  // the trailing newline is not doubled
  CHECK(text.find("[warning] rocksdb: benign open") != std::string::npos);
  CHECK(text.find("[error] rocksdb: fatal thing") != std::string::npos);
  CHECK(text.find("[debug] rocksdb: flush done") != std::string::npos);
  CHECK(text.find("below the logger's level") == std::string::npos);
}

TEST_CASE("spdlog_logger: a line longer than the buffer is cut, not overrun", "[sinks][rocksdb]") {
  captured_log log(spdlog::level::debug);
  auto logger = std::make_shared<sinks::spdlog_logger>();
  const std::string big(5000, 'a');
  rocksdb::Log(rocksdb::InfoLogLevel::WARN_LEVEL, logger, "%s", big.c_str());
  const auto text = log.text();
  CHECK(text.find(std::string(1023, 'a')) != std::string::npos);
  CHECK(text.find(std::string(1024, 'a')) == std::string::npos);
}

TEST_CASE("store: RocksDB writes no LOG file in the database directory", "[sinks][rocksdb]") {
  testing::temp_dir dir("spillway-nolog");
  {
    sinks::store db(dir.str("db"), sinks::open_mode::read_write);
    sinks::commit_batch batch(db);
    batch.put_post(1, R"({"data":{"id":"1"}})");
    REQUIRE(db.commit(batch, true).has_value());
  }
  { sinks::store ro(dir.str("db"), sinks::open_mode::read_only); }
  CHECK(std::filesystem::exists(dir.str("db") + "/CURRENT"));
  for (const auto& entry : std::filesystem::directory_iterator(dir.str("db"))) {
    INFO(entry.path().filename().string());
    CHECK_FALSE(entry.path().filename().string().starts_with("LOG"));
  }
}
