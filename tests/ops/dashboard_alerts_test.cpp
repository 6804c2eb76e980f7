// Issue 11 item 8: the Grafana dashboard (ops/grafana/spillway.json) and the alert rules
// (ops/prometheus/alerts.yml) against a running Spillway (emulator + Kafka on the mock broker):
// - every spillway_* name they use is in a live /metrics scrape (histograms through _bucket/_sum/_count);
// - a real Prometheus (the Debian `prometheus` binary) loads the rules, scrapes Spillway, and a query
//   through its HTTP API returns the stored-Posts counter > 0.
// `promtool check rules` and `promtool test rules` run as ctest tests of their own (tests/CMakeLists.txt).
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "common/metric_names.hpp"
#include "tests/ops/live_spillway.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {

const std::string source_dir = SPILLWAY_SOURCE_DIR;

// Every spillway_* identifier in a file (expressions, legends, descriptions alike: a name mentioned
// anywhere must be real).
std::set<std::string> names_in_file(const std::string& path) {
  const auto text = slurp(path);
  REQUIRE_FALSE(text.empty());
  std::set<std::string> out;
  const std::regex name(R"(\bspillway_[a-z0-9_]*[a-z0-9])");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

// The metric names in a Prometheus text exposition: every sample's name (a histogram's _bucket, _sum
// and _count included) and every family named in a # TYPE line.
std::set<std::string> names_in_scrape(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const auto rest = line.substr(7);
      out.insert(rest.substr(0, rest.find(' ')));
    } else if (!line.empty() && line[0] != '#') {
      out.insert(line.substr(0, line.find_first_of("{ ")));
    }
  }
  return out;
}

bool defined_in_metric_names(const std::string& name) {
  namespace metric = spillway::common::metric;
  return std::ranges::find(metric::all_names, name) != metric::all_names.end();
}

// Metrics the ops files use ahead of the code that exposes them. Allowed to be missing from the scrape
// only while common/metric_names.hpp does not define them; once it does, the scrape must have them.
// spillway_disk_free_bytes: the free space of the RocksDB volume, being added by the "disk" branch.
const std::set<std::string> pending = {"spillway_disk_free_bytes"};

void check_all_scraped(const std::string& file, const std::set<std::string>& scraped) {
  const auto used = names_in_file(file);
  INFO(file);
  CHECK(used.size() >= 5);  // the regex found the file's metrics at all
  for (const auto& name : used) {
    INFO(name);
    if (scraped.contains(name)) continue;
    if (pending.contains(name) && !defined_in_metric_names(name)) {
      WARN(name << " is not exposed yet (pending in common/metric_names.hpp)");
      continue;
    }
    FAIL_CHECK(name << " is used by " << file << " but not in a live /metrics scrape");
  }
}

// GET on Prometheus' HTTP API, the body parsed as JSON with status "success".
rapidjson::Document prometheus_api(int port, const std::string& path) {
  const auto response = scrape(port, path);
  INFO("GET " << path << " -> " << response.substr(0, 2000));
  REQUIRE(http_status(response) == 200);
  rapidjson::Document d;
  const auto body = http_body(response);
  d.Parse(body.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(std::string(d["status"].GetString()) == "success");
  return d;
}

}  // namespace

