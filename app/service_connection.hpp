#pragma once
// service::stream_connection: one filtered-stream connection of the running service (stream.connections
// = 1 | 2) — its slab pool, SPSC ring, line publisher, run policy (supervisor, metrics) and reader, and
// for connections after the first the thread its reader runs on. Everything a reader touches on its hot
// path is its own: two connections share no pool, ring or lock; they meet only in the pipeline thread
// (which polls both rings) and in the gap ledger (ingest::redundant_gaps, at session ends and ticks).
//
// Owned by the service (connections_); built by open_connection/wire_connection (service_connections.cpp).
// Members are declared in construction order: the reader goes before the policy, the publisher before the
// ring and pool. Must outlive it: the service's spool, metrics registry, gap ledger and pipeline thread's
// use of the ring (the pipeline is destroyed first).
#include <cstddef>
#include <memory>
#include <thread>

#include "app/service.hpp"

namespace spillway::app {

struct service::stream_connection {
  std::size_t index = 0;         // 0-based; its metrics carry connection="index + 1"
  common::metric_labels labels;  // {{"connection", "N"}}
  std::unique_ptr<common::slab_pool> pool;
  std::unique_ptr<common::spsc_ring<common::stream_item>> ring;
  std::unique_ptr<ingest::line_publisher> publisher;
  std::unique_ptr<ingest::run_policy> policy;
  std::unique_ptr<ingest::stream_reader> reader;
  std::thread thread;  // connections after the first; the first runs on run()'s thread
  common::exit_code exit = common::exit_code::ok;
};

}  // namespace spillway::app
