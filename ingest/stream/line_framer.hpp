#pragma once
// line_framer: splits the decoded body of the X stream into lines, without copying.
//
// Pure: no I/O, no allocation. The caller owns the buffer; the framer only keeps offsets into it.
// Thread: whichever thread feeds it (the stream reader).
//
// Wire facts (XAPI.md "Wire format"): each message is one JSON object followed by "\r\n"; JSON strings
// never contain raw CR or LF, so splitting on '\n' is safe; a bare "\n" is accepted too. An empty line is
// a heartbeat. Chunk boundaries are unrelated to message boundaries, so a line may arrive in pieces.
//
// Lines longer than max_line_bytes are not buffered: the framer reports the first bytes as a sample
// (event `oversize`) and discards the rest up to the next '\n', so one runaway line cannot exhaust memory.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace spillway::ingest {

enum class frame_kind : std::uint8_t { line, heartbeat, oversize };

struct frame_event {
  frame_kind kind;
  std::size_t offset;   // into the caller's buffer
  std::size_t length;   // line bytes without "\r\n"; for oversize, the sample length
};

class line_framer {
 public:
  static constexpr std::size_t oversize_sample_bytes = 256;

  explicit line_framer(std::size_t max_line_bytes) noexcept : max_line_bytes_(max_line_bytes) {}

  // buf[0, end) holds data; [pending_begin(), end) is not framed yet. Calls on_event(frame_event) for
  // each complete line, heartbeat or oversize line found, in order.
  template <typename OnEvent>
  void feed(const char* buf, std::size_t end, OnEvent&& on_event) {
    while (scanned_ < end) {
      const void* nl = std::memchr(buf + scanned_, '\n', end - scanned_);
      if (nl == nullptr) {
        scanned_ = end;
        break;
      }
      const auto nl_at = static_cast<std::size_t>(static_cast<const char*>(nl) - buf);
      if (discarding_) {
        discarding_ = false;  // the rest of the oversize line ends here; it was reported when detected
      } else {
        std::size_t len = nl_at - line_start_;
        if (len != 0 && buf[line_start_ + len - 1] == '\r') --len;
        if (len == 0) {
          on_event(frame_event{frame_kind::heartbeat, line_start_, 0});
        } else if (len > max_line_bytes_) {
          on_event(frame_event{frame_kind::oversize, line_start_, sample(len)});
        } else {
          on_event(frame_event{frame_kind::line, line_start_, len});
        }
      }
      line_start_ = nl_at + 1;
      scanned_ = line_start_;
    }
    if (!discarding_ && end - line_start_ > max_line_bytes_ + 1) {  // +1: a line may end in '\r' first
      on_event(frame_event{frame_kind::oversize, line_start_, sample(end - line_start_)});
      discarding_ = true;
    }
    if (discarding_) line_start_ = scanned_ = end;  // drop the runaway bytes, keep scanning for '\n'
  }

  // Offset of the first byte of the incomplete line (== end when the data ended on a line boundary).
  [[nodiscard]] std::size_t pending_begin() const noexcept { return line_start_; }
  // True while skipping the tail of an oversize line.
  [[nodiscard]] bool discarding() const noexcept { return discarding_; }

  // The caller moved the incomplete tail [pending_begin(), end) to offset 0 of a new buffer.
  void rebase() noexcept {
    scanned_ -= line_start_;
    line_start_ = 0;
  }
  // Forget any partial line (a new connection starts a new body).
  void reset() noexcept { line_start_ = scanned_ = 0; discarding_ = false; }

 private:
  static std::size_t sample(std::size_t len) noexcept {
    return len < oversize_sample_bytes ? len : oversize_sample_bytes;
  }

  const std::size_t max_line_bytes_;
  std::size_t line_start_ = 0;
  std::size_t scanned_ = 0;
  bool discarding_ = false;
};

}  // namespace spillway::ingest
