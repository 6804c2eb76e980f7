#pragma once
// error: the one error vocabulary of Spillway outside the hot path's value structs.
//
// - errc: what went wrong, sorted by what the caller does about it (retry, fix the config, ask a human).
// - error: an errc (as a boost::system::error_code of the spillway category) plus one line that names the
//   problem and the fix. The message never holds a secret: callers build it from names, not values.
// - result<T>: boost::system::result<T, error>, returned [[nodiscard]] by every fallible function.
// - exit_code: what every subcommand returns to the shell (README "Exit codes"), derived from errc, so
//   no caller ever searches a message to pick one.
//
// Pure values; any thread.
#include <string>
#include <system_error>
#include <utility>

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

namespace spillway::common {

enum class errc {
  config = 1,    // bad configuration or usage: fix the file or the command line
  network,       // DNS, TCP, TLS, timeouts, unreadable answers: retrying may help
  protocol,      // the peer did not answer like the X API (or like a Kafka broker)
  refused,       // X refused access for good (401 without a refresh flow, 403, a spent refresh token)
  rejected,      // X rejected the request itself (400): fix the request or the rules
  rate_limited,  // 429: wait for the window's reset
  storage,       // RocksDB or the file system refused a write or a read
  timeout,       // a deadline passed (flush, replay)
  bad_message,   // stored bytes that do not decode
};

[[nodiscard]] const boost::system::error_category& error_category() noexcept;

[[nodiscard]] inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

struct error {
  boost::system::error_code code;
  std::string message;  // problem and fix; never a secret

  error() = default;
  error(errc e, std::string msg) : code(make_error_code(e)), message(std::move(msg)) {}
  [[nodiscard]] bool is(errc e) const noexcept { return code == make_error_code(e); }
};

// Thrown only by result<T>::value() on an error (start-up paths that prefer exceptions).
[[noreturn]] inline void throw_exception_from_error(const error& e, const boost::source_location& loc) {
  boost::throw_exception(boost::system::system_error(e.code, e.message), loc);
}

template <typename T>
using result = boost::system::result<T, error>;

// The process exit codes (README "Exit codes").
enum class exit_code : int {
  ok = 0,
  runtime = 1,  // storage failure, network failure of a one-shot command, anything unexpected
  config = 2,   // bad config or usage, or a request X rejects (400)
  refused = 3,  // X refused access for good: a human must act
};

[[nodiscard]] exit_code exit_code_for(const error& e) noexcept;
[[nodiscard]] constexpr int to_int(exit_code c) noexcept { return static_cast<int>(c); }

}  // namespace spillway::common

template <>
struct boost::system::is_error_code_enum<spillway::common::errc> : std::true_type {};
