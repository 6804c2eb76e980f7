// The kafka suite's support code (processes, readers, Posts) and the tests of spillway-kafka-mock and
// spillway-kafka-consume themselves.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "tests/kafka/kafka_test_support.hpp"

extern char** environ;

namespace spillway::test {

namespace {

using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

int remaining_ms(clock::time_point until) {
  return static_cast<int>(std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count()));
}

std::string canonical_json(std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError()) return "<invalid JSON: " + std::string(text) + ">";
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  d.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

kafka_record record_from_json(const rapidjson::Value& v, bool kcat_layout) {
  kafka_record r;
  r.topic = v["topic"].GetString();
  if (v.HasMember("key") && v["key"].IsString()) r.key.assign(v["key"].GetString(), v["key"].GetStringLength());
  const auto& payload = v[kcat_layout ? "payload" : "value"];
  if (payload.IsString()) r.value.assign(payload.GetString(), payload.GetStringLength());
  if (v.HasMember("headers")) {
    const auto& h = v["headers"];
    if (kcat_layout && h.IsArray()) {
      for (rapidjson::SizeType i = 0; i + 1 < h.Size(); i += 2) {
        r.headers[h[i].GetString()].assign(h[i + 1].GetString(), h[i + 1].GetStringLength());
      }
    } else if (h.IsObject()) {
      for (auto it = h.MemberBegin(); it != h.MemberEnd(); ++it) {
        r.headers[it->name.GetString()].assign(it->value.GetString(), it->value.GetStringLength());
      }
    }
  }
  return r;
}

std::vector<kafka_record> parse_json_lines(const std::string& text, bool kcat_layout) {
  std::vector<kafka_record> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    rapidjson::Document d;
    d.Parse(line.c_str(), line.size());
    if (d.HasParseError() || !d.IsObject()) throw std::runtime_error("unparseable record line: " + line);
    out.push_back(record_from_json(d, kcat_layout));
  }
  return out;
}

std::string generated_line(std::uint64_t id, std::size_t n) {
  // Escapes, unicode (raw and \u-escaped), a missing tag, several rules: what raw tokens must survive.
  static const char* tags[] = {R"("cats")", R"("dogs \"and\" more")", R"("caf\u00e9 ünï")", ""};
  std::string rules;
  const std::size_t rule_count = n % 4;
  for (std::size_t i = 0; i < rule_count; ++i) {
    if (i > 0) rules += ',';
    rules += R"({"id":")" + std::to_string(1600000000000000000ull + n * 10 + i) + '"';
    const char* tag = tags[(n / 4 + i) % 4];
    if (*tag != '\0') rules += std::string(R"(,"tag":)") + tag;
    rules += '}';
  }
  std::string text(40 + (n * 37) % 900, 'x');
  return R"({"data":{"id":")" + std::to_string(id) + R"(","text":"post )" + std::to_string(n) +
         R"( \"quoted\" \ud83d\ude00 é\t)" + text + R"("},"matching_rules":[)" + rules + "]}";
}

}  // namespace

