#include "app/top_view.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "app/number_format.hpp"
#include "common/log.hpp"
#include "common/metric_names.hpp"

namespace spillway::app {
namespace {

namespace m = common::metric;

// A sample line: name, optional {labels}, value, optional timestamp. False when the line is not one.
bool parse_sample(std::string_view line, metric_sample& out) {
  std::size_t i = 0;
  while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) || line[i] == '_' || line[i] == ':')) ++i;
  if (i == 0) return false;
  out.name.assign(line.substr(0, i));
  out.labels.clear();
  if (i < line.size() && line[i] == '{') {
    // Label values are quoted and may hold '}' or an escaped quote: walk them rather than search for '}'.
    std::size_t j = i + 1;
    bool quoted = false;
    for (; j < line.size(); ++j) {
      if (quoted && line[j] == '\\') {
        ++j;
      } else if (line[j] == '"') {
        quoted = !quoted;
      } else if (!quoted && line[j] == '}') {
        break;
      }
    }
    if (j >= line.size()) return false;
    out.labels.assign(line.substr(i + 1, j - i - 1));
    i = j + 1;
  }
  if (i >= line.size() || line[i] != ' ') return false;
  std::string_view rest = line.substr(i + 1);
  rest = rest.substr(0, rest.find(' '));  // drop a timestamp
  if (rest == "+Inf" || rest == "-Inf" || rest == "NaN") {
    out.value = rest == "+Inf" ? HUGE_VAL : rest == "-Inf" ? -HUGE_VAL : std::nan("");
    return true;
  }
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out.value);
  return ec == std::errc() && end == rest.data() + rest.size();
}

// The value of label `label` inside a label text (a="x",b="y"); empty when absent.
std::string label_value(std::string_view labels, std::string_view label) {
  std::size_t at = 0;
  while (at < labels.size()) {
    const auto eq = labels.find('=', at);
    if (eq == std::string_view::npos || eq + 1 >= labels.size() || labels[eq + 1] != '"') return {};
    const auto key = labels.substr(at, eq - at);
    std::string value;
    std::size_t j = eq + 2;
    for (; j < labels.size() && labels[j] != '"'; ++j) {
      if (labels[j] == '\\' && j + 1 < labels.size()) ++j;
      value += labels[j];
    }
    if (key == label) return value;
    at = labels.find(',', j);
    if (at == std::string_view::npos) return {};
    ++at;
  }
  return {};
}

std::string grouped(double v) {
  if (!std::isfinite(v)) return "-";
  const auto n = std::llround(v);
  const std::string magnitude = grouped_count(static_cast<std::uint64_t>(n < 0 ? -n : n));
  return n < 0 ? "-" + magnitude : magnitude;
}

