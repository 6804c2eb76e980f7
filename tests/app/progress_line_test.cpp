// progress_line: redraws in place at most once per interval, erases itself, says nothing when disabled,
// and never lets caller text drive the terminal. Time is driven by hand.
#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include "app/progress_line.hpp"

using spillway::app::progress_line;
using namespace std::chrono_literals;

namespace {

struct captured {
  std::FILE* file = std::tmpfile();
  ~captured() { std::fclose(file); }
  std::string text() const {
    std::fflush(file);
    std::rewind(file);
    std::string out;
    for (int c; (c = std::fgetc(file)) != EOF;) out += static_cast<char>(c);
    std::fseek(file, 0, SEEK_END);
    return out;
  }
};

}  // namespace

TEST_CASE("progress: one redraw per interval, forced steps at once, erased at the end", "[progress]") {
  captured out;
  REQUIRE(out.file != nullptr);
  std::chrono::steady_clock::time_point now{};
  {
    progress_line line(out.file, true, 100ms, [&] { return now; });
    line.show("1 Post");
    now += 50ms;
    line.show("2 Posts");  // too soon: skipped
    CHECK(out.text() == "\r1 Post\x1b[K");
    now += 60ms;
    line.show("3 Posts");
    line.show("step", true);
    CHECK(out.text() == "\r1 Post\x1b[K\r3 Posts\x1b[K\rstep\x1b[K");
    line.finish();
    line.finish();  // idempotent
    CHECK(out.text() == "\r1 Post\x1b[K\r3 Posts\x1b[K\rstep\x1b[K\r\x1b[K");
  }
  // The destructor after finish() adds nothing.
  CHECK(out.text().size() == std::string("\r1 Post\x1b[K\r3 Posts\x1b[K\rstep\x1b[K\r\x1b[K").size());
}

TEST_CASE("progress: disabled (stderr piped) writes nothing at all", "[progress]") {
  captured out;
  std::chrono::steady_clock::time_point now{};
  {
    progress_line line(out.file, false, 100ms, [&] { return now; });
    for (int i = 0; i < 10; ++i, now += 1s) line.show("Posts", i % 2 == 0);
  }
  CHECK(out.text().empty());
  CHECK_FALSE(progress_line::on_terminal(out.file));
}

TEST_CASE("progress: caller text cannot move the cursor or clear the screen", "[progress]") {
  captured out;
  std::chrono::steady_clock::time_point now{};
  progress_line line(out.file, true, 100ms, [&] { return now; });
  line.show("rules sync: adding \"a\x1b[2J\nb\"");
  const auto text = out.text();
  CHECK(text.find("\x1b[2J") == std::string::npos);
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.find("\\x1b[2J\\x0ab") != std::string::npos);
}
