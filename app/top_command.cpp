// `spillway top`: a live terminal view of a running instance, read from its metrics listener once a
// second (app/top_view renders; this file fetches, draws and reads keys). Plain ANSI escapes (alternate
// screen, cursor home, erase line) so it works over SSH in any 80×24 terminal without a curses library.
// Runs on the main thread; owns the terminal mode while it runs and restores it on every way out.
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/top_view.hpp"
#include "common/log.hpp"
#include "ingest/xapi/url.hpp"

namespace spillway::app {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

// One GET of the metrics text; errc::network naming the URL and the cause when it cannot be had.
common::result<std::string> fetch(const ingest::url_parts& url, const std::string& shown) {
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto hosts = resolver.resolve(url.origin.host, url.origin.port, ec);
  if (!ec) {
    stream.expires_after(std::chrono::seconds(2));
    stream.connect(hosts, ec);
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);  // a metrics page is tens of KiB; anything near this is not one
  if (!ec) {
    http::request<http::empty_body> req{http::verb::get, url.target, 11};
    req.set(http::field::host, url.origin.host);
    req.set(http::field::connection, "close");
    stream.expires_after(std::chrono::seconds(2));
    http::write(stream, req, ec);
  }
  beast::flat_buffer buffer;
  if (!ec) http::read(stream, buffer, parser, ec);
  if (ec) {
    return common::error(common::errc::network, "cannot read " + shown + " (" + ec.message() +
                                                    "); is spillway running with metrics.listen there?");
  }
  if (parser.get().result() != http::status::ok) {
    return common::error(common::errc::protocol, shown + " answered HTTP " +
                                                     std::to_string(parser.get().result_int()) +
                                                     "; point --url at the metrics listener");
  }
  return std::move(parser.get().body());
}

// Raw keys, no echo, while it runs; restored by the destructor (normal exit, 'q', an error).
class raw_terminal {
 public:
  raw_terminal() {
    if (::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    termios raw = saved_;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ISIG);  // Ctrl-C arrives as a key: quit cleanly
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // alternate screen, cursor hidden
  }
  ~raw_terminal() {
    std::fputs("\x1b[?25h\x1b[?1049l", stdout);
    std::fflush(stdout);
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  raw_terminal(const raw_terminal&) = delete;
  raw_terminal& operator=(const raw_terminal&) = delete;

 private:
  termios saved_{};
  bool active_ = false;
};

// Waits up to `wait` for a key; true when it asks to quit (q, Q, Ctrl-C, Ctrl-D) or stdin is gone.
bool quit_requested(std::chrono::milliseconds wait) {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
  char keys[32];
  const auto n = ::read(STDIN_FILENO, keys, sizeof keys);
  if (n <= 0) return true;
  for (ssize_t i = 0; i < n; ++i) {
    if (keys[i] == 'q' || keys[i] == 'Q' || keys[i] == 3 || keys[i] == 4) return true;
  }
  return false;
}

void draw(const std::vector<std::string>& lines, bool terminal) {
  std::string frame = terminal ? "\x1b[H" : "";
  for (const auto& l : lines) {
    frame += l;
    frame += terminal ? "\x1b[K\r\n" : "\n";
  }
  std::fwrite(frame.data(), 1, frame.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

common::exit_code top_command(const std::string& url_text, bool once) {
  auto url = ingest::parse_url(url_text);
  if (!url) {
    spdlog::error("--url: {}", url.error().message);
    return common::exit_code::config;
  }
  if (url->origin.tls) {
    spdlog::error("--url {}: the metrics listener speaks plain HTTP; use http://", common::log_sample(url_text, 120));
    return common::exit_code::config;
  }
  if (url->target == "/") url->target = "/metrics";
  const std::string shown = "http://" + url->origin.host + ":" + url->origin.port + url->target;
  top_screen screen{shown, {}, 80, 24};

  // Not a terminal (piped, a script, a test): one frame of plain text from one scrape, then exit —
  // 0 when the instance answered, 1 when it did not.
  if (once || !::isatty(STDIN_FILENO) || !::isatty(STDOUT_FILENO)) {
    const auto text = fetch(*url, shown);
    screen.now = std::chrono::system_clock::now();
    if (!text) {
      spdlog::error("{}", text.error().message);
      return common::exit_code::runtime;
    }
    auto snap = parse_metrics_text(*text, std::chrono::steady_clock::now());
    if (!snap) {
      spdlog::error("{}: {}", shown, snap.error().message);
      return common::exit_code::runtime;
    }
    draw(render_top(screen, nullptr, &*snap, {}), false);
    return common::exit_code::ok;
  }

  raw_terminal term;
  std::optional<metrics_snapshot> previous, current;
  for (;;) {
    std::string problem;
    if (auto text = fetch(*url, shown); !text) {
      problem = text.error().message;
    } else if (auto snap = parse_metrics_text(*text, std::chrono::steady_clock::now()); !snap) {
      problem = snap.error().message;
    } else {
      previous = std::move(current);
      current = std::move(*snap);
    }
    screen.now = std::chrono::system_clock::now();
    draw(render_top(screen, previous ? &*previous : nullptr, current ? &*current : nullptr, problem), true);
    // Until the next refresh, a second after this one started; keys are read at once.
    const auto next = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < next) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
      if (quit_requested(std::max(left, std::chrono::milliseconds(1)))) return common::exit_code::ok;
    }
  }
}

}  // namespace spillway::app
