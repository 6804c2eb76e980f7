#pragma once
// `spillway gaps --db DIR`: lists the gap ledger (RocksDB `meta`, read-only open; safe while the service
// runs). Returns 0, or 2 when the database cannot be opened (the message says why and what to do).
#include <string>

namespace spillway::app {

int gaps_command(const std::string& db_path);

}  // namespace spillway::app
