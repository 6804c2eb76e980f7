#pragma once
// progress_line: the one line of progress a long command (`export`, `replay`, `rules sync`) shows on a
// terminal — redrawn in place (carriage return, erase to end of line) at most once per `interval`, and
// erased by finish() so the summary that follows starts on a clean line. When the stream is not a
// terminal (piped, a file, journald) it writes nothing at all: logs and scripts get the final summary
// only, never hundreds of half-lines. Time comes from an injected steady clock (tests drive it).
// Owns nothing; the FILE* and the clock must outlive it. Used from one thread (the command's).
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

namespace spillway::app {

class progress_line {
 public:
  using now_fn = std::function<std::chrono::steady_clock::time_point()>;

  // enabled: usually on_terminal(out). interval: the least time between two redraws.
  progress_line(std::FILE* out, bool enabled, std::chrono::milliseconds interval, now_fn now);
  ~progress_line() { finish(); }
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  [[nodiscard]] static bool on_terminal(std::FILE* out) noexcept;
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

  // Shows `text` (the caller's one line, without a line end) unless the last redraw was less than an
  // interval ago. force: draw now (a step that changes, the last figure before finish).
  void show(std::string_view text, bool force = false);
  // Erases the line if anything was drawn. Idempotent.
  void finish();

 private:
  std::FILE* out_;
  bool enabled_;
  std::chrono::milliseconds interval_;
  now_fn now_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};

}  // namespace spillway::app
