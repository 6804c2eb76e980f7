#pragma once
// basic_supervisor: decides what to do after each stream session ends — wait how long, or stop with
// which exit code — following X's reconnect rules (XAPI.md, issue 4) with jitter on every wait.
//
// Owns: the per-class backoff counters, the consecutive-failure count, the 401 refresh allowance and the
// counters for metrics. It never sleeps and does no I/O: the reader loop asks it, then waits itself.
// Thread: one owner (the reader's strand); not thread-safe; stats() is a plain struct the owner copies
// out for metrics. Must outlive it: the clocks and the generator it was given.
//
// Rules, by end_class:
//   server_closed, in_band_notice  first failure since good data: 0 (X: reconnect once at once; no jitter,
//                                  a notice reaches us alone); again without data: the network schedule
//   stall, network_error           linear +network_step up to network_cap
//   server_error, http_other       exponential http_base .. http_cap
//   no_rules (409)                 exponential http_base .. http_cap, warning "add rules first"
//   rate_limited (429)             until x-rate-limit-reset (+0..reset_margin); without the header, or a
//                                  reset already past: exponential rate_limit_base .. rate_limit_cap
//   too_many_connections (429)     exponential too_many_base .. http_cap (first wait short)
//   usage_cap_exceeded (429)       until the reset GET /2/usage/tweets reported (set_usage_reset), else
//                                  the period's calendar reset, at most usage_cap_recheck; error
//   unauthorized (401)             token_refreshable and not yet tried since good data: refresh, wait 0;
//                                  else stop(refused: exit 3)
//   forbidden (403)                stop(refused: exit 3) with reason / required_enrollment / registration_url
//   bad_request (400)              stop(config: exit 2): X rejects the request itself, retrying cannot help
//   shutdown                       stop(ok: exit 0)
// Counters reset on on_data_received(), or when a session established for stable_after ends.

#include "common/backoff.hpp"
#include "common/clock.hpp"
#include "ingest/reconnect/end_reason.hpp"
#include "ingest/reconnect/policy.hpp"

#include <array>
#include <optional>
#include <random>

namespace spillway::reconnect {

struct supervisor_stats {
  std::array<std::uint64_t, end_class_count> ends{};  // sessions ended, by end_class (index)
  std::uint64_t reconnects = 0;                       // wait decisions made
  std::uint64_t token_refreshes = 0;                  // waits that asked for a token refresh
  std::uint32_t consecutive_failures = 0;             // since the last good data
  milliseconds current_backoff{0};                    // the last wait decided; 0 after good data
};

template <common::steady_clock_like Steady, common::wall_clock_like Wall, std::uniform_random_bit_generator Rng>
class basic_supervisor {
 public:
  basic_supervisor(const reconnect_options& options, const Steady& steady, const Wall& wall, Rng& rng)
      : options_(options),
        steady_(steady),
        wall_(wall),
        rng_(rng),
        network_(common::linear_schedule(options.network_step, options.network_cap), options.jitter, rng),
        http_(common::exponential_schedule(options.http_base, options.http_cap), options.jitter, rng),
        rate_limit_(common::exponential_schedule(options.rate_limit_base, options.rate_limit_cap), options.jitter, rng),
        too_many_(common::exponential_schedule(options.too_many_base, options.http_cap), options.jitter, rng) {}

  // The server answered 200 and the stream is open.
  void on_established() { established_at_ = steady_.now(); }

  // A Post (or other non-heartbeat line) arrived: the connection is good. Cheap enough to call per Post.
  void on_data_received() noexcept {
    if (dirty_) reset_counters();
  }

  [[nodiscard]] decision on_session_end(const end_reason& reason) {
    const end_class cls = class_of(reason);
    ++stats_.ends[static_cast<std::size_t>(cls)];
    if (established_at_ && steady_.now() - *established_at_ >= options_.stable_after) reset_counters();
    established_at_.reset();
    if (cls == end_class::shutdown) return stop{common::exit_code::ok, describe(reason)};

    const bool first_failure = stats_.consecutive_failures == 0;
    ++stats_.consecutive_failures;
    dirty_ = true;
    std::string text = describe(reason);
    const http_problem* http = std::get_if<http_problem>(&reason);
    switch (cls) {
      case end_class::server_closed:
      case end_class::in_band_notice:
        if (first_failure)
          return make_wait(milliseconds{0}, std::move(text) + "; reconnecting at once", severity::info);
        return make_wait(network_.next(), std::move(text) + "; dropped again before any data: backing off",
                         severity::warning);
      case end_class::stall:
      case end_class::network_error:
        return make_wait(network_.next(), std::move(text), severity::warning);
      case end_class::no_rules:
      case end_class::server_error:
      case end_class::http_other:
        return make_wait(http_.next(), std::move(text), severity::warning);
      case end_class::too_many_connections:
        return make_wait(too_many_.next(), std::move(text), severity::warning);
      case end_class::rate_limited:
        return rate_limited(*http, std::move(text));
      case end_class::usage_cap_exceeded:
        return usage_capped(*http, std::move(text));
      case end_class::unauthorized:
        if (options_.token_refreshable && !refresh_tried_) {
          refresh_tried_ = true;
          ++stats_.token_refreshes;
          auto w = make_wait(milliseconds{0}, std::move(text) + "; refreshing the token once", severity::warning);
          w.refresh_token = true;
          return w;
        }
        return stop{common::exit_code::refused, std::move(text)};
      case end_class::forbidden:
        return stop{common::exit_code::refused, std::move(text)};
      case end_class::bad_request:
        return stop{common::exit_code::config, std::move(text)};
      case end_class::shutdown:
        break;
    }
    return stop{common::exit_code::ok, std::move(text)};
  }

