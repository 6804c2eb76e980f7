#pragma once
// The `spillway` subcommands. Each returns the process exit code:
//   0 success · 1 runtime failure (e.g. RocksDB refused a write) · 2 bad config or usage ·
//   3 the X API refused us for good (401 without refresh, 403)
#include <cstdint>
#include <string>

namespace spillway::app {

int run_command(const std::string& config_path);
int replay_command(const std::string& config_path, std::uint64_t from_id, std::uint64_t to_id);
int stats_command(const std::string& db_path);
int export_command(const std::string& db_path, std::uint64_t from_id, std::uint64_t to_id);
// action: "list" | "diff" | "sync" (dry_run applies to sync). See rules_command.cpp for exit codes.
int rules_command(const std::string& action, const std::string& config_path, bool dry_run);
// 0 healthy · 1 a finding needs action. offline: skip the status page (no call outside stream.base_url).
int diagnose_command(const std::string& config_path, bool json, bool offline);
// action: "status" | "refresh". See ingest/auth/auth_command.cpp for exit codes.
int auth_command(const std::string& action, const std::string& config_path);

}  // namespace spillway::app
