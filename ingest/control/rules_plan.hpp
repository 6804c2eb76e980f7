#pragma once
// rules_plan: the difference between the rules the config declares (`[[rules]]`) and the rules live at X.
// A live rule matches a declared one when value AND tag are equal (a missing tag equals ""). Pure; any thread.
//
// X itself identifies rules by value: a declared rule whose value is live under another tag cannot be
// added until that live rule is deleted. With stream.rules_delete_unmanaged = true (default) the live
// rule is stale and deleted first; with false it is left alone and the add comes back as a duplicate.
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace spillway::ingest {

struct live_rule {
  std::string id;
  std::string value;
  std::string tag;
  bool operator==(const live_rule&) const = default;
};

struct rules_plan {
  std::vector<config::rule_spec> to_add;    // declared, not live (in declaration order)
  std::vector<live_rule> to_delete;         // live, not declared (only when delete_unmanaged)
  std::vector<live_rule> unchanged;         // live and declared
  std::vector<live_rule> left_alone;        // live, not declared, kept because delete_unmanaged = false

  [[nodiscard]] bool in_sync() const { return to_add.empty() && to_delete.empty(); }
};

[[nodiscard]] rules_plan plan_rules(const std::vector<config::rule_spec>& desired, const std::vector<live_rule>& live,
                                    bool delete_unmanaged);

}  // namespace spillway::ingest
