// Property: `diagnose`'s reading of the status page (ingest/control/diagnose_status_page.cpp,
// evaluate_status_page) on any body the page (or anyone on the path) could send:
//   - the finding's summary, cause and fix have no control byte and a bounded length (they are printed to
//     the operator's terminal and into the JSON report);
//   - the level follows the indicator alone: ok only for "none", info for "minor", action for "major" or
//     "critical", skipped for anything else or a non-200 status; the check is always "status_page".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ingest/control/diagnose.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace spillway::ingest;

namespace {

constexpr std::size_t max_text = 8 * 1024;

void check_text(const std::string& text) {
  FUZZ_CHECK(!spillway::fuzz::has_control_byte(text), text);
  FUZZ_CHECK(text.size() <= max_text, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  const std::string url = "https://api.twitterstat.us/api/v2/summary.json";
  for (const int status : {200, 503}) {
    const finding f = evaluate_status_page(url, status, body);
    FUZZ_CHECK(f.check == "status_page", f.check);
    check_text(f.summary);
    check_text(f.cause);
    check_text(f.fix);
    if (status != 200) {
      FUZZ_CHECK(f.level == finding_level::skipped, f.summary);
      continue;
    }
    // The summary quotes the indicator as "(indicator X)" when it got that far.
    const bool said_none = f.summary.ends_with("(indicator none)");
    const bool said_minor = f.summary.ends_with("(indicator minor)");
    const bool said_bad = f.summary.ends_with("(indicator major)") || f.summary.ends_with("(indicator critical)");
    switch (f.level) {
      case finding_level::ok: FUZZ_CHECK(said_none, f.summary); break;
      case finding_level::info: FUZZ_CHECK(said_minor, f.summary); break;
      case finding_level::action: FUZZ_CHECK(said_bad, f.summary); break;
      case finding_level::skipped: FUZZ_CHECK(!said_none && !said_minor && !said_bad, f.summary); break;
    }
  }
  return 0;
}
