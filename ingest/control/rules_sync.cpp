#include "ingest/control/rules_sync.hpp"

#include <spdlog/spdlog.h>

#include <set>

namespace spillway::ingest {

common::result<void> sync_rules(rules_api& api, const std::vector<config::rule_spec>& desired, bool delete_unmanaged,
                                bool dry_run, sync_report& report) {
  report.dry_run = dry_run;
  const auto step = [&](const std::string& what) {
    if (report.on_step) report.on_step(what);
  };
  step("listing the live rules");
  if (auto listed = api.list(report.live); !listed) return listed;
  report.plan = plan_rules(desired, report.live, delete_unmanaged);
  std::set<std::string> deleting;
  for (const auto& r : report.plan.to_delete) deleting.insert(r.id);

  // Validate first: nothing changes on X's side, and invalid rules never reach the committing add.
  std::set<std::string> rejected;  // values
  if (!report.plan.to_add.empty()) {
    add_outcome check;
    step("validating " + std::to_string(report.plan.to_add.size()) + " rules with X (dry run)");
    if (auto validated = api.add(report.plan.to_add, true, check); !validated) return validated;
    for (auto& e : check.errors) {
      // A duplicate of a rule this sync deletes first is fine: the value is free by the time we add it.
      if (e.duplicate() && deleting.count(e.id) != 0) continue;
      rejected.insert(e.value);
      (e.duplicate() ? report.duplicates : report.invalid).push_back(std::move(e));
    }
  }
  if (dry_run) return {};

  std::vector<std::string> ids(deleting.begin(), deleting.end());
  if (!ids.empty()) {
    delete_outcome del;
    step("deleting " + std::to_string(ids.size()) + " rules");
    if (auto removed = api.remove(ids, del); !removed) return removed;
    report.deleted = del.deleted;
    report.delete_errors = std::move(del.errors);
  }
  std::vector<config::rule_spec> commit;
  for (const auto& r : report.plan.to_add)
    if (rejected.count(r.value) == 0) commit.push_back(r);
  if (!commit.empty()) {
    add_outcome done;
    step("adding " + std::to_string(commit.size()) + " rules");
    if (auto added = api.add(commit, false, done); !added) return added;
    report.added = std::move(done.created);
    // Someone else may have added the same value between our listing and our add.
    for (auto& e : done.errors) (e.duplicate() ? report.duplicates : report.invalid).push_back(std::move(e));
  }
  return {};
}

common::result<void> sync_rules_on_start(const config::settings& settings, const std::string& bearer,
                                         rate_limit_tracker& limits, stop_source* stop) {
  auto client = make_control_client(settings, control_timeout(settings), stop);
  if (!client) return client.error();
  rules_api api(*client, limits, bearer, rules_api_options{}, rules_api::sleeper{}, stop);
  sync_report report;
  if (auto synced = sync_rules(api, settings.rules, settings.stream.rules_delete_unmanaged, false, report); !synced) {
    auto error = synced.error();
    error.message = "stream.rules_sync_on_start: " + error.message;
    return error;
  }
  spdlog::info("rules sync on start: {} added, {} deleted, {} unchanged, {} left alone", report.added.size(),
               report.deleted, report.plan.unchanged.size(), report.plan.left_alone.size());
  if (!report.complete()) spdlog::warn("rules sync on start left problems:\n{}", render_sync(report));
  return {};
}

}  // namespace spillway::ingest