child_process::child_process(const std::vector<std::string>& argv, bool with_stdin) {
  int out_pipe[2];
  int in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (with_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], STDOUT_FILENO);
  if (with_stdin) {
    posix_spawn_file_actions_adddup2(&fa, in_pipe[0], STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out_pipe[1]);
  if (with_stdin) ::close(in_pipe[0]);
  out_fd_ = out_pipe[0];
  in_fd_ = in_pipe[1];
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

child_process::~child_process() {
  if (in_fd_ >= 0) ::close(in_fd_);
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (wait_exit(5s) < 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string child_process::read_line(std::chrono::milliseconds timeout) {
  const auto until = clock::now() + timeout;
  for (;;) {
    const auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(until)) <= 0) return {};
    char chunk[65536];
    const auto n = ::read(out_fd_, chunk, sizeof chunk);
    if (n <= 0) return {};
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string child_process::read_all(std::chrono::milliseconds timeout) {
  const auto until = clock::now() + timeout;
  std::string out;
  out.swap(buf_);
  for (;;) {
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(until)) <= 0) return out;
    char chunk[65536];
    const auto n = ::read(out_fd_, chunk, sizeof chunk);
    if (n <= 0) return out;
    out.append(chunk, static_cast<std::size_t>(n));
  }
}

void child_process::write_line(const std::string& line) {
  const std::string data = line + "\n";
  if (::write(in_fd_, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    throw std::runtime_error("cannot write to the child's stdin");
  }
}

void child_process::close_stdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

int child_process::wait_exit(std::chrono::milliseconds timeout) {
  const auto until = clock::now() + timeout;
  while (!exited_) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (clock::now() >= until) return -1;
    ::usleep(10000);
  }
  return status_;
}

mock_broker::mock_broker(int brokers, const std::vector<std::string>& topics)
    : proc_([&] {
        std::vector<std::string> argv = {std::string(SPILLWAY_BIN_DIR) + "/spillway-kafka-mock", "--brokers",
                                         std::to_string(brokers)};
        for (const auto& t : topics) {
          argv.push_back("--topic");
          argv.push_back(t);
        }
        return argv;
      }(),
            true) {
  bootstrap_ = proc_.read_line(10s);
  if (bootstrap_.find("127.0.0.1:") != 0) throw std::runtime_error("mock broker did not start: '" + bootstrap_ + "'");
}

std::string mock_broker::command(const std::string& line) {
  proc_.write_line(line);
  return proc_.read_line(5s);
}

std::vector<kafka_record> read_with_kcat(const std::string& bootstrap, const std::string& topic) {
  child_process kcat({"/usr/bin/kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q"},
                     false);
  auto out = kcat.read_all(60s);
  REQUIRE(kcat.wait_exit(10s) == 0);
  return parse_json_lines(out, true);
}

std::vector<kafka_record> read_with_consumer(const std::string& bootstrap, const std::string& topic,
                                             std::uint64_t expect) {
  std::vector<std::string> argv = {std::string(SPILLWAY_BIN_DIR) + "/spillway-kafka-consume", "--bootstrap",
                                   bootstrap, "--topic", topic, "--format", "json", "--timeout-ms", "30000",
                                   "--idle-ms", "1500"};
  if (expect > 0) {
    argv.push_back("--expect");
    argv.push_back(std::to_string(expect));
  }
  child_process consumer(argv, false);
  auto out = consumer.read_all(60s);
  REQUIRE(consumer.wait_exit(10s) == 0);
  return parse_json_lines(out, false);
}

std::vector<std::unique_ptr<test_post>> make_posts(std::size_t count, std::uint64_t first_generated_id) {
  static sinks::post_extractor extractor(1 << 20);
  std::vector<std::string> lines;
  for (const auto& entry : std::filesystem::directory_iterator(SPILLWAY_TESTDATA_DIR)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("stream_tweet_", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string line((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  if (lines.size() > count) lines.resize(count);
  for (std::size_t n = lines.size(); n < count; ++n) lines.push_back(generated_line(first_generated_id + n, n));

  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<std::unique_ptr<test_post>> posts;
  std::map<std::uint64_t, bool> seen;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto p = std::make_unique<test_post>();
    p->length = lines[i].size();
    p->buffer = lines[i];
    p->buffer.resize(p->length + simdjson::SIMDJSON_PADDING, '\0');
    p->fields = extractor.extract(p->buffer.data(), p->length, p->buffer.size());
    p->received_ms = now_ms - static_cast<std::int64_t>(lines.size() - i);
    if (p->fields.kind != sinks::line_kind::post) throw std::runtime_error("test line is not a Post: " + lines[i]);
    if (seen[p->id()]) continue;  // two fixtures share an id: keep ids distinct
    seen[p->id()] = true;
    posts.push_back(std::move(p));
  }
  return posts;
}

void commit_posts(sinks::store& db, sinks::post_sink* sink, const std::vector<std::unique_ptr<test_post>>& posts,
                  std::size_t begin, std::size_t end) {
  sinks::commit_batch batch(db);
  std::vector<sinks::committed_post> committed;
  for (std::size_t i = begin; i < end; ++i) {
    const auto& p = *posts[i];
    batch.put_post(p.id(), p.line());
    batch.add_to_outbox_record(p.id(), p.received_ms, p.source);
    committed.push_back({p.id(), p.line(), &p.fields, p.received_ms, p.source, 0});
  }
  const auto record = db.next_outbox_record();
  batch.put_outbox_record(record);
  for (auto& c : committed) c.outbox_record = record;
  const auto written = db.commit(batch);
  INFO((written ? std::string() : written.error().message));
  REQUIRE(written.has_value());
  if (sink != nullptr) sink->on_committed(committed);
}

std::size_t outbox_entries(const sinks::store& db) {
  std::size_t n = 0;
  for (auto entry = db.outbox(); entry.valid(); entry.next()) ++n;
  return n;
}

std::map<std::string, std::string> expected_headers(const test_post& post) {
  rapidjson::Document d;
  d.Parse(post.line().data(), post.length);
  rapidjson::StringBuffer ids_sb, tags_sb;
  rapidjson::Writer<rapidjson::StringBuffer> ids(ids_sb), tags(tags_sb);
  ids.StartArray();
  tags.StartArray();
  if (d.HasMember("matching_rules")) {
    for (const auto& rule : d["matching_rules"].GetArray()) {
      ids.String(rule["id"].GetString(), rule["id"].GetStringLength());
      if (rule.HasMember("tag")) {
        tags.String(rule["tag"].GetString(), rule["tag"].GetStringLength());
      } else {
        tags.String("");
      }
    }
  }
  ids.EndArray();
  tags.EndArray();
  return {{"matching_rule_ids", ids_sb.GetString()},
          {"matching_rule_tags", tags_sb.GetString()},
          {"received_at", std::to_string(post.received_ms)},
          {"spillway_source", std::string(common::to_string(post.source))}};
}

std::map<std::string, std::string> canonical_headers(const std::map<std::string, std::string>& headers) {
  auto out = headers;
  for (auto& [name, value] : out) {
    if (name != "received_at" && name != "spillway_source") value = canonical_json(value);
  }
  return out;
}

config::kafka_settings kafka_settings_for(const std::string& bootstrap,
                                          std::vector<std::pair<std::string, std::string>> properties) {
  config::kafka_settings s;
  s.enabled = true;
  s.bootstrap_servers = bootstrap;
  s.topic = "x.posts";
  s.properties = std::move(properties);
  return s;
}

kafka_rig::kafka_rig(std::size_t post_count, const std::vector<std::string>& topics, int brokers)
    : broker(brokers, topics), db(dir.str(), sinks::open_mode::read_write), posts(make_posts(post_count)) {}

sinks::kafka::kafka_sink& kafka_rig::start(std::vector<std::pair<std::string, std::string>> properties) {
  return start(kafka_settings_for(broker.bootstrap(), std::move(properties)));
}

sinks::kafka::kafka_sink& kafka_rig::start(const config::kafka_settings& settings) {
  sink = std::make_unique<sinks::kafka::kafka_sink>(db, settings, metrics, 1 << 20);
  return *sink;
}

void kafka_rig::commit(std::size_t begin, std::size_t end, std::size_t batch) {
  for (std::size_t i = begin; i < end; i += batch) {
    commit_posts(db, sink.get(), posts, i, std::min(end, i + batch));
    sink->poll();
  }
}

bool kafka_rig::drained(std::chrono::milliseconds timeout) {
  if (!poll_until(*sink, [&] { return sink->outbox_posts() == 0; }, timeout)) return false;
  // Deletes are written in batches; a short flush writes what is pending so the store can be checked.
  return sink->flush(std::chrono::milliseconds(100)) == 0;
}

}  // namespace spillway::test

using namespace spillway::test;

TEST_CASE("spillway-kafka-mock answers its commands", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  mock_broker broker(2, {"x.posts:2"});
  CHECK(broker.command("topic extra 4") == "ok topic extra 4");
  CHECK(broker.command("down 2") == "ok down 2");
  CHECK(broker.command("up 2") == "ok up 2");
  CHECK(broker.command("down 3").rfind("error broker id '3' out of range", 0) == 0);
  CHECK(broker.command("produce-errors 2 NOT_ENOUGH_REPLICAS") == "ok produce-errors 2 NOT_ENOUGH_REPLICAS");
  CHECK(broker.command("produce-errors 1 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT") == "ok produce-errors 1 REQUEST_TIMED_OUT");
  CHECK(broker.command("produce-errors 1 NO_SUCH_ERROR").rfind("error unknown Kafka error name", 0) == 0);
  CHECK(broker.command("bootstrap") == "ok " + broker.bootstrap());
  CHECK(broker.command("quit") == "ok quit");
  CHECK(broker.process().wait_exit(std::chrono::seconds(10)) == 0);
}

TEST_CASE("spillway-kafka-mock exits 0 on SIGTERM and on stdin EOF", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  {
    mock_broker broker;
    REQUIRE(::kill(broker.process().pid(), SIGTERM) == 0);
    CHECK(broker.process().wait_exit(std::chrono::seconds(10)) == 0);
  }
  {
    child_process p({std::string(SPILLWAY_BIN_DIR) + "/spillway-kafka-mock"}, false);  // stdin = /dev/null
    CHECK(p.read_line(std::chrono::seconds(10)).rfind("127.0.0.1:", 0) == 0);
    CHECK(p.wait_exit(std::chrono::seconds(10)) == 0);
  }
}

TEST_CASE("kcat and spillway-kafka-consume read the same records from the mock", "[integration]") {
  SPILLWAY_NEEDS_LIBRDKAFKA_THREADS();
  mock_broker broker(1, {"t:2"});
  child_process producer({"/usr/bin/kcat", "-b", broker.bootstrap(), "-P", "-t", "t", "-K", ":", "-H", "h=[\"1\"]"},
                         true);
  producer.write_line("k1:{\"v\":1}");
  producer.write_line("k2:{\"v\":\"\\u00e9\"}");
  producer.close_stdin();  // kcat -P produces until EOF, then flushes and exits
  REQUIRE(producer.wait_exit(std::chrono::seconds(10)) == 0);
  const auto a = read_with_kcat(broker.bootstrap(), "t");
  const auto b = read_with_consumer(broker.bootstrap(), "t", 2);
  REQUIRE(a.size() == 2);
  REQUIRE(b.size() == 2);
  std::map<std::string, kafka_record> by_key;
  for (const auto& r : a) by_key[r.key] = r;
  for (const auto& r : b) {
    REQUIRE(by_key.count(r.key) == 1);
    CHECK(by_key[r.key].value == r.value);
    CHECK(by_key[r.key].headers == r.headers);
    CHECK(r.headers.at("h") == "[\"1\"]");
  }
}