  // The cap reset X's usage endpoint reported (cap_reset_day), for the next usage_cap_exceeded wait;
  // nullopt: unknown (the calendar estimate is used).
  void set_usage_reset(std::optional<std::chrono::system_clock::time_point> reset) noexcept { usage_reset_ = reset; }

  // False once alert_after consecutive sessions failed; the supervisor keeps deciding waits regardless.
  [[nodiscard]] bool healthy() const noexcept { return stats_.consecutive_failures < options_.alert_after; }
  [[nodiscard]] const supervisor_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const reconnect_options& options() const noexcept { return options_; }

 private:
  using backoff = common::backoff<Rng>;

  void reset_counters() noexcept {
    network_.reset();
    http_.reset();
    rate_limit_.reset();
    too_many_.reset();
    refresh_tried_ = false;
    stats_.consecutive_failures = 0;
    stats_.current_backoff = milliseconds{0};
    dirty_ = false;
  }

  wait make_wait(milliseconds delay, std::string text, severity level) {
    ++stats_.reconnects;
    stats_.current_backoff = delay;
    wait w{delay, std::move(text), level};
    w.became_unhealthy = stats_.consecutive_failures == options_.alert_after;
    if (w.became_unhealthy) {
      w.level = severity::error;
      w.reason += alert_note();
    }
    return w;
  }

  std::string alert_note() const {
    return "; " + std::to_string(options_.alert_after) + " consecutive failures: the stream is unhealthy (still retrying)";
  }

  // Until `instant` on the wall clock, plus 0..reset_margin so a fleet does not return in one second.
  milliseconds until_wall(std::chrono::system_clock::time_point instant) {
    const auto left = std::chrono::ceil<milliseconds>(instant - wall_.now());
    // Decorrelated jitter has no meaning for a single deadline; spread it like full jitter.
    const auto kind = options_.jitter == common::jitter::decorrelated ? common::jitter::full : options_.jitter;
    const auto margin = common::exponential_schedule(options_.reset_margin, options_.reset_margin);
    return std::max(left, milliseconds{0}) +
           common::apply_jitter(kind, options_.reset_margin, milliseconds{0}, margin, rng_);
  }

  decision rate_limited(const http_problem& p, std::string text) {
    if (p.rate_limit_reset) {
      const std::chrono::system_clock::time_point reset{std::chrono::seconds{*p.rate_limit_reset}};
      if (reset > wall_.now()) {
        static_cast<void>(rate_limit_.next());  // still lengthens the schedule for a later 429 without the header
        const auto delay = std::min(until_wall(reset), options_.rate_limit_cap + options_.reset_margin);
        return make_wait(delay, std::move(text) + "; x-rate-limit-reset " + format_utc(reset), severity::warning);
      }
    }
    return make_wait(rate_limit_.next(), std::move(text), severity::warning);
  }

  decision usage_capped(const http_problem& p, std::string text) {
    const auto now = wall_.now();
    if (usage_reset_ && *usage_reset_ > now) {
      // X said when the cap resets: waiting for it is exact, so no periodic re-probe is needed.
      text += "; the cap resets at " + format_utc(*usage_reset_) + " (reported by GET /2/usage/tweets)";
      return make_wait(until_wall(*usage_reset_), std::move(text), severity::error);
    }
    const auto recheck = now + options_.usage_cap_recheck;
    const auto reset = next_period_reset(p.period, now);
    const auto target = reset ? std::min(*reset, recheck) : recheck;
    text += reset ? "; the period resets at " + format_utc(*reset) + " (calendar estimate)" : "";
    text += "; re-checking at " + format_utc(target);
    return make_wait(until_wall(target), std::move(text), severity::error);
  }

  reconnect_options options_;
  const Steady& steady_;
  const Wall& wall_;
  Rng& rng_;
  backoff network_;
  backoff http_;
  backoff rate_limit_;
  backoff too_many_;
  std::optional<typename Steady::time_point> established_at_;
  supervisor_stats stats_;
  bool refresh_tried_ = false;
  bool dirty_ = false;
  std::optional<std::chrono::system_clock::time_point> usage_reset_;
};

// The production supervisor: real clocks and a Mersenne Twister the owner seeds once, e.g.
// `std::mt19937_64 rng{std::random_device{}()};` (jitter needs spread, not cryptographic strength).
using supervisor = basic_supervisor<common::steady_clock_source, common::wall_clock_source, std::mt19937_64>;

}  // namespace spillway::reconnect
