#pragma once
// connector: how Spillway opens a connection to the X API — the TLS client context (system roots, or only
// stream.ca_file; SNI; host-name check) shared by the stream session and the control-plane client.
// Thread: the context is built at start-up on the calling thread and is then read-only (asio's ssl
// context may be shared by streams on one thread). Must outlive every stream created with it.
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace spillway::ingest {

// An SSL context that verifies the chain against the system roots (plus ca_file when non-empty).
// Throws std::runtime_error naming the file and the fix when ca_file cannot be loaded (start-up only).
boost::asio::ssl::context make_client_tls_context(const std::string& ca_file);

}  // namespace spillway::ingest
