#include "app/meta_heal_ledger.hpp"

#include <map>

#include "app/meta_gap_ledger.hpp"
#include "common/big_endian.hpp"

namespace spillway::app {

std::string heal_key(std::chrono::system_clock::time_point stopped_at) {
  // The gap record's key with the heal prefix: both sort by stopped_at, and one is found from the other.
  return std::string(heal_key_prefix) + gap_key(stopped_at).substr(gap_key_prefix.size());
}

common::result<void> meta_heal_ledger::put(std::chrono::system_clock::time_point stopped_at, const reconnect::heal_record& r) {
  return db_.put_meta(heal_key(stopped_at), reconnect::serialize(r));
}

std::vector<reconnect::ledger_entry> meta_heal_ledger::load(std::size_t& unreadable) {
  std::map<std::string, reconnect::heal_record, std::less<>> heals;
  db_.for_each_meta(heal_key_prefix, [&](std::string_view key, std::string_view value) {
    if (auto r = reconnect::deserialize_heal_record(value)) heals.emplace(std::string(key.substr(heal_key_prefix.size())), *r);
    else ++unreadable;
    return true;
  });
  std::vector<reconnect::ledger_entry> entries;
  meta_gap_ledger(db_).for_each([&](const reconnect::gap_record& gap) {
    reconnect::ledger_entry e{gap, std::nullopt};
    if (auto it = heals.find(heal_key(gap.stopped_at).substr(heal_key_prefix.size())); it != heals.end()) e.heal = it->second;
    entries.push_back(std::move(e));
  }, unreadable);
  return entries;
}

}  // namespace spillway::app
