#pragma once
// Test support for the `kafka` suite: child processes (the mock broker, kcat, our consumer), a temporary
// RocksDB store, and Posts committed the way the pipeline commits them (tweets + outbox in one batch).
// Every child is ended by its pid and waited for; every wait is bounded.
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.hpp"
#include "common/post_source.hpp"
#include "config/settings.hpp"
#include "sinks/post_extractor.hpp"
#include "sinks/kafka/kafka_sink.hpp"
#include "sinks/post_sink.hpp"
#include "sinks/rocksdb/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace spillway::test {

// Debian's librdkafka 2.0.2 starts its threads with C11 thrd_create, which GCC 12's libtsan does not
// intercept: the first allocation on such a thread crashes inside TSan (seen in rdk:broker and rdk:mock).
// Under -fsanitize=thread, tests that run librdkafka's threads say so and end early; the tracker, header,
// relay and configuration tests still run there. ASan/UBSan builds run everything.
#if defined(__SANITIZE_THREAD__)
inline constexpr bool librdkafka_threads_unusable = true;
#else
inline constexpr bool librdkafka_threads_unusable = false;
#endif
#define SPILLWAY_NEEDS_LIBRDKAFKA_THREADS()                                                          \
  do {                                                                                               \
    if (spillway::test::librdkafka_threads_unusable) {                                               \
      WARN("not run under ThreadSanitizer: librdkafka's C11 threads are invisible to GCC 12 libtsan"); \
      return;                                                                                        \
    }                                                                                                \
  } while (0)

class child_process {
 public:
  // Starts argv[0] (a path) with stdout piped to us; stdin piped when `with_stdin`.
  child_process(const std::vector<std::string>& argv, bool with_stdin);
  ~child_process();  // SIGTERM, bounded wait, then SIGKILL
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  // One line of stdout without '\n'; "" when none arrived within the timeout or at EOF.
  std::string read_line(std::chrono::milliseconds timeout);
  // Everything on stdout until EOF or the timeout.
  std::string read_all(std::chrono::milliseconds timeout);
  void write_line(const std::string& line);
  void close_stdin();
  // Exit status (0..255), or -1 when it did not exit within the timeout (then it is killed).
  int wait_exit(std::chrono::milliseconds timeout);
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  std::string buf_;
  bool exited_ = false;
  int status_ = -1;
};

// spillway-kafka-mock as a child process, driven over its stdin.
class mock_broker {
 public:
  explicit mock_broker(int brokers = 1, const std::vector<std::string>& topics = {"x.posts:3"});
  [[nodiscard]] const std::string& bootstrap() const noexcept { return bootstrap_; }
  // Sends one command and returns the reply line ("ok ..." / "error ...").
  std::string command(const std::string& line);
  child_process& process() noexcept { return proc_; }

 private:
  child_process proc_;
  std::string bootstrap_;
};

// One record read back from Kafka.
struct kafka_record {
  std::string topic;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads `topic` with kcat (-C -e -J) until the end of every partition.
std::vector<kafka_record> read_with_kcat(const std::string& bootstrap, const std::string& topic);
// Reads `topic` with spillway-kafka-consume --format json until `expect` records (or idle when 0).
std::vector<kafka_record> read_with_consumer(const std::string& bootstrap, const std::string& topic,
                                             std::uint64_t expect);

using testing::temp_dir;  // tests/support: a fresh directory, removed at scope exit

// A Post as the pipeline hands it over: the line in a padded buffer, its extracted fields.
struct test_post {
  std::string buffer;  // line + simdjson padding
  std::size_t length = 0;
  sinks::extracted_post fields;
  std::int64_t received_ms = 0;
  common::post_source source = common::post_source::stream;  // the spillway_source header it must get
  [[nodiscard]] std::string_view line() const noexcept { return {buffer.data(), length}; }
  [[nodiscard]] std::uint64_t id() const noexcept { return fields.id; }
};

// The real payloads under SPILLWAY_TESTDATA_DIR (stream_tweet_*.json) followed by generated ones
// (escapes, unicode, several rules, a rule without a tag), `count` in all, distinct ids.
std::vector<std::unique_ptr<test_post>> make_posts(std::size_t count, std::uint64_t first_generated_id = 1800000000000000000ull);

// Writes the Posts to tweets and one outbox record in one commit_batch (as the pipeline does), then hands
// them to the sink.
void commit_posts(sinks::store& db, sinks::post_sink* sink, const std::vector<std::unique_ptr<test_post>>& posts,
                  std::size_t begin, std::size_t end);

// Posts in the outbox column family (single entries and those listed in records).
std::size_t outbox_entries(const sinks::store& db);

// The headers the sink must attach to `post`, derived independently with RapidJSON, in canonical JSON.
// Compare with canonical_headers() of what Kafka returned.
std::map<std::string, std::string> expected_headers(const test_post& post);
std::map<std::string, std::string> canonical_headers(const std::map<std::string, std::string>& headers);

config::kafka_settings kafka_settings_for(const std::string& bootstrap,
                                          std::vector<std::pair<std::string, std::string>> properties = {});

// Polls the sink until `done()` or the timeout; returns done().
template <typename F>
bool poll_until(sinks::post_sink& sink, F&& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done() && std::chrono::steady_clock::now() < until) {
    sink.poll();
    ::usleep(5000);
  }
  return done();
}

// The usual integration set-up: a mock broker, a fresh store, Posts, and (after start()) a sink.
struct kafka_rig {
  explicit kafka_rig(std::size_t post_count, const std::vector<std::string>& topics = {"x.posts:3"}, int brokers = 1);

  sinks::kafka::kafka_sink& start(std::vector<std::pair<std::string, std::string>> properties = {});
  sinks::kafka::kafka_sink& start(const config::kafka_settings& settings);
  // Commits posts[begin, end) in pipeline-sized batches, polling the sink between them.
  void commit(std::size_t begin, std::size_t end, std::size_t batch = 256);
  // Polls until the outbox is empty (true) or the timeout passed (false).
  bool drained(std::chrono::milliseconds timeout);
  std::int64_t counter(const std::string& name) { return metrics.counter(name, "").get(); }
  std::int64_t gauge(const std::string& name) { return metrics.gauge(name, "").get(); }

  mock_broker broker;
  temp_dir dir;
  sinks::store db;
  common::metrics_registry metrics;
  std::vector<std::unique_ptr<test_post>> posts;
  std::unique_ptr<sinks::kafka::kafka_sink> sink;
};

}  // namespace spillway::test
