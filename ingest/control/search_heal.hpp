#pragma once
// search_heal: the pure parts of healing a gap by search (XAPI.md "Healing longer gaps"). X's search
// has no `matching_rules`, so each managed rule is searched on its own and every result is tagged with
// the rule that found it — merged when several rules find the same Post, as the stream lists every
// matching rule once. Rules using an operator search lacks (sample:, bio:, bio_name:, bio_location:)
// cannot be searched: they are named so the gap is marked partially recovered with them.
// Pure values and functions; one healer thread uses a merger at a time.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"

namespace spillway::ingest {

// The first stream-only operator in `rule` outside quotes ("sample", "bio", ...), or nullopt.
[[nodiscard]] std::optional<std::string> search_unsupported_operator(std::string_view rule);

struct search_rule_split {
  std::vector<std::size_t> searchable;   // indexes into the rules
  std::vector<std::string> unsupported;  // "tag (operator:)" or "value (operator:)", for the report
};
[[nodiscard]] search_rule_split split_rules_for_search(const std::vector<config::rule_spec>& rules);

// The search query for a rule, or nullopt when it is longer than the access level allows (1,024
// characters; 4,096 on Enterprise): search cannot express it either.
[[nodiscard]] std::optional<std::string> search_query_for(const config::rule_spec& rule, std::size_t max_query_length);

// Collects search results per rule and writes each Post once, stream-shaped, with every rule that found
// it. Holds each Post's data object until written: bounded by recovery.max_posts_per_gap.
class matching_rules_merger {
 public:
  // `data`: the Post object as search returned it; `id`: its id; `rule_id`/`tag`: the live rule that found it.
  void add(std::string_view id, std::string_view data, std::string_view rule_id, std::string_view tag);
  [[nodiscard]] std::size_t size() const { return posts_.size(); }
  // One line per Post, oldest id first: {"data":…,"matching_rules":[{"id":…,"tag":…},…]}.
  [[nodiscard]] std::vector<std::string> lines() const;

 private:
  struct entry {
    std::string data;
    std::vector<std::pair<std::string, std::string>> rules;  // (id, tag), in the order they found it
  };
  struct id_order {  // numeric order of decimal ids without parsing them (up to 19 digits)
    bool operator()(const std::string& a, const std::string& b) const {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    }
  };
  std::map<std::string, entry, id_order> posts_;
};

}  // namespace spillway::ingest
