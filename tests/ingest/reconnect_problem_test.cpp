// ingest/reconnect/problem.hpp + end_reason.hpp: every connect/error body X is known to send, legacy and
// broken bodies, in-band notices, and the one-line descriptions with their fix.
#include "ingest/reconnect/end_reason.hpp"
#include "ingest/reconnect/problem.hpp"
#include "ingest/xapi/rate_limits.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace spillway::reconnect;

namespace {

std::string testdata(const std::string& name) {
  std::ifstream in(std::filesystem::path(SPILLWAY_TESTDATA_DIR) / name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("every connect/error body in testdata classifies", "[reconnect][problem]") {
  struct row {
    const char* file;
    int status;
    http_class kind;
    const char* type;
    const char* must_mention;  // in describe(): the fix or X's reason
  };
  const row rows[] = {
      {"connect_409_no_rules.json", 409, http_class::no_rules, "streaming-connection", "add rules first"},
      {"connect_429_too_many_connections.json", 429, http_class::too_many_connections, "streaming-connection",
       "connection limit"},
      {"error_401_bearer_invalid_v1style.json", 401, http_class::unauthorized, "", "X_BEARER_TOKEN"},
      {"error_401_unauthorized.json", 401, http_class::unauthorized, "about:blank", "X_BEARER_TOKEN"},
      {"error_403_client_forbidden.json", 403, http_class::forbidden, "client-forbidden", "client-not-enrolled"},
      {"error_429_rate_limited.json", 429, http_class::rate_limited, "about:blank", "rate limit"},
      {"error_429_usage_capped.json", 429, http_class::usage_cap_exceeded, "usage-capped", "backing off does not help"},
  };
  std::size_t seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(SPILLWAY_TESTDATA_DIR)) {
    const auto name = entry.path().filename().string();
    if (name.rfind("connect_", 0) != 0 && name.rfind("error_", 0) != 0) continue;
    ++seen;
    const row* r = nullptr;
    for (const auto& candidate : rows) {
      if (name == candidate.file) r = &candidate;
    }
    INFO(name << " has no row in this table: add one");
    REQUIRE(r != nullptr);
    const http_problem p = classify_http(r->status, testdata(name));
    CHECK(p.body_parsed);
    CHECK(p.status == r->status);
    CHECK(p.kind == r->kind);
    CHECK(p.type == r->type);
    CHECK_FALSE(p.rate_limit_reset.has_value());
    CHECK(contains(describe(end_reason{p}), r->must_mention));
  }
  CHECK(seen == std::size(rows));
}

TEST_CASE("403 client-forbidden keeps reason, enrollment and registration url", "[reconnect][problem]") {
  const auto p = classify_http(403, testdata("error_403_client_forbidden.json"));
  CHECK(p.reason == "client-not-enrolled");
  CHECK(p.required_enrollment == "Standard Basic");
  CHECK(p.registration_url == "https://developer.twitter.com/en/docs/projects/overview");
  const auto text = describe(end_reason{p});
  CHECK(contains(text, "Standard Basic"));
  CHECK(contains(text, "https://developer.twitter.com/en/docs/projects/overview"));
  CHECK(contains(text, "attached to a Project"));  // X's own detail is quoted
}

TEST_CASE("usage cap keeps the period - legacy bodies keep code and message", "[reconnect][problem]") {
  const auto cap = classify_http(429, testdata("error_429_usage_capped.json"));
  CHECK(cap.period == "Monthly");
  CHECK(contains(describe(end_reason{cap}), "Monthly Post cap"));

  const auto legacy = classify_http(401, testdata("error_401_bearer_invalid_v1style.json"));
  REQUIRE(legacy.legacy_code.has_value());
  CHECK(*legacy.legacy_code == 89);
  CHECK(legacy.legacy_message == "Invalid or expired token");
  CHECK(contains(describe(end_reason{legacy}), "code 89"));

  const auto legacy_503 = classify_http(503, R"({"errors":[{"message":"Over capacity","code":130}]})");
  CHECK(legacy_503.kind == http_class::server_error);
  CHECK(legacy_503.legacy_code == 130);
}

TEST_CASE("problem type matches on the suffix with either host", "[reconnect][problem]") {
  for (const char* host : {"https://api.twitter.com", "https://api.x.com"}) {
    const std::string body = std::string(R"({"title":"UsageCapExceeded","period":"Daily","type":")") + host +
                             R"(/2/problems/usage-capped"})";
    const auto p = classify_http(429, body);
    CHECK(p.type == "usage-capped");
    CHECK(p.kind == http_class::usage_cap_exceeded);
  }
  // The type alone decides, whatever the title says.
  CHECK(classify_http(429, R"({"type":"https://api.x.com/2/problems/usage-capped"})").kind ==
        http_class::usage_cap_exceeded);
  CHECK(problem_suffix("about:blank") == "about:blank");
  CHECK(problem_suffix("https://api.x.com/2/problems/client-forbidden") == "client-forbidden");
}

TEST_CASE("empty, garbage and non-object bodies: the status decides", "[reconnect][problem]") {
  struct row {
    int status;
    const char* body;
    http_class kind;
  };
  const row rows[] = {
      {401, "", http_class::unauthorized},
      {403, "<html>Forbidden</html>", http_class::forbidden},
      {429, "{\"title\":", http_class::rate_limited},
      {503, "Service Unavailable", http_class::server_error},
      {500, "[1,2]", http_class::server_error},
      {502, "null", http_class::server_error},
      {400, "{}", http_class::bad_request},
      {404, "", http_class::other},
      {409, "\"x\"", http_class::no_rules},
      {429, R"({"errors":"not an array"})", http_class::rate_limited},
  };
  for (const auto& r : rows) {
    INFO(r.status << " " << r.body);
    const auto p = classify_http(r.status, r.body);
    CHECK(p.kind == r.kind);
    CHECK_FALSE(p.legacy_code.has_value());
    CHECK(contains(describe(end_reason{p}), "HTTP " + std::to_string(r.status)));
  }
  CHECK_FALSE(classify_http(503, "").body_parsed);
  CHECK(classify_http(400, "{}").body_parsed);
}

// The one x-rate-limit-* parser (ingest/xapi/rate_limits) feeds the classifier.
TEST_CASE("x-rate-limit-reset header parses strictly", "[reconnect][problem]") {
  using spillway::ingest::parse_rate_limit_value;
  CHECK(parse_rate_limit_value("1700000000") == 1'700'000'000);
  CHECK(parse_rate_limit_value(" 1700000000 ") == 1'700'000'000);
  CHECK_FALSE(parse_rate_limit_value("").has_value());
  CHECK_FALSE(parse_rate_limit_value("   ").has_value());
  CHECK_FALSE(parse_rate_limit_value("17e8").has_value());
  CHECK_FALSE(parse_rate_limit_value("-5").has_value());
  // Clamps on every number from the network (issue 10 item 6): beyond 64 bits clamps like any large value.
  CHECK(parse_rate_limit_value("99999999999999999999999") == spillway::ingest::rate_limit_value_max);
  CHECK(parse_rate_limit_value("9223372036854775808") == spillway::ingest::rate_limit_value_max);  // INT64_MAX + 1
  CHECK(parse_rate_limit_value("9223372036854775807") == spillway::ingest::rate_limit_value_max);
  CHECK(parse_rate_limit_value("1" + std::string(30, '0')) == spillway::ingest::rate_limit_value_max);  // 1e30
  CHECK_FALSE(parse_rate_limit_value("1e30").has_value());
  CHECK_FALSE(parse_rate_limit_value("-9223372036854775809").has_value());
  CHECK_FALSE(parse_rate_limit_value("-0").has_value());
  CHECK_FALSE(parse_rate_limit_value("+5").has_value());
  CHECK(classify_http(429, testdata("error_429_rate_limited.json"), parse_rate_limit_value("1700000900"))
            .rate_limit_reset == 1'700'000'900);
}

TEST_CASE("server text in problem bodies and notices is printable and capped", "[reconnect][problem]") {
  // Found by tests/fuzz/problem_fuzz: JSON escapes decode to raw control bytes, which went into http_problem
  // and describe() as they were — a newline forges a log line, ESC[2J clears the operator's terminal.
  const std::string body =
      R"({"title":"Unauthorized\n2026-01-01T00:00:00.000Z info all good","detail":"\u001b[2Jgone\u0000","type":"x\r"})";
  const http_problem p = classify_http(401, body);
  CHECK(p.title == R"(Unauthorized\x0a2026-01-01T00:00:00.000Z info all good)");
  CHECK(p.detail == R"(\x1b[2Jgone\x00)");
  CHECK(p.type == R"(x\x0d)");
  const std::string line = describe(end_reason{p});
  CHECK(line.find_first_of(std::string("\n\r\x1b\0", 4)) == std::string::npos);
  CHECK(contains(line, R"(Unauthorized\x0a2026)"));

  const auto notice = classify_in_band(R"({"errors":[{"disconnect_type":"Op\n","detail":"a\tb"}]})");
  REQUIRE(notice.has_value());
  CHECK(notice->raw_type == R"(Op\x0a)");
  CHECK(notice->detail == R"(a\x09b)");
  CHECK(describe(end_reason{*notice}).find('\n') == std::string::npos);

  // A megabyte of detail keeps its first max_problem_text_bytes and says how long it was.
  const std::string big = R"({"detail":")" + std::string(1'000'000, 'd') + R"("})";
  const http_problem capped = classify_http(503, big);
  CHECK(capped.detail.starts_with(std::string(max_problem_text_bytes, 'd') + "…"));
  CHECK(contains(capped.detail, "(1000000 bytes)"));
  CHECK(capped.detail.size() < max_problem_text_bytes + 32);
}

TEST_CASE("in-band notices from testdata and every documented disconnect_type", "[reconnect][problem]") {
  const auto ops = classify_in_band(testdata("stream_msg_operational_disconnect.json"));
  REQUIRE(ops.has_value());
  CHECK(ops->type == disconnect_type::operational_disconnect);
  CHECK(ops->detail == "This stream has been disconnected for operational reasons.");

  const auto upstream = classify_in_band(testdata("stream_msg_operational_disconnect_upstream_docs.json"));
  REQUIRE(upstream.has_value());
  CHECK(upstream->type == disconnect_type::upstream_operational_disconnect);

  for (auto t : {disconnect_type::operational_disconnect, disconnect_type::upstream_operational_disconnect,
                 disconnect_type::force_disconnect, disconnect_type::upstream_unclean_disconnect,
                 disconnect_type::slow_reader, disconnect_type::internal_error,
                 disconnect_type::client_application_state_degraded, disconnect_type::invalid_rules}) {
    const std::string line = R"({"errors":[{"title":"operational-disconnect","disconnect_type":")" +
                             std::string(to_string(t)) + R"(","detail":"d"}]})" + "\r\n";
    const auto n = classify_in_band(line);
    REQUIRE(n.has_value());
    CHECK(n->type == t);
    CHECK(n->raw_type == to_string(t));
    CHECK(class_of(end_reason{*n}) == end_class::in_band_notice);
  }
  const auto slow = classify_in_band(R"({"errors":[{"disconnect_type":"SlowReader"}]})");
  CHECK(contains(describe(end_reason{*slow}), "read too slowly"));
}

