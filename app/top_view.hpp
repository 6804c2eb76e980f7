#pragma once
// `spillway top`'s pure core: reads the Prometheus text a running instance serves on its metrics
// listener into a snapshot, and renders two snapshots (the previous refresh and this one) as one screen
// of at most `height` lines of at most `width` columns — state and uptime, Posts/s received / stored /
// delivered, ring, spool and outbox depth, last Post age, session ends by reason, rate-limit remaining and
// reset, open gaps. No I/O, no clock: the caller passes the wall time, so tests render exact frames.
// The metrics text comes from a URL the user names, so nothing in it reaches the screen unescaped.
// Owns nothing beyond its values; runs on the main thread of `spillway top` (app/top_command.cpp).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace spillway::app {

struct metric_sample {
  std::string name;    // "spillway_stream_session_ends_total"
  std::string labels;  // the text between the braces, as served: reason="stall"; empty when none
  double value = 0;
};

struct metrics_snapshot {
  std::chrono::steady_clock::time_point taken;  // when it was read, for per-second rates
  std::vector<metric_sample> samples;

  // The unlabelled sample called `name`, if the text had one; else the sum of its per-connection samples
  // (labelled only connection="N": stream.connections), if any.
  [[nodiscard]] std::optional<double> value(std::string_view name) const;
  // The samples called `name` labelled only connection="N": (N, value), in text order.
  [[nodiscard]] std::vector<std::pair<std::string, double>> per_connection(std::string_view name) const;
  // Every sample called `name` with a label `label`: (that label's value, sample value), in text order.
  [[nodiscard]] std::vector<std::pair<std::string, double>> by_label(std::string_view name, std::string_view label) const;
};

// Prometheus text exposition format 0.0.4: comments and blank lines skipped; `name{labels} value
// [timestamp]`. errc::protocol naming the first line that is not a sample (escaped, capped) — a URL that
// serves something else (an HTML page, the wrong port) must be named, not shown as zeros.
[[nodiscard]] common::result<metrics_snapshot> parse_metrics_text(std::string_view text,
                                                                  std::chrono::steady_clock::time_point taken);

struct top_screen {
  std::string url;                         // shown in the title, escaped
  std::chrono::system_clock::time_point now;  // the wall clock: ages and "resets in"
  std::size_t width = 80;
  std::size_t height = 24;
};

// One frame. `previous` is the snapshot before (nullptr on the first refresh: rates show as "-").
// `fetch_problem`, when set, is shown instead of stale figures being passed off as live.
[[nodiscard]] std::vector<std::string> render_top(const top_screen& screen, const metrics_snapshot* previous,
                                                  const metrics_snapshot* current, std::string_view fetch_problem);

}  // namespace spillway::app
