#include "app/progress_line.hpp"

#include <unistd.h>

#include "common/log.hpp"

namespace spillway::app {

progress_line::progress_line(std::FILE* out, bool enabled, std::chrono::milliseconds interval, now_fn now)
    : out_(out), enabled_(enabled), interval_(interval), now_(std::move(now)) {}

bool progress_line::on_terminal(std::FILE* out) noexcept { return ::isatty(::fileno(out)) != 0; }

void progress_line::show(std::string_view text, bool force) {
  if (!enabled_) return;
  const auto now = now_();
  if (drawn_ && !force && now - last_ < interval_) return;
  last_ = now;
  drawn_ = true;
  // Caller text may quote names from the database or the network: never let it move the cursor.
  const std::string safe = common::log_sample(text, 200);
  std::fprintf(out_, "\r%s\x1b[K", safe.c_str());
  std::fflush(out_);
}

void progress_line::finish() {
  if (!drawn_) return;
  drawn_ = false;
  std::fputs("\r\x1b[K", out_);
  std::fflush(out_);
}

}  // namespace spillway::app