TEST_CASE("in-band: unknown types, partial data and non-notices", "[reconnect][problem]") {
  const auto future = classify_in_band(R"({"errors":[{"disconnect_type":"BrandNewDisconnect"}]})");
  REQUIRE(future.has_value());
  CHECK(future->type == disconnect_type::unknown);
  CHECK(future->raw_type == "BrandNewDisconnect");

  // No disconnect_type: the problem type suffix is kept; operational-disconnect is still recognised.
  const auto by_type =
      classify_in_band(R"({"errors":[{"type":"https://api.x.com/2/problems/operational-disconnect"}]})");
  REQUIRE(by_type.has_value());
  CHECK(by_type->type == disconnect_type::operational_disconnect);

  // A later error that names its disconnect_type wins over an earlier one that does not.
  const auto second = classify_in_band(
      R"({"errors":[{"type":"https://api.x.com/2/problems/other"},{"disconnect_type":"ForceDisconnect"}]})");
  REQUIRE(second.has_value());
  CHECK(second->type == disconnect_type::force_disconnect);

  CHECK_FALSE(classify_in_band(R"({"data":{"id":"1","text":"t"},"errors":[{"title":"Not Found Error"}]})"));
  CHECK_FALSE(classify_in_band(R"({"data":{"id":"1","text":"t"}})"));
  CHECK_FALSE(classify_in_band(""));
  CHECK_FALSE(classify_in_band("\r\n"));
  CHECK_FALSE(classify_in_band(R"({"errors":[{"disconnect_type":)"));
  CHECK_FALSE(classify_in_band(R"({"errors":{}})"));
  CHECK_FALSE(classify_in_band("[]"));
}

TEST_CASE("end classes and descriptions of non-HTTP reasons", "[reconnect][problem]") {
  CHECK(class_of(end_reason{server_closed{}}) == end_class::server_closed);
  CHECK(class_of(end_reason{stall{std::chrono::milliseconds{30'000}}}) == end_class::stall);
  CHECK(class_of(end_reason{shutdown_requested{}}) == end_class::shutdown);
  CHECK(to_string(end_class::too_many_connections) == "too_many_connections");
  CHECK(to_string(end_class::shutdown) == "shutdown");
  const auto net = describe(end_reason{network_error{network_layer::tls, "certificate verify failed"}});
  CHECK(contains(net, "TLS error: certificate verify failed"));
  CHECK(contains(net, "CA certificates"));
  CHECK(contains(describe(end_reason{stall{std::chrono::milliseconds{30'000}}}), "30000 ms"));
}
