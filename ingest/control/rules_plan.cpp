#include "ingest/control/rules_plan.hpp"

#include <set>
#include <utility>

namespace spillway::ingest {

rules_plan plan_rules(const std::vector<config::rule_spec>& desired, const std::vector<live_rule>& live,
                      bool delete_unmanaged) {
  rules_plan plan;
  std::set<std::pair<std::string, std::string>> declared;
  for (const auto& d : desired) declared.emplace(d.value, d.tag);
  std::set<std::pair<std::string, std::string>> live_keys;
  for (const auto& r : live) {
    const auto key = std::make_pair(r.value, r.tag);
    // A second live rule with the same value and tag cannot exist at X, but a listing is not a contract:
    // keep the first, treat the rest as stale.
    if (declared.count(key) != 0 && live_keys.insert(key).second) plan.unchanged.push_back(r);
    else if (delete_unmanaged) plan.to_delete.push_back(r);
    else plan.left_alone.push_back(r);
  }
  for (const auto& d : desired)
    if (live_keys.count({d.value, d.tag}) == 0) plan.to_add.push_back(d);
  return plan;
}

}  // namespace spillway::ingest
