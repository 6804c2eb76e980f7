#pragma once
// FaultPlan: the scripted (--faults FILE) or seeded random (--chaos SEED) misbehaviour of the
// emulator. Each fault fires once, when the emulator has sent `after_posts` Posts in total or
// `after_ms` ms have passed since start (whichever the fault names; neither = at start).
// Stream faults are applied by the connection that is streaming when they come due; with `"lane": N` only
// by the stream holding lane N (each live stream holds the lowest lane free when it opened: with two
// redundant connections, lanes 1 and 2 fault independently). Status faults arm "answer the next N
// connects with this status and X's body".
// Parsing happens at start-up and throws std::runtime_error naming the fix. After that the plan is
// used only on the emulator's io thread.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace spillway::emu {

struct Fault {
  enum class Action { close, stall, disconnect, status, truncate, malformed };
  enum class CloseMode { fin, end, rst };
  std::optional<std::uint64_t> after_posts;
  std::optional<std::int64_t> after_ms;
  Action action = Action::close;
  CloseMode close_mode = CloseMode::fin;  // close: fin (EOF mid-body), end (0-size chunk), rst
  std::int64_t duration_ms = 0;           // stall
  std::string disconnect_type = "OperationalDisconnect";
  int status = 503;                       // status
  std::string body;                       // status: X's body for that status/kind
  int connects = 1;                       // status: how many connects get it
  std::optional<int> lane;                // stream faults: only the stream holding this lane (1-based)
};

class FaultPlan {
 public:
  FaultPlan() = default;
  static FaultPlan from_json(std::string_view json);  // the --faults file's content
  static FaultPlan from_file(const std::string& path);
  // Random faults with gaps of a few thousand Posts; the same seed gives the same faults.
  static FaultPlan chaos(std::uint64_t seed, std::size_t n = 2000);

  bool empty() const { return pending_.empty() && armed_left_ == 0; }
  // Connect time: fires due status faults, then answers from the armed one if any is left.
  std::optional<Fault> on_connect(std::uint64_t posts_sent, std::int64_t ms_since_start);
  // Stream time: the next due stream fault for a stream holding `lane` (removed from the plan), if any.
  std::optional<Fault> take_due(std::uint64_t posts_sent, std::int64_t ms_since_start, int lane = 1);
  // How many more Posts may go out on `lane` before its next post-triggered stream fault (UINT64_MAX: none).
  std::uint64_t posts_until_next(std::uint64_t posts_sent, int lane = 1) const;
  // ms since start of `lane`'s next time-triggered fault (INT64_MAX: none).
  std::int64_t next_ms(int lane = 1) const;

 private:
  bool due(const Fault& f, std::uint64_t posts, std::int64_t ms) const;
  static bool for_lane(const Fault& f, int lane) { return !f.lane || *f.lane == lane; }
  void fire_status(std::uint64_t posts, std::int64_t ms);
  std::deque<Fault> pending_;  // in file order; several may come due together
  std::optional<Fault> armed_;
  int armed_left_ = 0;
};

}  // namespace spillway::emu
