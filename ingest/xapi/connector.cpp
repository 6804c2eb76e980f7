#include "ingest/xapi/connector.hpp"

#include <stdexcept>

namespace spillway::ingest {
namespace asio = boost::asio;

asio::ssl::context make_client_tls_context(const std::string& ca_file) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  ctx.set_default_verify_paths();
  if (!ca_file.empty()) {
    boost::system::error_code ec;
    ctx.load_verify_file(ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load stream.ca_file '" + ca_file + "': " + ec.message() +
                               "; point it at a readable PEM file with the CA certificate(s), or remove the key");
    }
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  return ctx;
}

}  // namespace spillway::ingest
