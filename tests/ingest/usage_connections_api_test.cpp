// ingest/control/usage_api and connections_api: X's answers parsed (strings or numbers, hostile text made
// printable), the 80% / 95% thresholds at their exact edges, the reset instant from cap_reset_day.
#include <catch2/catch.hpp>

#include <chrono>

#include "ingest/control/connections_api.hpp"
#include "ingest/control/usage_api.hpp"

using namespace spillway::ingest;
using namespace std::chrono;

namespace {
system_clock::time_point utc(int y, unsigned m, unsigned d, int h = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{h};
}
}  // namespace

TEST_CASE("usage: X's documented answer (counts as strings) and numbers parse - garbage does not", "[usage]") {
  usage_report u;
  REQUIRE(parse_usage(R"({"data":{"cap_reset_day":10,"project_cap":"5000000000","project_id":"1369785403853424","project_usage":"43435"}})", u));
  CHECK(u.consumed == 43435);
  CHECK(u.cap == 5000000000ULL);
  CHECK(u.reset_day == 10);
  usage_report n;
  REQUIRE(parse_usage(R"({"data":{"project_usage":7,"project_cap":10}})", n));
  CHECK(n.consumed == 7);
  CHECK(n.cap == 10);
  CHECK(n.reset_day == 0);
  usage_report bad;
  CHECK_FALSE(parse_usage("not json", bad));
  CHECK_FALSE(parse_usage(R"({"data":{"project_cap":"10"}})", bad));          // no usage
  CHECK_FALSE(parse_usage(R"({"data":{"project_usage":"12x"}})", bad));       // not a number
  CHECK_FALSE(parse_usage(R"({"data":{"project_usage":"-3"}})", bad));
  usage_report odd;
  REQUIRE(parse_usage(R"({"data":{"project_usage":"1","cap_reset_day":45}})", odd));
  CHECK(odd.reset_day == 0);  // outside 1-31: unknown
}

TEST_CASE("usage: warning from exactly 80% of the cap, error from exactly 95% - no cap is never a warning", "[usage]") {
  const auto level = [](std::uint64_t consumed, std::uint64_t cap) { return level_of(usage_report{consumed, cap, 1}); };
  CHECK(level(799, 1000) == usage_level::ok);
  CHECK(level(800, 1000) == usage_level::warning);
  CHECK(level(949, 1000) == usage_level::warning);
  CHECK(level(950, 1000) == usage_level::error);
  CHECK(level(2'399'999, 3'000'000) == usage_level::ok);
  CHECK(level(2'400'000, 3'000'000) == usage_level::warning);
  CHECK(level(3'000'001, 3'000'000) == usage_level::error);
  CHECK(level(5'000'000, 0) == usage_level::ok);
}

TEST_CASE("usage: the next reset is 00:00 UTC on cap_reset_day, next month once it passed, clamped to short months",
          "[usage]") {
  CHECK(next_usage_reset(10, utc(2026, 12, 2, 4)) == utc(2026, 12, 10));
  CHECK(next_usage_reset(2, utc(2026, 12, 2, 4)) == utc(2027, 1, 2));  // today's reset already happened
  CHECK(next_usage_reset(31, utc(2027, 2, 3)) == utc(2027, 2, 28));     // February has no 31st
  CHECK(next_usage_reset(1, utc(2026, 12, 31, 23)) == utc(2027, 1, 1));
  CHECK_FALSE(next_usage_reset(0, utc(2026, 12, 2)).has_value());
  const auto text = describe_usage(usage_report{810, 1000, 10}, utc(2026, 12, 2, 4));
  CHECK(text == "810 of 1000 Posts used (81.0%); the cap resets 2026-12-10T00:00:00Z");
}

TEST_CASE("connections: a listing and a kill answer parse - server text is made printable", "[connections]") {
  std::vector<stream_connection> list;
  REQUIRE(parse_connections(
      R"({"data":[{"id":"a-1","endpoint_name":"filtered_stream","client_ip":"10.0.0.1","connected_at":"2026-12-02T04:00:00.000Z"},)"
      R"({"id":"b-2","disconnect_reason":"killed\u001b[31m\nforged","disconnected_at":"2026-12-02T04:01:00.000Z"}],"meta":{"result_count":2}})",
      list));
  REQUIRE(list.size() == 2);
  CHECK(list[0].endpoint_name == "filtered_stream");
  CHECK(list[0].client_ip == "10.0.0.1");
  CHECK(list[1].disconnect_reason.find('\x1b') == std::string::npos);  // no terminal escape
  CHECK(list[1].disconnect_reason.find('\n') == std::string::npos);    // no forged log line
  CHECK(list[1].disconnect_reason.starts_with("killed"));
  std::vector<stream_connection> none;
  CHECK(parse_connections(R"({"meta":{"result_count":0}})", none));  // X leaves `data` out when empty
  CHECK(none.empty());
  CHECK_FALSE(parse_connections("[]", none));

  kill_report k;
  REQUIRE(parse_kill_report(
      R"({"data":{"results":[{"uuid":"a-1","success":true},{"uuid":"zz","success":false,"error_message":"Connection not found"}],"successful_kills":1,"failed_kills":1}})",
      k));
  CHECK(k.successful == 1);
  CHECK(k.failed == 1);
  REQUIRE(k.results.size() == 2);
  CHECK(k.results[0].success);
  CHECK_FALSE(k.results[1].success);
  CHECK(render_kills(k) == "closed 1 connection (1 failed)\n  a-1: closed\n  zz: failed (Connection not found)\n");
  kill_report empty;
  CHECK_FALSE(parse_kill_report(R"({"errors":[]})", empty));
  CHECK(render_connections(list, connection_status::all).starts_with("2 connections:\n  a-1  filtered_stream  from 10.0.0.1"));
}
