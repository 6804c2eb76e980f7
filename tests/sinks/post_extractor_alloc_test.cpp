// extract() allocates nothing, whatever the line (the pipeline calls it once per line, on the hot path).
// The global operator new is replaced here for the whole sinks test binary (tests/sinks/alloc_counter.hpp):
// it counts allocations on threads that opted in, only while a test asks for it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "sinks/post_extractor.hpp"
#include "tests/sinks/alloc_counter.hpp"
#include "tests/support/testdata.hpp"

namespace spillway::testing::alloc_counter {
thread_local bool this_thread_counted = false;
std::atomic<bool> armed{true};
std::atomic<std::size_t> allocations{0};
}  // namespace spillway::testing::alloc_counter

namespace {
using spillway::testing::alloc_counter::allocations;
using spillway::testing::alloc_counter::this_thread_counted;
}  // namespace

// Every non-aligned form is replaced, so that each allocation and its release go through the same pair
// (sanitizers check that they match); the aligned forms keep the library's own pair.
namespace {
void* counted_alloc(std::size_t n) noexcept {
  if (this_thread_counted && spillway::testing::alloc_counter::armed.load(std::memory_order_relaxed)) {
    allocations.fetch_add(1, std::memory_order_relaxed);
  }
  return std::malloc(n == 0 ? 1 : n);
}
}  // namespace

void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

TEST_CASE("extract() allocates nothing for Posts, notices and bad lines", "[extractor][validation]") {
  std::vector<std::string> lines;
  for (const auto& [name, line] : spillway::testing::stream_payloads()) lines.push_back(line);
  lines.push_back(R"({"d\u0061ta":{"\u0069d":"1626483873659092992"},"matching_rules":[{"\u0069d":"7","t\u0061g":"x"}]})");
  lines.push_back(R"({"data":{"id":"1","id":"2"}})");
  lines.push_back(R"({"data":{"id":"1"},"x":[1,,2,]})");
  lines.push_back("{\"data\":{\"id\":\"1\"},\"x\":\"\xff\"}");
  lines.push_back(R"({"data":{"id":"0123"}})");
  std::vector<std::string> padded;
  for (const auto& l : lines) padded.push_back(l + std::string(simdjson::SIMDJSON_PADDING, ' '));

  // The counter itself works: one allocation on this thread is seen.
  static std::string control;
  allocations = 0;
  this_thread_counted = true;
  control.assign(4096, 'x');
  this_thread_counted = false;
  REQUIRE(allocations == 1);

  spillway::sinks::post_extractor x(1 << 20);
  (void)x.extract(padded[0].data(), lines[0].size(), padded[0].size());  // any one-time set-up happens here
  std::size_t kinds = 0;
  allocations = 0;
  this_thread_counted = true;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
      kinds += static_cast<std::size_t>(x.extract(padded[i].data(), lines[i].size(), padded[i].size()).kind);
    }
  }
  this_thread_counted = false;
  CHECK(allocations == 0);
  CHECK(kinds > 0);  // the calls happened and were not optimised away
}
