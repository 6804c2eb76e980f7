#pragma once
// rules_sync: makes the live rules equal the declared `[[rules]]` — list (paged), plan (rules_plan),
// validate the additions with dry_run=true, delete stale rules, add the valid missing ones — and says
// what it did. Invalid rules (X's details[]) and duplicates (X's id of the live rule) are reported and
// left out of the committing add, because X may refuse a whole add that contains one invalid rule.
// Rule changes reach an open stream within ~20 s: a sync never requires a reconnect.
//
// Thread: the caller's (blocking). Must outlive a call: the rules_api.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include <functional>
#include <string_view>

#include "config/settings.hpp"
#include "ingest/xapi/http_client.hpp"
#include "ingest/control/rules_api.hpp"
#include "ingest/control/rules_plan.hpp"

namespace spillway::ingest {

struct sync_report {
  bool dry_run = false;
  std::vector<live_rule> live;       // as listed before any change
  rules_plan plan;
  std::vector<rule_error> invalid;     // rejected by X's validation, with details[]
  std::vector<rule_error> duplicates;  // value already live under a rule this sync does not delete
  std::vector<live_rule> added;
  std::int64_t deleted = 0;
  std::vector<rule_error> delete_errors;
  // Optional, set by the caller before the sync: told what the sync is about to ask X (each call can wait
  // minutes on a rate-limit reset), for a progress line. Not called for a step that has nothing to do.
  std::function<void(std::string_view step)> on_step;

  // True when every declared rule is (or, for a dry run, would be) live.
  [[nodiscard]] bool complete() const { return invalid.empty() && duplicates.empty() && delete_errors.empty(); }
};

// Fails (rules_api's errors) when a call failed (network, token, access); `report` then holds what was
// done so far.
[[nodiscard]] common::result<void> sync_rules(rules_api& api, const std::vector<config::rule_spec>& desired,
                                              bool delete_unmanaged, bool dry_run, sync_report& report);

// For `spillway run` with stream.rules_sync_on_start: one full sync with the token `run` already holds and
// its tracker (which exports the rate-limit metrics), logged. Fails (the message starts with
// "stream.rules_sync_on_start: ", the code is rules_api's) when the sync could not be carried out; invalid
// or duplicate rules are logged as warnings and still succeed (the valid rules are live; the stream can
// start). `stop` (may be null) ends a call or a rate-limit wait early: SIGTERM must not wait for a
// 15-minute window.
[[nodiscard]] common::result<void> sync_rules_on_start(const config::settings& settings, const std::string& bearer,
                                                       rate_limit_tracker& limits, stop_source* stop = nullptr);

// Human-readable renderings (values and tags quoted; never a token).
[[nodiscard]] std::string render_rules(const std::vector<live_rule>& live);
[[nodiscard]] std::string render_plan(const rules_plan& plan, bool delete_unmanaged);
[[nodiscard]] std::string render_sync(const sync_report& report);

}  // namespace spillway::ingest