std::string duration_text(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const auto s = static_cast<long long>(seconds);
  char buf[48];
  if (s >= 86400) std::snprintf(buf, sizeof buf, "%lldd%02lldh%02lldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
  else if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", s / 3600, s % 3600 / 60, s % 60);
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%.1fs", seconds);
  return buf;
}

std::string bytes_text(double bytes) {
  char buf[32];
  if (bytes >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
  else if (bytes >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  else if (bytes >= 1e3) std::snprintf(buf, sizeof buf, "%.1f kB", bytes / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  return buf;
}

std::string utc_clock(double unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

const char* state_name(double state) {
  switch (static_cast<int>(state)) {  // common/metric_names.hpp: stream_state's help
    case 0: return "backing off";
    case 1: return "connecting";
    case 2: return "streaming";
    case 3: return "stopped";
    case 4: return "paused: disk low";
    default: return "unknown";
  }
}

// Columns: name, total, per second.
std::string counter_row(const char* label, const metrics_snapshot& now, const metrics_snapshot* before,
                        std::string_view name) {
  const auto total = now.value(name);
  std::string rate = "-";
  if (before != nullptr && total) {
    const auto prev = before->value(name);
    const double dt = std::chrono::duration<double>(now.taken - before->taken).count();
    if (prev && dt > 0) rate = grouped(std::max(0.0, *total - *prev) / dt);
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "  %-12s %18s %16s", label, total ? grouped(*total).c_str() : "-", rate.c_str());
  return buf;
}

}  // namespace

std::optional<double> metrics_snapshot::value(std::string_view name) const {
  for (const auto& s : samples) {
    if (s.labels.empty() && s.name == name) return s.value;
  }
  const auto each = per_connection(name);
  if (each.empty()) return std::nullopt;
  double sum = 0;
  for (const auto& [connection, v] : each) sum += v;
  return sum;
}

std::vector<std::pair<std::string, double>> metrics_snapshot::per_connection(std::string_view name) const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& s : samples) {
    if (s.name != name || !s.labels.starts_with("connection=\"") || s.labels.find(',') != std::string::npos) continue;
    out.emplace_back(label_value(s.labels, "connection"), s.value);
  }
  return out;
}

std::vector<std::pair<std::string, double>> metrics_snapshot::by_label(std::string_view name,
                                                                       std::string_view label) const {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& s : samples) {
    if (s.name != name || s.labels.empty()) continue;
    auto v = label_value(s.labels, label);
    if (!v.empty()) out.emplace_back(std::move(v), s.value);
  }
  return out;
}

common::result<metrics_snapshot> parse_metrics_text(std::string_view text, std::chrono::steady_clock::time_point taken) {
  metrics_snapshot snap;
  snap.taken = taken;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    metric_sample s;
    if (!parse_sample(line, s)) {
      return common::error(common::errc::protocol,
                           "line " + std::to_string(line_no) + " is not a Prometheus sample (" +
                               common::log_sample(line, 60) +
                               "); point --url at a Spillway metrics listener (metrics.listen), e.g. "
                               "http://127.0.0.1:9464");
    }
    snap.samples.push_back(std::move(s));
  }
  if (!snap.value(m::posts_stored.name)) {
    return common::error(common::errc::protocol,
                         std::string("no ") + std::string(m::posts_stored.name) +
                             " in the answer: this is not a Spillway metrics listener; check --url (metrics.listen)");
  }
  return snap;
}

