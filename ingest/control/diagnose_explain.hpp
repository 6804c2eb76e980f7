#pragma once
// diagnose_explain: turns a refused X API answer (classified by reconnect/problem.hpp) into the cause and
// the fix an operator needs, the way a senior SRE would say them. Shared by `diagnose` and the rules
// commands so the same refusal reads the same everywhere. Pure; any thread; never quotes a token.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "ingest/reconnect/problem.hpp"

namespace spillway::ingest {

struct explanation {
  std::string cause;
  std::string fix;
};

// `call`: what was refused, e.g. "GET /2/tweets/search/stream"; now_unix_s: for the reset time.
[[nodiscard]] explanation explain_refusal(const reconnect::http_problem& problem, std::string_view call,
                                          std::int64_t now_unix_s);

// "cause. Fix: fix" on one line, for error messages.
[[nodiscard]] std::string one_line(const explanation& e);

// What the caller does about a refused control-plane call, as an errc (the exit code follows from it):
// refused (401/403), rejected (400), rate_limited (429 of any kind), network (5xx), protocol (the rest).
[[nodiscard]] common::errc errc_for_refusal(reconnect::http_class kind) noexcept;

}  // namespace spillway::ingest
