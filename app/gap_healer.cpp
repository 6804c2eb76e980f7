#include "app/gap_healer.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include "app/meta_heal_ledger.hpp"
#include "ingest/control/gap_readers.hpp"
#include "ingest/control/rules_api.hpp"
#include "ingest/control/search_heal.hpp"
#include "ingest/reconnect/policy.hpp"
#include "ingest/stream/gap_tracker.hpp"

namespace spillway::app {
namespace {

using reconnect::heal_method;
using reconnect::heal_state;
using wall = std::chrono::system_clock;

// Lines handed to the pipeline per commit: the progress written after each is the resume point.
constexpr std::size_t commit_lines = 1000;
// Search slices: the results of one slice (all rules) are merged and committed together.
constexpr std::chrono::minutes search_slice{10};
// X's search wants end_time at least 10 s before the request.
constexpr std::chrono::seconds search_end_margin{15};
// One Recovery slice (≤ 2 h) at X's full re-streaming speed fits well inside this.
constexpr std::chrono::minutes recovery_timeout{30};

std::int64_t unix_ms(wall::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The resume point "stream:<unix ms>" / "search:<slice>"; 0 when absent or of the other method.
std::int64_t progress_value(const std::string& progress, std::string_view method) {
  if (!progress.starts_with(method) || progress.size() <= method.size() + 1 || progress[method.size()] != ':') return 0;
  std::int64_t v = 0;
  const auto* b = progress.data() + method.size() + 1;
  std::from_chars(b, progress.data() + progress.size(), v);
  return v;
}

// data.id of a stream line; 0 for anything else (a notice).
std::uint64_t line_id(std::string_view line) {
  rapidjson::Document doc;
  doc.Parse(line.data(), line.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("data") || !doc["data"].IsObject()) return 0;
  const auto& data = doc["data"];
  if (!data.HasMember("id") || !data["id"].IsString()) return 0;
  std::uint64_t id = 0;
  const std::string_view s(data["id"].GetString(), data["id"].GetStringLength());
  std::from_chars(s.data(), s.data() + s.size(), id);
  return id;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string capped_detail(std::uint64_t cap) {
  return fmt::format("stopped at recovery.max_posts_per_gap = {} Posts", cap);
}

}  // namespace

double stored_rate(const sinks::store& db) {
  constexpr std::size_t sample = 10000;
  std::uint64_t newest = 0, oldest = 0;
  std::size_t n = 0;
  db.for_each_newest_id(sample, [&](std::uint64_t id) {
    if (n++ == 0) newest = id;
    oldest = id;
  });
  if (n < 2) return 0;
  const auto span = std::chrono::duration<double>(ingest::snowflake_time(newest) - ingest::snowflake_time(oldest)).count();
  return span > 0 ? double(n - 1) / span : 0;
}

reconnect::heal_policy heal_policy_from(const config::settings& cfg, const sinks::store& db) {
  reconnect::heal_policy policy;
  policy.method = reconnect::resolve_heal_mode(cfg.recovery.mode, cfg.stream.backfill);
  policy.max_age = cfg.recovery.max_age;
  policy.max_posts_per_gap = cfg.recovery.max_posts_per_gap;
  policy.backfill = cfg.stream.backfill;
  policy.posts_per_second = stored_rate(db);
  return policy;
}

gap_healer::gap_healer(const config::settings& cfg, sinks::store& db, common::heal_inbox& inbox,
                       std::function<std::string()> bearer, ingest::stop_source& stop)
    : cfg_(cfg), db_(db), inbox_(inbox), bearer_(std::move(bearer)), stop_(stop) {}

void gap_healer::save(const reconnect::gap_record& gap, const reconnect::heal_record& rec) {
  if (auto put = meta_heal_ledger(db_).put(gap.stopped_at, rec); !put)
    spdlog::error("gap healing: cannot record the heal state of the gap at {}: {}", reconnect::format_utc(gap.stopped_at),
                  put.error().message);
}

bool gap_healer::commit(std::vector<std::string>& lines, common::post_source source) {
  const bool ok = inbox_.submit(lines, source, unix_ms(wall::now()));
  lines.clear();
  return ok;
}

heal_totals gap_healer::heal_pass(wall::time_point now) {
  heal_totals totals;
  const auto started = std::chrono::steady_clock::now();
  pass_requests_ = 0;
  std::size_t unreadable = 0;
  const auto entries = meta_heal_ledger(db_).load(unreadable);
  const auto plan = reconnect::plan_healing(entries, heal_policy_from(cfg_, db_), now);
  for (std::size_t i = 0; i < plan.size() && !stop_.stop_requested(); ++i) {
    const auto& step = plan[i];
    reconnect::heal_record rec = entries[i].heal.value_or(reconnect::heal_record{});
    switch (step.action) {
      case reconnect::heal_action::still_open:
      case reconnect::heal_action::done:
        continue;
      case reconnect::heal_action::backfilled: {
        reconnect::heal_record backfilled;
        backfilled.state = heal_state::backfilled;
        save(step.gap, backfilled);
        continue;
      }
      case reconnect::heal_action::unrecoverable:
        spdlog::warn("gap healing: {}", reconnect::describe(step));
        rec.state = heal_state::unrecoverable;
        rec.in_progress = false;
        rec.detail = step.reason;
        save(step.gap, rec);
        continue;
      case reconnect::heal_action::heal:
        break;
    }
    spdlog::info("gap healing: {}", reconnect::describe(step));
    const auto posts_before = rec.posts;
    if (rec.method != step.method) rec.progress.clear();  // another method's resume point means nothing here
    rec.method = step.method;
    rec.in_progress = true;
    save(step.gap, rec);
    const auto gap_started = std::chrono::steady_clock::now();
    auto result = step.method == heal_method::stream ? heal_by_stream(step, rec) : heal_by_search(step, rec);
    if (result.fall_back_to_search && !stop_.stop_requested()) {
      spdlog::warn("gap healing: no connection slot for a Recovery stream (recovery.mode = auto): healing the gap at "
                   "{} by search instead", reconnect::format_utc(step.gap.stopped_at));
      rec.method = heal_method::search;
      rec.progress.clear();
      save(step.gap, rec);
      result = heal_by_search(step, rec);
    }
    totals.posts += rec.posts - posts_before;
    if (result.state == heal_state::open) {
      ++totals.gaps_left;
      totals.failed = totals.failed || !stop_.stop_requested();
      save(step.gap, rec);
      continue;
    }
    rec.state = result.state;
    rec.detail = result.detail;
    rec.in_progress = false;
    save(step.gap, rec);
    ++totals.gaps_healed;
    spdlog::info("gap healing: the gap at {} is {} by {}: {} Posts read, {} requests, {:.1f} s{}{}",
                 reconnect::format_utc(step.gap.stopped_at), reconnect::to_string(rec.state),
                 reconnect::to_string(rec.method), rec.posts, rec.requests,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - gap_started).count(),
                 rec.detail.empty() ? "" : "; ", rec.detail);
  }
  totals.requests = pass_requests_;
  totals.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (unreadable > 0) spdlog::warn("gap healing: {} unreadable ledger records skipped", unreadable);
  return totals;
}

gap_healer::outcome gap_healer::heal_by_stream(const reconnect::heal_step& step, reconnect::heal_record& rec) {
  auto client = ingest::make_control_client(cfg_, recovery_timeout, &stop_);
  if (!client) {
    spdlog::error("gap healing: {}", client.error().message);
    return {};
  }
  const std::uint64_t cap = cfg_.recovery.max_posts_per_gap;
  // Resume: the creation time of the newest Post committed (Posts of that same millisecond come again and
  // are dropped by id).
  const std::int64_t resume_ms = progress_value(rec.progress, "stream");
  for (const auto& slice : step.slices) {
    if (resume_ms != 0 && unix_ms(slice.to) <= resume_ms) continue;
    const auto from = resume_ms != 0 ? std::max(slice.from, wall::time_point(std::chrono::milliseconds(resume_ms)))
                                     : slice.from;
    std::vector<std::string> batch;
    bool capped = false, stopped = false;
    std::uint64_t newest = 0;
    const auto flush = [&] {
      if (batch.empty()) return true;
      for (auto it = batch.rbegin(); it != batch.rend() && newest == 0; ++it) newest = line_id(*it);
      const auto n = batch.size();
      if (!commit(batch, common::post_source::recovery)) return false;
      rec.posts += n;
      if (newest != 0) rec.progress = fmt::format("stream:{}", unix_ms(ingest::snowflake_time(newest)));
      newest = 0;
      save(step.gap, rec);
      return true;
    };
    const auto on_line = [&](std::string_view line) {
      batch.emplace_back(line);
      if (rec.posts + batch.size() >= cap) capped = true;
      if ((batch.size() >= commit_lines || capped) && !flush()) stopped = true;
      return !capped && !stopped;
    };
    ++rec.requests;
    ++pass_requests_;
    const auto read = ingest::recover(*client, bearer_(), ingest::recovery_target(cfg_, from, slice.to), on_line);
    if (!stopped && !flush()) stopped = true;
    if (stopped) return {};
    if (capped) return {heal_state::partially_recovered, capped_detail(cap), false};
    if (!read) {
      if (read.error().is(common::errc::rate_limited)) {
        if (cfg_.recovery.mode == "auto") return {heal_state::open, {}, true};
        spdlog::warn("gap healing: {}; every connection slot is in use (the live stream, or redundant connections): "
                     "the Recovery stream is tried again at the next pass", read.error().message);
        return {};
      }
      spdlog::error("gap healing: {}", read.error().message);
      return {};
    }
  }
  return {heal_state::recovered, {}, false};
}

gap_healer::outcome gap_healer::heal_by_search(const reconnect::heal_step& step, reconnect::heal_record& rec) {
  // X's search wants end_time at least 10 s in the past: a gap that just closed waits that long.
  const auto ready_at = step.window.to + search_end_margin;
  if (const auto now = wall::now(); now < ready_at &&
      stop_.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(ready_at - now)))
    return {};
  auto client = ingest::make_control_client(cfg_, ingest::control_timeout(cfg_), &stop_);
  if (!client) {
    spdlog::error("gap healing: {}", client.error().message);
    return {};
  }
  // The live rules: their ids are what the results' matching_rules name, as the stream would have.
  ingest::rules_api rules(*client, limits_, bearer_(), {}, {}, &stop_);
  std::vector<ingest::live_rule> live;
  const auto listed = rules.list(live);
  rec.requests += static_cast<std::uint64_t>(rules.requests());
  pass_requests_ += static_cast<std::uint64_t>(rules.requests());
  if (!listed) {
    spdlog::error("gap healing: {}", listed.error().message);
    return {};
  }
  if (live.empty()) return {heal_state::unrecoverable, "the stream has no rules: nothing to search for", false};
  const std::size_t max_query = cfg_.stream.backfill ? 4096 : 1024;  // Enterprise (backfill) : the others
  std::vector<std::string> unsearchable;
  std::vector<const ingest::live_rule*> searchable;
  for (const auto& r : live) {
    const std::string name = r.tag.empty() ? r.value : r.tag;
    if (auto op = ingest::search_unsupported_operator(r.value))
      unsearchable.push_back(fmt::format("{} ({}:)", name, *op));
    else if (r.value.size() > max_query)
      unsearchable.push_back(fmt::format("{} (longer than {} characters)", name, max_query));
    else
      searchable.push_back(&r);
  }
  if (!unsearchable.empty())
    spdlog::warn("gap healing: search cannot express these rules, their Posts in the gap at {} stay lost: {}",
                 reconnect::format_utc(step.gap.stopped_at), joined(unsearchable));
  const std::uint64_t cap = cfg_.recovery.max_posts_per_gap;
  ingest::search_reader reader(*client, limits_, bearer_(), &stop_);
  std::uint64_t counted = 0;  // reader.requests() already added to rec
  const auto count_requests = [&] {
    rec.requests += reader.requests() - counted;
    pass_requests_ += reader.requests() - counted;
    counted = reader.requests();
  };
  const auto first = progress_value(rec.progress, "search");
  // Slices on whole seconds (X's times are): consecutive slices then share no second, so no Post is read twice.
  const auto start = std::chrono::floor<std::chrono::seconds>(step.window.from);
  const auto end = std::chrono::ceil<std::chrono::seconds>(step.window.to);
  std::int64_t k = 0;
  for (wall::time_point from = start; from < end; from += search_slice, ++k) {
    if (k < first) continue;
    const wall::time_point to = std::min<wall::time_point>(end, from + search_slice);
    ingest::matching_rules_merger merged;
    bool capped = false;
    for (const auto* r : searchable) {
      const auto found = reader.search(
          r->value, from, to, {},
          [&](std::string_view id, std::string_view data) {
            if (rec.posts + merged.size() >= cap) {
              capped = true;
              return false;
            }
            merged.add(id, data, r->id, r->tag);
            return true;
          },
          [](const std::string&) {});
      count_requests();
      if (!found) {
        spdlog::error("gap healing: rule {}: {}", r->tag.empty() ? r->value : r->tag, found.error().message);
        save(step.gap, rec);
        return {};
      }
      if (capped) break;
    }
    auto lines = merged.lines();
    for (std::size_t at = 0; at < lines.size(); at += commit_lines) {
      std::vector<std::string> part(std::make_move_iterator(lines.begin() + static_cast<std::ptrdiff_t>(at)),
                                    std::make_move_iterator(lines.begin() + static_cast<std::ptrdiff_t>(
                                                                std::min(lines.size(), at + commit_lines))));
      if (!commit(part, common::post_source::search)) return {};
    }
    rec.posts += merged.size();
    rec.progress = fmt::format("search:{}", k + 1);
    save(step.gap, rec);
    if (capped)
      return {heal_state::partially_recovered,
              capped_detail(cap) + (unsearchable.empty() ? "" : "; not searchable: " + joined(unsearchable)), false};
  }
  if (unsearchable.empty()) return {heal_state::recovered, {}, false};
  return {heal_state::partially_recovered, "not searchable: " + joined(unsearchable), false};
}

}  // namespace spillway::app
