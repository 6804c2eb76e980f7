// spillway-kafka-consume: prints every record of a topic, one per line, for tests and the demo.
//   tsv (default):  key<TAB>headers-json<TAB>value
//   json:           {"topic":..,"partition":..,"offset":..,"key":..,"headers":{..},"value":..}
// Exit 0 when --expect records were read (or, without --expect, when --idle-ms passed with no record);
// 2 when --timeout-ms ended the read first; 1 on a start-up error.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/kafka_mock/topic_reader.hpp"

int main(int argc, char** argv) {
  CLI::App app{"spillway-kafka-consume: read a Kafka topic from the beginning and print each record"};
  std::string bootstrap;
  std::string topic;
  std::uint64_t expect = 0;
  int idle_ms = 3000;
  int timeout_ms = 60000;
  std::string format = "tsv";
  app.add_option("--bootstrap", bootstrap, "bootstrap.servers, e.g. 127.0.0.1:9092")->required();
  app.add_option("--topic", topic, "topic to read")->required();
  app.add_option("--expect", expect, "stop after this many records");
  app.add_option("--idle-ms", idle_ms, "stop when no record arrived for this long");
  app.add_option("--timeout-ms", timeout_ms, "give up after this long");
  app.add_option("--format", format, "tsv or json")->check(CLI::IsMember({"tsv", "json"}));
  CLI11_PARSE(app, argc, argv);
  try {
    spillway::bench::topic_reader reader(bootstrap, topic, std::chrono::milliseconds(timeout_ms));
    const bool json = format == "json";
    std::string line;
    const auto n = reader.read(expect, std::chrono::milliseconds(expect > 0 ? timeout_ms : idle_ms),
                               std::chrono::milliseconds(timeout_ms), [&](const spillway::bench::topic_record& r) {
                                 if (json) {
                                   line = spillway::bench::record_json(r);
                                 } else {
                                   line.assign(r.key);
                                   line += '\t';
                                   line += spillway::bench::headers_json(r.headers);
                                   line += '\t';
                                   line.append(r.value);
                                 }
                                 line += '\n';
                                 std::fwrite(line.data(), 1, line.size(), stdout);
                               });
    std::fflush(stdout);
    if (expect > 0 && n < expect) {
      std::cerr << "spillway-kafka-consume: read " << n << " of " << expect << " records before --timeout-ms "
                << timeout_ms << "; raise --timeout-ms or check that the producer delivered\n";
      return 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "spillway-kafka-consume: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
