// Must NOT compile: post_extractor::extract on a temporary string would leave every view in the
// extracted Post dangling, so the rvalue overload is deleted (sinks/post_extractor.hpp). Built by the
// ctest `compile_fail:extract_rvalue` (expected to fail) and, with SPILLWAY_CONTROL defined, by
// `compile_fail:extract_lvalue_control` (expected to compile) — the control proves the failure comes
// from the deleted overload, not from a broken include or a typo.
#include <string>

#include "sinks/post_extractor.hpp"

int main() {
  spillway::sinks::post_extractor extractor(1024);
#ifdef SPILLWAY_CONTROL
  std::string line = R"({"data":{"id":"1"}})";
  line.reserve(line.size() + 64);
  const auto post = extractor.extract(line.data(), line.size(), line.capacity());
#else
  const auto post = extractor.extract(std::string(R"({"data":{"id":"1"}})"), 19, 19 + 64);
#endif
  return post.rule_count > 0 ? 1 : 0;
}