TEST_CASE("dashboard and alert rules: every metric they name is in a live /metrics scrape",
          "[integration][ops]") {
  live_spillway live;
  const auto scraped = names_in_scrape(scrape(live.metrics_port()));
  // The scrape parser found the real thing: a counter, a gauge and a histogram's series.
  REQUIRE(scraped.contains("spillway_posts_stored_total"));
  REQUIRE(scraped.contains("spillway_stream_state"));
  REQUIRE(scraped.contains("spillway_kafka_delivery_latency_seconds_bucket"));

  check_all_scraped(source_dir + "/ops/grafana/spillway.json", scraped);
  check_all_scraped(source_dir + "/ops/prometheus/alerts.yml", scraped);

  // The dashboard is JSON Grafana can import: panels, each with PromQL targets.
  rapidjson::Document dash;
  dash.Parse(slurp(source_dir + "/ops/grafana/spillway.json").c_str());
  REQUIRE_FALSE(dash.HasParseError());
  REQUIRE(dash["panels"].IsArray());
  int queries = 0;
  for (const auto& p : dash["panels"].GetArray()) {
    if (!p.HasMember("targets")) continue;
    for (const auto& t : p["targets"].GetArray()) queries += t.HasMember("expr") && t["expr"].GetStringLength() > 0;
  }
  CHECK(queries >= 20);

  const auto code = live.stop();
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("prometheus: a real Prometheus loads the alert rules, scrapes Spillway and returns the stored-Posts counter",
          "[integration][ops][prometheus]") {
  const std::string prometheus = "/usr/bin/prometheus";
  INFO("install the Debian package prometheus (scripts/install-deps.sh)");
  REQUIRE(std::filesystem::exists(prometheus));

  live_spillway live;
  const auto& dir = live.dir();
  const auto prom_port = free_port();
  {
    std::ofstream cfg(dir.str("prometheus.yml"));
    cfg << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "rule_files:\n  - " << source_dir << "/ops/prometheus/alerts.yml\n"
        << "scrape_configs:\n  - job_name: spillway\n    static_configs:\n      - targets: ['127.0.0.1:"
        << live.metrics_port() << "']\n";
  }
  child_process prom({prometheus, "--config.file=" + dir.str("prometheus.yml"),
                      "--storage.tsdb.path=" + dir.str("prometheus-data"),
                      "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
                     dir.str("prometheus.log"));
  if (!eventually([&] { return http_status(scrape(prom_port, "/-/ready")) == 200; }, 60s, 200ms)) {
    FAIL("Prometheus never became ready; its log:\n" << slurp(dir.str("prometheus.log")));
  }

  // The stored-Posts counter, through the query API, once a scrape has landed.
  double stored = 0;
  const bool scraped = eventually([&] {
    const auto d = prometheus_api(prom_port, "/api/v1/query?query=spillway_posts_stored_total%7Bjob%3D%22spillway%22%7D");
    const auto& result = d["data"]["result"];
    if (!result.IsArray() || result.Empty()) return false;
    stored = std::stod(result[0]["value"][1].GetString());
    return stored > 0;
  }, 30s, 500ms);
  INFO("prometheus log:\n" << slurp(dir.str("prometheus.log")).substr(0, 4000));
  REQUIRE(scraped);
  CHECK(stored > 0);

  // Every rule of alerts.yml is loaded and evaluates without error against the live series.
  const auto rules_text = slurp(source_dir + "/ops/prometheus/alerts.yml");
  const std::regex alert_line(R"(\n\s*- alert: )");
  const auto expected_rules = static_cast<int>(
      std::distance(std::sregex_iterator(rules_text.begin(), rules_text.end(), alert_line), std::sregex_iterator()));
  REQUIRE(expected_rules >= 6);
  bool all_evaluated = false;
  std::string last_rules;
  eventually([&] {
    const auto d = prometheus_api(prom_port, "/api/v1/rules");
    const auto& groups = d["data"]["groups"];
    int rules = 0, ok = 0;
    last_rules.clear();
    for (const auto& g : groups.GetArray()) {
      for (const auto& r : g["rules"].GetArray()) {
        ++rules;
        const std::string health = r["health"].GetString();
        ok += health == "ok";
        last_rules += std::string(r["name"].GetString()) + "=" + health + " ";
      }
    }
    all_evaluated = rules == expected_rules && ok == rules;
    return all_evaluated;
  }, 30s, 500ms);
  INFO("rules: " << last_rules);
  CHECK(all_evaluated);

  // A healthy, streaming Spillway fires none of them.
  const auto alerts = prometheus_api(prom_port, "/api/v1/alerts");
  std::string firing;
  for (const auto& a : alerts["data"]["alerts"].GetArray()) {
    if (std::string(a["state"].GetString()) == "firing") firing += std::string(a["labels"]["alertname"].GetString()) + " ";
  }
  CHECK(firing.empty());

  prom.signal(SIGTERM);
  CHECK(prom.wait(30s).has_value());
  const auto code = live.stop();
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}