std::vector<std::string> render_top(const top_screen& screen, const metrics_snapshot* previous,
                                    const metrics_snapshot* current, std::string_view fetch_problem) {
  std::vector<std::string> lines;
  const double now_s = std::chrono::duration<double>(screen.now.time_since_epoch()).count();
  lines.push_back("spillway top  " + common::log_sample(screen.url, 48) + "  " + utc_clock(now_s) + " UTC");
  if (current == nullptr) {
    lines.push_back("");
    lines.push_back("no figures: " + common::log_sample(fetch_problem, 300));
  } else {
    const auto& now = *current;
    // Per connection (stream.connections): the service streams while any connection does.
    const auto states = now.per_connection(m::stream_state.name);
    const auto healths = now.per_connection(m::stream_healthy.name);
    double state = now.value(m::stream_state.name).value_or(-1);
    bool healthy = now.value(m::stream_healthy.name).value_or(0) > 0;
    if (!states.empty()) {
      state = states.front().second;
      for (const auto& [c, s] : states) {
        if (s == 2) state = s;  // spillway_stream_state: 2 streaming
      }
      healthy = std::ranges::any_of(healths, [](const auto& h) { return h.second > 0; });
    }
    const bool pipeline = now.value(m::pipeline_up.name).value_or(1) > 0;
    std::string head = "state  " + std::string(state_name(state)) + (healthy ? " (healthy)" : " (not healthy)");
    if (const auto started = now.value(m::start_time.name); started && *started > 0) {
      head += "   uptime " + duration_text(now_s - *started);
    }
    head += pipeline ? "   pipeline up" : "   PIPELINE DOWN";
    lines.push_back(head);
    if (!fetch_problem.empty()) lines.push_back("stale: " + common::log_sample(fetch_problem, 200));
    if (states.size() > 1) {
      std::string each = "connections";
      for (const auto& [c, s] : states) each += "  " + common::log_sample(c, 8) + " " + state_name(s);
      lines.push_back(each);
    }
    lines.push_back("");
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %-12s %18s %16s", "Posts", "total", "per second");
    lines.push_back(buf);
    lines.push_back(counter_row("received", now, previous, m::posts_received.name));
    lines.push_back(counter_row("stored", now, previous, m::posts_stored.name));
    const bool kafka = now.value(m::kafka_delivered.name).has_value();
    if (kafka) lines.push_back(counter_row("delivered", now, previous, m::kafka_delivered.name));
    else lines.push_back("  delivered    Kafka off");
    lines.push_back(counter_row("duplicates", now, previous, m::duplicates_dropped.name));
    lines.push_back("");
    std::snprintf(buf, sizeof buf, "ring     %s in flight, high water %s, full waits %s",
                  grouped(now.value(m::ring_depth.name).value_or(0)).c_str(),
                  grouped(now.value(m::ring_high_water.name).value_or(0)).c_str(),
                  grouped(now.value(m::ring_full_waits.name).value_or(0)).c_str());
    lines.push_back(buf);
    // The overload spool (issue 13) is not built yet; say so rather than show a zero that looks measured.
    lines.push_back("spool    none (this version has no overload spool)");
    if (kafka) {
      std::snprintf(buf, sizeof buf, "outbox   %s Posts, %s, oldest %s",
                    grouped(now.value(m::kafka_outbox_posts.name).value_or(0)).c_str(),
                    bytes_text(now.value(m::kafka_outbox_bytes.name).value_or(0)).c_str(),
                    duration_text(now.value(m::kafka_outbox_oldest_age_ms.name).value_or(0) / 1000.0).c_str());
      lines.push_back(buf);
    } else {
      lines.push_back("outbox   Kafka off");
    }
    const auto each_post = now.per_connection(m::stream_last_post_ms.name);
    double last_post_ms = each_post.empty() ? now.value(m::stream_last_post_ms.name).value_or(0) : 0;
    for (const auto& [c, ms] : each_post) last_post_ms = std::max(last_post_ms, ms);  // the latest of any connection
    lines.push_back("last Post " + (last_post_ms > 0 ? duration_text(now_s - last_post_ms / 1000.0) + " ago" : std::string("never")));
    std::string ends = "session ends";
    std::size_t shown = 0;
    // One figure per reason, summed over the connections (each labels its own).
    std::vector<std::pair<std::string, double>> by_reason;
    for (const auto& [reason, count] : now.by_label(m::stream_session_ends.name, "reason")) {
      auto it = std::ranges::find_if(by_reason, [&](const auto& r) { return r.first == reason; });
      if (it == by_reason.end()) by_reason.emplace_back(reason, count);
      else it->second += count;
    }
    for (const auto& [reason, count] : by_reason) {
      if (count <= 0) continue;
      ends += "  " + common::log_sample(reason, 24) + " " + grouped(count);
      ++shown;
    }
    if (shown == 0) ends += "  none";
    lines.push_back(ends);
    if (const auto remaining = now.value(m::x_rate_limit_remaining.name)) {
      const double limit = now.value(m::x_rate_limit_limit.name).value_or(0);
      const double reset = now.value(m::x_rate_limit_reset.name).value_or(0);
      std::string rl = "rate limit  stream connects " + grouped(*remaining) + "/" + grouped(limit) + " left";
      if (reset > 0) rl += ", resets " + utc_clock(reset) + " UTC (in " + duration_text(std::max(0.0, reset - now_s)) + ")";
      lines.push_back(rl);
    } else {
      lines.push_back("rate limit  no x-rate-limit headers seen yet");
    }
    const double open_since = now.value(m::open_gap_since_ms.name).value_or(0);
    std::string gaps = "gaps     ";
    if (open_since > 0) gaps += "OPEN since " + utc_clock(open_since / 1000.0) + " UTC (" + duration_text(now_s - open_since / 1000.0) + ")";
    else gaps += "none open";
    gaps += ", closed " + grouped(now.value(m::stream_gaps.name).value_or(0)) + ", unrecovered " +
            duration_text(now.value(m::unrecovered_gap_seconds.name).value_or(0));
    lines.push_back(gaps);
    if (const auto free = now.value(m::disk_free_bytes.name)) {
      lines.push_back("disk     " + bytes_text(*free) + " free" +
                      (now.value(m::disk_low.name).value_or(0) > 0 ? ", BELOW sinks.rocksdb.min_free_bytes" : ""));
    }
  }
  while (lines.size() + 1 < screen.height) lines.push_back("");
  lines.push_back("q quits - refreshes every second");
  if (lines.size() > screen.height) lines.resize(screen.height);
  for (auto& l : lines) {
    if (l.size() > screen.width) l.resize(screen.width);
  }
  return lines;
}

}  // namespace spillway::app
