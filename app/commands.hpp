#pragma once
// The `spillway` subcommands. Each returns the process exit code (common/error.hpp, README "Exit codes"):
//   ok 0 · runtime 1 (network, storage, anything unexpected; rules diff/sync and diagnose also use it for
//   "needs action") · config 2 (bad config or usage, or a request X rejects with 400) · refused 3 (X refused
//   access for good: 401 without a refresh, 403, a spent refresh token).
// Failures that carry a common::error map through common::exit_code_for; no command reads a message to
// pick its code. Each runs on the main thread.
#include <cstdint>
#include <string>

#include "common/error.hpp"

namespace rocksdb {
class Env;
}

namespace spillway::app {

// `env`: RocksDB's environment instead of the default — only the test build's fault-injecting runner
// (tests/e2e/faulty_disk) passes one; it must outlive the call.
[[nodiscard]] common::exit_code run_command(const std::string& config_path, rocksdb::Env* env = nullptr);
[[nodiscard]] common::exit_code replay_command(const std::string& config_path, std::uint64_t from_id, std::uint64_t to_id);
[[nodiscard]] common::exit_code stats_command(const std::string& db_path);
[[nodiscard]] common::exit_code export_command(const std::string& db_path, std::uint64_t from_id, std::uint64_t to_id);
// action: "list" | "diff" | "sync" (dry_run applies to sync). See rules_command.cpp for exit codes.
[[nodiscard]] common::exit_code rules_command(const std::string& action, const std::string& config_path, bool dry_run);
// ok healthy · runtime a finding needs action. offline: skip the status page (no call outside stream.base_url).
[[nodiscard]] common::exit_code diagnose_command(const std::string& config_path, bool json, bool offline);
// Lists the gap ledger (read-only open; safe while the service runs): ok, or config when the database
// cannot be opened (a wrong --db; the message says why and what to do).
[[nodiscard]] common::exit_code gaps_command(const std::string& db_path);
// `gaps heal --dry-run`: prints the healing plan of every gap (gaps_heal_command.cpp); reads only. ok, or
// config when the file or the database cannot be read.
[[nodiscard]] common::exit_code gaps_heal_plan_command(const std::string& config_path);
// `gaps heal`: heals every gap now (gaps_heal_run_command.cpp); needs the database (not while `run` holds it).
[[nodiscard]] common::exit_code gaps_heal_command(const std::string& config_path);
// action: "list" (status: active | inactive | all) | "kill" (id empty: every connection; a uuid; or an
// endpoint id such as filtered_stream). See connections_command.cpp for exit codes.
[[nodiscard]] common::exit_code connections_command(const std::string& action, const std::string& config_path,
                                                    const std::string& status, const std::string& id);
// action: "status" | "refresh". See auth_command.cpp for exit codes.
[[nodiscard]] common::exit_code auth_command(const std::string& action, const std::string& config_path);

// A live terminal view of a running instance from its metrics listener (url: http://host:port[/path],
// path default /metrics). once, or stdin/stdout not a terminal: one plain frame, then ok (runtime when the
// instance does not answer). config for a bad URL.
[[nodiscard]] common::exit_code top_command(const std::string& url, bool once);

}  // namespace spillway::app
