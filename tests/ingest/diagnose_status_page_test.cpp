// diagnose's status-page check without the network (evaluate_status_page): the statuspage.io summary
// shapes, and the hostile page tests/fuzz/status_page_fuzz found.
#include <catch2/catch.hpp>

#include <algorithm>

#include "ingest/control/diagnose.hpp"

using namespace spillway::ingest;

namespace {
const std::string url = "https://api.twitterstat.us/api/v2/summary.json";

std::string page(const std::string& indicator, const std::string& description) {
  return R"({"page":{"url":"https://api.twitterstat.us"},"status":{"indicator":")" + indicator +
         R"(","description":")" + description + R"("}})";
}
}  // namespace

TEST_CASE("status page: the indicator decides the level", "[ingest][diagnose]") {
  CHECK(evaluate_status_page(url, 200, page("none", "All Systems Operational")).level == finding_level::ok);
  CHECK(evaluate_status_page(url, 200, page("minor", "Partial Outage")).level == finding_level::info);
  const finding major = evaluate_status_page(url, 200, page("major", "Major Outage"));
  CHECK(major.level == finding_level::action);
  CHECK(major.summary == R"(X's status page says "Major Outage" (indicator major))");
  CHECK(major.fix.find("https://api.twitterstat.us") != std::string::npos);
  CHECK(evaluate_status_page(url, 200, page("purple", "?")).level == finding_level::skipped);
  CHECK(evaluate_status_page(url, 503, page("none", "fine")).level == finding_level::skipped);
  CHECK(evaluate_status_page(url, 200, "<html>").level == finding_level::skipped);
  CHECK(evaluate_status_page(url, 200, R"({"status":"none"})").level == finding_level::skipped);
}

TEST_CASE("status page: its text is printable and capped", "[ingest][diagnose]") {
  // Found by tests/fuzz/status_page_fuzz: the page's description and indicator reached the diagnose
  // report (and the terminal) with their control bytes.
  const finding f = evaluate_status_page(url, 200, page("critical", R"(Outage\n\u001b[2J)"));
  CHECK(f.summary == R"(X's status page says "Outage\x0a\x1b[2J" (indicator critical))");
  const finding unknown = evaluate_status_page(url, 200, page(R"(x\ry)", "d"));
  CHECK(unknown.summary.find(R"("x\x0dy")") != std::string::npos);
  const finding big = evaluate_status_page(url, 200, page("minor", std::string(100'000, 'd')));
  CHECK(big.summary.size() < 1000);
  for (const auto* s : {&f.summary, &f.cause, &f.fix, &unknown.summary, &big.summary})
    CHECK(std::none_of(s->begin(), s->end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
}
