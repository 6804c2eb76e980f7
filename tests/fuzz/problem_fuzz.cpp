// Property: the connect-time problem classifier, the in-band notice classifier, describe() and the
// supervisor's decision, on any body X (or anyone on the path) could send — run under UBSan, so any
// overflow on the way (a huge x-rate-limit-reset, say) is a crash too:
//   - every string they output (problem fields, notice fields, describe(), the wait reason / stop message)
//     has no control byte (no forged log line, no terminal escape) and a bounded length;
//   - a wait is never negative nor longer than the longest configured wait plus the reset margin;
//   - 403 stops with exit code 3, 400 with 2, 401 (no token refresher) with 3; nothing else stops.
// Each input is the body, classified under every status the policy distinguishes and three
// x-rate-limit-reset headers (none, a huge one, and the input's own first bytes) read by the one header
// parser (ingest/xapi/rate_limits), as the stream session does.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <variant>

#include "common/clock.hpp"
#include "ingest/reconnect/end_reason.hpp"
#include "ingest/reconnect/problem.hpp"
#include "ingest/reconnect/supervisor.hpp"
#include "ingest/xapi/rate_limits.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace spillway::reconnect;
using spillway::common::manual_clock;
using spillway::common::manual_wall_clock;

namespace {

// A field may expand 4x when every byte is escaped (\xNN), plus the "… (N bytes)" note.
constexpr std::size_t max_field_bytes = 4 * max_problem_text_bytes + 32;
// describe() holds a handful of fields plus fixed text.
constexpr std::size_t max_message_bytes = 12 * max_field_bytes + 1024;

void check_text(std::string_view text, std::size_t max_bytes) {
  FUZZ_CHECK(!spillway::fuzz::has_control_byte(text), text);
  FUZZ_CHECK(text.size() <= max_bytes, text);
}

void check_problem(const http_problem& p) {
  for (const std::string* field : {&p.type, &p.title, &p.detail, &p.reason, &p.required_enrollment,
                                   &p.registration_url, &p.connection_issue, &p.period, &p.legacy_message}) {
    check_text(*field, max_field_bytes);
  }
}

using fuzz_supervisor = basic_supervisor<manual_clock, manual_wall_clock, std::mt19937_64>;

void check_decision(fuzz_supervisor& sup, const end_reason& reason) {
  const reconnect_options& o = sup.options();
  const auto longest = std::max({o.network_cap, o.http_cap, o.rate_limit_cap, o.usage_cap_recheck}) + o.reset_margin;
  const end_class cls = class_of(reason);
  const decision d = sup.on_session_end(reason);
  if (const auto* w = std::get_if<wait>(&d)) {
    FUZZ_CHECK(w->delay >= std::chrono::milliseconds{0} && w->delay <= longest, w->reason);
    check_text(w->reason, max_message_bytes + 512);
    FUZZ_CHECK(cls != end_class::forbidden && cls != end_class::bad_request && cls != end_class::unauthorized,
               w->reason);
    return;
  }
  const auto& s = std::get<stop>(d);
  check_text(s.message, max_message_bytes);
  const auto expected =
      cls == end_class::bad_request ? spillway::common::exit_code::config : spillway::common::exit_code::refused;
  FUZZ_CHECK(cls == end_class::forbidden || cls == end_class::bad_request || cls == end_class::unauthorized,
             s.message);
  FUZZ_CHECK(s.exit_code == expected, s.message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  // 2026-11-29T12:00:00Z, so calendar resets and x-rate-limit-reset compare against a fixed "now".
  manual_clock steady;
  manual_wall_clock wall{std::chrono::system_clock::time_point{std::chrono::seconds{1'795'953'600}}};
  std::mt19937_64 rng{spillway::fuzz::fnv1a(body)};
  reconnect_options options;
  options.jitter = static_cast<spillway::common::jitter>(size % 4);
  fuzz_supervisor sup(options, steady, wall, rng);

  const std::string_view resets[] = {"", "9223372036854775807", body.substr(0, std::min<std::size_t>(body.size(), 24))};
  for (const int status : {400, 401, 403, 409, 429, 500, 503, 418}) {
    for (const std::string_view reset : resets) {
      const http_problem p = classify_http(status, body, spillway::ingest::parse_rate_limit_value(reset));
      FUZZ_CHECK(p.status == status, "status not kept");
      check_problem(p);
      check_text(describe(p), max_message_bytes);
      check_decision(sup, p);
    }
  }
  if (const auto notice = classify_in_band(body)) {
    check_text(notice->raw_type, max_field_bytes);
    check_text(notice->detail, max_field_bytes);
    check_text(describe(*notice), max_message_bytes);
    check_decision(sup, *notice);
  }
  return 0;
}
