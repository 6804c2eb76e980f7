#include "sinks/kafka/replay.hpp"

#include <span>
#include <string>
#include <vector>

#include "common/clock.hpp"
#include "sinks/kafka/record_producer.hpp"
#include "sinks/kafka/padded_line.hpp"
#include "sinks/post_extractor.hpp"

namespace spillway::sinks::kafka {

namespace {

using clock = std::chrono::steady_clock;

class replay_run final : public delivery_listener {
 public:
  replay_run(const store& db, const config::kafka_settings& settings, const replay_options& options,
             const std::function<void(const replay_progress&)>& progress)
      : db_(db), options_(options), progress_(progress), extractor_(options.max_line_bytes),
        line_(options.max_line_bytes), producer_(settings, *this), deadline_(clock::now() + options.deadline) {}

  common::result<std::uint64_t> run(replay_range range) {
    progress_state_.total = count(range);
    report(true);
    for (auto post = db_.posts(range.from_id, range.to_id); post.valid(); post.next()) produce(post.id(), post.line());
    // Retry failed deliveries (ids only in memory; the lines are read again from RocksDB).
    while (progress_state_.delivered < progress_state_.total && clock::now() < deadline_) {
      producer_.poll(std::chrono::milliseconds(50));
      report(false);
      std::vector<std::uint64_t> retry;
      retry.swap(failed_);
      for (auto id : retry) {
        if (db_.read_post(id, stored_)) {
          produce(id, stored_.view());
        } else {
          ++progress_state_.delivered;  // deleted meanwhile (retention): nothing left to deliver
        }
      }
    }
    report(true);
    const auto missing = progress_state_.total - progress_state_.delivered;
    if (missing > 0) {
      return common::error(common::errc::timeout,
                           "replay: " + std::to_string(missing) + " of " + std::to_string(progress_state_.total) +
                               " Posts were not delivered before the deadline; check that the Kafka cluster is "
                               "reachable and run replay again for the same range");
    }
    return progress_state_.delivered;
  }

 private:
  std::uint64_t count(replay_range range) const {
    std::uint64_t n = 0;
    for (auto post = db_.posts(range.from_id, range.to_id); post.valid(); post.next()) ++n;
    return n;
  }

  void produce(std::uint64_t id, std::string_view stored) {
    const auto line = line_.assign(stored);
    const auto fields = line_.extract(extractor_);
    const std::span<const sinks::rule_match> rules(fields.rules.data(), fields.rule_count);
    // The received time is not stored with the Post; replayed records carry the replay time.
    const auto now_ms = common::unix_ms_now();
    while (producer_.produce(id, line, rules, now_ms) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (clock::now() >= deadline_) {
        failed_.push_back(id);  // counted as undelivered at the end
        return;
      }
      producer_.poll(std::chrono::milliseconds(50));
      report(false);
    }
    ++progress_state_.produced;
    producer_.poll(std::chrono::milliseconds(0));
    report(false);
  }

  void on_delivery(const delivery_report& report) noexcept override {
    if (report.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++progress_state_.delivered;
    } else {
      ++progress_state_.failed;
      failed_.push_back(report.tag);  // the id: replay passes no tag of its own
    }
  }

  void report(bool force) {
    const auto now = clock::now();
    if (!progress_ || (!force && now < next_report_)) return;
    next_report_ = now + options_.progress_interval;
    progress_(progress_state_);
  }

  const store& db_;
  replay_options options_;
  const std::function<void(const replay_progress&)>& progress_;
  sinks::post_extractor extractor_;
  padded_line line_;    // the line being produced, padded for the extractor
  pinned_line stored_;  // a retried line as RocksDB returns it
  record_producer producer_;
  clock::time_point deadline_;
  clock::time_point next_report_{};
  replay_progress progress_state_;
  std::vector<std::uint64_t> failed_;
};

}  // namespace

common::result<std::uint64_t> replay(const store& db, const config::kafka_settings& settings, replay_range range,
                                     const std::function<void(const replay_progress&)>& progress,
                                     const replay_options& options) {
  replay_run run(db, settings, options, progress);
  return run.run(range);
}

}  // namespace spillway::sinks::kafka
